"""Over HTTP, on the built store: the upkeep graph of the union is no client's to read or
write, and a server killed while it applies updates leaves a store whose union, once opened,
is what a full recomputation finds."""

from __future__ import annotations

import gc
import http.client
import json
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from kg.paths import Layout
from kg.store import union_note
from kg.store.oxigraph_backend import OxigraphBackend
from kg.store.union_upkeep import UPKEEP, UPKEEP_NODE
from kg.store.writable import LIVE, StoreOrigin
from tests.http import Reply, request
from tests.live import LiveServer
from tests.service.durability import kill
from tests.service.test_writes import TOKEN, gsp, update, writable_settings

FACTS = "https://w3id.org/dmkg/graph/facts"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("upkeep")
    with LiveServer(folder, home=built.root, settings=writable_settings(folder)) as server:
        yield server


def query(server: LiveServer, text: str, extra: str = "") -> Reply:
    return request("GET", f"{server.url}/sparql?query={quote(text)}{extra}", headers=JSON)


def test_the_upkeep_graph_answers_403_to_reads_and_writes(writable: LiveServer) -> None:
    assert update(writable, "INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> 1 } }"
                            " ; DELETE DATA { GRAPH <urn:mine> { <urn:a> <urn:b> 1 } }"
                  ).status == 204  # the upkeep graph has been used
    reads = [
        query(writable, f"SELECT * WHERE {{ GRAPH <{UPKEEP}> {{ ?s ?p ?o }} }}"),
        query(writable, f"SELECT * FROM NAMED <{UPKEEP}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        query(writable, "SELECT * WHERE { ?s ?p ?o }", f"&default-graph-uri={quote(UPKEEP)}"),
        query(writable, "BASE <https://w3id.org/dmkg/graph/> "
                        "ASK { GRAPH <upkeep> { ?s ?p ?o } }"),
        gsp(writable, "GET", UPKEEP, media=None, token=None),
    ]
    writes = [
        update(writable, f"INSERT DATA {{ GRAPH <{UPKEEP}> {{ <urn:a> <urn:b> 1 }} }}"),
        update(writable, f"DROP SILENT GRAPH <{UPKEEP}>"),
        update(writable, f"INSERT {{ GRAPH <urn:mine> {{ ?s ?p ?o }} }} "
                         f"WHERE {{ GRAPH <{UPKEEP}> {{ ?s ?p ?o }} }}"),
        gsp(writable, "PUT", UPKEEP, "<urn:a> <urn:b> 1 ."),
        gsp(writable, "DELETE", UPKEEP, media=None),
    ]
    for reply in reads + writes:
        assert reply.status == 403, reply.text
        assert UPKEEP in reply.text
    listed = query(writable, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
    assert UPKEEP not in listed.text
    for path in ("/.well-known/void", "/sparql"):
        described = request("GET", writable.url + path, headers={"Accept": "text/turtle"})
        assert described.status == 200 and UPKEEP not in described.text
    backup = request("GET", writable.url + "/admin/backup",
                     headers={"Authorization": f"Bearer {TOKEN}"})
    assert backup.status == 200 and UPKEEP not in backup.text


@pytest.mark.parametrize("graph", [
    UPKEEP, "urn:dmkg:merged-abc", "urn:dmkg:merged-union",
    # Other spellings of the same graphs (RFC 3986 equivalence, a URN's namespace in capitals).
    "https://w3id.org/dmkg/graph/%75pkeep", "HTTPS://W3ID.ORG:443/dmkg/graph/./upkeep",
    "URN:DMKG:merged-abc", "urn:dmkg:merged%2Dabc"])
def test_no_restore_nor_graph_store_body_names_a_graph_of_the_stores_own(
        writable: LiveServer, graph: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = request("GET", writable.url + "/admin/backup", headers=auth).text
    restored = request("POST", writable.url + "/admin/restore",
                       f"<urn:r> <urn:r> <urn:r> <{graph}> .\n",
                       {**auth, "Content-Type": "application/n-quads"})
    bodies = [
        gsp(writable, "PUT", "urn:mine", f"<{graph}> {{ <urn:r> <urn:r> <urn:r> }}",
            media="application/trig"),
        gsp(writable, "POST", "urn:mine", json.dumps(
            {"@id": graph, "@graph": [{"@id": "urn:r", "urn:r": {"@id": "urn:r"}}]}),
            media="application/ld+json"),
        gsp(writable, "PUT", graph, "<urn:r> <urn:r> <urn:r> ."),
        update(writable, f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:r> <urn:r> <urn:r> }} }}"),
    ]
    for reply in [restored, *bodies]:
        assert reply.status == 403, reply.text
        assert graph in reply.text
    assert not json.loads(query(writable, "ASK { <urn:r> <urn:r> <urn:r> }").body)["boolean"]
    listed = query(writable, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
    assert graph not in listed.text
    assert request("GET", writable.url + "/admin/backup", headers=auth).text == before


def built_triples(server: LiveServer) -> list[str]:
    reply = query(server, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{FACTS}> {{ ?s ?p ?o "
                          "FILTER(isIRI(?s) && isIRI(?o)) } } LIMIT 40")
    rows = json.loads(reply.body)["results"]["bindings"]
    assert rows, reply.text
    return [f"<{r['s']['value']}> <{r['p']['value']}> <{r['o']['value']}> ." for r in rows]


def writer(server: LiveServer, built: list[str], stop: threading.Event) -> None:
    """Writes back to back: triples the build holds too, posted, then moved, copied,
    deleted and dropped by short updates, most of which change many triples of the union."""
    number = 0
    while not stop.is_set():
        one, two, three = (f"<urn:w:{(number + i) % 3}>" for i in range(3))
        own = " ".join(f"<urn:s:{number}:{i}> <urn:p> {i} ." for i in range(3000))
        steps = [f"DELETE {{ GRAPH {one} {{ ?s <urn:p> ?o }} }} INSERT {{ GRAPH {two} "
                 f"{{ ?s <urn:q> ?o }} }} WHERE {{ GRAPH {one} {{ ?s <urn:p> ?o }} }}",
                 f"COPY {two} TO {three}", f"DROP GRAPH {two}",
                 f"DELETE WHERE {{ GRAPH {three} {{ ?s <urn:q> ?o }} }}",
                 f"INSERT {{ GRAPH {three} {{ ?s <urn:r> ?o }} }} "
                 f"WHERE {{ GRAPH {one} {{ ?s ?p ?o }} }}"]
        try:
            if number % 6 == 0:
                gsp(server, "POST", one[1:-1], f"{own} {' '.join(built)}")
            else:
                update(server, steps[number % 6 - 1])
        except (OSError, http.client.HTTPException):
            return  # the server is gone
        number += 1


def recomputed(store: ox.Store, base: tuple[str, ...]) -> set[ox.Triple]:
    """The rest of the union found from scratch: what written graphs hold and no base graph."""
    held: dict[bool, set[ox.Triple]] = {True: set(), False: set()}
    for q in store.quads_for_pattern(None, None, None):
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name != UPKEEP_NODE:
            held[q.graph_name.value in base].add(q.triple)
    return held[False] - held[True]


def kill_during_a_write(server: LiveServer, live: Path) -> None:
    """SIGKILL the server while its note says a write is under way (or after 5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if "changing" in (live / union_note.NOTE).read_text(encoding="utf-8"):
                # Somewhere in the write: mostly early, sometimes late (up to 0.2 s).
                time.sleep(0.2 * random.random() ** 3)
                break
        except OSError:
            pass  # being replaced
    kill(server)


@pytest.mark.slow
def test_a_server_killed_during_updates_leaves_the_union_a_set(tmp_path: Path,
                                                               built: Layout) -> None:
    settings = writable_settings(tmp_path)
    live = Path(settings["STORE_DIR"]) / "writable" / LIVE
    cut_mid_write = upkeep_left = 0
    # Kills land where they land: up to 8 servers, fewer once one landed between an update
    # and its upkeep (the case the upkeep graph is for), after three at least.
    for attempt in range(8):
        with LiveServer(tmp_path, home=built.root, settings=settings) as server:
            found = built_triples(server)
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(server, found, stop))]
            threads[0].start()
            time.sleep(random.uniform(0.2, 0.8))
            kill_during_a_write(server, live)
            stop.set()
            threads[0].join()
        note = json.loads((live / union_note.NOTE).read_text(encoding="utf-8"))
        cut_mid_write += note["union"] == "changing"
        left = ox.Store.read_only(str(live))
        upkeep_left += left.contains_named_graph(UPKEEP_NODE)
        del left
        gc.collect()
        origin = StoreOrigin.read(live)
        assert origin is not None
        backend = OxigraphBackend.writable(live, origin.protected)
        base = union_note.kept_base(live)
        assert base is not None
        rest = {q.triple for q in backend.store.quads_for_pattern(None, None, None,
                                                                  ox.DefaultGraph())}
        assert rest == recomputed(backend.store, base), f"attempt {attempt}"
        assert not backend.store.contains_named_graph(UPKEEP_NODE)
        backend.store = None  # type: ignore[assignment]
        del backend
        gc.collect()
        if upkeep_left >= 1 and attempt >= 2:
            break  # the rarest case landed too
    # Where a kill lands is the machine's timing: one during a write at least. The window
    # between an update and its upkeep is covered for certain in
    # tests/kg/store/test_union_upkeep.py (a store cut off there is opened and repaired).
    assert cut_mid_write, "no kill landed during a write"
    print(f"{attempt + 1} kills, {cut_mid_write} during a write, {upkeep_left} before its "
          "upkeep was done")
