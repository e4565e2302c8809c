"""Logging for the command line and `appease serve`: one stderr handler, every record redacted.

Every logger, uvicorn's access and error loggers included, reaches the same handler, and that
handler carries `RedactingFilter`, so no email, phone, card, address, API key or bearer token
is written whatever the level (uvicorn's access log prints `?key=` URLs; SQLAlchemy at INFO
prints statement parameters). stdout stays for results.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any, TextIO

from bot.redact import RedactingFilter

__all__ = ["UVICORN_LOGGERS", "configure_logging"]

# uvicorn adds no handlers of its own when run with `log_config=None`: these propagate to root.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(level: int | str = logging.WARNING, *, stream: TextIO | None = None) -> None:
    """Send every record to `stream` (default stderr) through the redacting filter."""
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": stream if stream is not None else sys.stderr,
                "filters": ["redact"],
                "formatter": "plain",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"handlers": [], "propagate": True} for name in UVICORN_LOGGERS},
    }
    logging.config.dictConfig(config)
