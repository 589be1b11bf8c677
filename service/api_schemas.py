"""Schemas of the REST API: they validate parameters and document every answer."""

from __future__ import annotations

from functools import cache

from marshmallow import Schema, fields, validate
from rdflib import Graph

from kg.namespaces import ENTITY_KINDS
from kg.ontology_index import OntologyIndex
from kg.paths import default_layout


@cache
def dmo_classes() -> list[str]:
    """The local names of the ontology's classes: the values a type filter may take."""
    graph = Graph().parse(default_layout().ontology_dir / "dmo.ttl", format="turtle")
    return sorted(OntologyIndex.from_graph(graph).classes)

LANG = fields.String(load_default="en", validate=validate.OneOf(["en", "fr"]),
                     metadata={"description": "language of labels, falling back to the other"})


class LinkSchema(Schema):
    iri = fields.String(required=True)
    id = fields.String(metadata={"description": "kind/slug, for individuals of DMKG"})
    label = fields.String(required=True)


class LiteralSchema(Schema):
    value = fields.String(required=True)
    lang = fields.String()
    datatype = fields.String()


class LabelSchema(Schema):
    value = fields.String(required=True)
    lang = fields.String(required=True)


class TypeSchema(Schema):
    name = fields.String(required=True)
    iri = fields.String(required=True)
    label = fields.String(required=True)


class IdentifierSchema(Schema):
    scheme = fields.String(required=True, metadata={"description": "wikidata, chebi, addicto"})
    scheme_name = fields.String(required=True)
    id = fields.String(required=True)
    iri = fields.String(required=True)
    match = fields.String(required=True, validate=validate.OneOf(["exact", "close"]),
                          metadata={"description": "close: still to be verified"})


class SourceSchema(LinkSchema):
    title = fields.String(required=True)
    date = fields.String()
    language = fields.String()
    part_of = fields.String()
    citation = fields.String()
    url = fields.String()
    creators = fields.List(fields.Nested(LinkSchema), required=True)
    publisher = fields.Nested(LinkSchema)
    derived_from = fields.List(fields.Nested(LinkSchema))


class QuoteSchema(Schema):
    value = fields.String(required=True)
    lang = fields.String(required=True)


class ClaimSchema(LinkSchema):
    ref = fields.String(metadata={"description": "row of the curation table, such as F12"})
    kind = fields.String(required=True)
    kind_label = fields.String(allow_none=True)
    quote = fields.Nested(QuoteSchema)
    summary = fields.String(allow_none=True)
    confidence = fields.Nested(LinkSchema)
    trend = fields.List(fields.Nested(LinkSchema), required=True)
    period_start = fields.String()
    period_end = fields.String()
    attributed_to = fields.Nested(LinkSchema)
    note = fields.String()
    source = fields.Nested(SourceSchema)
    about = fields.List(fields.Nested(LinkSchema), required=True)


class RelationSchema(Schema):
    property = fields.Nested(LinkSchema, required=True)
    value = fields.Dict(required=True, metadata={"description": "a link or a literal"})


class IncomingSchema(Schema):
    property = fields.Nested(LinkSchema, required=True)
    subject = fields.Nested(LinkSchema, required=True)


class MeasureSchema(LinkSchema):
    effective_from = fields.String()
    effective_until = fields.String()
    as_of = fields.String(metadata={"description": "for a status no text set in force: the "
                                                   "date of the decisions that confirm it"})
    status = fields.Nested(LinkSchema)
    jurisdiction = fields.Nested(LinkSchema)
    established_by = fields.Nested(LinkSchema)
    ended_by = fields.Nested(LinkSchema)
    checked = fields.List(fields.String(), metadata={
        "description": "addresses of the documents the curators read to check the measure"})
    regulates = fields.List(fields.Nested(LinkSchema), required=True)
    requirements = fields.List(fields.Nested(LinkSchema), required=True)
    sources = fields.List(fields.Nested(SourceSchema), required=True)


class EntitySchema(Schema):
    iri = fields.String(required=True)
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ENTITY_KINDS))
    label = fields.String(required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    alt_labels = fields.List(fields.Nested(LabelSchema), required=True)
    types = fields.List(fields.Nested(TypeSchema), required=True)
    definition = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    identifiers = fields.List(fields.Nested(IdentifierSchema), required=True)
    relations = fields.List(fields.Nested(RelationSchema), required=True)
    incoming = fields.List(fields.Nested(IncomingSchema), required=True)
    claims = fields.List(fields.Nested(ClaimSchema), required=True)
    measures = fields.List(fields.Nested(MeasureSchema), required=True)
    source = fields.Nested(SourceSchema)
    claims_stated = fields.List(fields.Nested(ClaimSchema))
    claim = fields.Nested(ClaimSchema)


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
    q = fields.String(required=True, validate=validate.Length(min=1, max=200),
                      metadata={"description": "text to find in names, any language, any case, "
                                               "with or without accents"})
    type = fields.List(fields.String(validate=validate.OneOf(dmo_classes())),
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
    confidence = fields.List(fields.String(validate=validate.Length(max=100)),
                             load_default=list,
                             metadata={"description": "keep claims of these confidences "
                                                      "(concept/high-confidence, …)"})
    trend = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list,
                        metadata={"description": "keep claims with these trends "
                                                 "(concept/increasing, …)"})
    facets = fields.Boolean(load_default=True,
                            metadata={"description": "count the matches by facet"})


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lang = LANG
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=20))


class SuggestionSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    matched = fields.String(required=True)
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
        "description": "when nothing matches as typed: the closest spelling found"})
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
    trend = fields.String(validate=validate.OneOf(["increasing", "strongly-increasing",
                                                   "decreasing", "stable", "emerging",
                                                   "marginal"]))


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
