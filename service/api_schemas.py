"""Schemas of the REST API: they validate parameters and document every answer.

The schemas of look-ups (an entity, a claim, a source) are derived from the typed description
in service.description; those of parameters and of the other answers are written here.
"""

from __future__ import annotations

import dataclasses
import types
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from marshmallow import Schema, ValidationError, fields, validate
from rdflib import Graph

from kg.ontology_index import OntologyIndex
from kg.search.query import control_character
from service.description import ClaimLink, EntityDescription, Link, SourceLink
from service.services import services

# The project folder this code sits in.
SHIPPED = Path(__file__).resolve().parent.parent


def dmo_classes() -> list[str]:
    """The local names of the served ontology's classes: the values a type filter may take
    (a home serving other data with no ontology of its own: the ontology this code ships)."""
    served = services().layout.ontology_dir / "dmo.ttl"
    return _classes(served if served.is_file() else SHIPPED / "ontology" / "dmo.ttl")


@cache
def _classes(ontology: Path) -> list[str]:
    graph = Graph().parse(ontology, format="turtle")
    return sorted(OntologyIndex.from_graph(graph).classes)


class OntologyClass(validate.Validator):
    """One of dmo_classes(), read from the ontology when first needed, not at import."""

    @property
    def choices(self) -> list[str]:  # what the OpenAPI document lists as the enum
        return dmo_classes()

    def __call__(self, value: Any) -> Any:
        return validate.OneOf(self.choices)(value)


# What PlainText admits, as the OpenAPI document states it (control characters other than
# tab and line breaks excluded).
PLAIN_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"


class PlainText(validate.Validator):
    """Text with no control characters (a NUL, an escape…)."""

    def __call__(self, value: Any) -> Any:
        if found := control_character(value):
            raise ValidationError(f"holds a control character ({found})")
        return value


