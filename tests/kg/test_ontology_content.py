"""The ontology holds the core vocabulary of the design, ready for Protégé."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pyshacl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.namespaces import DMO, DMR, PROV
from kg.paths import Layout

CORE_CLASSES = """Substance Stimulant Entactogen Cannabinoid Dissociative Opioid StrongOpioid
WeakOpioid MedicinalProduct Actor Organisation PublicAuthority Person PopulationGroup Channel
PromotionChannel OrderingChannel DeliveryChannel PointOfSale OnlineChannel ContactChannel
Regulation LegalInstrument ControlMeasure ControlCategory RegulatoryRequirement Source NewsArticle
Report ReaderComment OfficialNotice Claim ReportedFinding EditorialStatement Opinion
RegulatoryFact Place City Region Country Practice Risk Factor TrendDirection
ConfidenceLevel""".split()

CORE_OBJECT_PROPERTIES = """distributes operatesIn usesChannel formOf activeIngredient locatedIn
facilitatedBy involvesSubstance associatedRisk influences requires regulates controlStatus
imposesRequirement establishedBy jurisdiction statedIn attributedTo about aboutSubstance
aboutChannel aboutActor aboutPlace aboutPractice aboutRegulation aboutRisk aboutFactor trend
confidence commentsOn""".split()

CORE_DATA_PROPERTIES = "quote summary".split()
# Dates are annotations: HermiT's default configuration (Protégé's) refuses xsd:date in axioms.
DATE_PROPERTIES = "effectiveFrom effectiveUntil periodStart periodEnd".split()


@pytest.fixture(scope="module")
def ontology(layout: Layout) -> Graph:
    return Graph().parse(layout.ontology_ttl, format="turtle")


@pytest.mark.parametrize("name", CORE_CLASSES)
def test_core_class_is_declared(ontology: Graph, name: str) -> None:
    assert (DMO[name], RDF.type, OWL.Class) in ontology


@pytest.mark.parametrize("name", CORE_OBJECT_PROPERTIES)
def test_core_object_property_is_declared(ontology: Graph, name: str) -> None:
    assert (DMO[name], RDF.type, OWL.ObjectProperty) in ontology


@pytest.mark.parametrize("name", CORE_DATA_PROPERTIES)
def test_core_data_property_is_declared(ontology: Graph, name: str) -> None:
    assert (DMO[name], RDF.type, OWL.DatatypeProperty) in ontology


@pytest.mark.parametrize("name", DATE_PROPERTIES)
def test_date_property_is_an_annotation_with_a_domain(ontology: Graph, name: str) -> None:
    assert (DMO[name], RDF.type, OWL.AnnotationProperty) in ontology
    assert (DMO[name], RDF.type, OWL.DatatypeProperty) not in ontology
    assert ontology.value(DMO[name], RDFS.domain) is not None


def test_about_properties_sit_under_about(ontology: Graph) -> None:
    about = [p for p in CORE_OBJECT_PROPERTIES if p.startswith("about") and p != "about"]
    for name in about:
        assert (DMO[name], RDFS.subPropertyOf, DMO.about) in ontology


def test_provenance_properties_specialise_prov(ontology: Graph) -> None:
    assert (DMO.statedIn, RDFS.subPropertyOf, PROV.wasDerivedFrom) in ontology
    assert (DMO.attributedTo, RDFS.subPropertyOf, PROV.wasAttributedTo) in ontology


def test_value_sets_are_individuals(ontology: Graph) -> None:
    members = {
        DMO.TrendDirection: {"increasing", "strongly-increasing", "decreasing", "stable",
                             "emerging", "marginal"},
        DMO.ConfidenceLevel: {"high-confidence", "medium-confidence", "low-confidence"},
        DMO.ControlCategory: {"fr-stupefiants", "fr-liste-i", "fr-liste-ii",
                              "un-1961-schedule-i", "un-1961-schedule-ii",
                              "un-1961-schedule-iii", "un-1961-schedule-iv",
                              "un-1971-schedule-i", "not-internationally-controlled"},
        DMO.QuoteOrigin: {"direct-quotation", "paraphrase"},
    }
    for cls, slugs in members.items():
        prefix = str(DMR) + "concept/"
        found = {str(s).removeprefix(prefix) for s in ontology.subjects(RDF.type, cls)}
        assert found == slugs


def test_header_is_complete(ontology: Graph) -> None:
    header = URIRef("https://w3id.org/dmkg/ontology")
    version = ontology.value(header, OWL.versionInfo)
    assert ontology.value(header, OWL.versionIRI) == URIRef(
        f"https://w3id.org/dmkg/ontology/{version}")
    assert not list(ontology.objects(header, OWL.imports))


def test_catalog_maps_the_ontology_iris_to_local_files(layout: Layout) -> None:
    tree = ET.parse(layout.ontology_dir / "catalog-v001.xml")
    uris = tree.getroot().iter("{urn:oasis:names:tc:entity:xmlns:xml:catalog}uri")
    mapped = {u.get("name"): u.get("uri") for u in uris}
    assert "https://w3id.org/dmkg/ontology" in mapped
    for target in mapped.values():
        assert target is not None and (layout.ontology_dir / target).is_file()


# --- SHACL shapes, on tiny purpose-made data ------------------------------------------------

def _validate(layout: Layout, ontology: Graph, data: Graph) -> tuple[bool, str]:
    shapes = Graph().parse(layout.shapes_dir / "dmo-shapes.ttl", format="turtle")
    conforms, _, text = pyshacl.validate(data + ontology, shacl_graph=shapes, inference="none")
    return bool(conforms), str(text)


def _labelled(graph: Graph, node: URIRef, cls: URIRef) -> None:
    graph.add((node, RDF.type, cls))
    graph.add((node, RDFS.label, Literal(node.split("/")[-1], lang="en")))
    graph.add((node, RDFS.label, Literal(node.split("/")[-1], lang="fr")))


def _good_claim() -> Graph:
    graph = Graph()
    source, claim = DMR["source/example"], DMR["claim/example-finding"]
    _labelled(graph, source, DMO.NewsArticle)
    graph.add((source, URIRef("http://purl.org/dc/terms/title"), Literal("Example")))
    _labelled(graph, claim, DMO.ReportedFinding)
    graph.add((claim, DMO.statedIn, source))
    graph.add((claim, DMO.confidence, DMR["concept/high-confidence"]))
    graph.add((claim, DMO.quote, Literal("une citation", lang="fr")))
    return graph


def test_shapes_accept_a_complete_claim(layout: Layout, ontology: Graph) -> None:
    conforms, report = _validate(layout, ontology, _good_claim())
    assert conforms, report


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ((None, DMO.statedIn, None), "exactly one source"),
        ((None, DMO.confidence, None), "confidence"),
        ((None, DMO.quote, None), "quote or summary"),
        ((DMR["claim/example-finding"], RDFS.label, Literal("example-finding", lang="fr")),
         "French rdfs:label"),
    ],
)
def test_shapes_reject_an_incomplete_claim(layout: Layout, ontology: Graph,
                                           remove: tuple[object, object, object],
                                           message: str) -> None:
    data = _good_claim()
    data.remove(remove)  # type: ignore[arg-type]
    conforms, report = _validate(layout, ontology, data)
    assert not conforms
    assert message in report


def test_shapes_reject_a_claim_without_a_kind(layout: Layout, ontology: Graph) -> None:
    data = _good_claim()
    claim = DMR["claim/example-finding"]
    data.remove((claim, RDF.type, DMO.ReportedFinding))
    data.add((claim, RDF.type, DMO.Claim))
    conforms, _ = _validate(layout, ontology, data)
    assert not conforms


def test_shapes_require_what_a_control_measure_needs(layout: Layout, ontology: Graph) -> None:
    data = Graph()
    measure, substance, france = (DMR["regulation/example"], DMR["substance/example"],
                                  DMR["place/france"])
    _labelled(data, measure, DMO.ControlMeasure)
    _labelled(data, substance, DMO.Dissociative)
    _labelled(data, france, DMO.Country)
    data.add((measure, DMO.regulates, substance))
    data.add((measure, DMO.jurisdiction, france))
    data.add((measure, DMO.effectiveFrom, Literal("2017-04-24", datatype=XSD.date)))
    assert _validate(layout, ontology, data)[0]
    data.remove((measure, DMO.effectiveFrom, None))
    conforms, report = _validate(layout, ontology, data)
    assert not conforms and "effective date" in report
    data.add((measure, DMO.effectiveFrom, Literal("1997", datatype=XSD.gYear)))
    data.remove((measure, DMO.jurisdiction, None))
    conforms, report = _validate(layout, ontology, data)
    assert not conforms and "jurisdiction" in report
