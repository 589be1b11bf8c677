"""A French-speaking reader walks the whole site in a real headless Chromium: having chosen
French once, every page reachable from the home page (within the site, at most MAX_PAGES)
is in French, shows no English word of the interface and no raw IRI or CURIE as text, and no
request leaves 127.0.0.1. Screenshots of one page of each part go to test-artifacts/."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser

from kg.paths import Layout
from service.i18n import ERROR_WORDS, WORDS
from tests.browser import Settled, artifacts_dir
from tests.live import LiveServer

pytestmark = pytest.mark.slow  # headless Chromium, about a hundred and fifty pages

MAX_PAGES = 150
# Pages of one shape (the same first two parts of the path and the same parameters) visited
# at most this often: enough to meet each kind of page, not every claim of the graph.
PER_SHAPE = 3
# Besides the home page: a search (the box of every page), and error pages readers meet.
SEEDS = ("/", "/search?q=kokain", "/no-such-page", "/claims?page=abc")
# Addresses that are data, not pages (downloads, dumps, documents for programs).
NOT_PAGES = ("/static/", "/dumps/", "/api/openapi.json", "/context.jsonld", "/.well-known/",
             "/rdf-graphs/", "/admin/", "/health", "/ready", "/reconcile")
DATA_PARAMETERS = ("format", "output", "results", "for")

# The interface's English words: the English pages' words that French writes otherwise
# ("Source" or "Relations" are French too), and the ones the brief of the site names.
FRENCH_WORDS = {w for table in (WORDS["fr"], ERROR_WORDS["fr"]) for w in table.values()}
ENGLISH_WORDS = sorted(
    {w for key, w in WORDS["en"].items() if w != WORDS["fr"].get(key) and w not in FRENCH_WORDS
     and re.fullmatch(r"[A-Za-z][A-Za-z ]{3,40}", w)}
    | {"Search", "Home", "Claims", "Download", "Next", "Previous", "Sort", "Sort by", "Filter",
       "Browse", "Map", "Legend", "Apply", "Clear", "Close", "Open", "Show", "Hide", "Quote",
       "Loading", "No results", "Run query", "Try it out", "Execute", "Not Found"})
# Pieces of English sentences of the interface, wherever they appear in a text.
ENGLISH_PHRASES = (r"\band \d+ more\b", r"\bPage \d+ of \d+\b", r"\b\d+ results?\b",
                   r"\bSort by\b", r"\bClaims per\b", r"\bDid you mean\b",
                   r"\bDownload this selection\b", r"\bOpen as a SPARQL query\b")
# A CURIE of the vocabularies the graph uses, or a web address.
CURIE = (r"\b(prov|dmo|dmr|skos|rdfs|rdf|owl|dct|dcterms|dc|schema|xsd|geo|foaf|void|sd|wd"
         r"|wdt|sh):[A-Za-z_][\w.-]*")
IRI = r"\bhttps?://\S+"

# The texts a reader sees, each checked; left out: code (queries, identifiers, CURIEs shown
# as code), query answers, the REST API's own reference (operations and schemas, written for
# programmers), and what is marked as another language (quotes, the other language's labels).
READ = """([words, phrases, curie, iri]) => {
  const SKIP = 'script, style, code, pre, textarea, noscript, kbd, samp, .CodeMirror, ' +
    '.dataTable tbody, .swagger-ui .opblock-tag-section, .swagger-ui .models';
  const exact = new Set(words);
  const phrase = new RegExp(phrases.join('|'));
  const curieRe = new RegExp(curie), iriRe = new RegExp(iri);
  const found = [];
  const foreign = el => { const l = el.closest('[lang]'); return l && !l.lang.startsWith('fr'); };
  const check = (text, el, where) => {
    const t = text.replace(/\\s+/g, ' ').trim();
    if (!t) return;
    const bare = t.replace(/^[←→\\u00d7·\\s]+|[←→\\u00d7·:\\u202f\\u00a0\\s]+$/g, '');
    if (exact.has(bare)) found.push(['English word', bare, where]);
    let m = t.match(phrase); if (m) found.push(['English phrase', m[0], where, t.slice(0, 80)]);
    m = t.match(curieRe); if (m) found.push(['CURIE', m[0], where, t.slice(0, 80)]);
    m = t.match(iriRe);
    if (m && !el.closest('a')) found.push(['IRI', m[0], where, t.slice(0, 80)]);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(SKIP) || foreign(el) || !el.checkVisibility()) continue;
    check(n.textContent, el, el.tagName.toLowerCase());
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [alt], ' +
                                               'input[type=submit], input[type=button]')) {
    if (el.closest(SKIP) || foreign(el)) continue;
    for (const name of ['title', 'aria-label', 'placeholder', 'alt', 'value']) {
      if (name === 'value' && !['submit', 'button'].includes(el.type)) continue;
      const value = el.getAttribute(name);
      if (value) check(value, el, el.tagName.toLowerCase() + '@' + name);
    }
  }
  document.querySelectorAll('title').forEach(t => check(t.textContent, t, 'title'));
  // French words are longer: the site's header still holds its search box and button.
  const bar = document.querySelector('header.bar');
  if (bar && bar.scrollWidth > bar.clientWidth + 1) found.push(['header wider than the page']);
  // An SVG link's href is an object: its attribute, resolved, is the address.
  const links = [...document.querySelectorAll('a[href]')]
    .filter(a => !a.hasAttribute('download'))
    .map(a => new URL(a.getAttribute('href'), location.href).href);
  return {found, links};
}"""


def site_address(url: str, origin: str) -> str | None:
    """The page an address names within the site, without its language (kept by the cookie
    the first page set), or None for another site, a download or a document for programs."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != origin or parts.path.startswith(NOT_PAGES):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "lang"]
    if any(k in DATA_PARAMETERS for k, _ in query):
        return None
    return parts.path + ("?" + urlencode(sorted(query)) if query else "")


