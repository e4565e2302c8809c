"""One place maps appease's error tree to HTTP: `{"detail": ...}` with a 4xx (or 503) code."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bot.errors import (
    AppeaseError,
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InputError,
    NotFound,
    OverCap,
    ProviderUnavailable,
    StoreUnavailable,
    Unauthorized,
)

__all__ = ["RateLimited", "install"]

log = logging.getLogger(__name__)


class RateLimited(AppeaseError):
    """Too many requests for this key or conversation: 429 with Retry-After."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__("rate limit exceeded; retry later")
        self.retry_after_s = retry_after_s


def _status(exc: AppeaseError) -> int:
    if isinstance(exc, IdempotencyConflict):
        return 409 if exc.in_flight else 422
    for kind, code in (
        (Unauthorized, 401),
        (Forbidden, 403),
        (NotFound, 404),
        (OverCap, 422),
        (InputError, 422),
        (Conflict, 409),
        (StoreUnavailable, 503),
        (ProviderUnavailable, 503),
        (RateLimited, 429),
    ):
        if isinstance(exc, kind):
            return code
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(AppeaseError)
    async def _appease(_request: Request, exc: AppeaseError) -> JSONResponse:
        code = _status(exc)
        headers = {}
        if isinstance(exc, StoreUnavailable):
            headers["Retry-After"] = "2"
        if isinstance(exc, IdempotencyConflict) and exc.in_flight:
            headers["Retry-After"] = "1"  # the first request is still working: ask again soon
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after_s)))
        if isinstance(exc, Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        detail: object = str(exc)
        if isinstance(exc, InputError):
            detail = [{"loc": exc.field.split("."), "msg": exc.problem, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(e.get("loc", [])),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)
