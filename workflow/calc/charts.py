"""Server-rendered, accessible SVG charts with their data as a table and as CSV, pure Python.

A :class:`Chart` holds already translated texts (title, description, unit, series names) and
the numbers; the renderers turn it into SVG markup:

* :func:`bar_chart`: horizontal bars, one group per category, one bar per series (for a
  funnel by state, lead time per stage as median and 90th percentile, planned vs realised);
* :func:`column_chart`: vertical columns per category (throughput per month);
* :func:`stacked_share`: one 100 % bar per series (and one for the target), split into the
  categories (the direction balance: actual shares against target shares).

Every SVG has ``role="img"``, a ``<title>`` and a ``<desc>`` named by ``aria-labelledby``, a
viewBox with its natural size as width and height (the stylesheet scales an ordinary chart to
its column; a wide one keeps its size and scrolls in its region, so text stays legible), no
scripts and no ``style``
attributes (the content-security policy has no 'unsafe-inline'; presentation attributes are
fine). Text is dark on white; series and categories differ by pattern as well as colour and
every value is written out. All text passes through :func:`_xml` (escaped, control characters
dropped), so the markup may be marked safe in a template.

:func:`chart_table_header` / :func:`chart_table_rows` give the same data for an HTML table
and :func:`chart_csv` as semicolon-separated text (decimal comma, opens in a Swedish Excel).
Numbers are written by a formatter (``Chart.number_format`` unless one is passed in), so the
caller can use Flask-Babel's ``format_decimal`` for Swedish thousands.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

Number = int | float
Formatter = Callable[[Number], str]

WIDTH = 640
MARGIN = 8
FONT = 13  # category labels, legend
SMALL = 12  # value and tick labels
LINE = 16  # line height of wrapped labels
CHAR = 0.6  # estimated glyph width in em (generous for a sans-serif)
INK = "#1b1b1b"
MUTED = "#4a4a4a"
GRID = "#c8c8c8"
WHITE = "#ffffff"
# (pattern, colour): every colour has at least 5:1 contrast against white, and the patterns
# tell the series apart in grey scale and for colour-blind readers; every bar has a dark outline.
STYLES: tuple[tuple[str, str], ...] = (
    ("solid", "#0b4f8a"),
    ("hatch", "#a04000"),
    ("dots", "#1d6b2f"),
    ("cross", "#6b2c91"),
    ("hlines", "#4a4a4a"),
)
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_SPACE = re.compile(r"[ \t\r\n]+")  # not the no-break space: "12 %" stays on one line


def format_number(value: Number, decimals: int = 1) -> str:
    """Swedish style without Babel: ``1 234,5`` (no-break space between thousands)."""
    rounded = round(float(value), decimals)
    text = f"{int(rounded):,}" if rounded == int(rounded) else f"{rounded:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def csv_number(value: Number) -> str:
    """For spreadsheets: decimal comma, no thousands separator, no needless decimals."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{float(value):.6f}".rstrip("0").rstrip(".").replace(".", ",")


def shares(values: Sequence[Number | None]) -> tuple[float | None, ...]:
    """Counts as percentages of their total (None stays None); all None when the total is 0."""
    total = sum(v for v in values if v is not None)
    return tuple(None if v is None or not total else 100 * v / total for v in values)


def _number(value: object) -> Number | None:
    if value is None:
        return None
    if isinstance(value, bool | str | bytes):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # Decimal from the database, numpy scalars ...
    except (TypeError, ValueError):
        raise TypeError(f"not a number: {value!r}") from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError("infinite values cannot be drawn")
    return number


@dataclass(frozen=True)
class Series:
    """A named row of numbers, one per category; None means no data (not zero)."""
    name: str
    values: Sequence[Number | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name))  # a lazy translation becomes text
        object.__setattr__(self, "values", tuple(_number(v) for v in self.values))


