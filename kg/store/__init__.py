"""The store layer: one small backend contract, several engines behind it."""

from kg.store.base import (
    Backend,
    Capability,
    DatasetSpec,
    QueryFailed,
    QueryOutcome,
    QueryRefused,
    QuerySyntaxError,
    Rows,
    StoreUnreachable,
)

__all__ = ["Backend", "Capability", "DatasetSpec", "QueryFailed", "QueryOutcome", "QueryRefused",
           "QuerySyntaxError", "Rows",
           "StoreUnreachable"]
