"""Authenticated writes over real HTTP: tokens, the build's graphs kept safe, the Graph Store
Protocol, malformed RDF refused, the audit log, and written graphs surviving a rebuild."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest

from kg.paths import Layout
from kg.search.build import PENDING
from tests.canary import Canary
from tests.conftest import copy_sources
from tests.http import Reply, request
from tests.live import LiveServer

TOKEN = "alice-token-0123456789abcdef"
OTHER = "bob-token-0123456789abcdef0"
GRAPH = "https://w3id.org/dmkg/graph/contrib/alice"
FACTS = "https://w3id.org/dmkg/graph/facts"
UPDATE = "application/sparql-update"


def writable_settings(folder: Path) -> dict[str, str]:
    (folder / "tokens").write_text(f"# contributors\nalice {TOKEN}\nbob {OTHER}\n",
                                   encoding="utf-8")
    return {"WRITE_TOKENS": str(folder / "tokens"), "STORE_DIR": str(folder / "store"),
            "AUDIT_LOG": str(folder / "audit.log")}


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, built: Layout) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("writable")
    with LiveServer(folder, home=built.root, settings=writable_settings(folder)) as server:
        yield server


def update(server: LiveServer, text: str, token: str | None = TOKEN,
           path: str = "/sparql") -> Reply:
    headers = {"Content-Type": UPDATE}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request("POST", server.url + path, text, headers)


def ask(server: LiveServer, text: str) -> bool:
    reply = request("GET", f"{server.url}/sparql?query={quote(text)}",
                    headers={"Accept": "application/sparql-results+json"})
    assert reply.status == 200, reply.text
    return bool(json.loads(reply.body)["boolean"])


def count(server: LiveServer, graph: str) -> int:
    reply = request("GET", f"{server.url}/sparql?query=" + quote(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"),
        headers={"Accept": "application/sparql-results+json"})
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


def audit(server: LiveServer) -> list[dict[str, object]]:
    lines = Path(server.settings["AUDIT_LOG"]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def gsp(server: LiveServer, method: str, graph: str | None, body: bytes | str | None = None,
        media: str | None = "text/turtle", token: str | None = TOKEN) -> Reply:
    where = f"graph={quote(graph, safe='')}" if graph else "default"
    headers = {}
    if media:
        headers["Content-Type"] = media
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return request(method, f"{server.url}/rdf-graphs/service?{where}", body, headers)


def test_a_write_needs_a_valid_bearer_token(writable: LiveServer) -> None:
    text = f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:x> <urn:y> "no token" }} }}'
    for token in (None, "wrong-token-0123456789abcdef", TOKEN[:-1], TOKEN + "x", ""):
        reply = update(writable, text, token)
        assert reply.status == 401, token
        assert reply.headers["www-authenticate"].startswith("Bearer")
    basic = request("POST", f"{writable.url}/sparql", text,
                    {"Content-Type": UPDATE, "Authorization": f"Basic {TOKEN}"})
    assert basic.status == 401
    assert not ask(writable, 'ASK { ?s ?p "no token" }')


def test_writes_are_off_unless_tokens_are_configured(live_server: LiveServer) -> None:
    reply = update(live_server, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> 1 }} }}")
    assert reply.status == 403
    assert gsp(live_server, "PUT", GRAPH, "<urn:a> <urn:b> 1 .").status == 403


def test_an_update_lands_in_its_graph_is_queryable_and_audited(writable: LiveServer) -> None:
    text = (f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://w3id.org/dmkg/id/substance/ketamine> '
            f'<http://www.w3.org/2004/02/skos/core#note> "seen in Lyon, 2026"@en }} }}')
    reply = update(writable, text)
    assert reply.status == 204, reply.text
    assert "access-control-allow-origin" not in reply.headers
    assert ask(writable, 'ASK { ?s ?p "seen in Lyon, 2026"@en }')  # the union default graph
    entry = audit(writable)[-1]
    assert entry["who"] == "alice" and entry["status"] == "applied"
    # The text as executed: relative IRIs resolve against the IRI base, never the Host.
    assert entry["operation"] == "update"
    assert entry["text"] == f"BASE <https://w3id.org/dmkg/> {text}"
    assert entry["targets"] == [GRAPH] and entry["time"]


def test_an_update_sees_the_union_in_where(writable: LiveServer) -> None:
    target = GRAPH + "/controlled"
    reply = update(writable, f"""
        PREFIX dmo: <https://w3id.org/dmkg/ontology#>
        INSERT {{ GRAPH <{target}> {{ ?s a <urn:dmkg:Controlled> }} }}
        WHERE {{ ?s a dmo:Substance }}""")
    assert reply.status == 204, reply.text
    assert count(writable, target) >= 10


def test_graph_in_the_where_of_an_update_reads_the_graph_it_names(writable: LiveServer) -> None:
    source, target = GRAPH + "/moved-from", GRAPH + "/moved-to"
    reply = update(writable, f"INSERT DATA {{ GRAPH <{source}> {{ <urn:m:s> <urn:m:p> _:b }} }}")
    assert reply.status == 204, reply.text
    # Moving blank-node triples needs GRAPH in the WHERE: no text can name their node.
    reply = update(writable, f"""
        DELETE {{ GRAPH <{source}> {{ ?s ?p ?o }} }} INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }}
        WHERE {{ GRAPH <{source}> {{ ?s ?p ?o }} }}""")
    assert reply.status == 204, reply.text
    assert count(writable, source) == 0 and count(writable, target) == 1
    reply = update(writable, f"DELETE {{ GRAPH <{target}> {{ ?s ?p ?o }} }} "
                             f"WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = <{target}>) }}")
    assert reply.status == 204, reply.text
    assert count(writable, target) == 0


@pytest.mark.parametrize("text", [
    "CLEAR ALL",
    "DROP NAMED",
    "CLEAR DEFAULT",
    f"DROP GRAPH <{FACTS}>",
    f"INSERT DATA {{ GRAPH <{FACTS}> {{ <urn:a> <urn:b> 1 }} }}",
    "INSERT DATA { <urn:a> <urn:b> 1 }",
    f"WITH <{FACTS}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"MOVE <{GRAPH}> TO <{FACTS}>",
    f"COPY <{GRAPH}> TO DEFAULT",
    f"ADD <{GRAPH}> TO <https://w3id.org/dmkg/graph/inferred>",
    "DELETE WHERE { GRAPH <https://w3id.org/dmkg/graph/ontology> { ?s ?p ?o } }",
    f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> 1 }} }} ; DROP GRAPH <{FACTS}>",
    # The same, disguised.
    f"insert data {{ graph <{FACTS}> {{ <urn:a> <urn:b> 1 }} }}",
    "PREFIX g: <https://w3id.org/dmkg/graph/> "
    "INSERT DATA { GRAPH g:facts { <urn:a> <urn:b> 1 } }",
    f"\\u0049NSERT DATA {{ GRAPH <{FACTS}> {{ <urn:a> <urn:b> 1 }} }}",
    f"INSERT DATA {{ GRAPH <{FACTS}> # }}\n {{ <urn:a> <urn:b> 1 }} }}",
])
def test_the_builds_graphs_cannot_be_written(writable: LiveServer, text: str) -> None:
    before = {g: count(writable, g) for g in (FACTS, GRAPH)}
    reply = update(writable, text)
    # 400 for a text with no single reading (an escape outside strings), 403 otherwise.
    assert reply.status in {400, 403}, (reply.status, reply.text)
    assert {g: count(writable, g) for g in (FACTS, GRAPH)} == before
    assert audit(writable)[-1]["status"] == "refused"


@pytest.mark.parametrize("text,status", [
    ("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> }", 400),
    ("LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:g>", 400),
    ("SELECT * { ?s ?p ?o }", 400),
])
def test_a_bad_update_gets_400(writable: LiveServer, text: str, status: int) -> None:
    assert update(writable, text).status == status


def test_cors_never_opens_writes(writable: LiveServer) -> None:
    preflight = request("OPTIONS", f"{writable.url}/sparql",
                        headers={"Origin": "https://elsewhere.example",
                                 "Access-Control-Request-Method": "POST",
                                 "Access-Control-Request-Headers": "authorization"})
    allowed = preflight.headers.get("access-control-allow-headers", "").lower()
    assert "authorization" not in allowed
    put = gsp(writable, "PUT", GRAPH + "/cors", "<urn:a> <urn:b> 1 .")
    assert put.status == 201
    assert "access-control-allow-origin" not in put.headers


def test_the_graph_store_protocol(writable: LiveServer) -> None:
    graph = GRAPH + "/gsp"
    assert gsp(writable, "GET", graph, media=None, token=None).status == 404
    created = gsp(writable, "PUT", graph, '<s1> <urn:p> "one" .\n<s2> <urn:p> "two" .')
    assert created.status == 201, created.text
    got = gsp(writable, "GET", graph, media=None, token=None)
    assert got.status == 200 and got.media_type == "text/turtle"
    assert b"<https://w3id.org/dmkg/graph/contrib/alice/s1>" in got.body  # the graph is the base
    assert gsp(writable, "PUT", graph, '<urn:a> <urn:p> "replaced" .').status == 204
    assert count(writable, graph) == 1
    assert gsp(writable, "POST", graph, '<urn:b> <urn:p> "added" .').status == 204
    assert count(writable, graph) == 2
    rdfxml = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
              ' xmlns:ex="http://example.org/"><rdf:Description rdf:about="urn:c">'
              '<ex:p>three</ex:p></rdf:Description></rdf:RDF>')
    assert gsp(writable, "POST", graph, rdfxml, "application/rdf+xml").status == 204
    jsonld = json.dumps({"@id": "urn:d", "http://example.org/p": "four"})
    assert gsp(writable, "POST", graph, jsonld, "application/ld+json").status == 204
    assert count(writable, graph) == 4
    nt = gsp(writable, "GET", graph, media=None, token=None)
    assert nt.status == 200
    assert gsp(writable, "DELETE", graph, media=None).status == 204
    assert gsp(writable, "DELETE", graph, media=None).status == 404
    assert count(writable, graph) == 0
    operations = [e["operation"] for e in audit(writable) if e.get("graph") == graph]
    assert operations[:6] == ["put", "put", "post", "post", "post", "delete"]


def test_the_graph_store_refuses_what_it_must(writable: LiveServer) -> None:
    body = "<urn:a> <urn:b> 1 ."
    assert gsp(writable, "PUT", GRAPH + "/x", body, token=None).status == 401
    assert gsp(writable, "PUT", FACTS, body).status == 403
    assert gsp(writable, "DELETE", "https://w3id.org/dmkg/graph/ontology", media=None).status == 403
    assert gsp(writable, "PUT", None, body).status == 403
    assert gsp(writable, "PUT", GRAPH + "/x", body, "text/plain").status == 415
    assert gsp(writable, "PUT", GRAPH + "/x", body, None).status == 415
    assert gsp(writable, "PUT", "not an iri", body).status == 400
    assert request("PUT", f"{writable.url}/rdf-graphs/service", body,
                   {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
                   ).status == 400
    assert count(writable, GRAPH + "/x") == 0



@pytest.mark.parametrize(("media", "body"), [
    ("application/trig", "<https://w3id.org/dmkg/graph/facts> { <urn:a> <urn:b> <urn:c> }"),
    ("application/ld+json", '[{"@id": "https://w3id.org/dmkg/graph/facts", "@graph": '
                            '[{"@id": "urn:a", "urn:b": {"@id": "urn:c"}}]}]'),
    ("application/ld+json", '{"@id": "_:g", "@graph": [{"@id": "urn:a", "urn:b": 1}]}'),
])
def test_a_body_naming_graphs_is_refused_in_every_syntax_that_can(writable: LiveServer,
                                                                  media: str, body: str) -> None:
    # A write fills the one graph of ?graph=: graphs the body names are not folded into it.
    reply = gsp(writable, "POST", GRAPH + "/named", body, media)
    assert reply.status == 400, (reply.status, reply.text)
    assert f"the {media} body names graphs" in reply.text
    assert count(writable, GRAPH + "/named") == 0

BOMB = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
<rdf:Description rdf:about="urn:s"><ex:p>&g;</ex:p></rdf:Description></rdf:RDF>"""

