"""After-photos for the demo history: a department reports a case handled with a photo of
the result (cases.services.case_transition, action "handle", `photos=[…]`).

A handful of small JPEGs are drawn once, each a patch of swept pavement of its own colour,
and handed out in turn as fresh file objects (the case service reads each file from its
start and stores it). Consecutive handles get different pictures, so a reworked case's second
after-photo is a new photo, not the first one sent again. Small on purpose: ~500 of them are
stored, and their display copies and thumbnails made, every time the demo is seeded.
"""

from __future__ import annotations

import colorsys
import random
from io import BytesIO

from PIL import Image, ImageDraw

SIZE = (240, 180)  # px
VARIANTS = 12


def _picture(rng: random.Random) -> bytes:
    """A grey street with a cleaned patch of some colour on it (the swept pavement, a fresh
    coat of paint, a repaired cover) and a kerb line: a JPEG of a few kilobytes."""
    grey = rng.randrange(95, 150)
    image = Image.new("RGB", SIZE, (grey, grey, grey + 6))
    draw = ImageDraw.Draw(image)
    red, green, blue = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.25, 0.6), rng.uniform(0.6, 0.9))
    left, top = rng.randrange(20, 90), rng.randrange(20, 70)
    draw.rectangle(
        (left, top, left + rng.randrange(80, 130), top + rng.randrange(60, 90)),
        fill=(int(red * 255), int(green * 255), int(blue * 255)),
    )
    kerb = rng.randrange(130, 165)
    draw.line((0, kerb, SIZE[0], kerb - rng.randrange(-10, 10)), fill=(220, 220, 210), width=6)
    out = BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class AfterPhotos:
    """The after-photos of one history load, handed out in turn."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self._pictures = [_picture(rng) for _ in range(VARIANTS)]
        self._next = 0

    def take(self) -> BytesIO:
        """The next picture, as a new file object (read from its start)."""
        data = self._pictures[self._next % len(self._pictures)]
        self._next += 1
        return BytesIO(data)
