"""`GET /v1/kpi` (admin) and `/dashboard`, both over bot.kpi with the same filters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from bot.api.deps import PrincipalDep, StateDep, get_principal, principal_for_key
from bot.kpi import KpiFilters, KpiWindows, compute_kpis, render_dashboard

router = APIRouter(tags=["kpi"])


def _report(state: Any, params: dict[str, str]) -> Any:
    filters = KpiFilters.from_query(params)
    with state.sessions() as session:
        return compute_kpis(session, filters, windows=KpiWindows.from_policy(state.policy))


@router.get("/v1/kpi")
async def kpis(request: Request, principal: PrincipalDep, state: StateDep) -> dict[str, Any]:
    """All KPIs as JSON; filter with date_from, date_to, tier, segment, category, channel, policy_version."""
    principal.require("admin")
    report = await run_in_threadpool(_report, state, dict(request.query_params))
    data: dict[str, Any] = report.model_dump(mode="json")
    return data


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, state: StateDep) -> HTMLResponse:
    """The KPI page. Admin key by header, or `?key=` for a browser bookmark on a trusted network."""
    params = dict(request.query_params)
    key = params.pop("key", None)
    principal = principal_for_key(state, key) if key else get_principal(request, state)
    principal.require("admin")
    report = await run_in_threadpool(_report, state, params)
    return HTMLResponse(render_dashboard(report))
