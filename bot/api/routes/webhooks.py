"""Zendesk-style webhook: a ticket payload in, a ticket update (public comment) out.

Configure a Zendesk trigger to POST `{"ticket": {...}}` here (see docs/webhooks.md); the
response body is the shape Zendesk's Tickets API takes for an update. Its custom fields carry
`appease_ticket_id` and `appease_offer_id` (the offer the reply made, null when none).

**The customer's answer to the offer** comes back through the same webhook: a custom field
`appease_offer_answer` with `accept` or `decline` (an agent sets it when the customer says yes
or no, and the trigger fires again). The offer is the one `appease_offer_id` names, if that
field is set, else the one made for this Zendesk ticket; it must have been made to the
requester (403 otherwise). Such a call records the answer only (no new reply is drafted), once:
the same answer again changes nothing, the other one is a 409. The response is an internal
note (`appease: offer 12 accepted`), the tag `appease_offer_accepted` or
`appease_offer_declined`, and the field `appease_offer_status`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bot.api._limits import check_message
from bot.api.deps import PipelineDep, PrincipalDep, SessionsDep
from bot.domain import Order
from bot.errors import InputError, NotFound
from bot.service import TicketCustomer, TicketRequest, answer_offer, handle_ticket, ticket_offer

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class ZendeskRequester(BaseModel):
    model_config = ConfigDict(extra="ignore")
    external_id: str = Field(min_length=1, max_length=200)


class ZendeskField(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str | int
    value: Any = None


class ZendeskTicket(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int | str
    description: str = Field(default="", max_length=20_000)
    requester: ZendeskRequester
    custom_fields: list[ZendeskField] = Field(default_factory=list, max_length=100)


class ZendeskPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ticket: ZendeskTicket


_FIELD_OF = {"id": "order_id", "value": "order_value", "currency": "currency"}


def _order(fields: dict[str, Any]) -> Order:
    """The order from Zendesk custom fields; a bad one is a 422 naming the field at fault.

    A null or blank `order_id` is missing, not an order called "None": one offer per order
    and issue would otherwise join unrelated tickets.
    """
    order_id, value = fields.get("order_id"), fields.get("order_value", "0")
    if (
        isinstance(order_id, bool)
        or not isinstance(order_id, str | int)
        or not str(order_id).strip()
    ):
        raise InputError("ticket.custom_fields.order_id", "missing (a text or number id)")
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ArithmeticError
        amount = Decimal(str(value).strip())
    except ArithmeticError as exc:  # decimal.InvalidOperation included
        raise InputError("ticket.custom_fields.order_value", "not a money amount") from exc
    attributes = _attributes(fields, "order")
    try:
        return Order(
            id=str(order_id),
            value=amount,
            currency=str(fields.get("currency") or "USD"),
            attributes=attributes,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        name = _FIELD_OF.get(str(err["loc"][0]) if err["loc"] else "", "order_value")
        if err["loc"] and err["loc"][0] == "attributes" and len(err["loc"]) > 1:
            name = f"order.{err['loc'][1]}"
        raise InputError(f"ticket.custom_fields.{name}", str(err["msg"])) from exc


def _attributes(fields: dict[str, Any], part: str) -> dict[str, Any]:
    """Custom fields named `customer.NAME` or `order.NAME` are attributes a policy reads."""
    out = {}
    for key, value in fields.items():
        if key.startswith(part + ".") and value is not None and value != "":
            if not isinstance(value, str | int | float | bool):
                raise InputError(f"ticket.custom_fields.{key}", "a text, number or true/false")
            out[key.removeprefix(part + ".")] = value
    return out


_ANSWERS = {"accept": True, "accepted": True, "decline": False, "declined": False}


def _offer_answer(fields: dict[str, Any]) -> tuple[bool, int | None] | None:
    """`appease_offer_answer` (accept or decline) and `appease_offer_id`, if an answer is sent."""
    raw = fields.get("appease_offer_answer")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    answer = _ANSWERS.get(str(raw).strip().lower()) if isinstance(raw, str) else None
    if answer is None:
        raise InputError("ticket.custom_fields.appease_offer_answer", "accept or decline")
    raw_id = fields.get("appease_offer_id")
    if raw_id is None or raw_id == "":
        return answer, None
    try:
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
            raise ValueError
        offer_id = int(str(raw_id).strip())
    except ValueError as exc:
        raise InputError("ticket.custom_fields.appease_offer_id", "an offer id") from exc
    if offer_id < 1:
        raise InputError("ticket.custom_fields.appease_offer_id", "an offer id")
    return answer, offer_id


async def _answer(
    sessions: SessionsDep,
    zendesk_id: int | str,
    customer_id: str,
    accepted: bool,
    offer_id: int | None,
) -> dict[str, Any]:
    if offer_id is None:
        try:
            offer = await run_in_threadpool(
                ticket_offer, sessions, idempotency_key=f"zendesk-{zendesk_id}"
            )
        except NotFound:
            offer = None
        if offer is None:
            raise NotFound(f"no offer was made for Zendesk ticket {zendesk_id}")
        offer_id = int(offer["id"])
    answer = await run_in_threadpool(
        answer_offer, sessions, offer_id, accepted=accepted, by="zendesk", customer_id=customer_id
    )
    status = answer.offer["status"]
    return {
        "ticket": {
            "comment": {"body": f"appease: offer {offer_id} {status}", "public": False},
            "tags": ["appease", f"appease_offer_{status}"],
            "custom_fields": [
                {"id": "appease_offer_id", "value": offer_id},
                {"id": "appease_offer_status", "value": status},
            ],
        }
    }


@router.post("/zendesk")
async def zendesk(
    body: ZendeskPayload,
    principal: PrincipalDep,
    pipeline: PipelineDep,
) -> dict[str, Any]:
    principal.require("service")
    fields = {str(f.id): f.value for f in body.ticket.custom_fields}
    answer = _offer_answer(fields)
    if answer is not None:
        return await _answer(
            pipeline.sessions, body.ticket.id, body.ticket.requester.external_id, *answer
        )
    check_message(pipeline.settings, body.ticket.description, "body.ticket.description")
    order = _order(fields)
    try:
        customer = TicketCustomer(attributes=_attributes(fields, "customer"))
    except ValidationError as exc:
        raise InputError(
            "ticket.custom_fields", f"customer attributes: {exc.errors()[0]['msg']}"
        ) from exc
    request = TicketRequest(
        customer_id=body.ticket.requester.external_id,
        order=order,
        customer=customer,
        message=body.ticket.description,
    )
    out = await run_in_threadpool(
        handle_ticket,
        pipeline.sessions,
        request,
        channel="webhook",
        idempotency_key=f"zendesk-{body.ticket.id}",
        **pipeline.tools(),
    )
    offer = await run_in_threadpool(ticket_offer, pipeline.sessions, ticket_id=out.ticket_id)
    tags = ["appease", f"offer_{out.decision.offer.kind.value}"]
    if out.decision.escalate:
        tags.append("appease_escalated")
    return {
        "ticket": {
            "comment": {"body": out.reply.text, "public": not out.decision.escalate},
            "status": "open" if out.decision.escalate else "solved",
            "tags": tags,
            "custom_fields": [
                {"id": "appease_ticket_id", "value": out.ticket_id},
                {"id": "appease_offer_id", "value": offer["id"] if offer else None},
            ],
        }
    }
