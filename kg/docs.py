"""Write browsable HTML documentation of every ontology term."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.namespaces import DMO, ONTOLOGY_IRI, PREFIXES
from kg.search.fields import fold

LANGUAGES = ("en", "fr")
SECTIONS = (
    ("classes", OWL.Class, "Classes", "Classes"),
    ("object-properties", OWL.ObjectProperty, "Object properties", "Propriétés d\u2019objet"),
    ("datatype-properties", OWL.DatatypeProperty, "Datatype properties",
     "Propriétés de données"),
    ("individuals", OWL.NamedIndividual, "Value sets (individuals)",
     "Jeux de valeurs (individus)"),
    ("annotation-properties", OWL.AnnotationProperty, "Annotation properties",
     "Propriétés d\u2019annotation"),
)
# A CURIE written in a definition ("… is dmo:corroboratedBy"), shown as code.
CURIE = re.compile(rf"\b({'|'.join(map(re.escape, PREFIXES))}):([A-Za-z_][\w-]*)")
# The words of the page around the terms.
WORDS = {
    "en": {"terms": "Terms", "version_iri": "Version IRI", "version": "Version",
           "licence": "Licence", "anonymous": "(anonymous)", "or": " or ", "and": " and ",
           "switch": "Français", "home": "Home"},
    "fr": {"terms": "Termes", "version_iri": "IRI de version", "version": "Version",
           "licence": "Licence", "anonymous": "(anonyme)", "or": " ou ", "and": " et ",
           "switch": "English", "home": "Accueil"},
}


@dataclass
class DocumentedTerm:
    """One term as the documentation shows it."""

    iri: str
    curie: str
    anchor: str
    labels: dict[str, str]
    definitions: dict[str, str]
    relations: list[tuple[str, list[tuple[str, bool]]]] = field(default_factory=list)
    legacy_anchor: str = ""


def curie(iri: Node) -> str:
    """Shorten an IRI with the project prefixes."""
    text = str(iri)
    for prefix, ns in sorted(PREFIXES.items(), key=lambda item: -len(str(item[1]))):
        if text.startswith(str(ns)) and len(text) > len(str(ns)):
            return f"{prefix}:{text[len(str(ns)):]}"
    return f"<{text}>"


def anchor(iri: Node) -> str:
    """Return the HTML anchor of a term: a DMO term's own fragment, else its CURIE made safe.

    DMO terms are `…/ontology#Name`: with the anchor `Name`, the term's IRI opened in a
    browser lands on its entry.
    """
    text = str(iri)
    if text.startswith(str(DMO)) and len(text) > len(str(DMO)):
        return text[len(str(DMO)):]
    return legacy_anchor(iri)


def legacy_anchor(iri: Node) -> str:
    """Return the anchor earlier pages used (`dmo-Name`), kept so that old links still land."""
    return curie(iri).replace(":", "-").replace("/", "-").strip("<>")


def terms_as_code(text: str) -> Markup:
    """text with the CURIEs it names written as code, a DMO term's linked to its entry."""
    out, last = [], 0
    for found in CURIE.finditer(text):
        out.append(escape(text[last:found.start()]))
        code = Markup("<code>{}</code>").format(found.group(0))
        if found.group(1) == "dmo":
            code = Markup('<a href="#{}">{}</a>').format(found.group(2), code)
        out.append(code)
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _by_lang(graph: Graph, subject: Node, predicate: URIRef) -> dict[str, str]:
    values: dict[str, str] = {}
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal):
            values.setdefault(value.language or "", str(value))
    return values


def _describe(graph: Graph, node: Node, lang: str) -> str:
    """Render a class expression or data range readably."""
    if not isinstance(node, BNode):
        return curie(node)
    words = WORDS[lang]
    for operator, word in ((OWL.unionOf, words["or"]), (OWL.intersectionOf, words["and"])):
        members = graph.value(node, operator)
        if members is not None:
            return "(" + word.join(_describe(graph, m, lang)
                                   for m in Collection(graph, members)) + ")"
    return words["anonymous"]


