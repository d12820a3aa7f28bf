"""A return's parcels: the part of the return aggregate (`domain.Return` takes it in) that
asks for labels, records what the label worker bought, voids labels of a return called off,
and turns tracking (a person's or a carrier's scan) into the return's progress.

Pure, like the rest of the aggregate. A label is never bought here: a shipment is born
`pending`, and the label worker buys it outside any request (`shipping.labels`), then
reports back with `record_label` or `record_label_failure`. A cancelled or expired return
voids its labels; a label already bought is marked for the worker to give back to the
carrier (`carrier_void_due`).

Carriers retry their webhooks and send scans out of order: `record_scan` answers False and
changes nothing for a scan no newer than the parcel's last one, or one after the return left
transit. A person's tracking entry (`record_tracking`) keeps its 409 for a mistake.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from returns_api.core.clock import rfc3339
from returns_api.returns.difference import ExchangeDifference
from returns_api.returns.exceptions import IllegalTransition, NoLabelForMethod, ShipmentNotFound
from returns_api.returns.parts import Act
from returns_api.returns.status import ReturnStatus

S = ReturnStatus
# Methods whose parcels get a label (or a drop-off code) from the carrier.
LABEL_KINDS: Final = frozenset({"prepaid_label", "drop_off_qr"})
# Where a parcel may be on its way: a label may be asked for, a scan moves the return.
_SHIPPABLE: Final = frozenset({S.APPROVED, S.IN_TRANSIT})


@dataclass(frozen=True, slots=True)
class ShipmentPlan:
    """What a new shipment is: the return method, its kind and carrier, and the warehouse
    the parcel goes to (as the policy had it then)."""

    method: str
    kind: str
    carrier: str | None
    destination: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class BoughtLabel:
    """What the label worker got from the carrier (`shipping.carrier.Label`, stored)."""

    carrier: str
    tracking_number: str
    carrier_shipment_id: str | None
    label_url: str | None
    qr_payload: str | None
    qr_url: str | None
    has_label_pdf: bool


@dataclass(frozen=True, slots=True)
class Scan:
    """A tracking event of one parcel: `in_transit`, `delivered` or `exception`."""

    status: str
    occurred_at: datetime
    tracking_number: str | None
    carrier: str | None
    description: str | None = None


@dataclass(slots=True)
class Shipment:
    """One parcel; field names are the `shipments` table's columns."""

    id: uuid.UUID
    position: int
    method: str
    kind: str
    carrier: str | None
    label_state: str
    created_at: datetime
    destination: dict[str, Any] | None = None
    tracking_number: str | None = None
    carrier_shipment_id: str | None = None
    label_url: str | None = None
    qr_payload: str | None = None
    qr_url: str | None = None
    has_label_pdf: bool = False
    tracking_status: str | None = None
    last_scan_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    carrier_void_due: bool = False
    label_created_at: datetime | None = None
    voided_at: datetime | None = None


