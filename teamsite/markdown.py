"""User Markdown to safe HTML: one function for reports, comments and team intros.

python-markdown renders, nh3 (ammonia) sanitizes with a strict allowlist every
time HTML is produced. Nothing user-written reaches a page any other way.
"""

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li", "mark", "ol",
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
    "input": {"type", "checked", "disabled"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["extra", "sane_lists", "toc"]


def _attribute_filter(tag, attribute, value):
    if tag == "img" and attribute == "src" and not value.lower().startswith(("http://", "https://", "/")):
        return None  # images only from http(s) or this site
    if tag == "input" and attribute == "type" and value != "checkbox":
        return None
    if attribute == "class" and not all(part.startswith(("language-", "codehilite", "footnote", "task-list", "toc", "chart")) for part in value.split()):
        return None
    return value


def render_markdown(text: str) -> str:
    """Render user Markdown to HTML that is safe to mark safe."""
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    return sanitize_html(html)


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
