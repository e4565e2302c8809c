"""`appease experiment create|list|stop|report|analyze`: policy experiments from the shell.

`create` checks every arm's policy (as `policy check` does) and starts the experiment; the
service then uses the customer's sticky arm on every channel. `report NAME` analyses the
stored exposures with the KPI definitions; `analyze OUTCOMES.csv --control NAME --json` runs
the same estimator on outcomes from elsewhere (or from `appease kpi report --csv`).
stdout carries only the JSON (or, without --json, the plain-language summary).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli._io import dump, fail
from bot.errors import AppeaseError, InputError, NotFound, StoreUnavailable

if TYPE_CHECKING:
    from bot.experiments import ExperimentAnalysis

__all__ = ["register"]

experiment_app = typer.Typer(
    name="experiment",
    help="Policy experiments: sticky arms, holdouts, uplift on CLV with 95% intervals.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a summary.")]


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise InputError(option, f"{value!r} is not NAME=VALUE")
        if name.strip() in out:
            raise InputError(option, f"{name.strip()!r} given twice")
        out[name.strip()] = rest.strip()
    return out


def _decimals(values: list[str], option: str) -> dict[str, Decimal]:
    out = {}
    for name, text in _pairs(values, option).items():
        try:
            out[name] = Decimal(text)
        except InvalidOperation:
            raise InputError(option, f"{name}: {text!r} is not a number") from None
        if not out[name].is_finite() or out[name] < 0:
            raise InputError(option, f"{name}: {text!r} must be a number of 0 or more")
    return out


def _sessions() -> Any:
    from bot.config import get_settings
    from bot.store import make_engine, make_sessionmaker, upgrade

    settings = get_settings()
    upgrade(settings)
    engine = make_engine(settings)
    return engine, make_sessionmaker(engine)


@experiment_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Experiment name (letters, digits, _ . -).")],
    arm: Annotated[
        list[str], typer.Option("--arm", help="NAME=POLICY.yaml, once per arm (two or more).")
    ],
    control: Annotated[
        str, typer.Option("--control", help="The arm the others are compared with.")
    ],
    share: Annotated[
        list[str] | None, typer.Option("--share", help="NAME=FRACTION per arm (default equal).")
    ] = None,
    cap: Annotated[
        list[str] | None,
        typer.Option("--cap", help="NAME=AMOUNT: the most goodwill this arm may give."),
    ] = None,
    window_days: Annotated[int, typer.Option(help="Metric window: days after the ticket.")] = 90,
    salt: Annotated[str | None, typer.Option(help="Assignment salt (default: random).")] = None,
) -> None:
    """Start an experiment (refused while another runs); every arm's policy is checked first."""
    from bot.service import arm_specs, start_experiment

    try:
        arms = [(n, Path(p)) for n, p in _pairs(arm, "--arm").items()]
        specs = arm_specs(
            arms,
            control=control,
            shares=_decimals(share or [], "--share"),
            caps=_decimals(cap or [], "--cap"),
        )
        engine, sessions = _sessions()
        try:
            out = start_experiment(
                sessions, name=name, arms=specs, metric_window_days=window_days, salt=salt
            )
        finally:
            engine.dispose()
    except StoreUnavailable as exc:
        fail(str(exc), code=1)
    except AppeaseError as exc:
        fail(str(exc))
    typer.echo(dump(out))


@experiment_app.command("list")
def list_() -> None:
    """Every experiment, newest first, with its arms and exposures so far (JSON)."""
    from bot.service import experiment_list

    try:
        engine, sessions = _sessions()
        try:
            out = experiment_list(sessions)
        finally:
            engine.dispose()
    except AppeaseError as exc:
        fail(str(exc), code=1)
    typer.echo(dump({"experiments": out}))


@experiment_app.command("stop")
def stop(name: Annotated[str, typer.Argument(help="The experiment to stop.")]) -> None:
    """Stop an experiment: new tickets get the configured policy again."""
    from bot.service import end_experiment

    try:
        engine, sessions = _sessions()
        try:
            out = end_experiment(sessions, name)
        finally:
            engine.dispose()
    except NotFound as exc:
        fail(str(exc))
    except AppeaseError as exc:
        fail(str(exc), code=1)
    typer.echo(dump(out))


