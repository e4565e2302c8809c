"""Reply quality: what the customer reads, measured over 200+ complaints in four languages.

python -m bench quality                      # local model (compose) and the template provider
python -m bench quality -- --modes local-full   # also the model writing whole replies

For each provider and mode: the share of sent replies that pass the quality gate (goal >= 98%),
the share carrying model-written words (goal >= 60% with the local model), replies in the
customer's language (goal 100%), p50/p95 seconds per reply, gate and guard rejections, template
fallbacks, and three replies per language copied verbatim, with what the gate caught.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "quality.md"
LANGS = ("en", "es", "fr", "de", "it", "pt")


def complaints() -> list[dict[str, Any]]:
    from bench._complaints import generated
    from bot.demo import load_complaints, order_ids

    demo = load_complaints()
    orders = order_ids(demo)  # the order numbers the demo's tickets carry
    return [{**c, "order_id": orders[c["id"]]} for c in demo] + generated()


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def run(mode: str, items: list[dict[str, Any]], threads: int = 2) -> dict[str, Any]:
    from bot.config import Settings
    from bot.drafting import Drafter
    from bot.drafting.quality import check_quality
    from bot.language import language_scores
    from bot.pipeline import resolve
    from bot.policy import load_policy
    from bot.triage import load_triager
    from tests.factories import make_ticket

    llm, _, draft_mode = mode.partition("-")
    settings = Settings(llm=llm, draft_mode=draft_mode or "compose", llm_threads=threads)
    drafter = Drafter.from_settings(settings)
    policy, triager = load_policy(), load_triager()
    rows: list[dict[str, Any]] = []
    for i, c in enumerate(items):
        ticket = make_ticket(
            c["message"],
            with_issue=False,
            tier=c["tier"],
            clv="400.00",
            order_value=c["order_value"],
            currency=c["currency"],
            order_id=c["order_id"],
        )
        t0 = time.perf_counter()
        out = resolve(ticket, policy=policy, drafter=drafter, triager=triager)
        took = time.perf_counter() - t0
        lang = out.triage.language if out.triage else "en"
        gate = check_quality(
            out.reply.text,
            customer_message=c["message"],
            language=lang,
            topic_words=[ticket.order.id],
            category=str(out.issue.category),
        )
        scores = language_scores(out.reply.text, LANGS)
        rows.append(
            {
                "id": c["id"],
                "language": c["language"],
                "detected": lang,
                "category": str(out.issue.category),
                "reply_language": max(scores, key=lambda k: scores[k]),
                "message": c["message"],
                "reply": out.reply.text,
                "source": out.reply.source,
                "model_text": out.usage.model_text,
                "gate_ok": gate.ok,
                "gate": gate.reasons(),
                "guard_ok": out.reply.guard.ok,
                "seconds": took,
                "quality_rejections": out.usage.quality_rejections,
                "guard_rejections": out.usage.guard_rejections,
                "fallback": out.usage.fallback,
                "caught": out.usage.rejected[:2],
            }
        )
        if (i + 1) % 50 == 0:
            print(f"  {mode}: {i + 1}/{len(items)}", flush=True)
    return {"mode": mode, "rows": rows}


def _model_rows(rows: list[dict[str, Any]], local: bool) -> list[tuple[str, str, str]]:
    """The figures the all-replies p50 hides: replies where the model was asked (English with
    the embedded model), and triage's category on the generated complaints (known truth)."""
    out = []
    asked = [r for r in rows if r["language"] == "en"] if local else []
    if asked:
        secs = sorted(r["seconds"] for r in asked)
        p95 = secs[min(len(secs) - 1, int(0.95 * len(secs)))]
        out += [
            (
                "English replies carrying model-written text",
                _pct(sum(r["model_text"] for r in asked), len(asked)),
                "",
            ),
            (
                "p50 / p95 seconds, English replies (model asked)",
                f"{statistics.median(secs):.2f} / {p95:.2f}",
                "",
            ),
        ]
    generated = [r for r in rows if r["id"].startswith("g-")]
    if generated:
        right = sum(r["id"].split("-")[2] == r["category"] for r in generated)
        out.append(
            ("triage category right (generated complaints)", _pct(right, len(generated)), "")
        )
    return out