@dataclass(frozen=True)
class Chart:
    """One chart: translated texts, categories and one or more series.

    ``slug`` names the element ids (``<slug>-title`` ...) and the CSV file; it is reduced to
    letters, digits, ``-`` and ``_``, so keep it unique on the page. ``target`` is an optional
    series of targets (one per category), drawn as a line (bars, columns) or as its own bar
    (shares). ``missing_label`` stands for None, ``empty_label`` for a chart without data.
    """
    slug: str
    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    description: str = ""
    unit: str = ""
    category_label: str = ""
    target: Series | None = None
    number_format: Formatter = field(default=format_number, compare=False, repr=False)
    missing_label: str = "–"
    empty_label: str = "Inga uppgifter att visa"

    def __post_init__(self) -> None:
        slug = _SLUG.sub("-", self.slug).strip("-") or "chart"
        object.__setattr__(self, "slug", slug if slug[0].isalpha() else f"c-{slug}")
        for name in ("title", "description", "unit", "category_label", "missing_label",
                     "empty_label"):
            object.__setattr__(self, name, str(getattr(self, name)))
        object.__setattr__(self, "categories", tuple(str(c) for c in self.categories))
        object.__setattr__(self, "series", tuple(self.series))
        if not self.series:
            raise ValueError("a chart needs at least one series")
        for series in (*self.series, *([self.target] if self.target else [])):
            if len(series.values) != len(self.categories):
                raise ValueError(f"series {series.name!r} has {len(series.values)} values "
                                 f"for {len(self.categories)} categories")

    @property
    def has_data(self) -> bool:
        return any(v is not None for s in self.series for v in s.values)

    @property
    def csv_filename(self) -> str:
        return f"{self.slug}.csv"

    def table_header(self) -> list[str]:
        return chart_table_header(self)

    def table_rows(self, fmt: Formatter | None = None) -> list[TableRow]:
        return chart_table_rows(self, fmt)


class TableRow(NamedTuple):
    label: str
    cells: tuple[str, ...]


# --- table and CSV ----------------------------------------------------------------------------

def _columns(chart: Chart) -> list[Series]:
    return [*chart.series, *([chart.target] if chart.target else [])]


def chart_table_header(chart: Chart) -> list[str]:
    """The category column's heading, then one per series (and target), with the unit."""
    unit = f" ({chart.unit})" if chart.unit else ""
    return [chart.category_label, *(f"{s.name}{unit}" for s in _columns(chart))]


def chart_table_rows(chart: Chart, fmt: Formatter | None = None) -> list[TableRow]:
    fmt = fmt or chart.number_format
    columns = _columns(chart)
    return [TableRow(label, tuple(chart.missing_label if s.values[i] is None
                                  else fmt(s.values[i]) for s in columns))
            for i, label in enumerate(chart.categories)]


def _cell(text: str) -> str:
    """Text that a spreadsheet would run as a formula (=, +, -, @) is kept as text."""
    return f"'{text}" if text.startswith(_FORMULA) else text


