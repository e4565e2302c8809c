"""`appease check-draft` and `resolve`: the pipeline from the command line (triage: bot.cli.triage)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli._io import fail, run_json_command
from bot.errors import AppeaseError

__all__ = ["register"]

Jsonl = Annotated[bool, typer.Option("--jsonl", help="One object a line in, one a line out.")]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="Policy YAML (default: policies/default.yaml).")
]


def register(app: typer.Typer) -> None:
    app.command("check-draft")(check_draft_cmd)
    app.command("resolve")(resolve_cmd)


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
    from bot.drafting import Drafter
    from bot.pipeline import resolve
    from bot.policy import load_policy

    try:
        settings = get_settings()
        loaded = load_policy(policy or settings.policy_path)
        drafter = Drafter.from_settings(settings)
    except AppeaseError as exc:
        fail(str(exc))

    def handle(obj: Any) -> Any:
        result = resolve(Ticket.model_validate(obj), policy=loaded, drafter=drafter)
        return {
            "decision": result.decision.model_dump(mode="json"),
            "reply": result.reply.model_dump(mode="json"),
        }

    run_json_command(handle, jsonl=jsonl)
