"""A least-recently-used cache for functions of a text that keeps short texts only.

Every distinct query text would otherwise be kept whole: a cache of 1024 entries holding
texts of a megabyte each is a gigabyte. Long texts are rare and cost far more to read than to
look up, so they are computed afresh every time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

R = TypeVar("R")

# Characters of the longest text kept: 1024 entries then hold at most 16 MiB per cache.
LONGEST = 4096


def text_cache(maxsize: int) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Cache calls whose first argument is a text of at most LONGEST characters."""

    def decorate(function: Callable[..., R]) -> Callable[..., R]:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def call(text: str, *args: Any) -> R:
            if len(text) > LONGEST:
                return function(text, *args)
            return cached(text, *args)

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call

    return decorate
