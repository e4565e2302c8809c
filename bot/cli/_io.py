"""Plumbing for the JSON-in, JSON-out commands (`decide`, `check-draft`, `resolve`, `triage`).

One object on stdin, or `--jsonl`: one object a line in, one a line out, in order. A bad line
prints `{"error": ...}` on its own line and the rest go on; a bad single object exits 2 with a
message naming the field on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TextIO

import typer
from pydantic import BaseModel, ValidationError

from bot.errors import AppeaseError, InputError

__all__ = ["describe_error", "dump", "fail", "run_json_command", "validation_to_input_error"]


def validation_to_input_error(exc: ValidationError) -> InputError:
    """Name the first bad field as a dotted path (`customer.residual_clv`)."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(root)"
    return InputError(field, err["msg"])


def describe_error(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        exc = validation_to_input_error(exc)
    if isinstance(exc, InputError):
        return {"error": str(exc), "field": exc.field}
    return {"error": str(exc)}


def dump(obj: Any) -> str:
    if isinstance(obj, BaseModel):
        return obj.model_dump_json()
    return json.dumps(obj, default=str, ensure_ascii=False)


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run_json_command(
    handle: Callable[[Any], Any],
    *,
    jsonl: bool,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Parse stdin, call `handle(obj)` per object, print results; map errors to exit codes."""
    src = stdin or sys.stdin
    out = stdout or sys.stdout
    if jsonl:
        for lineno, line in enumerate(src, start=1):
            if not line.strip():
                continue
            try:
                result = dump(handle(json.loads(line)))
            except json.JSONDecodeError as exc:
                result = dump({"error": f"line {lineno}: not JSON: {exc.msg}"})
            except (AppeaseError, ValidationError) as exc:
                err = describe_error(exc)
                err["error"] = f"line {lineno}: {err['error']}"
                result = dump(err)
            out.write(result + "\n")
            out.flush()
        return
    text = src.read()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"input is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    try:
        result = handle(obj)
    except (AppeaseError, ValidationError) as exc:
        fail(describe_error(exc)["error"])
    out.write(dump(result) + "\n")
