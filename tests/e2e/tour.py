"""Screenshots for the README's five-minute tour.

Browser tests draw them on every run into test-artifacts/tour/; with TOUR=1 (`make tour`) they
are drawn into docs/tour/, the pictures the README shows, to be committed with a page's change.
A plain `make test` therefore leaves the committed pictures alone.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TOUR = ROOT / ("docs" if os.environ.get("TOUR") == "1" else "test-artifacts") / "tour"


def tour_shot(page, name: str, *, full_page: bool = True) -> Path:
    TOUR.mkdir(parents=True, exist_ok=True)
    path = TOUR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
