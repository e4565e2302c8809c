"""The deterministic offer policy: rules a business writes in YAML, applied without a model."""

from bot.policy._engine import decide, format_money
from bot.policy._loader import default_policy_path, load_policy
from bot.policy._schema import Policy, parse_policy
from bot.policy._simulate import SimulationSummary, simulate

__all__ = [
    "Policy",
    "SimulationSummary",
    "decide",
    "default_policy_path",
    "format_money",
    "load_policy",
    "parse_policy",
    "simulate",
]
