"""The return's parcels, pure (returns/shipments.py): labels are asked for at approval by
methods that have them, recorded once, voided when the return is called off (a bought one
marked for the carrier), and carrier scans apply only when newer than the parcel's last."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from returns_api.returns.domain import Return
from returns_api.returns.shipments import BoughtLabel, Scan, ShipmentPlan
from returns_api.returns.status import ReturnStatus
from tests.unit.test_return_domain import T0, TERMS, act, new_return

S = ReturnStatus
PLAN = ShipmentPlan(method="mail", kind="prepaid_label", carrier="dhl", destination=None)


def bought(carrier_id: str | None = "shp_1") -> BoughtLabel:
    return BoughtLabel(
        carrier="dhl",
        tracking_number="JD1",
        carrier_shipment_id=carrier_id,
        label_url=None,
        qr_payload="R-TEST",
        qr_url=None,
        has_label_pdf=True,
    )


def labelled(carrier_id: str | None = "shp_1") -> Return:
    ret = new_return()
    ret.approve(act(1), keep_item=False, instructions={}, note=None, terms=TERMS, shipment=PLAN)
    ret.record_label(act(2), ret.shipments[0].id, bought(carrier_id))
    return ret


def test_only_methods_with_labels_ask_for_one_at_approval() -> None:
    for kind, expected in (("prepaid_label", 1), ("drop_off_qr", 1), ("customer_ships", 0)):
        ret = new_return()
        plan = ShipmentPlan(method="m", kind=kind, carrier=None, destination=None)
        ret.approve(act(1), keep_item=False, instructions={}, note=None, terms=TERMS, shipment=plan)
        assert len(ret.shipments) == expected, kind
    kept = new_return()
    kept.approve(act(1), keep_item=True, instructions={}, note=None, terms=TERMS, shipment=PLAN)
    assert kept.shipments == []


def test_a_label_is_recorded_once_with_its_event() -> None:
    ret = labelled()
    version = ret.version
    assert (ret.tracking_number, ret.shipments[0].label_state) == ("JD1", "created")
    assert [e.type for e in ret.pending_events][-1] == "return.label_created"
    ret.record_label(act(3), ret.shipments[0].id, bought())  # a worker's retry after a crash
    assert ret.version == version


def test_expiring_or_cancelling_voids_labels_and_marks_bought_ones_for_the_carrier() -> None:
    expired = labelled()
    expired.expire(act(5), note="not shipped", data={})
    [shipment] = expired.shipments
    assert (shipment.label_state, shipment.carrier_void_due) == ("voided", True)
    assert shipment.next_attempt_at == act(5).at
    builtin = labelled(carrier_id=None)  # nothing was bought: nothing to give back
    builtin.cancel(act(5), note=None)
    assert (builtin.shipments[0].label_state, builtin.shipments[0].carrier_void_due) == (
        "voided",
        False,
    )


def test_a_label_bought_after_the_return_was_cancelled_is_only_given_back() -> None:
    ret = new_return()
    ret.approve(act(1), keep_item=False, instructions={}, note=None, terms=TERMS, shipment=PLAN)
    ret.cancel(act(2), note=None)
    ret.record_label(act(3), ret.shipments[0].id, bought())
    [shipment] = ret.shipments
    assert (shipment.label_state, shipment.carrier_void_due) == ("voided", True)
    assert ret.tracking_number is None
    assert "return.label_created" not in [e.type for e in ret.pending_events]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=20),
            st.sampled_from(["in_transit", "delivered", "exception"]),
        ),
        max_size=12,
    )
)
def test_a_scan_applies_only_when_newer_than_the_parcels_last(
    scans: list[tuple[int, str]],
) -> None:
    ret = labelled()
    shipment_id = ret.shipments[0].id
    newest: int | None = None
    moved = False
    for minute, status in scans:
        scan = Scan(status, T0 + timedelta(minutes=minute), "JD1", "dhl")
        applied = ret.record_scan(act(10 + minute), shipment_id, scan)
        assert applied == (newest is None or minute > newest)
        if applied:
            newest = minute
            moved = moved or status != "exception"
            assert ret.tracking_status == status
    # Only a scan that is no exception puts the parcel on its way.
    assert (ret.status is S.IN_TRANSIT) == moved


def test_a_label_bought_after_the_parcel_arrived_is_only_given_back() -> None:
    ret = new_return()
    ret.approve(act(1), keep_item=False, instructions={}, note=None, terms=TERMS, shipment=PLAN)
    ret.record_tracking(
        act(2), event="in_transit", tracking_number="OWN1", carrier=None, occurred_at=T0, note=None
    )
    ret.status = S.RECEIVED  # as if received while the worker was buying
    ret.record_label(act(3), ret.shipments[0].id, bought())
    [shipment] = ret.shipments
    assert (shipment.label_state, shipment.carrier_void_due) == ("voided", True)
    assert ret.tracking_number == "OWN1"  # the parcel's own number stays
