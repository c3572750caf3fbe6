"""Screenshots for the README's five-minute tour: browser tests write them to docs/tour/, so the
pictures in the README are the ones the latest run drew (commit them with the change)."""

from pathlib import Path

TOUR = Path(__file__).resolve().parent.parent.parent / "docs" / "tour"


def tour_shot(page, name: str, *, full_page: bool = True) -> Path:
    TOUR.mkdir(parents=True, exist_ok=True)
    path = TOUR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
