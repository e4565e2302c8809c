"""`appease decide` and `appease policy check|simulate`: the policy engine from the command line."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli._io import fail, run_json_command
from bot.errors import AppeaseError

if TYPE_CHECKING:
    from bot.domain import Case
    from bot.policy import Policy, SimulationSummary

__all__ = ["register"]

policy_app = typer.Typer(help="Validate and backtest goodwill policies.", no_args_is_help=True)
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: policies/default.yaml).")
]

CSV_COLUMNS = (
    "customer_id", "clv", "residual_clv", "tier", "segment", "appeasements_90d",
    "appeasement_spend_90d", "order_id", "order_value", "currency", "category", "severity",
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("decide")(decide_cmd)
    app.add_typer(policy_app, name="policy")


def _load(path: Path | None) -> Policy:
    from bot.policy import load_policy

    try:
        return load_policy(path)
    except AppeaseError as exc:
        fail(str(exc))


def decide_cmd(
    policy: PolicyOpt = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="One case a line in, one decision a line out.")
    ] = False,
) -> None:
    """Read a case as JSON on stdin and print the decision as JSON."""
    from bot.domain import Case
    from bot.policy import decide

    loaded = _load(policy)

    def handle(obj: Any) -> Any:
        return decide(Case.model_validate(obj), loaded)

    run_json_command(handle, jsonl=jsonl)


@policy_app.command("check")
def check(path: Annotated[Path, typer.Argument(help="Policy YAML to validate.")]) -> None:
    """Validate a policy file; print its version or the key that is wrong."""
    loaded = _load(path)
    typer.echo(f"ok {loaded.version}")


def _read_cases(path: Path) -> list[Case]:
    from pydantic import ValidationError

    from bot.cli._io import validation_to_input_error
    from bot.domain import Case

    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    cases = []
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            fail(f"{', '.join(missing)}: missing column in {path}")
        for row_no, row in enumerate(reader, start=1):
            try:
                cases.append(
                    Case.model_validate(
                        {
                            "customer": {
                                "id": row["customer_id"], "clv": row["clv"],
                                "residual_clv": row["residual_clv"], "tier": row["tier"],
                                "segment": row["segment"],
                                "appeasements_90d": row["appeasements_90d"] or 0,
                                "appeasement_spend_90d": row["appeasement_spend_90d"] or 0,
                            },
                            "order": {"id": row["order_id"], "value": row["order_value"],
                                      "currency": row["currency"] or "USD"},
                            "issue": {"category": row["category"], "severity": row["severity"]},
                        }
                    )
                )  # fmt: skip
            except ValidationError as exc:
                err = validation_to_input_error(exc)
                fail(f"row {row_no}: {err.field}: {err.problem}")
    if not cases:
        fail(f"{path}: no tickets (header but no rows)")
    return cases


def _rows(summary: SimulationSummary) -> list[tuple[str, str]]:
    rows = [
        ("policy version", summary.policy_version),
        ("tickets", str(summary.cases)),
        ("escalations", str(summary.escalations)),
        ("total goodwill", f"{summary.total_goodwill:.2f}"),
        ("mean goodwill", f"{summary.mean_goodwill:.2f}"),
        ("goodwill / CLV", f"{summary.goodwill_share_of_clv * 100:.2f}%"),
    ]
    rows += [(f"offers: {k}", str(v)) for k, v in sorted(summary.by_kind.items())]
    rows += [
        (f"goodwill: tier {k}", f"{v:.2f}") for k, v in sorted(summary.goodwill_by_tier.items())
    ]
    rows += [
        (f"goodwill: {k}", f"{v:.2f}") for k, v in sorted(summary.goodwill_by_category.items())
    ]
    return rows


@policy_app.command("simulate")
def simulate_cmd(
    tickets: Annotated[Path, typer.Argument(help="Past tickets CSV (see README for columns).")],
    policy: PolicyOpt = None,
    against: Annotated[Path | None, typer.Option(help="A second policy to compare with.")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
) -> None:
    """Replay past tickets through one policy, or two side by side."""
    from rich.console import Console
    from rich.table import Table

    from bot.policy import simulate

    cases = _read_cases(tickets)
    results = [simulate(cases, _load(policy))]
    names = [str(policy or "default")]
    if against is not None:
        results.append(simulate(cases, _load(against)))
        names.append(str(against))
    columns = [dict(_rows(r)) for r in results]
    keys = list(dict.fromkeys(k for c in columns for k in c))
    table = Table(title=f"Backtest over {len(cases):,} tickets")
    table.add_column("measure")
    for name in names:
        table.add_column(name, justify="right")
    for key in keys:
        table.add_row(key, *(c.get(key, "0") for c in columns))
    Console().print(table)
    if out is not None:
        fd, tmp = tempfile.mkstemp(dir=out.parent if str(out.parent) else ".", suffix=".tmp")
        with os.fdopen(fd, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["measure", *names])
            for key in keys:
                writer.writerow([key, *(c.get(key, "0") for c in columns)])
        os.replace(tmp, out)