class Shipments(ExchangeDifference):
    """What `Return` does about its parcels; the fields are the return's."""

    __slots__ = ()

    shipments: list[Shipment]
    return_method: str
    tracking_number: str | None
    carrier: str | None
    tracking_status: str | None
    version: int
    updated_at: datetime

    def shipment(self, shipment_id: uuid.UUID) -> Shipment:
        found = next((s for s in self.shipments if s.id == shipment_id), None)
        if found is None:
            raise ShipmentNotFound(f"Shipment {shipment_id} does not exist.")
        return found

    def request_shipment(
        self, act: Act, plan: ShipmentPlan | None, *, note: str | None
    ) -> Shipment:
        """Another parcel (or the first, for a method that does not buy its label at
        approval): a label to be bought by the worker."""
        if self.keep_item or self.status not in _SHIPPABLE:
            raise IllegalTransition(
                "Only an approved return on its way back can get a label"
                + (" (a keep-the-item return sends nothing)." if self.keep_item else "."),
                current_status=self.status.value,
            )
        if plan is None or plan.kind not in LABEL_KINDS:
            how = f"({plan.kind})" if plan is not None else "(not in the policy)"
            raise NoLabelForMethod(
                f"The return method {self.return_method!r} {how} gets no label from a carrier."
            )
        shipment = self._new_shipment(act, plan)
        self._change(act, "shipment_requested", note=note, data={"shipment_id": str(shipment.id)})
        return shipment

    def record_label(self, act: Act, shipment_id: uuid.UUID, label: BoughtLabel) -> None:
        """The worker bought the label: `return.label_created`, with its tracking number.
        Bought for a shipment voided meanwhile (the return was called off), it is kept
        only to be given back."""
        shipment = self.shipment(shipment_id)
        if shipment.label_state == "created":
            return  # reported already (a worker retried after a crash)
        bought = {
            "carrier": label.carrier,
            "tracking_number": label.tracking_number,
            "carrier_shipment_id": label.carrier_shipment_id,
            "label_url": label.label_url,
            "qr_payload": label.qr_payload,
            "qr_url": label.qr_url,
            "has_label_pdf": label.has_label_pdf,
            "last_error": None,
            "label_created_at": act.at,
        }
        if shipment.label_state != "pending" or self.status not in _SHIPPABLE:
            due = label.carrier_shipment_id is not None
            _update(
                shipment,
                bought,
                label_state="voided",
                voided_at=shipment.voided_at or act.at,
                carrier_void_due=due,
                attempts=0,
                next_attempt_at=act.at if due else None,
            )
            self._touch(act)
            return
        _update(shipment, bought, label_state="created", next_attempt_at=None)
        data = {
            "shipment_id": str(shipment.id),
            "tracking_number": label.tracking_number,
            "carrier": label.carrier,
        }
        self._change(
            act,
            "label_created",
            note=None,
            data=data,
            event="return.label_created",
            apply=lambda: self._set(tracking_number=label.tracking_number, carrier=label.carrier),
        )

    def record_label_failure(
        self, act: Act, shipment_id: uuid.UUID, error: str, *, retry_at: datetime | None
    ) -> None:
        """An attempt failed: tried again at `retry_at`, or given up on (None):
        `return.label_failed`. Either way the error shows on the shipment."""
        shipment = self.shipment(shipment_id)
        if shipment.label_state != "pending":
            return
        shipment.attempts += 1
        shipment.last_error = error[:2000]
        shipment.next_attempt_at = retry_at
        if retry_at is not None:
            self._touch(act)
            return
        data = {"shipment_id": str(shipment.id), "error": shipment.last_error}
        self._change(
            act,
            "label_failed",
            note=None,
            data=data,
            event="return.label_failed",
            apply=lambda: _update(shipment, {}, label_state="failed"),
        )

    def record_carrier_void(
        self, act: Act, shipment_id: uuid.UUID, error: str | None, *, retry_at: datetime | None
    ) -> None:
        """The worker gave a voided label back to the carrier (`error` None), or failed to."""
        shipment = self.shipment(shipment_id)
        if not shipment.carrier_void_due:
            return
        if error is None:
            _update(shipment, {}, carrier_void_due=False, next_attempt_at=None, last_error=None)
        else:
            shipment.attempts += 1
            _update(shipment, {}, last_error=error[:2000], next_attempt_at=retry_at)
        self._touch(act)

    def record_tracking(
        self,
        act: Act,
        *,
        event: str,
        tracking_number: str | None,
        carrier: str | None,
        occurred_at: datetime,
        note: str | None,
    ) -> None:
        """A tracking event. The first scan moves an approved return to in transit; later
        ones (more scans, delivered to the warehouse) are kept on the timeline. An
        `exception` (failed pickup, returned to sender, damaged) changes no status:
        `return.tracking_exception`."""
        tracking_number = tracking_number or self.tracking_number
        carrier = carrier or self.carrier
        data = {
            "event": event,
            "tracking_number": tracking_number,
            "carrier": carrier,
            "occurred_at": rfc3339(occurred_at),
        }
        if self.status is not S.IN_TRANSIT and self.keep_item:
            raise IllegalTransition(
                "A keep-the-item return has no parcel to track.",
                current_status=self.status.value,
            )
        exception = event == "exception"
        if exception and self.status not in _SHIPPABLE:
            raise IllegalTransition(
                f"A return that is {self.status.value} has no parcel on its way.",
                current_status=self.status.value,
            )
        self._change(
            act,
            "tracking",
            to=None if exception or self.status is S.IN_TRANSIT else S.IN_TRANSIT,
            note=note,
            data=data,
            event="return.tracking_exception" if exception else None,
            apply=lambda: self._set(
                tracking_number=tracking_number, carrier=carrier, tracking_status=event
            ),
        )

    def record_scan(self, act: Act, shipment_id: uuid.UUID, scan: Scan) -> bool:
        """A carrier's scan of one parcel; False, changing nothing, when it is a duplicate,
        older than the parcel's last scan, or late (the return is no longer on its way)."""
        shipment = self.shipment(shipment_id)
        last = shipment.last_scan_at
        if (last is not None and scan.occurred_at <= last) or self.status not in _SHIPPABLE:
            return False
        if self.keep_item:
            return False
        shipment.tracking_status = scan.status
        shipment.last_scan_at = scan.occurred_at
        self.record_tracking(
            act,
            event=scan.status,
            tracking_number=scan.tracking_number or shipment.tracking_number,
            carrier=scan.carrier or shipment.carrier,
            occurred_at=scan.occurred_at,
            note=scan.description,
        )
        return True

    # --- inside the aggregate ---------------------------------------------------------

    def _label_at_approval(self, act: Act, plan: ShipmentPlan | None) -> None:
        """Approved to send a parcel by a method with labels: the first one is asked for."""
        if plan is not None and plan.kind in LABEL_KINDS and not self.keep_item:
            self._new_shipment(act, plan)

    def _void_labels(self, act: Act, *, pending_only: bool = False) -> None:
        """Called off (cancelled, expired): labels not used are void. Received: labels not
        yet bought never will be (`pending_only`)."""
        voidable = ("pending",) if pending_only else ("pending", "created")
        for shipment in self.shipments:
            if shipment.label_state not in voidable:
                continue
            due = shipment.label_state == "created" and shipment.carrier_shipment_id is not None
            _update(
                shipment,
                {},
                label_state="voided",
                voided_at=act.at,
                carrier_void_due=due,
                attempts=0,
                next_attempt_at=act.at if due else None,
            )

    def _new_shipment(self, act: Act, plan: ShipmentPlan) -> Shipment:
        shipment = Shipment(
            id=act.new_id(),
            position=len(self.shipments),
            method=plan.method,
            kind=plan.kind,
            carrier=plan.carrier,
            destination=plan.destination,
            label_state="pending",
            created_at=act.at,
            next_attempt_at=act.at,
        )
        self.shipments.append(shipment)
        return shipment

    def _touch(self, act: Act) -> None:
        """A change the timeline does not show (the worker's bookkeeping): the version still
        steps, as the return as shown changed."""
        self._set(version=self.version + 1, updated_at=act.at)


def _update(shipment: Shipment, values: dict[str, Any], **more: Any) -> None:
    for name, value in {**values, **more}.items():
        setattr(shipment, name, value)
