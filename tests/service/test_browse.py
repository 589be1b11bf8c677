"""Browsing over real HTTP: lists, the class tree, the claims browser and its downloads, the
map, the neighbourhood picture, and the language a reader chose."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from urllib.parse import quote, urlencode

import pytest

from kg.paths import Layout
from service.i18n import date_text
from tests.http import Reply, request
from tests.live import LiveServer

JIM = "source/jim-2017-03-14-dealers-nouveaux-canaux"


def get(server: LiveServer, path: str, **headers: str) -> Reply:
    return request("GET", server.url + path, headers=headers)


def visible_text(html: str) -> str:
    """The text a reader sees: tags, attributes and scripts left out."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_home_counts_link_to_lists_that_hold_that_many(live_server: LiveServer) -> None:
    home = get(live_server, "/?lang=en").text
    links = re.findall(r'<a href="(/browse/(\w+)\?lang=en)">(\d+)</a>', home)
    assert {kind for _, kind, _ in links} >= {"substance", "claim", "source", "place"}
    for href, kind, count in links:
        listed = json.loads(get(live_server, href + "&format=json").body)
        assert listed["total"] == int(count), kind
        assert all(row["kind"] == kind for row in listed["results"])


def test_the_class_tree_counts_include_subclasses(live_server: LiveServer) -> None:
    tree = json.loads(get(live_server, "/browse?format=json").body)["classes"]

    def walk(nodes: list[dict[str, object]]) -> None:
        for node in nodes:
            children = node["subclasses"]
            assert isinstance(children, list)
            for child in children:
                assert child["count"] <= node["count"]
            walk(children)

    walk(tree)
    flat = json.dumps(tree)
    assert '"name": "Substance"' in flat and '"name": "Stimulant"' in flat
    page = get(live_server, "/browse/class/Substance?lang=en").text
    assert "/browse/class/Stimulant" in page  # subclasses listed with their counts


def test_lists_page_sort_and_filter(live_server: LiveServer) -> None:
    whole = json.loads(get(live_server, "/browse/substance?format=json&per_page=500").body)
    names = [r["label"] for r in whole["results"]]
    page2 = json.loads(get(live_server, "/browse/substance?format=json&per_page=5&page=2").body)
    assert [r["label"] for r in page2["results"]] == names[5:10]
    backwards = json.loads(get(live_server, "/browse/substance?format=json&per_page=500"
                                            "&order=desc").body)
    assert [r["label"] for r in backwards["results"]] == names[::-1]
    found = json.loads(get(live_server, "/browse/substance?format=json&q=KETA").body)
    assert {r["id"] for r in found["results"]} >= {"substance/ketamine"}
    assert all("ket" in r["label"].lower() or "ket" in r["id"] for r in found["results"])
    for bad in ("page=0", "per_page=abc", "sort=colour", "order=up"):
        reply = get(live_server, f"/browse/substance?{bad}")
        assert reply.status == 400 and "parameter" in reply.text
    assert get(live_server, "/browse/nonsense").status == 404
    assert get(live_server, "/browse/class/Nonsense").status == 404


def claims_json(server: LiveServer, **facets: str) -> dict[str, object]:
    reply = get(server, "/claims?" + urlencode({**facets, "format": "json"}))
    assert reply.status == 200, reply.text
    data: dict[str, object] = json.loads(reply.body)
    return data


def sparql_of_page(server: LiveServer, **facets: str) -> str:
    page = get(server, "/claims?" + urlencode(facets)).text
    found = re.search(r'<pre class="sparql">(.*?)</pre>', page, re.S)
    assert found is not None
    import html

    return html.unescape(found.group(1))


@pytest.mark.parametrize("facets", [
    {"source": JIM},
    {"kind": "RegulatoryFact"},
    {"trend": "concept/increasing", "confidence": "concept/high-confidence"},
    {"period": "2016"},
    {"substance": "substance/ketamine"},
    {"place": "place/paris"},
])
def test_a_selection_is_the_answer_of_its_sparql_query(live_server: LiveServer,
                                                      facets: dict[str, str]) -> None:
    selected = claims_json(live_server, **facets)
    ids = {r["iri"] for r in selected["results"]}  # type: ignore[union-attr,index]
    assert ids, facets
    query = sparql_of_page(live_server, **facets)
    answer = request("POST", f"{live_server.url}/sparql", body=query,
                     headers={"Content-Type": "application/sparql-query",
                              "Accept": "application/sparql-results+json"})
    assert answer.status == 200, answer.text
    rows = json.loads(answer.body)["results"]["bindings"]
    assert {row["claim"]["value"] for row in rows} == ids


