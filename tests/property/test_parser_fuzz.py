"""Fuzzing the parsers that read what outsiders write: transaction CSVs, policy YAML, webhooks.

The property is the same for each: the input is accepted, or refused with appease's own error
(`bot.errors`: exit code 2 on the command line, a 4xx with a `detail` over HTTP). Never another
exception, never a 5xx, and never half the data: an import that fails loads nothing, one that
succeeds loads every row. Inputs are structured (right columns and keys, with bad values mixed
in) as well as random, so the fuzzer gets past the first check. Example counts are a share of
the hypothesis profile's (about 1,750 examples in `dev`): the file runs in 20-45 s on 2 cores.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from bot.api import create_app
from bot.cli import app as cli
from bot.domain import Case, OfferKind
from bot.drafting import Drafter
from bot.errors import AppeaseError, InputError, PolicyError
from bot.policy import decide, default_policy_path, load_policy, parse_policy
from bot.scoring import ConvergenceWarning, read_transactions
from bot.service import import_customers
from bot.store import (
    Customer,
    Message,
    ModelParams,
    ScoreSnapshot,
    Ticket,
    Transaction,
    make_engine,
    make_sessionmaker,
    upgrade,
)
from tests.factories import make_case
from tests.unit.api.conftest import SERVICE, seeded_settings


def fuzz(share: float, least: int = 10) -> settings:
    """`share` of the active profile's examples (dev 200, ci 1000), at least `least`."""
    return settings(
        max_examples=max(least, int(settings.default.max_examples * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


runner = CliRunner()

# -- transaction CSVs ---------------------------------------------------------------------------

COLUMNS = ["customer_id", "date", "amount"]
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%m/%d/%Y",
]


def _good_cell(rng: random.Random, column: str) -> str:
    """A cell a real export holds: a few customers buying again over two years."""
    if column == "customer_id":
        return f"c{rng.randrange(6)}" if rng.random() < 0.9 else f"cust-{rng.randrange(10**6)}"
    if column == "date":
        day = pd.Timestamp("2024-01-01", tz="Europe/Paris") + pd.Timedelta(days=rng.randrange(730))
        return day.strftime(rng.choice(DATE_FORMATS))
    if column == "amount":
        return f"{rng.uniform(1, 400):.2f}"
    return rng.choice(["", "gift", "promo, spring", 'said "hi"'])


junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "NaN",
            "inf",
            "-1",
            "1e400",
            "1e308",
            "now",
            "today",
            "0x10",
            "9999-99-99",
            "1900-01-01",
            "2300-01-01",
            "NULL",
            '"',
            ",",
            "\n",
            "\x00",
        ]
    ),
)


DEFECTS = [
    "junk cell",
    "drop column",
    "duplicate column",
    "by hand",
    "utf-16",
    "binary",
    "short row",
    "long row",
    "no rows",
    "quote",
    "trailing comma",
]


