"""The main job: appease end to end on the bundled sample store, with the embedded defaults.

1. Build a store from the CDNOW purchase histories (23,570 customers, 1997-98), dates shifted
   so the history ends today, and score every customer.
2. Replay the bundled complaints (bot/demo/complaints.jsonl) through the ticket API
   (in-process HTTP, Idempotency-Key per ticket) with the configured model (default: local).
   Half the customers (sticky by customer) are in an apology-only holdout arm: the demo's
   experiment compares the default policy with no goodwill at all.
3. Send follow-ups on a simulated clock and record SIMULATED survey answers (labelled so).
4. After the measurement window, add SIMULATED post-issue purchases and rescore, so CLV
   post-issue can be measured; write the KPI report.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from bot.config import Settings

__all__ = ["DEMO_EXPERIMENT", "DemoResult", "load_complaints", "order_ids", "run_demo"]


@dataclass
class DemoResult:
    workdir: Path
    report: Path
    database_url: str
    keys: dict[str, str]
    widget_secret: str
    customers: int = 0
    transactions: int = 0
    tickets: list[dict[str, Any]] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    sample_customer: str = ""


def load_complaints() -> list[dict[str, Any]]:
    text = resources.files("bot.demo").joinpath("complaints.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _progress(console: Any) -> Any:
    """Rich bars on a terminal; into a log (CI, `make demo > log`), a line per step instead.

    A rich Progress on a non-terminal prints nothing until it ends: a first run that spends
    minutes on the model looked hung.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if console.is_terminal:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
    return _LogProgress(console)


class _LogProgress:
    """The slice of rich's Progress the demo uses, printing plain lines as it goes."""

    def __init__(self, console: Any, every: int = 8) -> None:
        self.console, self.every = console, every
        self.tasks: dict[int, list[Any]] = {}  # id -> [description, done, total]
        self.started = time.perf_counter()

    def __enter__(self) -> _LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _say(self, task: int) -> None:
        description, done, total = self.tasks[task]
        took = time.perf_counter() - self.started
        self.console.print(f"[{took:6.1f} s] {description}: {done}/{total}", highlight=False)

    def add_task(self, description: str, total: int) -> int:
        task = len(self.tasks)
        self.tasks[task] = [description, 0, total]
        self._say(task)
        return task

    def advance(self, task: int) -> None:
        self.tasks[task][1] += 1
        done, total = self.tasks[task][1], self.tasks[task][2]
        if done == total or done % self.every == 0:
            self._say(task)

    def update(
        self, task: int, *, description: str | None = None, completed: int | None = None
    ) -> None:
        if description is not None:
            self.tasks[task][0] = description
        if completed is not None:
            self.tasks[task][1] = completed
            self._say(task)


