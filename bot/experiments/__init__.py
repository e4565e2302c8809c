"""Policy experiments: sticky arms, holdouts, and what each arm earned against the control.

`assign_arm(customer_id, salt, shares)` picks a customer's arm (pure, deterministic);
`analyze(outcomes, control=...)` is the one estimator the CLI, the API and the dashboard use;
`read_outcomes(path)` reads the outcomes CSV. Nothing here does I/O beyond reading that file.
"""

from bot.experiments._analysis import (
    ArmSummary,
    Effect,
    ExperimentAnalysis,
    SampleRatio,
    WelchResult,
    analyze,
    cuped_adjust,
    metric_label,
    welch,
)
from bot.experiments._assign import assign_arm, unit_interval
from bot.experiments._outcomes import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    read_outcomes,
    read_outcomes_text,
)
from bot.experiments._spec import ArmSpec, ExperimentSpec

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ArmSpec",
    "ArmSummary",
    "Effect",
    "ExperimentAnalysis",
    "ExperimentSpec",
    "SampleRatio",
    "WelchResult",
    "analyze",
    "assign_arm",
    "cuped_adjust",
    "metric_label",
    "read_outcomes",
    "read_outcomes_text",
    "unit_interval",
    "welch",
]
