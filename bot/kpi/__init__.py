"""KPIs on the logged resolutions: CLV post-issue, perception change, goodwill analytics.

`compute_kpis(session, filters)` loads tickets from the store and returns a `KpiReport`, whose
`model_dump(mode="json")` is the `GET /v1/kpi` contract; `render_dashboard` and `render_report`
draw it as HTML and `write_csv` writes its tables. The maths (`build_report`) runs on plain
`TicketRecord`s, apart from the store query, so it can be checked by hand.
"""

from bot.kpi._csv import CSV_TABLES, write_csv
from bot.kpi._metrics import build_report, clv_band, perception_band
from bot.kpi._records import ModelCall, OfferRecord, PerceptionReading, Snapshot, TicketRecord
from bot.kpi._render import render_dashboard, render_report
from bot.kpi._report import KpiFilters, KpiReport, KpiWindows
from bot.kpi._service import compute_kpis, compute_kpis_from_settings, default_estimator

__all__ = [
    "CSV_TABLES",
    "KpiFilters",
    "KpiReport",
    "KpiWindows",
    "ModelCall",
    "OfferRecord",
    "PerceptionReading",
    "Snapshot",
    "TicketRecord",
    "build_report",
    "clv_band",
    "compute_kpis",
    "compute_kpis_from_settings",
    "default_estimator",
    "perception_band",
    "render_dashboard",
    "render_report",
    "write_csv",
]
