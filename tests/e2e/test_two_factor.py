"""Journey 9: the security administrator makes a shift leader's account in the admin; at the
first login the shift leader must choose a new password, then sets up two-factor login (the
QR code's key read off the page, the codes computed here as an authenticator app would) and
logs in again with a code from the "app", and once with a recovery code. The admin's pages,
its grid map widget and the API documentation run under the Content-Security-Policy."""

import re
import time

from playwright.sync_api import Page, expect

from tests.totp import key_from_secret, totp

GIVEN = "Given-by-admin-2026"
CHOSEN = "Night-shift-2026!"


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()


def log_out(page: Page) -> None:
    page.locator("form.logout button").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_it_makes_a_new_shift_leader_change_the_password_and_log_in_with_a_second_factor(cast, site):
    # The security administrator creates the account in the admin and gives it its role.
    secadmin = cast.login("secadmin")
    secadmin.goto("/admin/auth/user/add/")
    secadmin.locator("#id_username").fill("nightlead")
    secadmin.locator("#id_password1").fill(GIVEN)
    secadmin.locator("#id_password2").fill(GIVEN)
    secadmin.locator("input[name=_save]").click()
    expect(secadmin.locator("#id_groups_from")).to_be_visible()  # the admin's own scripts ran
    secadmin.locator("#id_groups_from").select_option(label="shift_leader")
    secadmin.locator("#id_groups_add").click()
    secadmin.locator("input[name=_save]").click()
    expect(secadmin.locator(".messagelist")).to_contain_text("nightlead")

    # First login: the password was set by an administrator, so it is changed before anything else.
    lead = cast.open("nightlead")
    log_in(lead, "nightlead", GIVEN)
    expect(lead).to_have_url(re.compile(r"/account/password/$"))
    expect(lead.locator("#password-reason")).to_contain_text("您的密码由管理员设置")
    lead.goto("/cases/")
    expect(lead).to_have_url(re.compile(r"/account/password/$"))
    lead.locator("#id_old_password").fill(GIVEN)
    lead.locator("#id_new_password1").fill(CHOSEN)
    lead.locator("#id_new_password2").fill(CHOSEN)
    lead.get_by_role("button", name="修改我的密码").click()
    expect(lead).to_have_url(re.compile(r"/$"))  # where the login was going
    expect(lead.locator(".messages")).to_contain_text("密码已修改")

    # Two-factor login, from "My account": scan (here: read) the key, confirm with a first code.
    lead.locator("a.who-name").click()
    expect(lead).to_have_url(re.compile(r"/account/$"))
    lead.get_by_role("link", name="设置两步验证").click()
    expect(lead.locator(".otp-qr svg")).to_be_visible()
    key = key_from_secret(lead.locator("#otp-secret").inner_text())
    cast.screenshot(lead, "--enrol")
    lead.locator("#id_code").fill(totp(key))
    lead.get_by_role("button", name="确认").click()
    codes = lead.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    lead.locator("#codes-continue").click()
    expect(lead.locator("#otp-status")).to_contain_text("已开启")
    cast.screenshot(lead, "--account")
    log_out(lead)

    # The next login asks for the code the app shows (the next 30-second step's: a code
    # already used is refused, one step ahead is still accepted).
    log_in(lead, "nightlead", CHOSEN)
    expect(lead).to_have_url(re.compile(r"/account/otp/verify/$"))
    lead.locator("#id_code").fill(totp(key, at=time.time() + 30))
    lead.get_by_role("button", name="验证").click()
    expect(lead).to_have_url(re.compile(r"/$"))
    expect(lead.locator("h1")).to_contain_text("您好，nightlead")

    # The API documentation (Swagger UI from local files) works under the policy.
    lead.goto("/api/docs/")
    expect(lead.locator(".swagger-ui .info")).to_be_visible()
    lead.goto("/")
    log_out(lead)

    # Without the phone: a recovery code, once.
    log_in(lead, "nightlead", CHOSEN)
    lead.locator("#id_code").fill(codes[0])
    lead.get_by_role("button", name="验证").click()
    expect(lead.locator(".messages")).to_contain_text("您使用恢复码登录，还剩 9 个")

    # The security administrator sees who uses two-factor login (never the key), and the audit
    # administrator reads every step of it in the log.
    secadmin.goto("/admin/accounts/twofactordevice/")
    expect(secadmin.locator("#result_list")).to_contain_text("nightlead")
    auditor = cast.login("auditadmin")
    auditor.goto("/audit/?user=nightlead")
    log = auditor.locator(".audit-table")
    for action in ("auth.password_changed", "auth.otp_enrolled", "auth.otp_verified", "auth.otp_recovery_code_used"):
        expect(log).to_contain_text(action)

    # The system administrator's grid page in the admin: the map widget's script has its nonce.
    sysadmin = cast.login("sysadmin")
    sysadmin.goto("/admin/grids/grid/")
    sysadmin.locator("#result_list tbody a").first.click()
    expect(sysadmin.locator(".leaflet-container").first).to_be_visible()
    cast.screenshot(lead)
