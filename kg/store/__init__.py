"""The store layer: one small backend contract, several engines behind it."""

from kg.store.base import (
    Backend,
    BlankValue,
    DatasetSpec,
    LiteralValue,
    QueryFailed,
    QueryOutcome,
    QueryRefused,
    QuerySyntaxError,
    Rows,
    StoreUnreachable,
    Value,
    ValueRows,
)

__all__ = ["Backend", "BlankValue", "DatasetSpec", "LiteralValue", "QueryFailed",
           "QueryOutcome", "QueryRefused", "QuerySyntaxError", "Rows", "StoreUnreachable",
           "Value", "ValueRows"]