def shape(address: str) -> tuple[object, ...]:
    parts = urlsplit(address)
    return (*parts.path.strip("/").split("/")[:2],
            *sorted({k for k, _ in parse_qsl(parts.query)}))


def test_a_french_reader_meets_no_english_and_no_raw_iri(chromium: Browser,
                                                          live_server: LiveServer,
                                                          layout: Layout) -> None:
    shots = artifacts_dir(layout.root)
    origin = live_server.url
    # The browser asks for English: only the reader's choice makes the pages French.
    context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                   extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    settled = Settled(page)
    settled.goto(f"{origin}/?lang=fr")

    queue, seen, shapes = list(SEEDS), set(SEEDS), {shape(s): 1 for s in SEEDS}
    problems: list[tuple[object, ...]] = []
    visited: list[str] = []
    shot: set[str] = set()
    while queue and len(visited) < MAX_PAGES:
        address = queue.pop(0)
        reply = settled.goto(origin + address)
        assert reply is not None, address
        if "text/html" not in reply.headers.get("content-type", ""):
            continue
        visited.append(address)
        if page.locator("[data-french-chrome]").count():
            page.wait_for_timeout(500)  # the editor's and API docs' controls, put in French
        if page.locator("html").get_attribute("lang") != "fr":
            problems.append((address, "page not in French"))
        read = page.evaluate(READ, [ENGLISH_WORDS, list(ENGLISH_PHRASES), CURIE, IRI])
        problems += [(address, *finding) for finding in read["found"]]
        part = f"{shape(address)[0] or 'home'}{'-error' if reply.status >= 400 else ''}"
        if part not in shot:
            shot.add(part)
            page.screenshot(path=str(shots / f"french-walk-{part}.png"))
        for link in read["links"]:
            found = site_address(link, origin)
            if found is None or found in seen or shapes.get(shape(found), 0) >= PER_SHAPE:
                continue
            seen.add(found)
            shapes[shape(found)] = shapes.get(shape(found), 0) + 1
            queue.append(found)
    context.close()

    # The walk met every part of the site.
    parts = {shape(a)[0] for a in visited}
    assert {"", "browse", "claims", "id", "map", "timeline", "sparql", "ontology", "search",
            "api"} <= parts, parts
    assert len(visited) >= 60, visited
    assert [u for u in requested if not u.startswith((origin, "data:", "blob:"))] == []
    assert problems == [], "\n".join(map(str, problems))
