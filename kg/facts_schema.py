"""The schema of the curated fact files, enforced by the build."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kg.namespaces import ENTITY_KINDS

ID_PATTERN = rf"^({'|'.join(ENTITY_KINDS)})/[a-z0-9]+(-[a-z0-9]+)*$"
EntityId = Annotated[
    str,
    Field(pattern=ID_PATTERN,
          description="kind/slug: a kind, a slash, then lower-case ASCII words joined by hyphens"),
]
# A reference to an entity; checked against the known ids (with a suggestion) once all are read.
Reference = Annotated[str, Field(min_length=1, description="the kind/slug id of another entity")]
# Identifiers of other vocabularies, as short prefixed names.
EXTERNAL_ID_PATTERN = r"^(wd:Q[0-9]+|chebi:[0-9]+|addicto:[0-9]{7}|geonames:[0-9]+)$"
ExternalId = Annotated[str, Field(pattern=EXTERNAL_ID_PATTERN)]
Language = Literal["en", "fr"]
Confidence = Literal["high", "medium", "low"]
Trend = Literal["increasing", "strongly-increasing", "decreasing", "stable", "emerging",
                "marginal"]
QuoteOrigin = Literal["direct-quotation", "paraphrase"]
Url = Annotated[str, Field(pattern=r"^https?://[^\s<>\"{}|\\^`]+$")]
ClaimKind = Literal["ReportedFinding", "EditorialStatement", "Opinion", "RegulatoryFact"]
DataValue = dt.date | int | str
YEAR_MONTH = re.compile(r"^[0-9]{4}-[0-9]{2}$")


class Strict(BaseModel):
    """A model that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(Strict):
    """One name in English and one in French."""

    en: str = Field(min_length=1)
    fr: str = Field(min_length=1)


class Texts(Strict):
    """A text in English, French or both."""

    en: str | None = None
    fr: str | None = None


class Period(Strict):
    """When an observation holds: years or dates."""

    start: dt.date | int | None = None
    end: dt.date | int | None = None


class Location(Strict):
    """Where a place is (WGS 84 decimal degrees), as read in a cited source."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    source: Reference = Field(description="the source (a data set) the values were read from")
    confidence: Confidence


class Entity(Strict):
    """An individual of the graph: a substance, channel, actor, place, regulation …"""

    id: EntityId
    types: list[str] = Field(min_length=1, description="DMO class names, such as Stimulant")
    label: Labels
    alt_labels: dict[Language, list[str]] = Field(default_factory=dict)
    definition: Texts | None = None
    exact_match: list[ExternalId] = Field(default_factory=list)
    close_match: list[ExternalId] = Field(default_factory=list)
    broad_match: list[ExternalId] = Field(
        default_factory=list, description="identifiers of broader concepts (skos:broadMatch)")
    narrow_match: list[ExternalId] = Field(
        default_factory=list, description="identifiers of narrower concepts (skos:narrowMatch)")
    checked: list[Url] = Field(
        default_factory=list, description="addresses of the documents read to check this entry")
    note: Texts | None = None
    relations: dict[str, list[Reference]] = Field(
        default_factory=dict, description="DMO object property name → ids of other entities")
    values: dict[str, DataValue] = Field(
        default_factory=dict, description="DMO datatype property name → a date or a year")
    location: Location | None = Field(default=None, description="a place's coordinates")


class Source(Entity):
    """A document that makes claims."""

    title: dict[Language, str] = Field(min_length=1)
    creators: list[Reference] = Field(default_factory=list)
    publisher: Reference | None = None
    date: dt.date | int | str
    language: Language
    url: str | None = Field(default=None, pattern=r"^https?://")
    part_of: str | None = None
    citation: str | None = None
    derived_from: list[Reference] = Field(default_factory=list)
    comments_on: Reference | None = None

    @field_validator("date")
    @classmethod
    def _date_shape(cls, value: dt.date | int | str) -> dt.date | int | str:
        if isinstance(value, str) and not YEAR_MONTH.match(value):
            raise ValueError("a date is YYYY-MM-DD, YYYY-MM or YYYY")
        return value


class Claim(Strict):
    """One statement made by a source."""

    id: EntityId
    ref: str | None = Field(default=None, description="the row of the curation table (F12, R2)")
    kind: ClaimKind
    label: Labels
    source: Reference | None = Field(default=None, description="defaults to the file's source")
    attributed_to: Reference | None = None
    quote: dict[Language, str] = Field(default_factory=dict)
    summary: Labels
    confidence: Confidence
    trend: list[Trend] = Field(default_factory=list)
    trend_of: list[Reference] = Field(
        default_factory=list, description="what the trend is the trend of, among `about`")
    quote_origin: QuoteOrigin | None = Field(
        default=None, description="the reported document's own words (between « ») or the "
                                  "relaying author's paraphrase")
    corroborated_by: list[Reference] = Field(
        default_factory=list, description="other, independent sources that say the same")
    checked: list[Url] = Field(
        default_factory=list, description="addresses of the documents read to check this claim")
    period: Period | None = None
    about: list[Reference] = Field(min_length=1)
    note: Texts | None = None

    @model_validator(mode="after")
    def _claim_kind(self) -> Claim:
        if not self.id.startswith("claim/"):
            raise ValueError("a claim's id starts with claim/")
        if self.trend and not self.trend_of:
            raise ValueError("a trend needs trend_of: the thing that rises or falls")
        if self.trend_of and not self.trend:
            raise ValueError("trend_of needs a trend")
        if self.quote_origin and not self.quote:
            raise ValueError("quote_origin needs a quote")
        return self


class ClaimDefaults(Strict):
    """Values every claim of a file shares unless it says otherwise."""

    source: Reference | None = None
    attributed_to: Reference | None = None
    period: Period | None = None


class FactFile(Strict):
    """One curated file: entities, sources, claims, or a mix."""

    entities: list[Entity] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    claim_defaults: ClaimDefaults | None = None
    claims: list[Claim] = Field(default_factory=list)
