"""A hand-built October 2026 in the test city (tests.cases.conftest), every case driven
through the real case service with explicit times, so each figure has a known answer.

Micro grid M1 (point IN_M1) and M2 (IN_M2), both in community C1. Garbage (暴露垃圾):
4 working hours, office hours 08:30–12:00 and 13:30–17:30, dispatch needs the micro
chief's approval. The comments give the times (Asia/Shanghai) the answers rest on.

  A  M1  reported Wed 14 Oct 09:00, approved 09:20, handled 10:00, checked and closed 11:00  (0.6667 h)
  B  M1  reported 14 Oct 10:00, approved 10:20 (deadline 15:50), handled Thu 15 Oct 09:00: late,
         closed 10:00  (6.1667 h)
  C  M1  reported Sat 31 Oct 23:30, filed 23:50, approved 23:58; handled Mon 2 Nov 10:00, closed 11:00
  D  M1  reported Sun 1 Nov 00:00:30 (still 31 Oct in UTC), filed and approved by 00:07; open
  E  M1  reported 15 Oct 09:00, filed, cancelled 09:30
  F  M1  reported Fri 16 Oct 09:00, approved 09:30, suspended 10:00; still suspended
  G  M1  reported 16 Oct 09:00, approved 09:30, handled 10:30, check failed 11:00 (rework), handled
         11:30, check passed Mon 19 Oct 09:00  (1 h)
  J  M1  reported Thu 22 Oct 09:00, not accepted 09:10
  H  M2  reported Tue 20 Oct 09:00, approved 09:20 (sanitation), sent back 09:40, dispatched to
         enforcement 10:00, approved 10:10, handled 11:10, closed 11:30  (1 h)
  I  M2  reported Wed 21 Oct 09:00, approved 09:20 (deadline 14:50), extension of 4 working hours
         approved 10:30 (deadline Thu 22 Oct 09:50), handled 16:00, closed 16:30  (5.1667 h)
  K  M2  reported 22 Oct 10:00; not filed
  L  M2  reported Fri 23 Oct 09:00, approved 09:20, sent back 09:40; waits re-dispatch
"""

import datetime
import html
import io
import re
from html.parser import HTMLParser

import pytest
from django.contrib.gis.geos import Point

from accounts.roles import Role
from assessments.facts import facts_refresh
from cases.models import Department, Source
from cases.services import case_report, case_transition
from tests.cases import conftest as cases_conftest
from tests.cases.conftest import IN_M1, NOW, SHANGHAI
from tests.photos import with_after_photo

city = cases_conftest.city  # the lifecycle tests' city, as a fixture here too

IN_M2 = Point(118.615, 34.905, srid=4326)


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


class Story:
    """Drives one case through the service; `actors` maps roles to users."""

    def __init__(self, city, point, reported: datetime.datetime):
        self.city = city
        self.case = case_report(source=Source.INSPECTOR, point=point, description="暴露垃圾", now=reported)

    def do(self, action: str, user_key: str, when: datetime.datetime, **params):
        user = self.city[user_key]
        if action == "approve":
            self.case.refresh_from_db()
            user = self.case.approver.user
        params.setdefault("note", "ok")
        self.case = case_transition(
            case_id=self.case.pk, action=action, actor=user, now=when, **with_after_photo(action, params)
        )
        return self

    def dispatched(self, day, h, m, *, month=10):
        """file at +5 min, dispatch at +10, approve at +20 (from h:m)."""
        start = at(day, h, m, month=month)
        self.do("file", "leader", start + datetime.timedelta(minutes=5), category=self.city["garbage"])
        self.do("dispatch", "dispatcher", start + datetime.timedelta(minutes=10))
        self.do("approve", "chief", start + datetime.timedelta(minutes=20))
        return self


@pytest.fixture
def chiefs(city, make_user):
    """A login for every chief in the tree, so each can approve in their grid."""
    for key in ("b", "community", "large", "district"):
        person = city[key].chief
        person.user = make_user(f"chief_{key}", Role.GRID_CHIEF)
        person.save()
    return city


