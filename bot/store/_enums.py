"""The names the store's string columns hold, in one place: every writer and the KPI reader use
these members, so a name nothing writes cannot be read and a name nobody reads cannot drift.

They are `StrEnum`s: a member compares equal to its text and is stored as it, so rows written
before these types existed read back unchanged.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ConversationStatus",
    "DraftStatus",
    "EventType",
    "ExperimentStatus",
    "FollowupStatus",
    "MessageRole",
    "OfferStatus",
    "SurveyPhase",
    "SurveySource",
    "TicketState",
    "TicketStatus",
]


class TicketState(StrEnum):
    """Where a ticket's request is: being worked on, answered (response stored), or failed."""

    in_flight = "in_flight"
    done = "done"
    failed = "failed"


class TicketStatus(StrEnum):
    """What became of the ticket: still open, answered by the bot, or gone to a person."""

    open = "open"
    resolved = "resolved"
    escalated = "escalated"


class OfferStatus(StrEnum):
    """An offer's life in the ledger.

    `proposed`: an agent-assist draft waits for an agent; `sent`: the customer has it;
    `accepted` / `declined`: the customer answered; `withdrawn`: an agent rejected the draft,
    so the customer never saw it (not a customer's no: the acceptance KPI leaves it out).
    Proposed, sent and accepted offers count as goodwill given (`GIVEN_STATUSES`); declined and
    withdrawn ones do not.
    """

    proposed = "proposed"
    sent = "sent"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class MessageRole(StrEnum):
    """Who wrote a message of a ticket."""

    customer = "customer"
    bot = "bot"
    agent = "agent"


class SurveyPhase(StrEnum):
    """A perception score: at ticket open (`pre`) or after the resolution (`post`)."""

    pre = "pre"
    post = "post"


class SurveySource(StrEnum):
    """Where a perception score came from: the customer (`survey`), the demo's made-up answers
    (`simulated`), or sentiment on the customer's words (`estimated`, logged with the ticket)."""

    survey = "survey"
    simulated = "simulated"
    estimated = "estimated"


class DraftStatus(StrEnum):
    """An agent-assist draft: waiting for a person, or what they did with it."""

    pending = "pending"
    approved = "approved"
    edited = "edited"
    rejected = "rejected"


class FollowupStatus(StrEnum):
    due = "due"
    sent = "sent"
    skipped = "skipped"


class ConversationStatus(StrEnum):
    """A chat widget conversation: the bot answers, or a person takes over."""

    open = "open"
    escalated = "escalated"


class ExperimentStatus(StrEnum):
    """At most one experiment is `running`; a stopped one keeps its exposures for the report."""

    running = "running"
    stopped = "stopped"


class EventType(StrEnum):
    """Every event type written to the `events` table.

    `model_call` and `template_reply` carry the drafter's usage (`Usage.as_event()`: provider,
    model_calls, tokens, latency_ms, guard_rejections, fallback, ...); `template_reply` is a
    reply with no model request (no model configured, or the model failed: `fallback` true).
    """

    model_call = "model_call"
    template_reply = "template_reply"
    guard_rejected = "guard_rejected"
    escalated = "escalated"
    duplicate_offer_suppressed = "duplicate_offer_suppressed"
    decided_again = "decided_again"  # the ledger changed while the reply was written
    assist_draft = "assist_draft"
    draft_approved = "draft_approved"
    draft_edited = "draft_edited"
    draft_rejected = "draft_rejected"
    followup_sent = "followup_sent"
    offer_accepted = "offer_accepted"
    offer_declined = "offer_declined"

    @classmethod
    def for_draft(cls, status: DraftStatus | str) -> EventType:
        """The event an agent's decision on a draft logs (`draft_approved`, ...)."""
        return cls(f"draft_{DraftStatus(status).value}")

    @classmethod
    def for_answer(cls, status: OfferStatus | str) -> EventType:
        """The event a customer's answer to an offer logs (`offer_accepted`, `offer_declined`)."""
        return cls(f"offer_{OfferStatus(status).value}")
