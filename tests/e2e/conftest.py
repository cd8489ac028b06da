"""Fixtures of the browser journeys: the application served for real (once per run), the
department's webhook endpoint, Chromium, and `cast`: the people of one journey, each in a
browser context of their own, watched for console errors and failed requests.

Run with `make e2e` (tests/conftest.py leaves this folder out of `make test`).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.site import ROOT, Site
from tests.e2e.steps import MAP_HOOK, county
from tests.e2e.webhook import WebhookReceiver

PASSWORD = "demo-2026"  # seed_demo's
WEBHOOK_SECRET = "e2e-webhook-secret-0123456789abcdef"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or ROOT / "e2e-artifacts")
# Headless, and nothing that tries to reach the (closed) network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps"]  # fmt: skip
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = "Pixel 7"  # 412 × 839 CSS pixels, touch, a mobile Chrome
TIMEOUT_MS = 15_000

CSP_HOOK = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__e2eCspViolation(event.effectiveDirective + " blocked " + (event.blockedURI || "inline code") +
    " in " + event.documentURI + (event.sourceFile ? " (" + event.sourceFile + ":" + event.lineNumber + ")" : ""));
}, true);
"""

expect.set_options(timeout=TIMEOUT_MS)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session", autouse=True)
def artifacts() -> Path:
    """The screenshots and logs of this run only."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.log")]:
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def webhook():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def site(webhook, artifacts) -> Site:
    site = Site()
    try:
        site.start()
        # The handler's department (环卫 sanitation) is told of its dispatches by webhook.
        site.shell(
            "from cases.models import Department\n"
            "result = Department.objects.filter(code='sanitation').update(webhook_url=url, webhook_secret=secret)",
            url=webhook.url,
            secret=WEBHOOK_SECRET,
        )
        yield site
    finally:
        logs = {name: site.log(name) for name in ("server", "worker")}
        for name, text in logs.items():  # for whoever reads a failed CI run
            (artifacts / f"{name}.log").write_text(text)
        site.stop()
    # An exception the browser could not see (a task that failed in the worker) fails the run too.
    crashed = [name for name, text in logs.items() if "Traceback (most recent call last)" in text]
    assert not crashed, f"Tracebacks in the {' and '.join(crashed)} log: see {artifacts}"


@pytest.fixture(scope="session")
def demo(site) -> dict:
    """chief_micro's micro grid in the demo county, with points inside it (steps.county)."""
    return county(site)


@pytest.fixture(scope="session")
def playwright_session():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session) -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make e2e` (it installs it) or set E2E_CHROMIUM.")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Cast:
    """The people of one journey. Each `login` opens a new browser context (another person at
    another computer or phone). Every console error, uncaught script error, Content-Security-
    Policy violation, failed request and HTTP error the journey did not announce with `allow`
    fails the test."""

    def __init__(self, *, browser: Browser, devices: dict, site: Site, name: str) -> None:
        self.browser, self.devices, self.site, self.name = browser, devices, site, name
        self.contexts: list[tuple[str, BrowserContext]] = []
        self.problems: list[str] = []
        self.allowed: list[tuple[int, str]] = []
        self.shots: list[Path] = []

    # ---- people ------------------------------------------------------------------

    def open(self, who: str = "guest", *, phone: bool = False, position: dict | None = None) -> Page:
        """A fresh browser (desktop, or a phone) on the site, nobody logged in. `position`
        ({"lon", "lat"}): where the device's location service says it is, permission given."""
        options = dict(self.devices[PHONE]) if phone else dict(DESKTOP)
        if position is not None:
            options.update(
                geolocation={"longitude": position["lon"], "latitude": position["lat"], "accuracy": 10},
                permissions=["geolocation"],
            )
        context = self.browser.new_context(
            base_url=self.site.url, locale="zh-CN", timezone_id="Asia/Shanghai", **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(MAP_HOOK)
        self._watch(context, who)
        self.contexts.append((who, context))
        return context.new_page()

    def login(self, username: str, *, phone: bool = False) -> Page:
        page = self.open(username, phone=phone)
        self.sign_in(page, username)
        return page

    @staticmethod
    def sign_in(page: Page, username: str) -> None:
        """Log in on the login page, in the browser `page` belongs to."""
        page.goto("/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/$"))

    def allow(self, status: int, url_part: str) -> None:
        """The journey expects an answer `status` from a URL containing `url_part`."""
        self.allowed.append((status, url_part))

    # ---- watching ------------------------------------------------------------------

    def _watch(self, context: BrowserContext, who: str) -> None:
        def on_console(message) -> None:
            # A 4xx/5xx resource also logs "Failed to load resource: the server responded with
            # a status of …": the response check below decides about those.
            if message.type == "error" and "the server responded with a status of" not in message.text:
                where = message.location.get("url", "") if message.location else ""
                self.problems.append(f"[{who}] console error: {message.text} ({where})")

        def on_response(response: Response) -> None:
            if response.status >= 400 and not any(
                response.status == status and part in response.url for status, part in self.allowed
            ):
                self.problems.append(f"[{who}] HTTP {response.status}: {response.request.method} {response.url}")

        def on_failed(request) -> None:
            # ERR_ABORTED is the browser dropping a request itself: a fetch still running when the
            # page navigates on, or a navigation that turned into a download. Not a failure.
            if "ERR_ABORTED" not in (request.failure or ""):
                self.problems.append(f"[{who}] request failed: {request.method} {request.url}: {request.failure}")

        def on_csp_violation(_source, text: str) -> None:
            self.problems.append(f"[{who}] Content-Security-Policy violation: {text}")

        # The browser also logs a refused script or style as a console error; this names the
        # directive and what it blocked, for every frame, even where nothing is logged.
        context.expose_binding("__e2eCspViolation", on_csp_violation)
        context.add_init_script(CSP_HOOK)
        context.on("console", on_console)
        context.on("weberror", lambda error: self.problems.append(f"[{who}] script error: {error.error}"))
        context.on("response", on_response)
        context.on("requestfailed", on_failed)

    # ---- artifacts ------------------------------------------------------------------

    def screenshot(self, page: Page, suffix: str = "", *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}{suffix}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.shots.append(path)
        return path

    def close(self, *, failed: bool) -> None:
        for who, context in self.contexts:
            if failed:
                for number, page in enumerate(context.pages, 1):
                    with contextlib.suppress(PlaywrightError):  # a crashed page: nothing to keep
                        self.screenshot(page, f"--failed-{who}-{number}")
            context.close()


@pytest.fixture
def cast(request, browser, playwright_session, site) -> Cast:
    name = re.sub(r"[^\w-]+", "-", request.node.name).strip("-")
    cast = Cast(browser=browser, devices=playwright_session.devices, site=site, name=name)
    yield cast
    report = getattr(request.node, "report_call", None)
    failed = report is None or report.failed
    cast.close(failed=failed)
    if not failed:
        assert cast.shots, "A journey ends with cast.screenshot(page) of its last page."
    assert not cast.problems, "The browser saw errors:\n" + "\n".join(cast.problems)