def run_demo(
    workdir: Path, *, llm: str | None = None, console: Any = None, limit: int | None = None
) -> DemoResult:
    """Run the whole demo into `workdir` (recreated) and return what it measured."""
    from fastapi.testclient import TestClient
    from rich.console import Console

    from bot.api import create_app
    from bot.drafting import Drafter
    from bot.kpi import KpiFilters, KpiWindows, compute_kpis, render_report
    from bot.policy import load_policy
    from bot.sample import cdnow_transactions
    from bot.service import import_transactions, record_survey, rescore, run_followups
    from bot.store import (
        Customer,
        SurveyPhase,
        SurveySource,
        Transaction,
        make_engine,
        make_sessionmaker,
        utcnow,
    )

    console = console or Console(stderr=True)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    keys = {
        "service": secrets.token_urlsafe(16),
        "agent": secrets.token_urlsafe(16),
        "admin": secrets.token_urlsafe(16),
    }
    widget_secret = secrets.token_urlsafe(24)
    url = f"sqlite:///{(workdir / 'appease.db').resolve()}"
    base = Settings()
    settings = base.model_copy(
        update={
            "database_url": url,
            "llm": llm or base.llm,
            "api_keys": ",".join(f"{k}:{role}" for role, k in keys.items()),
            "widget_secret": type(base.widget_secret)(widget_secret),
            # the sample complaints include EUR orders: the demo's sample rates, unless the
            # user gave their own
            "fx_rates": base.fx_rates or Path(__file__).with_name("fx_rates.csv"),
        }
    )
    result = DemoResult(
        workdir=workdir,
        report=workdir / "report.html",
        database_url=url,
        keys=keys,
        widget_secret=widget_secret,
    )
    policy = load_policy(settings.policy_path)
    now = utcnow()

    with _progress(console) as progress:
        # 1. the sample store
        task = progress.add_task("sample store: CDNOW purchase histories", total=4)
        tx = cdnow_transactions()
        shift = pd.Timestamp(now.date()) - tx["date"].max()
        tx = tx.assign(date=tx["date"] + shift)
        progress.advance(task)
        from bot.store import upgrade

        upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=f"sample store: {stage} {done:,}/{total:,}")

        summary = import_transactions(sessions, tx, progress=report)
        result.customers, result.transactions = summary.customers, summary.transactions
        progress.update(
            task, completed=4, description=f"sample store: {summary.customers:,} customers scored"
        )

        # 2. complaints through the ticket API, in an experiment: default policy vs a holdout
        complaints = load_complaints()[:limit] if limit else load_complaints()
        picks = _pick_customers(sessions, complaints)
        _start_experiment(sessions, settings, policy)
        app = create_app(settings, policy=policy, migrate=False)
        drafter: Drafter = app.state.appease.drafter
        task = progress.add_task(
            f"tickets through POST /v1/tickets ({settings.llm} model)", total=len(complaints)
        )
        orders = order_ids(complaints)
        with TestClient(app) as client:
            for c in complaints:
                body = {
                    "customer_id": picks[c["id"]],
                    "order": {
                        "id": orders[c["id"]],
                        "value": c["order_value"],
                        "currency": c["currency"],
                    },
                    "message": c["message"],
                }
                r = client.post(
                    "/v1/tickets",
                    json=body,
                    headers={
                        "Authorization": f"Bearer {keys['service']}",
                        "Idempotency-Key": f"demo-{c['id']}",
                    },
                )
                out = r.json() if r.status_code == 200 else {"error": r.text}
                result.tickets.append(
                    {"complaint": c, "order_id": orders[c["id"]], "status": r.status_code, **out}
                )
                progress.advance(task)
        result.sample_customer = picks[complaints[0]["id"]]

        # 3. follow-ups on a simulated clock, SIMULATED answers to the offers and surveys
        task = progress.add_task("follow-ups, SIMULATED offer and survey answers", total=2)
        later = now + timedelta(days=policy.followup.after_days + 1)
        run_followups(sessions, drafter=drafter, now=later, limit=len(complaints) + 10)
        progress.advance(task)
        rng = random.Random(7)
        _answer_offers(sessions, result.tickets, rng, now=later)
        for t in result.tickets:
            if "ticket_id" not in t:
                continue
            money = Decimal(t["decision"]["offer"]["amount"]) > 0
            pre = rng.uniform(15, 45)
            post = min(100.0, max(0.0, pre + (35 if money else 15) + rng.gauss(0, 12)))
            simulated = SurveySource.simulated
            record_survey(
                sessions,
                ticket_id=t["ticket_id"],
                phase=SurveyPhase.pre,
                score=round(pre, 1),
                source=simulated,
                now=now,
            )
            record_survey(
                sessions,
                ticket_id=t["ticket_id"],
                phase=SurveyPhase.post,
                score=round(post, 1),
                source=simulated,
                now=later,
            )
        progress.advance(task)

        # 4. after the measurement window: SIMULATED purchases, then a rescore
        task = progress.add_task("measurement window: SIMULATED purchases, rescore", total=2)
        window = now + timedelta(days=policy.kpi.measurement_window_days + 1)
        with sessions.begin() as s:
            for t in result.tickets:
                if "ticket_id" not in t:
                    continue
                money = Decimal(t["decision"]["offer"]["amount"]) > 0
                if rng.random() < (0.55 if money else 0.3):
                    cid = t.get("customer_id") or picks[t["complaint"]["id"]]
                    s.add(
                        Transaction(
                            customer_id=cid,
                            date=now + timedelta(days=rng.randint(5, 80)),
                            amount=Decimal(str(round(rng.uniform(15, 90), 2))),
                            source="simulated",
                        )
                    )
        progress.advance(task)
        ticket_customers = {picks[t["complaint"]["id"]] for t in result.tickets}
        with sessions() as s:
            assert s.get(Customer, result.sample_customer) is not None
        rescore(sessions, as_of=window, reason="transactions", customer_ids=ticket_customers)
        progress.advance(task)

        with sessions() as s:
            kpi = compute_kpis(
                s, KpiFilters(), windows=KpiWindows.from_policy(policy), generated_at=window
            )
        result.kpis = kpi.model_dump(mode="json")
        result.report.write_text(render_report(kpi), encoding="utf-8")
    engine.dispose()
    return result


