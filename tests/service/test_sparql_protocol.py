"""The SPARQL endpoint over real HTTP: operations, formats, errors, CORS, description."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from flask import Flask
from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDF

from kg.formats import GRAPH_FORMATS, RESULT_FORMATS, Format
from kg.paths import Layout
from kg.sparql_reading import lexed
from service.app import create_app
from tests.http import Reply, request
from tests.live import LiveServer

DMR = "https://w3id.org/dmkg/id/"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SELECT = f"SELECT ?label WHERE {{ <{DMR}substance/ketamine> {LABEL} ?label }} ORDER BY ?label"
CONSTRUCT = f"CONSTRUCT WHERE {{ <{DMR}substance/ketamine> ?p ?o }}"


def get(server: LiveServer, query: str, accept: str | None = None, **params: str) -> Reply:
    args = urlencode({"query": query, **params})
    return request("GET", f"{server.url}/sparql?{args}",
                   headers={"Accept": accept} if accept else {})


def labels(reply: Reply) -> list[str]:
    data = json.loads(reply.body)
    return [b["label"]["value"] for b in data["results"]["bindings"]]


def test_query_by_get_post_form_and_post_direct(live_server: LiveServer) -> None:
    by_get = get(live_server, SELECT)
    form = request("POST", f"{live_server.url}/sparql", urlencode({"query": SELECT}),
                   {"Content-Type": "application/x-www-form-urlencoded"})
    direct = request("POST", f"{live_server.url}/sparql", SELECT,
                     {"Content-Type": "application/sparql-query"})
    for reply in (by_get, form, direct):
        assert reply.status == 200
        assert reply.media_type == "application/sparql-results+json"
        assert labels(reply) == ["ketamine", "kétamine"]


@pytest.mark.parametrize(("query", "accept", "status"), [
    (SELECT, "text/csv", 200),
    (CONSTRUCT, "text/turtle", 200),
    ("ASK {}", "application/sparql-results+xml", 200),
    ("SELECT * WHERE { ?s ?p }", "", 400),
    (SELECT, "image/png", 406),
])
def test_get_and_post_queries_get_the_same_answer(live_server: LiveServer, query: str,
                                                  accept: str, status: int) -> None:
    # A GET query is answered before Flask's dispatch, a POST through it: same answer.
    by_get = get(live_server, query, accept)
    by_post = request("POST", f"{live_server.url}/sparql", query,
                      {"Content-Type": "application/sparql-query", "Accept": accept})
    assert by_get.status == by_post.status == status
    assert by_get.body == by_post.body
    for header in ("content-type", "vary", "access-control-allow-origin",
                   "access-control-expose-headers", "x-content-type-options"):
        assert by_get.headers.get(header) == by_post.headers.get(header), header
    assert by_get.headers["access-control-allow-origin"] == "*"


def test_a_head_query_gets_the_heads_of_its_get_and_no_body(live_server: LiveServer) -> None:
    # Made afresh each time (HEAD answers are not kept), as one piece without werkzeug's
    # iterator: the length is the GET's and no byte of the body follows.
    query = f"SELECT ?p ?o WHERE {{ <{DMR}substance/ketamine> ?p ?o }}"
    target = f"{live_server.url}/sparql?{urlencode({'query': query})}"
    accept = {"Accept": "application/sparql-results+json"}
    by_get = request("GET", target, headers=accept)
    by_head = request("HEAD", target, headers=accept)
    assert by_get.status == by_head.status == 200 and by_head.body == b""
    assert int(by_head.headers["content-length"]) == len(by_get.body) > 0
    for header in ("content-type", "vary", "access-control-allow-origin"):
        assert by_head.headers.get(header) == by_get.headers.get(header), header


def test_trailing_slash_is_the_same_endpoint(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/sparql/?query={quote('ASK {}')}")
    assert reply.status == 200 and json.loads(reply.body)["boolean"] is True


@pytest.mark.parametrize("fmt", RESULT_FORMATS, ids=lambda f: f.keyword)
def test_select_by_accept_and_by_format_parameter(live_server: LiveServer, fmt: Format) -> None:
    by_accept = get(live_server, SELECT, f"{fmt.media_type}, */*;q=0.1")
    by_param = get(live_server, SELECT, "text/html", format=fmt.keyword)
    for reply in (by_accept, by_param):
        assert reply.status == 200, reply.body
        assert reply.media_type == fmt.media_type
        assert "Accept" in reply.headers["vary"]
    body = by_accept.text
    if fmt.keyword == "json":
        assert labels(by_accept) == ["ketamine", "kétamine"]
    elif fmt.keyword == "xml":
        assert ">ketamine<" in body and ">kétamine<" in body
    else:
        rows = list(csv.reader(io.StringIO(body), delimiter="," if fmt.keyword == "csv" else "\t"))
        assert rows[0][0].lstrip("?") == "label" and len(rows) == 3


@pytest.mark.parametrize("fmt", GRAPH_FORMATS, ids=lambda f: f.keyword)
def test_construct_in_every_rdf_format_parses_back_to_the_same_graph(
        live_server: LiveServer, fmt: Format) -> None:
    reference = Graph().parse(data=get(live_server, CONSTRUCT, "application/n-triples").body,
                              format="nt")
    reply = get(live_server, CONSTRUCT, fmt.media_type)
    assert reply.status == 200 and reply.media_type == fmt.media_type
    if fmt.dataset:
        data = Dataset()
        data.parse(data=reply.body, format=fmt.rdflib_name)
        parsed = Graph()
        for s, p, o, _ in data.quads((None, None, None, None)):
            parsed.add((s, p, o))
    else:
        parsed = Graph().parse(data=reply.body, format=fmt.rdflib_name)
    assert len(reference) > 10
    assert set(parsed) == set(reference)


def test_quality_values_choose_the_preferred_format(live_server: LiveServer) -> None:
    reply = get(live_server, SELECT,
                "application/sparql-results+json;q=0.5, text/csv;q=0.9, text/html;q=0.8")
    assert reply.media_type == "text/csv"
    # Ranked first, HTML is the editor page showing the query (what a browser gets).
    page = get(live_server, SELECT, "application/sparql-results+json;q=0.5, text/html")
    assert page.media_type == "text/html" and "examples-menu" in page.text


def test_nothing_acceptable_is_406(live_server: LiveServer) -> None:
    reply = get(live_server, SELECT, "image/png")
    assert reply.status == 406
    assert "application/sparql-results+json" in reply.text


@pytest.mark.parametrize("function", ["<urn:no-such-function>",
                                      "<http://www.w3.org/2005/xpath-functions#current-dateTime>"])
def test_a_function_the_engine_does_not_know_is_400(live_server: LiveServer,
                                                    function: str) -> None:
    reply = get(live_server, f"SELECT ({function}(1) AS ?n) {{}}")
    assert reply.status == 400, reply.text
    assert function in reply.text and "not supported" in reply.text


def test_an_unknown_format_is_400(live_server: LiveServer) -> None:
    reply = get(live_server, SELECT, format="png")
    assert reply.status == 400 and "json" in reply.text


def test_a_format_of_the_other_kind_leaves_the_choice_to_accept(live_server: LiveServer) -> None:
    assert get(live_server, SELECT, format="turtle").media_type == \
        "application/sparql-results+json"
    assert get(live_server, SELECT, "text/csv", output="turtle").media_type == "text/csv"
    assert get(live_server, CONSTRUCT, format="csv").media_type == "text/turtle"


@pytest.mark.parametrize(("name", "value", "select", "construct"), [
    ("format", "xml", "application/sparql-results+xml", "application/rdf+xml"),
    ("output", "json", "application/sparql-results+json", "application/ld+json"),
    ("results", "application/xml", "application/sparql-results+xml", "application/rdf+xml"),
    ("format", "text/turtle", "application/sparql-results+json", "text/turtle"),
    ("output", "application/ld+json,application/x-json+ld", "application/sparql-results+json",
     "application/ld+json"),
])
def test_format_parameters_are_read_per_query_form(live_server: LiveServer, name: str,
                                                   value: str, select: str,
                                                   construct: str) -> None:
    assert get(live_server, SELECT, **{name: value}).media_type == select
    assert get(live_server, CONSTRUCT, **{name: value}).media_type == construct


def test_syntax_error_is_400_with_the_parser_message(live_server: LiveServer) -> None:
    reply = get(live_server, "SELECT * WHERE { ?s ?p }")
    assert reply.status == 400
    assert reply.text.startswith("query syntax error:") and len(reply.text) > 30
    assert "Traceback" not in reply.text


@pytest.mark.parametrize("query", [
    'SELECT * { ?s ?p """a""""" }',
    "PREFIX e: <http://e/>\nSELECT * {\n  ?s e:p ?x ?y }",
    'SELECT * { ?s ?p "\u00e9\u00e9" . FILTER(?x = ) }',
    "SELECT ?x { VALUES ?x { 1 2 3 } } LIMIT 99999999999999999999999",
    "SELECT ?x { VALUES ?x { 1 2 3 } } OFFSET 99999999999999999999999",
    "SELECT ?x { { SELECT ?x { VALUES ?x { 1 } } LIMIT 18446744073709551616 } }",
])
def test_a_syntax_error_is_placed_in_the_clients_text(live_server: LiveServer,
                                                       query: str) -> None:
    # The engine's own reading of the client's text: where it fails, the service says 400 there.
    with pytest.raises(SyntaxError) as direct:
        ox.Store().query(query, base_iri=live_server.url + "/sparql")
    where = re.search(r"at \d+:\d+", str(direct.value))
    reply = get(live_server, query)
    assert reply.status == 400, (reply.status, reply.text)
    assert where is not None and where.group() in reply.text, (str(direct.value), reply.text)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "says"),
    [
        ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", None, {}, 400, "exactly one"),
        ("POST", "/sparql", "query=ASK%7B%7D&update=CLEAR%20ALL",
         {"Content-Type": "application/x-www-form-urlencoded"}, 400, "not both"),
        ("POST", "/sparql", "ASK {}", {"Content-Type": "text/plain"}, 415, "Content-Type"),
        ("POST", "/sparql", "ASK {}", {}, 415, "Content-Type"),
        ("POST", "/sparql", "ASK {}".encode("utf-16"),
         {"Content-Type": "application/sparql-query"}, 400, "UTF-8"),
        ("POST", "/sparql", "ASK {}",
         {"Content-Type": "application/sparql-query; charset=latin-1"}, 400, "UTF-8"),
        ("PUT", "/sparql", "ASK {}", {"Content-Type": "application/sparql-query"}, 405, "405"),
        ("DELETE", "/sparql", None, {}, 405, "405"),
        ("POST", "/sparql", "CLEAR ALL", {"Content-Type": "application/sparql-update"}, 403,
         "updates are not enabled"),
    ],
)
def test_protocol_errors(live_server: LiveServer, method: str, path: str,
                         body: str | bytes | None, headers: dict[str, str], status: int,
                         says: str) -> None:
    reply = request(method, live_server.url + path, body, headers)
    assert reply.status == status, reply.body
    assert says in reply.text
    if status == 405:
        assert "GET" in reply.headers.get("allow", "")


def test_cors_on_queries_and_preflight(live_server: LiveServer) -> None:
    assert get(live_server, "ASK {}").headers["access-control-allow-origin"] == "*"
    preflight = request("OPTIONS", f"{live_server.url}/sparql",
                        headers={"Origin": "http://elsewhere.example",
                                 "Access-Control-Request-Method": "POST",
                                 "Access-Control-Request-Headers": "content-type"})
    assert preflight.status in {200, 204}
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()


def test_options_names_the_methods_the_endpoint_answers(live_server: LiveServer) -> None:
    # Not a CORS preflight (no Access-Control-Request-Method): the methods, and no page.
    for path in ("/sparql", "/sparql/"):
        reply = request("OPTIONS", live_server.url + path)
        assert reply.status == 204 and reply.body == b""
        assert reply.headers["allow"] == "GET, HEAD, POST, OPTIONS"
        assert "content-type" not in reply.headers
        assert reply.headers["access-control-allow-origin"] == "*"
    refused = request("PATCH", f"{live_server.url}/sparql", b"ASK {}",
                      {"Content-Type": "application/sparql-query"})
    assert refused.status == 405 and refused.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    assert refused.headers["access-control-allow-origin"] == "*"


def test_default_graph_is_the_union_unless_a_dataset_is_given(live_server: LiveServer) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    union = json.loads(get(live_server, count).body)["results"]["bindings"][0]["n"]["value"]
    facts = json.loads(get(live_server, count, **{
        "default-graph-uri": "https://w3id.org/dmkg/graph/facts"}).body)
    only_facts = facts["results"]["bindings"][0]["n"]["value"]
    assert int(union) > int(only_facts) > 0


def test_service_description_for_rdf_clients(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/sparql", headers={"Accept": "text/turtle"})
    assert reply.status == 200 and reply.media_type == "text/turtle"
    graph = Graph().parse(data=reply.body, format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    assert graph.value(service, SD.endpoint) == URIRef(f"{live_server.url}/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    names = {str(graph.value(n, SD.name)) for n in graph.objects(None, SD.namedGraph)}
    assert names == {"https://w3id.org/dmkg/graph/ontology", "https://w3id.org/dmkg/graph/facts",
                     "https://w3id.org/dmkg/graph/inferred"}


def test_browsers_get_the_query_editor(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/sparql",
                    headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert reply.status == 200 and reply.media_type == "text/html"
    # Its language follows the request: a cache must keep one copy per language.
    vary = {v.strip().lower() for v in reply.headers.get("vary", "").split(",")}
    assert {"accept", "accept-language", "cookie"} <= vary
    assert "yasgui-4.6.2/yasgui.min.js" in reply.text
    assert "Cities with" in reply.text  # the competency questions as example tabs
    assert "cdn" not in reply.text.lower() and "https://" not in reply.text.split("<body>")[0]
    script = request("GET", f"{live_server.url}/static/vendor/yasgui-4.6.2/yasgui.min.js")
    assert script.status == 200 and len(script.body) > 500_000


def test_void_description(live_server: LiveServer) -> None:
    reply = request("GET", f"{live_server.url}/.well-known/void")
    assert reply.status == 200 and reply.media_type == "text/turtle"
    graph = Graph().parse(data=reply.body, format="turtle")
    void = Namespace("http://rdfs.org/ns/void#")
    dataset = URIRef("https://w3id.org/dmkg/dataset")
    assert graph.value(dataset, void.sparqlEndpoint) == URIRef(f"{live_server.url}/sparql")
    assert int(graph.value(dataset, void.triples)) > 2000  # type: ignore[arg-type]
    as_jsonld = request("GET", f"{live_server.url}/.well-known/void?format=jsonld")
    assert as_jsonld.media_type == "application/ld+json"


@pytest.fixture(scope="module")
def in_process(built: Layout) -> Flask:
    return create_app({"HOME": str(built.root), "STORE": "memory"})


@pytest.mark.parametrize("how", ["GET", "POST form", "POST direct"])
def test_a_query_is_lexed_once_per_request(in_process: Flask, how: str) -> None:
    # A text no cache has seen, with no LIMIT: the row limit rewrites it on the way.
    kind = how.replace(" ", "_")
    text = f"PREFIX dmo: <https://w3id.org/dmkg/ontology#> SELECT ?s WHERE {{ ?s a dmo:{kind} }}"
    accept = {"Accept": "application/sparql-results+json"}
    client = in_process.test_client()
    before = lexed()
    if how == "GET":
        reply = client.get("/sparql", query_string={"query": text}, headers=accept)
    elif how == "POST form":
        reply = client.post("/sparql", data={"query": text}, headers=accept)
    else:
        reply = client.post("/sparql", data=text.encode(),
                            headers={**accept, "Content-Type": "application/sparql-query"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert lexed() - before == 1


# IRIs as DBpedia writes them, parentheses in their names: brackets the engine reads inside an
# IRI token, not nesting. A reading of the raw text beside the guard's counted each one.
BRACKETED_IRIS = " ".join(f"<http://dbpedia.org/resource/A_({n})>" for n in range(150))


@pytest.mark.parametrize("text, status, said", [
    (f"SELECT ?s WHERE {{ VALUES ?s {{ {BRACKETED_IRIS} }} }}", 200, "dbpedia.org"),
    ("SELECT * WHERE " + "{" * 150 + " ?s ?p ?o " + "}" * 150, 400, "deeper than 100 levels"),
    ("ASK { FILTER(" + "+".join(["1"] * 1100) + " > 0) }", 400, "more than the 1000"),
])
def test_the_nesting_bounds_read_the_one_lexing_of_a_get(in_process: Flask, text: str,
                                                         status: int, said: str) -> None:
    # The depth and breadth of a query are measured on the tokens the guard reads it as:
    # answered or refused, its text is lexed once, and only brackets that are code count.
    client = in_process.test_client()
    before = lexed()
    reply = client.get("/sparql", query_string={"query": text},
                       headers={"Accept": "application/sparql-results+json"})
    assert reply.status_code == status, reply.get_data(as_text=True)[:300]
    assert said in reply.get_data(as_text=True)
    assert lexed() - before == 1
