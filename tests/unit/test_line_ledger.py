"""The shares of one order line across its returns, whatever their history (pure maths).

A hypothesis state machine plays returns against one line: new returns take units, some are
released (cancelled, rejected, expired), some are valued again on fewer units (partial
acceptance). After every step the shares of the live returns pay back no more than was paid
for the line, and exactly that once every unit is valued. The same invariant is checked
through the HTTP API in tests/api/test_line_refunds_machine.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

from returns_api.returns.refund_math import (
    FeeTerms,
    ItemBreakdown,
    PaidLine,
    RefundItem,
    Taken,
    compute_refund,
)
from tests.unit.test_refund_math import paid_lines


@dataclass
class Held:
    units: int  # what the return holds of the line (requested)
    share: ItemBreakdown | None  # its valuation; None when no unit is valued


class LineLedger(RuleBasedStateMachine):
    returns = Bundle("returns")

    @initialize(line=paid_lines())
    def sell(self, line: PaidLine) -> None:
        self.line = line
        self.live: dict[int, Held] = {}
        self.next_id = 0

    def taken_by_others(self, exclude: int | None = None) -> Taken:
        shares = [h.share for i, h in self.live.items() if i != exclude and h.share]
        return Taken(
            units=sum(s.quantity for s in shares),
            discount=sum(s.discount for s in shares),
            tax=sum(s.tax for s in shares),
        )

    def value(self, units: int, exclude: int | None = None) -> ItemBreakdown:
        item = RefundItem(
            key="item",
            line=self.line,
            quantity=units,
            merchant_fault=False,
            resolution="refund",
            taken=self.taken_by_others(exclude),
        )
        return compute_refund([item], FeeTerms()).items[0]

    def units_free(self) -> int:
        return self.line.quantity - sum(h.units for h in self.live.values())

    @precondition(lambda self: self.units_free() > 0)
    @rule(target=returns, data=st.data())
    def create(self, data: st.DataObject) -> int:
        units = data.draw(st.integers(1, self.units_free()), label="units")
        self.next_id += 1
        self.live[self.next_id] = Held(units, self.value(units))
        return self.next_id

    @rule(ret=consumes(returns))
    def release(self, ret: int) -> None:
        self.live.pop(ret, None)

    @rule(ret=returns, data=st.data())
    def inspect(self, ret: int, data: st.DataObject) -> None:
        held = self.live.get(ret)
        if held is None:
            return
        accepted = data.draw(st.integers(0, held.units), label="accepted")
        held.share = self.value(accepted, exclude=ret) if accepted else None

    @invariant()
    def the_line_is_never_paid_back_more_than_once(self) -> None:
        shares = [h.share for h in self.live.values() if h.share]
        for share in shares:
            assert 0 <= share.discount <= share.merchandise
            assert share.tax >= 0
        paid = sum(s.paid for s in shares)
        line_paid = self.line.value - self.line.discount + self.line.tax
        assert paid <= line_paid
        assert sum(s.discount for s in shares) <= self.line.discount
        assert sum(s.tax for s in shares) <= self.line.tax
        if sum(s.quantity for s in shares) == self.line.quantity:
            assert paid == line_paid


LineLedger.TestCase.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)
test_line_ledger = LineLedger.TestCase
