"""The SVG chart helpers: valid, labelled, escaped, scaled."""

import xml.etree.ElementTree as ET

import pytest

from campaigns.charts import bar_chart, bar_scale, bar_top, downsample, sparkline

NS = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(str(svg))


def test_a_sparkline_is_a_labelled_svg_polyline():
    root = parse(sparkline([1, 5, 3], label="Remaining <today>"))
    assert root.get("role") == "img" and root.get("aria-label") == "Remaining <today>"
    points = root.find(f"{NS}polyline").get("points").split()
    assert len(points) == 3 and points[0].startswith("0,") and points[-1].startswith("120,")


def test_a_sparkline_with_one_or_no_values_still_renders():
    # One value still draws a line across the whole width, level at that value.
    (left, right) = parse(sparkline([4])).find(f"{NS}polyline").get("points").split()
    assert left.startswith("0,") and right.startswith("120,") and left.split(",")[1] == right.split(",")[1]
    assert "chart--empty" in parse(sparkline([])).get("class")


def test_a_sparkline_with_a_fixed_top_puts_the_top_value_at_the_top():
    root = parse(sparkline([0, 100], top=100, height=28, area=False))
    points = root.find(f"{NS}polyline").get("points").split()
    assert points[0].endswith(",26") and points[1].endswith(",2")


def test_bars_stack_and_draw_limits_with_tooltips():
    root = parse(bar_chart([[3, 2], [0, 0], [5, 1]], limits=[6, 6, None], titles=["a", "b", "c & d"]))
    rects = root.findall(f".//{NS}rect")
    assert len(rects) == 4  # zero values draw nothing
    assert len(root.findall(f"{NS}line")) == 2
    assert [t.text for t in root.iter(f"{NS}title")][-1] == "c & d"


def test_downsampling_keeps_the_peaks():
    assert downsample([1, 9, 1, 1, 1, 7], 3) == [9, 1, 7]
    assert downsample([1, 2], 10) == [1, 2]


def test_a_bar_chart_scale_names_its_top_middle_and_zero():
    top = bar_top([[100, 50], [200, 0]], limits=[180, None])
    assert top == pytest.approx(210)
    html = str(bar_scale(top))
    assert [s.split("</span>")[0] for s in html.split("<span>")[1:]] == ["210", "105", "0"]
