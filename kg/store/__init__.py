"""The store layer: one small backend contract, several engines behind it."""

from kg.store.base import (
    Backend,
    BlankValue,
    Capability,
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
    Writable,
    date_value,
    integer_value,
)

__all__ = ["Backend", "BlankValue", "Capability", "DatasetSpec", "LiteralValue", "QueryFailed",
           "QueryOutcome", "QueryRefused", "QuerySyntaxError", "Rows", "StoreUnreachable",
           "Value", "ValueRows", "Writable", "date_value", "integer_value"]