@st.composite
def transaction_csvs(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A CSV file's bytes, and whether it is a good one (half are; the rest have 1-3 defects).

    Good files vary what a good file may: column order, extra columns, quoting, line endings,
    a byte-order mark, dates with and without offsets. Customers come from a small pool so
    that some buy again and the models have something to fit.
    """
    defects = draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))
    broken = draw(st.lists(st.sampled_from(DEFECTS), min_size=defects, max_size=defects))
    header = list(draw(st.permutations(COLUMNS)))
    if draw(st.booleans()):
        header.insert(draw(st.integers(0, 3)), draw(st.sampled_from(["note", "x", ""])))
    rng = random.Random(draw(st.integers(0, 2**32)))
    count = 0 if "no rows" in broken else draw(st.integers(1, 40))
    rows = [[_good_cell(rng, c) for c in header] for _ in range(count)]
    by_hand = False
    for defect in sorted(broken, key=DEFECTS.index):  # column defects before row defects
        present = [c for c in COLUMNS if c in header]
        if defect == "junk cell" and rows and present:
            row = draw(st.sampled_from(rows))
            row[header.index(draw(st.sampled_from(present)))] = draw(junk)
        elif defect == "drop column" and present:
            i = header.index(draw(st.sampled_from(present)))
            header.pop(i)
            for row in rows:
                row.pop(i)
        elif defect == "duplicate column":
            header.append(draw(st.sampled_from(COLUMNS)))
            for row in rows:
                row.append(draw(junk))
        elif defect == "short row" and rows:
            draw(st.sampled_from(rows)).pop()
        elif defect == "long row" and rows:
            draw(st.sampled_from(rows)).append(draw(st.text(max_size=5)))
        elif defect == "trailing comma":
            for row in rows:
                row.append("")
        elif defect == "quote" and rows:
            row = draw(st.sampled_from(rows))
            row[0] = '"' + row[0]
        elif defect == "by hand":
            by_hand = True
    out = io.StringIO()
    if by_hand:  # commas and quotes inside cells are not escaped, as a careless export does
        out.write("\n".join(",".join(r) for r in [header, *rows]))
    else:
        newline = draw(st.sampled_from(["\n", "\r\n"]))
        csv.writer(out, lineterminator=newline).writerows([header, *rows])
    encoding = "utf-16" if "utf-16" in broken else draw(st.sampled_from(["utf-8", "utf-8-sig"]))
    data = out.getvalue().encode(encoding)
    if "binary" in broken:
        data = draw(st.binary(max_size=200))
    # "short row", "long row", "quote" or "by hand" may leave a file that still reads right
    # (a trailing empty cell, a quote pandas tolerates): only a defect-free file must be read.
    return data, not broken


def _fits_may_warn() -> None:
    """Inside `catch_warnings`: a fit that did not converge warns and goes on, and so do
    numpy's overflow warnings on extreme histories; the property is on what comes out (finite
    scores, or a `ConvergenceError`), not on warnings, which production does not raise."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", RuntimeWarning)


def _write(tmp: Path, data: bytes) -> Path:
    path = tmp / f"tx-{uuid.uuid4().hex}.csv"  # not `random`: hypothesis seeds it per example
    path.write_bytes(data)
    return path


def _check_frame(df: pd.DataFrame) -> None:
    assert list(df.columns) == COLUMNS
    assert not df.isna().any().any()
    assert (df["customer_id"].str.strip() != "").all()
    assert ((df["amount"] >= 0) & (df["amount"] < float("inf"))).all()


@fuzz(2.0)
@given(transaction_csvs())
def test_read_transactions_loads_every_row_or_raises_input_error(tmp_path: Path, csv_file) -> None:
    data, clean = csv_file
    path = _write(tmp_path, data)
    try:
        df = read_transactions(path)
    except InputError as exc:
        # Good cells may still be ambiguous as a column (US dates that all read both ways):
        # that refusal is by design, and it must name both readings.
        ambiguous = "(day first)" in str(exc) and "(month first)" in str(exc)
        assert not clean or ambiguous, "a file of good cells under the right header was refused"
        event("refused")
        return
    event("read")
    _check_frame(df)
    if clean:
        header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        where = header.index("customer_id")
        assert list(df["customer_id"]) == [r[where] for r in rows], "rows lost or invented"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("c1,now,5\n", "date: row 1: cannot read 'now'"),
        ("c1,2024-01-01,5,\nc2,2024-01-02,6,\n", "more fields than the header"),
        ("c1,2024-01-01,1e13\n", "amount: row 1: '1e13' is above 999999999999.99"),
    ],
    ids=["clock word", "trailing comma", "beyond the store"],
)
def test_what_the_fuzzer_found_in_csvs_is_refused_by_name(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = _write(tmp_path, ("customer_id,date,amount\n" + text).encode())
    with pytest.raises(InputError, match=re.escape(problem)):
        read_transactions(path)
    twice = _write(tmp_path, b"customer_id,date,amount,amount\nc1,2024-01-01,5,6\n")
    with pytest.raises(InputError, match="amount: column given twice"):
        read_transactions(twice)


def test_mixed_utc_offsets_are_one_timeline(tmp_path: Path) -> None:
    rows = "c1,2024-01-01 12:00,5\nc2,2024-01-01T12:00:00+02:00,6\nc3,2024-01-01T12:00:00Z,7\n"
    df = read_transactions(_write(tmp_path, ("customer_id,date,amount\n" + rows).encode()))
    assert [str(d) for d in df["date"]] == [
        "2024-01-01 12:00:00",
        "2024-01-01 10:00:00",
        "2024-01-01 12:00:00",
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _counts(sessions: Any) -> tuple[int, int]:
    with sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Transaction)) or 0,
            s.scalar(select(func.count()).select_from(Customer)) or 0,
        )


