"""The guard against the engine itself: generated queries and updates run on a real Oxigraph
store whose SERVICE and LOAD reach a listener on 127.0.0.1. Whenever the listener is reached,
or a built graph changes, the guard must have refused the text."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.sparql_reading import Unreadable, plain, read, tokens
from kg.sparql_text import update_targets, with_row_limit
from kg.store import QueryRefused, QuerySyntaxError
from kg.store.base import guard, guarded
from tests.canary import Canary
from tests.profiles import examples

SEARCH = settings(max_examples=examples(600), deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])
BUILT = "https://w3id.org/dmkg/graph/facts"
BASE = "https://w3id.org/dmkg/"


@pytest.fixture(scope="module")
def canary() -> Any:
    with Canary() as listening:
        yield listening


def _pieces(port: int) -> list[str]:
    remote = f"http://127.0.0.1:{port}/x"
    return [
        # keywords and their glued spellings
        "SERVICE", "service", "SERVICESILENT", "SILENT", "LOAD", "LOADSILENT", "INTO GRAPH",
        "\\u0053ERVICE", "SERVIC\\u0045", "trueSERVICE", "SERVICE:", ":x", "x:", "x:y",
        "SELECT", "ASK", "*", "WHERE", "{", "}", "(", ")", ".", ";", ",", "BIND", "AS", "1",
        "?s", "?p", "?o", "?a", "FILTER", "EXISTS", "OPTIONAL", "UNION", "VALUES", "UNDEF",
        "LIMIT", "BASE", "PREFIX", "GRAPH", "DROP", "CLEAR", "INSERT DATA", "DELETE WHERE",
        # IRIs, absolute, relative and escaped
        f"<{remote}>", "<x>", "<//127.0.0.1>", f"<//127.0.0.1:{port}/y>", f"<http://127.0.0.1:{port}/\\u0078>",
        f"<{BUILT}>", "<//w3id.org/dmkg/graph/facts>", "<graph/facts>", "<urn:mine>",
        f"PREFIX x: <http://127.0.0.1:{port}/>", f"BASE <http://127.0.0.1:{port}/>",
        "BASE <//w3id.org/dmkg/>", "x:a\\#b",
        # comments and line ends
        "#", "# c", "\n", "\r", "\r\n", " ", "\t", "\\u000A", "\\u000D",
        # strings of every quote style, with escapes of their own quotes
        '"', "'", '"""', "'''", '"a"', "'a'", '"""a"""', "'''a'''", '"\\u0022"', "'\\u0027'",
        '"\\""', "'\\''", '"\\\\"', "\\", '""', "''", "@en",
        # operators next to IRIs
        "<", ">", "<#>", "<<", ">>", "<?s>", "1<?b&&'>", "<=", "1<", "'>", "?a<?b)#>",
    ]


def _remote_parts(port: int) -> dict[str, list[str]]:
    """Pieces of a SERVICE or LOAD call and of what could hide it from one reader only."""
    remote = f"http://127.0.0.1:{port}/x"
    return {
        # (opening, closing): hide the call from one reader, not from another
        "hide": ["|", '# \\u000A BIND("""|# """ AS ?b)', "# x\\u000D BIND('''|# ''' AS ?b)",
                 'BIND("""|""" AS ?b)', 'BIND("a\\u0022|\\u0022" AS ?b)', "#|", "# \\u000A|",
                 "BIND('a\\u0027|\\u0027' AS ?b)", 'BIND("\\\\|" AS ?b)', "FILTER(1 <|> 2)",
                 "?s ?p x:a\\|", '?s ?p """|"""', "<|>", "# \\u000D|#",
                 # `<` that Oxigraph reads as "less than" inside an expression: up to the
                 # next `>` it is one IRI token for a reader that ignores the context.
                 "FILTER(1<?b&&'> && 1 = \"' )|# \")", "FILTER(1<=?b||'> || 1 = \"' )|# \")",
                 "FILTER(?a<?b&&'> = ''' )|# ''')", 'FILTER(1<?b)#> && """|# """)',
                 "FILTER(1<?b&&'> && \"\"\"' )|# \"\"\")", "FILTER(1<x#> || '|' )"],
        "gap": ["\n", "\r", "\r\n", " ", "", "\\u000A", "\\u000D", "\t", "\x0c"],
        "call": [f"SERVICE <{remote}> {{ ?s ?p ?o }}", f"SERVICESILENT<{remote}>{{}}",
                 "SERVICE x:y {}", "SERVICE:y {}", "SERVICE <y> {}",
                 f"SERVICE <//127.0.0.1:{port}/z> {{}}", f"trueSERVICE <{remote}> {{}}",
                 f"\\u0053ERVICE <{remote}> {{}}", f"SERVICE <{remote}\\u0078> {{}}",
                 f"FILTER EXISTS {{ SERVICE <{remote}> {{}} }}", f"LOAD <{remote}>",
                 f"LOADSILENT<{remote}>", "LOAD x:y INTO GRAPH <urn:g>"],
        "close": ["", '# """ AS ?b)\n', '""" AS ?b)', "''' AS ?b)", '" AS ?b)', "' AS ?b)",
                  "\n", "#\n", "> 2)", " . "],
    }


