"""RFC 3986 normalisation: spellings of one IRI meet, different IRIs stay apart."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.iri_equivalence import normal_form
from tests.iri_spellings import spellings

FACTS = "https://w3id.org/dmkg/graph/facts"
IRIS = st.sampled_from([FACTS, "https://w3id.org/dmkg/graph/ontology",
                        "http://example.org/a/b-c/d_e~f.g", "https://example.org/"])


@pytest.mark.parametrize("spelling", [
    "HTTPS://w3id.org/dmkg/graph/facts", "https://W3ID.ORG/dmkg/graph/facts",
    "https://w3id.org:443/dmkg/graph/facts", "https://w3id.org:/dmkg/graph/facts",
    "https://w3id.org:00443/dmkg/graph/facts", "https://w3id.org/dmkg/graph/%66acts",
    "https://w3id.org/dmkg/graph/%66%61cts", "https://%77%33id.org/dmkg/graph/facts",
    "https://w3id.org/dmkg/graph/./facts", "https://w3id.org/dmkg/x/../graph/facts",
    "https://w3id.org/dmkg/graph/%2E/facts", "https://w3id.org/../dmkg/graph/facts",
])
def test_spellings_of_a_built_graph_have_its_normal_form(spelling: str) -> None:
    assert normal_form(spelling) == FACTS


@pytest.mark.parametrize(("one", "other"), [
    ("http://example.org", "http://example.org/"),  # the scheme's empty path is "/"
    ("http://example.org:80/a", "http://example.org/a"),
    ("http://example.org/%7euser", "http://example.org/~user"),
    ("http://example.org/a%c3%a9", "http://example.org/a%C3%A9"),
    ("http://example.org/a/b/c/./../../g", "http://example.org/a/g"),  # RFC 3986, 5.2.4
    ("http://example.org/a/b/..", "http://example.org/a/"),
    ("http://example.org/a?q=%7e#%7E", "http://example.org/a?q=~#~"),
    ("http://[::1]:80/a", "http://[::1]/a"),
])
def test_equivalent_iris_meet(one: str, other: str) -> None:
    assert normal_form(one) == normal_form(other)


@pytest.mark.parametrize("other", [
    "http://w3id.org/dmkg/graph/facts",  # another scheme
    "https://w3id.org/dmkg/graph/Facts",  # paths keep their case
    "https://w3id.org/dmkg/graph/facts/",
    "https://w3id.org/dmkg/graph%2Ffacts",  # an encoded slash is no separator
    "https://w3id.org:8443/dmkg/graph/facts",
    "https://user@w3id.org/dmkg/graph/facts",
    "https://w3id.org/dmkg/graph/facts/..",
])
def test_different_iris_stay_apart(other: str) -> None:
    assert normal_form(other) != FACTS


@given(data=st.data(), iri=IRIS)
def test_every_generated_spelling_meets_its_iri(data: st.DataObject, iri: str) -> None:
    spelling = data.draw(spellings(iri))
    assert normal_form(spelling) == normal_form(iri)
    assert normal_form(normal_form(spelling)) == normal_form(spelling)
