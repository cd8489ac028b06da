"""Campaigns (专项整治): cases tagged by rule (area + subcategories + period) and by hand, the
campaign's own figures read from the assessment rollup against its targets, on its page, in the
exports, the API and the bulletin; who may tag and who sees what."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from accounts.roles import Role
from assessments.bulletin import bulletin_data
from assessments.facts import facts_refresh
from assessments.selectors import Period, Slice, campaign_figures, figures
from campaigns.models import Campaign, CampaignCase, CampaignTarget, How
from campaigns.services import CampaignCaseNotFound, campaign_tag, campaign_tag_by_rule, campaigns_tag_by_rule
from campaigns.tasks import tag_campaigns
from cases.models import Category, Source, Status
from cases.services import case_report, case_transition
from tests.cases.conftest import IN_M1, NOW
from tests.photos import with_after_photo

pytestmark = pytest.mark.django_db
IN_M2 = IN_M1.__class__(118.615, 34.905, srid=4326)
IN_C9 = IN_M1.__class__(118.605, 34.915, srid=4326)  # the neighbouring community C9
NOVEMBER = {"period": "month", "day": "2026-11-18"}


def report(point=IN_M1, category="0102", days=0, source=Source.INSPECTOR):
    category = Category.objects.get(major__kind="event", code=category) if category else None
    return case_report(source=source, point=point, category=category, now=NOW + datetime.timedelta(days=days))


def walk(case, city, upto="closed"):
    """File, dispatch (the approving chief approves), handle with a photo, check on site, close."""

    def act(action, user, **params):
        return case_transition(case_id=case.pk, action=action, actor=user, now=NOW, **with_after_photo(action, params))

    act("file", city["clerk"])
    if act("dispatch", city["dispatcher"]).status == Status.PENDING_APPROVAL:
        case.refresh_from_db()
        approver = case.approver
        if approver.user is None:
            approver.user = User.objects.create_user(f"chief-{approver.pk}")
            approver.user.groups.add(Group.objects.get_or_create(name=Role.GRID_CHIEF)[0])
            approver.save()
        act("approve", approver.user)
    act("handle", city["handler"], note="已清理")
    if upto == "handled":
        return case
    act("send_to_check", city["dispatcher"])
    if act("check_pass", city["inspector"]).status != Status.CLOSED:
        act("close", city["leader"])
    return case


@pytest.fixture
def clean_up(city):
    """全城清洁: rubbish (0102, 0103) in community C1, 15–30 November; at least 3 found, 2 closed."""
    campaign = Campaign.objects.create(name="全城清洁专项整治", starts_on=datetime.date(2026, 11, 15),
                                       ends_on=datetime.date(2026, 11, 30))  # fmt: skip
    campaign.grids.add(city["community"])
    campaign.categories.add(*Category.objects.filter(major__kind="event", code__in=["0102", "0103"]))
    CampaignTarget.objects.create(campaign=campaign, figure="reports", amount=3)
    CampaignTarget.objects.create(campaign=campaign, figure="closed", amount=2)
    CampaignTarget.objects.create(
        campaign=campaign, figure="closed", amount=1, category=Category.objects.get(major__kind="event", code="0103")
    )
    return campaign


def test_it_tags_the_cases_its_rule_takes_in(city, clean_up):
    inside = [report(), report(IN_M2, "0103")]
    outside = [
        report(IN_C9),  # another community
        report(category="0104"),  # another subcategory
        report(days=-10),  # before the campaign
        report(days=13),  # after it (1 December)
        report(category=None),  # no subcategory yet
    ]
    assert campaign_tag_by_rule(campaign=clean_up) == (2, 0)
    assert set(CampaignCase.objects.values_list("case_id", flat=True)) == {c.pk for c in inside}
    assert campaign_tag_by_rule(campaign=clean_up) == (0, 0)  # again: nothing changes
    case_transition(case_id=outside[-1].pk, action="file", actor=city["clerk"],
                    category=Category.objects.get(major__kind="event", code="0102"))  # fmt: skip
    case_transition(case_id=inside[0].pk, action="file", actor=city["clerk"],
                    category=Category.objects.get(major__kind="event", code="0104"))  # fmt: skip
    assert campaign_tag_by_rule(campaign=clean_up) == (1, 1)  # the rule follows the subcategory
    assert set(CampaignCase.objects.values_list("case_id", flat=True)) == {inside[1].pk, outside[-1].pk}


def test_it_keeps_the_cases_put_in_or_taken_out_by_hand(city, clean_up):
    kept_out, brought_in = report(), report(IN_C9)
    campaign_tag(campaign=clean_up, case=kept_out.tracking_number, actor=city["clerk"], counted=False)
    campaign_tag(campaign=clean_up, case=brought_in.pk, actor=city["clerk"])
    campaign_tag_by_rule(campaign=clean_up)
    assert dict(CampaignCase.objects.values_list("case_id", "how")) == {
        kept_out.pk: How.EXCLUDED,
        brought_in.pk: How.HAND,
    }
    facts_refresh()
    counted = campaign_figures(campaign=clean_up).figures
    assert counted["reports"] == 1  # the one brought in; the one kept out is not counted


def test_it_refuses_to_tag_a_case_the_person_may_not_see(city, clean_up):
    case = report()
    with pytest.raises(CampaignCaseNotFound):
        campaign_tag(campaign=clean_up, case=case.pk, actor=city["neighbour"])
    with pytest.raises(CampaignCaseNotFound):
        campaign_tag(campaign=clean_up, case="202611189999", actor=city["clerk"])


def test_it_counts_the_campaigns_figures_from_the_rollup_against_its_targets(city, clean_up):
    closed = [walk(report(), city), walk(report(IN_M2, "0103"), city)]
    walk(report(IN_M2), city, upto="handled")
    report()  # reported only
    report(IN_C9)  # not in the campaign
    campaign_tag_by_rule(campaign=clean_up)
    facts_refresh()
    c = campaign_figures(campaign=clean_up, now=NOW + datetime.timedelta(days=1))
    f = c.figures
    assert (f["reports"], f["assessed"], f["handled"], f["closed"]) == (4, 3, 3, 2)
    assert f.percent("closure_rate") == Decimal("66.67")
    assert {(t.target.figure, t.target.category_id is not None): (t.actual, t.met) for t in c.targets} == {
        ("reports", False): (4, True),
        ("closed", False): (2, True),
        ("closed", True): (1, True),
    }
    assert [(k.code, fig["reports"]) for k, fig in c.by_category] == [("0102", 3), ("0103", 1)]
    assert [(g.code, fig["closed"]) for g, fig in c.by_grid] == [("C1", 2)]
    # The same figures as the dashboard's, narrowed to the campaign's cases.
    same = figures(period=c.period, slice=Slice(campaign=clean_up), now=NOW + datetime.timedelta(days=1))
    assert same.counts == f.counts and len(closed) == 2


@pytest.fixture
def worked(city, clean_up):
    walk(report(), city)
    walk(report(IN_M2, "0103"), city)
    report()
    return clean_up


def test_it_shows_the_campaigns_page_with_its_figures_and_exports(client, city, worked):
    client.force_login(city["supervisor"])
    page = client.get(reverse("assessments:campaign", args=[worked.pk])).content.decode()
    assert "全城清洁专项整治" in page and 'id="campaign-found"' in page
    assert 'id="campaign-category"' in page and 'id="campaign-grid"' in page and 'id="campaign-targets"' in page
    found = page.split('id="campaign-found"')[1].split("</article>")[0]
    assert ">3<" in found
    query = f"campaign={worked.pk}&period=custom&start=2026-11-15&end=2026-11-30"
    csv = client.get(f"/assessments/export/campaign-category.csv?{query}").content.decode("utf-8-sig")
    assert "C0102 " not in csv and "E0102,暴露垃圾,2," in csv
    targets = client.get(f"/assessments/export/campaign-targets.xlsx?{query}")
    assert targets.status_code == 200 and targets["Content-Type"].startswith("application/vnd.openxml")
    dashboard = client.get("/assessments/", {**NOVEMBER, "campaign": worked.pk}).content.decode()
    assert "全城清洁专项整治" in dashboard  # the dashboard narrowed to the campaign (its filter)
    api = client.get(f"/api/assessments/campaigns/{worked.pk}/").json()
    assert api["figures"]["counts"]["reports"] == 3 and {t["figure"] for t in api["targets"]} == {"reports", "closed"}


def test_it_keeps_a_campaigns_figures_from_those_who_read_no_figures(client, city, worked):
    client.force_login(city["outsider"])
    assert client.get(reverse("assessments:campaign", args=[worked.pk])).status_code == 403
    assert client.get(reverse("assessments:campaign", args=[999])).status_code == 403  # nothing said of what exists
    assert client.get(f"/api/assessments/campaigns/{worked.pk}/").status_code == 403


def test_it_shows_a_grid_chief_only_their_part_of_a_campaign(client, city, worked):
    walk(report(IN_C9), city)
    campaign_tag(campaign=worked, case=report(IN_C9).pk, actor=city["clerk"])
    client.force_login(city["neighbour"])  # the chief of C9
    api = client.get(f"/api/assessments/campaigns/{worked.pk}/").json()
    assert api["figures"]["counts"]["reports"] == 1
    client.force_login(city["handler"])  # a department: its own cases
    assert client.get(f"/api/assessments/campaigns/{worked.pk}/").json()["figures"]["counts"]["closed"] == 2


def test_it_puts_the_campaigns_in_the_bulletin(client, city, worked):
    campaign_tag_by_rule(campaign=worked)
    facts_refresh()
    data = bulletin_data(period=Period.containing("month", NOW.date()))
    assert [c.campaign.name for c in data.campaigns] == ["全城清洁专项整治"]
    assert data.campaigns[0].figures["closed"] == 2
    client.force_login(city["supervisor"])
    page = client.get("/assessments/bulletin/", NOVEMBER).content.decode()
    assert 'id="bulletin-campaigns"' in page and "全城清洁专项整治" in page
    october = client.get("/assessments/bulletin/", {"period": "month", "day": "2026-10-10"}).content.decode()
    assert "No campaign ran in the period." in october


def test_it_lists_campaigns_and_their_cases_and_lets_the_centre_tag_by_hand(client, city, worked):
    other = report(IN_C9)
    client.force_login(city["dispatcher"])
    listed = client.get("/api/campaigns/").json()
    assert listed[0]["name"] == "全城清洁专项整治" and listed[0]["counted"] == 3 and listed[0]["grids"] == ["C1"]
    response = client.post(f"/api/campaigns/{worked.pk}/cases/", {"case": other.tracking_number},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200 and response.json()["how"] == "hand"
    assert other.tracking_number in {
        c["tracking_number"] for c in client.get(f"/api/campaigns/{worked.pk}/cases/").json()
    }
    page = client.get(reverse("campaigns:cases", args=[worked.pk])).content.decode()
    assert other.tracking_number in page and "Leave this case out" in page
    client.post(reverse("campaigns:tag", args=[worked.pk]), {"case": other.tracking_number, "action": "remove"})
    assert CampaignCase.objects.get(case=other).how == How.EXCLUDED
    assert "全城清洁专项整治" in client.get(reverse("campaigns:index")).content.decode()


def test_it_lets_only_the_centre_tag_by_hand(client, city, worked):
    case = report(IN_C9)
    client.force_login(city["handler"])
    assert (
        client.post(
            f"/api/campaigns/{worked.pk}/cases/", {"case": case.pk}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.post(reverse("campaigns:tag", args=[worked.pk]), {"case": case.pk}).status_code == 403
    client.force_login(city["clerk"])
    missing = client.post(f"/api/campaigns/{worked.pk}/cases/", {"case": "999999"}, content_type="application/json")
    assert missing.status_code == 404
    assert not CampaignCase.objects.filter(case=case).exists()


def test_it_tags_every_recent_campaign_in_the_periodic_job(city, clean_up):
    report()
    assert tag_campaigns.apply().get() == 1
    assert campaigns_tag_by_rule() == 0
