"""The return status machine (DESIGN §3) against a table written here from the diagram.

The expected edges below are transcribed from the DESIGN §3 drawing, not copied from
``returns_api.returns.status``, so a change to either side shows up as a failing pair:

    requested ─► pending_review | approved | rejected         (births, judged by the policy)
    pending_review ─► approved | rejected | cancelled
    approved ─► in_transit | cancelled | expired | completed  (completed: keep-the-item)
    in_transit ─► received
    received ─► completed

``cancelled`` hangs off the branch "before shipping", i.e. from pending_review and approved;
``requested`` is never stored, so it is not a ReturnStatus.
"""

from __future__ import annotations

from itertools import pairwise, product

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from returns_api.returns.status import (
    BIRTH_STATUSES,
    RELEASED,
    TERMINAL,
    TRANSITIONS,
    ReturnStatus,
    can_transition,
)

EXPECTED_EDGES: dict[str, set[str]] = {
    "pending_review": {"approved", "rejected", "cancelled"},
    "approved": {"in_transit", "cancelled", "expired", "completed"},
    "in_transit": {"received"},
    "received": {"completed"},
    "rejected": set(),
    "cancelled": set(),
    "expired": set(),
    "completed": set(),
}
EXPECTED_BIRTHS = {"pending_review", "approved", "rejected"}
EXPECTED_TERMINAL = {"rejected", "cancelled", "expired", "completed"}

ALL_PAIRS = list(product(ReturnStatus, repeat=2))


def test_the_statuses_are_exactly_those_of_the_design() -> None:
    assert {s.value for s in ReturnStatus} == set(EXPECTED_EDGES)
    assert "requested" not in {s.value for s in ReturnStatus}


@pytest.mark.parametrize(
    ("current", "target"), ALL_PAIRS, ids=[f"{a.value}->{b.value}" for a, b in ALL_PAIRS]
)
def test_every_pair_is_allowed_iff_the_diagram_draws_it(
    current: ReturnStatus, target: ReturnStatus
) -> None:
    expected = target.value in EXPECTED_EDGES[current.value]
    assert can_transition(current, target) is expected
    assert ((current, target) in TRANSITIONS) is expected


def test_the_table_equals_the_diagram_as_a_whole() -> None:
    expected = {(a, b) for a, targets in EXPECTED_EDGES.items() for b in targets}
    assert {(a.value, b.value) for a, b in TRANSITIONS} == expected


def test_no_self_transitions() -> None:
    assert all(not can_transition(s, s) for s in ReturnStatus)


@pytest.mark.parametrize("status", sorted(EXPECTED_TERMINAL))
def test_terminal_statuses_have_no_way_out(status: str) -> None:
    assert ReturnStatus(status) in TERMINAL
    assert all(not can_transition(ReturnStatus(status), target) for target in ReturnStatus)
    assert all(current.value != status for current, _ in TRANSITIONS)


def test_terminal_set_is_exactly_the_designs() -> None:
    assert {s.value for s in TERMINAL} == EXPECTED_TERMINAL
    # ...and a status is terminal exactly when nothing leaves it.
    assert {s for s in ReturnStatus if not any(a is s for a, _ in TRANSITIONS)} == set(TERMINAL)


def test_births_are_pending_review_approved_rejected() -> None:
    assert {s.value for s in BIRTH_STATUSES} == EXPECTED_BIRTHS


def test_every_status_is_reachable_from_a_birth() -> None:
    seen = set(BIRTH_STATUSES)
    frontier = list(BIRTH_STATUSES)
    while frontier:
        current = frontier.pop()
        for a, b in TRANSITIONS:
            if a is current and b not in seen:
                seen.add(b)
                frontier.append(b)
    assert seen == set(ReturnStatus)


def test_every_non_terminal_status_can_still_reach_an_end() -> None:
    for start in set(ReturnStatus) - set(TERMINAL):
        seen, frontier = {start}, [start]
        while frontier:
            current = frontier.pop()
            for a, b in TRANSITIONS:
                if a is current and b not in seen:
                    seen.add(b)
                    frontier.append(b)
        assert seen & set(TERMINAL), start


def test_released_statuses_are_terminal_and_not_completed() -> None:
    # Units held by a rejected/cancelled/expired return may be returned again; a completed
    # return keeps them for good.
    assert set(RELEASED) <= set(TERMINAL)
    assert ReturnStatus.COMPLETED not in RELEASED
    assert {s.value for s in RELEASED} == {"rejected", "cancelled", "expired"}


class ReturnLifecycle(RuleBasedStateMachine):
    """A return driven by random requested transitions; only legal ones are applied.

    A model (the diagram's table above) is kept next to the real one: `can_transition`
    must agree with it on every attempt, so an illegal move is never accepted, and once a
    terminal status is reached every later attempt must be refused.
    """

    @initialize(born=st.sampled_from(sorted(EXPECTED_BIRTHS)))
    def be_born(self, born: str) -> None:
        self.status = ReturnStatus(born)
        assert self.status in BIRTH_STATUSES
        self.history: list[ReturnStatus] = [self.status]
        self.terminal_at: int | None = 0 if born in EXPECTED_TERMINAL else None

    @rule(wanted=st.sampled_from(list(ReturnStatus)))
    def attempt(self, wanted: ReturnStatus) -> None:
        legal = wanted.value in EXPECTED_EDGES[self.status.value]
        accepted = can_transition(self.status, wanted)
        assert accepted is legal, f"{self.status.value} -> {wanted.value}"
        if self.terminal_at is not None:
            assert not accepted, f"left terminal {self.status.value} for {wanted.value}"
        if accepted:
            self.status = wanted
            self.history.append(wanted)
            if wanted.value in EXPECTED_TERMINAL:
                self.terminal_at = len(self.history) - 1

    @rule()
    def attempt_every_target(self) -> None:
        allowed = {t for t in ReturnStatus if can_transition(self.status, t)}
        assert {t.value for t in allowed} == EXPECTED_EDGES[self.status.value]

    @invariant()
    def history_is_a_legal_path(self) -> None:
        for before, after in pairwise(self.history):
            assert (before, after) in TRANSITIONS

    @invariant()
    def terminal_is_final(self) -> None:
        if self.terminal_at is not None:
            assert self.terminal_at == len(self.history) - 1
            assert self.status in TERMINAL

    @invariant()
    def path_is_short(self) -> None:
        # The machine has no cycles: the longest path is
        # pending_review, approved, in_transit, received, completed.
        assert len(self.history) <= 5


ReturnLifecycle.TestCase.settings = settings(
    max_examples=200, stateful_step_count=25, deadline=None
)
test_return_lifecycle = ReturnLifecycle.TestCase
