"""Run by tests/security/test_image_bomb.py in a process of its own: post an image to 随手拍
(no login) and report the process's memory before and at its peak, as JSON on stdout.

    python -m tests.security.memory_probe <image file> <content type>

The environment names the test's database (committed data: the city) and its media folder.
The process warms up first (a small report: every module imported, every cache filled), so
that the peak measured afterwards is the upload's own.
"""

from __future__ import annotations

import json
import os
import sys
import uuid


def _status(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_reset() -> int:
    """Start measuring the peak afresh (Linux: "5" to clear_refs resets VmHWM); the RSS now."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status("VmRSS")


def peak_bytes() -> int:
    """The most resident memory since peak_reset (VmHWM)."""
    return _status("VmHWM")


def post(client, photo: bytes, name: str, content_type: str, lat: str, lng: str) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"photo": SimpleUploadedFile(name, photo, content_type=content_type), "category": "sanitation",
            "description": "路边垃圾", "phone": "", "lat": lat, "lng": lng, "request_id": str(uuid.uuid4())}  # fmt: skip
    return client.post("/citizen/", data, REMOTE_ADDR=f"10.0.{len(name)}.{uuid.uuid4().int % 250}").status_code


def main() -> None:
    import django

    django.setup()
    from io import BytesIO

    from django.test import Client
    from PIL import Image

    path, content_type = sys.argv[1], sys.argv[2]
    lat, lng = os.environ["PROBE_LAT"], os.environ["PROBE_LNG"]
    client = Client()
    small = BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(small, "JPEG")
    warm = post(client, small.getvalue(), "warm.jpg", "image/jpeg", lat, lng)
    with open(path, "rb") as file:
        photo = file.read()
    before = peak_reset()
    status = post(client, photo, os.path.basename(path), content_type, lat, lng)
    print(json.dumps({"warm_status": warm, "status": status, "before": before, "peak": peak_bytes()}))


if __name__ == "__main__":
    main()