@fuzz(0.1)
@given(transaction_csvs())
def test_customers_import_is_all_or_nothing(store, tmp_path: Path, csv_file) -> None:
    data, _ = csv_file
    path = _write(tmp_path, data)
    if _counts(store)[0] > 2_000:  # each import refits on the whole store: keep it small
        with store.begin() as s:
            for table in (ScoreSnapshot, ModelParams, Transaction, Customer):
                s.execute(delete(table))
    before = _counts(store)
    try:
        with warnings.catch_warnings():
            _fits_may_warn()
            summary = import_customers(store, path)
    except AppeaseError as exc:
        assert _counts(store) == before, "a failed import left rows behind"
        event(f"refused: {type(exc).__name__}")
        return
    event("imported")
    expected = read_transactions(path)
    tx, customers = _counts(store)
    assert summary.transactions == len(expected) == tx - before[0]
    assert customers - before[1] <= summary.customers == expected["customer_id"].nunique()


@fuzz(0.1)
@given(transaction_csvs())
def test_clv_score_exits_0_or_2_and_writes_all_or_nothing(tmp_path: Path, csv_file) -> None:
    data, _ = csv_file
    path = _write(tmp_path, data)
    out = path.with_suffix(".scores.csv")
    with warnings.catch_warnings():
        _fits_may_warn()
        result = runner.invoke(cli, ["clv", "score", str(path), "--out", str(out)])
    assert result.exit_code in (0, 2), f"{result.exit_code}: {result.output}\n{result.exception!r}"
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    event(f"exit {result.exit_code}")
    if result.exit_code == 2:
        assert not out.exists() and result.stderr.startswith("error: ")
        return
    scores = pd.read_csv(out, keep_default_na=False, dtype={"customer_id": str})
    assert len(scores) == read_transactions(path)["customer_id"].nunique()
    numbers = scores[["p_alive", "expected_purchases", "clv"]].apply(pd.to_numeric, errors="coerce")
    assert numbers.notna().all().all(), "a score that is not a number was written"
    assert not list(out.parent.glob(f".{out.name}.*.tmp"))


@fuzz(0.025, least=5)
@given(transaction_csvs())
def test_customers_import_command_exits_0_or_2_and_loads_all_or_nothing(
    tmp_path: Path, csv_file
) -> None:
    data, _ = csv_file
    path = _write(tmp_path, data)
    url = f"sqlite:///{tmp_path / 'appease.db'}"  # the autouse fixture's APPEASE_DATABASE_URL
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    before = _counts(sessions)
    with warnings.catch_warnings():
        _fits_may_warn()
        result = runner.invoke(cli, ["customers", "import", str(path)])
    after = _counts(sessions)
    engine.dispose()
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), f"{result.exit_code}: {result.output}\n{result.exception!r}"
    if result.exit_code == 2:
        assert after == before and "error: " in result.stderr
    else:
        assert after[0] - before[0] == len(read_transactions(path))


# -- policy YAML --------------------------------------------------------------------------------

DEFAULT_TEXT = default_policy_path().read_text(encoding="utf-8")
DEFAULT = yaml.safe_load(DEFAULT_TEXT)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=10),
    st.dates(),
    st.decimals(allow_nan=False).map(str),
    st.sampled_from(
        [k.value for k in OfferKind] + ["gold", "bronze", "platinum", "1e30", "-0.5", "1.5"]
    ),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(st.text(max_size=8), st.integers(0, 5)), inner, max_size=4)
    ),
    max_leaves=12,
)


