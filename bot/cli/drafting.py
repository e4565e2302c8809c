"""`appease check-draft`, `resolve` and `triage`: the pipeline from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli._io import fail, run_json_command
from bot.errors import AppeaseError

__all__ = ["register"]

triage_app = typer.Typer(help="Read category, severity, sentiment and language from a message.")
Jsonl = Annotated[bool, typer.Option("--jsonl", help="One object a line in, one a line out.")]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: policies/default.yaml).")
]


def register(app: typer.Typer) -> None:
    app.command("check-draft")(check_draft_cmd)
    app.command("resolve")(resolve_cmd)
    app.add_typer(triage_app, name="triage")


def check_draft_cmd(jsonl: Jsonl = False) -> None:
    """Read {"draft", "decision"} and print {"ok", "violations"}."""
    from bot.domain import OfferDecision
    from bot.drafting import check_draft
    from bot.errors import InputError

    def handle(obj: Any) -> Any:
        if not isinstance(obj, dict) or not isinstance(obj.get("draft"), str):
            raise InputError("draft", "must be a string")
        return check_draft(obj["draft"], OfferDecision.model_validate(obj.get("decision")))

    run_json_command(handle, jsonl=jsonl)


def resolve_cmd(policy: PolicyOpt = None, jsonl: Jsonl = False) -> None:
    """Read a ticket and print the decision and the guarded reply; the configured model writes."""
    from bot.config import get_settings
    from bot.domain import Ticket
    from bot.drafting import Drafter, get_chat_model
    from bot.pipeline import resolve
    from bot.policy import load_policy

    try:
        loaded = load_policy(policy)
        settings = get_settings()
        drafter = Drafter(get_chat_model(settings), provider=settings.llm)
    except AppeaseError as exc:
        fail(str(exc))

    def handle(obj: Any) -> Any:
        result = resolve(Ticket.model_validate(obj), policy=loaded, drafter=drafter)
        return {
            "decision": result.decision.model_dump(mode="json"),
            "reply": result.reply.model_dump(mode="json"),
        }

    run_json_command(handle, jsonl=jsonl)


@triage_app.callback(invoke_without_command=True)
def triage_cmd(ctx: typer.Context, policy: PolicyOpt = None, jsonl: Jsonl = False) -> None:
    """Read {"message"} and print category, severity, sentiment, language and confidence."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.errors import InputError
    from bot.policy import load_policy
    from bot.triage import load_triager

    try:
        loaded = load_policy(policy)
    except AppeaseError as exc:
        fail(str(exc))
    triager = load_triager()

    def handle(obj: Any) -> Any:
        if not isinstance(obj, dict) or "message" not in obj:
            raise InputError("message", "Field required")
        return triager.triage(obj["message"], policy=loaded)

    run_json_command(handle, jsonl=jsonl)


@triage_app.command("train")
def train_cmd(
    labelled: Annotated[
        Path, typer.Argument(help="CSV with text, category, severity[, language].")
    ],
    out: Annotated[Path, typer.Option(help="Where to save the trained model.")] = Path(
        "triage-model.pkl"
    ),
) -> None:
    """Train triage on your own labelled tickets and report held-out accuracy."""
    from bot.triage import read_labelled, train
    from bot.triage._evaluate import evaluate

    try:
        rows = read_labelled(labelled)
    except AppeaseError as exc:
        fail(str(exc))
    report = evaluate(rows)
    model = train(labelled, rows=rows)
    model.save(out)
    typer.echo(
        f"trained on {len(rows)} rows; held-out macro F1 {report.macro_f1:.3f}, "
        f"severity within one step {report.severity_within_one:.1%}; saved {out}",
        err=True,
    )
