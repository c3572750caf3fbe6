"""axe-core on every page, as an SDR, a manager and the wall: no serious or critical violation.

The list of pages is checked against every URL name first (tests/e2e/axe_world.py), so a page
added later is either visited here or excluded with a reason."""

import pytest

from tests.conftest import login_page
from tests.e2e.axe import allow_axe, axe_violations
from tests.e2e.axe_world import EXCLUDED, PAGES, build_world, page_url, url_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_url_name_is_visited_or_excluded_with_a_reason():
    names = url_names()
    forgotten = names - set(PAGES) - set(EXCLUDED)
    assert not forgotten, f"URL names neither visited by the axe test nor excluded with a reason: {sorted(forgotten)}"
    assert not (set(PAGES) & set(EXCLUDED))
    assert set(PAGES) | set(EXCLUDED) <= names, "a listed URL name no longer exists"


def walk(page, live_server, world, names) -> dict[str, list[str]]:
    allow_axe(page, live_server.url)
    found = {}
    for name in names:
        # goto waits for the load event, and no page loads content after it (only pollers,
        # every second or more): "networkidle" added half a second of waiting to every page.
        page.goto(live_server.url + page_url(name, world))
        violations = axe_violations(page, live_server.url)
        if violations:
            found[name] = violations
    return found


def report(found: dict) -> str:
    return "\n".join(f"{name}: {line}" for name, lines in found.items() for line in lines)


@pytest.mark.parametrize("role", ["sdr", "manager"])
def test_every_page_has_no_serious_accessibility_violation(role, page, live_server, sdr, manager, client):
    world = build_world(sdr, manager)
    login_page(page, live_server, {"sdr": sdr, "manager": manager}[role], client)
    found = walk(page, live_server, world, [n for n in PAGES if n != "login"])
    assert not found, report(found)


def test_the_login_page_and_the_wall_have_no_serious_accessibility_violation(page, live_server, sdr, manager):
    world = build_world(sdr, manager)
    found = walk(page, live_server, world, ["login", "wall"])
    assert not found, report(found)


def test_the_checker_reports_what_it_should(page, live_server):
    """A page with its language and title taken away must fail: axe really ran."""
    allow_axe(page, live_server.url)
    page.goto(live_server.url + "/login/")
    page.evaluate("document.documentElement.removeAttribute('lang'); document.title = ''")
    found = " ".join(axe_violations(page, live_server.url))
    assert "html-has-lang" in found and "document-title" in found
