"""`appease demo`: the main job on the embedded defaults (SQLite, the local model, bundled data)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the service running afterwards.")
    ] = False,
    workdir: Annotated[Path, typer.Option(help="Where the database and report go.")] = Path(
        "appease-demo"
    ),
    llm: Annotated[
        str | None, typer.Option(help="local, openai or template (default: APPEASE_LLM or local).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Replay only the first N complaints.")] = None,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = 8000,
) -> None:
    """Score the sample store, replay 64 complaints through the ticket API, measure the KPIs."""
    from rich.console import Console
    from rich.table import Table

    from bot.api import mint_widget_token
    from bot.demo import run_demo

    console = Console()
    result = run_demo(workdir, llm=llm, console=Console(stderr=True), limit=limit)

    table = Table(title="appease demo: what happened to the complaints")
    for col in (
        "kind",
        "tickets",
        "money offers",
        "goodwill",
        "escalated",
        "model replies",
        "template replies",
    ):
        table.add_column(col, justify="right" if col != "kind" else "left")
    groups: dict[str, list[dict[str, Any]]] = {}
    for t in result.tickets:
        groups.setdefault(t["complaint"]["kind"], []).append(t)
    for kind, rows in sorted(groups.items()):
        ok = [r for r in rows if "decision" in r]
        money = [r for r in ok if Decimal(r["decision"]["offer"]["amount"]) > 0]
        goodwill = sum((Decimal(r["decision"]["offer"]["amount"]) for r in money), Decimal(0))
        sources = Counter(r["reply"]["source"] for r in ok)
        table.add_row(
            kind,
            str(len(rows)),
            str(len(money)),
            f"{goodwill:.2f}",
            str(sum(r["decision"]["escalate"] for r in ok)),
            str(sources["llm"]),
            str(sources["template"]),
        )
    console.print(table)
    unsafe = [t for t in result.tickets if "reply" in t and not t["reply"]["guard"]["ok"]]
    failed = [t for t in result.tickets if "reply" not in t]
    k = result.kpis
    kpi = Table(title="KPIs (survey answers and post-issue purchases are SIMULATED in the demo)")
    kpi.add_column("KPI")
    kpi.add_column("value", justify="right")
    kpi.add_column("band")
    kpi.add_column("n", justify="right")
    for name, label, unit in (
        ("clv_post_issue", "CLV post-issue", "%"),
        ("perception_change", "Perception change", " points"),
    ):
        v = k.get(name, {})
        value = v.get("value")
        kpi.add_row(
            label,
            "-" if value is None else f"{value:.1f}{unit}",
            str(v.get("band")),
            str(v.get("n")),
        )
    console.print(kpi)
    console.print(_quality_table(result))
    for line in _samples(result):
        console.print(line, highlight=False, markup=False)
    for exp in k.get("experiments", []):
        console.print(
            f"Experiment {exp['experiment']} (on SIMULATED outcomes): {'; '.join(exp['verdicts'])}"
        )
        for line in exp["warnings"]:
            console.print(f"  warning: {line}")
    console.print(
        f"{result.customers:,} customers and {result.transactions:,} transactions scored; "
        f"{len(result.tickets)} complaints replayed; replies failing the guard sent: {len(unsafe)}; "
        f"failed requests: {len(failed)}"
    )
    console.print(f"KPI report: {result.report.resolve()}", soft_wrap=True, highlight=False)
    console.print(f"database:   {result.database_url}", soft_wrap=True, highlight=False)
    if not serve:
        console.print("Run `appease demo --serve` to open the widget, agent assist and dashboard.")
        return
    import uvicorn

    from bot.api import create_app
    from bot.config import Settings

    settings = Settings(
        database_url=result.database_url,
        llm=llm or Settings().llm,
        api_keys=",".join(f"{key}:{role}" for role, key in result.keys.items()),
        widget_secret=result.widget_secret,
    )
    token = mint_widget_token(result.widget_secret, result.sample_customer, ttl_s=8 * 3600)
    base = f"http://127.0.0.1:{port}"
    print_addresses(console, base, token, result.keys, result.sample_customer)
    from bot.cli._logging import configure_logging

    configure_logging()  # uvicorn's loggers through the redacting filter (`?key=` URLs)
    uvicorn.run(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", log_config=None
    )


def _quality_table(result: Any) -> Any:
    """What the customers read, measured: the figures `0 unsafe` alone never showed."""
    from rich.table import Table

    from bot.drafting.quality import check_quality
    from bot.language import language_scores

    answered = [t for t in result.tickets if "reply" in t]
    n = len(answered) or 1
    passing = in_language = model = 0
    for t in answered:
        c = t["complaint"]
        verdict = check_quality(
            t["reply"]["text"],
            customer_message=c["message"],
            language=c["language"],
            topic_words=[t["order_id"]],
            category=t.get("decision", {}).get("category") or c.get("category"),
        )
        passing += verdict.ok
        scores = language_scores(t["reply"]["text"], ("en", "es", "fr", "de", "it", "pt"))
        in_language += max(scores, key=lambda k: scores[k]) == c["language"]
        model += t["reply"]["source"] == "llm"
    guard = result.kpis.get("goodwill", {}).get("guard", {})
    table = Table(title="Reply quality: what the customers read")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("replies passing the quality gate", f"{passing}/{len(answered)} ({passing / n:.0%})"),
        ("replies carrying model-written words", f"{model}/{len(answered)} ({model / n:.0%})"),
        (
            "replies in the customer's language",
            f"{in_language}/{len(answered)} ({in_language / n:.0%})",
        ),
        ("model sentences the quality gate refused", str(guard.get("quality_rejections", 0))),
        ("model drafts the promise guard refused", str(guard.get("rejections", 0))),
        ("replies from the phrase library alone", str(len(answered) - model)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _samples(result: Any, n: int = 3) -> list[str]:
    """A few replies verbatim: look at them, not only at the figures."""
    picked = [t for t in result.tickets if "reply" in t][:: max(1, len(result.tickets) // n)][:n]
    lines = ["Sample replies (verbatim):"]
    for t in picked:
        lines.append(f"  customer: {t['complaint']['message'][:160]}")
        lines.append(f"  reply ({t['reply']['source']}): {t['reply']['text']}")
    return lines


def print_addresses(
    console: Any, base: str, token: str, keys: dict[str, str], customer: str
) -> None:
    """One line each, never wrapped: rich wraps at 80 columns into a log, which cut the widget's
    token in two for anyone copying the address from `make serve > log`."""
    lines = [
        f"widget:       {base}/widget?token={token}&order_id=W-1&order_value=60",
        f"agent assist: {base}/assist?key={keys['agent']}&customer={customer}",
        f"dashboard:    {base}/dashboard?key={keys['admin']}",
        f"API keys:     service {keys['service']}  admin {keys['admin']}",
    ]
    for line in lines:
        console.print(line, soft_wrap=True, highlight=False, markup=False)
