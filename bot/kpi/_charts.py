"""Inline SVG charts, drawn in Python so the report opens anywhere with no script or network.

Each bar carries the ticket ids behind it (`data-tickets`) and a `<title>` tooltip; the page's
small inline script turns a click into a drill-down list. Bands are colours: green strong,
amber moderate, red act now / urgent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

__all__ = [
    "BAND_COLOURS",
    "Bar",
    "Interval",
    "band_colour",
    "bar_chart",
    "gauge",
    "grouped_bar_chart",
    "interval_chart",
]

BAND_COLOURS = {
    "strong": "#2e7d32",
    "moderate": "#f9a825",
    "act_now": "#c62828",
    "urgent": "#c62828",
    None: "#9e9e9e",
}
_NEUTRAL = "#1565c0"
_MUTED = "#90a4ae"


def band_colour(band: str | None) -> str:
    return BAND_COLOURS.get(band, BAND_COLOURS[None])


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = _NEUTRAL
    ticket_ids: Sequence[str] = field(default_factory=tuple)
    note: str = ""


def _fmt(value: float, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{text}{unit}"


def _tickets_attr(ids: Sequence[str]) -> str:
    return escape(" ".join(ids), quote=True)


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    unit: str = "",
    max_value: float | None = None,
    markers: Sequence[tuple[float, str]] = (),
    width: int = 520,
) -> str:
    """Horizontal bars, one per row; `markers` draw dashed reference lines (band thresholds)."""
    row_h, label_w, pad = 26, 150, 8
    plot_w = width - label_w - 70
    height = pad * 2 + 24 + max(len(bars), 1) * row_h
    top = max([max_value or 0.0, *(b.value for b in bars), *(m for m, _ in markers)]) or 1.0
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad}" y="18" class="chart-title">{escape(title)}</text>',
    ]
    if not bars:
        parts.append(f'<text x="{pad}" y="46" class="empty">no data for these filters</text>')
    for i, bar in enumerate(bars):
        y = pad + 24 + i * row_h
        w = max(bar.value, 0.0) / top * plot_w
        value_text = _fmt(bar.value, unit)
        tip = f"{bar.label}: {value_text}" + (f" ({bar.note})" if bar.note else "")
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" class="label">'
            f"{escape(bar.label)}</text>"
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(w, 1.5):.1f}" height="18" '
            f'fill="{bar.colour}" data-label="{escape(bar.label, quote=True)}" '
            f'data-tickets="{_tickets_attr(bar.ticket_ids)}"><title>{escape(tip)}</title></rect>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 16}" class="value">'
            f"{escape(value_text)}</text>"
        )
    for value, colour in markers:
        x = label_w + value / top * plot_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{pad + 20}" x2="{x:.1f}" y2="{height - pad}" '
            f'stroke="{colour}" stroke-dasharray="4 3" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{pad + 18}" text-anchor="middle" class="marker">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def grouped_bar_chart(
    chart_id: str,
    title: str,
    groups: Sequence[tuple[str, Sequence[Bar]]],
    *,
    unit: str = "",
    max_value: float = 100.0,
    width: int = 520,
) -> str:
    """Vertical bars in groups (e.g. perception before and after, per source of scores)."""
    height, pad, base = 240, 10, 200
    plot_h = base - 40
    n_bars = sum(len(bars) for _, bars in groups) or 1
    slot = (width - 2 * pad) / (n_bars + len(groups))
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad}" y="18" class="chart-title">{escape(title)}</text>',
        f'<line x1="{pad}" y1="{base}" x2="{width - pad}" y2="{base}" stroke="#bbb"/>',
    ]
    if not any(bars for _, bars in groups):
        parts.append(f'<text x="{pad}" y="60" class="empty">no data for these filters</text>')
    x = pad + slot / 2
    for group, bars in groups:
        start = x
        for bar in bars:
            h = max(bar.value, 0.0) / (max_value or 1.0) * plot_h
            tip = f"{group} {bar.label}: {_fmt(bar.value, unit)}"
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.85:.1f}" '
                f'height="{max(h, 1.5):.1f}" fill="{bar.colour}" '
                f'data-label="{escape(tip, quote=True)}" '
                f'data-tickets="{_tickets_attr(bar.ticket_ids)}"><title>{escape(tip)}</title></rect>'
                f'<text x="{x + slot * 0.42:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
                f'class="value">{escape(_fmt(bar.value, unit))}</text>'
                f'<text x="{x + slot * 0.42:.1f}" y="{base + 14}" text-anchor="middle" '
                f'class="label">{escape(bar.label)}</text>'
            )
            x += slot
        if bars:
            parts.append(
                f'<text x="{(start + x) / 2:.1f}" y="{base + 32}" text-anchor="middle" '
                f'class="group">{escape(group)}</text>'
            )
        x += slot
    parts.append("</svg>")
    return "".join(parts)


def gauge(
    chart_id: str,
    title: str,
    value: float | None,
    *,
    band: str | None,
    unit: str,
    scale_max: float,
    thresholds: Sequence[float],
    subtitle: str,
) -> str:
    """A headline tile: a coloured arc from 0 to `scale_max` with band thresholds marked."""
    import math

    width, height, cx, cy, r = 260, 170, 130, 120, 90
    colour = band_colour(band)

    def point(v: float) -> tuple[float, float]:
        angle = math.pi * (1 - min(max(v, 0.0), scale_max) / scale_max)
        return cx + r * math.cos(angle), cy - r * math.sin(angle)

    x0, y0 = point(0)
    x1, y1 = point(scale_max)
    parts = [
        f'<svg class="chart gauge" id="{escape(chart_id)}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<path d="M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {x1:.1f},{y1:.1f}" fill="none" '
        f'stroke="#e0e0e0" stroke-width="18"/>',
    ]
    if value is not None:
        xv, yv = point(value)
        parts.append(
            f'<path class="arc" d="M{x0:.1f},{y0:.1f} A{r},{r} 0 0 1 {xv:.1f},{yv:.1f}" '
            f'fill="none" stroke="{colour}" stroke-width="18"/>'
        )
    for t in thresholds:
        xa, ya = point(t)
        parts.append(
            f'<circle cx="{xa:.1f}" cy="{ya:.1f}" r="3" fill="#424242"><title>{t:g}</title>'
            "</circle>"
        )
    shown = "—" if value is None else _fmt(value, unit)
    parts.append(
        f'<text x="{cx}" y="{cy - 8}" text-anchor="middle" class="big" fill="{colour}">'
        f"{escape(shown)}</text>"
        f'<text x="{cx}" y="{cy + 16}" text-anchor="middle" class="label">'
        f"{escape(subtitle)}</text></svg>"
    )
    return "".join(parts)


@dataclass(frozen=True)
class Interval:
    """One estimate with its 95 % interval (an arm minus the control, for one metric)."""

    label: str
    estimate: float
    low: float
    high: float
    note: str = ""
    higher_is_better: bool = True  # spend: less is a saving, so the colours swap


def interval_chart(
    chart_id: str, title: str, rows: Sequence[Interval], *, unit: str = "", width: int = 560
) -> str:
    """Estimates as dots with their 95 % intervals as whiskers, a dashed line at zero.

    Green when the whole interval is on the better side of zero, red on the worse side, grey
    when it spans zero.
    """
    row_h, label_w, pad, right = 30, 210, 10, 20
    plot_w = width - label_w - right
    height = pad * 2 + 40 + max(len(rows), 1) * row_h
    lo = min([0.0, *(r.low for r in rows)])
    hi = max([0.0, *(r.high for r in rows)])
    span = (hi - lo) or 1.0
    lo, hi = lo - span * 0.08, hi + span * 0.08

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{pad}" y="18" class="chart-title">{escape(title)}</text>',
        f'<line x1="{x(0):.1f}" y1="{pad + 24}" x2="{x(0):.1f}" y2="{height - pad - 14}" '
        'stroke="#424242" stroke-dasharray="4 3"/>',
        f'<text x="{x(0):.1f}" y="{height - pad}" text-anchor="middle" class="marker">'
        f"0 (same as control)</text>",
    ]
    if not rows:
        parts.append(f'<text x="{pad}" y="56" class="empty">no comparison yet</text>')
    for i, r in enumerate(rows):
        y = pad + 40 + i * row_h
        good, bad = BAND_COLOURS["strong"], BAND_COLOURS["act_now"]
        if not r.higher_is_better:
            good, bad = bad, good
        colour = good if r.low > 0 else bad if r.high < 0 else _MUTED
        interval = f"95% interval {_fmt(r.low, unit)} to {_fmt(r.high, unit)}"
        tip = f"{r.label}: {_fmt(r.estimate, unit)} ({interval})"
        if r.note:
            tip += f"; {r.note}"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 4}" text-anchor="end" class="label">'
            f"{escape(r.label)}</text>"
            f'<g class="interval"><title>{escape(tip)}</title>'
            f'<line x1="{x(r.low):.1f}" y1="{y}" x2="{x(r.high):.1f}" y2="{y}" stroke="{colour}" '
            'stroke-width="3"/>'
            f'<line x1="{x(r.low):.1f}" y1="{y - 6}" x2="{x(r.low):.1f}" y2="{y + 6}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<line x1="{x(r.high):.1f}" y1="{y - 6}" x2="{x(r.high):.1f}" y2="{y + 6}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<circle cx="{x(r.estimate):.1f}" cy="{y}" r="5" fill="{colour}"/></g>'
            f'<text x="{x(r.estimate):.1f}" y="{y - 9}" text-anchor="middle" class="value">'
            f"{escape(_fmt(r.estimate, unit))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
