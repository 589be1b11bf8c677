"""What a French-speaking reader found wrong on the pages, each checked over real HTTP: every
legal text of a measure, property labels, quotes, term links, the time line, typography."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from tests.http import Reply, request
from tests.live import LiveServer

FRENCH = {"Cookie": "dmkg_lang=fr"}
THEFTS = "regulation/ketamine-fr-theft-reporting-2001"
TEXTS_2001 = ("Arrêté du 16 août 2001", "Arrêté du 4 septembre 2001", "Arrêté du 31 juillet 2003")


def get(server: LiveServer, path: str) -> Reply:
    return request("GET", f"{server.url}{path}", headers=FRENCH)


def in_order(text: str, parts: tuple[str, ...]) -> bool:
    """Whether every part is in text, each after the one before."""
    places = [text.find(part) for part in parts]
    return -1 not in places and places == sorted(places)


def test_a_measure_shows_every_legal_text_earliest_first(live_server: LiveServer) -> None:
    for path in (f"/id/{THEFTS}", "/id/substance/ketamine"):
        page = get(live_server, path).text
        card = page.split(f'<strong><a href="/id/{THEFTS}?lang=fr">')[1].split("</div>\n</div>")[0]
        said = card.split("établie par")[1]
        assert in_order(said, TEXTS_2001), path
    timeline = get(live_server, "/timeline").text
    row = timeline.split(f'<tr><td><a href="/id/{THEFTS}?lang=fr">')[1].split("</tr>")[0]
    assert in_order(row, TEXTS_2001)
    title = timeline.split(f'<a href="/id/{THEFTS}"><title>')[1].split("</title>")[0]
    assert in_order(title, TEXTS_2001)
    reply = request("GET", f"{live_server.url}/api/entities/{THEFTS}")
    ids = [i["id"] for i in json.loads(reply.body)["measures"][0]["established_by"]]
    assert ids == ["regulation/arrete-2001-08-16-ketamine-medicines",
                   "regulation/arrete-2001-09-04-ketamine-medicines",
                   "regulation/arrete-2003-07-31-ketamine-tiletamine"]


def test_coordinates_are_named_and_written_as_readers_write_numbers(
        live_server: LiveServer) -> None:
    for city, latitude in (("paris", "48,85341"), ("bordeaux", "44,84124")):
        page = get(live_server, f"/id/place/{city}").text
        relations = page.split('<h2 id="relations">')[1].split("</table>")[0]
        assert ">latitude</a></th>" in relations and ">longitude</a></th>" in relations
        assert "wgs84_pos#lat<" not in relations and latitude in relations
    english = request("GET", f"{live_server.url}/id/place/paris?lang=en").text
    assert ">latitude</a></th>" in english and ">48.85341</data>" in english
    for form in ("ttl", "trig"):
        data = request("GET", f"{live_server.url}/id/place/paris?format={form}").text
        assert "@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>" in data, form
        assert "geo1:" not in data and "geo:lat 48.85341" in data, form


def test_a_source_page_shows_its_quotes_with_their_own_marks_only(
        live_server: LiveServer) -> None:
    page = get(live_server, "/id/source/jim-2017-03-14-dealers-nouveaux-canaux").text
    table = page.split('class="compact claims-stated"')[1].split("</table>")[0]
    quotes = re.findall(r'<blockquote lang="fr" class="muted">([^<]+)</blockquote>', table)
    # The quotes are stored with their marks: <q> would add a second pair around them.
    assert quotes and all(q.startswith("«") for q in quotes) and "<q " not in table


def test_terms_of_the_ontology_link_to_their_entry_on_this_service(
        live_server: LiveServer) -> None:
    ontology = get(live_server, "/ontology").text
    for path in ("/id/channel/drive", "/id/source/jim-2017-03-14-dealers-nouveaux-canaux",
                 "/id/substance/cocaine"):
        page = get(live_server, path).text
        assert 'href="https://w3id.org/dmkg/ontology#' not in page, path
        assert "/ontology#dmo-" not in page, path
        terms = set(re.findall(r'href="/ontology\?lang=fr#([A-Za-z]+)"', page))
        assert terms, path
        # Each lands on its entry.
        assert all(f'id="{term}"' in ontology for term in terms), path


def test_a_status_date_is_not_shown_as_a_start(live_server: LiveServer) -> None:
    measure = "regulation/ketamine-not-internationally-controlled"
    for path in ("/timeline", "/id/substance/ketamine"):
        page = get(live_server, path).text
        row = page.split(f'<tr><td><a href="/id/{measure}?lang=fr">')[1].split("</tr>")[0]
        assert ('<td>statut à la date du <time datetime="2015-12-08">8 décembre 2015</time>'
                '</td>') in row, path
        title = page.split(f'<a href="/id/{measure}"><title>')[1].split("</title>")[0]
        assert title.endswith("(statut à la date du 8 décembre 2015)"), path
    card = get(live_server, f"/id/{measure}").text.split('<div class="claim">')[1]
    assert "début" not in card and "statut à la date du <time" in card


def test_time_line_titles_say_from_when_to_when(live_server: LiveServer) -> None:
    page = get(live_server, "/timeline").text
    picture = page.split('<figure class="timeline">')[1].split("</svg>")[0]
    titles = re.findall(r"<title>([^<]+)</title>", picture)
    said = re.compile(r"\(((?:du|de|d\u2019|depuis|statut) [^()]*)\)")
    periods = [p for t in titles for p in said.findall(t)]
    assert len(periods) >= len(titles)
    assert any(re.fullmatch(r"du \d+ \w+ \d{4} au \d+ \w+ \d{4}", p) for p in periods)
    assert any(p.startswith("depuis ") for p in periods)
    assert not any(" au …" in p for p in periods)
    english = request("GET", f"{live_server.url}/timeline?lang=en").text
    assert re.search(r"\(from \d+ \w+ \d{4} to \d+ \w+ \d{4}\)[.<]", english)


def test_time_line_bars_are_named_by_their_measure_with_one_legend(
        live_server: LiveServer) -> None:
    for path in ("/timeline", "/id/substance/ketamine", "/id/substance/codeine"):
        page = get(live_server, path).text
        figure = page.split('<figure class="timeline">')[1].split("</figure>")[0]
        picture = figure.split("</svg>")[0]
        bars = re.findall(r'<a href="/id/([^"]+)"><title>([^<]+)</title>.*?<text [^>]*>([^<]+)'
                          r"</text></a>", picture)
        shown = [label for _, _, label in bars]
        assert len(set(shown)) == len(shown) > 1, path
        # Each bar's label starts its title, the measure's name; its texts follow it.
        assert all(title.startswith(label.rstrip("…")) for _, title, label in bars), path
        assert not any(label.startswith(("Arrêté", "Convention")) for label in shown), path
        assert figure.count('class="legend"') == 1 and "legend-entry" not in figure, path
    codeine = get(live_server, "/timeline").text
    assert "Établie par Arrêté du 12 juillet 2017" in codeine


def test_the_time_line_colours_are_far_apart() -> None:
    from service.timeline import CATEGORY_COLOURS, DUTIES_ONLY

    def rgb(colour: str) -> tuple[int, ...]:
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))

    colours = [*CATEGORY_COLOURS.values(), DUTIES_ONLY]
    for index, one in enumerate(colours):
        for other in colours[index + 1:]:
            distance = sum((a - b) ** 2 for a, b in zip(rgb(one), rgb(other), strict=True)) ** 0.5
            assert distance >= 60, (one, other)


def test_french_counts_dates_and_signs(live_server: LiveServer) -> None:
    home = get(live_server, "/").text
    total = re.search(r'<a href="/browse\?lang=fr">(\d[\d\u202f]*)</a></th>', home)
    assert total and "\u202f" in total.group(1)  # thousands parted by a narrow no-break space
    one = get(live_server, "/search?q=montagne").text
    assert re.search(r'<p class="muted">1 résultat</p>', one) and "1 résultats" not in one
    assert re.search(r'<p class="muted">\d+ résultats</p>', get(live_server, "/search?q=e").text)
    dataset = get(live_server, "/dataset").text
    modified = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', dataset)
    assert modified and re.fullmatch(r"\d{1,2}(er)? \w+ \d{4} à \d{1,2}\u00a0h\u00a0\d\d UTC",
                                     modified.group(2))
    # West of Greenwich, a true minus sign.
    assert "\u22120,5" in get(live_server, "/map").text and "-0,5" not in get(
        live_server, "/map").text


def test_french_words_say_one_thing_each(live_server: LiveServer) -> None:
    claim = get(live_server, "/id/claim/ofdt-t115-cocaine-call-centers").text
    assert "confiance\u202f: confiance" not in claim and "confiance élevée" in claim
    assert "Nature" not in claim and "nature\u202f:" not in claim
    assert 'placeholder="substance, canal, lieu, source…"' in claim
    facets = get(live_server, "/claims").text
    assert re.search(r"<summary>et \d+ autres</summary>", facets)
    assert not re.search(r"<summary>et \d+ de plus", facets)


def test_the_map_legend_names_only_what_is_drawn(live_server: LiveServer) -> None:
    page = get(live_server, "/map").text
    picture = page.split('<figure class="map">')[1].split("</svg>")[0]
    markers = picture.split('<g class="legend">')[0]
    legend = picture.split('<g class="legend">')[1]
    keyed = re.findall(r'<circle cx="22" cy="[\d.]+" r="6" fill="(#[0-9a-f]{6})"/>', legend)
    # Every colour keyed is a marker's fill or a ring's stroke on the map.
    assert keyed and all(f'fill="{c}" stroke="#fff"' in markers or f'stroke="{c}"' in markers
                         for c in keyed)
    assert "des affirmations portent sur ce lieu" not in legend or "#e08e0b" in markers
    # A place without coordinates is not said to lie outside the map.
    table = page.split('<table class="compact places">')[1]
    region = table.split("région parisienne</a>")[1].split("</td>")[0]
    assert "sans coordonnées dans le graphe" in region and "hors de cette carte" not in region


def test_smaller_faults_of_the_pages(live_server: LiveServer) -> None:
    cocaine = get(live_server, "/id/substance/cocaine").text
    assert ('id="relations"' in cocaine) == ("tableaux Relations" in cocaine or
                                             "tableau Relations" in cocaine)
    assert ('id="incoming"' in cocaine) == ("Cité par ci-dessus" in cocaine)
    assert get(live_server, "/browse/substance?page=99").status == 404
    assert get(live_server, "/browse/substance?page=1&q=zzzzqx").status == 200
    empty = get(live_server, "/search?q=").text
    assert "<h1>Rechercher</h1>" in empty and "«\u00a0\u00a0»" not in empty
    # A source whose title holds its date does not repeat it.
    senate = get(live_server, "/id/source/senat-qe-35603-2002").text
    assert "publiée le 21 mars 2002</a>" in senate
    assert "publiée le 21 mars 2002</a> (" not in senate


def test_the_home_contents_are_in_the_order_of_the_readers_names(
        live_server: LiveServer) -> None:
    for lang in ("fr", "en"):
        home = request("GET", f"{live_server.url}/?lang={lang}").text
        contents = home.split('<table class="compact counts">')[1].split("</table>")[0]
        names = re.findall(r'<td><a href="/browse/[a-z]+\?lang=\w+">([^<]+)</a></td>', contents)
        assert len(names) > 5 and names == sorted(names, key=lambda n: n.replace("é", "e")), lang


def test_the_ontology_page_lists_terms_by_the_readers_names(live_server: LiveServer) -> None:
    for lang in ("fr", "en"):
        page = request("GET", f"{live_server.url}/ontology?lang={lang}").text
        classes = page.split('<h2 id="classes">')[1].split("<h2 ")[0]
        names = re.findall(r"<h3>([^<]+?) <span", classes)
        assert len(names) > 10
        assert names == sorted(names, key=lambda n: n.casefold().replace("é", "e")), lang


def test_each_picture_is_named_by_what_it_shows(live_server: LiveServer) -> None:
    page = get(live_server, "/id/substance/cocaine").text
    names = re.findall(r'<svg [^>]*role="img" aria-label="([^"]+)"', page)
    assert "Chronologie des mesures de contrôle\u202f: cocaïne" in names
    assert "Voisinage\u202f: cocaïne" in names
    assert len(names) == len(set(names))
    english = request("GET", f"{live_server.url}/id/substance/cocaine?lang=en").text
    assert 'aria-label="Neighbourhood: cocaine"' in english


def test_a_time_line_title_tells_the_period_once(live_server: LiveServer) -> None:
    titles = re.findall(r"<title>([^<]+)</title>", get(live_server, "/timeline").text)
    periods = [re.findall(r"\((?:de |du |depuis |jusqu)[^)]*\)", title) for title in titles]
    assert periods and all(len(found) == len(set(found)) for found in periods)
    assert any(title.startswith("Préparations injectables de kétamine sur la liste I "
                                "(de 1997 au 24 avril 2017). ") for title in titles)


def test_search_texts_with_control_characters_are_refused_alike(
        live_server: LiveServer) -> None:
    reconcile = "/reconcile?" + urlencode({"queries": json.dumps({"q0": {"query": "coca\x00"}})})
    for path in ("/search?q=%00", "/search?q=coca%1Bine", "/api/search?q=%00",
                 "/api/suggest?q=coc%00", reconcile, "/reconcile/suggest/entity?prefix=%00",
                 "/browse/substance?q=%00"):
        reply = get(live_server, path)
        assert reply.status == 400, path
        assert b"\x00" not in reply.body and b"\x1b" not in reply.body, path
        assert "control character (U+00" in reply.text, path
    # Tabs and line breaks are spaces to a search.
    assert get(live_server, "/search?q=coca%09%C3%AFne").status == 200


def _claims(server: LiveServer, query: str) -> tuple[set[str], dict[str, list[str]]]:
    body = json.loads(get(server, f"/claims?{query}&format=json").body)
    assert body["total"] == len(body["results"])
    return {row["id"] for row in body["results"]}, body["filters"]


def test_a_facet_given_twice_keeps_claims_having_either_value(live_server: LiveServer) -> None:
    cocaine, _ = _claims(live_server, "substance=substance/cocaine")
    crack, _ = _claims(live_server, "substance=substance/crack")
    both, filters = _claims(live_server,
                            "substance=substance/cocaine&substance=substance/crack")
    assert crack - cocaine and both == cocaine | crack
    assert filters == {"substance": ["substance/cocaine", "substance/crack"]}
    # Across facets the values still narrow: each kind alone, then both kinds with a source.
    opinions, _ = _claims(live_server, "kind=Opinion")
    facts, _ = _claims(live_server, "kind=RegulatoryFact")
    assert _claims(live_server, "kind=Opinion&kind=RegulatoryFact")[0] == opinions | facts
    years = _claims(live_server, "period=2001&period=2016")[0]
    assert years == _claims(live_server, "period=2001")[0] | _claims(live_server,
                                                                     "period=2016")[0]
    # The page names both values, each removable alone, and its SPARQL finds the same claims.
    page = get(live_server, "/claims?substance=substance/cocaine&substance=substance/crack").text
    pills = re.findall(r'<a class="pill" href="([^"]+)" title="\u00d7">'
                       r"substance\u202f: ([^<]+) \u00d7", page)
    assert [(label, href.replace("&amp;", "&")) for href, label in pills] == [
        ("cocaïne", "/claims?substance=substance%2Fcrack"),
        ("crack", "/claims?substance=substance%2Fcocaine")]
    query = page.split('<pre class="sparql">')[1].split("</pre>")[0]
    query = query.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
    reply = request("GET", f"{live_server.url}/sparql?" + urlencode({"query": query}),
                    headers={"Accept": "application/sparql-results+json"})
    found = {b["claim"]["value"].rsplit("/id/", 1)[1]
             for b in json.loads(reply.body)["results"]["bindings"]}
    assert found == both


def _results(page: str) -> str:
    return page.split('<ol class="results">')[1].split("</ol>")[0]


def test_french_results_show_french_names_and_mark_the_others(live_server: LiveServer) -> None:
    for text in ("canabis", "kétamine"):
        results = _results(get(live_server, "/search?" + urlencode({"q": text})).text)
        # No name shown as if quoted, and no English label beside the French one.
        names = re.findall(r'<span class="muted">(.*?)</span>\n', results)
        assert names and not [n for n in names if "«" in n], text
        assert "The call-centre system" not in results and "ketamine medicines" not in results
    results = _results(get(live_server, "/search?q=k%C3%A9tamine").text)
    assert 'autre nom\u202f: <span class="matched">kétamine injectable</span>' in results
    # A name only written in English is marked as English.
    results = _results(get(live_server, "/search?q=freebase").text)
    assert 'autre nom\u202f: <span class="matched" lang="en">freebase</span>' in results
    # Suggestions as typed: a French name matching the letters before an English one.
    reply = get(live_server, "/api/suggest?q=coc&lang=fr")
    found = {s["id"]: (s["matched"], s["matched_lang"])
             for s in json.loads(reply.body)["suggestions"]}
    assert found["substance/crack"] == ("cocaïne basée", "fr")
    assert found["channel/sms-ordering"] == ("Cocaine Call Centers", "en")


def test_a_cut_excerpt_says_so_and_closes_its_quotation(live_server: LiveServer) -> None:
    results = _results(get(live_server, "/search?q=archives").text)
    excerpt = results.split('<blockquote class="snippet">')[1].split("</blockquote>")[0]
    assert excerpt.startswith("« encore un registre") and excerpt.endswith("…\u00a0»")
    assert "<b>archives</b>" in excerpt


def test_an_english_source_title_is_marked_english_on_french_pages(
        live_server: LiveServer) -> None:
    title = "Commentary on the Single Convention on Narcotic Drugs, 1961 \u2013 Schedules"
    link = 'href="/id/source/un-commentary-single-convention-schedules?lang={}"'
    for path in ("/id/claim/un-1961-schedule-i",
                 "/claims?source=source/un-commentary-single-convention-schedules"):
        page = get(live_server, path).text
        assert f'{link.format("fr")} lang="en">{title}</a>' in page, path
        english = request("GET", f"{live_server.url}{path}{'&' if '?' in path else '?'}"
                                 "lang=en").text
        assert f'{link.format("en")}>{title}</a>' in english, path
    reply = request("GET", f"{live_server.url}/api/entities/claim/un-1961-schedule-i?lang=fr")
    assert json.loads(reply.body)["claim"]["source"]["title_lang"] == "en"


def test_every_place_drawn_on_the_map_has_its_role(live_server: LiveServer) -> None:
    rows = json.loads(get(live_server, "/map?format=json").body)
    drawn = {row["id"]: row for row in rows if row["drawn"]}
    assert drawn and all(row["roles"] for row in drawn.values())
    # Lyon and Metz are TREND sites: the graph says the TREND systems operate there.
    for city in ("place/lyon", "place/metz"):
        assert drawn[city]["roles"] == ["actor"]
        assert drawn[city]["by"]["actor"] == ["actor/trend-sintes"]
    page = get(live_server, "/map").text
    table = page.split('<tr data-place="place/metz">')[1].split("</tr>")[0]
    assert "des acteurs du graphe y sont actifs\u202f: " in table
    assert "Dispositifs TREND et SINTES de l\u2019OFDT</a>" in table
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    role_cells = [row.split("<td>")[3] for row in body.split("<tr ")[1:]]
    assert role_cells and all(cell.startswith("<div>") for cell in role_cells)
    picture = page.split('<figure class="map">')[1].split("</figure>")[0]
    assert 'fill="#9aa3ad" stroke="#fff"' not in picture  # no grey marker left


def test_the_class_tree_counts_add_up_as_shown(live_server: LiveServer) -> None:
    tree = json.loads(get(live_server, "/browse?format=json").body)["classes"]

    def walk(nodes: list[dict[str, object]]) -> list[dict[str, object]]:
        return [m for n in nodes for m in (n, *walk(n["subclasses"]))]  # type: ignore[arg-type]

    nodes = walk(tree)
    for node in nodes:
        below = node["subclasses"]
        if below:
            shown = sum(c["count"] for c in below)  # type: ignore[attr-defined]
            assert shown + node["in_no_subclass"] - node["counted_twice"] == node["count"], node
    source = next(n for n in nodes if n["name"] == "Source")
    assert "LegalInstrument" in [c["name"] for c in source["subclasses"]]  # type: ignore[attr-defined]
    page = get(live_server, "/browse").text
    substance = page.split('href="/browse/class/Substance?lang=fr">')[1].split(
        'href="/browse/class/Actor?lang=fr"')[0]
    assert "sans sous-classe\u202f: 1" in substance
    assert "les sous-classes en comptent 6 de plus" in substance


def test_other_names_come_in_the_page_language_first_once_each_and_marked(
        live_server: LiveServer) -> None:
    page = request("GET", f"{live_server.url}/id/substance/cocaine?lang=fr",
                   headers={"Accept": "text/html"}).text
    found = re.search(r"<p>Autres noms.*?</p>", page, re.S)
    assert found, page[:500]
    names = re.findall(r'<span class="pill" lang="(\w+)">([^<]+?)(?: <small>\((\w+)\)</small>)?'
                       r"</span>", found.group(0))
    values = [value for _, value, _ in names]
    assert len(values) == len(set(values)) and "coke" in values  # coke: en and fr, once
    languages = [lang for lang, _, _ in names]
    assert languages == sorted(languages, key=lambda lang: lang != "fr")
    assert all(marker == ("" if lang == "fr" else lang) for lang, _, marker in names)
    assert "cocaine hydrochloride" in values and "cocaïne" not in values  # its label
