"""The SPARQL tokeniser: what it finds, and what it refuses to be fooled by."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql_reading import lexed_query, tokens
from kg.sparql_text import (
    data_targets,
    has_dataset_clause,
    remote_operations,
    values_slot,
    with_row_limit,
    without_dataset_clauses,
)
from kg.store import QueryRefused, QuerySyntaxError
from kg.store.base import guard, guarded


@pytest.mark.parametrize(
    ("query", "expected"),
    [("SELECT * FROM <g> { ?s ?p ?o }", True),
     ("select * from named <g> { graph ?g { ?s ?p ?o } }", True),
     ("SELECT * \\u0046ROM <g> { ?s ?p ?o }", False),  # Oxigraph: no keyword, an error
     ('SELECT * { ?s ?p "FROM" }', False),
     ("SELECT * { ?s <http://x/FROM> ?o } # FROM", False),
     ("SELECT * { ?s ex:from ?o }", False)],
)
def test_dataset_clauses(query: str, expected: bool) -> None:
    assert has_dataset_clause(lexed_query(query)) is expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("SELECT * { SERVICE <http://x> { ?s ?p ?o } }", ("SERVICE",)),
     ("select * { service silent <http://x> { ?s ?p ?o } }", ("SERVICE",)),
     ("SELECT * { SERVICE#c\n<http://x> { ?s ?p ?o } }", ("SERVICE",)),
     ("LOAD <http://x> INTO GRAPH <g>", ("LOAD",)),
     ('SELECT * { ?s ?p "SERVICE <http://x>" }', ()),
     ("SELECT * { ?s <http://x/service> ?o } # LOAD <http://y>", ()),
     ("SELECT * { ?s ?p ?o }", ())],
)
def test_remote_operations(query: str, expected: tuple[str, ...]) -> None:
    assert remote_operations(lexed_query(query)) == expected


@pytest.mark.parametrize("query", [
    "SELECT * { \\u0053ERVICE <http://x> { ?s ?p ?o } }",
    "SELECT * { \\U00000053ERVICE <http://x> { ?s ?p ?o } }",
    "SELECT * { SERVICESILENT <http://x> { ?s ?p ?o } }",  # Oxigraph reads SERVICE SILENT
    "PREFIX : <http://x/> SELECT * { SERVICE:e { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o . trueSERVICE <http://x> {} }",
    "SELECT * { ?s ?p '''a ' b''' . SERVICE <http://x> { ?a ?b ?c } }",
    'ASK { BIND(1 AS ?a) # \\u000A BIND("""\nSERVICE <http://x/> { ?s ?p ?o } # """ AS ?b)\n}',
    "ASK { # a comment ended by a carriage return alone\rSERVICE <http://x/> {} }",
])
def test_the_guard_refuses_every_spelling_of_service(query: str) -> None:
    with pytest.raises((QueryRefused, QuerySyntaxError)):
        guard(query)


def test_strings_are_read_whole() -> None:
    assert [t.kind for t in tokens('"a\\"b" ?x')] == ["string", "var"]
    assert [t.kind for t in tokens('"a\\u0022 \\u0022b" ?x')] == ["string", "var"]


def test_dataset_clauses_can_be_removed() -> None:
    query = ('PREFIX g: <http://g/> SELECT * FROM <http://g/a> FROM NAMED g:b '
             'WHERE { ?s ?p "FROM <x>" }')
    stripped = without_dataset_clauses(lexed_query(query))
    assert not has_dataset_clause(stripped)
    assert '"FROM <x>"' in stripped.text and "PREFIX g: <http://g/>" in stripped.text
    # The tokens moved with the text: they are those a lexer finds in it.
    assert stripped.tokens == tokens(stripped.text)


