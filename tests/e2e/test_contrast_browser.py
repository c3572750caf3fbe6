"""Status badges as the browser draws them: each carries a word and meets 4.5:1 against what is behind it."""

import pytest

from campaigns.models import Operation
from tests.conftest import login_page, screenshot
from tests.lifecycle_support import campaign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The badge's computed text colour against the first opaque background behind it, by WCAG's formula.
BADGE_CONTRAST = """
() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const ground = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(".badge")].map((el) => {
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(ground(el));
    return {cls: el.className, text: el.innerText.trim(), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}
"""


def _badges_pass(page):
    badges = page.evaluate(BADGE_CONTRAST)
    assert badges
    for badge in badges:
        assert badge["text"], f"{badge['cls']} has no word"
        assert badge["ratio"] >= 4.5, f"{badge['cls']} ({badge['text']}) is {badge['ratio']:.2f}:1"
    return badges


def test_every_operation_status_badge_reads_as_a_word_with_aa_contrast(page, live_server, manager, client):
    for status, _ in Operation.Status.choices:
        Operation.objects.create(kind="suppress", status=status, payload={"emails": ["a@x.io"]})
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/operations/?view=all")
    badges = _badges_pass(page)
    assert {b["text"] for b in badges} >= {"Queued", "Retrying", "Succeeded", "Failed", "Cancelled"}
    # Every column has a name for a screen reader, the actions column too.
    assert all(t.strip() for t in page.locator("thead th").all_text_contents())
    assert page.csp_violations == []
    screenshot(page, "contrast-operation-badges")


def test_every_campaign_status_badge_reads_as_a_word_with_aa_contrast(page, live_server, sdr, manager, client):
    for i, status in enumerate(["draft", "in_review", "approved", "running", "paused", "launch_failed", "archived"]):
        campaign_in(status, owner=sdr, approver=manager, name=f"Campaign {i} {status}")
    login_page(page, live_server, manager, client)
    page.goto(live_server.url + "/campaigns/")
    badges = _badges_pass(page)
    assert len(badges) >= 6
    assert page.csp_violations == []
    screenshot(page, "contrast-campaign-badges")
