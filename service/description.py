"""The typed description of an individual: the one shape of a REST look-up, of the OpenAPI
schemas that document it (service.api_schemas derives them from these classes) and of the
entity page (its template reads the same attributes).

A field defaulting to None is left out of the JSON when it is None; one whose metadata says
nullable is always written, null when unknown.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any

from kg.namespaces import ENTITY_KINDS

NULLABLE = {"nullable": True}


def _doc(text: str, **more: Any) -> dict[str, Any]:
    return {"description": text, **more}


@dataclass(slots=True, kw_only=True)
class Link:
    """A reference to another resource: IRI, id when it is one of ours, label."""

    iri: str
    label: str
    id: str | None = field(default=None, metadata=_doc("kind/slug, for individuals of DMKG"))


@dataclass(slots=True, kw_only=True)
class LiteralText:
    """A literal value: its text with a language tag or a datatype."""

    value: str
    lang: str | None = None
    datatype: str | None = None


@dataclass(slots=True, kw_only=True)
class Label:
    value: str
    lang: str


@dataclass(slots=True, kw_only=True)
class Quote:
    value: str
    lang: str


@dataclass(slots=True, kw_only=True)
class TypeRef:
    name: str
    iri: str
    label: str


@dataclass(slots=True, kw_only=True)
class Identifier:
    scheme: str = field(metadata=_doc("wikidata, chebi, addicto"))
    scheme_name: str
    id: str
    iri: str
    match: str = field(metadata=_doc("close: still to be verified",
                                     enum=["exact", "close", "broad", "narrow"]))


@dataclass(slots=True, kw_only=True)
class SourceLink(Link):
    """The bibliographic facts of a source."""

    title: str
    title_lang: str | None = field(default=None, metadata=_doc(
        "the language of title, when known"))
    date: str | None = None
    language: str | None = None
    part_of: str | None = None
    citation: str | None = None
    url: str | None = None
    creators: list[Link]
    publisher: Link | None = None
    derived_from: list[Link] | None = None


@dataclass(slots=True, kw_only=True)
class ClaimLink(Link):
    """A claim with its quote, summary, kind, confidence and source."""

    ref: str | None = field(default=None,
                            metadata=_doc("row of the curation table, such as F12"))
    kind: str
    kind_label: str | None = field(default=None, metadata=NULLABLE)
    quote: Quote | None = None
    summary: str | None = field(default=None, metadata=NULLABLE)
    confidence: Link | None = None
    trend: list[Link]
    period_start: str | None = None
    period_end: str | None = None
    attributed_to: Link | None = None
    note: str | None = None
    source: SourceLink | None = None
    about: list[Link]


def table_order(ref: str | None, iri: str) -> tuple[bool, str, int, str]:
    """Where a claim comes in lists: by its row in the curation table (F2 before F10 before
    R1), claims without a row last, by IRI."""
    ref = ref or ""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters):]
    return (not ref, letters, int(digits) if digits else 0, iri)


def in_table_order(claims: Iterable[ClaimLink]) -> list[ClaimLink]:
    """Claims in the order of their rows in the curation table."""
    return sorted(claims, key=lambda claim: table_order(claim.ref, claim.iri))


@dataclass(slots=True, kw_only=True)
class Relation:
    property: Link
    value: Link | LiteralText = field(metadata=_doc("a link or a literal"))


@dataclass(slots=True, kw_only=True)
class Incoming:
    property: Link
    subject: Link


@dataclass(slots=True, kw_only=True)
class Measure(Link):
    """A control measure: its dates, status, requirements, text and the sources saying so."""

    effective_from: str | None = None
    effective_until: str | None = None
    as_of: str | None = field(default=None, metadata=_doc(
        "for a status no text set in force: the date of the decisions that confirm it"))
    status: Link | None = None
    jurisdiction: Link | None = None
    established_by: list[Link] = field(metadata=_doc(
        "the legal texts setting the measure, earliest first"))
    ended_by: Link | None = None
    checked: list[str] = field(metadata=_doc(
        "addresses of the documents the curators read to check the measure"))
    regulates: list[Link]
    requirements: list[Link]
    sources: list[SourceLink]


@dataclass(slots=True, kw_only=True)
class EntityDescription:
    """Everything a page or a client shows about one individual."""

    iri: str
    id: str
    kind: str = field(metadata={"enum": list(ENTITY_KINDS)})
    label: str
    labels: dict[str, str]
    alt_labels: list[Label]
    types: list[TypeRef]
    definition: str | None = field(default=None, metadata=NULLABLE)
    note: str | None = field(default=None, metadata=NULLABLE)
    identifiers: list[Identifier]
    relations: list[Relation]
    incoming: list[Incoming]
    claims: list[ClaimLink]
    measures: list[Measure]
    source: SourceLink | None = None
    claims_stated: list[ClaimLink] | None = None
    claim: ClaimLink | None = None


# The fields of each description class, each with whether it is written when None.
_WRITTEN: dict[type, tuple[tuple[str, bool], ...]] = {}


def _written(cls: type) -> tuple[tuple[str, bool], ...] | None:
    found = _WRITTEN.get(cls)
    if found is None and dataclasses.is_dataclass(cls):
        found = _WRITTEN[cls] = tuple((f.name, bool(f.metadata.get("nullable")))
                                      for f in dataclasses.fields(cls))
    return found


def as_json(value: Any) -> Any:
    """The JSON form of a description (nested dataclasses, lists, dicts of texts)."""
    kind = type(value)
    if kind is str:
        return value
    if kind is list:
        return [as_json(item) for item in value]
    written = _written(kind)
    if written is None:
        return value  # a dict of texts
    found: dict[str, Any] = {}
    for name, nullable in written:
        item = getattr(value, name)
        if item is not None:
            found[name] = item if type(item) is str else as_json(item)
        elif nullable:
            found[name] = None
    return found


# The fields of each description class in the order JSON writes them (sorted), each with its
# key as written and whether it is written when None.
_KEYED: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _keyed(cls: type) -> tuple[tuple[str, str, bool], ...] | None:
    found = _KEYED.get(cls)
    if found is None and dataclasses.is_dataclass(cls):
        found = _KEYED[cls] = tuple(
            (f.name, encode_basestring_ascii(f.name) + ":", bool(f.metadata.get("nullable")))
            for f in sorted(dataclasses.fields(cls), key=lambda f: f.name))
    return found


def json_text(value: Any) -> str:
    """The JSON text of a description, as json.dumps(as_json(value), sort_keys=True,
    separators=(",", ":")) writes it, each object the description holds several times (a
    source under each of its claims) written once."""
    return _text(value, {})


def _text(value: Any, written: dict[int, str]) -> str:
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is list:
        return "[" + ",".join([_text(item, written) for item in value]) + "]"
    # By identity: the description holds the objects, so no id is reused meanwhile.
    found = written.get(id(value))
    if found is not None:
        return found
    if kind is Link:  # most of what a description holds, written without looking its fields up
        ident = value.id
        found = ("{" if ident is None else '{"id":' + encode_basestring_ascii(ident) + ","
                 ) + '"iri":' + encode_basestring_ascii(value.iri) + ',"label":' + (
                     encode_basestring_ascii(value.label) + "}")
    elif (keyed := _keyed(kind)) is None:  # a dict of texts
        found = json.dumps(value, sort_keys=True, separators=(",", ":"))
    else:
        parts = []
        for name, key, nullable in keyed:
            item = getattr(value, name)
            if item is not None:
                parts.append(key + (encode_basestring_ascii(item) if type(item) is str
                                    else _text(item, written)))
            elif nullable:
                parts.append(key + "null")
        found = "{" + ",".join(parts) + "}"
    written[id(value)] = found
    return found
