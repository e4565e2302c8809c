"""Persistence: customers, transactions, tickets, the offer ledger, follow-ups, surveys, events.

Knows the domain, not drafting or KPIs. Repositories flush; the caller owns the transaction.
Exactly-once offers rest on unique constraints and INSERT ... ON CONFLICT (`record_offer`).
"""

from bot.store._engine import alembic_config, downgrade, make_engine, make_sessionmaker, upgrade
from bot.store._ledger import (
    GIVEN_STATUSES,
    CustomerStanding,
    find_offer,
    goodwill_given,
    record_offer,
    standing,
)
from bot.store._mapping import case_customer, decision_from_row, decision_row, offer_from_row
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
    "GIVEN_STATUSES",
    "Base",
    "Conversation",
    "Customer",
    "CustomerStanding",
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
    "case_customer",
    "decision_from_row",
    "decision_row",
    "downgrade",
    "find_offer",
    "goodwill_given",
    "make_engine",
    "make_sessionmaker",
    "new_id",
    "offer_from_row",
    "record_offer",
    "standing",
    "upgrade",
    "utcnow",
]
