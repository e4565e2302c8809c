"""Drafting: prompts, model providers, the promise guard, offer sentences and safe templates.

The model writes the words, never the money: `render_offer_sentence` writes the offer from
the decision and `check_draft` rejects anything the decision did not authorize.
"""

from bot.drafting._drafter import Drafter, DraftOutcome, Usage
from bot.drafting._prompts import Prompts, default_prompts_dir, load_prompts
from bot.drafting._providers import (
    LocalLlamaChat,
    available_providers,
    get_chat_model,
    register_provider,
    smollm2_path,
)
from bot.drafting._render import LANGUAGES, format_amount, render_offer_sentence, template_reply
from bot.drafting.guard import check_draft, find_amounts, normalise

__all__ = [
    "LANGUAGES",
    "DraftOutcome",
    "Drafter",
    "LocalLlamaChat",
    "Prompts",
    "Usage",
    "available_providers",
    "check_draft",
    "default_prompts_dir",
    "find_amounts",
    "format_amount",
    "get_chat_model",
    "load_prompts",
    "normalise",
    "register_provider",
    "render_offer_sentence",
    "smollm2_path",
    "template_reply",
]