QUADRATIC = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY a "' + "a" * 50_000 + '">]>'
             '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
             'xmlns:ex="http://example.org/"><rdf:Description rdf:about="urn:s"><ex:p>'
             + "&a;" * 100_000 + "</ex:p></rdf:Description></rdf:RDF>")


def test_malformed_or_hostile_rdf_is_refused_and_nothing_fetched(writable: LiveServer) -> None:
    canary = Canary().__enter__()
    remote = f"http://127.0.0.1:{canary.port}/x"
    external = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "' + remote + '">]>'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:ex="http://example.org/"><rdf:Description rdf:about="urn:s">'
                '<ex:p>&x;</ex:p></rdf:Description></rdf:RDF>')
    parameter = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY % p SYSTEM "' + remote
                 + '"> %p;]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    cases = [
        ("<urn:a> <urn:b> ", "text/turtle", 400),
        ("@prefix ex: <http://example.org/> . ex:a ex:b ex:c", "text/turtle", 400),
        ("<urn:a> <urn:b> \"\\uZZZZ\" .", "application/n-triples", 400),
        ("<rdf:RDF", "application/rdf+xml", 400),
        (BOMB, "application/rdf+xml", 400),
        (QUADRATIC, "application/rdf+xml", 413),
        (external, "application/rdf+xml", 400),
        (parameter, "application/rdf+xml", 400),
        (json.dumps({"@context": remote, "@id": "urn:s", "name": "x"}),
         "application/ld+json", 400),
        (json.dumps({"@context": [{"@import": remote}], "@id": "urn:s"}),
         "application/ld+json", 400),
        ("{not json", "application/ld+json", 400),
    ]
    try:
        for body, media, status in cases:
            for method in ("PUT", "POST"):
                reply = gsp(writable, method, GRAPH + "/hostile", body, media)
                assert reply.status == status, (media, body[:80], reply.status, reply.text)
                assert "Traceback" not in reply.text
    finally:
        canary.__exit__(None, None, None)
    assert canary.connections == 0
    assert gsp(writable, "GET", GRAPH + "/hostile", media=None, token=None).status == 404


