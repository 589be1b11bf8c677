"""Read one reconciliation query object (Reconciliation API 0.2) into what the search needs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kg.search.query import control_character

MAX_LIMIT = 50
# Longer than any name; the search engine is not asked to parse a page of text.
MAX_QUERY_CHARS = 500
DEFAULT_LIMIT = 10
TYPE_STRICT = ("any", "should", "all")


class BadQuery(ValueError):
    """A query object that cannot be read; the message says what is wrong."""


@dataclass
class Condition:
    """A property value a candidate should have."""

    pid: str
    values: list[str]


@dataclass
class Query:
    """A query as read: the name to match (may be empty), types, limit, property conditions."""

    text: str
    types: set[str] = field(default_factory=set)
    limit: int = DEFAULT_LIMIT
    conditions: list[Condition] = field(default_factory=list)


def _type_id(value: Any) -> str:
    # A type is its id, or a {"id", "name"} object as the suggest service gives it.
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    if isinstance(value, str):
        return value
    raise BadQuery("'type' is a type id, a {\"id\": …} object, or a list of them")


def _types(raw: Any) -> set[str]:
    if raw is None:
        return set()
    items = raw if isinstance(raw, list) else [raw]
    return {t for t in (_type_id(item) for item in items) if t}


def _limit(raw: Any) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())  # numbers sent as text, as OpenRefine does for settings
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) \
            or raw != int(raw) or raw < 0:
        raise BadQuery("'limit' is a whole number, 0 or more")
    return min(int(raw), MAX_LIMIT)


def _value(raw: Any) -> str:
    if isinstance(raw, dict):
        if not isinstance(raw.get("id"), str):
            raise BadQuery("an entity value is an object with an 'id' string")
        return str(raw["id"])
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, str | int | float):
        return str(raw)
    raise BadQuery("a property value is a string, number, boolean or {\"id\": …}")


def _conditions(raw: Any) -> list[Condition]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadQuery("'properties' is a list of {\"pid\": …, \"v\": …}")
    conditions = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("pid"), str) or "v" not in item:
            raise BadQuery("each property condition is an object with a 'pid' string and a 'v'")
        values = item["v"] if isinstance(item["v"], list) else [item["v"]]
        texts = [v for v in (_value(value) for value in values) if v.strip()]
        if texts:
            conditions.append(Condition(item["pid"], texts))
    return conditions


def read_reconcile_query(raw: Any) -> Query:
    """Read a query object; raise BadQuery when it is not one."""
    if not isinstance(raw, dict):
        raise BadQuery("a query is an object with 'query' and/or 'properties'")
    text = raw.get("query", "")
    if not isinstance(text, str):
        raise BadQuery("'query' is a string")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(f"'query' is at most {MAX_QUERY_CHARS} characters")
    if found := control_character(text):
        raise BadQuery(f"'query' holds a control character ({found})")
    strict = raw.get("type_strict")
    if strict is not None and strict not in TYPE_STRICT:
        raise BadQuery(f"'type_strict' is one of {', '.join(TYPE_STRICT)}")
    query = Query(text.strip(), _types(raw.get("type")), _limit(raw.get("limit")),
                  _conditions(raw.get("properties")))
    if not query.text and not query.conditions:
        raise BadQuery("a query needs a non-empty 'query' string or property conditions")
    return query
