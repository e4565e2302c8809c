"""The one estimator behind `experiment analyze`, `experiment report`, `GET /v1/kpi` and the
dashboard: what each arm earned against the control, with honest uncertainty.

Unit of analysis: the customer. Assignment is sticky per customer, so a customer's tickets are
not independent draws; each customer counts once (CLV after and perception averaged over their
tickets, goodwill summed, retained if any ticket saw a purchase in the window).

Metrics per customer (money in the outcomes' currency):
    clv_after        CLV re-measured after the window
    net_value        CLV after minus the goodwill given (what the business keeps)
    spend            goodwill given
    clv_post_issue   CLV after / CLV at the issue x 100 (customers with CLV at the issue > 0)
    retention        100 if a purchase fell in the window, else 0 (when `retained` is known)
    perception_change  post minus pre score, 0-100 scale (when both are known)

Each arm against the control: the difference in means with Welch's t interval (unequal
variances, Welch-Satterthwaite degrees of freedom) and its two-sided p-value; checked against
known truth by simulation (tests/unit/experiments). CUPED (Deng et al. 2013) adds
`clv_after_cuped` and `net_value_cuped`: the same difference after removing the part explained
by the pre-issue CLV, theta = cov(y, x) / var(x) pooled over the two arms. Assignment is random,
so the pre-issue CLV is independent of the arm and the estimate stays unbiased; its interval is
narrower by about the squared correlation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

__all__ = [
    "ArmSummary",
    "Effect",
    "ExperimentAnalysis",
    "SampleRatio",
    "WelchResult",
    "analyze",
    "cuped_adjust",
    "metric_label",
    "welch",
]

MIN_ARM = 30  # below this many measured customers an arm's interval is rough
SRM_ALPHA = 0.001  # the usual threshold for a sample ratio mismatch alarm
_Z_POWER = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)  # two-sided 5 %, 80 % power
MONEY_METRICS = ("clv_after", "net_value", "spend", "clv_after_cuped", "net_value_cuped")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArmSummary(_Model):
    """One arm's figures; means are per measured customer."""

    arm: str
    control: bool
    n: int = Field(description="customers measured (CLV after known)")
    tickets: int
    pending: int = Field(description="customers assigned but not yet measured")
    share_pct: float = Field(description="observed share of assigned customers")
    expected_share_pct: float | None
    spend_total: float
    spend_mean: float | None
    clv_at_issue_mean: float | None
    clv_after_mean: float | None
    clv_post_issue_pct: float | None
    retention_pct: float | None
    perception_change: float | None
    net_value_mean: float | None


class Effect(_Model):
    """Arm minus control for one metric: estimate, 95 % interval, p-value, power."""

    arm: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_arm: int
    n_control: int
    mde: float = Field(description="smallest true difference found 80 % of the time (5 % test)")
    method: str


class SampleRatio(_Model):
    """Chi-square test of the assigned counts against the traffic shares."""

    chi2: float
    p_value: float
    mismatch: bool
    assumed_equal_shares: bool


class ExperimentAnalysis(_Model):
    experiment: str
    control: str
    currency: str
    simulated: bool = Field(default=False, description="outcomes include simulated data (demo)")
    arms: list[ArmSummary]
    effects: list[Effect]
    sample_ratio: SampleRatio | None
    verdicts: list[str]
    warnings: list[str]
    notes: list[str]


@dataclass(frozen=True)
class WelchResult:
    """Floats for one comparison, arrays (one per row) for a batch."""

    estimate: Any
    se: Any
    df: Any
    ci_low: Any
    ci_high: Any
    p_value: Any


