"""axe-core in a browser test: injected from a file vendored for tests only (tests/e2e/vendor/,
axe-core 4.14.1 from the npm registry, MPL-2.0; its licence sits next to it).

The script is served to the page from a made-up same-origin URL (Playwright answers the request),
so `page.add_script_tag` loads it as an ordinary 'self' script and the page's strict CSP stays on.
"""

from pathlib import Path

AXE_FILE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
AXE_PATH = "/__tests__/axe.min.js"  # no view answers this: Playwright fulfils it from AXE_FILE

# Serious and critical violations (plus three lesser ones the product once had: headings out of
# order, a table header with no name, a page without an h1), one line each with the first few
# offending nodes. Frames are not entered: the only iframes are sandboxed email previews.
RUN = """
async () => {
  const ALSO = ["heading-order", "empty-table-header", "page-has-heading-one"];
  const result = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical" || ALSO.includes(v.id))
    .map((v) => `${v.impact} ${v.id}: ${v.help} -> ` +
      v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " " + (n.failureSummary || "").split("\\n")[1]).join(" | "));
}
"""


def allow_axe(page, base_url: str) -> None:
    """Once per page/context: answer the made-up URL with the vendored file."""
    page.route(base_url + AXE_PATH, lambda route: route.fulfill(path=str(AXE_FILE), content_type="text/javascript"))


def axe_violations(page, base_url: str) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=base_url + AXE_PATH)
    return page.evaluate(RUN)
