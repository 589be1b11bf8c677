"""The nesting of a query as the guard measures it on its tokens, against the engine: generated
queries nest groups and expressions among brackets that are not code (in strings, comments and
IRIs); the depth counted is the depth written, and the engine reads each query as written."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.nesting import TooDeep, token_bounds
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