def test_facets_narrow_and_each_row_shows_quote_and_source(live_server: LiveServer) -> None:
    everything = claims_json(live_server)
    narrowed = claims_json(live_server, source=JIM)
    assert 0 < narrowed["total"] < everything["total"]  # type: ignore[operator]
    for row in narrowed["results"]:  # type: ignore[union-attr]
        assert row["source"] == JIM and row["quote"]
    page = get(live_server, "/claims?" + urlencode({"source": JIM, "lang": "en"})).text
    assert page.count('class="claim-row"') == min(25, narrowed["total"])  # type: ignore[type-var]
    assert page.count(f'class="source" href="/id/{JIM}') == page.count('class="claim-row"')
    for bad in ("kind=Rumour", "source=source/nowhere", "period=20x6", "format=xlsx"):
        reply = get(live_server, f"/claims?{bad}")
        assert reply.status == 400 and "parameter" in reply.text


def test_csv_and_json_downloads_hold_the_same_selection(live_server: LiveServer) -> None:
    data = claims_json(live_server, source=JIM)
    reply = get(live_server, "/claims?" + urlencode({"source": JIM, "format": "csv"}))
    assert reply.media_type == "text/csv"
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [r["iri"] for r in rows] == [r["iri"] for r in data["results"]]  # type: ignore
    assert all(r["source"] == JIM and r["quote"] for r in rows)


def test_the_editor_link_carries_the_query(live_server: LiveServer) -> None:
    page = get(live_server, "/claims?" + urlencode({"source": JIM})).text
    link = re.search(r'href="(/sparql\?query=[^"]+)"', page)
    assert link is not None
    assert quote(f"<https://w3id.org/dmkg/id/{JIM}>", safe="") in html.unescape(link.group(1))


def test_source_pages_show_claims_as_a_table_with_charts(live_server: LiveServer) -> None:
    page = get(live_server, f"/id/{JIM}?lang=en").text
    table = page.split('class="compact claims-stated"')[1].split("</table>")[0]
    total = claims_json(live_server, source=JIM)["total"]
    assert table.count("<tr>") == total + 1  # the header row, then one per claim
    assert page.count('<figure class="chart"') == 3  # kind, trend, confidence
    text = visible_text(page)
    assert "prov:" not in text and "http://www.w3.org/ns/prov" not in text
    assert "derived from" in text


def test_the_neighbourhood_caps_groups_and_links_to_the_rest(live_server: LiveServer) -> None:
    page = get(live_server, f"/id/{JIM}?lang=en").text
    picture = page.split('<figure class="neighbourhood">')[1].split("</figure>")[0]
    stated = claims_json(live_server, source=JIM)["total"]
    assert f"and {stated - 6} more" in picture  # type: ignore[operator]
    assert f'href="/claims?source={quote(JIM, safe="")}&amp;lang=en"' in picture
    assert picture.count('<g class="group">') >= 2 and 'class="legend"' in picture
    assert 'marker-end="url(#arrow)"' in picture
    # full labels on hover, even when the drawn text is shortened
    drawn = re.findall(r'<a href="/id/[^"]+"><title>([^<]+)</title>.*?<text[^>]*>([^<]+)</text>',
                       picture)
    assert len(drawn) >= 7
    shortened = [(full, shown) for full, shown in drawn if shown.endswith("…")]
    assert shortened and all(full.startswith(shown[:-1]) for full, shown in shortened)


def test_the_map_draws_every_curated_city_with_its_source(live_server: LiveServer,
                                                          layout: Layout) -> None:
    rows = json.loads(get(live_server, "/map?format=json").body)
    by_id = {row["id"]: row for row in rows}
    coordinates = [row["id"] for row in rows if "latitude" in row]
    assert len(coordinates) >= 8 and all(by_id[p]["drawn"] for p in coordinates)
    assert all(by_id[p]["source"] == "source/geonames-cities15000" for p in coordinates)
    assert "drive" in by_id["place/lille"]["roles"] and "murders" in by_id["place/lille"]["roles"]
    page = get(live_server, "/map?lang=fr").text
    picture = page.split('<figure class="map">')[1].split("</figure>")[0]
    assert picture.count('class="place"') == len(coordinates)
    assert picture.count("<path ") > 5  # France and its neighbours
    assert "des «\u00a0Drive\u00a0» y opèrent" in picture
    table = page.split('class="compact places"')[1]
    assert table.count("<tr data-place=") == len(rows)
    assert "GeoNames cities15000" in table and "GeoNames 2998324" in table  # Lille


def test_the_chosen_language_persists(live_server: LiveServer) -> None:
    chosen = get(live_server, "/?lang=fr")
    cookie = chosen.headers["set-cookie"].split(";")[0]
    assert cookie == "dmkg_lang=fr"
    for path in ("/browse", "/claims", "/map", "/sparql", "/api/docs", "/id/place/lille"):
        page = get(live_server, path, Cookie=cookie, Accept="text/html",
                   **{"Accept-Language": "en"})
        assert '<html lang="fr">' in page.text, path
    # the kept entity answers are told apart by the cookie too
    english = get(live_server, "/id/substance/ketamine", **{"Accept-Language": "en"})
    french = get(live_server, "/id/substance/ketamine", Cookie=cookie,
                 **{"Accept-Language": "en"})
    assert "Control measures" in english.text and "Mesures de contrôle" in french.text