def _answer_offers(
    sessions: Any, tickets: list[dict[str, Any]], rng: random.Random, *, now: datetime
) -> None:
    """SIMULATED customers answer three in four money offers: most accept (as the widget's
    Accept button or the webhook would record it), some decline."""
    from bot.service import answer_offer, ticket_offer

    for t in tickets:
        if "ticket_id" not in t or Decimal(t["decision"]["offer"]["amount"]) <= 0:
            continue
        offer = ticket_offer(sessions, ticket_id=t["ticket_id"])
        if offer is None or offer["status"] != "sent" or rng.random() >= 0.75:
            continue
        answer_offer(
            sessions, offer["id"], accepted=rng.random() < 0.8, by="demo-simulated", now=now
        )


DEMO_EXPERIMENT = "demo-goodwill-vs-apology"


def _start_experiment(sessions: Any, settings: Settings, policy: Any) -> None:
    """Half the demo's customers (sticky, by a fixed salt) get an apology and no goodwill, so the
    report can show what the default policy's goodwill earned on the SIMULATED outcomes."""
    from bot.policy import default_policy_path
    from bot.service import arm_specs, start_experiment

    default = settings.policy_path or default_policy_path()
    holdout = default_policy_path().with_name("holdout_apology_only.yaml")
    arms = arm_specs([("default", default), ("apology_only", holdout)], control="default")
    start_experiment(
        sessions,
        name=DEMO_EXPERIMENT,
        arms=arms,
        salt="demo",
        metric_window_days=policy.kpi.measurement_window_days,
    )


def order_ids(complaints: list[dict[str, Any]]) -> dict[str, str]:
    """The order number the customer wrote (`A10293`), so the reply names the order they know.

    A complaint that names none (or one another complaint already used) gets the kind of number
    a shop's ticket carries for the customer's latest order (`A20007`), never a demo label.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for i, c in enumerate(complaints):
        ref = re.search(r"\b[A-Z]\d{5}\b", c["message"])
        if ref is not None and ref.group(0) not in used:
            out[c["id"]] = ref.group(0)
            used.add(ref.group(0))
        else:
            out[c["id"]] = f"A{20000 + i}"
    return out


def _pick_customers(sessions: Any, complaints: list[dict[str, Any]]) -> dict[str, str]:
    """A distinct customer of the complaint's tier for each complaint, deterministically."""
    from bot.store import customers_of_tier

    by_tier: dict[str, list[str]] = {}
    with sessions() as s:
        for tier in ("bronze", "silver", "gold", "platinum"):
            by_tier[tier] = customers_of_tier(s, tier, limit=400)
    picks: dict[str, str] = {}
    used: dict[str, int] = {}
    for c in complaints:
        pool = by_tier[c["tier"]]
        i = used.get(c["tier"], 0)
        # repeat claimants: the "abusive" complaints reuse the previous customer of the tier
        if c["kind"] == "abusive" and i > 0:
            picks[c["id"]] = pool[(i - 1) * 7 % len(pool)]
            continue
        picks[c["id"]] = pool[i * 7 % len(pool)]
        used[c["tier"]] = i + 1
    return picks
