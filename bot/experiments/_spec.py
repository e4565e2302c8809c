"""What an experiment is: arms (a policy each, one the control), traffic shares, a spend cap
per arm, the metric window. Validated before anything is stored."""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ArmSpec", "ExperimentSpec"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ArmSpec(BaseModel):
    """One arm. `policy_text` is the policy file's content, stored so the arm cannot drift."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME.pattern)
    policy_path: str
    policy_text: str
    policy_version: str
    share: Decimal = Field(gt=0, le=1)
    control: bool = False
    spend_cap: Decimal | None = Field(
        default=None, ge=0, description="total goodwill this arm may give, in the base currency"
    )


class ExperimentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME.pattern)
    salt: str = Field(min_length=1, max_length=64)
    arms: list[ArmSpec] = Field(min_length=2)
    metric_window_days: int = Field(default=90, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        names = [a.name for a in self.arms]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"arm named twice: {', '.join(dup)}")
        controls = [a.name for a in self.arms if a.control]
        if len(controls) != 1:
            raise ValueError(f"exactly one arm must be the control (got {len(controls)})")
        total = sum((a.share for a in self.arms), Decimal(0))
        if abs(total - 1) > Decimal("0.0001"):
            raise ValueError(f"traffic shares must add up to 1 (they add up to {total})")
        return self

    @property
    def control(self) -> str:
        return next(a.name for a in self.arms if a.control)

    def shares(self) -> list[tuple[str, Decimal]]:
        return [(a.name, a.share) for a in self.arms]
