"""In the browser: the lockout message, and logging out forgets the editor's draft backups.
(The `page` fixture fails any test whose pages report a CSP violation.)"""

import pytest

from tests.conftest import login_page, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_five_wrong_passwords_show_the_lockout_message(page, live_server, sdr):
    page.goto(live_server.url + "/login/")
    for _ in range(5):
        page.fill("input[name=username]", "sdr")
        page.fill("input[name=password]", "nope")
        page.click("button[type=submit]")
        page.wait_for_selector("[role=alert]")
    alert = page.locator("[role=alert]").inner_text()
    assert "Too many failed sign-ins for this account or address; try again in 15 minutes" in alert
    page.fill("input[name=username]", "sdr")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    assert "/login/" in page.url and "Too many failed sign-ins" in page.locator("[role=alert]").inner_text()


def test_logging_out_forgets_the_editors_draft_backups_only(page, live_server, sdr, client):
    login_page(page, live_server, sdr, client)
    page.goto(live_server.url + "/campaigns/")
    page.evaluate(
        """() => {
        localStorage.setItem("leadterra-editor:/campaigns/1/edit/save/", "{}");
        localStorage.setItem("leadterra-editor:/campaigns/2/edit/save/", "{}");
        localStorage.setItem("someone-elses-key", "kept");
    }"""
    )
    page.click("text=Log out")
    page.wait_for_url("**/login/")
    keys = page.evaluate("() => Object.keys(localStorage)")
    assert keys == ["someone-elses-key"]


def test_the_page_fixture_catches_a_policy_violation(page, live_server):
    """Guards the guard: an inline script added to one of our pages is blocked and reported."""
    page.goto(live_server.url + "/login/")
    page.evaluate(
        """() => {
        const s = document.createElement("script");
        s.textContent = "window.ran = true";
        document.body.appendChild(s);
    }"""
    )
    assert page.evaluate("() => window.ran === undefined")

    def reported():  # evaluate() lets Playwright deliver the binding's calls and console events
        return page.evaluate("() => 1") and any("script-src" in v for v in page.csp_violations)

    wait_until(reported, timeout=5, message="the CSP violation report")
    page.csp_violations.clear()  # expected here; any other test fails on one