@pytest.mark.parametrize("query,limit", [
    ("SELECT * { ?s ?p ?o }", 10),
    ("SELECT * { ?s ?p ?o } LIMIT 500 OFFSET 3", 10),
    ("SELECT * { ?s ?p ?o } OFFSET 3", 10),
    ("SELECT * WHERE { { SELECT ?s { ?s ?p ?o } LIMIT 900 } } ORDER BY ?s", 10),
    ("SELECT * { ?s ?p ?o } VALUES ?s { <urn:a> }", 10),
    ("SELECT (EXISTS { ?a ?b ?c } AS ?e) {} # LIMIT 1000", 10),
    ("PREFIX : <urn:> SELECT ?s (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?s HAVING (?n > 1)", 10),
    ('SELECT ?x { VALUES ?x { "a\\u0022 \\u0022b" } }', 10),
])
def test_a_row_limit_caps_the_outermost_query(query: str, limit: int) -> None:
    read = with_row_limit(lexed_query(query), limit)
    assert read.tokens == tokens(read.text)
    limited = read.text
    store = ox.Store()
    for i in range(40):
        store.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(i)))
        store.add(ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:q"), ox.Literal(i)))
    answered = list(store.query(limited))  # type: ignore[arg-type]
    assert len(answered) <= limit
    whole = list(store.query(query))  # type: ignore[arg-type]
    assert len(answered) == min(limit, len(whole))


@pytest.mark.parametrize("modifiers", [
    "LIMIT 18446744073709551615", "LIMIT 18446744073709551616", "LIMIT 99999999999999999999999",
    "OFFSET 18446744073709551616", "LIMIT 10 OFFSET 99999999999999999999999",
    "OFFSET 1 LIMIT 99999999999999999999999", "LIMIT 000000000000000000000000000012",
    "LIMIT 1", "OFFSET 18446744073709551615",
])
def test_a_row_limit_refuses_exactly_what_the_engine_refuses(modifiers: str) -> None:
    store = ox.Store()

    def answer(text: str) -> object:
        try:
            return len(list(store.query(text)))  # type: ignore[arg-type]
        except SyntaxError as error:
            return str(error).split(": ", 1)[1]  # the message, without its position

    for query in [f"SELECT ?x {{ VALUES ?x {{ 1 2 3 }} }} {modifiers}",
                  f"SELECT * {{ {{ SELECT ?x {{ VALUES ?x {{ 1 2 3 }} }} {modifiers} }} }}"]:
        original = answer(query)
        limited = answer(with_row_limit(guarded(query, only_oxigraph=True), 2).text)
        assert limited == (original if isinstance(original, str) else min(original, 2)), query


@pytest.mark.parametrize("query", ["SELECT * { ?s ?p ?o } LIMIT 5", "ASK {}",
                                   "CONSTRUCT WHERE { ?s ?p ?o }", "DESCRIBE <urn:a>"])
def test_a_query_within_the_limit_or_not_a_select_is_unchanged(query: str) -> None:
    assert with_row_limit(lexed_query(query), 10).text == query


def test_updates_are_analysed_correctly_from_many_threads_at_once() -> None:
    # rdflib's parser breaks for good when two threads use it at once, unless locked.
    import threading

    from kg.sparql_text import update_targets

    failures: list[str] = []

    def analyse(number: int) -> None:
        for step in range(15):
            graph = f"urn:g:{number}:{step}"
            try:
                assert update_targets(f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> "
                                      f"{step} . }} }}") == {graph}
            except Exception as error:  # collected, asserted below
                failures.append(repr(error))

    threads = [threading.Thread(target=analyse, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.parametrize("escape", ["\\U0053EEEE", "\\UFFFFFFFF", "\\uD800", "\\U0000DFFF"])
def test_an_escape_of_no_character_is_refused(escape: str) -> None:
    with pytest.raises(QueryRefused, match="no character"):
        guard(f"SELECT * {{ ?s ?p \"{escape}\" }} # SERVICE")


@pytest.mark.parametrize(
    ("query", "opens"),
    [("SELECT ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE {"),
     ("ASK WHERE { ?s ?p ?o }", "ASK WHERE {"),
     ("PREFIX ex: <http://ex/> # WHERE {\nSELECT (COUNT(*) AS ?n) WHERE { ?s ex:p ?o }",
      "SELECT (COUNT(*) AS ?n) WHERE {"),
     ('SELECT ?s \u0057HERE { ?s ?p "WHERE {" }', "SELECT ?s WHERE {")],
)
def test_values_slot_opens_the_where_group(query: str, opens: str) -> None:
    at = values_slot(lexed_query(query))
    assert at is not None
    source = query
    assert source[:at].endswith(opens)
    # The slot really takes a VALUES block: Oxigraph parses the result.
    ox.Store().query(f"{source[:at]} VALUES ?s {{ <http://ex/a> }} {source[at:]}")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }",  # a subquery: not reached by VALUES
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT ?s { ?s ?p ?o }",  # no WHERE keyword: left to substitutions
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
])
def test_values_slot_declines_what_it_cannot_bind_safely(query: str) -> None:
    assert values_slot(lexed_query(query)) is None


def _targets_from_algebra(text: str) -> set[str]:
    """The graphs an update writes as rdflib's algebra says (the oracle of update_targets)."""
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    def name(graph: object) -> str:
        if isinstance(graph, URIRef):
            return str(graph)
        if isinstance(graph, str) and graph.upper() in {"DEFAULT", "ALL", "NAMED"}:
            return graph.upper()
        return "?"

    found: set[str] = set()
    for operation in translateUpdate(parseUpdate(text)).algebra:
        fields = dict(operation)
        clauses: list[tuple[dict[str, object], str]] = []
        if operation.name in {"InsertData", "DeleteData", "DeleteWhere"}:
            clauses = [(fields, "DEFAULT")]
        elif operation.name == "Modify":
            fallback = name(fields["withClause"]) if fields.get("withClause") else "DEFAULT"
            clauses = [(dict(fields[k]), fallback) for k in ("delete", "insert") if fields.get(k)]
        elif operation.name in {"Clear", "Drop", "Create"}:
            found.add(name(fields["graphiri"]))
        elif operation.name in {"Add", "Copy"}:
            found.add(name(fields["graph"][1]))
        elif operation.name == "Move":
            found.update(name(g) for g in fields["graph"])
        else:
            found.add("ALL")
        for clause, fallback in clauses:
            found.update(name(g) for g in clause.get("quads") or {})  # type: ignore[attr-defined]
            if clause.get("triples"):
                found.add(fallback)
    return found


