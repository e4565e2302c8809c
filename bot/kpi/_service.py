"""`compute_kpis`: the store query plus the maths, as the API and the CLI call it."""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from bot.errors import StoreUnavailable
from bot.kpi._experiments import with_experiments
from bot.kpi._metrics import build_report
from bot.kpi._query import load_records
from bot.kpi._report import KpiFilters, KpiReport, KpiWindows
from bot.store import Session, StoreError

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["compute_kpis", "compute_kpis_from_settings", "default_estimator"]

log = logging.getLogger(__name__)


@functools.cache
def default_estimator() -> Callable[[str], float]:
    """Sentiment on 0-100 for estimated perception: triage's scorer, else VADER directly."""
    scorer = getattr(importlib.import_module("bot.triage"), "sentiment_score", None)
    if callable(scorer):
        return cast("Callable[[str], float]", scorer)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def vader_score(text: str) -> float:
        compound = float(analyzer.polarity_scores(text)["compound"])
        return round((compound + 1.0) * 50.0, 2)

    return vader_score


def compute_kpis(
    session: Session,
    filters: KpiFilters | None = None,
    *,
    windows: KpiWindows | None = None,
    estimate: Callable[[str], float] | None = None,
    generated_at: datetime | None = None,
) -> KpiReport:
    """All the KPIs for the tickets the filters select, read through `session`."""
    filters = filters or KpiFilters()
    try:
        records = load_records(session, filters, estimate=estimate or default_estimator())
        report = build_report(
            records,
            filters,
            windows or KpiWindows(),
            generated_at=generated_at or datetime.now(UTC),
        )
        report = with_experiments(session, report)
    except StoreError as exc:
        raise StoreUnavailable(f"reading the KPIs failed: {type(exc).__name__}") from exc
    log.info("kpi report", extra={"tickets": report.tickets})
    return report


def compute_kpis_from_settings(settings: Settings, filters: KpiFilters | None = None) -> KpiReport:
    """Open the database named by the settings, read the policy's windows, compute."""
    from bot.store import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return compute_kpis(session, filters, windows=_policy_windows(settings))
    finally:
        engine.dispose()


def _policy_windows(settings: Settings) -> KpiWindows:
    """The measurement windows from the policy's `kpi` section (the default policy if unset)."""
    from bot.policy import load_policy

    return KpiWindows.from_policy(load_policy(settings.policy_path))
