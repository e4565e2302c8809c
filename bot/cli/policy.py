"""`appease decide` and `appease policy check|simulate`: the policy engine from the command line."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli._io import fail, run_json_command
from bot.errors import AppeaseError

if TYPE_CHECKING:
    from bot.domain import Case
    from bot.policy import Policy, SimulationGroup, SimulationSummary

__all__ = ["CSV_COLUMNS", "register"]

policy_app = typer.Typer(help="Validate and backtest goodwill policies.", no_args_is_help=True)
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: policies/default.yaml).")
]

# The tickets CSV of `policy simulate`: one column per field of a case, flat.
CSV_COLUMNS = {
    "customer_id": ("customer", "id"),
    "clv": ("customer", "clv"),
    "residual_clv": ("customer", "residual_clv"),
    "tier": ("customer", "tier"),
    "segment": ("customer", "segment"),
    "appeasements_90d": ("customer", "appeasements_90d"),
    "appeasement_spend_90d": ("customer", "appeasement_spend_90d"),
    "order_id": ("order", "id"),
    "order_value": ("order", "value"),
    "currency": ("order", "currency"),
    "category": ("issue", "category"),
    "severity": ("issue", "severity"),
}
_COLUMN_OF: dict[tuple[str, str], str] = {path: col for col, path in CSV_COLUMNS.items()}
_DEFAULTS = {"appeasements_90d": "0", "appeasement_spend_90d": "0", "currency": "USD"}
# Attribute columns: `customer.membership`, `order.passengers`, `issue.notice_days`.
_ATTRIBUTE_COLUMN = re.compile(r"^(customer|order|issue)\.([A-Za-z_][A-Za-z0-9_]{0,63})$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def _attribute_value(text: str) -> str | int | float | bool:
    """A CSV cell as the JSON value it spells: true/false, a number, or text."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


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
    for warning in loaded.warnings:
        typer.echo(f"warning: {path}: {warning}", err=True)
    typer.echo(f"ok {loaded.version}")