def _walk(data: Any, rng: random.Random) -> tuple[Any, Any]:
    """A random (container, key) inside `data`."""
    node, key = data, None
    while isinstance(node, dict | list) and node and rng.random() < 0.7:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        if not isinstance(node[key], dict | list) or not node[key]:
            return node, key
        node = node[key]
    if isinstance(node, dict | list) and node:
        return node, rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
    return None, None


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every number in the policy data."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _leaves(v, (*path, i))]
    return [path] if isinstance(data, int | float) and not isinstance(data, bool) else []


OPTIONAL = [
    "segments",
    "offer_values",
    "abuse",
    "budget",
    "no_residual",
    "triage",
    "followup",
    "kpi",
    "min_amount",
    "refunds_from_tier",
]
numbers = st.one_of(
    st.decimals(0, 1, places=2).map(float),
    st.integers(0, 500),
    st.integers(-5, 10**14),
    st.floats(0, 1e13),
    st.sampled_from([0.0, 1.0, 999999999999.99, 1e12, -0.01]),
)


@st.composite
def mutated_policies(draw: st.DrawFn) -> str:
    """policies/default.yaml edited as a business might (numbers changed, optional sections
    removed, kinds moved), or broken: values replaced by anything, keys added, text damaged."""
    data = json.loads(json.dumps(DEFAULT, default=str))
    rng = random.Random(draw(st.integers(0, 2**32)))
    if draw(st.booleans()):  # an edit within the schema's vocabulary
        for _ in range(draw(st.integers(1, 4))):
            change = draw(st.sampled_from(["number", "number", "number", "drop", "kinds", "tier"]))
            if change == "number":
                *parent, last = draw(st.sampled_from(_leaves(data)))
                node = data
                for part in parent:
                    node = node[part]
                node[last] = draw(numbers)
            elif change == "drop":
                data.pop(draw(st.sampled_from(OPTIONAL)), None)
            elif change == "kinds":
                tier = data["tiers"][draw(st.sampled_from(list(data["tiers"])))]
                tier["kinds"] = draw(
                    st.lists(
                        st.sampled_from([k.value for k in OfferKind]),
                        min_size=1,
                        max_size=4,
                        unique=True,
                    )
                )
            else:
                data["refunds_from_tier"] = draw(st.sampled_from(list(data["tiers"])))
        return yaml.safe_dump(data, sort_keys=draw(st.booleans()))
    for _ in range(draw(st.integers(1, 3))):
        node, key = _walk(data, rng)
        if node is None:
            continue
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del node[key]
        elif action == "add" and isinstance(node, dict):
            node[draw(st.text(min_size=1, max_size=8))] = draw(yaml_values)
        else:
            node[key] = draw(yaml_values)
    lines = yaml.safe_dump(data, sort_keys=draw(st.booleans()), allow_unicode=True).splitlines()
    damage = draw(st.sampled_from(["none", "none", "drop", "duplicate", "char", "tab"]))
    if damage != "none" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        if damage == "drop":
            del lines[i]
        elif damage == "duplicate":
            lines.insert(i, lines[i])
        elif damage == "char":
            j = draw(st.integers(0, len(lines[i])))
            bad = draw(
                st.sampled_from([":", "-", "[", "{", "&a", "*a", "!!python/object", "'", "#"])
            )
            lines[i] = lines[i][:j] + bad + lines[i][j:]
        else:
            lines[i] = "\t" + lines[i]
    return "\n".join(lines) + "\n"


def _fixed_cases() -> list[Case]:
    """Cases for decide() under every accepted policy: each tier, category and severity."""
    rng = random.Random(7)
    tiers, categories = ["bronze", "silver", "gold", "platinum"], list(DEFAULT["categories"])
    return [
        make_case(
            tier=tiers[i % 4],
            category=categories[i % len(categories)],
            severity=1 + i % 3,
            clv=str(rng.choice([0, 15, 200, 5000, 10**9])),
            order_value=str(rng.choice([0, 1, 80, 999999.99, 10**11])),
        )
        for i in range(24)
    ]


