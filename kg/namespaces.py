"""IRIs and prefixes shared by the build, the checks and the service."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/dmkg/"
DMO = Namespace(BASE + "ontology#")
DMR = Namespace(BASE + "id/")
ONTOLOGY_IRI = BASE + "ontology"
GRAPH = Namespace(BASE + "graph/")
SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
VANN = Namespace("http://purl.org/vocab/vann/")
WIKIDATA = Namespace("http://www.wikidata.org/entity/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
# AddictO mints its terms outside the OBO PURLs (addicto.owl, http://addictovocab.org/).
ADDICTO = Namespace("http://addictovocab.org/")
# W3C Basic Geo (WGS 84) for coordinates; GeoNames for the features they are read from.
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
GEONAMES = Namespace("https://sws.geonames.org/")

PREFIXES: dict[str, Namespace] = {
    "dmo": DMO,
    "dmr": DMR,
    "owl": Namespace(str(OWL)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "prov": Namespace(str(PROV)),
    "dcterms": Namespace(str(DCTERMS)),
    "schema": SCHEMA,
    "foaf": Namespace(str(FOAF)),
    "org": ORG,
    "vann": VANN,
    "wd": WIKIDATA,
    "obo": OBO,
    "geo": GEO,
}

ENTITY_KINDS = (
    "substance",
    "channel",
    "actor",
    "place",
    "regulation",
    "source",
    "claim",
    "practice",
    "risk",
    "factor",
    "concept",
)
