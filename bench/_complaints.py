"""Complaints for bench/quality.py: the 64 demo complaints plus generated ones.

Generated from hand-written patterns in six languages, every category, with the details real
complaints carry (the item, how late, an order number, a feeling), so a reply has something
specific to engage with. Deterministic for a seed.
"""

from __future__ import annotations

import random
from typing import Any

ITEMS = {
    "en": [
        "ceramic vase",
        "running shoes",
        "coffee grinder",
        "wool blanket",
        "desk lamp",
        "phone case",
        "tea set",
        "winter jacket",
        "board game",
        "blender",
    ],
    "es": [
        "jarrón de cerámica",
        "zapatillas de correr",
        "molinillo de café",
        "manta de lana",
        "lámpara de mesa",
        "funda del móvil",
        "juego de té",
        "chaqueta de invierno",
        "juego de mesa",
        "batidora",
    ],
    "fr": [
        "vase en céramique",
        "chaussures de course",
        "moulin à café",
        "couverture en laine",
        "lampe de bureau",
        "coque de téléphone",
        "service à thé",
        "veste d'hiver",
        "jeu de société",
        "mixeur",
    ],
    "de": [
        "Keramikvase",
        "Laufschuhe",
        "Kaffeemühle",
        "Wolldecke",
        "Schreibtischlampe",
        "Handyhülle",
        "Teeservice",
        "Winterjacke",
        "Brettspiel",
        "Mixer",
    ],
    # Italian and Portuguese items carry their article: the patterns put them where one goes.
    "it": [
        "il vaso di ceramica",
        "la lampada da tavolo",
        "il macinacaffè",
        "la coperta di lana",
        "la cover del telefono",
        "il servizio da tè",
        "la giacca invernale",
        "il frullatore",
    ],
    "pt": [
        "o vaso de cerâmica",
        "o candeeiro de mesa",
        "o moinho de café",
        "a manta de lã",
        "a capa do telemóvel",
        "o serviço de chá",
        "o casaco de inverno",
        "a liquidificadora",
    ],
}

