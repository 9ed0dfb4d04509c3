"""Charts of the PDF reports: a continuous time axis, axis titles, legends, any colours.

A report chart is its shapes (SVG) and its words. WeasyPrint lays SVG text out letter by letter
(without kerning, and without joining Arabic letters), and an HTML label placed over the chart
costs as much as a dozen letters: so short Latin, Greek or Cyrillic labels (ticks, values, most
names) are SVG text, and every longer one (legends, axis titles) or one in another script is left
to the report to lay out as HTML over the shapes, shaped and in its own fonts. Shapes of one
style are drawn as one <path>. The portal's own charts (whole SVG documents) are in
clients.charts, whose primitives these share.
"""

import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import mark_safe

from clients.charts import COLORS, _nice_max, _num


@dataclass(frozen=True)
class Label:
    x: float  # the anchor point, in the chart's units; y is the text's baseline
    y: float
    text: str
    anchor: str = "start"  # "start", "middle" or "end"
    color: str = COLORS["muted"]


@dataclass(frozen=True)
class Drawing:
    """A chart: ``svg`` (shapes only, safe) over ``width`` x ``height`` units, and its labels."""

    title: str
    width: float
    height: float
    svg: str
    labels: list = field(default_factory=list)


class _Shapes:
    """Rectangles, lines and dots collected per style, written out as one path per style."""

    def __init__(self):
        self.paths = {}

    def rect(self, style, x, y, w, h):
        if w > 0 and h > 0:
            self.paths.setdefault(style, []).append(f"M{_num(x)} {_num(y)}h{_num(w)}v{_num(h)}h{_num(-w)}z")

    def line(self, style, x1, y1, x2, y2):
        self.paths.setdefault(style, []).append(f"M{_num(x1)} {_num(y1)}L{_num(x2)} {_num(y2)}")

    def dot(self, style, x, y, r):
        arc = f"a{_num(r)} {_num(r)} 0 1 0"
        self.paths.setdefault(style, []).append(
            f"M{_num(x - r)} {_num(y)}{arc} {_num(2 * r)} 0{arc} {_num(-2 * r)} 0z"
        )

    def svg(self):
        return [f'<path d="{"".join(parts)}" {style}/>' for style, parts in self.paths.items()]


SHORT_LABEL = 12  # characters: a label this short ("8,000", "Oct 15", "36 (30%)") may be SVG text
ANCHORS = {"start": "start", "middle": "middle", "end": "end"}


def _in_svg(label):
    """Short and in a script whose letters stand alone (Latin, Greek, Cyrillic; ★ and digits)."""
    return len(label.text) <= SHORT_LABEL and all(ord(c) < 0x0590 or c == "★" for c in label.text)


def _svg_text(label):
    return (f'<text x="{_num(label.x)}" y="{_num(label.y)}" text-anchor="{ANCHORS[label.anchor]}" '
            f'fill="{label.color}">{escape(label.text)}</text>')  # fmt: skip


def _drawing(title, width, height, layers, labels, font):
    """The shapes and the short labels as an SVG; the longer labels to be placed as HTML."""
    title = escape(title)
    short = [_svg_text(label) for label in labels if _in_svg(label)]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
           f'width="100%" height="100%" role="img" aria-label="{title}" class="chart" '
           f'font-family="{escape(font)}" font-size="11">'
           f"{''.join(part for layer in layers for part in layer.svg())}{''.join(short)}</svg>")  # fmt: skip
    long = [label for label in labels if not _in_svg(label)]
    return Drawing(title, width, height, mark_safe(svg), long)  # noqa: S308 - every text escaped above


def _empty_drawing(title, width, text, font):
    return _drawing(title, width, 40, [], [Label(width / 2, 24, text, "middle")], font)


def _fill(color, opacity=None):
    return f'fill="{color}"' + (f' fill-opacity="{opacity}"' if opacity else "")


def _stroke(color, width=1):
    return f'fill="none" stroke="{color}" stroke-width="{width}"'


def _legend_entries(shapes, labels, x, y, entries, *, right_edge):
    """Legend swatches: (kind, name, color), kind "bar", "line", "hollow" or "light"; wraps lines."""
    start = x
    for kind, name, color in entries:
        width = 26 + 6.2 * len(name)
        if x + width > right_edge and x > start:
            x, y = start, y + 15
        if kind == "line":
            shapes.line(_stroke(color, 2.5), x, y - 4, x + 14, y - 4)
        elif kind == "hollow":
            shapes.dot(f'fill="#fff" stroke="{color}" stroke-width="1.5"', x + 7, y - 4, 3.5)
        else:
            shapes.rect(_fill(color, 0.35 if kind == "light" else None), x, y - 9, 10, 10)
        labels.append(Label(x + 18, y, name, color=COLORS["ink"]))
        x += width
    return y