def _declarations(port: int) -> list[str]:
    return ["", f"PREFIX x: <http://127.0.0.1:{port}/> ", f"BASE <http://127.0.0.1:{port}/> ",
            "PREFIX SERVICE: <urn:> "]


@st.composite
def texts(draw: Any, port: int) -> str:
    parts = _remote_parts(port)
    opening, _, closing = draw(st.sampled_from(parts["hide"])).partition("|")
    gap = st.sampled_from(parts["gap"])
    chosen = [opening, draw(gap), draw(st.sampled_from(parts["call"])), draw(gap), closing]
    noise = draw(st.lists(st.sampled_from(_pieces(port)), max_size=3))
    chosen.insert(draw(st.integers(0, len(chosen))), "".join(noise))
    return "".join(chosen)


def _runs(store: ox.Store, text: str, update: bool) -> None:
    try:
        if update:
            store.update(text)
        else:
            answer = store.query(text)
            if isinstance(answer, ox.QuerySolutions | ox.QueryTriples):
                list(answer)
    except Exception:  # the engine's own errors are not what is looked at
        pass


def _reaches_out(canary: Canary, text: str, update: bool) -> bool:
    before = canary.connections
    _runs(ox.Store(), text, update)
    return canary.connections > before


@given(data=st.data())
@SEARCH
def test_a_query_the_engine_would_send_out_is_refused(canary: Canary,
                                                      data: st.DataObject) -> None:
    declare = data.draw(st.sampled_from(_declarations(canary.port)))
    shape = data.draw(st.sampled_from(["{}ASK {{ {} }}", "{}SELECT * WHERE {{ {}\n}}",
                                       "{}ASK {{ BIND(1 AS ?a) {}\n}}"]))
    text = shape.format(declare, data.draw(texts(canary.port)))
    # With no base, relative IRIs stay relative in the plain form.
    base = data.draw(st.sampled_from([BASE, None]))
    reached = _reaches_out(canary, text, update=False)
    try:
        executed = guard(text, base, only_oxigraph=True)
    except (QueryRefused, QuerySyntaxError):
        return
    assert not reached, text
    assert not _reaches_out(canary, executed, update=False), (text, executed)
    # The plain form is a fixed point: reading it again changes nothing.
    assert plain(executed, base, only_oxigraph=True) == executed


@given(data=st.data())
@SEARCH
def test_an_update_the_guard_passes_never_reaches_out_nor_a_built_graph(
        canary: Canary, data: st.DataObject) -> None:
    raw = data.draw(texts(canary.port))
    declare = data.draw(st.sampled_from(_declarations(canary.port)))
    shape = data.draw(st.sampled_from([
        "{}", "INSERT DATA {{ GRAPH <urn:mine> {{ <urn:a> <urn:b> <urn:c> . {} }} }}",
        "INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> <urn:c> . {}\n} } ; DROP GRAPH "
        f"<{BUILT}> ; INSERT DATA {{ GRAPH <urn:mine> {{ <urn:a> <urn:b> <urn:c> {{}}\n}} }}",
        "DROP GRAPH {}", "CLEAR SILENT {}"]))
    text = declare + shape.replace("{{}}", raw).replace("{}", raw)
    base = data.draw(st.sampled_from([BASE, None]))
    reached = _reaches_out(canary, text, update=True)
    try:
        executed = guard(text, base)
        targets = update_targets(executed)
    except (QueryRefused, QuerySyntaxError, ValueError):
        return
    assert not reached, text
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o"),
                      ox.NamedNode(BUILT)))
    before = canary.connections
    _runs(store, executed, update=True)
    assert canary.connections == before, (text, executed)
    intact = len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(BUILT)))) == 1
    if not intact:
        # A change to the built graph must have been named among the targets.
        assert BUILT in targets or {"ALL", "NAMED", "DEFAULT", "?"} & targets, (text, targets)


