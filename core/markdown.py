"""User Markdown to safe HTML: one function for reports, comments and team intros.

python-markdown renders, nh3 (ammonia) sanitizes with a strict allowlist every
time HTML is produced. Nothing user-written reaches a page any other way.
The only HTML added after sanitizing is built here from escaped values: the
live charts of ```chart blocks.
"""

import json
import re
import secrets

import markdown as markdown_lib
import nh3
from django.utils.html import escape

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
    "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "li": {"id", "class"},
    "sup": {"id"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
SAFE_CLASS = re.compile(r"^(language-[\w+-]+|codehilite|footnote[\w-]*|footnote|task-list-item|toc|[a-z]{1,3}\d?)$")
EXTENSIONS = ["extra", "sane_lists", "toc", "codehilite"]
EXTENSION_CONFIGS = {"codehilite": {"guess_lang": False, "css_class": "codehilite"}, "toc": {"permalink": False}}
CHART_BLOCK = re.compile(r"^```chart[ \t]*\r?\n(.*?)\r?\n```[ \t]*\r?$", re.MULTILINE | re.DOTALL)
CHART_TOKEN = "TSCHARTBLOCK{}END"
TASK_ITEM = re.compile(r"<li>\s*(<p>)?\s*\[([ xX])\]\s")


def _attribute_filter(tag, attribute, value):
    if tag == "img" and attribute == "src":
        lowered = value.strip().lower()
        if not (lowered.startswith(("http://", "https://")) or (lowered.startswith("/") and not lowered.startswith("//"))):
            return None  # images only from http(s) or this site
    if attribute == "class" and not all(SAFE_CLASS.match(part) for part in value.split()):
        return None
    return value


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def _task_lists(html, nonce):
    """Mark task items with tokens; the checkboxes themselves are added after sanitizing,
    so that no <input> a user writes can survive."""

    def checkbox(match):
        state = "ON" if match.group(2).lower() == "x" else "OFF"
        return f'<li class="task-list-item">{match.group(1) or ""}TSTASK{state}{nonce} '

    return TASK_ITEM.sub(checkbox, html)


def parse_chart_block(text: str) -> dict:
    """`runs: p/id, p/id2` / `keys: loss, acc` / optional `x: step|time`, `smoothing: 0.6`, `log: true`."""
    spec = {"runs": [], "keys": [], "x": "step", "smoothing": 0.0, "log_y": False}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "runs":
            spec["runs"] = [part.strip() for part in value.split(",") if part.strip()][:20]
        elif name == "keys":
            spec["keys"] = [part.strip() for part in value.split(",") if part.strip()][:10]
        elif name == "x" and value in ("step", "time"):
            spec["x"] = value
        elif name == "smoothing":
            try:
                spec["smoothing"] = min(0.99, max(0.0, float(value)))
            except ValueError:
                pass
        elif name == "log":
            spec["log_y"] = value.lower() in ("true", "yes", "1")
    return spec


def render_markdown(text: str, *, charts=None) -> str:
    """Render user Markdown to HTML that is safe to mark safe.

    `charts(spec) -> list of run dicts (or None for a run the reader may not
    see)` turns ```chart blocks into live charts; without it they become a note.
    """
    specs = []
    nonce = secrets.token_hex(8)  # tokens a user cannot type in advance

    def hold(match):
        specs.append(parse_chart_block(match.group(1)))
        return "\n\n" + CHART_TOKEN.format(f"{nonce}x{len(specs) - 1}") + "\n\n"

    source = CHART_BLOCK.sub(hold, text or "")
    html = markdown_lib.markdown(source, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")
    html = sanitize_html(_task_lists(html, nonce))
    html = html.replace(f"TSTASKON{nonce}", '<input type="checkbox" disabled checked>').replace(
        f"TSTASKOFF{nonce}", '<input type="checkbox" disabled>'
    )
    for n, spec in enumerate(specs):
        html = html.replace(f"<p>{CHART_TOKEN.format(f'{nonce}x{n}')}</p>", _chart_html(spec, charts), 1)
    return html


def _chart_html(spec, charts):
    keys = spec["keys"]
    if not keys or not spec["runs"]:
        return '<p class="chart-note muted">A chart block needs “runs:” and “keys:” lines.</p>'
    if charts is None:
        return f'<p class="chart-note muted">Live chart of {escape(", ".join(keys))} (shown on the report page).</p>'
    resolved = charts(spec)
    shown = [run for run in resolved if run is not None]
    missing = len(resolved) - len(shown)
    caption = escape(", ".join(keys))
    if missing:
        caption += f" · {missing} run{'s' if missing != 1 else ''} not available"
    if not shown:
        return f'<figure class="report-chart"><p class="chart-empty">Chart not available.</p><figcaption>{caption}</figcaption></figure>'
    return (
        '<figure class="report-chart">'
        f'<div class="chart" data-chart data-keys="{escape(",".join(keys))}" data-x="{escape(spec["x"])}" '
        f'data-smoothing="{spec["smoothing"]}" data-log-y="{"true" if spec["log_y"] else "false"}" data-source="history" '
        f'data-runs="{escape(json.dumps(shown))}"><p class="chart-fallback muted">Charts need JavaScript.</p></div>'
        f"<figcaption>{caption}</figcaption></figure>"
    )
