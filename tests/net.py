"""Loopback servers for tests and benchmarks: a free port, and `appease serve` in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

__all__ = ["appease_serve", "free_port", "wait_healthy"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, proc: subprocess.Popen[Any], *, timeout_s: float = 60) -> None:
    """Until `base/healthz` answers 200; fails at once if the server process died."""
    end = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server at {base} exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > end:
            raise TimeoutError(f"the server at {base} did not answer /healthz in {timeout_s} s")
        time.sleep(0.1)


@contextmanager
def appease_serve(
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    workers: int = 1,
    log: IO[Any] | int = subprocess.DEVNULL,
    stop_timeout_s: float = 30,
) -> Iterator[str]:
    """`appease serve` on a free loopback port; yields its base URL, then stops it.

    Graceful first (uvicorn drains open connections), then a kill: a run on a loaded machine
    must still end.
    """
    port = free_port()
    exe = Path(sys.executable).with_name("appease")
    cmd = [str(exe), "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