@given(data=st.data())
@SEARCH
def test_the_tokens_of_a_reading_are_those_of_its_plain_form(canary: Canary,
                                                              data: st.DataObject) -> None:
    declare = data.draw(st.sampled_from(_declarations(canary.port)))
    shape = data.draw(st.sampled_from(["{}ASK {{ {} }}", "{}SELECT * WHERE {{ {}\n}}",
                                       "{}INSERT DATA {{ GRAPH <urn:g> {{ {}\n}} }}"]))
    text = shape.format(declare, data.draw(texts(canary.port)))
    base = data.draw(st.sampled_from([BASE, None]))
    try:
        query = guarded(text, base, only_oxigraph=True)
    except (QueryRefused, QuerySyntaxError):
        return
    # Written with the plain form, never lexed from it: what a lexer finds there.
    assert query.tokens == tokens(query.text), (text, query.text)
    # The rewrites move them along.
    limited = with_row_limit(query, 3)
    assert limited.tokens == tokens(limited.text), (text, limited.text)


ISSUE_SHAPES = [
    # A comment whose escaped line end only a second reader decodes.
    'ASK {{ BIND(1 AS ?a) # \\u000A BIND("""\n{remote} # """ AS ?b)\n}}',
    # A comment that a carriage return alone ends for Oxigraph.
    "ASK {{ BIND(1 AS ?a) # note\r{remote}\n}}",
    # Keywords with no word boundary.
    "ASK {{ {remote_glued} }}",
    # `<` read as "less than" by Oxigraph, as the start of an IRI by the token reading.
    "SELECT * WHERE {{ FILTER(1<?b&&'> && 1 = \"' ) {remote} # \")\n}}",
]


@pytest.mark.parametrize("shape", ISSUE_SHAPES)
def test_shapes_that_bypassed_the_old_guard_are_refused(canary: Canary, shape: str) -> None:
    remote = f"SERVICE <http://127.0.0.1:{canary.port}/internal> {{ ?s ?p ?o }}"
    glued = f"SERVICESILENT<http://127.0.0.1:{canary.port}/internal>{{}}"
    text = shape.format(remote=remote, remote_glued=glued)
    # The engine alone reaches out: the text is a real attack, not a syntax error.
    before = canary.connections
    _runs(ox.Store(), text, update=False)
    assert canary.connections > before
    for base in (BASE, None):
        with pytest.raises((QueryRefused, QuerySyntaxError)):
            guard(text, base, only_oxigraph=True)


def test_an_update_hiding_a_drop_behind_a_comment_is_refused() -> None:
    text = ('INSERT DATA { GRAPH <urn:mine> { <urn:a> <urn:b> <urn:c> . # \\u000A <urn:d> '
            '<urn:e> """\n} } ; DROP GRAPH <https://w3id.org/dmkg/graph/facts> ; INSERT DATA '
            '{ GRAPH <urn:mine> { <urn:f> <urn:g> <urn:h> # """\n} }')
    assert BUILT in update_targets(guard(text, BASE))


def test_a_relative_graph_resolves_against_the_fixed_base() -> None:
    assert update_targets(guard("DROP GRAPH <//w3id.org/dmkg/graph/ontology>", BASE)) == {
        "https://w3id.org/dmkg/graph/ontology"}
    assert update_targets(guard("BASE <http://other/> DROP GRAPH <graph/x>", BASE)) == {
        "http://other/graph/x"}


@pytest.mark.parametrize("text", [
    'SELECT ?x WHERE { VALUES ?x { "a\\u0022 \\u0022b" } }',
    "SELECT ?x WHERE { VALUES ?x { 'a\\u0027 \\u0027b' } }",
    'SELECT ?x WHERE { VALUES ?x { """a\\u0022\\u0022\\u0022 b""" } }',
])
def test_the_row_limit_keeps_the_answer(text: str) -> None:
    store = ox.Store()
    whole = list(store.query(text))  # type: ignore[arg-type]
    executed = with_row_limit(guarded(text, only_oxigraph=True), 10).text
    capped = list(store.query(executed))  # type: ignore[arg-type]
    assert len(whole) == 1 and [str(r[0]) for r in capped] == [str(r[0]) for r in whole]


