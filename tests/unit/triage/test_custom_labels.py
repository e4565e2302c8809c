"""A business retrains triage on its own labels: an airline's flight_delayed, flight_cancelled."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from bot.domain import PolicyCategory
from bot.errors import InputError
from bot.triage import read_labelled, train

DELAYED = [
    "My flight {f} was delayed by {h} hours and I missed my connection.",
    "Flight {f} left {h} hours late, we sat at the gate all afternoon.",
    "We landed {h} hours behind schedule on {f}.",
]
CANCELLED = [
    "Flight {f} was cancelled the night before departure.",
    "You cancelled my flight {f} and rebooked me two days later.",
    "My flight {f} got cancelled at the airport with no explanation.",
]


def _labels(path: Path, n: int = 60) -> Path:
    rng = random.Random(5)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category", "severity"])
        for i in range(n):
            pattern, label = (
                (rng.choice(DELAYED), "flight_delayed")
                if i % 2
                else (rng.choice(CANCELLED), "flight_cancelled")
            )
            w.writerow(
                [
                    pattern.format(f=f"LH{rng.randint(100, 999)}", h=rng.randint(2, 9)),
                    label,
                    rng.choice("123"),
                ]
            )
    return path


def test_a_business_retrains_triage_on_its_own_labels(tmp_path: Path) -> None:
    triager = train(_labels(tmp_path / "airline.csv"))
    delayed = triager.triage("Our flight LH455 was delayed by 5 hours, we missed the meeting.")
    cancelled = triager.triage("They cancelled flight LH120 an hour before boarding.")
    assert delayed.category == "flight_delayed" and isinstance(delayed.category, PolicyCategory)
    assert cancelled.category == "flight_cancelled"


def test_a_label_that_is_not_a_category_name_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = _labels(tmp_path / "airline.csv")
    rows = path.read_text().splitlines()
    rows[3] = rows[3].rsplit(",", 2)[0] + ",Flight Delayed!,2"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"row 3: 'Flight Delayed!' is not a category"):
        read_labelled(path)
