"""Fill Chinese translations into locale/zh_Hans/LC_MESSAGES/django.po from a JSON
dictionary (msgid → msgstr) and drop the fuzzy guesses makemessages left.

    .venv/bin/python scripts/po_fill.py locale/sources/*.json   (what `make messages` runs)

Entries not in the dictionary are left as they are; the script lists what is
still untranslated so that `make messages` users see what to add.
"""

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def main() -> None:
    wanted: dict[str, str] = {}
    for path in sys.argv[1:]:
        wanted.update(json.loads(Path(path).read_text(encoding="utf-8")))
    blocks = PO.read_text(encoding="utf-8").split("\n\n")
    missing = []
    for n, block in enumerate(blocks):
        match = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)', block, re.M)
        if not match:
            _fill_plural(blocks, n, wanted, missing)
            continue
        msgid = "".join(json.loads(part) for part in match.group(1).split("\n") if part)
        msgstr = "".join(json.loads(part) for part in match.group(2).split("\n") if part)
        if not msgid:
            continue
        fuzzy = "#, fuzzy" in block
        if msgid in wanted:
            msgstr, fuzzy = wanted[msgid], False
        lines = [line for line in block.split("\n") if not line.startswith("#|")]
        lines = [line.replace("#, fuzzy, ", "#, ").replace("#, fuzzy", "") if not fuzzy else line for line in lines]
        lines = [line for line in lines if line != ""]
        head = [line for line in lines if line.startswith("#")]
        blocks[n] = "\n".join([*head, f"msgid {quote(msgid)}", f"msgstr {quote(msgstr)}"])
        if fuzzy or not msgstr:
            missing.append(msgid)
    PO.write_text("\n\n".join(blocks), encoding="utf-8")
    for msgid in missing:
        print("untranslated:", msgid)


def _fill_plural(blocks: list[str], n: int, wanted: dict[str, str], missing: list[str]) -> None:
    """A plural entry (ngettext): Chinese has one form, msgstr[0], looked up by the singular."""
    block = blocks[n]
    match = re.search(r'^msgid ((?:".*"\n?)+)^msgid_plural ((?:".*"\n?)+)^msgstr\[0\] ((?:".*"\n?)+)', block, re.M)
    if not match:
        return
    msgid = "".join(json.loads(part) for part in match.group(1).split("\n") if part)
    plural = "".join(json.loads(part) for part in match.group(2).split("\n") if part)
    msgstr = "".join(json.loads(part) for part in match.group(3).split("\n") if part)
    fuzzy = "#, fuzzy" in block
    if msgid in wanted:
        msgstr, fuzzy = wanted[msgid], False
    lines = [line for line in block.split("\n") if not line.startswith("#|")]
    lines = [line.replace("#, fuzzy, ", "#, ").replace("#, fuzzy", "") if not fuzzy else line for line in lines]
    head = [line for line in lines if line.startswith("#") and line != "#"]
    body = [f"msgid {quote(msgid)}", f"msgid_plural {quote(plural)}", f"msgstr[0] {quote(msgstr)}"]
    blocks[n] = "\n".join([*head, *body])
    if fuzzy or not msgstr:
        missing.append(msgid)


if __name__ == "__main__":
    main()