def test_what_has_no_plain_form_is_refused() -> None:
    for text in ["SELECT * { ?s ?p ?o } \x0c", "SELECT * { ?s ?p ?o \\u003E }",
                 "SELECT * { ?s ?p undeclared:x }", "SELEC * {}"]:
        with pytest.raises(Unreadable):
            plain(text)


def test_the_generated_texts_do_reach_out_when_nothing_guards_them(canary: Canary) -> None:
    import random

    chooser = random.Random(7)
    parts = _remote_parts(canary.port)
    reached = 0
    for _ in range(300):
        opening, _, closing = chooser.choice(parts["hide"]).partition("|")
        raw = "".join([opening, chooser.choice(parts["gap"]), chooser.choice(parts["call"]),
                       chooser.choice(parts["gap"]), closing])
        before = canary.connections
        _runs(ox.Store(), f"{chooser.choice(_declarations(canary.port))}ASK {{ BIND(1 AS ?a) "
                          f"{raw}\n}}", update=False)
        reached += canary.connections > before
    assert reached > 5  # else the searches above could not fail


def _answer(store: ox.Store, text: str, base: str | None, update: bool) -> object:
    """The engine's answer, blank nodes numbered in order of appearance (labels are random)."""
    try:
        if update:
            target = ox.Store()
            target.update(text, base_iri=base)
            rows = [str(q) for q in target]
        else:
            answer = store.query(text, base_iri=base, use_default_graph_as_union=True)
            if isinstance(answer, ox.QueryBoolean):
                return bool(answer)
            rows = [str(row) for row in answer]
    except Exception:  # an engine error is an answer too
        return "error"
    labels: dict[str, str] = {}
    numbered = [re.sub(r"_:\w+|BlankNode value=\w+",
                       lambda m: labels.setdefault(m.group(), f"b{len(labels)}"), row)
                for row in sorted(rows, key=lambda r: re.sub(r"_:\w+|value=\w+", "", r))]
    return sorted(numbered) if not labels else len(numbered)


def test_w3c_queries_answer_the_same_in_plain_form(shared_dir: Path) -> None:
    suites = shared_dir / "conformance" / "w3c-sparql-tests" / "sparql"
    differ, refused_but_ran, tokens_differ = [], [], []
    stores: dict[Path, ox.Store] = {}
    for path in sorted([*suites.rglob("*.rq"), *suites.rglob("*.ru")]):
        if path.parent not in stores:
            stores[path.parent] = store = ox.Store()
            for data in path.parent.glob("*.ttl"):
                with contextlib.suppress(SyntaxError, ValueError, OSError):
                    store.bulk_load(path=str(data), format=ox.RdfFormat.TURTLE,
                                    to_graph=ox.NamedNode(data.as_uri()))
        text = path.read_text(encoding="utf-8", errors="replace")
        update = path.suffix == ".ru"
        original = _answer(stores[path.parent], text, path.as_uri(), update)
        try:
            query = read(text, path.as_uri(), only_oxigraph=True)
        except Unreadable:
            if original != "error":
                refused_but_ran.append(path.name)
            continue
        executed = query.text
        if query.tokens != tokens(executed):
            tokens_differ.append(path.name)
        if _answer(stores[path.parent], executed, None, update) != original:
            differ.append(path.name)
    # Oxigraph reads `?x<?a&&?b>?y` as comparisons (the suite's negative test syn-bad-26
    # expects SPARQL's longest-token rule, an IRI): the plain form reads it as Oxigraph does.
    assert differ == []
    assert refused_but_ran == []
    # The tokens of a reading are written with its plain form, never lexed from it: they
    # must be what a lexer finds there.
    assert tokens_differ == []


@pytest.mark.parametrize(("text", "base"), [
    ("BASE <http://a/x/> BASE <y/> SELECT ?i WHERE { BIND(<z> AS ?i) }", None),
    ("BASE <http://a/x/#f> SELECT ?i WHERE { BIND(<z#g> AS ?i) }", None),
    ("SELECT ?i WHERE { BIND(<../z?q#h> AS ?i) }", "http://h/a/b#frag"),
    ("SELECT ?i WHERE { BIND(<//other/p> AS ?i) }", "https://h/sparql"),
    ("PREFIX e: <http://e/> SELECT ?i WHERE { BIND(e:a\\#b\\~c%41 AS ?i) }", None),
    ("BASE <http://a/> PREFIX e: <p/> SELECT ?i WHERE { BIND(e:x AS ?i) }", None),
    ("BASE <http://a/> SELECT ?i WHERE { BIND(IRI(\"rel\") AS ?i) }", None),
])
def test_iris_resolve_as_the_engine_resolves_them(text: str, base: str | None) -> None:
    store = ox.Store()
    expected = [str(row[0]) for row in store.query(text, base_iri=base)]  # type: ignore[union-attr]
    executed = plain(text, base)
    assert [str(row[0]) for row in store.query(executed)] == expected  # type: ignore[union-attr]