def test_pages_in_french() -> None:
    assert date_text("2017-04-24", "fr") == "24 avril 2017"
    assert date_text("2017-05-01", "fr") == "1er mai 2017"
    assert date_text("2016-12", "fr") == "décembre 2016"
    assert date_text("2015", "fr") == "2015"
    assert date_text("2017-04-24", "en") == "24 April 2017"
    assert date_text("not a date", "fr") == "not a date"


def test_french_pages_say_french_words(live_server: LiveServer) -> None:
    home = get(live_server, "/?lang=fr").text
    assert "Affirmations par source" in home and "Parcourir" in home
    claims = get(live_server, "/claims?" + urlencode({"source": JIM, "lang": "fr"})).text
    assert "Télécharger cette sélection" in claims and "(14 mars 2017)" in claims
    assert "Retirer tous les filtres" in claims and "built-in method" not in claims
    api = get(live_server, "/api/docs?lang=fr").text
    assert "Consulter, rechercher et lister" in api


@pytest.mark.parametrize("facet", ["source", "kind", "trend", "confidence"])
def test_home_charts_count_what_the_claims_browser_selects(live_server: LiveServer,
                                                           facet: str) -> None:
    home = get(live_server, "/?lang=en").text
    figure = home.split(f'<figure class="chart" data-chart="{facet}">')[1].split("</figure>")[0]
    rows = re.findall(r'<a href="/claims\?([^"]+)">[^<]*</a></td><td>(\d+)</td>', figure)
    assert rows
    for query, count in rows:
        facets = dict(part.split("=", 1) for part in query.replace("&amp;", "&").split("&"))
        facets = {k: v.replace("%2F", "/") for k, v in facets.items() if k != "lang"}
        assert claims_json(live_server, **facets)["total"] == int(count), facets


@pytest.mark.parametrize("value", ['"> <script>alert(1)</script>', "} ; DROP ALL ; {",
                                   "x" * 5000, "é\u202e\u0000", "../../etc/passwd", "-1"])
def test_odd_input_gets_an_answer_never_a_traceback(live_server: LiveServer, value: str) -> None:
    for path in ("/browse/substance", "/browse/class/Substance", "/claims", "/map"):
        for name in ("q", "source", "kind", "period", "page", "sort", "lang", "format"):
            reply = get(live_server, f"{path}?{urlencode({name: value})}")
            assert reply.status in (200, 400), (path, name, reply.status)
            assert "Traceback" not in reply.text
            if reply.media_type == "text/html":  # errors are plain text, sent with nosniff
                assert "<script>alert" not in reply.text


def test_timelines_for_the_whole_graph_and_per_jurisdiction(live_server: LiveServer) -> None:
    whole = get(live_server, "/timeline?lang=en").text
    rows = whole.split('class="timeline-table"')[1].count("<tr><td>")
    measures = json.loads(get(live_server, "/browse/class/ControlMeasure?format=json"
                                           "&per_page=500").body)["total"]
    assert 0 < rows <= measures
    assert "<svg" in whole.split('<figure class="timeline">')[1]
    links = re.findall(r'href="/timeline\?jurisdiction=([^&"]+)&amp;lang=en"[^>]*>[^<]*\((\d+)\)',
                       whole)
    assert links
    for place, count in links:
        page = get(live_server, f"/timeline?jurisdiction={place}&lang=en").text
        table = page.split('class="timeline-table"')[1].split("</table>")[0]
        assert 0 < table.count("<tr><td>") <= int(count)
    assert get(live_server, "/timeline?jurisdiction=substance%2Fketamine").status == 400
    assert "24 avril 2017" in get(live_server, "/timeline?lang=fr").text


@pytest.mark.parametrize(("path", "fmt"), [
    ("/browse", "csv"), ("/browse", "xyz"), ("/browse/substance", "csv"),
    ("/browse/substance", "xyz"), ("/map", "csv"), ("/map", "xyz"), ("/claims", "xyz"),
    ("/claims", "ntriples")])
def test_a_format_a_list_does_not_offer_is_refused_alike(live_server: LiveServer, path: str,
                                                         fmt: str) -> None:
    reply = request("GET", f"{live_server.url}{path}?format={fmt}")
    assert reply.status == 400, (reply.status, reply.text[:200])
    assert "parameter 'format': expected one of html, " in html.unescape(reply.text)


def test_claims_come_in_the_order_of_the_curation_table(live_server: LiveServer) -> None:
    def order(refs: list[str]) -> list[tuple[str, int]]:
        return [(r.rstrip("0123456789"), int(r.lstrip("FR"))) for r in refs]

    listed = json.loads(get(live_server, "/claims?format=json").text)["results"]
    refs = [row["ref"] for row in listed]
    assert refs[:3] == ["F3", "F4", "F5"] and order(refs) == sorted(order(refs))
    source = json.loads(get(live_server, f"/api/entities/{JIM}").text)["claims_stated"]
    stated = [claim["ref"] for claim in source]
    assert len(stated) >= 20 and order(stated) == sorted(order(stated))
    page = get(live_server, f"/id/{JIM}?lang=fr").text
    shown = re.findall(r">(F\d+)<", page)
    assert shown and order(shown) == sorted(order(shown)), shown