PATTERNS: dict[str, dict[str, list[str]]] = {
    "en": {
        "late_delivery": [
            "My order {order} was due {days} days ago and still hasn't arrived. The {item} was a gift.",
            "Where is my {item}? Order {order} is {days} days late and tracking has not moved.",
            "I've been waiting {days} days past the delivery date for order {order}. Really frustrating.",
        ],
        "damaged_item": [
            "The {item} from order {order} arrived broken, the box was crushed.",
            "My {item} came damaged, there's a big crack down the side. Order {order}.",
            "Order {order}: the {item} was scratched and dented when I opened the parcel.",
        ],
        "wrong_item": [
            "I ordered a {item} and received something completely different. Order {order}.",
            "You sent me the wrong {item}, wrong colour and wrong size. Order {order}.",
            "Order {order} contained someone else's items instead of my {item}.",
        ],
        "missing_item": [
            "The {item} was missing from my parcel, order {order}. Only the packing slip was there.",
            "Order {order} arrived but the {item} was not in the box.",
            "Half of order {order} is missing, no {item} anywhere.",
        ],
        "billing_error": [
            "I was charged twice for order {order}. Please fix this.",
            "My card was billed for the {item} even though I cancelled order {order}.",
            "The price I paid for order {order} is higher than the price on your website.",
        ],
        "service_outage": [
            "Your website was down all evening and I couldn't finish my order for the {item}.",
            "The app keeps crashing at checkout, I have tried five times today.",
            "I couldn't log in for two days to track order {order}.",
        ],
        "poor_service": [
            "I emailed three times about order {order} and nobody replied.",
            "The agent on the phone was rude to me and hung up when I asked about my {item}.",
            "I was promised a callback about order {order} and it never came.",
        ],
        "other": [
            "The size guide for the {item} is wrong and nothing fits. Order {order}.",
            "The instructions for the {item} are missing pages. Order {order}.",
            "I can't find how to change the address on order {order}.",
        ],
    },
    "es": {
        "late_delivery": [
            "Mi pedido {order} debía llegar hace {days} días y todavía no ha llegado.",
            "¿Dónde está mi {item}? El pedido {order} lleva {days} días de retraso.",
            "Llevo {days} días esperando el pedido {order}, es muy frustrante.",
        ],
        "damaged_item": [
            "El {item} del pedido {order} llegó roto, la caja estaba aplastada.",
            "Mi {item} llegó dañado, tiene una grieta enorme. Pedido {order}.",
            "Pedido {order}: el {item} estaba rayado y abollado al abrir el paquete.",
        ],
        "wrong_item": [
            "Pedí un {item} y recibí algo totalmente distinto. Pedido {order}.",
            "Me enviaron un {item} equivocado, otro color y otra talla. Pedido {order}.",
        ],
        "missing_item": [
            "Faltaba el {item} en mi paquete, pedido {order}.",
            "El pedido {order} llegó pero el {item} no estaba en la caja.",
        ],
        "billing_error": [
            "Me han cobrado dos veces el pedido {order}. Por favor, corríjanlo.",
            "Me cobraron el {item} aunque cancelé el pedido {order}.",
        ],
        "service_outage": [
            "La web estuvo caída toda la tarde y no pude terminar mi pedido.",
            "La aplicación se cierra al pagar, lo he intentado cinco veces hoy.",
        ],
        "poor_service": [
            "He escrito tres correos sobre el pedido {order} y nadie me ha contestado.",
            "La persona del teléfono fue muy grosera conmigo y me colgó.",
        ],
        "other": [
            "La guía de tallas del {item} está mal y nada me vale. Pedido {order}.",
            "No encuentro cómo cambiar la dirección del pedido {order}.",
        ],
    },
    "fr": {
        "late_delivery": [
            "Ma commande {order} devait arriver il y a {days} jours et elle n'est toujours pas là.",
            "Où est mon {item} ? La commande {order} a {days} jours de retard.",
            "J'attends la commande {order} depuis {days} jours, c'est vraiment agaçant.",
        ],
        "damaged_item": [
            "Le {item} de la commande {order} est arrivé cassé, le carton était écrasé.",
            "Mon {item} est arrivé abîmé, avec une grosse fissure. Commande {order}.",
        ],
        "wrong_item": [
            "J'ai commandé un {item} et j'ai reçu tout autre chose. Commande {order}.",
            "Vous m'avez envoyé le mauvais {item}, mauvaise couleur et mauvaise taille. Commande {order}.",
        ],
        "missing_item": [
            "Le {item} manquait dans mon colis, commande {order}.",
            "La commande {order} est arrivée mais le {item} n'était pas dans le carton.",
        ],
        "billing_error": [
            "J'ai été débité deux fois pour la commande {order}. Merci de corriger.",
            "On m'a facturé le {item} alors que j'ai annulé la commande {order}.",
        ],
        "service_outage": [
            "Votre site était en panne toute la soirée et je n'ai pas pu commander.",
            "L'application plante au moment de payer, j'ai essayé cinq fois aujourd'hui.",
        ],
        "poor_service": [
            "J'ai envoyé trois e-mails au sujet de la commande {order} et personne n'a répondu.",
            "La personne au téléphone a été impolie et m'a raccroché au nez.",
        ],
        "other": [
            "Le guide des tailles du {item} est faux et rien ne me va. Commande {order}.",
            "Je ne trouve pas comment changer l'adresse de la commande {order}.",
        ],
    },
    "de": {
        "late_delivery": [
            "Meine Bestellung {order} sollte vor {days} Tagen ankommen und ist immer noch nicht da.",
            "Wo bleibt meine {item}? Die Bestellung {order} ist {days} Tage zu spät.",
            "Ich warte seit {days} Tagen auf die Bestellung {order}, das ist wirklich ärgerlich.",
        ],
        "damaged_item": [
            "Die {item} aus der Bestellung {order} kam kaputt an, der Karton war eingedrückt.",
            "Meine {item} ist beschädigt angekommen, mit einem großen Riss. Bestellung {order}.",
        ],
        "wrong_item": [
            "Ich habe eine {item} bestellt und etwas völlig anderes bekommen. Bestellung {order}.",
            "Sie haben mir die falsche {item} geschickt, falsche Farbe und falsche Größe. Bestellung {order}.",
        ],
        "missing_item": [
            "Die {item} fehlte in meinem Paket, Bestellung {order}.",
            "Die Bestellung {order} kam an, aber die {item} war nicht im Karton.",
        ],
        "billing_error": [
            "Mir wurde die Bestellung {order} zweimal abgebucht. Bitte korrigieren Sie das.",
            "Mir wurde die {item} berechnet, obwohl ich die Bestellung {order} storniert habe.",
        ],
        "service_outage": [
            "Ihre Website war den ganzen Abend nicht erreichbar und ich konnte nicht bestellen.",
            "Die App stürzt beim Bezahlen ab, ich habe es heute fünfmal versucht.",
        ],
        "poor_service": [
            "Ich habe dreimal wegen der Bestellung {order} geschrieben und niemand hat geantwortet.",
            "Die Person am Telefon war unhöflich und hat einfach aufgelegt.",
        ],
        "other": [
            "Die Größentabelle für die {item} stimmt nicht und nichts passt. Bestellung {order}.",
            "Ich finde nicht, wie ich die Adresse der Bestellung {order} ändern kann.",
        ],
    },
    "it": {
        "late_delivery": [
            "Il mio ordine {order} doveva arrivare {days} giorni fa e non è ancora arrivato.",
            "Aspetto l'ordine {order} da {days} giorni, è davvero troppo.",
        ],
        "damaged_item": [
            "Nell'ordine {order} {item} è arrivato rotto, la scatola era schiacciata.",
            "Ordine {order}: {item} è arrivato danneggiato, con una grossa crepa.",
        ],
        "wrong_item": [
            "Ho ordinato {item} e mi è arrivato un articolo completamente diverso. Ordine {order}.",
            "Mi avete mandato l'articolo sbagliato, colore e taglia diversi. Ordine {order}.",
        ],
        "missing_item": [
            "Nel pacco dell'ordine {order} mancava {item}.",
            "L'ordine {order} è arrivato ma dentro la scatola mancava un articolo.",
        ],
        "billing_error": [
            "Mi avete addebitato due volte l'ordine {order}. Correggete per favore.",
            "Mi è stato addebitato l'ordine {order} anche se l'avevo annullato.",
        ],
        "service_outage": [
            "Il vostro sito è rimasto irraggiungibile tutta la sera e non ho potuto ordinare.",
            "L'app si blocca al momento del pagamento, ho provato cinque volte oggi.",
        ],
        "poor_service": [
            "Ho scritto tre volte per l'ordine {order} e nessuno mi ha risposto.",
            "La persona al telefono è stata scortese e ha riattaccato.",
        ],
        "other": [
            "Non trovo come cambiare l'indirizzo dell'ordine {order}.",
            "La tabella delle taglie non è chiara e non so cosa scegliere. Ordine {order}.",
        ],
    },
    "pt": {
        "late_delivery": [
            "O meu pedido {order} devia ter chegado há {days} dias e ainda não chegou.",
            "Estou à espera do pedido {order} há {days} dias, isto é demasiado.",
        ],
        "damaged_item": [
            "No pedido {order}, {item} chegou partido e a caixa vinha amassada.",
            "Pedido {order}: {item} chegou danificado, com uma rachadela grande.",
        ],
        "wrong_item": [
            "Encomendei {item} e recebi uma coisa completamente diferente. Pedido {order}.",
            "Enviaram-me o artigo errado, cor e tamanho diferentes. Pedido {order}.",
        ],
        "missing_item": [
            "Faltava {item} na caixa do pedido {order}.",
            "O pedido {order} chegou mas faltava um artigo dentro da caixa.",
        ],
        "billing_error": [
            "Cobraram-me duas vezes o pedido {order}. Por favor corrijam.",
            "Cobraram-me o pedido {order} apesar de o ter cancelado.",
        ],
        "service_outage": [
            "O vosso site esteve em baixo a noite toda e não consegui encomendar.",
            "A aplicação bloqueia no pagamento, tentei cinco vezes hoje.",
        ],
        "poor_service": [
            "Escrevi três vezes sobre o pedido {order} e ninguém respondeu.",
            "A pessoa ao telefone foi mal-educada e desligou.",
        ],
        "other": [
            "Não encontro como mudar a morada do pedido {order}.",
            "A tabela de tamanhos não é clara e não sei o que escolher. Pedido {order}.",
        ],
    },
}

