"""`appease db upgrade`, `customers import`, `followups run` and `serve`: running the service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli._io import fail
from bot.errors import AppeaseError, StoreUnavailable

__all__ = ["register"]

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
customers_app = typer.Typer(
    help="Load purchase histories and score customers.", no_args_is_help=True
)
followups_app = typer.Typer(help="Send follow-ups that are due.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(customers_app, name="customers")
    app.add_typer(followups_app, name="followups")
    app.command("serve")(serve)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database named by APPEASE_DATABASE_URL."""
    from bot.config import get_settings
    from bot.store import upgrade

    upgrade(get_settings(), revision)
    typer.echo(f"database at {revision}", err=True)


@customers_app.command("import")
def customers_import(
    transactions: Annotated[Path, typer.Argument(help="Transactions CSV.")],
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    currency: str = "USD",
    sep: Annotated[
        str, typer.Option(help="Field separator (';' for many European exports).")
    ] = ",",
    decimal: Annotated[str, typer.Option(help="Decimal mark of amounts: '.' or ','.")] = ".",
    date_format: Annotated[
        str | None, typer.Option(help="strftime pattern, e.g. '%d/%m/%Y'.")
    ] = None,
    dayfirst: Annotated[
        bool | None,
        typer.Option("--dayfirst/--monthfirst", help="Numeric dates day first or month first."),
    ] = None,
) -> None:
    """Load transactions into the database and (re)score every customer (all or nothing)."""
    from rich.console import Console
    from rich.progress import Progress

    from bot.config import get_settings
    from bot.scoring import CsvFormat
    from bot.service import import_customers
    from bot.store import make_engine, make_sessionmaker, upgrade

    try:
        fmt = CsvFormat(sep=sep, decimal=decimal, date_format=date_format, dayfirst=dayfirst)
    except AppeaseError as exc:
        fail(str(exc))
    settings = get_settings()
    upgrade(settings)
    engine = make_engine(settings)
    try:
        with Progress(console=Console(stderr=True), transient=True) as progress:
            tasks: dict[str, Any] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            summary = import_customers(
                make_sessionmaker(engine),
                transactions,
                customer_col=customer_col,
                date_col=date_col,
                amount_col=amount_col,
                currency=currency,
                progress=report,
                fmt=fmt,
            )
    except StoreUnavailable as exc:
        fail(str(exc), code=1)
    except AppeaseError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    typer.echo(
        f"imported {summary.transactions:,} transactions, scored {summary.scored:,} customers",
        err=True,
    )


@followups_app.command("run")
def followups_run(limit: int = 100) -> None:
    """Send the follow-ups that are due now (safe to run on several workers with PostgreSQL)."""
    from bot.config import get_settings
    from bot.drafting import Drafter
    from bot.service import run_followups
    from bot.store import make_engine, make_sessionmaker

    settings = get_settings()
    engine = make_engine(settings)
    try:
        sent = run_followups(
            make_sessionmaker(engine), drafter=Drafter.from_settings(settings), limit=limit
        )
    except StoreUnavailable as exc:
        fail(str(exc), code=1)
    finally:
        engine.dispose()
    typer.echo(f"sent {len(sent)} follow-ups", err=True)


# -- serving (owned by the HTTP API) ---------------------------------------------------------


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (stateless; they share one database).")
    ] = 1,
) -> None:
    """Serve the HTTP API, the chat widget (/widget) and the dashboard (/dashboard)."""
    import uvicorn

    from bot.api import create_app
    from bot.cli._logging import configure_logging
    from bot.config import get_settings
    from bot.store import upgrade

    settings = get_settings()
    try:
        if workers == 1:
            app: Any = create_app(settings)  # migrates an empty database, checks every setting
        else:
            # Each worker builds its own app from the same APPEASE_* settings; migrate once here.
            settings.parsed_api_keys()
            upgrade(settings.database_url)
            app = "bot.api:app_from_environment"
    except (AppeaseError, ValueError) as exc:
        fail(str(exc))
    # uvicorn's own config would give its loggers handlers without the redacting filter (the
    # access log prints `?key=` URLs): with log_config=None they propagate to ours.
    configure_logging(logging.getLogger().level or logging.WARNING)
    for line in _banner(settings, host, port, workers, app):
        typer.echo(line, err=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        log_config=None,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
    )


def _banner(settings: Any, host: str, port: int, workers: int, app: Any) -> list[str]:
    """What a person starting the service needs to see: where, with what, and what is missing."""
    from bot.redact import redact

    policy = getattr(getattr(getattr(app, "state", None), "appease", None), "policy", None)
    version = policy.version if policy is not None else "(loaded by each worker)"
    mode = settings.draft_mode
    lines = [
        f"appease serve: listening on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})",
        f"  database  {redact(settings.database_url)}",
        f"  model     {settings.llm} ({settings.model}, {mode} mode)",
        f"  policy    {settings.policy_path or 'policies/default.yaml'} version {version}",
        f"  pages     http://{host}:{port}/widget  /assist  /dashboard  /docs",
    ]
    if not settings.api_keys.strip():
        lines.append(
            "  warning: no API keys (APPEASE_API_KEYS=KEY:ROLE,...): every /v1 call will get 401"
        )
    if not settings.widget_secret.get_secret_value():
        lines.append(
            "  warning: no widget secret (APPEASE_WIDGET_SECRET): the chat widget cannot start sessions"
        )
    return lines
