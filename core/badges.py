"""SVG badges for READMEs (projects and reports)."""

from django.utils.html import escape


def render_badge(label: str, value: str, color: str = "#4f46e5") -> str:
    label, value = label[:60], value[:40]
    left = 6 * len(label) + 12
    right = 6 * len(value) + 12
    total = left + right
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{escape(label)}: {escape(value)}">'
        f"<title>{escape(label)}: {escape(value)}</title>"
        f'<rect width="{left}" height="20" fill="#555"/><rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{escape(label)}</text><text x="{left + right / 2}" y="14">{escape(value)}</text></g></svg>'
    )
