"""What the graph says about one individual, gathered for the REST API and the HTML pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from kg.catalogue import Catalogue, CatalogueEntry
from kg.namespaces import ADDICTO, DMO, DMR, GRAPH, OBO, SCHEMA, WIKIDATA
from kg.store import Backend, DatasetSpec
from service.i18n import property_label

# The curated graphs: the facts, and the ontology for its value sets.
CURATED = DatasetSpec(default_graphs=(str(GRAPH.facts), str(GRAPH.ontology)))
OUT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
# Each curated graph named in the query: over a dataset of them, Virtuoso answers a bound
# object with any predicate 30 times slower (150 ms against 5 ms at 13k triples).
IN = ("SELECT DISTINCT ?s ?p WHERE { "
      + " UNION ".join(f"{{ GRAPH <{name}> {{ ?s ?p ?o }} }}" for name in CURATED.default_graphs)
      + " }")
ABOUT = {str(DMO.about), *(str(DMO[f"about{k}"]) for k in (
    "Substance", "Channel", "Actor", "Place", "Practice", "Regulation", "Risk", "Factor",
    "Requirement"))}
HIDDEN = {str(RDF.type), str(RDFS.label), str(SKOS.altLabel), str(SKOS.definition),
          str(SKOS.note), str(SKOS.exactMatch), str(SKOS.closeMatch),
          str(SKOS.broadMatch), str(SKOS.narrowMatch), str(DMO.checkedIn)}
_ABOUT_IN = "FILTER(?a IN (" + ", ".join(f"<{a}>" for a in sorted(ABOUT)) + "))"
# Neighbours whose own triples a description shows, as patterns binding ?x from ?e. (A FILTER,
# not VALUES, for the about-properties: with VALUES Oxigraph starts from every claim.)
PREFETCH = (
    f"?x ?a ?e . {_ABOUT_IN}",  # claims about the entity
    f"?c ?a ?e . {_ABOUT_IN} ?c <{DMO.statedIn}> ?x .",  # their sources
    f"?x <{DMO.statedIn}> ?e .",  # claims stated in it (a source)
    f"?x <{DMO.regulates}> ?e .",  # measures regulating it
    f"?m <{DMO.regulates}> ?e . ?x ?a ?m . {_ABOUT_IN}",  # claims about those measures
    f"?m <{DMO.regulates}> ?e . ?c ?a ?m . {_ABOUT_IN} ?c <{DMO.statedIn}> ?x .",  # sources
)
MEASURE_CLAIMS = f"SELECT ?e ?m ?c ?a WHERE {{ ?m <{DMO.regulates}> ?e . ?c ?a ?m . {_ABOUT_IN} }}"
# One query a pattern: as branches of a UNION, Oxigraph would not start them from ?e.
NEIGHBOURS = tuple(f"SELECT DISTINCT ?e ?x WHERE {{ {pattern} }}" for pattern in PREFETCH)
# Neighbours whose triples are read in one query: a VALUES block of this many IRIs at most.
BATCH = 200
SCHEMES = ((str(WIKIDATA), "wikidata", "Wikidata"),
           (f"{OBO}CHEBI_", "chebi", "ChEBI"),
           (f"{ADDICTO}ADDICTO_", "addicto", "Addiction Ontology"))


class NotFound(LookupError):
    """No individual has this id or IRI."""


def texts(values: list[Any]) -> dict[str, str]:
    """Map language tags to texts ('' for untagged)."""
    found: dict[str, str] = {}
    for value in values:
        if isinstance(value, Literal):
            found.setdefault(value.language or "", str(value))
    return found


def pick(by_lang: dict[str, str], lang: str) -> str | None:
    """Choose the text in lang, else the other language, else any."""
    other = "fr" if lang == "en" else "en"
    return by_lang.get(lang) or by_lang.get(other) or by_lang.get("") or (
        next(iter(by_lang.values())) if by_lang else None)


def identifier(iri: str) -> dict[str, str] | None:
    """Describe an external identifier IRI (Wikidata, ChEBI, ADDICTO)."""
    for prefix, scheme, name in SCHEMES:
        if iri.startswith(prefix):
            local = iri.removeprefix(prefix)
            shown = f"CHEBI:{local}" if scheme == "chebi" else (
                f"ADDICTO:{local}" if scheme == "addicto" else local)
            return {"scheme": scheme, "scheme_name": name, "id": shown, "iri": iri}
    return None


@dataclass
class Resources:
    """Reads individuals from the store and shapes them for people and programs."""

    backend: Backend
    catalogue: Catalogue
    _cache: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    _incoming: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def outgoing(self, iri: str) -> dict[str, list[Any]]:
        """Return predicate → objects of iri in the curated graphs."""
        if iri not in self._cache:
            values: dict[str, list[Any]] = defaultdict(list)
            for row in self.backend.select(OUT, {"s": URIRef(iri)}, CURATED):
                values[str(row["p"])].append(row["o"])
            self._cache[iri] = dict(values)
        return self._cache[iri]

    def incoming(self, iri: str) -> list[tuple[str, str]]:
        """Return (subject, predicate) pairs pointing at iri in the curated graphs."""
        if iri not in self._incoming:
            self._incoming[iri] = [
                (str(r["s"]), str(r["p"]))
                for r in self.backend.select(IN, {"o": URIRef(iri)})
                if not isinstance(r["s"], BNode)]
        return self._incoming[iri]

    def prefetch(self, iri: str) -> None:
        """Read, in a few queries, what a description of iri will need about its neighbours.

        Without it each claim, source and measure would cost its own round trip, which a
        remote store makes slow. The neighbours are found first, then their triples read by
        name: joined in one query, Virtuoso reads whole graphs (1.5 s against 15 ms).
        """
        node = {"e": URIRef(iri)}
        found = {str(row["x"]) for query in NEIGHBOURS
                 for row in self.backend.select(query, node, CURATED)
                 if isinstance(row["x"], URIRef)}
        wanted = sorted(found - self._cache.keys())
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start:start + BATCH]
            # IRIs read back from the store, hence valid: safe to write into the query.
            names = " ".join(URIRef(x).n3() for x in batch)
            values: dict[str, dict[str, list[Any]]] = {x: defaultdict(list) for x in batch}
            for row in self.backend.select(
                    f"SELECT ?x ?p ?o WHERE {{ VALUES ?x {{ {names} }} ?x ?p ?o }}",
                    dataset=CURATED):
                values[str(row["x"])][str(row["p"])].append(row["o"])
            for subject in batch:
                self._cache[subject] = dict(values[subject])
        for row in self.backend.select(MEASURE_CLAIMS, node, CURATED):
            self._incoming.setdefault(str(row["m"]), [])
            pair = (str(row["c"]), str(row["a"]))
            if pair not in self._incoming[str(row["m"])]:
                self._incoming[str(row["m"])].append(pair)

    def entity(self, ident: str) -> CatalogueEntry:
        found = self.catalogue.by_id(ident) or self.catalogue.get(ident)
        if found is None:
            raise NotFound(ident)
        return found

    def link(self, iri: str, lang: str) -> dict[str, Any]:
        """A reference to another resource: IRI, id when it is ours, label."""
        entity = self.catalogue.get(iri)
        label = self.catalogue.label(iri, lang) or property_label(iri, lang) or iri
        link: dict[str, Any] = {"iri": iri, "label": label}
        if entity is not None:
            link["id"] = entity.id
        return link

    def value(self, node: Any, lang: str) -> dict[str, Any]:
        if isinstance(node, URIRef):
            return self.link(str(node), lang)
        if isinstance(node, Literal):
            shown: dict[str, Any] = {"value": str(node)}
            if node.language:
                shown["lang"] = node.language
            elif node.datatype is not None:
                shown["datatype"] = str(node.datatype)
            return shown
        return {"value": str(node)}

    def source(self, iri: str, lang: str) -> dict[str, Any]:
        """The bibliographic facts of a source."""
        out = self.outgoing(iri)
        found: dict[str, Any] = self.link(iri, lang)
        title = pick(texts(out.get(str(DCTERMS.title), [])), lang)
        found["title"] = title or found["label"]
        for key, predicate in (("date", DCTERMS.date), ("language", DCTERMS.language),
                               ("part_of", DCTERMS.isPartOf),
                               ("citation", DCTERMS.bibliographicCitation),
                               ("url", SCHEMA.url)):
            values = out.get(str(predicate), [])
            if values:
                found[key] = str(values[0])
        found["creators"] = [self.link(str(c), lang) for c in out.get(str(DCTERMS.creator), [])]
        publishers = out.get(str(DCTERMS.publisher), [])
        if publishers:
            found["publisher"] = self.link(str(publishers[0]), lang)
        derived = out.get(str(PROV.wasDerivedFrom), [])
        if derived:
            found["derived_from"] = [self.link(str(d), lang) for d in derived]
        return found

    def claim(self, iri: str, lang: str) -> dict[str, Any]:
        """A claim with its quote, summary, kind, confidence and source."""
        out = self.outgoing(iri)
        entity = self.catalogue.get(iri)
        kinds = [t for t in (entity.types if entity else set())
                 if t in {"ReportedFinding", "EditorialStatement", "Opinion", "RegulatoryFact"}]
        found: dict[str, Any] = self.link(iri, lang)
        notation = out.get(str(SKOS.notation), [])
        if notation:
            found["ref"] = str(notation[0])
        found["kind"] = kinds[0] if kinds else "Claim"
        found["kind_label"] = self.catalogue.label(str(DMO[found["kind"]]), lang)
        quote = texts(out.get(str(DMO.quote), []))
        if quote:
            quote_lang, quote_text = next(iter(quote.items()))
            found["quote"] = {"value": quote_text, "lang": quote_lang}
        found["summary"] = pick(texts(out.get(str(DMO.summary), [])), lang)
        confidence = out.get(str(DMO.confidence), [])
        if confidence:
            found["confidence"] = self.link(str(confidence[0]), lang)
        found["trend"] = [self.link(str(t), lang) for t in out.get(str(DMO.trend), [])]
        for key, predicate in (("period_start", DMO.periodStart), ("period_end", DMO.periodEnd)):
            if out.get(str(predicate)):
                found[key] = str(out[str(predicate)][0])
        attributed = out.get(str(DMO.attributedTo), [])
        if attributed:
            found["attributed_to"] = self.link(str(attributed[0]), lang)
        note = pick(texts(out.get(str(SKOS.note), [])), lang)
        if note:
            found["note"] = note
        sources = out.get(str(DMO.statedIn), [])
        if sources:
            found["source"] = self.source(str(sources[0]), lang)
        found["about"] = sorted((self.link(str(a), lang) for p, values in out.items()
                                 if p in ABOUT for a in values), key=lambda x: x["label"])
        return found

    def describe(self, ident: str, lang: str = "en") -> dict[str, Any]:
        """Everything a page or a client shows about one individual."""
        entity = self.entity(ident)
        self.prefetch(entity.iri)
        out = self.outgoing(entity.iri)
        alt = [{"value": v, "lang": lg} for lg, v in sorted(entity.alt_labels)]
        identifiers = []
        for match, match_property in (("exact", SKOS.exactMatch), ("close", SKOS.closeMatch),
                                      ("broad", SKOS.broadMatch), ("narrow", SKOS.narrowMatch)):
            for value in out.get(str(match_property), []):
                scheme = identifier(str(value))
                if scheme:
                    identifiers.append({**scheme, "match": match})
        relations = []
        for name, values in sorted(out.items()):
            if name in HIDDEN or name.startswith(str(DCTERMS)):
                continue
            if name in {str(DMO.quote), str(DMO.summary), str(SKOS.notation)}:
                continue
            for node in values:
                relations.append({"property": self.link(name, lang),
                                  "value": self.value(node, lang)})
        incoming = []
        claim_iris = []
        for subject, name in self.incoming(entity.iri):
            if name in ABOUT:
                claim_iris.append(subject)
                continue
            incoming.append({"property": self.link(name, lang),
                             "subject": self.link(subject, lang)})
        incoming.sort(key=lambda r: (r["property"]["label"], r["subject"]["label"]))
        types = sorted(entity.types)
        described: dict[str, Any] = {
            "iri": entity.iri,
            "id": entity.id,
            "kind": entity.kind,
            "label": entity.label(lang),
            "labels": dict(sorted(entity.labels.items())),
            "alt_labels": alt,
            "types": [{"name": t, "iri": str(DMO[t]),
                       "label": self.catalogue.label(str(DMO[t]), lang) or t} for t in types],
            "definition": pick(texts(out.get(str(SKOS.definition), [])), lang),
            "note": pick(texts(out.get(str(SKOS.note), [])), lang),
            "identifiers": identifiers,
            "relations": relations,
            "incoming": incoming,
            "claims": [self.claim(c, lang) for c in sorted(set(claim_iris))],
        }
        if entity.kind == "source" or "Source" in entity.types:
            described["source"] = self.source(entity.iri, lang)
            described["claims_stated"] = [
                self.claim(s, lang) for s, p in self.incoming(entity.iri)
                if p == str(DMO.statedIn)]
        if entity.kind == "claim":
            described["claim"] = self.claim(entity.iri, lang)
        measures = [s for s, p in self.incoming(entity.iri) if p == str(DMO.regulates)]
        # A substance's page also shows the measures on the medicines made from it.
        for product, name in self.incoming(entity.iri):
            if name == str(DMO.activeIngredient):
                measures += [s for s, p in self.incoming(product) if p == str(DMO.regulates)]
        if entity.kind == "regulation" and "ControlMeasure" in entity.types:
            measures.append(entity.iri)
        described["measures"] = sorted((self.measure(m, lang) for m in set(measures)),
                                       key=lambda m: str(m.get("effective_from",
                                                               m.get("as_of", ""))))
        return described

    def measure(self, iri: str, lang: str) -> dict[str, Any]:
        """A control measure: its dates, status, requirements, text and the sources saying so."""
        out = self.outgoing(iri)
        found: dict[str, Any] = self.link(iri, lang)
        for key, predicate in (("effective_from", DMO.effectiveFrom),
                               ("effective_until", DMO.effectiveUntil),
                               ("as_of", DMO.statusAsOf)):
            if out.get(str(predicate)):
                found[key] = str(out[str(predicate)][0])
        for key, predicate in (("status", DMO.controlStatus), ("jurisdiction", DMO.jurisdiction),
                               ("established_by", DMO.establishedBy),
                               ("ended_by", DMO.endedBy)):
            if out.get(str(predicate)):
                found[key] = self.link(str(out[str(predicate)][0]), lang)
        found["regulates"] = [self.link(str(v), lang) for v in out.get(str(DMO.regulates), [])]
        found["checked"] = sorted(str(v) for v in out.get(str(DMO.checkedIn), []))
        found["requirements"] = [self.link(str(v), lang)
                                 for v in out.get(str(DMO.imposesRequirement), [])]
        sources: dict[str, dict[str, Any]] = {}
        for subject, name in self.incoming(iri):
            if name in ABOUT:
                claim = self.claim(subject, lang)
                if "source" in claim:
                    sources.setdefault(claim["source"]["iri"], claim["source"])
        found["sources"] = list(sources.values())
        return found


def entity_iri(kind: str, slug: str) -> str:
    """Return the IRI of kind/slug."""
    return f"{DMR}{kind}/{slug}"
