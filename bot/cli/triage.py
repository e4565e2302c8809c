"""`appease triage` (read a message) and `appease triage train FILE.csv` (fit your own tickets).

`appease triage` reads `{"message": TEXT}` (optionally `"confirmed_severity"` from your order
data) and prints category, severity, sentiment, language, order references, whether the
customer asks for a person, and a confidence per field; `--jsonl` for one object a line. With
`APPEASE_LLM=openai` the configured model refines the classifier's reading.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli._io import dump, fail, run_json_command
from bot.errors import AppeaseError

__all__ = ["register"]

log = logging.getLogger(__name__)

triage_app = typer.Typer(
    help="Read category, severity, sentiment and language from a customer's message."
)
Jsonl = Annotated[bool, typer.Option("--jsonl", help="One object a line in, one a line out.")]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: the shipped default).")
]
ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", help="A model written by `appease triage train` (default: shipped)."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(triage_app, name="triage")


@triage_app.callback(invoke_without_command=True)
def triage_cmd(
    ctx: typer.Context, policy: PolicyOpt = None, model: ModelOpt = None, jsonl: Jsonl = False
) -> None:
    """Read {"message"} on stdin; print category, severity, sentiment, language, confidence."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.errors import InputError
    from bot.policy import load_policy
    from bot.triage import Triager, load_triager

    try:
        loaded = load_policy(policy)
        triager = Triager.load(model) if model is not None else load_triager()
    except AppeaseError as exc:
        fail(str(exc))
    triager = triager.with_chat_model(_refining_model())

    def handle(obj: Any) -> Any:
        if not isinstance(obj, dict) or "message" not in obj:
            raise InputError("message", "Field required")
        confirmed = obj.get("confirmed_severity")
        return triager.triage(obj["message"], policy=loaded, confirmed_severity=confirmed)

    run_json_command(handle, jsonl=jsonl)


def _refining_model() -> Any:
    """The configured chat model when it is a capable (`openai`) one, else None."""
    from bot.config import get_settings

    settings = get_settings()
    if settings.llm != "openai":
        return None
    from bot.drafting import get_chat_model

    try:
        return get_chat_model(settings)
    except AppeaseError as exc:
        log.warning("no model to refine triage, the classifier answers: %s", exc)
        return None


@triage_app.command("train")
def train_cmd(
    labelled: Annotated[
        Path, typer.Argument(help="CSV: text, category, severity (1-3)[, language, group].")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the model.")] = Path(
        "triage-model.json"
    ),
    test_share: Annotated[
        float, typer.Option(min=0.05, max=0.5, help="Share held out to report accuracy.")
    ] = 0.25,
) -> None:
    """Train triage on your own labelled tickets; prints held-out accuracy as JSON."""
    from bot.errors import InputError
    from bot.triage import evaluate, read_labelled, train

    try:
        rows = read_labelled(labelled)
        held_out: dict[str, Any] | None = None
        try:
            report = evaluate(rows, test_share=test_share)
            held_out = {
                "macro_f1": round(report.macro_f1, 3),
                "severity_within_one": round(report.severity_within_one, 3),
                "severity_exact": round(report.severity_exact, 3),
                "n_test": report.n_test,
            }
        except InputError as exc:  # too few rows or categories left after the split
            log.warning("no held-out score: %s", exc)
        model = train(rows=rows, source=str(labelled))
        model.save(out)
    except (AppeaseError, OSError) as exc:
        fail(str(exc))
    typer.echo(dump({"rows": len(rows), "saved": str(out), "held_out": held_out}))
