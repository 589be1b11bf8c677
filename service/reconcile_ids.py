"""Read a reconciliation query as an identifier: a DMKG id or IRI, a Wikidata, ChEBI or
Addiction Ontology id."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib.namespace import SKOS

from kg.catalogue import Catalogue, CatalogueEntry
from kg.namespaces import ADDICTO, DMR, OBO, WIKIDATA
from kg.store.base import Backend

WIKIDATA_ID = re.compile(
    r"^(?:wd:|https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/)?(Q[1-9][0-9]*)$", re.I)
CHEBI_ID = re.compile(
    r"^(?:chebi:|https?://purl\.obolibrary\.org/obo/chebi_|https?://identifiers\.org/chebi:"
    r"|https?://identifiers\.org/chebi/chebi:)([0-9]+)$", re.I)
# A bare number is a ChEBI id only where a ChEBI id is expected (a 'chebi' condition).
BARE_CHEBI = re.compile(r"^(?:chebi:)?([0-9]+)$", re.I)
ADDICTO_ID = re.compile(r"^(?:addicto[:_]|https?://purl\.obolibrary\.org/obo/addicto_"
                        r"|https?://addictovocab\.org/addicto_)([0-9]+)$", re.I)
DMKG_ID = re.compile(r"^(?:https?://w3id\.org/dmkg/id/|dmr:)?([a-z]+/[a-z0-9][a-z0-9-]*)$")
# Who is linked to an outside identifier, and how firmly.
# Who is linked to an outside identifier, and how: exact first, then close, then broader or
# narrower (a DMKG entity that is a part or a kind of what the identifier names).
LINKS = {str(SKOS.exactMatch): ("same as", 100.0), str(SKOS.closeMatch): ("close to", 80.0),
         str(SKOS.broadMatch): ("within", 70.0), str(SKOS.narrowMatch): ("broader than", 70.0)}
LINKED = ("SELECT ?s ?how WHERE { VALUES ?how { " + " ".join(f"<{p}>" for p in LINKS)
          + " } ?s ?how ?x }")


@dataclass(frozen=True)
class IdentifierHit:
    """An entity named by an identifier, and how it is linked (a SKOS mapping property)."""

    entity: CatalogueEntry
    identifier: str
    how: str

    @property
    def exact(self) -> bool:
        return self.how == str(SKOS.exactMatch)

    @property
    def relation(self) -> str:
        return LINKS[self.how][0]

    @property
    def score(self) -> float:
        return LINKS[self.how][1]


def iri_named_by(text: str) -> str | None:
    """Return the Wikidata, ChEBI or Addiction Ontology IRI that text names, or None."""
    text = text.strip()
    wikidata = WIKIDATA_ID.match(text)
    if wikidata:
        return f"{WIKIDATA}{wikidata.group(1).upper()}"
    chebi = CHEBI_ID.match(text)
    if chebi:
        return f"{OBO}CHEBI_{chebi.group(1)}"
    addicto = ADDICTO_ID.match(text)
    if addicto:
        return f"{ADDICTO}ADDICTO_{addicto.group(1)}"
    return None


def chebi_iri(text: str) -> str | None:
    """Return the ChEBI IRI of a ChEBI id given as CHEBI:6121, its IRI, or 6121 alone."""
    bare = BARE_CHEBI.match(text.strip())
    iri = f"{OBO}CHEBI_{bare.group(1)}" if bare else iri_named_by(text)
    return iri if iri and iri.startswith(f"{OBO}CHEBI_") else None


def wikidata_iri(text: str) -> str | None:
    """Return the Wikidata IRI of a Wikidata id or IRI."""
    iri = iri_named_by(text)
    return iri if iri and iri.startswith(str(WIKIDATA)) else None


def chebi_id(iri: str) -> str:
    """Write a ChEBI IRI as the CHEBI:6121 form used everywhere in the service."""
    return "CHEBI:" + iri.removeprefix(f"{OBO}CHEBI_")


def linked(iri: str, catalogue: Catalogue, backend: Backend) -> list[IdentifierHit]:
    """Return the entities linked to an outside IRI, exact links first, each once."""
    hits = []
    for row in backend.select(LINKED, {"x": iri}):
        entity = catalogue.get(str(row["s"]))
        if entity is not None:
            hits.append(IdentifierHit(entity, iri, str(row["how"])))
    hits.sort(key=lambda h: (-h.score, h.entity.id))
    unique: dict[str, IdentifierHit] = {}
    for hit in hits:
        unique.setdefault(hit.entity.id, hit)
    return list(unique.values())


def by_identifier(text: str, catalogue: Catalogue, backend: Backend) -> list[IdentifierHit]:
    """Return the entities text names as an identifier, exact links first; [] for a name."""
    text = text.strip()
    local = DMKG_ID.match(text)
    if local:
        entity = catalogue.by_id(local.group(1))
        return ([IdentifierHit(entity, str(DMR[local.group(1)]), str(SKOS.exactMatch))]
                if entity else [])
    iri = iri_named_by(text)
    return linked(iri, catalogue, backend) if iri else []
