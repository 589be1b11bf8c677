"""The neighbourhood picture stays readable however many neighbours an entity has."""

from __future__ import annotations

import re

from service.description import EntityDescription, Incoming, Link, Relation
from service.neighbourhood import CAP, svg


def described(relations: int, members: int) -> EntityDescription:
    """An entity pointing to members neighbours through each of relations properties, and
    pointed at by as many."""
    def link(i: int, j: int) -> Link:
        return Link(iri=f"https://w3id.org/dmkg/id/place/p{i}-{j}", id=f"place/p{i}-{j}",
                    label=f"a place with a rather long name number {i}-{j}")

    return EntityDescription(
        iri="https://w3id.org/dmkg/id/substance/centre", id="substance/centre",
        label="Centre", kind="substance", labels={}, alt_labels=[], types=[],
        identifiers=[], claims=[], measures=[],
        relations=[Relation(property=Link(iri=f"urn:p{i}", label=f"relation {i}"),
                            value=link(i, j)) for i in range(relations) for j in range(members)],
        incoming=[Incoming(property=Link(iri=f"urn:q{i}", label=f"inverse {i}"),
                           subject=link(100 + i, j))
                  for i in range(relations) for j in range(members)])


def test_each_relation_is_a_capped_box_with_a_link_to_the_rest() -> None:
    picture = svg(described(4, 30), more=lambda g: f"/list/{g.label}")
    assert picture.count('<g class="group">') == 8
    assert picture.count('<a href="/id/place/') == 8 * CAP  # no more names than the cap
    assert picture.count(">and 24 more<") == 8
    assert '<a href="/list/relation 0" class="more">' in picture


def test_the_picture_grows_in_height_not_in_density() -> None:
    def height(relations: int) -> int:
        found = re.search(r'viewBox="0 0 \d+ (\d+)"', svg(described(relations, 3)))
        assert found is not None
        return int(found.group(1))

    assert height(1) < height(5) < height(20)
    assert 'viewBox="0 0 820 ' in svg(described(20, 3))  # as wide, whatever the count


def test_few_neighbours_have_no_more_link_and_a_legend() -> None:
    picture = svg(described(1, 2))
    assert 'class="more"' not in picture and " more<" not in picture
    assert 'class="legend"' in picture and "substance" in picture and "place" in picture