def welch(treatment: np.ndarray, control: np.ndarray, *, level: float = 0.95) -> WelchResult:
    """Difference in means (treatment - control) along the last axis, Welch's t interval.

    2-D inputs give one comparison per row (the simulation tests run 400 at once); 1-D inputs
    give floats. Two constant groups give the exact difference with a zero-width interval.
    """
    a = np.asarray(treatment, dtype=float)
    b = np.asarray(control, dtype=float)
    na, nb = a.shape[-1], b.shape[-1]
    if na < 2 or nb < 2:
        raise ValueError("each group needs at least two values")
    va, vb = a.var(axis=-1, ddof=1) / na, b.var(axis=-1, ddof=1) / nb
    diff = a.mean(axis=-1) - b.mean(axis=-1)
    se = np.sqrt(va + vb)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va**2 / (na - 1) + vb**2 / (nb - 1)  # underflows to 0 for tiny variances
        df = np.where(denom > 0, (va + vb) ** 2 / np.where(denom > 0, denom, 1.0), na + nb - 2)
        t_stat = np.where(se > 0, np.abs(diff) / np.where(se > 0, se, 1.0), np.inf)
    t_crit = stats.t.ppf(0.5 + level / 2, df)
    p = np.where(se > 0, 2 * stats.t.sf(t_stat, df), np.where(diff == 0, 1.0, 0.0))
    low, high = diff - t_crit * se, diff + t_crit * se
    if a.ndim == 1 and b.ndim == 1:
        return WelchResult(float(diff), float(se), float(df), float(low), float(high), float(p))
    return WelchResult(diff, se, df, low, high, p)


