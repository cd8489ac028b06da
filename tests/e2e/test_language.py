"""Journey 7: the whole interface in English after switching language, and in Chinese before:
no interface string left in the other language on the pages each role uses."""

from playwright.sync_api import expect

from tests.e2e.language import Leftovers, data_strings
from tests.e2e.steps import advance_case, seed_cases, seed_citizen_report

# Who looks at what: every page of the product a role reaches from its home page.
PAGES = [
    (None, ["/login/", "/citizen/", "/citizen/track/", "/citizen/track/{citizen}/"]),
    ("dispatcher", ["/", "/cases/", "/cases/wall/", "/cases/?status=dispatched", "/cases/{dispatched}/", "/cases/{filed}/",
                    "/cases/new/", "/cases/new/?asset={asset}", "/grids/map/", "/account/", "/account/otp/enrol/",
                    "/devices/alerts/", "/campaigns/{campaign}/cases/", "/cases/{asset_case}/", "/exchange/",
                    "/exchange/?tab=failed", "/exchange/?tab=sent", "/cases/map/"]),
    ("shiftlead", ["/", "/cases/inbox/", "/cases/approvals/", "/assessments/bulletin/issues/"]),
    ("chief_micro", ["/", "/cases/approvals/", "/cases/{pending_approval}/"]),
    ("handler", ["/", "/cases/work/"]),
    ("inspector", ["/", "/cases/tasks/", "/assets/{asset}/"]),
    ("supervisor", ["/", "/assessments/", "/assessments/bulletin/", "/cases/", "/assets/", "/assets/{asset}/",
                    "/assets/censuses/{census}/", "/devices/", "/devices/{device}/", "/campaigns/",
                    "/assessments/campaigns/{campaign}/", "/assessments/posts/inspector/",
                    "/assessments/allocation/"]),
    ("shop_chief", ["/", "/cases/mine/"]),
    ("town_operator", ["/", "/cases/"]),
    ("sysadmin", ["/", "/exchange/"]),
    ("secadmin", ["/"]),
    ("auditadmin", ["/", "/audit/"]),
]  # fmt: skip


def visit_all(cast, page, cases: dict, leftovers: Leftovers, language: str) -> list[str]:
    found = []
    for username, paths in PAGES:
        if username:
            cast.sign_in(page, username)
        for path in paths:
            page.goto(path.format(**cases))
            if page.locator(".leaflet-container").count():
                page.wait_for_load_state("networkidle")  # what the map pages' scripts draw, too
            expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-Hans")
            found += [f"{username or 'anonymous'} {path}: {text}" for text in leftovers.on(page, language)]
        if username:
            page.locator("form.logout button").click()
            expect(page).to_have_url(cast.site.url + "/login/")
    return found


def test_it_shows_every_page_in_one_language_before_and_after_switching(cast, site, demo):
    points = demo["points"]
    statuses = ["filed", "pending_approval", "dispatched", "checking"]
    seeded = seed_cases(
        site, [{"point": points[12 + n], "upto": status, "address": "兴隆路 5 号"} for n, status in enumerate(statuses)]
    )
    cases = {status: case["id"] for status, case in zip(statuses, seeded, strict=True)}
    citizen = seed_citizen_report(site, point=points[16], description="路口垃圾桶满了")
    advance_case(site, citizen["case_id"], upto="dispatched")
    cases["citizen"] = citizen["code"]
    cases.update(
        site.shell(
            "from assets.models import Asset, Census\n"
            "from campaigns.models import Campaign\n"
            "from cases.models import Case\n"
            "from devices.models import Device\n"
            "result = {'asset': Asset.objects.filter(findings__isnull=False).order_by('code').first().pk,\n"
            "          'census': Census.objects.get().pk, 'campaign': Campaign.objects.get().pk,\n"
            "          'device': Device.objects.order_by('code').first().pk,\n"
            "          'asset_case': Case.objects.filter(asset__isnull=False).order_by('pk').first().pk}"
        )
    )
    leftovers = Leftovers(data_strings(site))
    page = cast.open()

    in_chinese = visit_all(cast, page, cases, leftovers, "zh")
    assert not in_chinese, "English left on the Chinese pages:\n" + "\n".join(in_chinese)

    # The switch in the top bar, on the login page: the choice lasts across logins.
    page.goto("/login/")
    with page.expect_navigation():
        page.locator("form.lang-switch button[lang=en]").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    in_english = visit_all(cast, page, cases, leftovers, "en")
    assert not in_english, "Chinese left on the English pages:\n" + "\n".join(in_english)

    cast.sign_in(page, "dispatcher")
    page.goto(f"/cases/{cases['dispatched']}/")
    expect(page.locator("h1.case-title .status")).to_have_text("Dispatched")
    cast.screenshot(page)
