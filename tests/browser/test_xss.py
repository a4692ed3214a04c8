"""The XSS corpus in a real browser (issue 5).

Every payload of tests/reports/test_sanitizer.py goes into one public report,
into comments (about ten payloads each) and into the team intro; a chart block
in the corpus draws a live chart from a run whose name and metric key are
payloads too. Chromium then loads the report (as a member and as an anonymous
visitor) and the team page with alert/confirm/prompt hooked before any page
script runs, and reads the DOM of the user-content containers back.

CSP would block an inline handler that slipped through, so a silent alert hook
proves little on its own: the DOM checks and the CSP violation log are what
catch a sanitizer hole here.
"""

import pytest
from playwright.sync_api import expect

from experiments import services as experiments
from reports import services as reports
from teams import services as teams
from tests import factories
from tests.browser.conftest import sign_in
from tests.reports.test_sanitizer import PAYLOADS
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_RUN_NAME = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'
HOSTILE_KEY = "<img src=x onerror=alert(1)>"  # a key the corpus's chart block asks for
PER_COMMENT = 10

HOOKS = (
    "window.__xss = 0; for (const f of ['alert','confirm','prompt']) window[f] = () => { window.__xss++; };"
    "window.__cspScript = [];"
    "document.addEventListener('securitypolicyviolation', (e) => {"
    "  if (e.effectiveDirective.startsWith('script-src'))"
    "    window.__cspScript.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`);"
    "}, true);"
)

# Runs in the page: every problem found in the user-content containers.
AUDIT_DOM = """
(selector) => {
  const problems = [];
  const forbidden = new Set(["SCRIPT", "IFRAME", "FRAME", "OBJECT", "EMBED", "FORM", "BASE", "META", "LINK", "STYLE",
                             "TEMPLATE", "NOSCRIPT", "SVG", "MATH", "TEXTAREA", "BUTTON", "SELECT"]);
  const schemes = ["http:", "https:", "mailto:"];
  const describe = (el) => el.outerHTML.slice(0, 160);
  const containers = [...document.querySelectorAll(selector)];
  if (!containers.length) problems.push(`no container matches ${selector}`);
  for (const container of containers) {
    if (!container.closest("[hx-disable]")) problems.push(`container without hx-disable: ${describe(container)}`);
    for (const el of container.querySelectorAll("*")) {
      if (forbidden.has(el.tagName.toUpperCase())) problems.push(`forbidden element: ${describe(el)}`);
      if (el.shadowRoot) problems.push(`shadow root: ${describe(el)}`);
      // the chart widget is drawn by charts.js/uPlot, which sizes and colours it through element.style
      const drawnChart = el.closest("[data-chart][data-drawn]") && el !== el.closest("[data-chart]");
      for (const { name } of el.attributes) {
        const lower = name.toLowerCase();
        if (lower.startsWith("on")) problems.push(`event handler ${name}: ${describe(el)}`);
        if (lower === "style" && !drawnChart) problems.push(`style attribute: ${describe(el)}`);
        if (lower.startsWith("hx-") || lower.startsWith("data-hx-")) problems.push(`htmx attribute ${name}: ${describe(el)}`);
      }
    }
    for (const el of container.querySelectorAll("[href], [src], [action], [formaction], [srcdoc], [poster], [data]")) {
      for (const name of ["href", "src", "action", "formaction", "poster", "data"]) {
        const raw = el.getAttribute(name);
        if (raw === null) continue;
        let url;
        try { url = new URL(raw, document.baseURI); } catch (e) { problems.push(`unparseable ${name}: ${describe(el)}`); continue; }
        if (!schemes.includes(url.protocol)) problems.push(`${url.protocol} URL in ${name}: ${describe(el)}`);
        if (el.tagName === "IMG" && name === "src") {
          if (!["http:", "https:"].includes(url.protocol) || !/^(https?:\\/\\/|\\/)/i.test(raw.trim()))
            problems.push(`image not from http(s) or this site: ${describe(el)}`);
        }
        if (el.tagName === "A" && name === "href" && url.origin !== location.origin && ["http:", "https:"].includes(url.protocol)) {
          const rel = (el.getAttribute("rel") || "").toLowerCase().split(/\\s+/);
          if (!["nofollow", "noopener", "noreferrer"].every((t) => rel.includes(t)))
            problems.push(`external link without rel="nofollow noopener noreferrer": ${describe(el)}`);
        }
      }
      if (el.hasAttribute("srcdoc")) problems.push(`srcdoc: ${describe(el)}`);
    }
  }
  if (document.baseURI !== location.href) problems.push(`the base URL moved to ${document.baseURI}`);
  return problems;
}
"""


