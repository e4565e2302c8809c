"""Finding and reading policy files: the only part of bot.policy that touches the disk."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.errors import PolicyError
from bot.policy._schema import Policy, parse_policy

__all__ = ["default_policy_path", "load_policy"]


def default_policy_path() -> Path:
    """The shipped default policy: package data (`bot/policies/`, linked as `policies/` at the
    project root), so a wheel install finds it as an editable one does."""
    return Path(str(resources.files("bot") / "policies" / "default.yaml"))


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and validate a policy file (None: the project's default); errors name the file."""
    target = Path(path) if path is not None else default_policy_path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyError(str(target), "no such policy file") from exc
    except IsADirectoryError as exc:
        raise PolicyError(str(target), "is a folder, not a policy file") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(str(target), f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise PolicyError(str(target), f"cannot read: {exc.strerror or exc}") from exc
    return parse_policy(text, source=str(target))
