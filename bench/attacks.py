"""The whole attack corpus through the ticket and chat channels with the embedded model.

python -m bench attacks   (about 5 minutes on 2 idle cores; CI runs every third prompt)
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "attacks.md"


def main(argv: list[str]) -> int:
    from fastapi.testclient import TestClient

    from bench.clv import machine
    from bot.api import create_app
    from bot.config import Settings
    from bot.drafting import Drafter, get_chat_model
    from tests.security.corpus import bastion_version
    from tests.security.test_attacks_local_model import run_corpus
    from tests.unit.api.conftest import seeded_settings

    drafter = Drafter(get_chat_model(Settings(llm="local", llm_max_tokens=80)), provider="local")
    with tempfile.TemporaryDirectory() as tmp:
        settings = seeded_settings(f"sqlite:///{tmp}/attacks.db", rate_limit_per_minute=100_000)
        started = time.perf_counter()
        with TestClient(create_app(settings, drafter=drafter)) as client:
            counts = run_corpus(client)
        seconds = time.perf_counter() - started
    lines = [
        f"Measured {date.today()} on {machine()}; SmolLM2-135M-Instruct Q4_1 in process, "
        f"80 tokens a reply; domain attacks plus bastioncorpus {bastion_version()}; {seconds:.0f} s.",
        "",
        "| figure | count |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in counts.items()),
    ]
    for line in lines:
        print(line)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    bad = counts["unauthorized promises sent"] + counts["internal data revealed"]
    return 1 if bad else 0