def test_update_targets_are_those_of_rdflibs_algebra_for_every_w3c_update(
        shared_dir: Path) -> None:
    # The targets are read from the parse without rdflib's algebra (quadratic in a block's
    # triples); the algebra is the oracle, over every update of the W3C suites and forms of
    # every operation.
    from kg.sparql_text import update_targets

    texts = [p.read_text(encoding="utf-8") for p in
             sorted((shared_dir / "conformance").rglob("*.ru"))]
    texts += [
        "WITH <urn:w> DELETE { GRAPH <urn:d> { ?s ?p ?o } ?a ?b ?c } INSERT { GRAPH ?g { ?s ?p ?o"
        " } } USING <urn:u> WHERE { ?s ?p ?o }",
        "INSERT DATA { GRAPH <urn:e> { } GRAPH <urn:f> { <urn:a> <urn:b> 1 } }",
        "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o } ; DROP SILENT GRAPH <urn:x> ; CLEAR NAMED",
        "CREATE GRAPH <urn:c> ; ADD <urn:a> TO <urn:b> ; COPY DEFAULT TO <urn:c> ; "
        "MOVE <urn:m> TO DEFAULT ; DROP ALL ; CLEAR DEFAULT",
        *DATA_UPDATES,
    ]
    compared = by_tokens = 0
    for text in texts:
        try:
            read = guarded(text, "http://example.org/base/", refuse_remote=False)
            expected = _targets_from_algebra(read.text)
        except Exception:  # refused by the guard or not an update rdflib reads
            continue
        assert update_targets(read.text) == expected, text
        # Read from the tokens when the update is data alone: the same graphs.
        assert update_targets(read) == expected, text
        compared += 1
        by_tokens += data_targets(read) is not None
    assert compared >= 100 and by_tokens >= 20


DATA_UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE DATA { GRAPH <urn:g> { <urn:a> <urn:b> 'x' } } ;",
    "PREFIX e: <urn:e:> INSERT DATA { GRAPH e:g { e:a e:b e:c } } ; DELETE DATA { e:a e:b 1 }",
    "BASE <http://b/> INSERT DATA { GRAPH <g> { <a> <b> <c> } . <a> <b> <c> } ; BASE <http://c/>"
    " INSERT DATA { GRAPH <h> { } GRAPH <i> { <a> <b> \"}} GRAPH <j> {\" } . }",
    'INSERT DATA { <urn:a> <urn:b> "GRAPH <urn:x> { #" , """}"""@en ; a <urn:C> . '
    "GRAPH <urn:g> { <urn:a> <urn:b> ( 1 -2.5e3 true [ <urn:p> false ] ) ; <urn:c> _:b1 } "
    "<urn:d> <urn:e> '1'^^<urn:t> } # DROP ALL",
    "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } } INSERT DATA { }",  # no `;`
    "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } ; DROP ALL",
    "INSERT DATA { GRAPH <urn:g> { GRAPH <urn:h> { <urn:a> <urn:b> <urn:c> } } }",
]


@pytest.mark.parametrize(("text", "expected"), [
    (DATA_UPDATES[0], {"DEFAULT"}),
    (DATA_UPDATES[1], {"urn:g"}),
    (DATA_UPDATES[2], {"urn:e:g", "DEFAULT"}),
    (DATA_UPDATES[3], {"http://b/g", "DEFAULT", "http://c/i"}),
    (DATA_UPDATES[4], {"DEFAULT", "urn:g"}),
    # Not data alone, or not read the same by every reader: left to rdflib's parse.
    (DATA_UPDATES[5], None),
    (DATA_UPDATES[6], None),
    (DATA_UPDATES[7], None),
    ("INSERT DATA { <urn:a> <urn:b> ?c }", None),
    ("INSERT DATA { << <urn:a> <urn:b> <urn:c> >> <urn:d> <urn:e> }", None),
    ("INSERT DATA { GRAPH ?g { <urn:a> <urn:b> <urn:c> } }", None),
    ("INSERT { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } } WHERE {}", None),
    ("DROP GRAPH <urn:g>", None),
])
def test_the_targets_of_data_alone_are_read_from_its_tokens(text: str,
                                                            expected: set[str] | None) -> None:
    assert data_targets(guarded(text, refuse_remote=False)) == expected


def test_the_triples_of_data_alone_are_counted_never_fewer() -> None:
    from kg.sparql_reading import read as read_query
    from kg.sparql_text import data_triples
    lines = "".join(f'<urn:s{i}> <urn:p> "v{i}" .\n' for i in range(50))
    for text, least in ((f"INSERT DATA {{ GRAPH <urn:g> {{ {lines} }} }}", 50),
                        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 1),
                        ("DELETE DATA { <urn:a> <urn:b> 1 . <urn:a> <urn:b> 2 } ; "
                         "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> 3 } }", 3)):
        counted = data_triples(read_query(text))
        assert least <= counted <= least + 3, (text, counted)
    assert data_triples(read_query("INSERT { <urn:a> <urn:b> ?o } WHERE { ?s ?p ?o }")) == 0
