"""The one `resolve` step every channel calls: triage if needed, decide, draft, guard.

The customer's words reach triage and the drafter only. The Case given to the policy is built
from the customer's score, the order and the issue, so no message text can change a decision
(the triage severity is already bounded by policy).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import Case, CaseCustomer, Issue, OfferDecision, Order, Reply, Ticket, TriageResult
from bot.drafting import Drafter, Usage, check_draft, template_reply
from bot.fx import FxRates
from bot.policy import Policy, decide
from bot.triage import Triager, asks_for_compensation, load_triager

__all__ = ["Resolution", "resolve", "settle", "warm_up"]

log = logging.getLogger(__name__)


@dataclass
class Resolution:
    issue: Issue
    decision: OfferDecision
    reply: Reply
    triage: TriageResult | None
    usage: Usage
    case: Case | None = None  # what was decided on: the recording step may decide it again
    from_ledger: bool = False  # the answer is an offer the ledger already holds


def resolve(
    ticket: Ticket,
    *,
    policy: Policy,
    drafter: Drafter,
    triager: Triager | None = None,
    budget_spent: Decimal | None = None,
    budget_spent_month: Decimal | None = None,
    language: str | None = None,
    fx: FxRates | None = None,
    prior: Callable[[Case, OfferDecision], OfferDecision | None] | None = None,
) -> Resolution:
    """Triage, decide, draft. `prior` looks the case up in the ledger (the service passes it):
    an order and issue already answered get the ledger's answer in a template, and no model
    call is made for a reply that would be thrown away."""
    triage = None
    issue = ticket.issue
    if (issue is None or language is None) and ticket.message.strip():
        triage = (triager or load_triager()).triage(ticket.message, policy=policy)
    if issue is None:
        if triage is None:
            issue = Issue(category="other", severity=1)
        else:
            issue = Issue(category=triage.category, severity=triage.severity)
    if policy.compiled_rules and "asked_for_compensation" not in issue.attributes:
        # rulebooks may pay only when asked: say so from the words, deterministically
        asked = asks_for_compensation(ticket.message)
        issue = issue.model_copy(
            update={"attributes": {**issue.attributes, "asked_for_compensation": asked}}
        )
    case = Case(customer=ticket.customer, order=ticket.order, issue=issue)
    decision = settle(
        case,
        triage,
        policy,
        budget_spent=budget_spent,
        budget_spent_month=budget_spent_month,
        fx=fx,
    )
    lang = language or (triage.language if triage else "en")
    answered = prior(case, decision) if prior is not None else None
    if answered is not None:
        text = template_reply(
            answered, category=issue.category, order_id=ticket.order.id, language=lang
        )
        reply = Reply(text=text, source="template", guard=check_draft(text, answered))
        return Resolution(
            issue=issue,
            decision=answered,
            reply=reply,
            triage=triage,
            usage=Usage(provider="template"),
            case=case,
            from_ledger=True,
        )
    outcome = drafter.resolution(
        message=ticket.message,
        decision=decision,
        category=issue.category,
        order_id=ticket.order.id,
        language=lang,
        severity=int(issue.severity),
        sentiment=triage.sentiment if triage is not None else None,
    )
    return Resolution(
        issue=issue,
        decision=decision,
        reply=outcome.reply,
        triage=triage,
        usage=outcome.usage,
        case=case,
    )


def settle(
    case: Case,
    triage: TriageResult | None,
    policy: Policy,
    *,
    budget_spent: Decimal | None = None,
    budget_spent_month: Decimal | None = None,
    fx: FxRates | None = None,
) -> OfferDecision:
    """The policy's decision, sent to a person when the words call for one; pure."""
    decision = decide(
        case, policy, budget_spent=budget_spent, budget_spent_month=budget_spent_month, fx=fx
    )
    if triage is not None and triage.instructions:
        decision = _to_a_person(
            decision,
            "the message gives the bot instructions (possible manipulation): "
            "severity read as 1, a person reviews",
        )
    if triage is not None and triage.wants_human:
        decision = _to_a_person(decision, "the customer asked for a person, or triage was unsure")
    return decision


def _to_a_person(decision: OfferDecision, reason: str) -> OfferDecision:
    """Escalate with the reason; a decision the policy already escalated keeps its reasons."""
    if decision.escalate:
        return decision
    return decision.model_copy(update={"escalate": True, "reasons": [*decision.reasons, reason]})


# One complaint per reply language: each loads its own locale data on first use.
_WARM_MESSAGES = {
    "en": "My parcel is two weeks late and nobody answers my emails.",
    "es": "Mi paquete lleva dos semanas de retraso y nadie contesta mis correos.",
    "fr": "Mon colis a deux semaines de retard et personne ne répond à mes courriels.",
    "de": "Mein Paket ist zwei Wochen zu spät und niemand beantwortet meine E-Mails.",
    "it": "Il mio pacco è in ritardo di due settimane e nessuno risponde alle mie email.",
    "pt": "A minha encomenda está atrasada duas semanas e ninguém responde aos meus emails.",
}


def warm_up(policy: Policy, triager: Triager, fx: FxRates | None = None) -> None:
    """Resolve one sample complaint per reply language with template drafts, storing nothing.

    Why: the language model (1.2 s to decompress), the sentiment lexicon and each locale's
    money formats load on first use, which was a freshly started server's first customer
    (1.1-1.5 s for one ticket). A server calls this before it answers /healthz. A policy that
    cannot decide the sample still serves: the failure is logged, not raised.
    """
    customer = CaseCustomer(
        id="warm-up", clv=Decimal(200), residual_clv=Decimal(200), tier="gold", segment="loyal"
    )
    drafter = Drafter(None)
    for language, message in _WARM_MESSAGES.items():
        ticket = Ticket(
            customer=customer,
            order=Order(id="WARM-1", value=Decimal(80), currency=fx.base if fx else "USD"),
            message=message,
        )
        try:
            resolve(ticket, policy=policy, drafter=drafter, triager=triager, fx=fx)
        except Exception as exc:  # an optimisation only: never the reason a server won't start
            log.warning("warm-up failed", extra={"language": language, "error": repr(exc)})
