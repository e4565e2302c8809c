"""`python -m bot.cli` is the command line too (a checkout run without the console script)."""

from __future__ import annotations

import subprocess
import sys

from bot.policy import load_policy


def test_python_dash_m_bot_cli_runs_the_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "policy", "check", "policies/default.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ok {load_policy().version}"