def test_the_protocol_dataset_of_an_update_is_honoured(writable: LiveServer) -> None:
    source, target = GRAPH + "/source", GRAPH + "/target"
    assert gsp(writable, "PUT", source, "<urn:s> <urn:p> <urn:o> .").status == 201
    reply = update(writable, f"INSERT {{ GRAPH <{target}> {{ ?s <urn:copied> ?o }} }} "
                             "WHERE { ?s <urn:p> ?o }",
                   path=f"/sparql?using-graph-uri={quote(source, safe='')}")
    assert reply.status == 204, reply.text
    assert count(writable, target) == 1
    conflict = update(writable, f"WITH <{target}> INSERT {{ ?s <urn:q> 1 }} WHERE {{ ?s ?p ?o }}",
                      path=f"/sparql?using-graph-uri={quote(source, safe='')}")
    assert conflict.status == 400


@pytest.mark.slow
def test_written_graphs_survive_a_rebuild(tmp_path: Path, layout: Layout) -> None:
    from kg.build import build

    home = copy_sources(tmp_path / "home", layout)
    build(home)
    settings = writable_settings(tmp_path)
    note = '"kept across rebuilds"'
    with LiveServer(tmp_path, home=home.root, settings=settings) as server:
        assert gsp(server, "PUT", GRAPH, f"<urn:a> <urn:note> {note} .").status == 201
        assert not ask(server, 'ASK { ?s ?p "kétamine rebuilt"@fr }')
    facts = home.root / "kg" / "facts" / "substances.yaml"
    text = facts.read_text(encoding="utf-8")
    assert "fr: kétamine}" in text
    facts.write_text(text.replace("fr: kétamine}", "fr: kétamine rebuilt}", 1), encoding="utf-8")
    build(home)
    with LiveServer(tmp_path, home=home.root, settings=settings) as server:
        assert ask(server, 'ASK { ?s ?p "kétamine rebuilt"@fr }')  # the new build is served
        assert ask(server, f"ASK {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:note> {note} }} }}")


