"""Server-rendered SVG charts: accessible, escaped, proportional, and their data as CSV."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from workflow.calc.charts import (
    Chart,
    Series,
    bar_chart,
    chart_csv,
    chart_table_header,
    chart_table_rows,
    column_chart,
    csv_number,
    format_number,
    shares,
    stacked_share,
)

SVG = "{http://www.w3.org/2000/svg}"
RENDERERS = [bar_chart, column_chart, stacked_share]
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def lead_times(**kwargs) -> Chart:
    defaults = dict(
        slug="ledtid", title="Ledtid per steg", unit="dagar", category_label="Steg",
        description="Median och 90:e percentil i dagar per steg.",
        categories=["Inkommen", "Bedömning", "Beslut"],
        series=[Series("Median", [4, 12.5, None]), Series("90:e percentil", [10, 30, 45])],
        target=Series("Mål", [5, 20, 30]))
    return Chart(**{**defaults, **kwargs})


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element, cls: str = "bar") -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if cls in r.get("class", "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("render", RENDERERS)
def test_svg_is_xml_with_title_and_description_named_by_aria(render):
    root = parse(render(lead_times()))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox").startswith("0 0 ")
    # its natural size, the same as the viewBox: the stylesheet scales an ordinary chart to
    # its column and lets a wide one keep its size and scroll (text never below ~12 px)
    assert [root.get("width"), root.get("height")] == root.get("viewBox").split()[2:]
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Ledtid per steg"
    assert desc.text == "Median och 90:e percentil i dagar per steg."
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert title.get("id") == "ledtid-title" and desc.get("id") == "ledtid-desc"


@pytest.mark.parametrize("render", RENDERERS)
def test_no_scripts_styles_or_event_handlers(render):
    root = parse(render(lead_times()))
    for element in root.iter():
        assert element.tag.removeprefix(SVG) not in {"script", "style", "foreignObject"}
        for name in element.attrib:
            assert name != "style" and not name.startswith("on")
            assert "javascript:" not in element.get(name)


@pytest.mark.parametrize("render", RENDERERS)
def test_labels_are_escaped(render):
    evil = '<script>alert("x")</script> & Co'
    chart = Chart(slug="x", title=f"Titel {evil}", description=f"Om {evil}",
                  categories=[evil, "Lugn & ro"], series=[Series(f"Serie {evil}", [1, 2])],
                  target=Series("Mål & <b>", [1, 1]), unit="<kr>")
    svg = render(chart)
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; Co" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == f"Titel {evil}"
    assert root.find(f"{SVG}desc").text == f"Om {evil}"
    assert not list(root.iter(f"{SVG}script"))
    shown = " ".join(texts(root))
    assert "Lugn & ro" in shown


def test_formatter_output_and_control_characters_are_escaped_too():
    chart = Chart(slug="x", title="Nul\x00l och \x1b", categories=["a\x07b"],
                  series=[Series("S", [1])])
    root = parse(bar_chart(chart, fmt=lambda v: f"<{v}>"))
    assert root.find(f"{SVG}title").text == "Null och "
    assert "<1>" in texts(root) and "ab" in texts(root)


def test_each_chart_has_its_own_ids():
    one = bar_chart(lead_times(slug="ledtid"))
    two = bar_chart(lead_times(slug="ledtid-90"))
    ids = [e.get("id") for svg in (one, two) for e in parse(svg).iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    assert 'id="ledtid-p1"' in one and "url(#ledtid-p1)" in one  # the pattern of series two


def test_slug_is_reduced_to_a_safe_id():
    chart = lead_times(slug='1 "a"><script>')
    assert chart.slug == "c-1-a-script"
    assert parse(bar_chart(chart)).find(f"{SVG}title").get("id") == "c-1-a-script-title"


def test_bar_lengths_are_proportional_to_the_values():
    chart = Chart(slug="tratt", title="Ärenden per läge", categories=["A", "B", "C", "D"],
                  series=[Series("Antal", [10, 20, 40, 0])])
    widths = [float(r.get("width")) for r in bars(parse(bar_chart(chart)))]
    assert len(widths) == 4
    assert widths[1] / widths[0] == pytest.approx(2, rel=0.01)
    assert widths[2] / widths[0] == pytest.approx(4, rel=0.01)
    assert widths[3] == 0
    xs = {r.get("x") for r in bars(parse(bar_chart(chart)))}
    assert len(xs) == 1  # every bar starts at zero


def test_two_series_side_by_side_share_one_scale():
    root = parse(bar_chart(lead_times(target=None)))
    median = [float(r.get("width")) for r in bars(root, "series-0")]
    p90 = [float(r.get("width")) for r in bars(root, "series-1")]
    assert len(median) == 2 and len(p90) == 3  # no bar where there is no data
    assert p90[0] == pytest.approx(10 / 4 * median[0], abs=0.2)
    assert p90[1] == pytest.approx(30 / 12.5 * median[1], abs=0.2)
    # distinguishable without colour: one solid, one patterned
    assert bars(root, "series-0")[0].get("fill").startswith("#")
    assert bars(root, "series-1")[0].get("fill") == "url(#ledtid-p1)"


def test_column_heights_are_proportional_and_share_a_baseline():
    chart = Chart(slug="genom", title="Genomströmning per månad",
                  categories=["jan 2026", "feb 2026", "mar 2026"],
                  series=[Series("Beslutade", [3, 6, 9])])
    columns = bars(parse(column_chart(chart)))
    heights = [float(r.get("height")) for r in columns]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.2)
    assert heights[2] == pytest.approx(3 * heights[0], abs=0.2)
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in columns}
    assert len(bottoms) == 1


def test_values_are_written_out_with_the_formatter():
    chart = Chart(slug="kr", title="Kostnad", categories=["Plan", "Utfall"],
                  series=[Series("Kronor", [1234567, 2500.5])])
    shown = texts(parse(bar_chart(chart)))
    assert "1\u00a0234\u00a0567" in shown and "2\u00a0500,5" in shown
    shown = texts(parse(bar_chart(chart, fmt=lambda v: f"{v:.0f} kr")))
    assert "1234567 kr" in shown


def test_target_is_drawn_as_a_line_and_named_in_the_legend():
    root = parse(bar_chart(lead_times()))
    targets = [e for e in root.iter(f"{SVG}line") if e.get("class") == "chart-target"]
    assert len(targets) == 1 + 3  # legend marker and one per category
    assert "Mål" in texts(root)


@pytest.mark.parametrize("render", RENDERERS)
def test_no_categories_draws_a_message(render):
    chart = Chart(slug="tom", title="Tomt", categories=[], series=[Series("Antal", [])],
                  empty_label="Inga ärenden ännu")
    root = parse(render(chart))
    assert "Inga ärenden ännu" in texts(root)
    assert root.find(f"{SVG}desc").text == "Inga ärenden ännu"
    assert not bars(root)


@pytest.mark.parametrize("render", RENDERERS)
def test_only_missing_values(render):
    chart = Chart(slug="inget", title="Inga värden", categories=["A", "B"],
                  series=[Series("Antal", [None, None])], missing_label="saknas")
    root = parse(render(chart))
    assert not bars(root)
    assert "saknas" in texts(root) or chart.empty_label in texts(root)


def test_none_is_missing_not_zero():
    chart = lead_times()
    root = parse(bar_chart(chart))
    assert "–" in texts(root)
    assert chart_table_rows(chart)[2].cells == ("–", "45", "30")
    assert chart_csv(chart).splitlines()[3] == "Beslut;;45;30"


def test_numbers_from_the_database_and_nan():
    series = Series("S", [Decimal("2.5"), float("nan"), 3])
    assert series.values == (2.5, None, 3)
    with pytest.raises(TypeError):
        Series("S", ["12"])
    with pytest.raises(ValueError):
        Series("S", [float("inf")])


def test_every_series_needs_a_value_per_category():
    with pytest.raises(ValueError):
        Chart(slug="x", title="X", categories=["a", "b"], series=[Series("S", [1])])
    with pytest.raises(ValueError):
        Chart(slug="x", title="X", categories=["a"], series=[Series("S", [1])],
              target=Series("Mål", [1, 2]))


def test_stacked_share_is_split_by_share_with_target_bar():
    chart = Chart(slug="inriktning", title="Inriktning",
                  categories=["Effektivisering, intern", "Effektivisering, extern",
                              "Innovation, intern", "Innovation, extern"],
                  series=[Series("Utfall", [6, 2, 2, 0])],
                  target=Series("Mål", [40, 30, 15, 15]))
    root = parse(stacked_share(chart))
    actual = [r for r in bars(root) if "Utfall" in r.find(f"{SVG}title").text]
    target = [r for r in bars(root) if "Mål" in r.find(f"{SVG}title").text]
    assert len(actual) == 3 and len(target) == 4  # a zero share has no segment
    full = sum(float(r.get("width")) for r in target)
    assert sum(float(r.get("width")) for r in actual) == pytest.approx(full, abs=0.5)
    assert float(actual[0].get("width")) == pytest.approx(0.6 * full, abs=0.3)
    assert {r.get("fill") for r in target} >= {"url(#inriktning-p1)", "url(#inriktning-p2)"}
    legend = " ".join(texts(root))
    assert "Effektivisering, intern: 60\u00a0% / 40\u00a0%" in legend
    assert "Innovation, extern: 0\u00a0% / 15\u00a0%" in legend


def test_shares():
    assert shares([1, 3, None]) == (25.0, 75.0, None)
    assert shares([0, 0]) == (None, None)


def test_csv_round_trips_through_the_csv_module():
    chart = lead_times(categories=["Inkommen; ny", 'Bedömning "snabb"', "Beslut\noch klart"])
    text = chart_csv(chart)
    assert text.splitlines()[0] == "Steg;Median (dagar);90:e percentil (dagar);Mål (dagar)"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows == [
        ["Steg", "Median (dagar)", "90:e percentil (dagar)", "Mål (dagar)"],
        ["Inkommen; ny", "4", "10", "5"],
        ['Bedömning "snabb"', "12,5", "30", "20"],
        ["Beslut\noch klart", "", "45", "30"],
    ]
    assert [r[0] for r in rows[1:]] == list(chart.categories)
    assert rows[0] == chart_table_header(chart)


def test_csv_numbers_use_a_decimal_comma_and_no_grouping():
    assert csv_number(1234567) == "1234567"
    assert csv_number(2.0) == "2"
    assert csv_number(1234.25) == "1234,25"
    assert format_number(1234.5) == "1\u00a0234,5" and format_number(-2000) == "-2\u00a0000"


def test_csv_keeps_formulas_as_text():
    chart = Chart(slug="x", title="X", categories=["=HYPERLINK(\"http://x\")", "-1", "@a"],
                  series=[Series("+S", [-1, 2, 3])])
    rows = list(csv.reader(io.StringIO(chart_csv(chart), newline=""), delimiter=";"))
    assert rows[0] == ["", "'+S"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'-1", "'@a"]
    assert rows[1][1] == "-1"  # numbers stay numbers


def test_table_rows_use_the_charts_formatter():
    chart = lead_times(number_format=lambda v: f"{v:.1f}".replace(".", ","),
                       missing_label="uppgift saknas")
    assert chart_table_header(chart) == [
        "Steg", "Median (dagar)", "90:e percentil (dagar)", "Mål (dagar)"]
    rows = chart_table_rows(chart)
    assert rows[0].label == "Inkommen" and rows[0].cells == ("4,0", "10,0", "5,0")
    assert rows[2].cells[0] == "uppgift saknas"
    assert chart.table_rows() == rows


def render_macro(chart: Chart, svg: str, csv_url: str | None) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      extensions=["jinja2.ext.do"])
    env.globals["_"] = lambda text, **kw: text % kw if kw else text
    macro = env.get_template("_charts.html").module.chart_figure
    return str(macro(chart, svg, csv_url))


def test_figure_macro_has_svg_table_and_download():
    chart = lead_times(title="Ledtid <i>per</i> steg")
    svg = bar_chart(chart)
    html = render_macro(chart, svg, "/rapporter/ledtid.csv")
    assert svg in html  # our own escaped markup, not escaped twice
    assert "Ledtid <i>" not in html.replace(svg, "")
    root = ET.fromstring(html)
    assert root.tag == "figure"
    assert "Ledtid &lt;i&gt;" in html and root.find("figcaption") is not None
    table = root.find(".//table")
    assert table.find("caption") is not None
    assert [th.get("scope") for th in table.iter("th")] == ["col"] * 4 + ["row"] * 3
    assert [td.text for td in table.find("tbody").find("tr").iter("td")] == ["4", "10", "5"]
    link = root.find(".//a")
    assert link.get("href") == "/rapporter/ledtid.csv" and link.get("download") == "ledtid.csv"
    assert link.text == "Ladda ned som CSV"


def test_figure_macro_without_data_or_download():
    chart = Chart(slug="tom", title="Tomt", categories=[], series=[Series("Antal", [])])
    html = render_macro(chart, bar_chart(chart), None)
    root = ET.fromstring(html)
    assert root.find(".//table") is None and root.find(".//a") is None
    assert chart.empty_label in html
