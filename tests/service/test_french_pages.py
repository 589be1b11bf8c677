"""The French interface over real HTTP: search, the ontology, error pages, the time line, the
map, the claims browser's facets and French typography on every kind of page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from service.i18n import CHROME_FRENCH, CHROME_FRENCH_PATTERNS, VIEW_WORDS
from tests.http import Reply, request
from tests.live import LiveServer

FRENCH = {"Cookie": "dmkg_lang=fr"}
# A page of every kind, the French typography of each checked.
PAGES = ("/", "/browse", "/browse/substance", "/browse/class/Substance",
         "/id/substance/cocaine", "/id/substance/injectable-ketamine",
         "/id/source/jim-2017-03-14-dealers-nouveaux-canaux", "/id/place/paris",
         "/id/claim/ofdt-t115-cocaine-call-centers", "/id/channel/drive",
         "/id/regulation/un-1961-schedule-i", "/id/concept/high-confidence", "/id/actor/ofdt",
         "/search?q=kokain", "/search?q=montagne", "/search?q=zzzzqx", "/claims",
         "/claims?source=source%2Fjim-2017-03-14-dealers-nouveaux-canaux&kind=ReportedFinding",
         "/timeline", "/timeline?jurisdiction=place%2Ffrance", "/map", "/ontology", "/sparql",
         "/api/docs", "/dataset", "/graph/facts", "/reconcile/preview?id=substance/mdma",
         "/no-such-page", "/claims?page=abc")
# A sign of two strokes that follows no no-break space, at the end of a word.
UNSPACED = re.compile(r"(?<![\u00a0\u202f])[;:!?](?=\s|$)")
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


class FrenchText(HTMLParser):
    """The texts a page shows in French: its text and the attributes readers see, leaving out
    scripts, code, quotes (verbatim) and whatever is marked as another language."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def shown(self) -> bool:
        return not any(left_out for _, left_out in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        left_out = (tag in {"script", "style", "pre", "code", "textarea", "blockquote"}
                    or values.get("lang") not in (None, "fr"))
        if tag not in VOID:
            self.open.append((tag, left_out))
        if self.shown() and not left_out:
            self.texts += [v for name in SHOWN_ATTRIBUTES if (v := values.get(name))]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.shown():
            self.texts += [v for name in SHOWN_ATTRIBUTES if (v := dict(attrs).get(name))]

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.shown():
            self.texts.append(data)


def unspaced(page: str) -> list[str]:
    """The places where a page's French text puts no no-break space before ; : ! ?"""
    reader = FrenchText()
    reader.feed(page)
    return [text[max(0, m.start() - 30):m.end()] for text in reader.texts
            for m in UNSPACED.finditer(text)]


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> Reply:
    return request(method, f"{server.url}{path}", headers={**FRENCH, **(headers or {})})


def test_french_search_writes_its_suggestion_kinds_and_matches_in_french(
        live_server: LiveServer) -> None:
    page = get(live_server, "/search?q=kokain").text
    # The suggestion is the entity's French label as written, not its folded English name.
    assert 'href="/search?q=coca%C3%AFne&lang=fr">cocaïne</a>' in page
    assert ">cocaine</a>" not in page
    assert '&amp;kind=claim">affirmations</a>' in page
    assert "· affirmation" in page and "· réglementation" in page
    assert "· claim" not in page and "· regulation" not in page
    # Names matched as well in both languages are named in French (the label, so not shown).
    assert "« Cocaine, cannabis, heroin" not in page and "“cocaine”" not in page
    english = request("GET", f"{live_server.url}/search?q=kokain&lang=en").text
    assert 'href="/search?q=cocaine&lang=en">cocaine</a>' in english
    assert "· claim" in english


def test_the_ontology_page_reads_in_the_readers_language(live_server: LiveServer) -> None:
    reply = get(live_server, "/ontology")
    assert reply.headers["content-language"] == "fr"
    assert "Accept-Language" in reply.headers["vary"] and "Cookie" in reply.headers["vary"]
    page = reply.text
    assert '<html lang="fr">' in page
    assert '<h2 id="classes">Classes' in page and "Propriétés d\u2019objet <span" in page
    assert ("<h3>acteur <span class=\"other\" lang=\"en\">/ actor</span></h3>" in page)
    assert "<p>Quiconque agit dans ou sur un marché de drogues" in page
    assert "<dt>sous-classe de</dt>" in page and "<dt>subclass of</dt>" not in page
    english = request("GET", f"{live_server.url}/ontology?lang=en").text
    assert "<h3>actor <span class=\"other\" lang=\"fr\">/ acteur</span></h3>" in english


def test_the_time_line_has_a_legend_and_keeps_cut_labels_whole(live_server: LiveServer) -> None:
    page = get(live_server, "/timeline").text
    figure = page.split('<figure class="timeline">')[1]
    picture = figure.split("</svg>")[0]
    drawn = set(re.findall(r'<(?:rect|path d="M[^"]* l6,6[^"]*") [^>]*fill="(#[0-9a-f]{6})"',
                           picture))
    legend = re.findall(r'h10 v10 h-10 z" fill="(#[0-9a-f]{6})"/><text[^>]*>([^<]+)</text>',
                        picture)
    # One entry per colour drawn; the table below names each row's category in words.
    assert {colour for colour, _ in legend} == drawn and len(legend) == len(drawn) >= 5
    assert ("#1e8449", "obligations seules") in legend
    # A label too long for the picture is cut, and its hover title holds it whole.
    bars = re.findall(r"<a [^>]*><title>([^<]+)</title>.*?<text [^>]*>([^<]+)</text></a>",
                      picture)
    cut = [(title, shown) for title, shown in bars if shown.endswith("…")]
    assert cut and all(title.startswith(shown[:-1]) for title, shown in cut)
    assert all(len(shown) < len(title) for title, shown in cut)


def test_the_map_names_countries_and_writes_decimals_in_french(live_server: LiveServer) -> None:
    page = get(live_server, "/map").text
    picture = page.split('<figure class="map">')[1].split("</svg>")[0]
    countries = set(re.findall(r'stroke-width="0.7"><title>([^<]+)</title>', picture))
    assert {"Allemagne", "Espagne", "Royaume-Uni", "Belgique", "Suisse", "Italie"} <= countries
    assert not {"Germany", "Spain", "United Kingdom", "Belgium", "Switzerland"} & countries
    assert "<title>Paris\u202f: " in picture
    # French writes a decimal comma, so the two coordinates are parted by a semicolon.
    assert "<td>48,85" in page and "\u202f; 2,3" in page and "<td>48.85" not in page
    english = request("GET", f"{live_server.url}/map?lang=en").text
    assert "<td>48.85" in english and "<title>Germany</title>" in english


def test_long_facet_lists_open_on_the_rest_without_script(live_server: LiveServer) -> None:
    page = get(live_server, "/claims").text
    section = page.split('data-facet="substance">')[1].split("</section>")[0]
    shown, rest = section.split('<details class="more-values">')
    hidden = re.findall(r'<li><a href="(/claims\?[^"]+)"', rest)
    assert len(re.findall(r"<li><a ", shown)) == 12 and hidden
    assert f"<summary>et {len(hidden)} autres</summary>" in rest
    assert "<li class=\"muted\">…" not in page
    # The values behind the disclosure narrow the selection like the others.
    narrowed = get(live_server, hidden[-1].replace("&amp;", "&"))
    assert narrowed.status == 200 and 'aria-current="true"' in narrowed.text


def test_the_checker_finds_signs_without_a_no_break_space() -> None:
    assert unspaced("<p>Légende: <b>a</b> ; b !</p>") == ["Légende:", " ;", " ; b !"]
    assert unspaced('<p title="Note: x">ok\u202f: fine</p>') == ["Note:"]
    assert unspaced('<p lang="en">Note: x</p><blockquote>« a : b »</blockquote>') == []
    assert unspaced("<p>https://x.org/?q=a &amp; 15:30</p><script>a ? b : c</script>") == []


def test_every_kind_of_page_follows_french_typography(live_server: LiveServer) -> None:
    faults = {}
    for path in PAGES:
        reply = get(live_server, path, {"Accept": "text/html"})
        assert reply.media_type == "text/html", path
        if found := unspaced(reply.text):
            faults[path] = found
    assert faults == {}


def test_the_editor_and_api_docs_scripts_take_their_words_from_the_page(
        live_server: LiveServer) -> None:
    for path in ("/sparql", "/api/docs"):
        page = get(live_server, path, {"Accept": "text/html"}).text
        block = page.split('<script id="chrome-words" type="application/json">')[1]
        words = json.loads(block.split("</script>")[0])
        assert words["exact"] == CHROME_FRENCH and words["views"] == VIEW_WORDS["fr"]
        assert [pattern for pattern, _ in words["patterns"]] == [
            pattern for pattern, _ in CHROME_FRENCH_PATTERNS]
        # The block comes before the script that reads it.
        assert page.index('id="chrome-words"') < page.index("js/chrome-fr.js")
    english = request("GET", f"{live_server.url}/sparql?lang=en",
                      headers={"Accept": "text/html"}).text
    assert '"views": {"chart": "Chart"' in english and '"exact"' not in english
    # The scripts hold no French words of their own: service/i18n.py is their one source.
    french = {w for w in [*CHROME_FRENCH.values(), *VIEW_WORDS["fr"].values()]
              if len(w) > 5 and w not in CHROME_FRENCH and w not in VIEW_WORDS["en"].values()}
    for script in ("chrome-fr.js", "result-views.js"):
        text = request("GET", f"{live_server.url}/static/js/{script}").text
        assert not [w for w in french if w in text], script
