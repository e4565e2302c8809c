"""Use cases over the store that every channel (HTTP, CLI, demo) calls with a session factory."""

from bot.service._chat import (
    ChatEvent,
    ChatLimits,
    continue_chat,
    find_conversation,
    open_conversation,
)
from bot.service._customers import (
    ImportSummary,
    import_customers,
    import_transactions,
    new_customer,
    rescore,
)
from bot.service._experiments import (
    ArmChoice,
    arm_specs,
    choose_arm,
    end_experiment,
    experiment_list,
    start_experiment,
)
from bot.service._followups import run_followups
from bot.service._offers import OfferAnswer, answer_offer, offers_for_order, ticket_offer
from bot.service._tickets import (
    IN_FLIGHT_LEASE,
    TicketCustomer,
    TicketRequest,
    TicketResponse,
    approve_draft,
    create_assist_draft,
    handle_ticket,
    record_survey,
)

__all__ = [
    "IN_FLIGHT_LEASE",
    "ArmChoice",
    "ChatEvent",
    "ChatLimits",
    "ImportSummary",
    "OfferAnswer",
    "TicketCustomer",
    "TicketRequest",
    "TicketResponse",
    "answer_offer",
    "approve_draft",
    "arm_specs",
    "choose_arm",
    "continue_chat",
    "create_assist_draft",
    "end_experiment",
    "experiment_list",
    "find_conversation",
    "handle_ticket",
    "import_customers",
    "import_transactions",
    "new_customer",
    "offers_for_order",
    "open_conversation",
    "record_survey",
    "rescore",
    "run_followups",
    "start_experiment",
    "ticket_offer",
]
