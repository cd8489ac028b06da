"""Finding strings left in the wrong language on a page.

A page holds interface strings (which must follow the chosen language) and data (grid, place,
people, category and department names, addresses, notes: Chinese whatever the language). The
data is known: `data_strings` reads it from the application, and `leftovers` takes it out of
the page's text before looking for Chinese (English pages) or English (Chinese pages). Text
inside an element marked `translate="no"`, or in another language (`lang`, like the language
switch's "English" and "简体中文"), is not interface text either.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.e2e.site import Site

CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
# Words that stay in Latin letters in a Chinese interface: names of formats, protocols and products.
KEPT_IN_CHINESE = {
    "AI",
    "API",
    "CSV",
    "Excel",
    "GeoJSON",
    "GPS",
    "HTTP",
    "HTTPS",
    "JPEG",
    "PDF",
    "PNG",
    "WebP",
    "Webhook",
    "URL",
}

# Every text node and the attributes people read (or hear), with what decides whether they count.
COLLECT = """
() => {
  const pageLang = (document.documentElement.lang || "").toLowerCase().slice(0, 2);
  const skipped = el => el.closest("script, style, noscript, template, [translate=no]") ||
    ((l => l && l !== document.documentElement && !l.lang.toLowerCase().startsWith(pageLang))(el.closest("[lang]")));
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.data.trim() && !skipped(node.parentElement)) texts.push(node.data.trim());
  }
  for (const el of document.body.querySelectorAll("[placeholder], [title], [aria-label], [alt], input[type=submit][value], input[type=button][value]")) {
    if (skipped(el)) continue;
    for (const name of ["placeholder", "title", "aria-label", "alt"]) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
    if (el.matches("input[type=submit], input[type=button]")) texts.push(el.value);
  }
  return texts;
}
"""


def data_strings(site: Site) -> list[str]:
    """Every string of the application's data a page may show, longest first."""
    strings = site.shell(
        """
from django.contrib.auth import get_user_model
from cases.models import Case, CaseEvent, Category, Department, MajorCategory
from citizens.models import CitizenReport
from grids.models import Grid, Person, Place

found = set()
found.update(Grid.objects.values_list("name", flat=True))
from grids.models import RegionClass
from gazetteer.models import Entry

found.update(RegionClass.objects.values_list("name", flat=True))  # a city names its own classes
for row in Entry.objects.values_list("name", "street"):
    found.update(row)
for row in Place.objects.values_list("name", "code"):
    found.update(row)  # a place chief's page names each place by its code too
found.update(Person.objects.values_list("name", flat=True))
for user in get_user_model().objects.all():
    found.update([user.username, user.first_name, user.last_name, user.get_full_name()])
found.update(MajorCategory.objects.values_list("name", flat=True))
for name, filing, closing in Category.objects.values_list("name", "filing_condition", "closing_condition"):
    found.update([name, filing, closing])
for row in Department.objects.values_list("name", "short_name", "code"):
    found.update(row)
for row in Case.objects.values_list("address", "description", "reporter_name"):
    found.update(row)
found.update(CaseEvent.objects.values_list("note", flat=True))
found.update(CitizenReport.objects.values_list("code", flat=True))
from assets.models import Asset, Census, CensusFinding
from campaigns.models import Campaign
from devices.models import Device, EventType, Integration

for row in Asset.objects.values_list("name", "owner", "note"):
    found.update(row)
found.update(Census.objects.values_list("name", flat=True))
found.update(CensusFinding.objects.values_list("note", flat=True))
for row in Device.objects.values_list("code", "name", "owner"):
    found.update(row)
found.update(EventType.objects.values_list("name", flat=True))
found.update(Integration.objects.values_list("name", flat=True))
for row in Campaign.objects.values_list("name", "description"):
    found.update(row)
from exchange.models import ExternalOrder, UpstreamSystem

for row in UpstreamSystem.objects.values_list("name", "code"):
    found.update(row)
found.update(ExternalOrder.objects.values_list("external_id", flat=True))

from grids.models import CommandCenter, Road, RoadSegment

for row in CommandCenter.objects.values_list("name", "code"):
    found.update(row)  # the town ranking shows the codes
found.update(Road.objects.values_list("name", flat=True))
for name, duties in RoadSegment.objects.values_list("name", "duties"):
    found.update([name, *(duties or {}).values()])
result = sorted((s.strip() for s in found if s and s.strip()), key=len, reverse=True)
"""
    )
    return strings


class Leftovers:
    def __init__(self, data: list[str]) -> None:
        self._data = re.compile("|".join(re.escape(s) for s in data)) if data else None

    def on(self, page: Page, language: str) -> list[str]:
        """The strings of `page` not in `language` ("en" or "zh"), data taken out."""
        found = []
        suspect = CHINESE if language == "en" else ENGLISH_WORD
        for text in page.evaluate(COLLECT):
            if not suspect.search(text):
                continue  # most of them: no need to take the data out
            rest = self._data.sub(" ", text) if self._data else text
            wrong = [w for w in suspect.findall(rest) if language == "en" or w not in KEPT_IN_CHINESE]
            if wrong:
                found.append(f"{text!r} ({', '.join(wrong)})")
        return list(dict.fromkeys(found))