def chart_csv(chart: Chart, fmt: Formatter = csv_number) -> str:
    """Semicolon-separated with a header row; empty cells where there is no data.

    Serve it as ``chart_csv(chart).encode("utf-8-sig")`` (the BOM makes Excel read UTF-8)
    with ``text/csv; charset=utf-8`` and ``Content-Disposition: attachment;
    filename=<chart.csv_filename>``.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_cell(h) for h in chart_table_header(chart)])
    columns = _columns(chart)
    for i, label in enumerate(chart.categories):
        writer.writerow([_cell(label), *("" if s.values[i] is None else fmt(s.values[i])
                                         for s in columns)])
    return out.getvalue()


# --- SVG helpers ------------------------------------------------------------------------------

def _xml(text: object) -> str:
    """Escaped for XML text and attribute values; characters XML cannot hold are dropped."""
    text = _INVALID_XML.sub("", str(text))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zero."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _width(text: str, size: int = FONT) -> float:
    return len(text) * size * CHAR


def _words(text: str) -> list[str]:
    return [w for w in _SPACE.split(text) if w]


def _wrap(text: str, chars: int, max_lines: int = 3) -> list[str]:
    """Words over lines of at most ``chars`` characters; an overlong word is split, and text
    beyond ``max_lines`` is cut with an ellipsis (the table beside the chart has it all)."""
    words: list[str] = []
    for word in _words(text):
        while len(word) > chars:
            words.append(word[:chars - 1] + "-")
            word = word[chars - 1:]
        words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:chars - 1].rstrip() + "…"
    return lines or [""]


def _text(x: float, y: float, text: str, size: int = FONT, anchor: str = "start",
          fill: str = INK, cls: str = "", weight: str = "") -> str:
    extra = f' class="{cls}"' if cls else ""
    extra += f' font-weight="{weight}"' if weight else ""
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}"{anchor_attr}'
            f'{extra}>{_xml(text)}</text>')


def _lines(x: float, y_mid: float, lines: list[str], anchor: str = "end",
           size: int = FONT) -> list[str]:
    first = y_mid - (len(lines) - 1) * LINE / 2 + size * 0.35
    return [_text(x, first + i * LINE, line, size, anchor) for i, line in enumerate(lines)]


def _value(x: float, y: float, text: str, size: int = SMALL, anchor: str = "start") -> str:
    """A value on a white label, so that a target line or a pattern never runs through it."""
    w = _width(text, size) + 4
    left = {"start": x - 2, "middle": x - w / 2, "end": x - w + 2}[anchor]
    return (f'<rect class="chart-label-bg" x="{_n(left)}" y="{_n(y - size + 1)}" '
            f'width="{_n(w)}" height="{size + 3}" fill="{WHITE}"/>'
            + _text(x, y, text, size, anchor, cls="chart-value"))


def _fill(chart: Chart, index: int) -> str:
    pattern, colour = STYLES[index % len(STYLES)]
    return colour if pattern == "solid" else f"url(#{chart.slug}-p{index % len(STYLES)})"


def _patterns(chart: Chart, count: int) -> str:
    shapes = {
        "hatch": '<path d="M0,8 L8,0 M-2,2 L2,-2 M6,10 L10,6" stroke="{c}" stroke-width="2.5"/>',
        "dots": '<circle cx="4" cy="4" r="2.2" fill="{c}"/>',
        "cross": '<path d="M0,0 L8,8 M8,0 L0,8" stroke="{c}" stroke-width="1.6"/>',
        "hlines": '<path d="M0,2 H8 M0,6 H8" stroke="{c}" stroke-width="1.8"/>',
    }
    defs = []
    for index in sorted({i % len(STYLES) for i in range(count)}):
        pattern, colour = STYLES[index]
        if pattern in shapes:
            defs.append(f'<pattern id="{chart.slug}-p{index}" width="8" height="8" '
                        f'patternUnits="userSpaceOnUse"><rect width="8" height="8" '
                        f'fill="{WHITE}"/>{shapes[pattern].format(c=colour)}</pattern>')
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _summary(chart: Chart, fmt: Formatter) -> str:
    """A description made from the data, for charts given none."""
    if not chart.categories:
        return chart.empty_label
    named = len(_columns(chart)) > 1
    parts = []
    for row in chart_table_rows(chart, fmt):
        values = ", ".join(f"{h} {c}" if named else c
                           for h, c in zip(chart_table_header(chart)[1:], row.cells, strict=True))
        parts.append(f"{row.label}: {values}")
    unit = f" ({chart.unit})" if chart.unit and not named else ""
    return "; ".join(parts) + unit + "."


def _svg(chart: Chart, kind: str, width: float, height: float, body: list[str],
         fmt: Formatter, count: int) -> str:
    slug = chart.slug
    # A chart wider than the usual 640 units (many months or categories) keeps its own width
    # (the width attribute) and scrolls inside its region rather than shrinking its text.
    wide = " chart-wide" if width > WIDTH else ""
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg chart-{kind}{wide}" '
        f'width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" focusable="false" '
        f'aria-labelledby="{slug}-title {slug}-desc">',
        f'<title id="{slug}-title">{_xml(chart.title)}</title>',
        f'<desc id="{slug}-desc">{_xml(chart.description or _summary(chart, fmt))}</desc>',
        _patterns(chart, count),
        f'<rect class="chart-bg" width="{_n(width)}" height="{_n(height)}" fill="{WHITE}"/>',
        *body,
        "</svg>",
    ])


def _empty(chart: Chart, kind: str, fmt: Formatter) -> str:
    body = [_text(WIDTH / 2, 44, chart.empty_label, FONT, "middle", MUTED, "chart-empty")]
    return _svg(chart, kind, WIDTH, 72, body, fmt, 0)


def _legend(chart: Chart, entries: list[tuple[str, int | None]], y: float,
            width: float = WIDTH, across: bool = False) -> tuple[list[str], float]:
    """Swatches with names, flowing over lines; None as index draws the target marker
    (a vertical line, or a horizontal one ``across`` columns)."""
    out, x = [], MARGIN
    for name, index in entries:
        item = 14 + 6 + _width(name) + 18
        if x > MARGIN and x + item > width - MARGIN:
            x, y = MARGIN, y + 20
        if index is None and across:
            out.append(f'<line class="chart-target" x1="{_n(x - 2)}" y1="{_n(y + 7)}" '
                       f'x2="{_n(x + 16)}" y2="{_n(y + 7)}" stroke="{INK}" stroke-width="3"/>')
        elif index is None:
            out.append(f'<line class="chart-target" x1="{_n(x + 7)}" y1="{_n(y - 2)}" '
                       f'x2="{_n(x + 7)}" y2="{_n(y + 16)}" stroke="{INK}" stroke-width="3"/>')
        else:
            out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="14" height="14" '
                       f'fill="{_fill(chart, index)}" stroke="{INK}"/>')
        out.append(_text(x + 20, y + 11.5, name, FONT, cls="chart-legend"))
        x += item
    return out, y + 26


def _series_legend(chart: Chart, y: float, width: float = WIDTH,
                   across: bool = False) -> tuple[list[str], float]:
    if len(chart.series) == 1 and not chart.target:
        return [], y
    entries: list[tuple[str, int | None]] = [(s.name, i) for i, s in enumerate(chart.series)]
    if chart.target:
        entries.append((chart.target.name, None))
    return _legend(chart, entries, y, width, across)


def _nice(span: float) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) for about five ticks."""
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _scale(chart: Chart) -> tuple[float, float, list[float]]:
    values = [v for s in _columns(chart) for v in s.values if v is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    if hi == lo:
        hi = lo + 1
    step = _nice(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    ticks = [lo + i * step for i in range(round((hi - lo) / step) + 1)]
    return lo, hi, ticks


def _tooltip(chart: Chart, category: str, series: Series, value: Number | None,
             fmt: Formatter) -> str:
    shown = chart.missing_label if value is None else fmt(value)
    unit = f" {chart.unit}" if chart.unit and value is not None else ""
    return f"<title>{_xml(f'{category}, {series.name}: {shown}{unit}')}</title>"


def _values_width(chart: Chart, fmt: Formatter, size: int = SMALL) -> float:
    texts = [fmt(v) if v is not None else chart.missing_label
             for s in chart.series for v in s.values]
    return max((_width(t, size) for t in texts), default=0)


# --- renderers --------------------------------------------------------------------------------

def bar_chart(chart: Chart, fmt: Formatter | None = None) -> str:
    """Horizontal bars: a group per category, a bar per series, the value after each bar."""
    fmt = fmt or chart.number_format
    if not chart.categories:
        return _empty(chart, "bar", fmt)
    count = len(chart.series)
    bar = 20 if count == 1 else 16
    labels = [_wrap(c, 26) for c in chart.categories]
    label_w = min(max(_width(line) for lines in labels for line in lines), WIDTH * 0.38)
    x0 = MARGIN + label_w + 10
    x1 = WIDTH - MARGIN - _values_width(chart, fmt) - 8
    lo, hi, ticks = _scale(chart)

    def sx(value: float) -> float:
        return x0 + (value - lo) / (hi - lo) * (x1 - x0)

    body, y = _series_legend(chart, 10)
    y += 4
    top = y
    group = count * bar + (count - 1) * 3
    rows = []
    for i, (category, lines) in enumerate(zip(chart.categories, labels, strict=True)):
        height = max(group, len(lines) * LINE)
        g_top = y + (height - group) / 2
        rows.append('<g class="chart-row">')
        rows.extend(_lines(x0 - 10, y + height / 2, lines))
        values = []
        for k, series in enumerate(chart.series):
            value, by = series.values[i], g_top + k * (bar + 3)
            if value is None:
                rows.append(_text(sx(0) + 4, by + bar / 2 + 4, chart.missing_label, SMALL,
                                  fill=MUTED, cls="chart-missing"))
                continue
            left, right = sorted((sx(0), sx(value)))
            rows.append(f'<rect class="bar series-{k}" x="{_n(left)}" y="{_n(by)}" '
                        f'width="{_n(right - left)}" height="{bar}" fill="{_fill(chart, k)}" '
                        f'stroke="{INK}">{_tooltip(chart, category, series, value, fmt)}'
                        f'</rect>')
            anchor, tx = ("end", left - 4) if value < 0 else ("start", right + 4)
            values.append(_value(tx, by + bar / 2 + 4, fmt(value), SMALL, anchor))
        target = chart.target.values[i] if chart.target else None
        if target is not None:
            rows.append(f'<line class="chart-target" x1="{_n(sx(target))}" y1="{_n(g_top - 4)}" '
                        f'x2="{_n(sx(target))}" y2="{_n(g_top + group + 4)}" stroke="{INK}" '
                        f'stroke-width="3"/>')
        rows.extend(values)
        rows.append("</g>")
        y += height + 12
    bottom = y - 6
    grid = [f'<line class="chart-grid" x1="{_n(sx(t))}" y1="{_n(top - 4)}" x2="{_n(sx(t))}" '
            f'y2="{_n(bottom)}" stroke="{GRID}"/>' for t in ticks]
    axis = [f'<line class="chart-axis" x1="{_n(sx(0))}" y1="{_n(top - 4)}" x2="{_n(sx(0))}" '
            f'y2="{_n(bottom)}" stroke="{INK}"/>']
    tick_labels = [_text(sx(t), bottom + 16, fmt(t), SMALL, "middle", MUTED, "chart-tick")
                   for t in ticks]
    if chart.unit:
        tick_labels.append(_text(x1, bottom + 34, chart.unit, SMALL, "end", MUTED, "chart-unit"))
    height = bottom + (40 if chart.unit else 24)
    return _svg(chart, "bar", WIDTH, height, body + grid + rows + axis + tick_labels, fmt,
                count)


def column_chart(chart: Chart, fmt: Formatter | None = None) -> str:
    """Vertical columns over the categories (months), the value above each column.

    With many categories the drawing gets wider rather than the labels smaller; the figure
    scrolls sideways on a narrow screen (see the CSS in the report).
    """
    fmt = fmt or chart.number_format
    if not chart.categories:
        return _empty(chart, "column", fmt)
    count = len(chart.series)
    lo, hi, ticks = _scale(chart)
    column = max(18.0, _values_width(chart, fmt, SMALL - 1) + 6)
    words = [w for c in chart.categories for w in _words(c)]
    slot = max(count * column + (count - 1) * 2 + 12,
               min(max((_width(w, SMALL) for w in words), default=0), 160) + 8)
    left = MARGIN + max(_width(fmt(t), SMALL) for t in ticks) + 8
    plot_w = max(WIDTH - left - MARGIN, len(chart.categories) * slot)
    slot = plot_w / len(chart.categories)
    width = left + plot_w + MARGIN
    labels = [_wrap(c, max(4, int((slot - 6) / (SMALL * CHAR))), 3) for c in chart.categories]
    body, y = _series_legend(chart, 10, width, across=True)
    top, plot_h = y + 26, 200
    base = top + plot_h

    def sy(value: float) -> float:
        return base - (value - lo) / (hi - lo) * plot_h

    grid = []
    for t in ticks:
        grid.append(f'<line class="chart-grid" x1="{_n(left)}" y1="{_n(sy(t))}" '
                    f'x2="{_n(left + plot_w)}" y2="{_n(sy(t))}" stroke="{GRID}"/>')
        grid.append(_text(left - 6, sy(t) + 4, fmt(t), SMALL, "end", MUTED, "chart-tick"))
    if chart.unit:
        grid.append(_text(MARGIN, top - 12, chart.unit, SMALL, fill=MUTED, cls="chart-unit"))
    cols = []
    group = count * column + (count - 1) * 2
    for i, (category, lines) in enumerate(zip(chart.categories, labels, strict=True)):
        gx = left + i * slot + (slot - group) / 2
        cols.append('<g class="chart-column">')
        values = []
        for k, series in enumerate(chart.series):
            value, cx = series.values[i], gx + k * (column + 2)
            if value is None:
                cols.append(_text(cx + column / 2, sy(0) - 5, chart.missing_label, SMALL - 1,
                                  "middle", MUTED, "chart-missing"))
                continue
            upper, lower = sorted((sy(0), sy(value)))
            cols.append(f'<rect class="bar series-{k}" x="{_n(cx)}" y="{_n(upper)}" '
                        f'width="{_n(column)}" height="{_n(lower - upper)}" '
                        f'fill="{_fill(chart, k)}" stroke="{INK}">'
                        f'{_tooltip(chart, category, series, value, fmt)}</rect>')
            ty = upper - 5 if value >= 0 else lower + SMALL + 1
            values.append(_value(cx + column / 2, ty, fmt(value), SMALL - 1, "middle"))
        target = chart.target.values[i] if chart.target else None
        if target is not None:
            cols.append(f'<line class="chart-target" x1="{_n(gx - 4)}" y1="{_n(sy(target))}" '
                        f'x2="{_n(gx + group + 4)}" y2="{_n(sy(target))}" stroke="{INK}" '
                        f'stroke-width="3"/>')
        cols.extend(values)
        for j, line in enumerate(lines):
            cols.append(_text(left + (i + 0.5) * slot, base + 16 + j * 14, line, SMALL,
                              "middle", cls="chart-category"))
        cols.append("</g>")
    axis = [f'<line class="chart-axis" x1="{_n(left)}" y1="{_n(sy(0))}" '
            f'x2="{_n(left + plot_w)}" y2="{_n(sy(0))}" stroke="{INK}"/>']
    height = base + 16 + max(len(lines) for lines in labels) * 14
    return _svg(chart, "column", width, height, body + grid + cols + axis, fmt, count)


def stacked_share(chart: Chart, fmt: Formatter | None = None) -> str:
    """One bar per series and one for the target, each split into the categories' shares.

    The values may be counts or percentages: every bar is its own total (100 %). Categories
    differ by pattern and colour, are named in the legend with their shares, and a share is
    also written on its segment (on a white label) when there is room.
    """
    fmt = fmt or chart.number_format
    if not chart.categories or not chart.has_data:
        return _empty(chart, "share", fmt)
    bars = _columns(chart)
    label_w = min(max(_width(s.name) for s in bars), WIDTH * 0.3)
    x0, x1 = MARGIN + label_w + 10, WIDTH - MARGIN
    y, height, body = 12.0, 30, []

    def pct(value: float) -> str:
        return f"{fmt(value)}\u00a0%"

    all_shares = [shares(s.values) for s in bars]
    for series, parts in zip(bars, all_shares, strict=True):
        body.append('<g class="chart-row">')
        body.extend(_lines(x0 - 10, y + height / 2, _wrap(series.name, 22, 2)))
        if not any(parts):
            body.append(_text(x0 + 4, y + height / 2 + 4, chart.missing_label, SMALL,
                              fill=MUTED, cls="chart-missing"))
        x = x0
        for i, share in enumerate(parts):
            if not share:
                continue
            w = share / 100 * (x1 - x0)
            body.append(f'<rect class="bar segment-{i}" x="{_n(x)}" y="{_n(y)}" '
                        f'width="{_n(w)}" height="{height}" fill="{_fill(chart, i)}" '
                        f'stroke="{INK}"><title>{_xml(f"{series.name}, ")}'
                        f'{_xml(f"{chart.categories[i]}: {pct(share)}")}</title></rect>')
            text = pct(share)
            box = _width(text, SMALL) + 6
            if w >= box + 4:
                cx = x + w / 2
                body.append(f'<rect class="chart-label-bg" x="{_n(cx - box / 2)}" '
                            f'y="{_n(y + height / 2 - 9)}" width="{_n(box)}" height="18" '
                            f'rx="3" fill="{WHITE}"/>')
                body.append(_text(cx, y + height / 2 + 4, text, SMALL, "middle",
                                  cls="chart-value", weight="600"))
            x += w
        body.append("</g>")
        y += height + 14
    # Legend: one line per category with its shares in every bar, so no value is lost.
    y += 6
    if len(bars) > 1:
        body.append(_text(MARGIN, y + 11, " / ".join(s.name for s in bars) + ":", SMALL,
                          fill=MUTED, cls="chart-legend-key"))
        y += 20
    for i, category in enumerate(chart.categories):
        values = " / ".join(chart.missing_label if parts[i] is None else pct(parts[i])
                            for parts in all_shares)
        body.append(f'<rect x="{MARGIN}" y="{_n(y)}" width="14" height="14" '
                    f'fill="{_fill(chart, i)}" stroke="{INK}"/>')
        lines = _wrap(f"{category}: {values}", int((WIDTH - 2 * MARGIN - 20) / (FONT * CHAR)))
        for j, line in enumerate(lines):
            body.append(_text(MARGIN + 20, y + 11.5 + j * LINE, line, FONT, cls="chart-legend"))
        y += 20 + (len(lines) - 1) * LINE
    return _svg(chart, "share", WIDTH, y + 6, body, fmt, len(chart.categories))


RENDERERS: dict[str, Callable[..., str]] = {
    "bar": bar_chart, "column": column_chart, "share": stacked_share,
}
