"""The one error tree of appease, so callers catch bases and the edges map them once.

    AppeaseError
    ├── InputError            malformed case, ticket, policy, CSV: CLI exit 2, HTTP 422
    │   └── PolicyError       a policy file that does not validate (names file and key)
    ├── ConvergenceError      a model fit whose optimiser did not converge
    ├── NotFittedError        predict before fit
    ├── ProviderUnavailable   the model provider failed or timed out: the template answers
    ├── IdempotencyConflict   same key, other body (422) or same key still in flight (409)
    ├── NotFound              an id that does not exist (or is not yours): HTTP 404
    ├── Forbidden             authenticated, but the role may not do this: HTTP 403
    ├── Unauthorized          no or bad credentials: HTTP 401
    ├── OverCap               an agent's edit promising more than the decision allows: HTTP 422
    ├── Conflict              already decided otherwise (an offer answered the other way): 409
    └── StoreUnavailable      the database is down: HTTP 503 with Retry-After

Guard violations are data (`GuardResult.violations`), never exceptions.
"""

from __future__ import annotations

__all__ = [
    "AppeaseError",
    "Conflict",
    "ConvergenceError",
    "Forbidden",
    "IdempotencyConflict",
    "InputError",
    "NotFittedError",
    "NotFound",
    "OverCap",
    "PolicyError",
    "ProviderUnavailable",
    "StoreUnavailable",
    "Unauthorized",
]


class AppeaseError(Exception):
    """Base of every error appease raises on purpose."""


class InputError(AppeaseError):
    """Malformed case, ticket, policy or CSV: CLI exit 2, HTTP 422. `field` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class PolicyError(InputError):
    """A policy file that does not validate; `field` is `FILE:key.path` (and line where known)."""


class ConvergenceError(AppeaseError):
    """The optimiser did not converge; the message carries its own words."""


class NotFittedError(AppeaseError):
    """A model was asked to predict before it was fitted."""


class ProviderUnavailable(AppeaseError):
    """The model provider failed, timed out or is not installed: the safe template answers."""


class IdempotencyConflict(AppeaseError):
    """An idempotency key reused with another body (422), or still in flight (409)."""

    def __init__(self, message: str, *, in_flight: bool = False) -> None:
        super().__init__(message)
        self.in_flight = in_flight


class NotFound(AppeaseError):
    """No such thing, or not one the caller may see."""


class Forbidden(AppeaseError):
    """The caller is known but its role may not do this."""


class Unauthorized(AppeaseError):
    """No credentials, or credentials that do not check out."""


class OverCap(AppeaseError):
    """An edited draft promises money or offers beyond the decision."""


class Conflict(AppeaseError):
    """The thing was already decided otherwise: an offer accepted cannot then be declined."""


class StoreUnavailable(AppeaseError):
    """The database did not answer; nothing was half-written."""
