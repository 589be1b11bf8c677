"""The graphs of INSERT DATA and DELETE DATA read from the guard's tokens (data_targets), against
the engine itself: generated data updates, with pieces that could hide a graph from one reader
(braces and GRAPH in strings and comments, escapes, nested blocks, other operations), run on a
real Oxigraph store. Whenever a graph changes, the reading must have named it; and where
rdflib reads the text too, both name the same graphs."""

from __future__ import annotations

import contextlib
from typing import Any

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.sparql_text import UpdateSyntaxError, data_targets, update_targets
from kg.store import QueryRefused, QuerySyntaxError
from kg.store.base import guarded
from tests.profiles import examples

SEARCH = settings(max_examples=examples(600), deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
BUILT = "https://w3id.org/dmkg/graph/facts"
GRAPHS = ["urn:g1", "urn:g2", BUILT]
SUBJECTS = ["<urn:a>", "<urn:b>", "_:n", "[ <urn:p> <urn:c> ]"]
OBJECTS = ["<urn:c>", '"x"', "'x'@en", '"""}"""', "1", "true", "( <urn:c> 1 )", '"1"^^<urn:t>']
# Pieces that could make one reader see a block another does not.
NOISE = ["}", "{", " GRAPH ", f"<{BUILT}>", "<//w3id.org/dmkg/graph/facts>", '"', "'", '"""',
         "'''", "#", "# } GRAPH <urn:g2> {", "\n", "\r", "\\u000A", "\\u007D", ".", ";", ",",
         " DROP ALL ", " ; CLEAR GRAPH <urn:g1> ", "<<", ">>", "{|", "|}", "?v", "e:x",
         f'"GRAPH <{BUILT}> {{"', "<urn:g2\\u003E", "a"]


@st.composite
def triples(draw: Any) -> str:
    subject, obj = draw(st.sampled_from(SUBJECTS)), draw(st.sampled_from(OBJECTS))
    more = draw(st.sampled_from(["", " ; <urn:q> <urn:c>", " , <urn:c>"]))
    return f"{subject} <urn:p> {obj}{more}"


@st.composite
def blocks(draw: Any) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            inside = " . ".join(draw(st.lists(triples(), max_size=2)))
            pieces.append(f"GRAPH <{draw(st.sampled_from(GRAPHS))}> {{ {inside} }}")
        else:
            pieces.append(draw(triples()) + " .")
    return " ".join(pieces)


@st.composite
def updates(draw: Any) -> str:
    operations = [f"{draw(st.sampled_from(['INSERT', 'DELETE']))} DATA {{ {draw(blocks())} }}"
                  for _ in range(draw(st.integers(1, 3)))]
    text = " ;\n".join(operations)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(NOISE)) + text[at:]
    declare = draw(st.sampled_from(["", "PREFIX e: <urn:e:> ", "BASE <https://w3id.org/> "]))
    return declare + text


def _store() -> ox.Store:
    """A store holding every triple of the vocabulary in every graph, so deletes change it."""
    store = ox.Store()
    for graph in [ox.DefaultGraph(), *(ox.NamedNode(g) for g in GRAPHS)]:
        for subject in ("urn:a", "urn:b"):
            for obj in (ox.NamedNode("urn:c"), ox.Literal("x")):
                store.add(ox.Quad(ox.NamedNode(subject), ox.NamedNode("urn:p"), obj, graph))
    return store


@given(text=updates())
@SEARCH
def test_every_graph_the_engine_changes_is_named(text: str) -> None:
    try:
        read = guarded(text, "https://w3id.org/dmkg/", refuse_remote=False, what="update")
    except (QueryRefused, QuerySyntaxError):
        return
    targets = data_targets(read)
    if targets is None:
        return  # left to rdflib's parse, tested elsewhere
    # Where rdflib cannot read it, the engine is the judge below.
    with contextlib.suppress(UpdateSyntaxError):
        assert update_targets(read.text) == targets, (text, read.text)
    store = _store()
    before = set(store)
    try:
        store.update(read.text)
    except (SyntaxError, ValueError, OSError, RuntimeError):
        return
    changed = {"DEFAULT" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
               for q in before ^ set(store)}
    assert changed <= targets, (text, read.text, changed, targets)


def test_the_generated_updates_are_read_by_the_tokens_and_applied() -> None:
    """The search above reaches the reading: most generated updates are data alone."""
    text = ("INSERT DATA { <urn:a> <urn:p> '}' . GRAPH <urn:g1> { <urn:b> <urn:p> \"{\" } } ;\n"
            f"DELETE DATA {{ GRAPH <{BUILT}> {{ <urn:a> <urn:p> <urn:c> }} }}")
    read = guarded(text, refuse_remote=False, what="update")
    assert data_targets(read) == {"DEFAULT", "urn:g1", BUILT}
    store = _store()
    store.update(read.text)
    assert ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.NamedNode("urn:c"),
                   ox.NamedNode(BUILT)) not in store
