"""The audit administrator's page: search the log, page through it, export what was found as CSV."""

from __future__ import annotations

import csv
import json

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from audit.forms import AuditFilterForm
from audit.models import AuditEvent
from audit.selectors import audit_search
from audit.services import audit_record

CSV_COLUMNS = ["id", "time", "user_id", "user", "client_address", "user_agent", "action", "result",
               "object_type", "object_id", "object", "details", "hash"]  # fmt: skip


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
def search(request):
    form = AuditFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    filters = form.cleaned_data if form.is_bound and valid else {}
    rows = audit_search(**filters) if valid else AuditEvent.objects.none()
    if request.GET.get("format") == "csv" and valid:
        return _csv(request, rows, filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "audit/search.html", {"form": form, "page": page, "filtered": bool(request.GET)})


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula would run as one in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(request, rows, filters: dict):
    audit_record(
        action="audit.exported",
        request=request,
        details={key: str(value) for key, value in filters.items() if value},
    )
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # Excel opens UTF-8 CSV as UTF-8 only with a BOM
        yield writer.writerow(CSV_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                _cell(value)
                for value in (
                    row.id, f"{timezone.localtime(row.created_at):%Y-%m-%d %H:%M:%S}", row.actor_id, row.actor_username,
                    row.client_ip, row.user_agent, row.action, row.result, row.object_type, row.object_id,
                    row.object_label, json.dumps(row.details, ensure_ascii=False, sort_keys=True), row.hash,
                )
            )  # fmt: skip

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.localdate():%Y%m%d}.csv"'
    return response
