"""`appease kpi show` (the KPI JSON) and `appease kpi report --out FILE.html [--csv DIR]`.

Both read the database named by the settings and take the same filters as `GET /v1/kpi`.
stdout carries only the JSON (`show`) or the paths written (`report`); errors go to stderr with
exit code 2 and nothing half-written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli._io import dump, fail
from bot.errors import AppeaseError, InputError

if TYPE_CHECKING:
    from bot.kpi import KpiFilters, KpiReport

__all__ = ["register"]

kpi_app = typer.Typer(
    name="kpi",
    help="KPIs: CLV post-issue, perception change, goodwill analytics.",
    no_args_is_help=True,
)

DateFrom = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")]
DateTo = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC).")]
TierOpt = Annotated[str | None, typer.Option(help="Tier at the time of the issue.")]
SegmentOpt = Annotated[str | None, typer.Option(help="Segment at the time of the issue.")]
CategoryOpt = Annotated[str | None, typer.Option(help="Issue category.")]
ChannelOpt = Annotated[str | None, typer.Option(help="Channel (web, email, chat, assist, ...).")]
PolicyOpt = Annotated[str | None, typer.Option("--policy-version", help="Policy version.")]


def _filters(**params: str | None) -> KpiFilters:
    from bot.kpi import KpiFilters

    return KpiFilters.from_query(params)


def _compute(filters: KpiFilters) -> KpiReport:
    from bot.config import get_settings
    from bot.kpi import compute_kpis_from_settings

    return compute_kpis_from_settings(get_settings(), filters)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@kpi_app.command("show")
def show(
    date_from: DateFrom = None,
    date_to: DateTo = None,
    tier: TierOpt = None,
    segment: SegmentOpt = None,
    category: CategoryOpt = None,
    channel: ChannelOpt = None,
    policy_version: PolicyOpt = None,
) -> None:
    """Print the KPIs as JSON (the same document as GET /v1/kpi)."""
    try:
        filters = _filters(
            date_from=date_from,
            date_to=date_to,
            tier=tier,
            segment=segment,
            category=category,
            channel=channel,
            policy_version=policy_version,
        )
        report = _compute(filters)
    except InputError as exc:
        fail(str(exc))
    except AppeaseError as exc:
        fail(str(exc), code=1)
    typer.echo(dump(report.model_dump(mode="json")))


@kpi_app.command("report")
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Also write the raw tables as CSV here.")
    ] = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    tier: TierOpt = None,
    segment: SegmentOpt = None,
    category: CategoryOpt = None,
    channel: ChannelOpt = None,
    policy_version: PolicyOpt = None,
) -> None:
    """Write one self-contained HTML report (charts included, opens with no network)."""
    from bot.kpi import render_report, write_csv

    try:
        filters = _filters(
            date_from=date_from,
            date_to=date_to,
            tier=tier,
            segment=segment,
            category=category,
            channel=channel,
            policy_version=policy_version,
        )
        result = _compute(filters)
    except InputError as exc:
        fail(str(exc))
    except AppeaseError as exc:
        fail(str(exc), code=1)
    html = render_report(result)
    try:
        _write_atomically(out, html)
        written = [out, *(write_csv(result, csv_dir) if csv_dir else [])]
    except OSError as exc:
        fail(f"--out/--csv: cannot write: {exc}")
    for path in written:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.add_typer(kpi_app)
