"""Paging, sorting and filtering of lists shown as pages, read from the query string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import request

from service.errors import ServiceError

T = TypeVar("T")
MAX_PER_PAGE = 500


def _number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServiceError(400, f"parameter '{name}': expected an integer") from None
    if not low <= value <= high:
        raise ServiceError(400, f"parameter '{name}': expected {low} to {high}")
    return value


@dataclass(frozen=True)
class Paging:
    """Which page of a list is asked for, how many rows a page holds."""

    page: int
    per_page: int

    @classmethod
    def from_request(cls, per_page: int = 50) -> Paging:
        """Read page and per_page, answering 400 when they are not sensible numbers."""
        return cls(_number("page", 1, 1, 10**6), _number("per_page", per_page, 1, MAX_PER_PAGE))

    def cut(self, items: list[T]) -> list[T]:
        """The rows of this page."""
        start = (self.page - 1) * self.per_page
        return items[start:start + self.per_page]

    def links(self, total: int) -> dict[str, Any]:
        """Numbers and links a page shows around its rows (previous, next, how many)."""
        pages = max(1, -(-total // self.per_page))

        def at(page: int) -> str:
            args = {k: v for k, v in request.args.items() if k != "page" and v != ""}
            args["page"] = str(page)
            return f"{request.path}?{urlencode(args)}"

        return {"page": self.page, "pages": pages, "total": total, "per_page": self.per_page,
                "previous": at(self.page - 1) if self.page > 1 else None,
                "next": at(self.page + 1) if self.page < pages else None}


def choice(name: str, allowed: tuple[str, ...]) -> str:
    """A parameter that takes one of a few words, the first by default; 400 otherwise."""
    value = request.args.get(name) or allowed[0]
    if value not in allowed:
        raise ServiceError(400, f"parameter '{name}': expected one of {', '.join(allowed)}")
    return value


def with_args(**changes: str | list[str] | None) -> str:
    """The current URL with some query parameters set (None removes one, a list repeats
    one), back to page 1; a repeated parameter stays repeated."""
    args: dict[str, list[str]] = {k: v for k, v in request.args.lists() if k != "page"}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value] if isinstance(value, str) else value
    return f"{request.path}?{urlencode(args, doseq=True)}" if args else request.path
