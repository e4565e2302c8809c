"""The bundled sample store: CDNOW purchase histories (Fader, Hardie and Lee 2005).

Shipped as package data in `bot/data/` (the master file gzipped), copied from the datasets the
`lifetimes` package distributes, so the demo and the tests need neither lifetimes (archived, and
it pulls in autograd) nor a download. These are the only functions here that touch files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from bot.errors import AppeaseError

__all__ = ["cdnow_summary", "cdnow_transactions", "dataset_path"]

_DATA = resources.files("bot") / "data"


def dataset_path(name: str) -> Path:
    """A bundled dataset by its lifetimes name (`CDNOW_master.txt` is stored gzipped)."""
    for candidate in (name, f"{name}.gz"):
        path = Path(str(_DATA / candidate))
        if path.is_file():
            return path
    raise AppeaseError(f"no bundled dataset {name!r} (bot/data holds the CDNOW sample store)")


def cdnow_transactions() -> pd.DataFrame:
    """CDNOW master: 23,570 customers' purchases 1997-01 to 1998-06 (customer_id, date, amount)."""
    raw = pd.read_csv(
        dataset_path("CDNOW_master.txt"),
        sep=r"\s+",
        header=0,
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": str, "date": str},
    )
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