def indexed(server: LiveServer, seconds: float = 30) -> None:
    """Wait until the search index holds every write made so far (no rebuild pending)."""
    folder = Path(server.settings["STORE_DIR"])
    deadline = time.monotonic() + seconds
    while any(folder.rglob(PENDING)):
        assert time.monotonic() < deadline, "the search index was never rebuilt"
        time.sleep(0.05)


def test_a_write_drops_the_kept_answers_it_changes(writable: LiveServer) -> None:
    lookup = writable.url + "/api/entities/substance/ketamine"
    graph = GRAPH + "/cache"
    # The search index rebuilt after the module's earlier writes drops the kept answers
    # again when it is done: wait for it, so that only this test's write can drop them.
    indexed(writable)
    kept = [request("GET", lookup) for _ in range(2)]
    for _ in range(10):  # the first made just before the rebuild's drop, which follows it
        if kept[1].headers["dmkg-cache"] == "hit":
            break
        time.sleep(0.1)
        kept = [request("GET", lookup) for _ in range(2)]
    assert kept[1].headers["dmkg-cache"] == "hit"
    reply = update(writable, f'INSERT DATA {{ GRAPH <{graph}> {{ '
                             f'<https://w3id.org/dmkg/id/substance/ketamine> '
                             f'<http://www.w3.org/2004/02/skos/core#altLabel> "ket-check"@en }} }}')
    assert reply.status == 204, reply.text
    assert request("GET", lookup).headers["dmkg-cache"] == "miss"
    # Names come from the search catalogue, rebuilt about a second after a write: the answers
    # kept meanwhile are dropped again once it is.
    deadline = time.monotonic() + 20
    while "ket-check" not in (changed := request("GET", lookup)).text:
        assert time.monotonic() < deadline, "the new name never reached the look-up"
        time.sleep(0.2)
    assert changed.headers["etag"] != kept[0].headers["etag"]
    assert request("GET", lookup, headers={"If-None-Match": kept[0].headers["etag"]}).status == 200
    assert update(writable, f"DROP GRAPH <{graph}>").status == 204
    while "ket-check" in (restored := request("GET", lookup)).text:
        assert time.monotonic() < deadline + 20, "the dropped name stayed in the look-up"
        time.sleep(0.2)
    assert restored.body == kept[0].body and restored.headers["etag"] == kept[0].headers["etag"]