class Concept(fields.String):
    """A concept's id (concept/increasing), also taken in its short form (increasing)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return text if text.startswith("concept/") else f"concept/{text}"


TRENDS = tuple(f"concept/{t}" for t in ("increasing", "strongly-increasing", "decreasing",
                                          "stable", "emerging", "marginal"))
CONFIDENCES = tuple(f"concept/{c}-confidence" for c in ("high", "medium", "low"))


def concept(choices: tuple[str, ...], what: str) -> Concept:
    """A concept parameter taking one of choices, long or short."""
    return Concept(validate=validate.OneOf(choices), metadata={
        "description": f"{what}: a concept id such as {choices[0]}, or its short form "
                       f"{choices[0].removeprefix('concept/')}"})


LANG = fields.String(load_default="en", validate=validate.OneOf(["en", "fr"]),
                     metadata={"description": "language of labels, falling back to the other"})


def _field(hint: Any, meta: dict[str, Any], required: bool) -> fields.Field[Any]:
    """The marshmallow field documenting one attribute of a description class."""
    options: dict[str, Any] = {"required": required}
    if meta.get("nullable"):
        options["allow_none"] = True
    if "description" in meta:
        options["metadata"] = {"description": meta["description"]}
    if "enum" in meta:
        options["validate"] = validate.OneOf(meta["enum"])
    args = [a for a in get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) and len(args) == 1:
        hint = args[0]  # X | None: optional, or nullable as the metadata says
    elif isinstance(hint, types.UnionType):  # a link or a literal: no one shape to name
        return fields.Dict(**options)
    origin = get_origin(hint)
    if origin is list:
        return fields.List(_field(get_args(hint)[0], {}, True), **options)
    if origin is dict:
        return fields.Dict(keys=fields.String(), values=fields.String(), **options)
    if dataclasses.is_dataclass(hint):
        return fields.Nested(schema_of(hint), **options)  # type: ignore[arg-type]
    return fields.String(**options)


@cache
def schema_of(cls: type) -> type[Schema]:
    """The marshmallow schema of a description class, for the OpenAPI document only: the
    answers are written from the classes themselves (service.description.as_json)."""
    hints = get_type_hints(cls)
    found = {f.name: _field(hints[f.name], dict(f.metadata),
                            f.default is dataclasses.MISSING
                            and f.default_factory is dataclasses.MISSING)
             for f in dataclasses.fields(cls)}
    return Schema.from_dict(found, name=f"{SCHEMA_NAMES.get(cls.__name__, cls.__name__)}Schema")


# Component names the OpenAPI document has always used.
SCHEMA_NAMES = {"EntityDescription": "Entity", "TypeRef": "Type", "LiteralText": "Literal",
                "SourceLink": "Source", "ClaimLink": "Claim"}
LinkSchema = schema_of(Link)
SourceSchema = schema_of(SourceLink)
ClaimSchema = schema_of(ClaimLink)
EntitySchema = schema_of(EntityDescription)


class NoArgs(Schema):
    """No parameters: any is refused."""


class EntityArgs(Schema):
    lang = LANG


class EntityByIriArgs(Schema):
    iri = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"description": "the IRI of an individual"})
    lang = LANG


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    lang = LANG


class SearchArgs(PageArgs):
    q = fields.String(required=True, validate=[validate.Length(min=1, max=200), PlainText()],
                      metadata={"description": "text to find in names, any language, any case, "
                                               "with or without accents",
                                "pattern": PLAIN_TEXT})
    type = fields.List(fields.String(validate=OntologyClass()),
                       load_default=list,
                       metadata={"description": "keep entities of these DMO classes"})
    kind = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list,
                       metadata={"description": "keep entities of these kinds (claim, …)"})
    source = fields.List(fields.String(validate=validate.Length(max=300)), load_default=list,
                         metadata={"description": "keep claims stated in these sources (ids)"})
    claim_kind = fields.List(fields.String(validate=validate.Length(max=100)),
                             load_default=list,
                             metadata={"description": "keep claims of these kinds "
                                                      "(ReportedFinding, Opinion, …)"})
    confidence = fields.List(concept(CONFIDENCES, "keep claims of this confidence"),
                             load_default=list)
    trend = fields.List(concept(TRENDS, "keep claims with this trend"), load_default=list)
    facets = fields.Boolean(load_default=True,
                            metadata={"description": "count the matches by facet"})


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=[validate.Length(min=1, max=200), PlainText()],
                      metadata={"description": "the start of a name", "pattern": PLAIN_TEXT})
    lang = LANG
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=20))


class SuggestionSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    kind_label = fields.String(required=True, metadata={"description": "the kind's name in lang"})
    matched = fields.String(required=True, metadata={
        "description": "the name matched, as lang writes it when the entity has it in lang"})
    matched_lang = fields.String(required=True, metadata={
        "description": "the language of matched: lang unless the entity has no such name in it"})
    label_lang = fields.String(required=True, metadata={
        "description": "the language of label: lang unless the entity has no label in it"})
    url = fields.String(required=True)


class SuggestSchema(Schema):
    query = fields.String(required=True)
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True)


class EntitySummarySchema(Schema):
    iri = fields.String(required=True)
    id = fields.String(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True)
    types = fields.List(fields.String(), required=True)


class HitSchema(EntitySummarySchema):
    matched = fields.String(required=True, metadata={"description": "the name that matched"})
    match = fields.String(required=True, validate=validate.OneOf(
        ["exact", "prefix", "words", "substring", "text", "fuzzy"]))
    score = fields.Float(required=True)
    snippet = fields.String(allow_none=True, metadata={
        "description": "for matches in a quote, summary or note: an HTML excerpt, the "
                       "matched words in <b>"})
    snippet_lang = fields.String(allow_none=True, metadata={
        "description": "the language of the text the excerpt is taken from (null when it "
                       "has none, or for no excerpt)"})


class PageSchema(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    next = fields.String(allow_none=True, required=True)


class FacetValueSchema(Schema):
    value = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class SearchSchema(PageSchema):
    results = fields.List(fields.Nested(HitSchema), required=True)
    total_exact = fields.Boolean(metadata={
        "description": "false when names matched as typed alone are past a thousand: total "
                       "and facets count those, not pieces of names and texts"})
    did_you_mean = fields.String(allow_none=True, metadata={
        "description": "when nothing matches as typed: the closest spelling found, as the "
                       "entity writes it in lang"})
    facets = fields.Dict(keys=fields.String(),
                         values=fields.List(fields.Nested(FacetValueSchema)),
                         metadata={"description": "matches by kind, class, source, claim "
                                                  "kind, confidence and trend"})


class TypeCountSchema(Schema):
    name = fields.String(required=True)
    iri = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class SourceListSchema(PageSchema):
    results = fields.List(fields.Nested(SourceSchema), required=True)


class ClaimArgs(PageArgs):
    substance = fields.String(metadata={"description": "id such as substance/ketamine"})
    channel = fields.String()
    place = fields.String()
    source = fields.String()
    kind = fields.String(validate=validate.OneOf(["ReportedFinding", "EditorialStatement",
                                                  "Opinion", "RegulatoryFact"]))
    confidence = concept(CONFIDENCES, "keep claims of this confidence")
    trend = concept(TRENDS, "keep claims with this trend")


class ClaimListSchema(PageSchema):
    results = fields.List(fields.Nested(ClaimSchema), required=True)


class ParameterSchema(Schema):
    name = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(["iri", "string", "integer",
                                                                 "date"]))
    default = fields.String(allow_none=True, required=True)
    description = fields.String(required=True)


class QueryInfoSchema(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    parameters = fields.List(fields.Nested(ParameterSchema), required=True)
    sparql = fields.String(required=True)


class QueryResultSchema(Schema):
    name = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.String(allow_none=True)),
                       required=True)


class StatusArgs(Schema):
    at = fields.Date(required=True, metadata={"description": "the day asked about, YYYY-MM-DD"})
    jurisdiction = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "place id such as place/france or place/international; "
                                 "every jurisdiction when absent"})


class StatusMeasureSchema(Schema):
    id = fields.String(required=True)
    measure = fields.String(required=True, metadata={"description": "the measure's IRI"})
    label = fields.String(required=True)
    jurisdiction = fields.String(required=True)
    status = fields.String(allow_none=True, metadata={"description": "the control category"})
    state = fields.String(required=True, metadata={
        "description": "in force; uncertain (a date known to the year only); confirmed (a "
                       "status resting on dated decisions, confirmed by that day)"})
    instrument = fields.String(allow_none=True, metadata={"description": "the legal text(s)"})
    as_of = fields.String(allow_none=True)
    until = fields.String(allow_none=True)
    from_ = fields.String(allow_none=True, data_key="from")


class StatusSchema(Schema):
    entity = fields.Nested(LinkSchema, required=True)
    at = fields.String(required=True)
    jurisdiction = fields.String(allow_none=True)
    measures = fields.List(fields.Nested(StatusMeasureSchema), required=True)
