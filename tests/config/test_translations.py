"""Every interface string has a Chinese translation, and the committed .mo matches the .po."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries(path: Path) -> dict[str, str]:
    """msgid → msgstr of a .po file; for a plural entry, its singular and msgstr[0]
    (Chinese has one plural form). No contexts are used in this project."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(msgid|msgid_plural|msgstr|msgstr\[0\]) (\".*\")$", line)
        if match:
            key = {"msgstr[0]": "msgstr"}.get(match.group(1), match.group(1))
            if key == "msgid" and "msgid" in current:
                entries[current["msgid"]] = current.get("msgstr", "")
                current = {}
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif line.startswith("#~"):
            key = None
    if "msgid" in current:
        entries[current["msgid"]] = current.get("msgstr", "")
    entries.pop("", None)  # the header
    return entries


def test_it_translates_every_string_into_chinese():
    entries = po_entries(LOCALE / "django.po")
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr in entries.items() if not msgstr.strip()]
    assert missing == []
    fuzzy = (LOCALE / "django.po").read_text(encoding="utf-8").count("#, fuzzy\n")
    assert fuzzy == 0


def test_it_ships_a_compiled_catalogue_that_matches_the_source():
    entries = po_entries(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = [
        msgid
        for msgid, msgstr in entries.items()
        if msgstr not in (compiled.gettext(msgid), compiled.ngettext(msgid, msgid, 1))
    ]
    assert stale == [], "run `make messages` to recompile locale/*/django.mo"
