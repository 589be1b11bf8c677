"""Search over real HTTP: the REST search, suggestions, the search page and reconciliation,
with misspellings, facets and snippets; and the index kept beside the store."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from kg.paths import Layout
from tests.http import request
from tests.live import LiveServer

MISSPELT = [("extasy", "substance/mdma", "ecstasy"), ("kokain", "substance/cocaine", "cocaine"),
            ("canabis", "substance/herbal-cannabis", "cannabis"),
            ("darkweb", "channel/dark-web", "dark web")]


def get_json(server: LiveServer, path: str, **params: Any) -> Any:
    reply = request("GET", f"{server.url}{path}?{urlencode(params, doseq=True)}")
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


@pytest.mark.parametrize(("typed", "entity", "meant"), MISSPELT)
def test_api_search_forgives_misspellings(live_server: LiveServer, typed: str, entity: str,
                                          meant: str) -> None:
    body = get_json(live_server, "/api/search", q=typed)
    assert body["results"][0]["id"] == entity
    assert body["results"][0]["match"] == "fuzzy"
    # Written as the search page writes it: a label stands for its entity's label, another
    # name (ecstasy, a street name of MDMA) is kept as written.
    assert body["did_you_mean"] == meant
    right = get_json(live_server, "/api/search", q=meant)
    assert right["did_you_mean"] is None
    assert right["results"][0]["score"] > body["results"][0]["score"]


def test_api_search_finds_words_of_quotes_with_snippets(live_server: LiveServer) -> None:
    for word in ("montagne", "ARCHIVES"):
        body = get_json(live_server, "/api/search", q=word)
        hit = body["results"][0]
        assert hit["id"] == "claim/chassaing-2017-ketamine-registers"
        assert hit["match"] == "text"
        assert f"<b>{word.lower()}</b>" in hit["snippet"]


def test_api_search_ranks_tiers_in_order(live_server: LiveServer) -> None:
    body = get_json(live_server, "/api/search", q="cannabis", per_page=100)
    order = ["exact", "prefix", "words", "substring", "text", "fuzzy"]
    tiers = [order.index(r["match"]) for r in body["results"]]
    assert tiers == sorted(tiers) and len(set(tiers)) >= 2


def test_api_search_facets_and_filters(live_server: LiveServer) -> None:
    body = get_json(live_server, "/api/search", q="cocaine", per_page=100)
    facets = body["facets"]
    assert set(facets) == {"kind", "class", "source", "claim_kind", "confidence", "trend"}
    kinds = {f["value"]: f["count"] for f in facets["kind"]}
    assert sum(kinds.values()) == body["total"]
    assert kinds["claim"] == sum(r["kind"] == "claim" for r in body["results"])
    high = next(f for f in facets["confidence"] if f["value"] == "concept/high-confidence")
    assert high["label"] and high["label"] != high["value"]
    kept = get_json(live_server, "/api/search", q="cocaine", confidence=high["value"],
                    kind="claim", per_page=100)
    assert kept["total"] == high["count"] or kept["total"] <= high["count"]
    assert kept["total"] >= 1 and {r["kind"] for r in kept["results"]} == {"claim"}
    source = facets["source"][0]
    by_source = get_json(live_server, "/api/search", q="cocaine", source=source["value"])
    assert by_source["total"] == source["count"]


def test_suggestions_as_typed(live_server: LiveServer) -> None:
    body = get_json(live_server, "/api/suggest", q="kéta", lang="fr")
    assert body["suggestions"][0]["id"] == "substance/ketamine"
    assert body["suggestions"][0]["url"] == "/id/substance/ketamine?lang=fr"
    assert get_json(live_server, "/api/suggest", q="zzzzqx")["suggestions"] == []
    reply = request("GET", f"{live_server.url}/api/suggest?limit=3")
    assert reply.status == 400 and "q" in json.loads(reply.body)["message"]


def test_rest_search_and_suggestions_write_names_in_the_language_asked(
        live_server: LiveServer) -> None:
    # As the search page writes them: the entity's own spelling, in lang.
    assert get_json(live_server, "/api/search", q="kokain", lang="fr")["did_you_mean"] == "cocaïne"
    assert get_json(live_server, "/api/search", q="kokain", lang="en")["did_you_mean"] == "cocaine"
    found = {s["id"]: s for s in get_json(live_server, "/api/suggest", q="keta",
                                          lang="fr")["suggestions"]}
    medicines = found["substance/ketamine-medicines"]
    assert medicines["kind_label"] == "substance"
    assert medicines["matched"] == medicines["label"]  # not its English label
    # An alternative name, in French when one matches too (not "ketamine ampoules").
    injectable = found["substance/injectable-ketamine"]
    assert (injectable["matched"], injectable["matched_lang"]) == ("kétamine injectable", "fr")
    kinds = {s["kind"]: s["kind_label"] for s in found.values()}
    assert kinds["regulation"] == "réglementation" and kinds["claim"] == "affirmation"


def test_an_excerpt_in_another_language_than_the_page_s_is_marked(
        live_server: LiveServer) -> None:
    # A claim's English summary says "deplores", its French one "déplore".
    for typed, lang, other in (("deplores", "en", "fr"), ("déplore", "fr", "en")):
        found = request("GET", f"{live_server.url}/search?"
                               f"{urlencode({'q': typed, 'lang': other})}").body.decode()
        assert f'<blockquote class="snippet" lang="{lang}">' in found, typed
        assert f"<b>{typed}</b>" in found.split(f'class="snippet" lang="{lang}">')[1]
        same = request("GET", f"{live_server.url}/search?"
                              f"{urlencode({'q': typed, 'lang': lang})}").body.decode()
        assert '<blockquote class="snippet">' in same and 'class="snippet" lang' not in same
        # The API gives the excerpt's language beside it, whatever the language asked.
        body = get_json(live_server, "/api/search", q=typed, lang=other)
        hit = next(h for h in body["results"] if h["snippet"])
        assert (hit["id"], hit["snippet_lang"]) == ("claim/chassaing-2017-ketamine-registers",
                                                    lang)


def test_search_page_offers_did_you_mean_snippets_and_kinds(live_server: LiveServer) -> None:
    page = request("GET", f"{live_server.url}/search?q=kokain&lang=fr").body.decode()
    assert "Vouliez-vous dire" in page and 'href="/search?q=coca%C3%AFne&lang=fr"' in page
    assert 'href="/id/substance/cocaine?lang=fr"' in page
    quoted = request("GET", f"{live_server.url}/search?q=montagne").body.decode()
    assert "<b>montagne</b>" in quoted and 'class="snippet"' in quoted
    claims = request("GET", f"{live_server.url}/search?q=cocaine&kind=claim").body.decode()
    assert "/id/claim/" in claims and "/id/substance/cocaine?" not in claims
    # Each facet links to the search narrowed by one of its values, with its count.
    assert 'href="/search?kind=claim&amp;q=cocaine&amp;lang=en&amp;confidence=concept' in claims
    assert "<h2>Claim kind</h2>" in claims and "<h2>Source</h2>" in claims
    hostile = request("GET", f"{live_server.url}/search?q=%3Cscript%3Ex").body.decode()
    assert "<script>x" not in hostile


def test_search_page_pages_its_results_without_scripts(live_server: LiveServer) -> None:
    everything = get_json(live_server, "/api/search", q="e", per_page=100)
    ids = [hit["id"] for hit in everything["results"]]
    assert everything["total"] == len(ids) > 50
    first = request("GET", f"{live_server.url}/search?q=e&lang=fr").body.decode()
    assert f"Page 1 sur {-(-len(ids) // 50)}" in first
    assert 'rel="next" href="/search?q=e&amp;lang=fr&amp;page=2"' in first
    assert 'rel="prev"' not in first
    second = request("GET", f"{live_server.url}/search?q=e&lang=fr&page=2").body.decode()
    assert f'href="/id/{ids[50]}?lang=fr"' in second
    assert f'href="/id/{ids[0]}?lang=fr"' not in second
    assert 'rel="prev" href="/search?q=e&amp;lang=fr&amp;page=1"' in second
    small = request("GET", f"{live_server.url}/search?q=e&per_page=10&page=3").body.decode()
    assert small.count('<li><a href="/id/') == 10 and f'href="/id/{ids[20]}?' in small
    assert request("GET", f"{live_server.url}/search?q=e&page=0").status == 400


@pytest.mark.parametrize(("typed", "entity", "meant"), MISSPELT)
def test_reconciliation_tolerates_typos_and_ranks_the_exact_name_first(
        live_server: LiveServer, typed: str, entity: str, meant: str) -> None:
    queries = {"q0": {"query": typed}, "q1": {"query": meant}}
    reply = request("POST", f"{live_server.url}/reconcile",
                    body=urlencode({"queries": json.dumps(queries)}).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200, reply.body
    answers = json.loads(reply.body)
    misspelt, exact = answers["q0"]["result"], answers["q1"]["result"]
    assert misspelt[0]["id"] == entity and not misspelt[0]["match"]
    assert misspelt[0]["score"] >= max(c["score"] for c in misspelt)
    assert exact[0]["score"] > misspelt[0]["score"]


@pytest.mark.slow
def test_the_index_is_kept_beside_the_store_and_reused(tmp_path: Path, built: Layout) -> None:
    store = tmp_path / "store"
    settings = {"STORE_DIR": str(store)}
    with LiveServer(workdir=tmp_path, home=built.root, settings=settings) as server:
        assert get_json(server, "/api/search", q="kokain")["did_you_mean"] == "cocaine"
    indexes = list(store.glob("search-*"))
    (stores,) = list(store.glob("store-*"))
    assert len(indexes) == 1 and indexes[0].name == "search-" + stores.name[len("store-"):]
    ready = (indexes[0] / "READY").stat()
    (tmp_path / "again").mkdir()
    with LiveServer(workdir=tmp_path / "again", home=built.root, settings=settings) as server:
        assert get_json(server, "/api/search", q="ecstasy")["results"][0]["id"] == \
            "substance/mdma"
    again = (indexes[0] / "READY").stat()
    assert (again.st_ino, again.st_mtime_ns) == (ready.st_ino, ready.st_mtime_ns)


def _index_state(folder: Path) -> tuple[int, set[tuple[str, int, int]]]:
    """The index folder's inode and each file's name, inode and modification time."""
    return folder.stat().st_ino, {(f.name, f.stat().st_ino, f.stat().st_mtime_ns)
                                  for f in folder.iterdir()}


@pytest.mark.slow
def test_writes_through_the_service_reach_the_index(tmp_path: Path, built: Layout) -> None:
    from tests.service.test_writes import GRAPH, update, writable_settings

    settings = writable_settings(tmp_path)
    with LiveServer(tmp_path, home=built.root, settings=settings) as server:
        assert get_json(server, "/api/search", q="zorglubine")["total"] == 0
        (folder,) = (tmp_path / "store" / "writable").glob("search-*")
        inode = folder.stat().st_ino
        reply = update(server, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ '
                               f'<https://w3id.org/dmkg/id/substance/ketamine> '
                               f'<http://www.w3.org/2004/02/skos/core#altLabel> '
                               f'"zorglubine"@fr }} }}')
        assert reply.status == 204, reply.text
        deadline = time.monotonic() + 30
        while not (found := get_json(server, "/api/search", q="zorglubine"))["total"]:
            assert time.monotonic() < deadline, "the written name never reached the index"
            time.sleep(0.2)
        assert found["results"][0]["id"] == "substance/ketamine"
        assert get_json(server, "/api/search", q="zorglubin")["results"][0]["match"] == "prefix"
        misspelt = get_json(server, "/api/search", q="zorglubien")
        assert misspelt["results"][0]["id"] == "substance/ketamine"
        assert misspelt["results"][0]["match"] == "fuzzy"
        assert misspelt["did_you_mean"] == "zorglubine"  # another name, kept as written
        while (folder / "PENDING").exists():
            assert time.monotonic() < deadline, "the index never noted the write"
            time.sleep(0.2)
        # The write was added to the index in place: no other index was built.
        assert list((tmp_path / "store" / "writable").glob("search-*")) == [folder]
        assert folder.stat().st_ino == inode
        state = _index_state(folder)
    # Started again on the store as written: the index is opened, not written again.
    (tmp_path / "again").mkdir()
    with LiveServer(tmp_path / "again", home=built.root, settings=settings) as server:
        assert get_json(server, "/api/search", q="zorglubine")["results"][0]["id"] == \
            "substance/ketamine"
    assert _index_state(folder) == state


def test_a_very_long_search_text_is_no_server_error(live_server: LiveServer) -> None:
    text = "a" * 1000
    reconcile = request("POST", f"{live_server.url}/reconcile",
                        body=urlencode({"queries": json.dumps({"q0": {"query": text}})}),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    for reply in (request("GET", f"{live_server.url}/api/search?q={text}"),
                  request("GET", f"{live_server.url}/search?q={text}"),
                  request("GET", f"{live_server.url}/reconcile/suggest/entity?prefix={text}"),
                  reconcile):
        assert reply.status in {200, 400}, (reply.status, reply.body[:200])


def test_the_catalogue_reads_a_very_long_text_by_its_beginning(built: Layout) -> None:
    from kg.catalogue import Catalogue
    from kg.store.oxigraph_backend import OxigraphBackend

    backend = OxigraphBackend.in_memory()
    backend.load(built.dist_dir / "dmkg.nq")
    catalogue = Catalogue.from_backend(backend)
    assert catalogue.search("ketamine" + "a" * 10000) == catalogue.search(
        ("ketamine" + "a" * 10000)[:500])
