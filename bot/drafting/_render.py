"""Sentences appease writes itself: the offer (from the decision, never the model) and safe templates.

The offer sentence formats money by locale with Babel; the guard accepts it by construction
(a property test checks that). Templates answer when no model is configured or it fails.
"""

from __future__ import annotations

import functools
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

LANGUAGES = ("en", "es", "fr", "de", "it", "pt")
_LOCALES = {
    "en": "en_US",
    "es": "es_ES",
    "fr": "fr_FR",
    "de": "de_DE",
    "it": "it_IT",
    "pt": "pt_PT",
}

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
    "it": {
        OfferKind.store_credit: "Per scusarci, abbiamo aggiunto al suo account un credito di {amount}.",
        OfferKind.discount_code: "Per scusarci, ecco un codice sconto di {amount} per il suo prossimo ordine.",
        OfferKind.free_shipping: "Per scusarci, il suo prossimo ordine avrà la spedizione gratuita (valore {amount}).",
        OfferKind.refund_partial: "Abbiamo disposto un rimborso parziale di {amount} sul suo metodo di pagamento.",
        OfferKind.refund_full: "Abbiamo disposto un rimborso totale di {amount} sul suo metodo di pagamento.",
        OfferKind.replacement: "Le inviamo un articolo in sostituzione, senza alcun costo.",
    },
    "pt": {
        OfferKind.store_credit: "Como pedido de desculpa, adicionámos à sua conta um crédito de {amount}.",
        OfferKind.discount_code: "Como pedido de desculpa, aqui tem um código de desconto de {amount} para o seu próximo pedido.",
        OfferKind.free_shipping: "Como pedido de desculpa, o seu próximo pedido terá portes grátis (valor {amount}).",
        OfferKind.refund_partial: "Emitimos um reembolso parcial de {amount} para o seu método de pagamento.",
        OfferKind.refund_full: "Emitimos um reembolso total de {amount} para o seu método de pagamento.",
        OfferKind.replacement: "Enviamos-lhe um artigo de substituição sem qualquer custo.",
    },
}

_ESCALATE = {
    "en": "A member of our team will look at your case personally and get back to you.",
    "es": "Una persona de nuestro equipo revisará su caso y le responderá.",
    "fr": "Un membre de notre équipe va examiner votre dossier et revenir vers vous.",
    "de": "Ein Mitglied unseres Teams prüft Ihren Fall persönlich und meldet sich bei Ihnen.",
    "it": "Una persona del nostro team esaminerà la sua pratica e le risponderà.",
    "pt": "Uma pessoa da nossa equipa vai analisar o seu caso e responder-lhe.",
}

_PLAIN = {
    "en": {
        "late_delivery": "a late delivery",
        "damaged_item": "an item that arrived damaged",
        "wrong_item": "the wrong item",
        "missing_item": "a missing item",
        "billing_error": "a billing error",
        "service_outage": "a service outage",
        "poor_service": "a poor service experience",
        "other": "a problem with your order",
    },
    "es": {
        "late_delivery": "una entrega con retraso",
        "damaged_item": "un artículo dañado",
        "wrong_item": "un artículo equivocado",
        "missing_item": "un artículo que faltaba",
        "billing_error": "un error de cobro",
        "service_outage": "una interrupción del servicio",
        "poor_service": "una mala atención",
        "other": "un problema con su pedido",
    },
    "fr": {
        "late_delivery": "une livraison en retard",
        "damaged_item": "un article endommagé",
        "wrong_item": "un mauvais article",
        "missing_item": "un article manquant",
        "billing_error": "une erreur de facturation",
        "service_outage": "une panne du service",
        "poor_service": "un mauvais accueil",
        "other": "un problème avec votre commande",
    },
    "de": {
        "late_delivery": "eine verspätete Lieferung",
        "damaged_item": "einen beschädigten Artikel",
        "wrong_item": "einen falschen Artikel",
        "missing_item": "einen fehlenden Artikel",
        "billing_error": "einen Abrechnungsfehler",
        "service_outage": "einen Ausfall",
        "poor_service": "schlechten Service",
        "other": "ein Problem mit Ihrer Bestellung",
    },
    "it": {
        "late_delivery": "una consegna in ritardo",
        "damaged_item": "un articolo danneggiato",
        "wrong_item": "un articolo sbagliato",
        "missing_item": "un articolo mancante",
        "billing_error": "un errore di addebito",
        "service_outage": "un disservizio",
        "poor_service": "un servizio scadente",
        "other": "un problema con il suo ordine",
    },
    "pt": {
        "late_delivery": "uma entrega atrasada",
        "damaged_item": "um artigo danificado",
        "wrong_item": "um artigo errado",
        "missing_item": "um artigo em falta",
        "billing_error": "um erro de cobrança",
        "service_outage": "uma interrupção do serviço",
        "poor_service": "um mau atendimento",
        "other": "um problema com o seu pedido",
    },
}

_TEMPLATE = {
    "en": "Thank you for telling us about order {order_id}, and I am truly sorry about {plain}. "
    "That is not the experience we want you to have, and we have logged it so our team can fix the cause.",
    "es": "Gracias por avisarnos y lamentamos mucho el problema con su pedido {order_id}. "
    "No es la experiencia que queremos para usted y lo hemos registrado para corregir la causa.",
    "fr": "Merci de nous avoir prévenus, et nous sommes sincèrement désolés pour le problème avec "
    "votre commande {order_id}. Nous l'avons signalé à notre équipe pour en corriger la cause.",
    "de": "Danke für Ihre Nachricht, und es tut uns aufrichtig leid, dass es mit Ihrer Bestellung "
    "{order_id} ein Problem gab. Wir haben es erfasst, damit unser Team die Ursache behebt.",
    "it": "Grazie per avercelo segnalato, e ci dispiace davvero per il problema con il suo ordine "
    "{order_id}. Lo abbiamo registrato perché il nostro team ne corregga la causa.",
    "pt": "Obrigado por nos avisar, e lamentamos muito o problema com o seu pedido {order_id}. "
    "Registámos o caso para que a nossa equipa corrija a causa.",
}


_TEMPLATE_EN_PLAIN = {
    "late_delivery": "the late delivery",
    "damaged_item": "the damage",
    "wrong_item": "the wrong item",
    "missing_item": "the missing item",
    "billing_error": "the billing error",
    "service_outage": "the service outage",
    "poor_service": "the service you received",
    "other": "the trouble",
}


def category_plain(category: IssueCategory | str, language: str = "en") -> str:
    """The issue in plain words; a category a policy declared itself reads as its own name."""
    table = _PLAIN[_lang(language)]
    return table.get(str(category)) or str(category).replace("_", " ")


def _lang(language: str | None) -> str:
    code = (language or "en").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


@functools.lru_cache(maxsize=4096)
def format_amount(amount: Decimal, currency: str, language: str = "en") -> str:
    # cached: Babel parses the locale's pattern on every call (about a tenth of a template reply)
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
    decision: OfferDecision, *, category: IssueCategory | str, order_id: str, language: str = "en"
) -> str:
    """A safe, complete reply that needs no model."""
    lang = _lang(language)
    # English names the issue with "the": "sorry about the late delivery", not "about a late
    # delivery with order A1"; a category a policy declared itself keeps its own name
    plain = _TEMPLATE_EN_PLAIN.get(str(category)) if lang == "en" else None
    plain = plain or category_plain(category, lang)
    body = _TEMPLATE[lang].format(plain=plain, order_id=order_id)
    offer = render_offer_sentence(decision, lang)
    return f"{body} {offer}".strip()