@pytest.fixture
def october(chiefs):
    city = chiefs
    # Closed straight from handled (B, C, H, I) needs a category without the on-site check.
    city["garbage"].needs_onsite_check = False
    city["garbage"].save()
    c = {}
    c["A"] = Story(city, IN_M1, at(14, 9)).dispatched(14, 9, 0).do("handle", "handler", at(14, 10))
    c["A"].do("send_to_check", "leader", at(14, 10, 10)).do("check_pass", "inspector", at(14, 11))
    c["A"].do("close", "leader", at(14, 11))
    c["B"] = Story(city, IN_M1, at(14, 10)).dispatched(14, 10, 0).do("handle", "handler", at(15, 9))
    c["B"].do("close", "leader", at(15, 10))
    c["C"] = Story(city, IN_M1, at(31, 23, 30))
    c["C"].do("file", "leader", at(31, 23, 50), category=city["garbage"]).do("dispatch", "dispatcher", at(31, 23, 55))
    c["C"].do("approve", "chief", at(31, 23, 58)).do("handle", "handler", at(2, 10, month=11))
    c["C"].do("close", "leader", at(2, 11, month=11))
    c["D"] = Story(city, IN_M1, at(1, 0, 0, 30, month=11)).dispatched(1, 0, 0, month=11)
    c["E"] = Story(city, IN_M1, at(15, 9))
    c["E"].do("file", "leader", at(15, 9, 5), category=city["garbage"]).do("cancel", "leader", at(15, 9, 30))
    c["F"] = Story(city, IN_M1, at(16, 9)).dispatched(16, 9, 10).do("suspend", "leader", at(16, 10))
    c["G"] = Story(city, IN_M1, at(16, 9)).dispatched(16, 9, 10).do("handle", "handler", at(16, 10, 30))
    c["G"].do("send_to_check", "leader", at(16, 10, 40)).do("check_fail", "inspector", at(16, 11))
    c["G"].do("handle", "handler", at(16, 11, 30)).do("send_to_check", "leader", at(16, 11, 40))
    c["G"].do("check_pass", "inspector", at(19, 9)).do("close", "leader", at(19, 9))
    c["J"] = Story(city, IN_M1, at(22, 9)).do("reject", "leader", at(22, 9, 10))
    c["H"] = Story(city, IN_M2, at(20, 9)).dispatched(20, 9, 0).do("send_back", "handler", at(20, 9, 40))
    enforcement = Department.objects.get(code="enforcement")
    c["H"].do("dispatch", "dispatcher", at(20, 10), department=enforcement).do("approve", "chief", at(20, 10, 10))
    c["H"].do("handle", "other_handler", at(20, 11, 10)).do("close", "leader", at(20, 11, 30))
    c["I"] = Story(city, IN_M2, at(21, 9)).dispatched(21, 9, 0)
    c["I"].do("request_extension", "handler", at(21, 10), amount=4, unit="working_hours")
    c["I"].do("approve_extension", "leader", at(21, 10, 30)).do("handle", "handler", at(21, 16))
    c["I"].do("close", "leader", at(21, 16, 30))
    c["K"] = Story(city, IN_M2, at(22, 10))
    c["L"] = Story(city, IN_M2, at(23, 9)).dispatched(23, 9, 0).do("send_back", "handler", at(23, 9, 40))
    facts_refresh()  # as a request or the beat would before reading: the selectors only read
    return {**city, "cases": {key: story.case for key, story in c.items()}, "stories": c}


@pytest.fixture
def now():
    return NOW


# ---- a document's page and its PDF, read back as text ----------------------------------------


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def compact(text: str) -> str:
    """Text without white space: a PDF breaks lines and spaces words where a page does not."""
    return re.sub(r"\s+", "", html.unescape(text))


def page_texts(page: str, root_id: str) -> list[str]:
    """Every heading, paragraph and table cell inside the element `root_id` of an HTML page, in
    order: what a reader of the printable page sees."""

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.depth, self.inside, self.texts, self.current = 0, False, [], None

        def handle_starttag(self, tag, attrs):
            if tag in ("br", "hr", "img", "input", "meta", "link"):
                return
            if not self.inside and dict(attrs).get("id") == root_id:
                self.inside, self.depth = True, 0
            if self.inside:
                self.depth += 1
                if tag in ("h1", "h2", "h3", "p", "th", "td"):
                    self.current = []

        def handle_endtag(self, tag):
            if not self.inside or tag in ("br", "hr", "img", "input", "meta", "link"):
                return
            if tag in ("h1", "h2", "h3", "p", "th", "td") and self.current is not None:
                text = " ".join("".join(self.current).split())
                if text:
                    self.texts.append(text)
                self.current = None
            self.depth -= 1
            if self.depth == 0:
                self.inside = False

        def handle_data(self, data):
            if self.inside and self.current is not None:
                self.current.append(data)

    reader = Reader()
    reader.feed(page)
    return reader.texts
