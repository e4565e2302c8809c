"""Run benchmarks by name: `python -m bench kpi`, or every bench/<name>.py when none is named.

Each module exposes `main(argv: list[str]) -> int | None`; arguments after `--` go to it. New
benchmarks need no registration here: a module with a `main` is found by its file name.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names, rest = argv, []
    if "--" in argv:
        cut = argv.index("--")
        names, rest = argv[:cut], argv[cut + 1 :]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}",
            file=sys.stderr,
        )
        return 2
    status = 0
    for name in names or available():
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench {name}", flush=True)
        status = max(status, int(module.main(list(rest)) or 0))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
