"""The refund lifecycle, pure (returns/refunding.py): whatever mix of refunds carried out at
once, refunds left pending, and pending ones that succeed or fail, no method ever pays back
more than its share, pending money is never offered twice, and a failure gives back exactly
its amount (issue 21 §1, §3: the money invariant covers pending and failed refunds)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from returns_api.returns.domain import Return
from returns_api.returns.exceptions import NothingToRefund, RefundTooLarge
from tests.unit.test_return_domain import act, received

# An operation: refund (amount, carried out at once?), or settle the n-th pending one.
Operation = st.one_of(
    st.tuples(st.just("refund"), st.integers(min_value=1, max_value=2500), st.booleans()),
    st.tuples(st.just("settle"), st.integers(min_value=0, max_value=5), st.booleans()),
)


def check(ret: Return) -> None:
    taken = [r for r in ret.refunds if r.status in ("pending", "succeeded")]
    pending = [r for r in ret.refunds if r.status == "pending"]
    assert ret.refunded_amount == sum(r.amount for r in taken)
    assert ret.refunds_pending == sum(r.amount for r in pending)
    for method, share in ret.refundable_by_method().items():
        assert ret.refunded_by(method) <= share, method
    assert ret.refunded_amount <= ret.refundable_amount


@settings(max_examples=200)
@given(st.lists(Operation, max_size=12))
def test_pending_and_failed_refunds_never_pay_back_more_than_the_share(
    operations: list[tuple[str, int, bool]],
) -> None:
    ret = received()
    for step, (kind, number, flag) in enumerate(operations, start=3):
        if kind == "refund":
            before = ret.refunded_amount
            try:
                ret.refund(
                    act(step),
                    amount=number,
                    method=None,
                    external_reference=None,
                    note=None,
                    executor="record" if flag else "platform",
                    settled=flag,
                )
            except (RefundTooLarge, NothingToRefund):
                assert ret.refunded_amount == before  # refused: nothing changed
        else:
            pending = [r for r in ret.refunds if r.status == "pending"]
            if not pending:
                continue
            refund = pending[number % len(pending)]
            before = ret.refunded_amount
            ret.settle_refund(
                act(step), refund.id, succeeded=flag, external_reference=None, reason="declined"
            )
            expected = before if flag else before - refund.amount
            assert ret.refunded_amount == expected
        check(ret)