RELATIONS = (
    ({"en": "subclass of", "fr": "sous-classe de"}, RDFS.subClassOf, False),
    ({"en": "subclasses", "fr": "sous-classes"}, RDFS.subClassOf, True),
    ({"en": "disjoint with", "fr": "disjointe de"}, OWL.disjointWith, False),
    ({"en": "subproperty of", "fr": "sous-propriété de"}, RDFS.subPropertyOf, False),
    ({"en": "subproperties", "fr": "sous-propriétés"}, RDFS.subPropertyOf, True),
    ({"en": "domain", "fr": "domaine"}, RDFS.domain, False),
    ({"en": "range", "fr": "co-domaine"}, RDFS.range, False),
    ({"en": "instances", "fr": "instances"}, RDF.type, True),
    ({"en": "type", "fr": "type"}, RDF.type, False),
    ({"en": "alternative labels", "fr": "autres libellés"}, SKOS.altLabel, False),
)


def _term(graph: Graph, iri: URIRef, lang: str) -> DocumentedTerm:
    term = DocumentedTerm(str(iri), curie(iri), anchor(iri), _by_lang(graph, iri, RDFS.label),
                _by_lang(graph, iri, SKOS.definition))
    if legacy_anchor(iri) != term.anchor:
        term.legacy_anchor = legacy_anchor(iri)
    for names, predicate, inverse in RELATIONS:
        nodes = graph.subjects(predicate, iri) if inverse else graph.objects(iri, predicate)
        # Each value with whether it is a term (shown as code) or a text (a label).
        values = sorted({(_describe(graph, n, lang), True) if not isinstance(n, Literal)
                         else (str(n), False) for n in nodes}
                        - {("owl:NamedIndividual", True), ("owl:Thing", True)})
        if values:
            term.relations.append((names[lang], values))
    return term


def ontology_model(graph: Graph, lang: str = "en") -> dict[str, object]:
    """Collect what the documentation page shows, its words in lang."""
    ontology = URIRef(ONTOLOGY_IRI)
    sections = []
    for key, kind, title_en, title_fr in SECTIONS:
        iris = {s for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}
        # In the alphabetical order of the names a reader of lang sees.
        terms = sorted((_term(graph, iri, lang) for iri in iris),
                       key=lambda t: (fold(t.labels.get(lang) or t.curie), t.curie))
        sections.append({"key": key, "title": {"en": title_en, "fr": title_fr},
                         "terms": terms})
    header = {
        "iri": ONTOLOGY_IRI,
        "version_iri": str(graph.value(ontology, OWL.versionIRI) or ""),
        "version": str(graph.value(ontology, OWL.versionInfo) or ""),
        "titles": _by_lang(graph, ontology, URIRef("http://purl.org/dc/terms/title")),
        "descriptions": _by_lang(graph, ontology, URIRef("http://purl.org/dc/terms/description")),
        "license": str(graph.value(ontology, URIRef("http://purl.org/dc/terms/license")) or ""),
    }
    # The names readers of lang know the terms by, shown before their CURIEs (code).
    names = {curie(s): str(label) for s, label in graph.subject_objects(RDFS.label)
             if isinstance(s, URIRef) and isinstance(label, Literal) and label.language == lang}
    return {"header": header, "sections": sections, "names": names}


def render_html(graph: Graph, links: dict[str, str] | None = None, lang: str = "en",
                switch: str | None = None) -> str:
    """Render the ontology documentation page in lang, the other language's texts beside.

    switch is the address of the same page in the other language, when there is one.
    """
    env = Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape())
    env.filters["terms_as_code"] = terms_as_code
    other = next(code for code in LANGUAGES if code != lang)
    return env.get_template("ontology.html").render(
        links=links or {}, lang=lang, other=other, words=WORDS[lang], switch=switch,
        **ontology_model(graph, lang))


def write_docs(graph: Graph, target: Path) -> Path:
    """Write index.html documenting graph's terms into target; return its path."""
    target.mkdir(parents=True, exist_ok=True)
    page = target / "index.html"
    page.write_text(render_html(graph), encoding="utf-8")
    return page
