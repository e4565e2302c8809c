"""The bundled sample store: CDNOW purchase histories shipped in the `lifetimes` package.

Read straight from its `datasets/` folder through package metadata, without importing lifetimes
(slow, and it warns at import). These are the only functions here that touch files.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pandas as pd

from bot.errors import AppeaseError

__all__ = ["cdnow_summary", "cdnow_transactions", "dataset_path"]


def dataset_path(name: str) -> Path:
    try:
        files = importlib.metadata.files("lifetimes") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise AppeaseError(
            "the sample data needs the `lifetimes` package: pip install lifetimes"
        ) from exc
    for f in files:
        if f.name == name and "datasets" in f.parts:
            return Path(str(f.locate()))
    raise AppeaseError(f"lifetimes is installed but ships no datasets/{name}")


def cdnow_transactions() -> pd.DataFrame:
    """CDNOW master: 23,570 customers' purchases 1997-01 to 1998-06 (customer_id, date, amount)."""
    raw = pd.read_csv(
        dataset_path("CDNOW_master.txt"), sep=r"\s+", header=0,
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": str, "date": str},
    )  # fmt: skip
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].to_numpy(),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy(),
            "amount": raw["amount"].to_numpy(dtype=float),
        }
    )


def cdnow_summary() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample summary in weeks (frequency, recency, T), indexed by ID."""
    df = pd.read_csv(dataset_path("cdnow_customers_summary.csv"))
    return df.set_index(df["ID"].astype(str).rename("customer_id"))[["frequency", "recency", "T"]]
