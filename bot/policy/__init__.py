"""The deterministic offer policy: rules a business writes in YAML, applied without a model.

`load_policy()` reads and validates `policies/default.yaml` (or a file you name), `decide(case,
policy)` gives the offer, `simulate(cases, policy)` backtests a policy on past cases.
"""

from bot.policy._engine import Explanation, RuleTrace, decide, explain, format_money
from bot.policy._loader import default_policy_path, load_policy
from bot.policy._schema import Policy, parse_policy
from bot.policy._simulate import SimulationGroup, SimulationSummary, simulate

__all__ = [
    "Explanation",
    "Policy",
    "RuleTrace",
    "SimulationGroup",
    "SimulationSummary",
    "decide",
    "default_policy_path",
    "explain",
    "format_money",
    "load_policy",
    "parse_policy",
    "simulate",
]