# Comparisons next to IRIs: `<` after an operand inside an expression is "less than" to the
# engine, wherever a `>` further on could close an IRI; elsewhere `<` starts an IRI.
OPERANDS = ["1", "2", "?a", "?b", "'s'", '"s"', "<x>", "<http://e/x>", "true", "(1)",
            '"a"@en', '"1"^^<http://www.w3.org/2001/XMLSchema#integer>', "STR(?a)", "e:x",
            "<2&&3>", "<?b>", "<=>", "<a'b>", "<#f>", "-1", "1.5"]
OPERATORS = ["<", "<=", ">", ">=", "=", "!=", "&&", "||", "+", "-", "*", "<<", ">>", ","]
COMPARISON_SHAPES = [
    "SELECT ?x WHERE {{ VALUES (?a ?b) {{ (1 2) (<x> 's') }} BIND({} AS ?x) }}",
    "SELECT ?a WHERE {{ VALUES (?a ?b) {{ (1 2) (2 1) (<x> <y>) }} FILTER({}) }}",
    "SELECT ({} AS ?x) WHERE {{ VALUES (?a ?b) {{ (1 2) }} }}",
    "SELECT ?a WHERE {{ VALUES (?a ?b) {{ (1 2) (2 1) }} }} ORDER BY ({}) ?a",
    "SELECT ?a WHERE {{ VALUES (?a ?b) {{ (1 2) }} <s> <p> (?a <q>) FILTER({}) }}",
    "ASK {{ VALUES (?a ?b) {{ (<x> 2) }} FILTER(?a IN (<x>, {})) }}",
]


@st.composite
def comparisons(draw: Any) -> str:
    """An expression of operands and operators, with or without space between them."""
    gap = st.sampled_from(["", "", " ", "\n"])
    pieces = [draw(st.sampled_from(OPERANDS))]
    for _ in range(draw(st.integers(1, 4))):
        pieces += [draw(gap), draw(st.sampled_from(OPERATORS)), draw(gap),
                   draw(st.sampled_from(OPERANDS))]
    return "".join(pieces)


@given(data=st.data())
@SEARCH
def test_a_comparison_next_to_iris_is_read_as_the_engine_reads_it(data: st.DataObject) -> None:
    declare = data.draw(st.sampled_from(["", "PREFIX e: <http://e/> "]))
    text = declare + data.draw(st.sampled_from(COMPARISON_SHAPES)).format(
        data.draw(comparisons()))
    base = data.draw(st.sampled_from([BASE, None]))
    store = ox.Store()
    try:
        query = guarded(text, base, only_oxigraph=True)
    except (QueryRefused, QuerySyntaxError):
        return
    # The engine's reading of the client's text and of the text the guard read are one.
    assert _answer(store, query.text, None, False) == _answer(store, text, base, False), (
        text, query.text)
    assert query.tokens == tokens(query.text), (text, query.text)
    assert plain(query.text, base, only_oxigraph=True) == query.text


@pytest.mark.parametrize("text", [
    "SELECT ?x WHERE { BIND(1<2&&3>2 AS ?x) }",
    "SELECT ?x WHERE { VALUES (?a ?b) { (1 2) } FILTER(?a<?b) BIND(?a<=?b AS ?x) }",
    "SELECT (?a<?b&&?b>?a AS ?x) WHERE { VALUES (?a ?b) { (1 2) } }",
    "SELECT ?x WHERE { BIND('a'<'b'||1>2 AS ?x) }",
    "SELECT ?x WHERE { BIND((1)<(2)&&true>false AS ?x) }",
])
def test_less_than_after_an_operand_is_no_iri(text: str) -> None:
    store = ox.Store()
    executed = guard(text, BASE, only_oxigraph=True)
    expected = _answer(store, text, BASE, False)
    assert expected != "error" and _answer(store, executed, None, False) == expected, executed