def summarise(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = result["rows"]
    n = len(rows)
    secs = sorted(r["seconds"] for r in rows)
    p95 = secs[min(n - 1, int(0.95 * n))]
    local = result["mode"].startswith("local")
    return [
        ("replies", f"{n}", ""),
        (
            "sent replies passing the quality gate",
            _pct(sum(r["gate_ok"] for r in rows), n),
            ">= 98%",
        ),
        (
            "sent replies passing the promise guard",
            _pct(sum(r["guard_ok"] for r in rows), n),
            "100%",
        ),
        (
            "replies carrying model-written text",
            _pct(sum(r["model_text"] for r in rows), n),
            ">= 60%" if local else "-",
        ),
        (
            "replies in the customer's language",
            _pct(sum(r["reply_language"] == r["language"] for r in rows), n),
            "100%",
        ),
        (
            "triage read the language right",
            _pct(sum(r["detected"] == r["language"] for r in rows), n),
            "",
        ),
        ("p50 seconds per reply", f"{statistics.median(secs):.2f}", "<= 1" if local else ""),
        ("p95 seconds per reply", f"{p95:.2f}", ""),
        *_model_rows(rows, local),
        (
            "gate rejections (model sentences refused)",
            f"{sum(r['quality_rejections'] for r in rows)}",
            "",
        ),
        ("guard rejections", f"{sum(r['guard_rejections'] for r in rows)}", ""),
        (
            "template fallbacks",
            f"{sum(r['fallback'] for r in rows)} ({_pct(sum(r['fallback'] for r in rows), n)})",
            "",
        ),
    ]


def samples(result: dict[str, Any], per_language: int = 3) -> list[str]:
    lines = []
    for lang in LANGS:
        picked = [r for r in result["rows"] if r["language"] == lang and r["caught"]][:1]
        picked += [r for r in result["rows"] if r["language"] == lang and r not in picked]
        for r in picked[:per_language]:
            lines.append(f"- **{lang}** ({r['source']}) customer: _{r['message']}_")
            lines.append(f"  reply: {r['reply']}")
            for caught in r["caught"]:
                lines.append(f"  gate caught: ~~{caught}~~")
    return lines


def _section(mode: str, result: dict[str, Any], threads: int) -> list[str]:
    table = summarise(result)
    for a, b, c in table:
        print(f"  {a:48} {b:>12}  {c}")
    where = f", {threads} llama.cpp threads" if mode.startswith("local") else ""
    out = [f"\n## {mode}{where}\n\n| measure | value | goal |\n|---|---:|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in table]
    out.append(
        "\nSample replies, verbatim (the first per language is one where the gate caught "
        "something, when there is one):\n"
    )
    return out + samples(result)


def main(argv: list[str]) -> int:
    from bench.clv import machine

    parser = argparse.ArgumentParser(prog="python -m bench quality")
    parser.add_argument(
        "--modes",
        default="local,template",
        help="comma-separated: local, template, local-full, openai, openai-full",
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N complaints")
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="N complaints evenly spaced over the whole set (every language and category)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the markdown goes")
    parser.add_argument(
        "--rows",
        type=Path,
        default=None,
        help="also write every reply as JSON lines here (to read them)",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="llama.cpp threads for the local model"
    )
    parser.add_argument(
        "--summarise",
        type=Path,
        default=None,
        help="write the markdown from the rows an earlier run saved with --rows (no new run)",
    )
    args = parser.parse_args(argv)
    items = complaints()
    if args.limit:
        items = items[: args.limit]
    if args.sample and args.sample < len(items):
        step = len(items) / args.sample
        items = [items[int(i * step)] for i in range(args.sample)]
    header = (
        f"# Reply quality\n\n{machine()}; load average {os.getloadavg()[0]:.2f} at start; "
        f"{len(items)} complaints ({'an even sample of ' if args.sample else ''}the 64 demo complaints, "
        "one Italian and one Portuguese among them, + generated ones in en/es/fr/de/it/pt, 8 categories)\n\n"
        f"`python -m bench quality -- {' '.join(argv)}` (`make bench BENCH_ARGS=quality`)\n"
    )
    if args.summarise is not None:
        header = (
            f"# Reply quality\n\nRe-summarised from the rows an earlier run saved "
            f"(`{args.summarise.name}`): its machine and load are in the notes beside it.\n"
        )
    out = [header]
    if args.summarise is not None:  # the markdown again from an earlier run's rows
        saved = [json.loads(line) for line in args.summarise.read_text("utf-8").splitlines()]
        for mode in dict.fromkeys(r["mode"] for r in saved):
            result = {"mode": mode, "rows": [r for r in saved if r["mode"] == mode]}
            out += _section(mode, result, args.threads)
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        if args.summarise is not None:
            break
        print(f"- {mode}", flush=True)
        result = run(mode, items, args.threads)
        out += _section(mode, result, args.threads)
        if args.rows is not None:
            with args.rows.open("a", encoding="utf-8") as f:
                for row in result["rows"]:
                    f.write(json.dumps({"mode": mode, **row}, ensure_ascii=False) + "\n")
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 0
