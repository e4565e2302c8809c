"""The `appease` command line: a thin edge that parses, calls the library and prints JSON.

stdout carries only results (JSON for the contract commands); diagnostics go to stderr.
Each command module exposes `register(app)`; heavy imports stay inside the commands so that
`appease --help` starts fast.
"""

from __future__ import annotations

import importlib
import logging

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="appease",
    help="CLV-aware goodwill offers, drafted by a model and bounded by policy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """appease: CLV-aware goodwill offers, drafted by a model and bounded by policy."""


# One module per area; each adds its commands or sub-apps to `app`.
_COMMAND_MODULES = ("clv", "policy", "drafting", "triage", "service", "kpi", "experiment", "demo")

for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"bot.cli.{_name}")
    except ModuleNotFoundError as exc:  # an area not built yet must not break the rest
        if exc.name != f"bot.cli.{_name}":
            raise
        continue
    _module.register(app)


@app.command()
def version() -> None:
    """Print the installed version."""
    from bot import __version__

    typer.echo(__version__)


def main() -> None:
    from bot.cli._logging import configure_logging

    configure_logging(logging.WARNING)  # stderr, every record redacted (PII, keys, tokens)
    app()
