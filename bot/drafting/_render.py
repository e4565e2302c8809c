"""Sentences appease writes itself: the offer (from the decision, never the model) and safe templates.

The offer sentence formats money by locale with Babel; the guard accepts it by construction
(a property test checks that). Templates answer when no model is configured or it fails.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from bot.domain import IssueCategory, OfferDecision, OfferKind

__all__ = [
    "LANGUAGES",
    "category_plain",
    "format_amount",
    "render_offer_sentence",
    "template_reply",
]

LANGUAGES = ("en", "es", "fr", "de")
_LOCALES = {"en": "en_US", "es": "es_ES", "fr": "fr_FR", "de": "de_DE"}

_OFFER = {
    "en": {
        OfferKind.store_credit: "As an apology, we have added {amount} in store credit to your account.",
        OfferKind.discount_code: "As an apology, here is a discount code worth {amount} for your next order.",
        OfferKind.free_shipping: "As an apology, your next order ships with free shipping (worth {amount}).",
        OfferKind.refund_partial: "We have issued a partial refund of {amount} to your original payment method.",
        OfferKind.refund_full: "We have issued a full refund of {amount} to your original payment method.",
        OfferKind.replacement: "We are sending you a replacement at no cost to you.",
    },
    "es": {
        OfferKind.store_credit: "Como disculpa, hemos añadido {amount} de crédito a su cuenta.",
        OfferKind.discount_code: "Como disculpa, le enviamos un código de descuento de {amount} para su próximo pedido.",
        OfferKind.free_shipping: "Como disculpa, su próximo pedido tendrá envío gratis (valor {amount}).",
        OfferKind.refund_partial: "Hemos emitido un reembolso parcial de {amount} a su método de pago.",
        OfferKind.refund_full: "Hemos emitido un reembolso total de {amount} a su método de pago.",
        OfferKind.replacement: "Le enviamos un reemplazo sin coste alguno.",
    },
    "fr": {
        OfferKind.store_credit: "Pour nous excuser, nous avons ajouté un avoir de {amount} à votre compte.",
        OfferKind.discount_code: "Pour nous excuser, voici un code de réduction de {amount} pour votre prochaine commande.",
        OfferKind.free_shipping: "Pour nous excuser, votre prochaine commande bénéficie de la livraison gratuite (valeur {amount}).",
        OfferKind.refund_partial: "Nous avons émis un remboursement partiel de {amount} sur votre moyen de paiement.",
        OfferKind.refund_full: "Nous avons émis un remboursement total de {amount} sur votre moyen de paiement.",
        OfferKind.replacement: "Nous vous envoyons un article de remplacement sans frais.",
    },
    "de": {
        OfferKind.store_credit: "Als Entschuldigung haben wir Ihrem Konto ein Guthaben (Gutschein) von {amount} gutgeschrieben.",
        OfferKind.discount_code: "Als Entschuldigung erhalten Sie einen Rabattcode über {amount} für Ihre nächste Bestellung.",
        OfferKind.free_shipping: "Als Entschuldigung erhalten Sie bei Ihrer nächsten Bestellung kostenlosen Versand (Wert {amount}).",
        OfferKind.refund_partial: "Wir haben eine Teilerstattung von {amount} auf Ihr Zahlungsmittel veranlasst.",
        OfferKind.refund_full: "Wir haben eine vollständige Erstattung von {amount} auf Ihr Zahlungsmittel veranlasst.",
        OfferKind.replacement: "Wir senden Ihnen kostenlos einen Ersatz.",
    },
}  # fmt: skip

_ESCALATE = {
    "en": "A member of our team will look at your case personally and get back to you.",
    "es": "Una persona de nuestro equipo revisará su caso y le responderá.",
    "fr": "Un membre de notre équipe va examiner votre dossier et revenir vers vous.",
    "de": "Ein Mitglied unseres Teams prüft Ihren Fall persönlich und meldet sich bei Ihnen.",
}

_PLAIN: dict[str, str] = {
    IssueCategory.late_delivery: "a late delivery",
    IssueCategory.damaged_item: "an item that arrived damaged",
    IssueCategory.wrong_item: "the wrong item",
    IssueCategory.missing_item: "a missing item",
    IssueCategory.billing_error: "a billing error",
    IssueCategory.service_outage: "a service outage",
    IssueCategory.poor_service: "a poor service experience",
    IssueCategory.other: "a problem with your order",
}

_TEMPLATE = {
    "en": "Thank you for telling us, and I am truly sorry about {plain} with order {order_id}. "
    "That is not the experience we want you to have, and we have logged it so our team can fix the cause.",
    "es": "Gracias por avisarnos y lamentamos mucho el problema con su pedido {order_id}. "
    "No es la experiencia que queremos para usted y lo hemos registrado para corregir la causa.",
    "fr": "Merci de nous avoir prévenus, et nous sommes sincèrement désolés pour le problème avec "
    "votre commande {order_id}. Nous l'avons signalé à notre équipe pour en corriger la cause.",
    "de": "Danke für Ihre Nachricht, und es tut uns aufrichtig leid, dass es mit Ihrer Bestellung "
    "{order_id} ein Problem gab. Wir haben es erfasst, damit unser Team die Ursache behebt.",
}


def category_plain(category: str) -> str:
    """The retail category in words; a policy's own category reads as the problem reported."""
    return _PLAIN.get(category, "the problem you reported")


def _lang(language: str | None) -> str:
    code = (language or "en").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def format_amount(amount: Decimal, currency: str, language: str = "en") -> str:
    return format_currency(amount, currency, locale=_LOCALES[_lang(language)])


def render_offer_sentence(decision: OfferDecision, locale: str = "en") -> str:
    """The authorized offer in words, plus the hand-off line when a human will follow up."""
    lang = _lang(locale)
    parts = []
    template = _OFFER[lang].get(decision.offer.kind)
    if template is not None:
        amount = format_amount(decision.offer.amount, decision.offer.currency, lang)
        parts.append(template.format(amount=amount))
    if decision.escalate:
        parts.append(_ESCALATE[lang])
    return " ".join(parts)


def template_reply(
    decision: OfferDecision, *, category: str, order_id: str, language: str = "en"
) -> str:
    """A safe, complete reply that needs no model."""
    lang = _lang(language)
    body = _TEMPLATE[lang].format(plain=category_plain(category), order_id=order_id)
    offer = render_offer_sentence(decision, lang)
    return f"{body} {offer}".strip()
