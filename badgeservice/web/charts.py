"""Small server-rendered SVG drawings for the supervisor's and HR's pages: a progress bar,
the heat map's colour steps and a trend line against its target. Each drawing carries a
title (and the page a text equivalent next to it); colour is never the only carrier: the
numbers are written beside or inside every mark."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["HEAT_STEPS", "heat_step", "progress_svg", "trend_svg"]

#: Colour steps of the heat map (CSS classes heat-0 … heat-4), by share of the target met.
HEAT_STEPS = 5


def heat_step(share: float, target: float) -> int:
    """The colour step of a cell: how far the team is toward the target share (0: under a
    quarter of it … 4: at or above it)."""
    if target <= 0 or share + 1e-9 >= target:
        return HEAT_STEPS - 1
    return min(HEAT_STEPS - 2, int(4 * share / target))


def progress_svg(done: int, total: int, label: str, *, width: int = 120) -> Markup:
    """A bar ``done`` of ``total`` long, with ``label`` as its accessible name."""
    filled = 0 if total <= 0 else round(width * min(done, total) / total)
    return Markup(  # noqa: S704 - the only text is escaped
        f'<svg class="progress" viewBox="0 0 {width} 12" width="{width}" height="12" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect class="progress-track" x="0" y="0" width="{width}" height="12" rx="3"/>'
        f'<rect class="progress-done" x="0" y="0" width="{filled}" height="12" rx="3"/>'
        "</svg>"
    )


def trend_svg(
    points: Sequence[tuple[str, float]],
    target: float,
    *,
    title: str,
    description: str,
    target_label: str,
    ident: str,
) -> Markup:
    """A line of shares (0-1) by month with a dashed line at ``target``; month labels on
    the axis (``YYYY-MM`` shown as ``MM/YY``), the last value written at its point."""
    width, height, left, right, top, bottom = 360, 150, 40, 20, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(1, len(points) - 1)

    def x(index: int) -> float:
        return left + plot_w * index / count

    def y(share: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, share)))

    body = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    for tick in (0.0, 0.5, 1.0):
        body.append(
            f'<line class="trend-grid" x1="{left}" x2="{width - right}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="trend-axis" x="{left - 4}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{int(tick * 100)} %</text>'
        )
    body.append(
        f'<line class="trend-target" x1="{left}" x2="{width - right}" '
        f'y1="{y(target):.1f}" y2="{y(target):.1f}"/>'
        f'<text class="trend-target-label" x="{width - right}" y="{y(target) - 4:.1f}" '
        f'text-anchor="end">{escape(target_label)}</text>'
    )
    if points:
        line = " ".join(f"{x(i):.1f},{y(share):.1f}" for i, (_, share) in enumerate(points))
        body.append(f'<polyline class="trend-line" points="{line}"/>')
        for i, (month, share) in enumerate(points):
            body.append(f'<circle class="trend-point" cx="{x(i):.1f}" cy="{y(share):.1f}" r="3"/>')
            if i % 3 == (len(points) - 1) % 3:
                label = f"{month[5:7]}/{month[2:4]}"
                anchor = "end" if i == len(points) - 1 else "middle"
                body.append(
                    f'<text class="trend-axis" x="{x(i):.1f}" y="{height - 8}" '
                    f'text-anchor="{anchor}">{escape(label)}</text>'
                )
    body.append("</svg>")
    return Markup("".join(body))  # noqa: S704 - every text above is escaped
