"""The nesting of a query as the guard measures it on its tokens, against the engine: generated
queries nest groups and expressions among brackets that are not code (in strings, comments and
IRIs); the depth counted is the depth written, and the engine reads each query as written."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.nesting import (
    MAX_JOIN_COST,
    MAX_JOINED,
    TooDeep,
    TooWide,
    check_sparql,
    join_bounds,
    token_bounds,
)
from kg.sparql_reading import lexed, tokens
from kg.store.base import guarded
from tests.profiles import examples

# Each is valid inside a group, and holds brackets no parser reads as code; with how much
# deeper than its group it reaches (an expression's parentheses; an IRI's, counted while
# it is read).
DECOYS = (
    ("FILTER(\"}}}((\" != '{{')", 1),
    ("FILTER('''))]]''' = \"\"\"{{\"\"\")", 1),
    ("# } } ) ]\n", 0),
    ("# { ( [\r", 0),
    ("?s <urn:a_(b)> ?o .", 1),
    ("?s ?p \"(((\" .", 0),
    ("FILTER((?o < 1) || (?o > 2))", 2),
)

STEPS = st.lists(st.one_of(st.just("open"), st.just("close"),
                           st.integers(0, len(DECOYS) - 1)), max_size=60)


def written(steps: list[str | int]) -> tuple[str, int]:
    """A query of the steps (groups opened and closed, decoys put in), and its depth."""
    parts, level, deepest = ["SELECT * WHERE {"], 1, 1
    for step in steps:
        if step == "open" and level < 30:
            parts.append("{")
            level += 1
            deepest = max(deepest, level)
        elif step == "close" and level > 1:
            parts.append("}")
            level -= 1
        elif isinstance(step, int):
            decoy, reach = DECOYS[step]
            parts.append(decoy)
            deepest = max(deepest, level + reach)
    parts.append("}" * level)
    return " ".join(parts), deepest


@settings(max_examples=examples(300), deadline=None, derandomize=True)
@given(steps=STEPS)
def test_the_depth_counted_is_the_depth_the_engine_reads(steps: list[str | int]) -> None:
    text, deepest = written(steps)
    ox.Store().query(text)  # the engine reads it as written: the brackets counted are code
    assert token_bounds(tokens(text))[0] == deepest, text


def test_the_guard_bounds_a_text_on_its_one_lexing() -> None:
    shallow, _ = written(["open", 0, "open", 4, "close", 2, 6])
    deep = "SELECT * WHERE " + "{ # }\n" * 150 + "}" * 150
    before = lexed()
    guarded(shallow + " # once")
    with pytest.raises(TooDeep, match="the query nests deeper than 100 levels"):
        guarded(deep)
    assert lexed() - before == 2


# Joined members of a group (kg.nesting.join_bounds): items written among decoys, each with
# the members it adds to the join of its group. Decoys hold what would be patterns, path
# steps and separators to a reader that took strings, comments, escaped names, expressions
# or data for code; with the members of a group of their own, not joined with theirs.
PATTERNS = (
    ("?s <urn:p> ?o{i} .", 1),
    ("?s <urn:a> ?a{i} ; <urn:b> ?b{i} .", 2),
    ("?s <urn:a> ?a{i} , ?b{i} , ?c{i} .", 3),
    ("?s <urn:a>/<urn:b>/<urn:c> ?o{i} .", 3),
    ("?s <urn:a> [ <urn:b> ?o{i} ] .", 2),
    ("?s <urn:a> ( ?a{i} ?b{i} ) .", 3),
    ("OPTIONAL {{ ?s <urn:q> ?o{i} }}", 1),
    ("GRAPH ?g{i} {{ ?s <urn:q> ?o{i} }}", 1),
    ("{{ ?s <urn:q> ?o{i} }} UNION {{ ?s <urn:r> ?o{i} }}", 1),
    ("?s x:p\\;q x:o\\,r\\/s\\.t .", 1),
)
JOIN_DECOYS = (
    ("FILTER(?s != \"?s <urn:p> ?o . ; , / {{ ?a ?b ?c }}\")", 0),
    ("# ?s <urn:p> ?o ; <urn:q> ?a , ?b / ?c . {{ ?x ?y ?z }}\n", 0),
    ("BIND('''?s ; ?t , ?u / ?v . [ ?w ]''' AS ?d{i})", 0),
    ("BIND(\"\\\" ; ?x , ?y . ?z\" AS ?e{i})", 0),
    ("VALUES ?v{i} {{ \"a;b\" <urn:x/y> 1 2 3 4 5 }}", 0),
    ("FILTER(?s / 2 / 3 / 4 > ?s)", 0),
    ("FILTER(?s IN (1, 2, 3, 4, 5))", 0),
    ("FILTER NOT EXISTS {{ ?s <urn:n> ?o . ?s <urn:m> ?o }}", 2),
    ("MINUS {{ ?s <urn:n> ?o }}", 1),
)
ITEMS = st.lists(st.one_of(st.tuples(st.just("pattern"), st.integers(0, len(PATTERNS) - 1)),
                           st.tuples(st.just("decoy"), st.integers(0, len(JOIN_DECOYS) - 1))),
                 max_size=25)


def joined(top: list[tuple[str, int]], inner: list[tuple[str, int]]) -> tuple[str, int]:
    """A query of a group of items holding a nested group of items; and the most members
    one of its joins holds."""
    counter = iter(range(1000))

    def group(items: list[tuple[str, int]]) -> tuple[list[str], int]:
        parts, members = [], 0
        for kind, index in items:
            if kind == "pattern":
                written, adds = PATTERNS[index]
                members += adds
            else:
                written, own = JOIN_DECOYS[index]
                largest[0] = max(largest[0], own)
            parts.append(written.format(i=next(counter)))
        return parts, members

    largest = [0]
    outer, outer_members = group(top)
    nested, nested_members = group(inner)
    text = ("PREFIX x: <urn:x:> SELECT * WHERE { " + " ".join(outer)
            + " { " + " ".join(nested) + " } }")
    # A plain nested group is planned into its parent's join with all its members.
    return text, max(outer_members + nested_members, *largest)


@settings(max_examples=examples(300), deadline=None, derandomize=True)
@given(top=ITEMS, inner=ITEMS)
def test_the_joins_counted_are_the_patterns_the_engine_reads(
        top: list[tuple[str, int]], inner: list[tuple[str, int]]) -> None:
    text, largest = joined(top, inner)
    ox.Store().query(text)  # the engine reads it as written: what is counted is code
    assert join_bounds(tokens(text))[0] == largest, text


def test_data_and_templates_are_not_joins() -> None:
    many = " ".join(f"<urn:s> <urn:p> ?o{i} ." for i in range(MAX_JOINED * 3))
    rows = " ".join(f"<urn:s> <urn:p> {i} ." for i in range(MAX_JOINED * 3))
    for text in (f"INSERT DATA {{ {rows} }}", f"INSERT DATA {{ GRAPH <urn:g> {{ {rows} }} }}",
                 f"CONSTRUCT {{ {many} }} WHERE {{ ?s ?p ?o0 }}",
                 f"DELETE {{ {many} }} INSERT {{ {many} }} WHERE {{ ?s ?p ?o0 }}",
                 "SELECT * { ?s ?p ?o VALUES ?o { " + " ".join(map(str, range(3000))) + " } }"):
        assert join_bounds(tokens(text))[0] <= 1, text
        check_sparql(text)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { " + " ".join(f"?s <urn:p> ?o{i} ." for i in range(MAX_JOINED + 1)) + " }",
    "SELECT * WHERE { ?s ?p ?o " + " ".join(f"OPTIONAL {{ ?s <urn:p> ?o{i} }}"
                                           for i in range(MAX_JOINED)) + " }",
    "DELETE WHERE { " + " ".join(f"?s <urn:p> ?o{i} ." for i in range(MAX_JOINED + 1)) + " }",
    "INSERT { <urn:a> <urn:b> 1 } WHERE { ?s " + "/".join(["<urn:p>"] * (MAX_JOINED + 1))
    + " ?o }",
    # Groups side by side, or GRAPH groups, are planned as one join: two of 50 cost as 100.
    "SELECT * WHERE { { " + " ".join(f"?s <urn:p> ?o{i} ." for i in range(51)) + " } { "
    + " ".join(f"?s <urn:q> ?q{i} ." for i in range(50)) + " } }",
    "SELECT * WHERE { GRAPH ?g { " + " ".join(f"?s <urn:p> ?o{i} ." for i in range(51))
    + " } GRAPH ?h { " + " ".join(f"?s <urn:q> ?q{i} ." for i in range(50)) + " } }",
])
def test_a_group_joining_more_than_the_bound_is_refused(text: str) -> None:
    with pytest.raises(TooWide, match=f"joins {MAX_JOINED + 1} triple patterns"):
        check_sparql(text)


def test_many_groups_as_large_as_allowed_are_refused_together() -> None:
    one = " ".join(f"?s <urn:p> ?o{i} ." for i in range(MAX_JOINED))
    count = MAX_JOIN_COST // MAX_JOINED**4 + 1
    with pytest.raises(TooWide, match="joins too many patterns in its groups"):
        check_sparql("SELECT * { " + " UNION ".join([f"{{ {one} }}"] * count) + " }")
    fewer = " ".join(f"?s <urn:p> ?o{i} ." for i in range(MAX_JOINED - 1))
    check_sparql("SELECT * { " + " UNION ".join([f"{{ {fewer} }}"] * (count - 1)) + " }")
