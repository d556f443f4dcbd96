"""Server-side SVG charts for the console (no JavaScript, no CDN): plain strings of SVG markup.

Only numbers and dates we format ourselves go into the markup, and labels are escaped,
so the result is safe to mark safe in a template.
"""

from __future__ import annotations

from django.utils.html import escape

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 36
COLORS = {"chat_replies": "#417690", "voice_minutes": "#e0a030"}
LABELS = {"chat_replies": "AI chat replies", "voice_minutes": "AI voice minutes"}


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def daily_usage_svg(days: list[dict], series: tuple[str, ...] = ("chat_replies", "voice_minutes")) -> str:
    """Grouped bars per day for ``series`` (keys of each day dict), with axes, gridlines and a legend."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = _nice_max(max([d[s] for d in days for s in series] + [0]))
    slot = plot_w / max(1, len(days))
    bar_w = max(1.0, (slot - 2) / len(series))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="AI usage, last {len(days)} days" class="ai-usage-chart">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    for i in range(6):  # every nice maximum (5, 10, 20, 50, ...) divides into fifths
        value = top_value * i // 5
        y = TOP + plot_h - plot_h * i / 5
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value}</text>')
    for index, day in enumerate(days):
        x0 = LEFT + index * slot + 1
        for s_index, key in enumerate(series):
            value = day[key]
            h = plot_h * value / top_value if top_value else 0
            x = x0 + s_index * bar_w
            y = TOP + plot_h - h
            title = escape(f"{day['day']:%Y-%m-%d}: {value} {LABELS.get(key, key)}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{COLORS.get(key, "#888")}"'
                f' data-day="{day["day"]:%Y-%m-%d}" data-series="{escape(key)}" data-value="{value}">'
                f"<title>{title}</title></rect>"
            )
        if index % 5 == 0 or index == len(days) - 1:
            parts.append(
                f'<text x="{x0 + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" text-anchor="middle">'
                f"{day['day']:%m-%d}</text>"
            )
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>')
    for s_index, key in enumerate(series):
        x = LEFT + s_index * 160
        parts.append(f'<rect x="{x}" y="8" width="10" height="10" fill="{COLORS.get(key, "#888")}"/>')
        parts.append(f'<text x="{x + 14}" y="17" font-size="11">{escape(LABELS.get(key, key))}</text>')
    parts.append("</svg>")
    return "".join(parts)
