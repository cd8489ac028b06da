"""The exchange's page for the command center: what was sent to 12345 and the higher-level
platform, what is still owed, what failed (with a button to send it again)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.scope import EXCHANGE_DESK
from cases.transitions import event_label
from cases.views import roles_required
from exchange.selectors import TABS, exchange_counts, exchange_messages, systems_overview
from exchange.services import message_resend

TAB_LABELS = {
    "pending": gettext_lazy("Pending"),
    "failed": gettext_lazy("Failed"),
    "sent": gettext_lazy("Sent"),
}
PAGE_SIZE = 50


def _system_id(request: HttpRequest) -> int | None:
    value = request.GET.get("system") or request.POST.get("system") or ""
    return int(value) if value.isdigit() else None


@roles_required(*EXCHANGE_DESK)
def message_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    system_id = _system_id(request)
    counts = exchange_counts(system_id=system_id)
    page = Paginator(exchange_messages(tab=tab, system_id=system_id), PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page.object_list:
        message.step = event_label(message.event.action)  # in the page's language (the payload's is Chinese)
    tabs = [
        {"key": key, "label": label, "count": counts[key], "query": urlencode({"tab": key, **_keep(system_id)})}
        for key, label in TAB_LABELS.items()
    ]
    context = {
        "tab": tab,
        "tabs": tabs,
        "page": page,
        "systems": list(systems_overview()),
        "system_id": system_id,
    }
    return render(request, "exchange/messages.html", context)


def _keep(system_id: int | None) -> dict:
    return {"system": system_id} if system_id else {}


@require_POST
@roles_required(*EXCHANGE_DESK)
def message_resend_view(request: HttpRequest, message_id: int) -> HttpResponse:
    if message_resend(message_id=message_id, actor=request.user):
        messages.success(request, _("The message will be sent again."))
    else:
        messages.error(request, _("This message is no longer failed."))
    return redirect(reverse("exchange:messages") + "?" + urlencode({"tab": "failed", **_keep(_system_id(request))}))
