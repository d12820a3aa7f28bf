"""Demo data is made by the return aggregate: every demo return's timeline is a path through
the status table, and its rows keep the aggregate's invariants (no database)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest

from returns_api.demo.config import DemoChunk, DemoConfig
from returns_api.demo.generator import generate
from returns_api.policies.service import DEFAULT_POLICY, DEFAULT_VERSION
from returns_api.returns.status import BIRTH_STATUSES, TRANSITIONS, ReturnStatus

END = datetime(2026, 10, 31, tzinfo=UTC)


def _rows(orders: int, seed: int) -> DemoChunk:
    """Every chunk of a run, in one."""
    whole = DemoChunk()
    config = DemoConfig(orders=orders, end=END, seed=seed, chunk_orders=500)
    for chunk in generate(config, DEFAULT_VERSION, DEFAULT_POLICY):
        for name, rows in chunk.tables():
            getattr(whole, name).extend(rows)
    return whole


@pytest.fixture(scope="module")
def demo() -> DemoChunk:
    return _rows(3000, seed=5)


def _by_return(rows: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    found: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["return_id"]].append(row)
    return found


def test_every_demo_timeline_is_a_path_through_the_status_table(demo: DemoChunk) -> None:
    timelines = _by_return(demo.return_changes)
    for ret in demo.returns:
        timeline = timelines[ret["id"]]
        born = timeline[0]
        assert (born["kind"], born["from_status"]) == ("created", None)
        assert ReturnStatus(born["to_status"]) in BIRTH_STATUSES
        for before, change in itertools.pairwise(timeline):
            assert change["from_status"] == before["to_status"], ret["rma_number"]
            moved = (ReturnStatus(change["from_status"]), ReturnStatus(change["to_status"]))
            assert moved[0] == moved[1] or moved in TRANSITIONS, (ret["rma_number"], moved)
            # The API reads a timeline in id order: it must be the order things happened in.
            assert before["created_at"] <= change["created_at"]  # one act: one moment
            assert before["id"] < change["id"]
        assert timeline[-1]["to_status"] == ret["status"]
        assert ret["version"] == len(timeline)
        assert ret["updated_at"] == timeline[-1]["created_at"] <= END
    # Every status is reached somewhere, so every branch of the simulation is exercised.
    assert {ret["status"] for ret in demo.returns} == {status.value for status in ReturnStatus}


def test_demo_refunds_never_exceed_what_is_refundable(demo: DemoChunk) -> None:
    refunds = _by_return(demo.refunds)
    for ret in demo.returns:
        paid = refunds.get(ret["id"], [])
        assert ret["refunded_amount"] == sum(r["amount"] for r in paid)
        assert 0 <= ret["refunded_amount"] <= ret["refundable_amount"]
        by_method = ret["refund_breakdown"]["by_method"]
        for method in {r["method"] for r in paid}:
            assert sum(r["amount"] for r in paid if r["method"] == method) <= by_method[method]
        assert ret["refundable_amount"] == ret["refund_breakdown"]["total"]
        if paid:
            assert ret["status"] == "completed" or (ret["status"], ret["keep_item"]) in {
                ("received", False),
                ("approved", True),
            }
            assert ret["first_refunded_at"] == min(r["created_at"] for r in paid)
        else:
            assert ret["first_refunded_at"] is None
    assert sum(len(paid) for paid in refunds.values()) > 0


def test_demo_items_and_milestones_agree_with_their_timeline(demo: DemoChunk) -> None:
    timelines = _by_return(demo.return_changes)
    items = _by_return(demo.return_items)
    for ret in demo.returns:
        timeline = timelines[ret["id"]]
        approvals = [c["created_at"] for c in timeline if c["to_status"] == "approved"]
        receipts = [c["created_at"] for c in timeline if c["kind"] == "received"]
        assert ret["auto_approved"] == (timeline[0]["to_status"] == "approved")
        assert ret["approved_at"] == (approvals[0] if approvals else None)
        assert ret["received_at"] == (receipts[0] if receipts else None)
        for item in items[ret["id"]]:
            assert 0 <= item["accepted_quantity"] <= item["received_quantity"]
            assert item["received_quantity"] <= item["quantity"] <= item["line_quantity"]
            if not receipts:
                assert (item["reception_status"], item["acceptance_status"]) == (
                    "awaiting",
                    "pending",
                )


def test_the_same_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first, again, other = _rows(300, seed=9), _rows(300, seed=9), _rows(300, seed=10)
    assert first.tables() == again.tables()
    assert first.returns
    assert {r["id"] for r in first.returns}.isdisjoint(r["id"] for r in other.returns)