def chunks(items, size):
    return [items[n : n + size] for n in range(0, len(items), size)]


@pytest.fixture
def corpus():
    """A public report, its comments and the team intro, all full of payloads, and a run to chart."""
    alice = factories.user(username="alice")
    org = teams.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = teams.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    project = experiments.project_create(team=team, name="xss", actor=alice, visibility="public")
    run = experiments.run_create(project=project, actor=alice, run_id="r1", name=HOSTILE_RUN_NAME)
    experiments.history_append(actor=SYSTEM, run=run, rows=[{"step": s, "values": {"loss": 1 / (s + 1), HOSTILE_KEY: s}} for s in range(10)])
    body = "\n\n".join(PAYLOADS)
    report = reports.report_create(team=team, actor=alice, title='"><img src=x onerror=alert(1)> corpus', body=body, visibility="public")
    comments = chunks(PAYLOADS, PER_COMMENT)
    for part in comments:
        reports.comment_add(report=report, actor=alice, body="\n\n".join(part))
    teams.team_update(actor=SYSTEM, team=team, intro=body)
    return {"report": f"/vision/reports/{report.pk}/", "team": "/vision/", "comments": len(comments)}


def hooked(context, live_server):
    """Hooks before any page script runs; only the live server is reachable (no DNS waits for evil.example)."""
    context.add_init_script(HOOKS)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort())


def script_src(response):
    policy = response.headers.get("content-security-policy", "")
    directives = {part.strip().split(" ")[0]: part.strip() for part in policy.split(";") if part.strip()}
    return directives.get("script-src") or directives.get("default-src")


def check_page(tab, path, containers, *, live_chart=False):
    response = tab.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    csp = script_src(response)
    assert csp, f"{path}: no script-src (nor default-src) in the Content-Security-Policy"
    assert "'unsafe-inline'" not in csp, f"{path}: {csp}"
    if live_chart:
        # charts.js drew the corpus's charts: the hostile run name and key went through uPlot
        expect(tab.locator(".report-body [data-chart]").first).to_have_attribute("data-drawn", "true")
        expect(tab.locator(".report-body [data-chart]:not([data-drawn])")).to_have_count(0)
        expect(tab.locator(".report-body .chart-legend").first).to_contain_text(HOSTILE_RUN_NAME)
    tab.wait_for_timeout(1000)
    assert tab.url.endswith(path), f"{path}: the page navigated away to {tab.url}"
    assert tab.evaluate("window.__xss") == 0, f"{path}: alert/confirm/prompt ran"
    assert tab.evaluate("window.__cspScript") == [], f"{path}: CSP blocked script (something got through)"
    problems = tab.evaluate(AUDIT_DOM, containers)
    assert problems == [], f"{path}:\n" + "\n".join(problems)


def assert_the_checks_bite(tab, containers):
    """A canary: markup the sanitizer should have removed, added by hand, is seen by every check above."""
    tab.evaluate(
        """() => document.querySelector('.report-body').insertAdjacentHTML('beforeend',
             '<img src=x onerror=alert(1)><a href="javascript:alert(1)">j</a><p style="color:red" hx-get="/x">s</p>')"""
    )
    tab.wait_for_function("window.__cspScript.length > 0")
    problems = "\n".join(tab.evaluate(AUDIT_DOM, containers))
    for expected in ("event handler onerror", "javascript: URL in href", "style attribute", "htmx attribute hx-get"):
        assert expected in problems, problems
    tab.evaluate("alert(1)")
    assert tab.evaluate("window.__xss") == 1


def test_xss_corpus_in_the_browser(page, browser, live_server, corpus):
    hooked(page.context, live_server)
    sign_in(page, "alice", factories.PASSWORD)
    check_page(page, corpus["report"], ".report-body, .comment .prose", live_chart=True)
    expect(page.locator(".comment .prose")).to_have_count(corpus["comments"])
    assert_the_checks_bite(page, ".report-body, .comment .prose")
    check_page(page, corpus["team"], "section.prose")

    visitor = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    visitor.set_default_timeout(10_000)
    try:
        hooked(visitor, live_server)
        tab = visitor.new_page()
        check_page(tab, corpus["report"], ".report-body, .comment .prose", live_chart=True)
        expect(tab.locator(".comment .prose")).to_have_count(corpus["comments"])
        check_page(tab, corpus["team"], "section.prose")
    finally:
        visitor.close()