CURRENCY = {"en": "USD", "es": "EUR", "fr": "EUR", "de": "EUR", "it": "EUR", "pt": "EUR"}


def generated(n_per_cell: int = 5, seed: int = 11) -> list[dict[str, Any]]:
    """`n_per_cell` complaints for each language and category, in the demo's complaint shape."""
    rng = random.Random(seed)
    out = []
    for lang, by_category in PATTERNS.items():
        for category, patterns in by_category.items():
            for i in range(n_per_cell):
                pattern = patterns[i % len(patterns)]
                order = f"G{lang.upper()}{rng.randint(10000, 99999)}"
                message = pattern.format(
                    order=order, item=rng.choice(ITEMS[lang]), days=rng.randint(3, 14)
                )
                out.append(
                    {
                        "id": f"g-{lang}-{category}-{i}",
                        "kind": "generated",
                        "category": category,
                        "language": lang,
                        "tier": rng.choice(["bronze", "silver", "gold", "platinum"]),
                        "order_value": f"{rng.uniform(15, 250):.2f}",
                        "currency": CURRENCY[lang],
                        "message": message,
                        "order_id": order,
                    }
                )
    return out


def ticket_cases(n_per_cell: int = 6) -> list[tuple[str, str]]:
    """(message, category) for the ticket benches: each ticket its own words, as real tickets
    are, so no cache sees the same complaint twice in a row (288 at the default)."""
    return [(c["message"], c["category"]) for c in generated(n_per_cell)]
