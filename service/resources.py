"""What the graph says about one individual, gathered for the REST API and the HTML pages.

The store is read through adjacent() (the triples touching a set of IRIs): a description reads
its entity, then the claims, measures and sources around it, a few batches in all, and shapes
them as the typed classes of service.description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from kg.catalogue import Catalogue, CatalogueEntry
from kg.namespaces import ADDICTO, DMO, DMR, GRAPH, OBO, SCHEMA, WIKIDATA
from kg.store import Backend, DatasetSpec, LiteralValue, Value
from service.description import (
    ClaimLink,
    EntityDescription,
    Identifier,
    Incoming,
    Label,
    Link,
    LiteralText,
    Measure,
    Quote,
    Relation,
    SourceLink,
    TypeRef,
    in_table_order,
)
from service.i18n import property_label

# The curated graphs: the facts, and the ontology for its value sets.
CURATED = DatasetSpec(default_graphs=(str(GRAPH.facts), str(GRAPH.ontology)))
GRAPHS = CURATED.default_graphs
ABOUT = {str(DMO.about), *(str(DMO[f"about{k}"]) for k in (
    "Substance", "Channel", "Actor", "Place", "Practice", "Regulation", "Risk", "Factor",
    "Requirement"))}
HIDDEN = {str(RDF.type), str(RDFS.label), str(SKOS.altLabel), str(SKOS.definition),
          str(SKOS.note), str(SKOS.exactMatch), str(SKOS.closeMatch),
          str(SKOS.broadMatch), str(SKOS.narrowMatch), str(DMO.checkedIn)}
STATED_IN, REGULATES = str(DMO.statedIn), str(DMO.regulates)
INGREDIENT = str(DMO.activeIngredient)
SCHEMES = ((str(WIKIDATA), "wikidata", "Wikidata"),
           (f"{OBO}CHEBI_", "chebi", "ChEBI"),
           (f"{ADDICTO}ADDICTO_", "addicto", "Addiction Ontology"))
MATCHES = (("exact", str(SKOS.exactMatch)), ("close", str(SKOS.closeMatch)),
           ("broad", str(SKOS.broadMatch)), ("narrow", str(SKOS.narrowMatch)))
SHOWN_ELSEWHERE = {str(DMO.quote), str(DMO.summary), str(SKOS.notation)}
CLAIM_KINDS = ("ReportedFinding", "EditorialStatement", "Opinion", "RegulatoryFact")


class NotFound(LookupError):
    """No individual has this id or IRI."""
# Predicates read for every description, as texts (an rdflib Namespace makes a term a call).
DMO_NS, DCTERMS_NS, DMR_NS = str(DMO), str(DCTERMS), str(DMR)
DCTERMS_BIBLIOGRAPHICCITATION = str(DCTERMS.bibliographicCitation)
DCTERMS_CREATOR = str(DCTERMS.creator)
DCTERMS_DATE = str(DCTERMS.date)
DCTERMS_ISPARTOF = str(DCTERMS.isPartOf)
DCTERMS_LANGUAGE = str(DCTERMS.language)
DCTERMS_PUBLISHER = str(DCTERMS.publisher)
DCTERMS_TITLE = str(DCTERMS.title)
DMO_ATTRIBUTEDTO = str(DMO.attributedTo)
DMO_CHECKEDIN = str(DMO.checkedIn)
DMO_CONFIDENCE = str(DMO.confidence)
DMO_CONTROLSTATUS = str(DMO.controlStatus)
DMO_EFFECTIVEFROM = str(DMO.effectiveFrom)
DMO_EFFECTIVEUNTIL = str(DMO.effectiveUntil)
DMO_ENDEDBY = str(DMO.endedBy)
DMO_ESTABLISHEDBY = str(DMO.establishedBy)
DMO_IMPOSESREQUIREMENT = str(DMO.imposesRequirement)
DMO_JURISDICTION = str(DMO.jurisdiction)
DMO_PERIODEND = str(DMO.periodEnd)
DMO_PERIODSTART = str(DMO.periodStart)
DMO_QUOTE = str(DMO.quote)
DMO_STATUSASOF = str(DMO.statusAsOf)
DMO_SUMMARY = str(DMO.summary)
DMO_TREND = str(DMO.trend)
PROV_WASDERIVEDFROM = str(PROV.wasDerivedFrom)
SCHEMA_URL = str(SCHEMA.url)
SKOS_DEFINITION = str(SKOS.definition)
SKOS_NOTATION = str(SKOS.notation)
SKOS_NOTE = str(SKOS.note)


def texts(values: Iterable[Value]) -> dict[str, str]:
    """Map language tags to texts ('' for untagged)."""
    found: dict[str, str] = {}
    for value in values:
        if isinstance(value, LiteralValue):
            found.setdefault(value.lang or "", value.value)
    return found


def pick_tag(by_lang: dict[str, str], lang: str) -> str | None:
    """The language tag of the text pick chooses ('' for untagged), or None when none."""
    other = "fr" if lang == "en" else "en"
    return next((tag for tag in (lang, other, "") if by_lang.get(tag)),
                next(iter(by_lang), None))


def pick(by_lang: dict[str, str], lang: str) -> str | None:
    """Choose the text in lang, else the other language, else any."""
    tag = pick_tag(by_lang, lang)
    return by_lang[tag] if tag is not None else None


def identifier(iri: str, match: str) -> Identifier | None:
    """Describe an external identifier IRI (Wikidata, ChEBI, ADDICTO)."""
    for prefix, scheme, name in SCHEMES:
        if iri.startswith(prefix):
            local = iri.removeprefix(prefix)
            shown = f"CHEBI:{local}" if scheme == "chebi" else (
                f"ADDICTO:{local}" if scheme == "addicto" else local)
            return Identifier(scheme=scheme, scheme_name=name, id=shown, iri=iri, match=match)
    return None


def first(out: dict[str, list[Value]], predicate: object) -> str | None:
    """The text of the first value of predicate, if any."""
    values = out.get(str(predicate))
    return str(values[0]) if values else None


Outgoing = dict[str, list[Value]]
# Links kept across look-ups before the oldest are forgotten (a few hundred bytes each).
KEPT_LINKS = 1 << 16


@dataclass
class LinkCache:
    """The links (IRI, id, label) shaped for one generation of the catalogue, shared by the
    look-ups of an application: a label changes only when the catalogue is updated."""

    limit: int = KEPT_LINKS
    _links: dict[tuple[str, str], Link] = field(default_factory=dict)
    _generation: int = -1
    _catalogue: Catalogue | None = None

    def of(self, catalogue: Catalogue) -> dict[tuple[str, str], Link]:
        """The links of catalogue as it is now: (IRI, language) → link."""
        if catalogue is not self._catalogue or catalogue.generation != self._generation:
            self._links = {}  # a new dict: a look-up under way keeps the one it holds
            self._catalogue, self._generation = catalogue, catalogue.generation
        elif len(self._links) > self.limit:
            self._links = {}
        return self._links

    def clear(self) -> None:
        """Forget every link (the data changed)."""
        self._links = {}


@dataclass
class Resources:
    """Reads individuals from the store and shapes them for people and programs."""

    backend: Backend
    catalogue: Catalogue
    # Links kept across look-ups, or None for this description's own.
    kept_links: LinkCache | None = None
    _cache: dict[str, Outgoing] = field(default_factory=dict)
    _incoming: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # What one description shows several times (a source under each of its claims, a claim
    # under each measure it is about), made once: (IRI, language) → shaped.
    _shaped: dict[tuple[str, str, str], Link] = field(default_factory=dict)
    _entries: dict[str, CatalogueEntry | None] = field(default_factory=dict)
    _links: dict[tuple[str, str], Link] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kept_links is not None:
            self._links = self.kept_links.of(self.catalogue)

    def read(self, subjects: Iterable[str] = (), objects: Iterable[str] = ()) -> None:
        """Read, in one call to the store, the triples of the subjects and the objects not yet
        read (for a remote store, a round trip for each batch instead of one per resource)."""
        wanted = [s for s in dict.fromkeys(subjects) if s not in self._cache]
        pointed = [o for o in dict.fromkeys(objects) if o not in self._incoming]
        if not wanted and not pointed:
            return
        out: dict[str, dict[str, list[Value]]] = {s: {} for s in wanted}
        into: dict[str, dict[tuple[str, str], None]] = {o: {} for o in pointed}
        for s, p, o in self.backend.adjacent(GRAPHS, wanted, pointed):
            if type(s) is not str:  # a blank node: only ever met as an object's subject
                continue
            if (values := out.get(s)) is not None:
                if (found := values.get(p)) is None:
                    values[p] = [o]
                else:
                    found.append(o)
            if type(o) is str and (pairs := into.get(o)) is not None:
                pairs[s, p] = None
        self._cache.update(out)
        for obj, pairs in into.items():
            self._incoming[obj] = list(pairs)

    def outgoing(self, iri: str) -> Outgoing:
        """Return predicate → objects of iri in the curated graphs."""
        if iri not in self._cache:
            self.read(subjects=[iri])
        return self._cache[iri]

    def incoming(self, iri: str) -> list[tuple[str, str]]:
        """Return (subject, predicate) pairs pointing at iri in the curated graphs."""
        if iri not in self._incoming:
            self.read(objects=[iri])
        return self._incoming[iri]

    def _pointing(self, iris: Iterable[str], predicates: set[str]) -> list[str]:
        return [s for iri in iris for s, p in self._incoming[iri] if p in predicates]

    def _values(self, iris: Iterable[str], predicate: str) -> list[str]:
        return [v for iri in iris for v in self._cache[iri].get(predicate, [])
                if isinstance(v, str)]

    def prefetch(self, iri: str) -> None:
        """Read, level by level, what a description of iri will need about its neighbours:
        its claims, measures and products, then their sources and claims, and theirs."""
        self.read([iri], [iri])
        around = self._incoming[iri]
        claims = [s for s, p in around if p in ABOUT or p == STATED_IN] + [iri]
        measures = [s for s, p in around if p == REGULATES] + [iri]
        products = [s for s, p in around if p == INGREDIENT]
        self.read(claims + measures, measures + products)
        measure_claims = self._pointing(measures, ABOUT)
        product_measures = self._pointing(products, {REGULATES})
        self.read([*self._values(claims, STATED_IN), *measure_claims, *product_measures],
                  product_measures)
        product_claims = self._pointing(product_measures, ABOUT)
        self.read([*self._values(measure_claims, STATED_IN), *product_claims])
        self.read(self._values(product_claims, STATED_IN))

    def entity(self, ident: str) -> CatalogueEntry:
        found = self.catalogue.by_id(ident) or self.catalogue.get(ident)
        if found is None:
            raise NotFound(ident)
        return found

    def entry(self, iri: str) -> CatalogueEntry | None:
        """The individual with this IRI, asked of the catalogue once per description."""
        try:
            return self._entries[iri]
        except KeyError:
            # Only IRIs of this graph name individuals (Catalogue.label reads them so too).
            found = self._entries[iri] = (self.catalogue.get(iri) if iri.startswith(DMR_NS)
                                          else None)
            return found

    def link(self, iri: str, lang: str) -> Link:
        """A reference to another resource: IRI, id when it is ours, label."""
        found = self._links.get((iri, lang))
        if found is None:
            entity = self.entry(iri)
            label = (self.catalogue.term_label(iri, lang)
                     or (entity.label(lang) if entity is not None else None)
                     or property_label(iri, lang) or iri)
            found = self._links[iri, lang] = Link(
                iri=iri, label=label, id=entity.id if entity is not None else None)
        return found

    def links(self, values: Iterable[Value], lang: str) -> list[Link]:
        return [self.link(str(v), lang) for v in values]

    def value(self, node: Value, lang: str) -> Link | LiteralText:
        if isinstance(node, str):
            return self.link(node, lang)
        if isinstance(node, LiteralValue):
            if node.lang:
                return LiteralText(value=node.value, lang=node.lang)
            return LiteralText(value=node.value, datatype=node.datatype)
        return LiteralText(value=str(node))

    def _once(self, kind: str, iri: str, lang: str, make: Callable[[str, str], Link]) -> Link:
        found = self._shaped.get((kind, iri, lang))
        if found is None:
            found = self._shaped[(kind, iri, lang)] = make(iri, lang)
        return found

    def source(self, iri: str, lang: str) -> SourceLink:
        """The bibliographic facts of a source."""
        return cast(SourceLink, self._once("source", iri, lang, self._source))

    def _source(self, iri: str, lang: str) -> SourceLink:
        out = self.outgoing(iri)
        link = self.link(iri, lang)
        publishers = out.get(DCTERMS_PUBLISHER, [])
        derived = out.get(PROV_WASDERIVEDFROM, [])
        titles, language = texts(out.get(DCTERMS_TITLE, [])), first(out, DCTERMS_LANGUAGE)
        tag = pick_tag(titles, lang)
        return SourceLink(
            iri=iri, id=link.id, label=link.label,
            title=pick(titles, lang) or link.label,
            # An untagged title is in the source's language.
            title_lang=(tag or language or None) if tag is not None else lang,
            date=first(out, DCTERMS_DATE), language=language,
            part_of=first(out, DCTERMS_ISPARTOF),
            citation=first(out, DCTERMS_BIBLIOGRAPHICCITATION), url=first(out, SCHEMA_URL),
            creators=self.links(out.get(DCTERMS_CREATOR, []), lang),
            publisher=self.link(str(publishers[0]), lang) if publishers else None,
            derived_from=self.links(derived, lang) if derived else None)

    def _maybe_link(self, out: Outgoing, predicate: object, lang: str) -> Link | None:
        found = first(out, predicate)
        return self.link(found, lang) if found is not None else None

    def claim(self, iri: str, lang: str) -> ClaimLink:
        """A claim with its quote, summary, kind, confidence and source."""
        return cast(ClaimLink, self._once("claim", iri, lang, self._claim))

    def _claim(self, iri: str, lang: str) -> ClaimLink:
        out = self.outgoing(iri)
        entity = self.entry(iri)
        kinds = [t for t in (entity.types if entity else set()) if t in CLAIM_KINDS]
        kind = kinds[0] if kinds else "Claim"
        link = self.link(iri, lang)
        quote = texts(out.get(DMO_QUOTE, []))
        quoted = next(iter(quote.items()), None)
        stated = first(out, STATED_IN)
        return ClaimLink(
            iri=iri, id=link.id, label=link.label, ref=first(out, SKOS_NOTATION),
            kind=kind, kind_label=self.catalogue.label(DMO_NS + kind, lang),
            quote=Quote(value=quoted[1], lang=quoted[0]) if quoted else None,
            summary=pick(texts(out.get(DMO_SUMMARY, [])), lang),
            confidence=self._maybe_link(out, DMO_CONFIDENCE, lang),
            trend=self.links(out.get(DMO_TREND, []), lang),
            period_start=first(out, DMO_PERIODSTART), period_end=first(out, DMO_PERIODEND),
            attributed_to=self._maybe_link(out, DMO_ATTRIBUTEDTO, lang),
            note=pick(texts(out.get(SKOS_NOTE, [])), lang) or None,
            source=self.source(stated, lang) if stated is not None else None,
            about=sorted((self.link(str(a), lang) for p, values in out.items()
                          if p in ABOUT for a in values), key=lambda x: x.label))

    def describe(self, ident: str, lang: str = "en") -> EntityDescription:
        """Everything a page or a client shows about one individual."""
        entity = self.entity(ident)
        self.prefetch(entity.iri)
        out = self.outgoing(entity.iri)
        identifiers = [found for match, predicate in MATCHES for value in out.get(predicate, [])
                       if (found := identifier(str(value), match)) is not None]
        relations = [Relation(property=self.link(name, lang), value=self.value(node, lang))
                     for name, values in sorted(out.items())
                     if name not in HIDDEN and not name.startswith(DCTERMS_NS)
                     and name not in SHOWN_ELSEWHERE for node in values]
        incoming = []
        claim_iris = []
        for subject, name in self.incoming(entity.iri):
            if name in ABOUT:
                claim_iris.append(subject)
                continue
            incoming.append(Incoming(property=self.link(name, lang),
                                     subject=self.link(subject, lang)))
        incoming.sort(key=lambda r: (r.property.label, r.subject.label))
        described = EntityDescription(
            iri=entity.iri, id=entity.id, kind=entity.kind, label=entity.label(lang),
            labels=dict(sorted(entity.labels.items())),
            alt_labels=[Label(value=v, lang=lg) for lg, v in sorted(entity.alt_labels)],
            types=[TypeRef(name=t, iri=DMO_NS + t,
                           label=self.catalogue.label(DMO_NS + t, lang) or t)
                   for t in sorted(entity.types)],
            definition=pick(texts(out.get(SKOS_DEFINITION, [])), lang),
            note=pick(texts(out.get(SKOS_NOTE, [])), lang),
            identifiers=identifiers, relations=relations, incoming=incoming,
            claims=in_table_order(self.claim(c, lang) for c in set(claim_iris)),
            measures=self._measures(entity, lang))
        if entity.kind == "source" or "Source" in entity.types:
            described.source = self.source(entity.iri, lang)
            described.claims_stated = in_table_order(
                self.claim(s, lang) for s, p in self.incoming(entity.iri) if p == STATED_IN)
        if entity.kind == "claim":
            described.claim = self.claim(entity.iri, lang)
        return described

    def _measures(self, entity: CatalogueEntry, lang: str) -> list[Measure]:
        """The measures on the entity, on the medicines made from it, or the entity itself."""
        measures = [s for s, p in self.incoming(entity.iri) if p == REGULATES]
        for product, name in self.incoming(entity.iri):
            if name == INGREDIENT:
                measures += [s for s, p in self.incoming(product) if p == REGULATES]
        if entity.kind == "regulation" and "ControlMeasure" in entity.types:
            measures.append(entity.iri)
        # Ties in date by IRI: a set's order changes from one process to the next, and the
        # answer's bytes (its ETag) must not.
        return sorted((self.measure(m, lang) for m in set(measures)),
                      key=lambda m: (m.effective_from or m.as_of or "", m.iri))

    def instruments(self, out: Outgoing, lang: str) -> list[Link]:
        """The legal texts establishing a measure, earliest first (a measure set by a text and
        amended by others is established by each of them)."""
        iris = [str(v) for v in out.get(DMO_ESTABLISHEDBY, [])]
        self.read(iris)
        return [self.link(i, lang) for i in sorted(
            iris, key=lambda i: (first(self._cache[i], DCTERMS_DATE) or "", i))]

    def measure(self, iri: str, lang: str) -> Measure:
        """A control measure: its dates, status, requirements, text and the sources saying so."""
        out = self.outgoing(iri)
        link = self.link(iri, lang)
        sources: dict[str, SourceLink] = {}
        for subject, name in self.incoming(iri):
            if name in ABOUT:
                claim = self.claim(subject, lang)
                if claim.source is not None:
                    sources.setdefault(claim.source.iri, claim.source)
        return Measure(
            iri=iri, id=link.id, label=link.label,
            effective_from=first(out, DMO_EFFECTIVEFROM),
            effective_until=first(out, DMO_EFFECTIVEUNTIL), as_of=first(out, DMO_STATUSASOF),
            status=self._maybe_link(out, DMO_CONTROLSTATUS, lang),
            jurisdiction=self._maybe_link(out, DMO_JURISDICTION, lang),
            established_by=self.instruments(out, lang),
            ended_by=self._maybe_link(out, DMO_ENDEDBY, lang),
            regulates=self.links(out.get(REGULATES, []), lang),
            checked=sorted(str(v) for v in out.get(DMO_CHECKEDIN, [])),
            requirements=self.links(out.get(DMO_IMPOSESREQUIREMENT, []), lang),
            sources=list(sources.values()))