CASES = _fixed_cases()


def _parses_or_policy_error(text: str) -> bool:
    """True if the policy was accepted (and then ran), False if refused with a PolicyError."""
    try:
        policy = parse_policy(text, source="fuzz.yaml")
    except PolicyError as exc:
        assert str(exc).startswith("fuzz.yaml")
        return False
    # A policy the schema accepts is one the engine can run, within the cap.
    for case in CASES:
        d = decide(case, policy)
        assert d.offer.amount <= d.cap
    return True


@fuzz(2.0)
@given(mutated_policies())
def test_mutated_default_policy_parses_or_names_the_problem(text: str) -> None:
    event("accepted" if _parses_or_policy_error(text) else "refused")


@fuzz(1.0)
@given(yaml_values)
def test_random_yaml_is_refused_with_a_policy_error(value: Any) -> None:
    event("accepted" if _parses_or_policy_error(yaml.safe_dump(value)) else "refused")


@fuzz(1.0)
@given(st.text(max_size=300))
def test_random_text_is_refused_with_a_policy_error(text: str) -> None:
    event("accepted" if _parses_or_policy_error(text) else "refused")


@fuzz(0.25)
@given(st.binary(max_size=300))
def test_a_policy_file_of_any_bytes_is_refused_with_a_policy_error(
    tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / f"policy-{uuid.uuid4().hex}.yaml"
    path.write_bytes(raw)
    try:
        load_policy(path)
    except PolicyError as exc:
        assert str(exc).startswith(str(path))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "a: &a [*a]\n",
        "version: x\n? [a, b]\n: 1\n",
        "!!python/object/apply:os.system ['true']\n",
        "a: 1\na: 2\n",
        "\x00",
        "\ufeffversion: x\n",
    ],
    ids=["deep", "recursive alias", "complex key", "python tag", "duplicate", "nul", "bom"],
)
def test_hostile_yaml_is_refused_with_a_policy_error(text: str) -> None:
    _parses_or_policy_error(text)


# -- Zendesk webhooks over HTTP ---------------------------------------------------------------


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    # The CI profile sends thousands of payloads with one key: lift the per-key rate limit, or
    # the tests after the fuzzer would be answered 429 instead of what they check.
    settings_ = seeded_settings(
        f"sqlite:///{tmp_path_factory.mktemp('hooks') / 'hooks.db'}",
        rate_limit_per_minute=1_000_000,
    )
    engine = make_engine(settings_.database_url)
    with TestClient(
        create_app(settings_, drafter=Drafter(None)), raise_server_exceptions=False
    ) as c:
        yield c, make_sessionmaker(engine)
    engine.dispose()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "40",
            "40.00",
            "0",
            "-5",
            "NaN",
            "Infinity",
            "1e30",
            "1e999999999",
            "1e-999999",
            "12345678901234567890.5",
            "999999999999.99",
            "1_000",
            " 40 ",
            "40,00",
            "",
            "USD",
            "usd",
            "XX",
            "EURO",
            "Z-1",
            "x" * 300,
        ]
    ),
)


