"""Every text colour in the stylesheet meets WCAG AA (4.5:1) against the background it is drawn on.

The ratios are computed from app.css itself, so a colour changed there is checked here: each rule that
sets both a colour and an opaque background, and each status colour against its soft tint and the page.
"""

import re
from pathlib import Path

import pytest

CSS = re.sub(r"/\*.*?\*/", "", (Path(__file__).resolve().parents[2] / "static/css/app.css").read_text(), flags=re.S)
VARIABLES = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?)\b", CSS))
STATUS_COLOURS = ("ok", "warn", "danger", "info", "orange", "grey")
AA = 4.5


def _channels(hex_colour):
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]


def _luminance(hex_colour):
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in _channels(hex_colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _resolve(value):
    """A hex colour for `#abc` or `var(--name)`; None for anything else (rgba, gradients, keywords)."""
    value = value.strip()
    if m := re.fullmatch(r"var\(--([\w-]+)\)", value):
        return VARIABLES.get(m.group(1))
    return value if re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", value) else None


def _rule_pairs():
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", CSS):
        decl = {k.strip(): v.strip() for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body)}
        background = _resolve(decl.get("background") or decl.get("background-color") or "")
        colour = _resolve(decl.get("color", ""))
        if background and colour:
            yield " ".join(selector.split()), colour, background


RULE_PAIRS = list(_rule_pairs())


def test_the_formula_matches_the_published_reference_values():
    # WCAG's own extremes and the ratio the issue measured for the old green badge.
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#777777") == pytest.approx(1.0)
    assert contrast("#1f8a4c", "#e3f4ea") == pytest.approx(3.83, abs=0.01)


def test_the_parser_finds_the_badges_and_the_status_variables():
    selectors = " ".join(s for s, _, _ in RULE_PAIRS)
    for name in ("badge--running", "badge--paused", "badge--queued", "badge--failed", "badge--approved"):
        assert name in selectors
    for name in STATUS_COLOURS:
        assert name in VARIABLES and f"{name}-soft" in VARIABLES


@pytest.mark.parametrize(("selector", "colour", "background"), RULE_PAIRS, ids=[p[0][:60] for p in RULE_PAIRS])
def test_every_rule_with_a_colour_and_a_background_meets_aa(selector, colour, background):
    ratio = contrast(colour, background)
    assert ratio >= AA, f"{selector}: {colour} on {background} is {ratio:.2f}:1, under {AA}:1"


@pytest.mark.parametrize("name", STATUS_COLOURS)
@pytest.mark.parametrize("ground", ["{name}-soft", "surface", "bg", "surface-2"])
def test_each_status_colour_reads_on_its_tint_and_on_the_page(name, ground):
    background = VARIABLES[ground.format(name=name)]
    ratio = contrast(VARIABLES[name], background)
    assert ratio >= AA, f"--{name} on {background} is {ratio:.2f}:1"