@experiment_app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="The experiment.")], as_json: JsonOpt = False
) -> None:
    """Each arm against the control on the stored tickets, measured like the KPIs."""
    from bot.config import get_settings
    from bot.kpi import compute_kpis_from_settings
    from bot.service import experiment_list

    try:
        engine, sessions = _sessions()
        try:
            known = {e["experiment"] for e in experiment_list(sessions)}
        finally:
            engine.dispose()
        if name not in known:
            raise InputError("name", f"no experiment named {name!r}")
        kpis = compute_kpis_from_settings(get_settings())
    except InputError as exc:
        fail(str(exc))
    except AppeaseError as exc:
        fail(str(exc), code=1)
    analyses = [a for a in kpis.experiments if a.experiment == name]
    if not analyses:
        typer.echo(f"{name}: no measured tickets in the control arm yet", err=True)
    _print(analyses, as_json)


@experiment_app.command("analyze")
def analyze_csv(
    outcomes: Annotated[
        Path,
        typer.Argument(
            help="Outcomes CSV: experiment, arm, customer_id, clv_at_issue, clv_after, spend[, retained, perception_pre, perception_post]."
        ),
    ],
    control: Annotated[str, typer.Option("--control", help="The control arm's name.")],
    as_json: JsonOpt = False,
    currency: Annotated[
        str | None,
        typer.Option(
            help="Analyse rows in this currency (default: the file's most common, else USD)."
        ),
    ] = None,
    share: Annotated[
        list[str] | None,
        typer.Option(
            "--share", help="ARM=FRACTION traffic shares for the sample-ratio test (default equal)."
        ),
    ] = None,
) -> None:
    """Analyse every experiment in an outcomes file: each arm against the control."""
    from bot.experiments import analyze, read_outcomes

    try:
        frame = read_outcomes(outcomes)
        frame, currency = _one_currency(frame, currency)
        planned = {k: float(v) for k, v in _decimals(share or [], "--share").items()}
        shares = {str(e): planned for e in frame["experiment"].unique()} if planned else None
        try:
            analyses = analyze(frame, control=control, shares=shares, currency=currency)
        except ValueError as exc:
            raise InputError("--control", str(exc)) from exc
    except AppeaseError as exc:
        fail(str(exc))
    _print(analyses, as_json)


def _one_currency(frame: Any, currency: str | None) -> tuple[Any, str]:
    """Keep one currency's rows (money in two currencies is never added); say what was left."""
    chosen = (currency or "").upper()
    given = frame["currency"].dropna()
    if not chosen:
        chosen = str(given.mode().iloc[0]) if not given.empty else "USD"
    keep = frame["currency"].isna() | (frame["currency"] == chosen)
    if not keep.all():
        typer.echo(
            f"note: {int((~keep).sum())} rows in other currencies than {chosen} left out", err=True
        )
    if not keep.any():
        raise InputError("--currency", f"no rows in {chosen}")
    return frame[keep].drop(columns="currency"), chosen


def _print(analyses: list[ExperimentAnalysis], as_json: bool) -> None:
    if as_json:
        typer.echo(dump({"experiments": [a.model_dump(mode="json") for a in analyses]}))
        return
    from bot.experiments import metric_label

    for a in analyses:
        typer.echo(f"experiment {a.experiment} (control {a.control}, money in {a.currency})")
        for arm in a.arms:
            typer.echo(
                f"  {arm.arm:<16} n={arm.n:<6} spend/customer={_num(arm.spend_mean)}  "
                f"CLV after={_num(arm.clv_after_mean)}  net value={_num(arm.net_value_mean)}  "
                f"CLV post-issue={_num(arm.clv_post_issue_pct)}%  retention={_num(arm.retention_pct)}%"
            )
        for e in a.effects:
            typer.echo(
                f"  {e.arm} - {a.control}: {metric_label(e.metric):<26} {e.estimate:+.2f} "
                f"[{e.ci_low:+.2f}, {e.ci_high:+.2f}] p={e.p_value:.3g}"
            )
        for line in a.verdicts:
            typer.echo(f"  verdict: {line}")
        for line in a.warnings:
            typer.echo(f"  warning: {line}")
        for line in a.notes:
            typer.echo(f"  note: {line}")


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app)
