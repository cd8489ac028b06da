"""/healthz, /readyz and /metrics: for the load balancer, the monitoring and Prometheus. No login,
no session, no language: they answer machines (docs/OPERATIONS.md)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from ops.health import readiness
from ops.metrics import exposition


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Nothing else is checked (a restart would not mend the database)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, broker, cache and the beat's heartbeat, each part's state; 503 if one
    fails. `?check=database` (comma-separated) checks only those parts: what a load balancer
    should ask of a web node, which serves without the others."""
    wanted = [part.strip() for part in request.GET.get("check", "").split(",") if part.strip()] or None
    ok, states = readiness(wanted)
    return JsonResponse({"status": "ok" if ok else "fail", "checks": states}, status=200 if ok else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for `Authorization: Bearer <METRICS_TOKEN>`; without a token set,
    there are no metrics (404)."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        return HttpResponse("A bearer token is required.", status=401, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
