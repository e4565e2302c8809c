"""Where driver errors become `StoreUnavailable`: one seam for every use case.

The API maps `StoreUnavailable` to 503 with Retry-After and the CLI to exit 1; no caller ever
sees a SQLAlchemy exception. Every use case runs its writes in one transaction, so when this
fires nothing was half-written.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from bot.errors import StoreUnavailable
from bot.store import DB_ERRORS

__all__ = ["store_errors"]

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def store_errors(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DB_ERRORS as exc:
            log.error(
                "database unavailable", extra={"use_case": fn.__name__, "error": type(exc).__name__}
            )
            raise StoreUnavailable("the database did not answer; retry shortly") from exc

    return wrapper
