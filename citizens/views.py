"""The public 随手拍 pages: report, receipt, and the status page found by the tracking code.

No login. Nothing on these pages may name a person, a phone number, a staff member or an
internal note (tests/citizens assert it on the rendered pages).
"""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.photos import PhotoError
from cases.services import InvalidInput
from citizens import ratelimit
from citizens.forms import CitizenReportForm, RatingForm, TrackForm
from citizens.selectors import citizen_report_by_code, city_outline, public_status
from citizens.services import IllegalTransition, RateLimited, citizen_rate, citizen_report, tracking_code_clean
from config.limits import body_limit
from grids.maps import map_config


def _strings() -> dict:
    return {
        "locating": _("Finding your position…"),
        "located": _("Position set from your phone (accuracy about %(metres)s m). Tap the map to correct it."),
        "noGeolocation": _("This browser cannot give its position; tap the map where the problem is."),
        "geolocationFailed": _("Your position could not be found (allow location access, or tap the map)."),
        "tapped": _("Position set on the map."),
        "outside": _("This point is outside the city; reports can only be made inside it."),
        "resizing": _("Preparing the photo…"),
        "photoReady": _("Photo ready (%(size)s)."),
        "photoUnreadable": _("This file could not be read as a photo; choose a JPEG, PNG or WebP image."),
    }


@body_limit("PHOTO_UPLOAD_MAX_BYTES")
@never_cache  # each render carries a fresh request id
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    form = CitizenReportForm(request.POST or None, request.FILES or None)
    status = 200
    location_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = citizen_report(
                point=Point(data["lng"], data["lat"], srid=4326),
                public_category=data["category"],
                description=data["description"],
                photo=data["photo"],
                phone=data["phone"],
                client_ip=ratelimit.client_ip(request),
                request_id=str(data["request_id"]),
            )
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except PhotoError as exc:
            form.add_error("photo", exc.message)
        except InvalidInput as exc:  # outside the city's grids
            location_errors.append(exc.message)
        else:
            return redirect("citizens:receipt", code=report.code)
    if request.method == "POST" and not location_errors:
        location_errors = list(dict.fromkeys([*form.errors.get("lat", []), *form.errors.get("lng", [])]))
    context = {
        "form": form,
        "location_errors": location_errors,
        "map_config": map_config(grids_api=False, outline=city_outline()),
        "map_strings": _strings(),
    }
    return render(request, "citizens/report.html", context, status=status)


@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    report = citizen_report_by_code(code=code)
    if report is None:
        return _not_found(request, code)
    return render(request, "citizens/receipt.html", {"report": report, "status": public_status(report=report)})


@require_GET
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("citizens:status", code=tracking_code_clean(form.cleaned_data["code"]))
    return render(request, "citizens/track.html", {"form": form})


@require_GET
def status_page(request: HttpRequest, code: str) -> HttpResponse:
    report = citizen_report_by_code(code=code)
    if report is None:
        return _not_found(request, code)
    status = public_status(report=report)
    form = RatingForm() if status.can_rate else None
    return render(request, "citizens/status.html", {"status": status, "form": form,
                                                    "rated": request.GET.get("rated") == "1"})  # fmt: skip


@never_cache
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    """The rating of a closed case, by whoever holds its tracking code (the status page's check):
    once per case, limited per client address like the reports."""
    report = citizen_report_by_code(code=code)
    if report is None:
        return _not_found(request, code)
    form = RatingForm(request.POST)
    status_code = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            citizen_rate(report=report, satisfaction=data["satisfaction"], solved=data["solved"],
                         contacted=data["contacted"], comment=data["comment"],
                         client_ip=ratelimit.client_ip(request))  # fmt: skip
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status_code = 429
        except IllegalTransition as exc:
            form.add_error(None, exc.message)
            status_code = 409
        else:
            return redirect(reverse("citizens:status", args=[report.code]) + "?rated=1")
    status = public_status(report=report)
    return render(request, "citizens/status.html", {"status": status, "form": form if status.can_rate else None,
                                                    "rating_error": form.non_field_errors()},
                  status=status_code)  # fmt: skip


@require_GET
def status_json(request: HttpRequest, code: str) -> JsonResponse:
    report = citizen_report_by_code(code=code)
    if report is None:
        raise Http404
    data = public_status(report=report).as_json()
    if data["after_photo_url"]:
        data["after_photo_url"] = request.build_absolute_uri(data["after_photo_url"])
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _not_found(request: HttpRequest, code: str) -> HttpResponse:
    form = TrackForm(initial={"code": code})
    return render(request, "citizens/track.html", {"form": form, "not_found": True}, status=404)
