"""Every control on the busiest pages is reached with Tab, and shows where the focus is."""

import pytest

from tests.conftest import login_page
from tests.e2e.axe_world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(full_browser):
    """Tab order is the desktop browser's: it skips a sandboxed iframe with nothing to focus (the
    campaign preview), where the headless shell moves the focus into the frame."""
    return full_browser


CONTROLS = """
() => [...document.querySelectorAll(
  "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
  "textarea:not([disabled]), summary, [role=button], [hx-get]:is(a, button, tr, td, th, span, li)"
)].filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
  .map((el) => { el.dataset.kbdId = el.dataset.kbdId || Math.random().toString(36).slice(2); return el.dataset.kbdId; })
"""

# Where the focus is and whether it can be seen: an outline or a ring drawn with box-shadow.
FOCUSED = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const visible = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
  return {id: el.dataset.kbdId || "", tag: el.tagName + "." + el.className, visible};
}
"""


def tab_through(page, limit=200):
    seen, unseen_focus, last = set(), [], None
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            break
        if focused["id"] == last:  # a date input: Tab walks its day, month and year first
            continue
        if focused["id"] in seen:
            break
        last = focused["id"]
        seen.add(focused["id"])
        if not focused["visible"]:
            unseen_focus.append(focused["tag"])
    return seen, unseen_focus


def problems_on(page) -> list[str]:
    """Controls Tab never reaches, and focus that cannot be seen, on the page open in `page`."""
    page.wait_for_load_state("load")  # nothing is fetched after it but the pollers
    # The desk's forms sit in disclosures: open them all, so their controls are checked too.
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    controls = set(page.evaluate(CONTROLS))
    reached, unseen_focus = tab_through(page)
    found = [f"focus not visible on {tag}" for tag in unseen_focus]
    described = page.evaluate(
        "(ids) => ids.map((id) => { const el = document.querySelector(`[data-kbd-id='${id}']`);"
        " return el ? el.outerHTML.slice(0, 120) : id; })",
        sorted(controls - reached),
    )
    return found + [f"not reachable with Tab: {html}" for html in described]


def test_every_control_is_reached_by_tab_with_a_visible_focus(page, live_server, sdr, manager, client):
    """One walk over the pages (one world, one desktop browser on one worker), every page reported."""
    world = build_world(sdr, manager)
    urls = {
        "campaign_list": "/campaigns/",
        "running": f"/campaigns/{world['running'].pk}/",
        "operations": "/operations/",
        "replies": "/replies/",
        "pools": "/pools/",
        "desk": "/desk/",
        "thread": f"/sdr/threads/{world['thread']}/",
    }
    login_page(page, live_server, manager, client)
    found = {}
    for where, url in urls.items():
        page.goto(live_server.url + url)
        found[where] = problems_on(page)
    assert not any(found.values()), "\n".join(f"{where}: {line}" for where, lines in found.items() for line in lines)
