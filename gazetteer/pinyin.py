"""Pinyin keys of a name, with pypinyin (a maintained dictionary with phrase-level readings:
兴隆 is xīng lóng, 银行 yín háng): the full pinyin without tones and the initials, lower case,
letters and digits only, so that 兴隆路 is found by "xinglonglu", "xinglong" and "xll"."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_KEEP = re.compile(r"[^0-9a-z]")


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of `text`, e.g. ("xinglonglu", "xll") for 兴隆路."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return _clean("".join(syllables)), _clean("".join(initials))


def _clean(text: str) -> str:
    return _KEEP.sub("", text.lower())


def is_pinyin_query(text: str) -> bool:
    """A query typed in Latin letters (and digits): look it up by pinyin and initials."""
    return bool(text) and text.isascii() and any(ch.isalpha() for ch in text)