def cuped_adjust(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """y minus the part the pre-period covariate x explains, along the last axis.

    theta = cov(y, x) / var(x) over all the values given (pool both arms before calling).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    var_x = (xc * xc).sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(var_x > 0, (xc * yc).sum(axis=-1, keepdims=True) / var_x, 0.0)
    return np.asarray(y - theta * xc)


def _mean(values: pd.Series) -> float | None:
    clean = values.dropna()
    return None if clean.empty else float(clean.mean())


def _customers(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (arm, customer): the unit the assignment randomised."""
    grouped = rows.groupby(["arm", "customer_id"], sort=False)
    out = grouped.agg(
        tickets=("customer_id", "size"),
        clv_at_issue=("clv_at_issue", "mean"),
        clv_after=("clv_after", "mean"),
        spend=("spend", "sum"),
        retained=("retained", "max"),
    )
    both = rows[rows["perception_pre"].notna() & rows["perception_post"].notna()]
    change = (both["perception_post"] - both["perception_pre"]).groupby(
        [both["arm"], both["customer_id"]]
    )
    out["perception_change"] = change.mean()
    out = out.reset_index()
    out["net_value"] = out["clv_after"] - out["spend"]
    ratio = out["clv_after"] / out["clv_at_issue"] * 100.0
    out["clv_post_issue"] = ratio.where(out["clv_at_issue"] > 0)
    out["retention"] = out["retained"] * 100.0
    return out


def _money(x: float, currency: str) -> str:
    from decimal import Decimal

    from bot.policy import format_money

    return format_money(Decimal(str(round(x, 2))), currency)


def analyze(
    outcomes: pd.DataFrame,
    *,
    control: str,
    shares: Mapping[str, Mapping[str, float]] | None = None,
    currency: str = "USD",
    min_arm: int = MIN_ARM,
) -> list[ExperimentAnalysis]:
    """Every experiment in `outcomes`, each arm against `control`.

    `outcomes` has one row per exposed ticket: experiment, arm, customer_id, clv_at_issue,
    clv_after (NaN while pending), spend, and optionally retained (0/1), perception_pre,
    perception_post. `shares` gives each experiment's traffic shares for the sample-ratio test
    (equal shares are assumed where missing). Raises ValueError when the control arm is absent.
    """
    frame = outcomes.copy()
    for column in ("retained", "perception_pre", "perception_post"):
        if column not in frame:
            frame[column] = np.nan
    results = []
    for name in dict.fromkeys(frame["experiment"]):
        rows = frame[frame["experiment"] == name]
        results.append(
            _analyze_one(
                str(name),
                rows,
                control=control,
                shares=(shares or {}).get(str(name)),
                currency=currency,
                min_arm=min_arm,
            )
        )
    return results


_METRIC_LABELS = {
    "clv_after": "CLV after",
    "net_value": "net value",
    "spend": "goodwill spend",
    "clv_post_issue": "CLV post-issue (points)",
    "retention": "retention (points)",
    "perception_change": "perception change (points)",
}


def _analyze_one(
    name: str,
    rows: pd.DataFrame,
    *,
    control: str,
    shares: Mapping[str, float] | None,
    currency: str,
    min_arm: int,
) -> ExperimentAnalysis:
    arm_names = [str(a) for a in dict.fromkeys(rows["arm"])]
    if control not in arm_names:
        raise ValueError(
            f"experiment {name!r} has no arm named {control!r} (its arms: {', '.join(arm_names)})"
        )
    arm_names = [control, *(a for a in arm_names if a != control)]
    warnings: list[str] = []
    notes: list[str] = []
    customers = _customers(rows)
    crossed = customers.groupby("customer_id")["arm"].nunique()
    if (crossed > 1).any():
        warnings.append(
            f"{int((crossed > 1).sum())} customers appear in more than one arm: assignment was "
            "not sticky, so the arms are not cleanly separated"
        )
    assigned = customers.groupby("arm").size()
    measured = customers[customers["clv_after"].notna()]
    total_assigned = int(assigned.sum())

    sample_ratio = None
    expected: dict[str, float] = {}
    if len(arm_names) > 1:
        assumed = shares is None
        raw = shares or {a: 1.0 for a in arm_names}
        weight = sum(float(raw.get(a, 0.0)) for a in arm_names) or 1.0
        expected = {a: float(raw.get(a, 0.0)) / weight for a in arm_names}
        observed = np.array([int(assigned.get(a, 0)) for a in arm_names], dtype=float)
        exp_counts = np.array([expected[a] * total_assigned for a in arm_names])
        if (exp_counts > 0).all():
            chi2, p = stats.chisquare(observed, exp_counts)
            sample_ratio = SampleRatio(
                chi2=round(float(chi2), 4),
                p_value=float(p),
                mismatch=bool(p < SRM_ALPHA),
                assumed_equal_shares=assumed,
            )
            if p < SRM_ALPHA:
                got = ", ".join(
                    f"{a} {observed[i] / total_assigned:.1%} (expected {expected[a]:.1%})"
                    for i, a in enumerate(arm_names)
                )
                hint = " (equal shares assumed: give the planned ones)" if assumed else ""
                warnings.append(
                    f"sample ratio mismatch: traffic shares drifted ({got}; chi-square p = "
                    f"{p:.2g}){hint}; check the assignment before trusting the effects"
                )

    arms = []
    for arm in arm_names:
        mine = customers[customers["arm"] == arm]
        m = measured[measured["arm"] == arm]
        n_assigned = int(assigned.get(arm, 0))
        arms.append(
            ArmSummary(
                arm=arm,
                control=arm == control,
                n=len(m),
                tickets=int(mine["tickets"].sum()),
                pending=n_assigned - len(m),
                share_pct=round(100.0 * n_assigned / total_assigned, 2) if total_assigned else 0.0,
                expected_share_pct=round(100.0 * expected[arm], 2) if expected else None,
                spend_total=round(float(mine["spend"].sum()), 2),
                spend_mean=_r2(_mean(m["spend"])),
                clv_at_issue_mean=_r2(_mean(m["clv_at_issue"])),
                clv_after_mean=_r2(_mean(m["clv_after"])),
                clv_post_issue_pct=_r2(_mean(m["clv_post_issue"])),
                retention_pct=_r2(_mean(m["retention"])),
                perception_change=_r2(_mean(m["perception_change"])),
                net_value_mean=_r2(_mean(m["net_value"])),
            )
        )
        if len(m) < min_arm:
            warnings.append(
                f"arm {arm} has {len(m)} measured customers: below {min_arm} per arm the "
                "intervals are rough, so read the verdict as a hint"
            )
    pending = sum(a.pending for a in arms)
    if pending:
        notes.append(f"{pending} customers are still inside the measurement window (pending)")

    effects: list[Effect] = []
    verdicts: list[str] = []
    base = measured[measured["arm"] == control]
    for arm in arm_names[1:]:
        treat = measured[measured["arm"] == arm]
        for metric in _METRIC_LABELS:
            effect = _effect(arm, metric, treat[metric], base[metric])
            if effect is not None:
                effects.append(effect)
        for metric in ("clv_after", "net_value"):
            pair = pd.concat([treat, base])
            pair = pair[pair["clv_at_issue"].notna()]
            if pair["clv_at_issue"].nunique() < 2:
                continue
            adjusted = cuped_adjust(pair[metric].to_numpy(), pair["clv_at_issue"].to_numpy())
            is_treat = (pair["arm"] == arm).to_numpy()
            effect = _effect(
                arm,
                f"{metric}_cuped",
                pd.Series(adjusted[is_treat]),
                pd.Series(adjusted[~is_treat]),
                method="welch+cuped",
            )
            if effect is not None:
                effects.append(effect)
        # The verdict uses the CUPED estimate where there is one: the same truth, a narrower
        # interval (the simulation tests check it stays honest).
        mine = {e.metric: e for e in effects if e.arm == arm}
        net = mine.get("net_value_cuped") or mine.get("net_value")
        if net is None:
            verdicts.append(f"{arm}: too few measured customers to compare with {control}")
            continue
        verdicts.append(_verdict(net, control, currency))
        notes.append(_power_note(net, control, currency))
    return ExperimentAnalysis(
        experiment=name,
        control=control,
        currency=currency,
        arms=arms,
        effects=effects,
        sample_ratio=sample_ratio,
        verdicts=verdicts,
        warnings=warnings,
        notes=notes,
    )


def _r2(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _effect(
    arm: str, metric: str, treat: pd.Series, base: pd.Series, *, method: str = "welch"
) -> Effect | None:
    a, b = treat.dropna().to_numpy(dtype=float), base.dropna().to_numpy(dtype=float)
    if a.size < 2 or b.size < 2:
        return None
    w = welch(a, b)
    return Effect(
        arm=arm,
        metric=metric,
        estimate=round(w.estimate, 4),
        ci_low=round(w.ci_low, 4),
        ci_high=round(w.ci_high, 4),
        p_value=round(w.p_value, 6),
        n_arm=int(a.size),
        n_control=int(b.size),
        mde=round(float(_Z_POWER * w.se), 4),
        method=method,
    )


def _verdict(net: Effect, control: str, currency: str) -> str:
    """Plain language on net value per customer (CLV after minus goodwill)."""
    amount = _money(abs(net.estimate), currency)
    span = f"95% interval {_money(net.ci_low, currency)} to {_money(net.ci_high, currency)}"
    direction = "more" if net.estimate >= 0 else "less"
    what = "CLV after minus goodwill" + (
        ", adjusted for CLV at the issue" if net.metric.endswith("_cuped") else ""
    )
    if net.ci_low > 0 or net.ci_high < 0:
        return f"{net.arm} earns {amount} {direction} per customer than {control} ({what}), {span}"
    return (
        f"{net.arm} vs {control}: {amount} {direction} per customer ({what}), {span}: the "
        "interval includes zero, so no difference is shown yet"
    )


def _power_note(net: Effect, control: str, currency: str) -> str:
    """What the arms' sizes can detect, and how many customers the observed effect would need.

    With a common variance, se^2 = sigma^2 (1/n_arm + 1/n_control), so equal arms of n detect
    d at 80 % power when n = 2 mde^2 / (d^2 (1/n_arm + 1/n_control)).
    """
    text = (
        f"{net.arm} vs {control}: with {net.n_arm} and {net.n_control} customers a true "
        f"difference in net value of {_money(net.mde, currency)} would be found 80% of the time "
        "(5% test)"
    )
    if net.estimate != 0 and net.mde > 0:
        need = math.ceil(2 * net.mde**2 / (net.estimate**2 * (1 / net.n_arm + 1 / net.n_control)))
        text += (
            f"; to detect the observed {_money(abs(net.estimate), currency)} with 80% power "
            f"needs about {need:,} customers per arm"
        )
    return text


def metric_label(metric: str) -> str:
    base = metric.removesuffix("_cuped")
    label = _METRIC_LABELS.get(base, base)
    return f"{label} (CUPED)" if metric.endswith("_cuped") else label
