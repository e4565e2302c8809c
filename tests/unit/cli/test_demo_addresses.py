"""The addresses `appease demo --serve` prints must survive being copied out of a log."""

from __future__ import annotations

import io

from rich.console import Console

from bot.cli.demo import print_addresses


def test_addresses_are_printed_whole_into_a_narrow_log() -> None:
    out = io.StringIO()
    console = Console(file=out, width=60, force_terminal=False)
    token = "eyJzdWIiOiIwMDAyOSJ9." + "x" * 80  # longer than the log is wide
    keys = {"agent": "AgentKey", "admin": "AdminKey", "service": "ServiceKey"}
    print_addresses(console, "http://127.0.0.1:8000", token, keys, "00029")
    lines = out.getvalue().splitlines()
    assert (
        f"widget:       http://127.0.0.1:8000/widget?token={token}&order_id=W-1&order_value=60"
        in lines
    )
    assert "agent assist: http://127.0.0.1:8000/assist?key=AgentKey&customer=00029" in lines
    assert len(lines) == 4