def time_chart(*, title, ticks, stacks, line=None, legend=(), y_label="", y2_label="", number=_num, width=720,
               height=230, font="sans-serif", empty_text="No feedback in this period"):  # fmt: skip
    """Bars per time bucket on a continuous axis, and optionally a 1–5 line on a right axis.

    ``stacks``: [(name, values, color, light)] stacked bottom up, ``light`` a list of booleans
    (drawn faint: buckets with little data); ``line``: (values, solid, color) with None for no
    value (a gap) and ``solid`` False for a hollow, unjoined point; ``ticks``: [(index, label)].
    Axis titles sit above their axis. Returns a Drawing.
    """
    count = len(stacks[0][1]) if stacks else 0
    totals = [sum(values[i] for _, values, _, _ in stacks) for i in range(count)]
    if not count or not any(totals):
        return _empty_drawing(title, width, empty_text, font)
    grid, shapes, labels = _Shapes(), _Shapes(), []  # the grid under the bars
    legend_bottom = _legend_entries(shapes, labels, 44, 13, legend, right_edge=width - 10)
    left, right, top, bottom = 44, 30 if line else 14, legend_bottom + 30, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    top_total = _nice_max(max(totals))
    step = plot_w / count
    labels.append(Label(left - 6, top - 12, y_label))
    if line:
        labels.append(Label(left + plot_w + 6, top - 12, y2_label, "end", line[2]))
    for i in range(5):
        y = top + plot_h * i / 4
        grid.line(_stroke(COLORS["grid"]), left, y, left + plot_w, y)
        labels.append(Label(left - 6, y + 4, number(top_total * (4 - i) / 4), "end"))
        if line:
            labels.append(Label(left + plot_w + 6, y + 4, number(5 - i), color=line[2]))
    bar_w = max(step * 0.72, 0.8)
    for i in range(count):
        x, base = left + i * step + (step - bar_w) / 2, top + plot_h
        for _name, values, color, light in stacks:
            h = plot_h * values[i] / top_total
            base -= h
            shapes.rect(_fill(color, 0.35 if light and light[i] else None), x, base, bar_w, h)
    baseline = top + plot_h
    grid.line(_stroke(COLORS["muted"]), left, baseline, left + plot_w, baseline)
    for index, label in ticks:
        x = left + (index + 0.5) * step
        grid.line(_stroke(COLORS["muted"]), x, baseline, x, baseline + 4)
        labels.append(Label(x, baseline + 15, label, "middle"))
    if line:
        _rating_line(shapes, line, left=left, step=step, top=top, plot_h=plot_h)
    return _drawing(title, width, height, [grid, shapes], labels, font)


def _rating_line(shapes, line, *, left, step, top, plot_h):
    """Solid points joined where consecutive; hollow points alone; nothing for empty buckets."""
    values, solid, color = line
    segment = []

    def flush():
        if len(segment) > 1:
            shapes.paths.setdefault(f'{_stroke(color, 2)} stroke-linejoin="round"', []).append(
                "M" + "L".join(segment)
            )
        segment.clear()

    for i, value in enumerate(values):
        if value is None or not solid[i]:
            flush()
            if value is None:
                continue
        x, y = left + (i + 0.5) * step, top + plot_h * (5 - value) / 4
        if solid[i]:
            segment.append(f"{_num(x)} {_num(y)}")
            shapes.dot(_fill(color), x, y, 2.2)
        else:
            shapes.dot(f'fill="#fff" stroke="{color}" stroke-width="1.3"', x, y, 3)
    flush()


def _axis_step(value):
    """A round step and how many of them (3 to 6) reach at least ``value``: 45 → (10, 5)."""
    magnitude = 10 ** math.floor(math.log10(max(value, 1)))
    for step in (m * magnitude / 10 for m in (1, 2, 2.5, 5, 10, 20, 25, 50, 100)):
        ticks = max(3, math.ceil(value / step))
        if ticks <= 6 and step >= 1 and step == int(step):  # counts: whole steps
            return step, ticks
    return value, 1


def bar_rows_chart(*, title, rows, legend=(), axis_label="", number=_num, width=720, label_width=150,
                   max_value=None, font="sans-serif", empty_text="No feedback in this period"):  # fmt: skip
    """Horizontal bars with a value axis: ``rows`` is [(label, [(name, value, color), ...], value_text)]
    (``value_text`` may be empty). Returns a Drawing."""
    if not rows:
        return _empty_drawing(title, width, empty_text, font)
    grid, shapes, labels, legend_bottom = _Shapes(), _Shapes(), [], 0
    if legend:
        legend_bottom = _legend_entries(shapes, labels, label_width, 13, legend, right_edge=width - 10)
    bar_h, gap, top = 15, 8, legend_bottom + 12
    plot_w = width - label_width - (90 if any(text for _, _, text in rows) else 20)
    step, ticks = _axis_step(max_value or max(sum(p[1] for p in parts) for _, parts, _ in rows) or 1)
    highest = max_value or step * ticks
    ticks = ticks if not max_value else 5
    axis_y = top + len(rows) * (bar_h + gap)
    for i in range(ticks + 1):
        x = label_width + plot_w * i / ticks
        grid.line(_stroke(COLORS["grid"]), x, top - 4, x, axis_y)
        labels.append(Label(x, axis_y + 13, number(highest * i / ticks), "middle"))
    for i, (label, parts, value_text) in enumerate(rows):
        y = top + i * (bar_h + gap)
        shown = label if len(label) <= 26 else label[:25] + "…"
        labels.append(Label(label_width - 8, y + bar_h - 3, shown, "end", COLORS["ink"]))
        x = label_width
        for _name, value, color in parts:
            w = plot_w * value / highest
            shapes.rect(_fill(color), x, y, w, bar_h)
            x += w
        if value_text:
            labels.append(Label(x + 5, y + bar_h - 3, value_text, color=COLORS["ink"]))
    height = axis_y + 18
    if axis_label:
        labels.append(Label(label_width + plot_w / 2, axis_y + 28, axis_label, "middle"))
        height += 12
    return _drawing(title, width, height, [grid, shapes], labels, font)
