"""The store layer: one small backend contract, several engines behind it."""

from kg.store.base import (
    Backend,
    DatasetSpec,
    QueryFailed,
    QueryOutcome,
    QueryRefused,
    QuerySyntaxError,
    Rows,
    StoreUnreachable,
)

__all__ = ["Backend", "DatasetSpec", "QueryFailed", "QueryOutcome", "QueryRefused",
           "QuerySyntaxError", "Rows",
           "StoreUnreachable"]
