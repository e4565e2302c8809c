"""KPIs on the logged resolutions: CLV post-issue, perception change, goodwill analytics.

`compute_kpis(session, filters)` loads tickets from the store and returns a `KpiReport`, whose
`model_dump(mode="json")` is the `GET /v1/kpi` contract; `render_dashboard` and `render_report`
draw it as HTML. The maths lives in `_metrics` on plain records, apart from the store query.
"""

from bot.kpi._metrics import build_report, clv_band, perception_band
from bot.kpi._records import ModelCall, OfferRecord, PerceptionReading, Snapshot, TicketRecord
from bot.kpi._report import KpiFilters, KpiReport, KpiWindows

__all__ = [
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
    "perception_band",
]
