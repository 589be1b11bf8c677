"""The services of an application: what pages derive from the data is typed and forgotten whole."""

from __future__ import annotations

from collections import Counter

from rdflib import Graph

from service.services import Derived


def test_clearing_forgets_everything_pages_derived_from_the_data() -> None:
    derived = Derived(claim_counts={"kind": Counter(a=1)}, void=Graph(),
                      class_parents={"Substance": {"Thing"}}, claim_facets=[])
    derived.clear()
    assert derived == Derived()
