"""Populate the ontology's individuals from the curated facts with owlready2."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import owlready2
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS, XSD

from kg.facts_loader import Facts
from kg.facts_schema import Claim, Entity, Location, Source, Texts
from kg.namespaces import ADDICTO, DMO, DMR, GEO, GEONAMES, GRAPH, OBO, SCHEMA, WIKIDATA

CLAIM_ABOUT = {
    "substance": DMO.aboutSubstance,
    "channel": DMO.aboutChannel,
    "actor": DMO.aboutActor,
    "place": DMO.aboutPlace,
    "practice": DMO.aboutPractice,
    "regulation": DMO.aboutRegulation,
    "risk": DMO.aboutRisk,
    "factor": DMO.aboutFactor,
}


def external_iri(short: str) -> str:
    """Expand wd:Q…, chebi:N, addicto:N and geonames:N to their IRIs."""
    prefix, _, local = short.partition(":")
    return {
        "wd": f"{WIKIDATA}{local}",
        "chebi": f"{OBO}CHEBI_{local}",
        "addicto": f"{ADDICTO}ADDICTO_{local}",
        "geonames": f"{GEONAMES}{local}/",
    }[prefix]


def _xsd_value(value: dt.date | int | str) -> tuple[str, URIRef]:
    """Return the lexical form and datatype of a date, a year or a year-month."""
    if isinstance(value, dt.date):
        return value.isoformat(), XSD.date
    if isinstance(value, int):
        return f"{value:04d}", XSD.gYear
    return value, XSD.gYearMonth


class Populator:
    """Write facts into an owlready2 world, as individuals of the ontology's classes."""

    def __init__(self, world: owlready2.World) -> None:
        self.world = world
        self.graph = world.get_ontology(str(GRAPH.facts))
        self.namespace = self.graph.get_namespace(str(DMR))

    def term(self, iri: str) -> Any:
        found = self.world[iri]
        if found is None:
            raise KeyError(f"the ontology has no term {iri}")
        return found

    def individual(self, ident: str) -> Any:
        return self.term(str(DMR[ident]))

    def add_iri(self, subject: Any, predicate: URIRef, iri: str) -> None:
        # An annotation pointing outside the world (Wikidata, ChEBI, a licence page).
        self.graph._add_obj_triple_spo(subject.storid, self.term(str(predicate)).storid,
                                       self.world._abbreviate(iri))

    def add_literal(self, subject: Any, predicate: URIRef, value: dt.date | int | str) -> None:
        lexical, datatype = _xsd_value(value)
        self.graph._add_data_triple_spod(subject.storid, self.term(str(predicate)).storid,
                                         lexical, self.world._abbreviate(str(datatype)))

    def add_decimal(self, subject: Any, predicate: URIRef, value: float) -> None:
        self.graph._add_data_triple_spod(subject.storid, self.term(str(predicate)).storid,
                                         repr(value), self.world._abbreviate(str(XSD.decimal)))

    def add_text(self, subject: Any, predicate: URIRef, text: str, lang: str | None) -> None:
        value = owlready2.locstr(text, lang) if lang else text
        self.term(str(predicate))[subject].append(value)

    def add_texts(self, subject: Any, predicate: URIRef,
                  texts: Texts | Mapping[Any, str] | None) -> None:
        if texts is None:
            return
        items = texts.model_dump().items() if isinstance(texts, Texts) else texts.items()
        for lang, text in sorted(items):
            if text:
                self.add_text(subject, predicate, text, lang)

    def relate(self, subject: Any, predicate: URIRef, target: str) -> None:
        self.term(str(predicate))[subject].append(self.individual(target))

    def create(self, ident: str, class_names: list[str]) -> Any:
        first, *others = [self.term(str(DMO[name])) for name in class_names]
        individual = first(ident, namespace=self.namespace)
        for cls in others:
            individual.is_a.append(cls)
        return individual

    def entity(self, ident: str, entity: Entity) -> None:
        individual = self.create(ident, entity.types)
        self.add_texts(individual, RDFS.label, entity.label.model_dump())
        for lang, labels in sorted(entity.alt_labels.items()):
            for label in labels:
                self.add_text(individual, SKOS.altLabel, label, lang)
        self.add_texts(individual, SKOS.definition, entity.definition)
        self.add_texts(individual, SKOS.note, entity.note)
        for short in entity.exact_match:
            self.add_iri(individual, SKOS.exactMatch, external_iri(short))
        for predicate, shorts in ((SKOS.closeMatch, entity.close_match),
                                  (SKOS.broadMatch, entity.broad_match),
                                  (SKOS.narrowMatch, entity.narrow_match)):
            for short in shorts:
                self.add_iri(individual, predicate, external_iri(short))
        for address in entity.checked:
            self.add_iri(individual, DMO.checkedIn, address)
        for name, value in sorted(entity.values.items()):
            self.add_literal(individual, DMO[name], value)
        if isinstance(entity, Source):
            self.source_metadata(individual, entity)

    def entity_relations(self, ident: str, entity: Entity) -> None:
        individual = self.individual(ident)
        for name, targets in sorted(entity.relations.items()):
            for target in targets:
                self.relate(individual, DMO[name], target)
        if entity.location is not None:
            self.location(individual, entity.location)
        if isinstance(entity, Source):
            for origin in entity.derived_from:
                self.relate(individual, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), origin)
            if entity.comments_on:
                self.relate(individual, DMO.commentsOn, entity.comments_on)

    def location(self, individual: Any, location: Location) -> None:
        self.add_decimal(individual, GEO.lat, location.latitude)
        self.add_decimal(individual, GEO.long, location.longitude)
        self.relate(individual, DMO.coordinatesSource, location.source)
        self.relate(individual, DMO.coordinatesConfidence,
                    f"concept/{location.confidence}-confidence")

    def source_metadata(self, individual: Any, source: Source) -> None:
        self.add_texts(individual, DCTERMS.title, source.title)
        for creator in source.creators:
            self.add_iri(individual, DCTERMS.creator, str(DMR[creator]))
        if source.publisher:
            self.add_iri(individual, DCTERMS.publisher, str(DMR[source.publisher]))
        self.add_literal(individual, DCTERMS.date, source.date)
        self.add_text(individual, DCTERMS.language, source.language, None)
        if source.url:
            self.add_iri(individual, SCHEMA.url, source.url)
        if source.part_of:
            self.add_text(individual, DCTERMS.isPartOf, source.part_of, None)
        if source.citation:
            self.add_text(individual, DCTERMS.bibliographicCitation, source.citation, None)

    def claim(self, ident: str, claim: Claim) -> None:
        individual = self.create(ident, [claim.kind])
        self.add_texts(individual, RDFS.label, claim.label.model_dump())
        if claim.ref:
            self.add_text(individual, SKOS.notation, claim.ref, None)
        assert claim.source is not None  # the loader refuses claims without one
        self.relate(individual, DMO.statedIn, claim.source)
        if claim.attributed_to:
            self.relate(individual, DMO.attributedTo, claim.attributed_to)
        self.add_texts(individual, DMO.quote, claim.quote)
        self.add_texts(individual, DMO.summary, claim.summary.model_dump())
        self.add_texts(individual, SKOS.note, claim.note)
        self.relate(individual, DMO.confidence, f"concept/{claim.confidence}-confidence")
        for trend in claim.trend:
            self.relate(individual, DMO.trend, f"concept/{trend}")
        for target in claim.trend_of:
            self.relate(individual, DMO.trendOf, target)
        if claim.quote_origin:
            self.relate(individual, DMO.quoteOrigin, f"concept/{claim.quote_origin}")
        for other in claim.corroborated_by:
            self.relate(individual, DMO.corroboratedBy, other)
        for address in claim.checked:
            self.add_iri(individual, DMO.checkedIn, address)
        if claim.period and claim.period.start is not None:
            self.add_literal(individual, DMO.periodStart, claim.period.start)
        if claim.period and claim.period.end is not None:
            self.add_literal(individual, DMO.periodEnd, claim.period.end)
        for target in claim.about:
            self.relate(individual, self.about_property(target), target)

    def about_property(self, target: str) -> URIRef:
        """Pick the dmo:about sub-property whose range fits the target."""
        kind = target.split("/")[0]
        if kind == "concept":
            # Value sets (control categories, regulatory requirements) are not Requirements.
            is_requirement = self.term(str(DMO.Requirement)) in self.individual(target).is_a
            return DMO.aboutRequirement if is_requirement else DMO.about
        return CLAIM_ABOUT[kind]


def populate(world: owlready2.World, facts: Facts) -> owlready2.Ontology:
    """Add every fact to world in the facts graph; return that graph's ontology object."""
    populator = Populator(world)
    with populator.graph:
        for ident in sorted(facts.entities):
            populator.entity(ident, facts.entities[ident])
        for ident in sorted(facts.entities):
            populator.entity_relations(ident, facts.entities[ident])
        for ident in sorted(facts.claims):
            populator.claim(ident, facts.claims[ident])
    return populator.graph