@policy_app.command("explain")
def explain_cmd(
    case: Annotated[
        Path, typer.Argument(help="A case as JSON (as `decide` reads it); - for stdin.")
    ],
    policy: PolicyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
) -> None:
    """Decide one case and say which rule matched, and why each other rule did or did not."""
    from pydantic import ValidationError

    from bot.cli._io import dump, validation_to_input_error
    from bot.domain import Case
    from bot.policy import explain

    loaded = _load(policy)
    try:
        text = sys.stdin.read() if str(case) == "-" else case.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{case}: cannot read: {getattr(exc, 'strerror', None) or exc}")
    try:
        parsed = Case.model_validate(json.loads(text))
        result = explain(parsed, loaded)
    except json.JSONDecodeError as exc:
        fail(f"{case}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    except ValidationError as exc:
        fail(f"{case}: {validation_to_input_error(exc)}")
    except AppeaseError as exc:
        fail(f"{case}: {exc}")
    decision = result.decision
    if as_json:
        payload = {
            "decision": json.loads(decision.model_dump_json()),
            "rules": [
                {"rule": t.name, "index": t.index, "status": t.status, "why": t.why}
                for t in result.rules
            ],
        }
        typer.echo(dump(payload))
        return
    offer = decision.offer
    typer.echo(f"policy {decision.policy_version}")
    typer.echo(
        f"decision: {offer.kind.value} {offer.amount} {offer.currency} ({offer.basis}), "
        f"cap {decision.cap}" + (", escalate to a person" if decision.escalate else "")
    )
    if not result.rules:
        typer.echo("this policy has no rules: the CLV ladder decides")
    for t in result.rules:
        typer.echo(f"  rules.{t.index} {t.name!r}: {t.status}: {t.why}")
    typer.echo("reasons:")
    for reason in decision.reasons:
        typer.echo(f"  - {reason}")


def _case_from_row(row: dict[str | None, Any], where: str) -> Case:
    from pydantic import ValidationError

    from bot.domain import Case

    if row.get(None):
        fail(f"{where}: more fields than the header has columns")
    short = [c for c in CSV_COLUMNS if row.get(c) is None]
    if short:
        fail(f"{where}: column {short[0]}: missing (the row is shorter than the header)")
    data: dict[str, dict[str, Any]] = {"customer": {}, "order": {}, "issue": {}}
    for column, (part, name) in CSV_COLUMNS.items():
        value = row[column].strip()
        data[part][name] = value or _DEFAULTS.get(column, value)
    for header, cell in row.items():
        match = _ATTRIBUTE_COLUMN.match(header or "")
        if match and cell is not None and cell.strip():  # an empty cell: the attribute is absent
            attrs = data[match[1]].setdefault("attributes", {})
            attrs[match[2]] = _attribute_value(cell.strip())
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        if len(loc) > 2 and loc[1] == "attributes":
            fail(f"{where}: column {loc[0]}.{loc[2]}: {err['msg']}")
        column = _COLUMN_OF.get((loc[0], loc[1]), ".".join(loc)) if len(loc) > 1 else ".".join(loc)
        fail(f"{where}: column {column}: {err['msg']}")


def _read_cases(path: Path) -> list[Case]:
    """Every row as a case, or exit 2 naming the first bad row and column; nothing partial."""
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        fail(f"{path}: {exc.strerror or exc}")
    cases = []
    with fh:
        reader = csv.DictReader(fh)
        try:
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                fail(f"{path}: missing column(s) {', '.join(missing)}")
            for row_no, row in enumerate(reader, start=1):
                cases.append(_case_from_row(row, f"{path}: row {row_no} (line {reader.line_num})"))
        except csv.Error as exc:
            fail(f"{path}: line {reader.line_num}: not readable CSV: {exc}")
        except UnicodeDecodeError as exc:
            fail(f"{path}: not UTF-8 text ({exc.reason})")
    if not cases:
        fail(f"{path}: no tickets (header but no rows)")
    return cases


# One measure of one group: (section, group, measure) -> (value, unit). Units: count, pct, or a
# currency code for money.
Measures = dict[tuple[str, str, str], tuple[Decimal, str]]


def _group_measures(section: str, name: str, g: SimulationGroup, out: Measures) -> None:
    out[(section, name, "tickets")] = (Decimal(g.cases), "count")
    out[(section, name, "money offers")] = (Decimal(g.money_offers), "count")
    out[(section, name, "escalations")] = (Decimal(g.escalations), "count")
    out[(section, name, "escalation rate (%)")] = (g.escalation_rate, "pct")
    for cur in sorted(g.goodwill):
        out[(section, name, f"goodwill {cur}")] = (g.goodwill[cur], cur)
        out[(section, name, f"mean goodwill {cur}")] = (g.mean_goodwill(cur), cur)
        out[(section, name, f"goodwill / CLV {cur} (%)")] = (g.share_of_clv(cur), "pct")
    for cur in sorted(g.entitlement):  # owed money, counted apart from goodwill
        out[(section, name, f"entitlement {cur}")] = (g.entitlement[cur], cur)


def _measures(summary: SimulationSummary) -> Measures:
    out: Measures = {}
    _group_measures("all", "all tickets", summary.overall, out)
    for kind, n in sorted(summary.overall.by_kind.items()):
        out[("all", "all tickets", f"offers: {kind}")] = (Decimal(n), "count")
    for tier, g in summary.by_tier.items():
        _group_measures("tier", tier, g, out)
    for category, g in summary.by_category.items():
        _group_measures("category", category, g, out)
    return out


def _text(value: Decimal, unit: str) -> str:
    from bot.domain import MINOR_UNITS

    if unit == "count":
        return str(int(value))
    if unit == "pct":
        return f"{value * 100:.2f}"
    return f"{value:.{MINOR_UNITS.get(unit, 2)}f}"


def _table_rows(columns: list[Measures]) -> Iterator[tuple[str, str, str, list[str]]]:
    """Rows in a stable order (tiers lowest first); a measure one policy lacks counts as 0."""
    from bot.domain import IssueCategory, Tier

    order = {"all": 0, "tier": 1, "category": 2}
    rank = {t.value: i for i, t in enumerate(Tier)} | {
        c.value: i for i, c in enumerate(IssueCategory)
    }
    keys = list(dict.fromkeys(k for col in columns for k in col))
    keys.sort(key=lambda k: (order[k[0]], rank.get(k[1], -1)))
    for key in keys:
        unit = next(col[key][1] for col in columns if key in col)
        values = [col.get(key, (Decimal(0), unit))[0] for col in columns]
        texts = [_text(v, unit) for v in values]
        if len(values) == 2:
            texts.append(_text(values[1] - values[0], unit))
        yield (*key, texts)


def _out_folder(out: Path) -> Path:
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        fail(f"--out {out}: folder {folder} does not exist")
    return folder


def _write_csv(out: Path, header: list[str], rows: list[tuple[str, str, str, list[str]]]) -> None:
    """Write the whole table or nothing: a temporary file beside `out`, then an atomic rename."""
    folder = _out_folder(out)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for section, group, measure, values in rows:
                writer.writerow([section, group, measure, *values])
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _on_screen(measure: str) -> bool:
    """By tier and category the screen keeps what a change costs; the CSV has every measure."""
    return measure in ("tickets", "escalations") or (
        measure.startswith(("goodwill ", "entitlement ")) and not measure.startswith("mean")
    )


@policy_app.command("simulate")
def simulate_cmd(
    tickets: Annotated[Path, typer.Argument(help="Past tickets CSV (see README for columns).")],
    policy: PolicyOpt = None,
    against: Annotated[Path | None, typer.Option(help="A second policy to compare with.")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
) -> None:
    """Replay past tickets through one policy, or two side by side with the change."""
    from rich.console import Console
    from rich.table import Table

    from bot.policy import default_policy_path, simulate

    if out is not None:
        _out_folder(out)  # before any work: a typo in --out should not cost a run
    policies = [(policy or default_policy_path(), _load(policy))]
    if against is not None:
        policies.append((against, _load(against)))
    cases = _read_cases(tickets)
    summaries = [simulate(cases, p) for _, p in policies]
    names = [path.name for path, _ in policies]
    if len(names) == 2 and names[0] == names[1]:
        names = [str(path) for path, _ in policies]
    header = ["section", "group", "measure", *names] + (["change"] if len(names) == 2 else [])
    rows = list(_table_rows([_measures(s) for s in summaries]))

    console = Console()
    versions = ", ".join(f"{n} = {s.policy_version}" for n, s in zip(names, summaries, strict=True))
    for section, title in (
        ("all", "all tickets"),
        ("tier", "by tier"),
        ("category", "by category"),
    ):
        table = Table(title=f"Backtest over {len(cases):,} tickets: {title}", caption=versions)
        for column in header[1:]:
            table.add_column(column, justify="left" if column in ("group", "measure") else "right")
        shown = [r for r in rows if r[0] == section and (section == "all" or _on_screen(r[2]))]
        for i, (_, group, measure, values) in enumerate(shown):
            last = i + 1 == len(shown) or shown[i + 1][1] != group
            table.add_row(group, measure, *values, end_section=last)
        console.print(table)
    if out is not None:
        _write_csv(out, header, rows)
        typer.echo(f"wrote {out}", err=True)
