"""The devices' pages: the registry, one device with its alerts, and the alerts waiting for a
person's look (file the case, or reject it as a false alarm: through cases.services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import CENTRE, Role, user_roles
from cases.scope import SEES_ALL
from cases.services import CaseNotFound
from cases.views import roles_required
from config.errors import ApplicationError
from devices.models import Alert, Device
from devices.selectors import alerts_list, alerts_waiting, devices_list
from devices.services import alert_review
from grids.maps import map_config

REVIEWERS = CENTRE | {Role.INSPECTOR}  # who files or rejects reports: the case service's rows


@roles_required(*SEES_ALL)
def device_index(request: HttpRequest) -> HttpResponse:
    devices = list(devices_list())
    can_review = bool(set(user_roles(request.user)) & REVIEWERS)
    waiting = alerts_waiting().count() if can_review else 0
    return render(request, "devices/index.html", {"devices": devices, "waiting": waiting, "can_review": can_review})


@roles_required(*SEES_ALL)
def device_detail(request: HttpRequest, device_id: int) -> HttpResponse:
    device = get_object_or_404(Device.objects.select_related("integration", "micro_grid"), pk=device_id)
    page = Paginator(alerts_list(device_code=device.code), 25).get_page(request.GET.get("page"))
    config = map_config(point=[device.location.x, device.location.y])
    return render(request, "devices/detail.html", {"device": device, "page": page, "map_config": config})


@roles_required(*REVIEWERS)
def alert_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(alerts_waiting(), 24).get_page(request.GET.get("page"))
    return render(request, "devices/alerts.html", {"page": page})


@require_POST
@roles_required(*REVIEWERS)
def alert_review_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.select_related("case", "device", "event_type__category"), pk=alert_id)
    decision = request.POST.get("decision", "")
    try:
        alert_review(alert=alert, decision=decision, actor=request.user, note=request.POST.get("note", ""))
    except CaseNotFound:
        messages.error(request, _("No such case, or not one you may see."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        alert.case.refresh_from_db(fields=["status"])
        messages.success(
            request,
            _("Case %(number)s is now “%(status)s”.")
            % {"number": alert.case.tracking_number, "status": alert.case.get_status_display()},
        )
    return redirect(reverse("devices:alerts"))
