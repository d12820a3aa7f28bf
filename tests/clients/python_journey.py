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
    record_tracking_event,
    refund_return,
    reject_return,
)
from returns_api_client.models import (
    ApproveBody,
    ConditionGrade,
    Customer,
    CustomerDecision,
    DecisionOut,
    Disposition,
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
    ReturnItemIn,
    ReturnOut,
    ReturnPage,
    ReturnRequest,
    ReturnStatus,
    TrackingEventIn,
    TrackingStatus,
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
        ]
    )
    received = returned(receive_return.sync(ret.id, client=staff, body=inspected), ReturnOut)
    assert received.amounts.refundable == 2060

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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
