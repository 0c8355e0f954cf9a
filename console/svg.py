"""Charts drawn on the server as SVG: no chart library, nothing to load, readable without JavaScript.

Each chart carries a ``<title>`` and ``aria-label`` (what it shows), and each bar its value in a
``<title>`` (hover) and ``data-value`` (so the numbers table below a chart and tests read the same
numbers). Values are Decimals or ints; nothing is rounded through float for what is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = ("#0b5cad", "#e07b00", "#1e7b34", "#b3261e", "#6f42c1", "#00838f", "#8d6e63", "#5b6475", "#c2185b", "#7cb342")
Number = int | Decimal


def _fmt(value: Number) -> str:
    return str(value)


def _scale(top: Number) -> Decimal:
    return Decimal(top) if top else Decimal(1)


def bars(
    items: Sequence[tuple[str, Number]],
    title: str,
    *,
    label: Callable[[Number], str] = _fmt,
    chart_id: str = "",
    width: int = 560,
) -> Markup:
    """Horizontal bars, one per item, longest scale at the largest value."""
    row, left, right = 26, 170, 90
    height = max(row * len(items) + 16, 40)
    top = _scale(max((v for _, v in items), default=0))
    parts = [_open(chart_id, title, width, height)]
    if not items:
        parts.append(f'<text x="8" y="24" fill="#5b6475">{escape(_none())}</text>')
    for index, (name, value) in enumerate(items):
        y = 8 + index * row
        length = float((Decimal(value) / top) * (width - left - right)) if value else 0.0
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">{escape(_clip(name, 24))}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[index % len(PALETTE)]}" data-label="{escape(name)}" data-value="{escape(str(value))}">'
            f"<title>{escape(name)}: {escape(label(value))}</title></rect>"
            f'<text x="{left + length + 6:.1f}" y="{y + 15}" font-size="12">{escape(label(value))}</text>'
        )
    parts.append("</svg>")
    return _figure(title, parts)


def paired_bars(
    items: Sequence[tuple[str, Number, Number]],
    title: str,
    names: tuple[str, str],
    *,
    label: Callable[[Number], str] = _fmt,
    chart_id: str = "",
    width: int = 560,
) -> Markup:
    """Two bars per item (before and after), with a legend."""
    row, left, right = 44, 170, 110
    height = max(row * len(items) + 40, 60)
    top = _scale(max((max(b, a) for _, b, a in items), default=0))
    parts = [_open(chart_id, title, width, height), _legend(names, width)]
    if not items:
        parts.append(f'<text x="8" y="44" fill="#5b6475">{escape(_none())}</text>')
    for index, (name, before, after) in enumerate(items):
        y = 30 + index * row
        parts.append(
            f'<text x="{left - 8}" y="{y + 20}" text-anchor="end" font-size="12">{escape(_clip(name, 24))}</text>'
        )
        for offset, (which, value) in enumerate(((names[0], before), (names[1], after))):
            length = float((Decimal(value) / top) * (width - left - right)) if value else 0.0
            by = y + 2 + offset * 18
            parts.append(
                f'<rect class="bar" x="{left}" y="{by}" width="{length:.1f}" height="15" fill="{PALETTE[offset]}" '
                f'data-label="{escape(name)}" data-series="{escape(which)}" data-value="{escape(str(value))}">'
                f"<title>{escape(name)} · {escape(which)}: {escape(label(value))}</title></rect>"
                f'<text x="{left + length + 6:.1f}" y="{by + 12}" font-size="11">{escape(label(value))}</text>'
            )
    parts.append("</svg>")
    return _figure(title, parts)


def columns(
    x_labels: Sequence[str],
    series: dict[str, Sequence[Number]],
    title: str,
    *,
    chart_id: str = "",
    width: int = 560,
    height: int = 240,
    label: Callable[[Number], str] = _fmt,
) -> Markup:
    """Stacked columns over ``x_labels`` (days, hours), one colour per series, with a legend."""
    left, bottom, top_pad = 40, 34, 20 + 16 * ((len(series) + 3) // 4)
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    totals = [sum((values[i] for values in series.values()), Decimal(0)) for i in range(len(x_labels))]
    top = _scale(max(totals, default=0))
    step = plot_w / max(len(x_labels), 1)
    parts = [_open(chart_id, title, width, height), _legend(tuple(series), width)]
    parts.append(
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" stroke="#aab1bf"/>'
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" font-size="10">{escape(label(top))}</text>'
        f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end" font-size="10">0</text>'
    )
    every = max(1, len(x_labels) // 12)
    for i, x_label in enumerate(x_labels):
        x = left + i * step
        base = Decimal(0)
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            y0 = top_pad + plot_h - float(base / top) * plot_h
            h = float(Decimal(value) / top) * plot_h
            parts.append(
                f'<rect class="bar" x="{x + 1:.1f}" y="{y0 - h:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}" data-label="{escape(x_label)}" data-series="{escape(name)}" '
                f'data-value="{escape(str(value))}"><title>{escape(x_label)} · {escape(name)}: {escape(label(value))}'
                "</title></rect>"
            )
            base += Decimal(value)
        if i % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" font-size="10">'
                f"{escape(x_label)}</text>"
            )
    parts.append("</svg>")
    return _figure(title, parts)


def _figure(title: str, parts: list[str]) -> Markup:
    """The chart with its title shown above it (the SVG's own <title> is only a tooltip)."""
    return Markup(f'<figure class="chart-figure"><figcaption>{escape(title)}</figcaption>{"".join(parts)}</figure>')


def _open(chart_id: str, title: str, width: int, height: int) -> str:
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return (
        f'<svg{ident} class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _legend(names: Sequence[str], width: int) -> str:
    parts = []
    for index, name in enumerate(names):
        x, y = 8 + (index % 4) * (width // 4), 6 + (index // 4) * 16
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{y + 9}" font-size="11">{escape(_clip(name, 22))}</text>'
        )
    return "".join(parts)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _none() -> str:
    from flask_babel import gettext

    return gettext("No data in this period.")
