"""Uploaded files (MEDIA_ROOT) are served only through this view (issue 11, item 10).

- An ORIGINAL photo may carry the phone's GPS position, its make and serial number (EXIF): it is
  sent only to a logged-in user who may see its case (cases.scope), to anyone else 404, as if
  it did not exist. Each original sent is a row of the audit log ("case.photo_viewed": who,
  which case, which photo), as a reporter's contact shown in full is.
- The display copy and the thumbnail are new JPEGs made from the pixels alone (cases.photos):
  no metadata. Their names are random (128 bits), and the public pages give only those of the
  photos they may show (a closed case's after-photo): anyone holding such an address may load it.
- Anything else under MEDIA_ROOT (bulletins, exports: their own views check who asks; import
  files) answers 404 here.

In production the web server sends the bytes: with MEDIA_ACCEL_REDIRECT set (e.g.
/protected-media/), the answer is empty with `X-Accel-Redirect: /protected-media/<path>`, which
nginx serves from an `internal` location (deploy/nginx/citydispatch.conf): the application
decides, nginx sends, and no URL reaches the files without passing here.
"""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import quote

from django.conf import settings
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from audit.services import ObjectRef, audit_record
from cases.models import CasePhoto
from cases.scope import cases_visible_to

PHOTO_VIEWED = "case.photo_viewed"


def _clean(path: str) -> str:
    normal = posixpath.normpath(path).lstrip("/")
    if normal != path or normal.startswith("..") or "\x00" in normal:
        raise Http404
    return normal


@require_safe
def media_file(request: HttpRequest, path: str) -> HttpResponse:
    path = _clean(path)
    photo = (
        CasePhoto.objects.filter(Q(original=path) | Q(display=path) | Q(thumbnail=path))
        .only("pk", "case_id", "kind", "original", "display", "thumbnail", "content_type")
        .first()
    )
    if photo is None:
        raise Http404
    original = photo.original.name == path
    if original:
        tracking_number = _seen_as(request, photo.case_id)
        if tracking_number is None:
            raise Http404
    content_type = photo.content_type if original else "image/jpeg"
    response = _send(path, content_type)
    if original and request.method == "GET":  # a HEAD sends no bytes
        audit_record(
            action=PHOTO_VIEWED,
            request=request,
            obj=ObjectRef("cases.case", str(photo.case_id), tracking_number),
            details={"photo": photo.pk, "kind": photo.kind},
        )
    # An original is for the one who asked; the clean copies may be kept by browsers.
    response["Cache-Control"] = "private, no-store" if original else "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _seen_as(request: HttpRequest, case_id: int) -> str | None:
    """The case's tracking number if the request's user may see the case (cases.scope), else None:
    the check and the audit row's label in one query."""
    if not request.user.is_authenticated:
        return None
    return cases_visible_to(user=request.user).filter(pk=case_id).values_list("tracking_number", flat=True).first()


def _send(path: str, content_type: str) -> HttpResponse:
    prefix = settings.MEDIA_ACCEL_REDIRECT
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(path)
        return response
    storage = CasePhoto._meta.get_field("original").storage
    try:
        file = storage.open(path, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(file, content_type=content_type or mimetypes.guess_type(path)[0])
