"""Plain values (kg.store.base.Value) to and from rdflib terms, where rdflib is needed: the
rdflib engine, and answers written by rdflib's serialisers."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef

from kg.store.base import XSD_STRING, BlankValue, LiteralValue, Value, bound_value

Term = URIRef | Literal | BNode


def value_of_term(term: Term) -> Value:
    """Convert an rdflib term to a plain value."""
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        if term.language:
            return LiteralValue(str(term), None, term.language)
        return LiteralValue(str(term), str(term.datatype or XSD_STRING))
    return BlankValue(str(term))


def term_of_value(value: Value) -> Term:
    """Convert a plain value to an rdflib term (an xsd:string with its datatype written)."""
    value = bound_value(value)
    if isinstance(value, str):
        return URIRef(value)
    if isinstance(value, LiteralValue):
        if value.lang:
            return Literal(value.value, lang=value.lang)
        return Literal(value.value, datatype=URIRef(value.datatype or XSD_STRING))
    return BNode(value.label)


def bound_term(value: Value) -> Term:
    """Convert a plain value to the rdflib term a query of rdflib's engine is bound with."""
    if isinstance(value, LiteralValue) and not value.lang \
            and value.datatype in {None, XSD_STRING}:
        # rdflib holds a literal read without datatype as one without, which matches only
        # one without.
        return Literal(value.value)
    return term_of_value(value)
