"""The return journey through the Python client generated from openapi/openapi.json.

Run by tests/clients/test_python_client.py once the client is generated and installed:
`python python_journey.py BASE_URL API_KEY` (it imports `returns_api_client`). Also
type-checked with mypy, so the generated types are proven usable, not only importable.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime, timedelta

from returns_api_client import AuthenticatedClient
from returns_api_client.api.auth import get_identity
from returns_api_client.api.catalog import upsert_variant
from returns_api_client.api.orders import upsert_order
from returns_api_client.api.portal import create_portal_session
from returns_api_client.api.returns import (
    approve_return,
    cancel_return,
    complete_return,
    create_return,
    get_return,
    list_returns,
    quote_return,
    receive_return,
    record_exchange_fulfillment,
    record_exchange_payment,
    record_tracking_event,
    refund_return,
    reject_return,
)
from returns_api_client.models import (
    Address,
    ApproveBody,
    ConditionGrade,
    Customer,
    CustomerDecision,
    DecisionOut,
    Disposition,
    ExchangeBalanceOut,
    ExchangeFulfillmentIn,
    ExchangeFulfillmentOut,
    ExchangeItemOut,
    ExchangePaymentIn,
    ExchangePaymentOut,
    LineItemIn,
    OrderOut,
    OrderUpsert,
    PortalSessionIn,
    PortalSessionOut,
    Problem,
    QuoteOut,
    ReceiveBody,
    ReceivedItemIn,
    RefundIn,
    RefundMethod,
    Resolution,
    ReturnItemIn,
    ReturnOut,
    ReturnPage,
    ReturnRequest,
    ReturnStatus,
    TrackingEventIn,
    TrackingStatus,
    VariantOut,
    VariantPrice,
    VariantUpsert,
)


def returned(value: object, kind: type[ReturnOut]) -> ReturnOut:
    """The parsed body, which must be a return (else the problem is shown)."""
    assert isinstance(value, kind), value
    return value


def main(base_url: str, key: str) -> None:
    staff = AuthenticatedClient(base_url=base_url, token=key, raise_on_unexpected_status=True)
    now = datetime.now(UTC)

    # 1. The commerce platform syncs the order.
    order = OrderUpsert(
        order_number="PY-1001",
        customer=Customer(id="cus_py", email="ada@example.com"),
        currency="EUR",
        placed_at=now - timedelta(days=6),
        fulfilled_at=now - timedelta(days=5),
        delivered_at=now - timedelta(days=3),
        shipping_paid=495,
        line_items=[
            LineItemIn(
                id="li_1", title="T-shirt", quantity=3, unit_price=1000, discount=100, tax=190
            ),
            LineItemIn(id="li_2", title="Mug", quantity=1, unit_price=5000, tax=950),
        ],
    )
    synced = upsert_order.sync_detailed("ord_py", client=staff, body=order)
    assert synced.status_code == 201, synced.content
    assert isinstance(synced.parsed, OrderOut)
    assert [line.returnable_quantity for line in synced.parsed.line_items] == [3, 1]

    # 2. Quote, then 3. create with an Idempotency-Key (a retry replays the same return).
    items = [
        ReturnItemIn(line_item_id="li_1", quantity=2, reason="size_fit"),
        ReturnItemIn(line_item_id="li_2", quantity=1, reason="damaged"),
    ]
    request = ReturnRequest(order_id="ord_py", items=items, return_method="mail")
    quote = quote_return.sync(client=staff, body=request)
    assert isinstance(quote, QuoteOut)
    assert quote.eligible
    assert quote.estimated_refund is not None
    assert quote.estimated_refund.total == 2060 + 5950

    once = str(uuid.uuid4())
    created = create_return.sync_detailed(client=staff, body=request, idempotency_key=once)
    assert created.status_code == 201, created.content
    ret = returned(created.parsed, ReturnOut)
    assert ret.status == ReturnStatus.PENDING_REVIEW
    assert created.headers["etag"] == '"1"'
    again = create_return.sync_detailed(client=staff, body=request, idempotency_key=once)
    assert again.headers["idempotent-replayed"] == "true"
    assert returned(again.parsed, ReturnOut).id == ret.id

    # The error case, read through the generated Problem type: a stale If-Match is a 412.
    stale = approve_return.sync_detailed(ret.id, client=staff, if_match='"7"')
    assert stale.status_code == 412
    problem = stale.parsed
    assert isinstance(problem, Problem), problem
    assert problem.type_ == "urn:returns-api:problem:stale-version"
    assert problem.current_etag == '"1"'
    assert problem.request_id

    # 4. Approve (with the ETag read), 5. the parcel moves, 6. inspection.
    approved = approve_return.sync_detailed(
        ret.id,
        client=staff,
        body=ApproveBody(note="ok", label_url="https://labels.example/R.pdf"),
        if_match=created.headers["etag"],
    )
    assert returned(approved.parsed, ReturnOut).status == ReturnStatus.APPROVED
    moving = record_tracking_event.sync(
        ret.id,
        client=staff,
        body=TrackingEventIn(status=TrackingStatus.IN_TRANSIT, carrier="DHL", tracking_number="1Z"),
    )
    assert returned(moving, ReturnOut).status == ReturnStatus.IN_TRANSIT
    inspected = ReceiveBody(
        items=[
            ReceivedItemIn(
                line_item_id="li_1",
                received_quantity=2,
                condition=ConditionGrade.AS_NEW,
                disposition=Disposition.RESTOCK,
            ),
            ReceivedItemIn(
                line_item_id="li_2",
                received_quantity=1,
                accepted_quantity=0,
                condition=ConditionGrade.DAMAGED,
                disposition=Disposition.DISPOSE,
            ),
        ],
        warehouse="WH-BER",
    )
    received = returned(receive_return.sync(ret.id, client=staff, body=inspected), ReturnOut)
    assert received.amounts.refundable == 2060
    assert received.timeline[-1].kind == "received"

    # 7. Refund in two goes, then close.
    first = refund_return.sync(ret.id, client=staff, body=RefundIn(amount=1000))
    assert returned(first, ReturnOut).amounts.remaining == 1060
    too_much = refund_return.sync_detailed(ret.id, client=staff, body=RefundIn(amount=5000))
    assert isinstance(too_much.parsed, Problem)
    assert too_much.status_code == 422
    assert too_much.parsed.type_ == "urn:returns-api:problem:refund-exceeds-refundable"
    rest = returned(refund_return.sync(ret.id, client=staff, body=RefundIn()), ReturnOut)
    assert [refund.amount for refund in rest.refunds] == [1000, 1060]
    # The bodies of approve, reject, cancel and complete are optional: left out here.
    done = complete_return.sync_detailed(ret.id, client=staff)
    assert returned(done.parsed, ReturnOut).status == ReturnStatus.COMPLETED, done.content
    final = returned(get_return.sync(ret.id, client=staff), ReturnOut)
    assert final.amounts.refunded == 2060
    assert len(final.timeline) == 7
    assert isinstance(final.decision, DecisionOut)  # an API key sees the trace and facts
    assert final.decision.trace

    page = list_returns.sync(client=staff, order_id="ord_py", status=ReturnStatus.COMPLETED)
    assert isinstance(page, ReturnPage)
    assert [r.id for r in page.data] == [ret.id]

    # The customer's side: a portal token for the one order sees its returns only.
    session = create_portal_session.sync(
        client=staff, body=PortalSessionIn(order_number="PY-1001", email="ada@example.com")
    )
    assert isinstance(session, PortalSessionOut)
    assert session.token.startswith("pt_")
    customer = AuthenticatedClient(base_url=base_url, token=session.token)
    mine = list_returns.sync(client=customer)
    assert isinstance(mine, ReturnPage)
    assert [r.id for r in mine.data] == [ret.id]
    seen = returned(get_return.sync(ret.id, client=customer), ReturnOut)
    assert isinstance(seen.decision, CustomerDecision)  # the outcome, never the rules
    assert seen.decision.message == final.decision.message

    # Approve, reject and cancel without a body (the customer cancels their own return).
    one = ReturnRequest(
        order_id="ord_py", items=[ReturnItemIn(line_item_id="li_1", quantity=1, reason="size_fit")]
    )
    second = returned(create_return.sync(client=staff, body=one), ReturnOut)
    plain = approve_return.sync_detailed(second.id, client=staff)
    assert returned(plain.parsed, ReturnOut).status == ReturnStatus.APPROVED, plain.content
    withdrawn = cancel_return.sync_detailed(second.id, client=customer)
    assert returned(withdrawn.parsed, ReturnOut).status == ReturnStatus.CANCELLED
    third = returned(create_return.sync(client=staff, body=one), ReturnOut)
    refused = reject_return.sync_detailed(third.id, client=staff)
    assert returned(refused.parsed, ReturnOut).status == ReturnStatus.REJECTED, refused.content

    sync_exchange_catalog(staff, now)
    exchange_for_a_dearer_variant(staff, now)
    exchange_for_a_cheaper_variant(staff)

    # Errors are problems everywhere: an unknown return, a missing credential.
    missing = get_return.sync_detailed(uuid.uuid4(), client=staff)
    assert isinstance(missing.parsed, Problem)
    assert missing.status_code == 404
    assert missing.parsed.type_ == "urn:returns-api:problem:return-not-found"
    anonymous = AuthenticatedClient(base_url=base_url, token="rk_not-a-key")
    unknown = get_identity.sync_detailed(client=anonymous)
    assert isinstance(unknown.parsed, Problem)
    assert unknown.status_code == 401
    print("journey through the generated client: ok")  # noqa: T201


# --- exchanges: a returned T-shirt swapped for a catalog variant -----------------------------

# One line of two T-shirts: one unit was paid its price less half the discount, plus half the tax.
TEE_PRICE, TEE_DISCOUNT, TEE_TAX = 2000, 200, 342
TEE = LineItemIn(
    id="li_tee",
    title="T-shirt",
    product_id="prod_tee",
    quantity=2,
    unit_price=TEE_PRICE,
    discount=TEE_DISCOUNT,
    tax=TEE_TAX,
)
PAID_FOR_ONE_TEE = TEE_PRICE - TEE_DISCOUNT // 2 + TEE_TAX // 2
# Variants of the same product, (unit price, tax) of one unit: one dearer, one cheaper.
GOLD = (2600, 494)
SALE = (1000, 190)


def sync_exchange_catalog(staff: AuthenticatedClient, now: datetime) -> None:
    """The platform syncs the variants an exchange may name, and the order (with an address)."""
    for variant_id, (unit_price, tax) in (("var_tee_gold", GOLD), ("var_tee_sale", SALE)):
        variant = VariantUpsert(
            product_id="prod_tee",
            title=f"T-shirt {variant_id}",
            prices=[VariantPrice(currency="EUR", unit_price=unit_price, tax=tax)],
            available_quantity=5,
        )
        synced = upsert_variant.sync_detailed(variant_id, client=staff, body=variant)
        assert synced.status_code == 201, synced.content
        assert isinstance(synced.parsed, VariantOut)
    order = OrderUpsert(
        order_number="PY-2001",
        customer=Customer(id="cus_py", email="ada@example.com", name="Ada Lovelace"),
        shipping_address=Address(lines=["Hauptstraße 5"], city="Berlin", country="DE"),
        currency="EUR",
        placed_at=now - timedelta(days=6),
        delivered_at=now - timedelta(days=3),
        line_items=[TEE],
    )
    synced_order = upsert_order.sync_detailed("ord_py_x", client=staff, body=order)
    assert synced_order.status_code == 201, synced_order.content


def approved_exchange(staff: AuthenticatedClient, variant_id: str) -> ReturnOut:
    """One T-shirt exchanged for the variant, approved by a person if the policy asks."""
    item = ReturnItemIn(
        line_item_id="li_tee",
        quantity=1,
        reason="size_fit",
        resolution=Resolution.EXCHANGE,
        exchange_variant_id=variant_id,
    )
    body = ReturnRequest(order_id="ord_py_x", items=[item])
    ret = returned(create_return.sync(client=staff, body=body), ReturnOut)
    if ret.status == ReturnStatus.PENDING_REVIEW:
        ret = returned(approve_return.sync(ret.id, client=staff), ReturnOut)
    assert ret.status == ReturnStatus.APPROVED
    return ret


def received_exchange(staff: AuthenticatedClient, ret: ReturnOut) -> ReturnOut:
    """The parcel moves and its one T-shirt is accepted."""
    moving = TrackingEventIn(status=TrackingStatus.IN_TRANSIT, carrier="DHL")
    returned(record_tracking_event.sync(ret.id, client=staff, body=moving), ReturnOut)
    inspected = ReceiveBody(
        items=[
            ReceivedItemIn(
                item_id=ret.items[0].id,
                received_quantity=1,
                accepted_quantity=1,
                condition=ConditionGrade.AS_NEW,
                disposition=Disposition.RESTOCK,
            )
        ]
    )
    return returned(receive_return.sync(ret.id, client=staff, body=inspected), ReturnOut)


def balance(ret: ReturnOut) -> ExchangeBalanceOut:
    shown = ret.refund_breakdown.exchange
    assert isinstance(shown, ExchangeBalanceOut), shown
    return shown


def exchange_for_a_dearer_variant(staff: AuthenticatedClient, now: datetime) -> None:
    """The customer pays the difference, then the platform orders and ships the new shirt."""
    gold = sum(GOLD)  # tax included
    owed = gold - PAID_FOR_ONE_TEE
    ret = approved_exchange(staff, "var_tee_gold")
    exchange = ret.items[0].exchange
    assert isinstance(exchange, ExchangeItemOut), exchange
    assert (exchange.variant_id, exchange.unit_price, exchange.like_for_like) == (
        "var_tee_gold",
        GOLD[0],
        False,
    )
    shown = balance(ret)
    assert (shown.credit, shown.new_value) == (PAID_FOR_ONE_TEE, gold)
    assert (shown.amount_due, shown.refund_due) == (owed, 0)
    assert ret.amounts.refundable == 0  # the credit buys the new shirt
    payment = ret.exchange_payment
    assert isinstance(payment, ExchangePaymentOut), payment
    assert (payment.amount_due, payment.paid, payment.outstanding) == (owed, 0, owed)
    assert payment.due_at is not None
    assert payment.due_at > now

    # The platform collects the difference in two goes; a report sent twice is one payment.
    first = ExchangePaymentIn(amount=500, external_reference="ch_py_1")
    part = returned(record_exchange_payment.sync(ret.id, client=staff, body=first), ReturnOut)
    assert isinstance(part.exchange_payment, ExchangePaymentOut)
    assert part.exchange_payment.outstanding == owed - 500
    again = returned(record_exchange_payment.sync(ret.id, client=staff, body=first), ReturnOut)
    assert again.version == part.version
    rest = ExchangePaymentIn(amount=owed - 500, external_reference="ch_py_2")
    paid = returned(record_exchange_payment.sync(ret.id, client=staff, body=rest), ReturnOut)
    assert isinstance(paid.exchange_payment, ExchangePaymentOut)
    assert (paid.exchange_payment.paid, paid.exchange_payment.outstanding) == (owed, 0)
    assert paid.exchange_payment.due_at is None
    assert paid.exchange_fulfillment is None  # nothing came back yet

    # Received and accepted, with nothing owed: the replacement order is requested.
    ret = received_exchange(staff, paid)
    requested = ret.exchange_fulfillment
    assert isinstance(requested, ExchangeFulfillmentOut), requested
    assert requested.ship_to is not None
    assert requested.ship_to.name == "Ada Lovelace"
    assert (requested.order_id, requested.fulfilled_at) == (None, None)

    # The platform reports the order, then its shipment.
    order = ExchangeFulfillmentIn(order_id="ord_py_2002")
    ret = returned(record_exchange_fulfillment.sync(ret.id, client=staff, body=order), ReturnOut)
    assert isinstance(ret.exchange_fulfillment, ExchangeFulfillmentOut)
    assert ret.exchange_fulfillment.order_id == "ord_py_2002"
    shipped = ExchangeFulfillmentIn(order_id="ord_py_2002", tracking_number="1Z9", carrier="ups")
    ret = returned(record_exchange_fulfillment.sync(ret.id, client=staff, body=shipped), ReturnOut)
    fulfilled = ret.exchange_fulfillment
    assert isinstance(fulfilled, ExchangeFulfillmentOut)
    assert (fulfilled.tracking_number, fulfilled.carrier) == ("1Z9", "ups")
    assert fulfilled.fulfilled_at is not None
    done = returned(complete_return.sync(ret.id, client=staff), ReturnOut)
    assert done.status == ReturnStatus.COMPLETED
    assert done.refunds == []


def exchange_for_a_cheaper_variant(staff: AuthenticatedClient) -> None:
    """The credit is worth more than the new shirt: the remainder is refunded, once."""
    sale = sum(SALE)  # tax included
    remainder = PAID_FOR_ONE_TEE - sale
    ret = approved_exchange(staff, "var_tee_sale")
    assert ret.exchange_payment is None  # nothing to pay
    assert (balance(ret).amount_due, balance(ret).refund_due) == (0, remainder)

    ret = received_exchange(staff, ret)
    assert isinstance(ret.exchange_fulfillment, ExchangeFulfillmentOut)  # ordered at once
    assert ret.amounts.refundable == remainder
    exact = RefundIn(amount=balance(ret).refund_due, method=RefundMethod.EXCHANGE)
    refunded = returned(refund_return.sync(ret.id, client=staff, body=exact), ReturnOut)
    assert [(r.method, r.amount) for r in refunded.refunds] == [(RefundMethod.EXCHANGE, remainder)]
    assert refunded.amounts.remaining == 0
    twice = refund_return.sync_detailed(
        ret.id, client=staff, body=RefundIn(method=RefundMethod.EXCHANGE)
    )
    assert twice.status_code == 409, twice.content
    assert isinstance(twice.parsed, Problem)
    assert twice.parsed.type_ == "urn:returns-api:problem:nothing-to-refund"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
