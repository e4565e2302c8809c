"""Persistence: customers, transactions, tickets, the offer ledger, follow-ups, surveys, events.

Knows the domain, not drafting or KPIs. Repositories flush; the caller owns the transaction.
"""

from bot.store._engine import alembic_config, downgrade, make_engine, make_sessionmaker, upgrade
from bot.store._models import (
    Base,
    Conversation,
    Customer,
    Decision,
    Draft,
    Event,
    Followup,
    Message,
    ModelParams,
    Offer,
    ScoreSnapshot,
    Survey,
    Ticket,
    Transaction,
    new_id,
    utcnow,
)

__all__ = [
    "Base",
    "Conversation",
    "Customer",
    "Decision",
    "Draft",
    "Event",
    "Followup",
    "Message",
    "ModelParams",
    "Offer",
    "ScoreSnapshot",
    "Survey",
    "Ticket",
    "Transaction",
    "alembic_config",
    "downgrade",
    "make_engine",
    "make_sessionmaker",
    "new_id",
    "upgrade",
    "utcnow",
]
