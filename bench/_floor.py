"""The floor of this stack: a minimal FastAPI route that stores one row, on the same database.

`POST /v1/tickets` validates the same body shape loosely, inserts one row through SQLAlchemy
Core with appease's engine settings (SQLite WAL + synchronous=FULL; PostgreSQL pool) and
answers. Whatever appease spends above this is appease; below it nothing on this machine goes.

    python -m bench._floor PORT DATABASE_URL
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Column, MetaData, String, Table, Text, insert

from bot.store import make_engine

META = MetaData()
ROWS = Table("floor_rows", META, Column("id", String(32), primary_key=True), Column("body", Text))


def app(url: str) -> FastAPI:
    engine = make_engine(url)
    META.create_all(engine)
    api = FastAPI()

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/v1/tickets")
    def ticket(body: dict[str, Any]) -> dict[str, str]:
        row_id = uuid.uuid4().hex
        with engine.begin() as c:
            c.execute(insert(ROWS).values(id=row_id, body=str(body.get("message", ""))))
        return {"ticket_id": row_id}

    return api


if __name__ == "__main__":
    port, url = int(sys.argv[1]), sys.argv[2]
    uvicorn.run(app(url), host="127.0.0.1", port=port, log_level="warning", workers=1)
