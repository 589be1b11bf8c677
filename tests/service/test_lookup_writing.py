"""A look-up composed afresh: its JSON written in one pass, its links kept across look-ups
until the catalogue changes, the bytes those of the application's JSON writer."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox

from kg.catalogue import Catalogue
from kg.paths import Layout
from kg.store.oxigraph_backend import OxigraphBackend
from service.app import create_app
from service.description import (
    ClaimLink,
    EntityDescription,
    Label,
    Link,
    LiteralText,
    Quote,
    Relation,
    SourceLink,
    as_json,
    json_text,
)
from service.resources import LinkCache, Resources
from service.services import services

DMR = "https://w3id.org/dmkg/id/"
FACTS = "https://w3id.org/dmkg/graph/facts"
WRITTEN = "urn:dmkg:test:contributed"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DMO = "https://w3id.org/dmkg/ontology#"


def _flask_writes(value: object) -> str:
    """What Flask's JSON writer makes of the description's dicts out of debug mode."""
    return json.dumps(as_json(value), sort_keys=True, separators=(",", ":"))


def test_the_text_is_the_one_of_the_dicts_each_shared_object_written_once() -> None:
    source = SourceLink(iri=DMR + "source/s", id="source/s", label="Étude « 1 »",
                        title='a "quoted"\ttitle\n', creators=[Link(iri="urn:x", label="\u2028")])
    claims = [ClaimLink(iri=DMR + f"claim/c{n}", label=f"c{n}", kind="Opinion", trend=[],
                        source=source, about=[], quote=Quote(value="voilà", lang="fr"))
              for n in range(3)]
    described = EntityDescription(
        iri=DMR + "source/s", id="source/s", kind="source", label="s",
        labels={"fr": "é", "en": "e"}, alt_labels=[Label(value="\x00\x1f", lang="en")], types=[],
        identifiers=[], relations=[Relation(property=Link(iri="urn:p", label="p"),
                                            value=LiteralText(value="1", datatype="urn:int"))],
        incoming=[], claims=claims, measures=[], source=source, claims_stated=claims)
    text = json_text(described)
    assert text == _flask_writes(described)
    assert text.isascii() and '"definition":null' in text and '"note":null' in text
    assert text.count('"title":"a \\"quoted\\"\\ttitle\\n"') == 7  # 3 claims twice, and the source


def test_every_look_up_answers_the_bytes_of_the_apps_json_writer(built: Layout) -> None:
    app = create_app({"HOME": str(built.root), "STORE": "memory", "RESPONSE_CACHE_MB": 0,
                      "RATE_LIMIT": 0})
    found = services(app)
    client = app.test_client()
    kinds: set[str] = set()
    for kind in ("substance", "channel", "place", "source", "claim", "regulation", "actor"):
        for entity in found.catalogue.of_kind(kind)[:4]:
            for lang in ("en", "fr"):
                reply = client.get(f"/api/entities/{entity.id}?lang={lang}")
                assert reply.status_code == 200, (entity.id, reply.text)
                # Shaped afresh, without the kept links, and written by Flask's writer.
                with app.app_context():
                    described = Resources(found.backend, found.catalogue).describe(entity.id,
                                                                                   lang)
                    expected = app.json.response(as_json(described)).get_data()
                assert reply.get_data() == expected, entity.id
                kinds.add(kind)
    assert len(kinds) == 7


def _writable(path: Path) -> OxigraphBackend:
    """Ketamine, a form of cocaine, in a graph of the build; writes go to another graph."""
    seed = ox.Store(str(path))
    ketamine, cocaine = (ox.NamedNode(DMR + "substance/" + s) for s in ("ketamine", "cocaine"))
    for triple in ((ketamine, ox.NamedNode(LABEL), ox.Literal("ketamine", language="en")),
                   (cocaine, ox.NamedNode(LABEL), ox.Literal("cocaine", language="en")),
                   (ketamine, ox.NamedNode(TYPE), ox.NamedNode(DMO + "Substance")),
                   (cocaine, ox.NamedNode(TYPE), ox.NamedNode(DMO + "Substance")),
                   (ketamine, ox.NamedNode(DMO + "formOf"), cocaine)):
        seed.add(ox.Quad(*triple, ox.NamedNode(FACTS)))
    seed.flush()
    del seed
    return OxigraphBackend.writable(path, (FACTS,))


def _form_of(resources: Resources) -> Link:
    described = resources.describe("substance/ketamine", "fr")
    found = [r.value for r in described.relations if r.property.iri == DMO + "formOf"]
    assert len(found) == 1 and isinstance(found[0], Link)
    return found[0]


def test_kept_links_last_until_the_catalogue_is_updated(tmp_path: Path) -> None:
    backend = _writable(tmp_path / "store")
    catalogue = Catalogue.from_backend(backend)
    kept = LinkCache()
    first = _form_of(Resources(backend, catalogue, kept))
    assert first.label == "cocaine"  # the English name, for want of a French one
    assert _form_of(Resources(backend, catalogue, kept)) is first  # kept, not shaped again
    backend.update(f'INSERT DATA {{ GRAPH <{WRITTEN}> {{ <{DMR}substance/cocaine> <{LABEL}> '
                   f'"coke"@fr }} }}')
    catalogue.update(backend)
    assert _form_of(Resources(backend, catalogue, kept)).label == "coke"
    kept.clear()
    assert _form_of(Resources(backend, catalogue, kept)) is not first
