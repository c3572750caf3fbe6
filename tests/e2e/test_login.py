import pytest

from tests.conftest import login_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_demo_user_logs_in_and_sees_the_empty_campaign_list(page, live_server, sdr):
    page.goto(live_server.url + "/campaigns/")
    assert "/login/" in page.url
    screenshot(page, "login")
    page.fill("input[name=username]", "sdr")
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url("**/campaigns/")
    assert page.locator("text=No campaigns yet").is_visible()
    screenshot(page, "campaigns-empty")


def test_a_wrong_password_says_so(page, live_server, sdr):
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "sdr")
    page.fill("input[name=password]", "nope")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").is_visible()


def test_logged_in_navigation_shows_the_role(page, live_server, manager, client):
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/campaigns/")
    assert page.locator(".nav__user").inner_text().startswith("manager")