@st.composite
def zendesk_payloads(draw: st.DrawFn) -> Any:
    """A valid payload with one to three things changed; one in ten is any JSON at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    ticket: dict[str, Any] = {
        "id": draw(st.one_of(st.integers(0, 2**70), st.text(min_size=1, max_size=12))),
        "description": draw(st.sampled_from(["My parcel is late.", "The lamp arrived broken!"])),
        "requester": {"external_id": draw(st.sampled_from(["5", "6", "7"]))},
        "custom_fields": [
            {"id": "order_id", "value": draw(st.from_regex(r"Z-[0-9]{1,4}", fullmatch=True))},
            {"id": "order_value", "value": draw(st.decimals(0, 5000, places=2).map(str))},
        ],
    }
    fields = ticket["custom_fields"]
    for _ in range(draw(st.integers(1, 3))):
        change = draw(
            st.sampled_from(
                [
                    "order_id",
                    "order_value",
                    "order_value",
                    "currency",
                    "drop field",
                    "drop key",
                    "key",
                    "description",
                    "requester",
                ]
            )
        )
        if change in ("order_id", "order_value"):
            named = [f for f in fields if isinstance(f, dict) and f.get("id") == change]
            for f in named:
                f["value"] = draw(field_values)
        elif change == "currency":
            fields.append({"id": "currency", "value": draw(field_values)})
        elif change == "drop field" and fields:
            del fields[draw(st.integers(0, len(fields) - 1))]
        elif change == "drop key":
            del ticket[draw(st.sampled_from(list(ticket)))]
        elif change == "key":
            ticket[draw(st.sampled_from(["id", "custom_fields", "requester"]))] = draw(json_values)
        elif change == "description":
            ticket["description"] = draw(st.one_of(st.text(max_size=200), json_values))
        else:
            ticket["requester"] = draw(
                st.one_of(
                    json_values,
                    st.fixed_dictionaries(
                        {
                            "external_id": st.one_of(
                                st.sampled_from(["ghost", "", " ", "5" * 201]), json_values
                            )
                        }
                    ),
                )
            )
        if not isinstance(ticket.get("custom_fields"), list):
            break
        fields = ticket["custom_fields"]
    return {"ticket": ticket}


def _tickets(sessions: Any) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Ticket)) or 0


@fuzz(2.0)
@given(zendesk_payloads())
def test_zendesk_webhook_answers_2xx_or_4xx_with_detail(webhook, payload: Any) -> None:
    client, sessions = webhook
    before = _tickets(sessions)
    r = client.post("/v1/webhooks/zendesk", json=payload, headers=SERVICE)
    assert r.status_code < 500, r.text
    event(str(r.status_code))
    if r.status_code >= 400:
        assert "detail" in r.json()
        if r.status_code in (404, 422):  # refused before anything was stored
            assert _tickets(sessions) == before
        return
    body = r.json()["ticket"]
    assert body["comment"]["body"] and body["status"] in ("open", "solved")
    ticket_id = body["custom_fields"][0]["value"]
    with sessions() as s:
        said = s.scalars(
            select(Message.text).where(Message.ticket_id == ticket_id, Message.role == "customer")
        ).all()
    assert said == [payload["ticket"].get("description", "")], "the customer's words were not kept"


@fuzz(0.5)
@given(st.binary(max_size=300))
def test_zendesk_webhook_with_a_body_that_is_not_json_is_422(webhook, raw: bytes) -> None:
    client, _ = webhook
    r = client.post(
        "/v1/webhooks/zendesk", content=raw, headers={**SERVICE, "Content-Type": "application/json"}
    )
    assert 400 <= r.status_code < 500 and "detail" in r.json()


def test_money_beyond_what_the_store_holds_is_a_422_not_a_500(webhook) -> None:
    client, _ = webhook
    for value in ("1e30", "1e999999999", "12345678901234567890.5"):
        hook = {
            "ticket": {
                "id": f"big-{value}",
                "description": "late",
                "requester": {"external_id": "5"},
                "custom_fields": [
                    {"id": "order_id", "value": "B1"},
                    {"id": "order_value", "value": value},
                ],
            }
        }
        r = client.post("/v1/webhooks/zendesk", json=hook, headers=SERVICE)
        assert r.status_code == 422, r.text
        ticket = {"customer_id": "5", "order": {"id": "B2", "value": value}, "message": "late"}
        r = client.post("/v1/tickets", json=ticket, headers=SERVICE)
        assert r.status_code == 422, r.text


def test_a_null_order_id_is_missing_not_order_none(webhook) -> None:
    client, _ = webhook
    hook = {
        "ticket": {
            "id": "null-order",
            "description": "late",
            "requester": {"external_id": "5"},
            "custom_fields": [
                {"id": "order_id", "value": None},
                {"id": "order_value", "value": "40"},
            ],
        }
    }
    r = client.post("/v1/webhooks/zendesk", json=hook, headers=SERVICE)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "order_id"