@pytest.mark.parametrize("text,status", [
    ("DROP GRAPH <urn:dmkg:test:none>", 404),
    ("CLEAR GRAPH <urn:dmkg:test:none>", 404),
    ("MOVE <urn:dmkg:test:none> TO <urn:dmkg:test:y>", 404),
    ("CREATE GRAPH <urn:dmkg:test:twice> ; CREATE GRAPH <urn:dmkg:test:twice>", 409),
])
def test_an_update_on_a_graph_in_the_wrong_state_is_the_clients_error(
        writable: LiveServer, text: str, status: int) -> None:
    reply = update(writable, text)
    # The engine's message, which names the graph; nothing applied, audited as refused.
    assert reply.status == status, (reply.status, reply.text)
    assert "urn:dmkg:test:" in reply.text and "graph" in reply.text.lower()
    assert audit(writable)[-1]["status"] == "refused"
    assert not ask(writable, "ASK { GRAPH <urn:dmkg:test:twice> {} }")


def test_an_update_syntax_error_is_placed_in_the_clients_text(writable: LiveServer) -> None:
    text = "PREFIX e: <urn:e:>\nINSERT DATA {\n  GRAPH e:g { e:a e:b } }"
    with pytest.raises(SyntaxError) as direct:
        ox.Store().update(text)
    where = re.search(r"at \d+:\d+", str(direct.value))
    reply = update(writable, text)
    assert reply.status == 400 and where is not None and where.group() in reply.text, (
        str(direct.value), reply.text)


@pytest.mark.parametrize(("body", "media"), [
    ("@prefix : <http://a/> . << :s :p :o >> :p :o .", "text/turtle"),
    ("@prefix : <http://a/> . :s :p :o ~ :r {| :q :z |} .", "text/turtle"),
    ("<http://a/r> <http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies>"
     " <<( <http://a/s> <http://a/p> <http://a/o> )>> .", "application/n-triples"),
])
def test_triple_terms_are_written_through_the_graph_store(writable: LiveServer, body: str,
                                                         media: str) -> None:
    graph = GRAPH + "/triple-terms"
    reply = gsp(writable, "PUT", graph, body, media)
    assert reply.status in (201, 204), reply.text
    assert ask(writable, f"ASK {{ GRAPH <{graph}> {{ ?r <http://www.w3.org/1999/02/22-rdf-syntax-ns"
                         "#reifies> <<( <http://a/s> <http://a/p> <http://a/o> )>> } }")
    got = gsp(writable, "GET", graph, media=None, token=None)
    assert got.status == 200 and b"<http://a/s>" in got.body
