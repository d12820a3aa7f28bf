from returns_api.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from returns_api.core.messages import Message


class ReturnNotFound(NotFound):
    """No such return, or not one this credential may see."""

    slug = "return-not-found"


class NotReturnable(Unprocessable):
    """A hard term of the policy refuses the request (window, final sale, quantity …)."""

    slug = "not-returnable"


class IllegalTransition(Conflict):
    """The return's status does not allow this; `current_status` says what it is."""

    slug = "illegal-transition"

    def __init__(self, detail: str | Message, *, current_status: str) -> None:
        super().__init__(detail, extra={"current_status": current_status})


class ConcurrentChange(Conflict):
    """Another request changed the return at the same moment; read it and retry."""

    slug = "concurrent-change"


class StaleVersion(PreconditionFailed):
    """`If-Match` names an old version of the return (or a weak validator, which never
    matches); `current_etag` is the one to send."""

    slug = "stale-version"

    def __init__(self, detail: str, *, current_etag: str) -> None:
        super().__init__(detail, extra={"current_etag": current_etag})


class NothingToRefund(Conflict):
    """Everything refundable has been refunded already."""

    slug = "nothing-to-refund"


class RefundTooLarge(Unprocessable):
    """The amount is more than what is left to refund."""

    slug = "refund-exceeds-refundable"


class InvalidInspection(Unprocessable):
    """The inspection does not fit the return (unknown item, more units than requested …)."""

    slug = "invalid-inspection"


class ExchangeNotRequested(Conflict):
    """No replacement order was requested for this return (yet)."""

    slug = "exchange-not-requested"


class ExchangeOrderMismatch(Conflict):
    """Another replacement order is already recorded for this return."""

    slug = "exchange-order-mismatch"


class NothingOwed(Conflict):
    """The return's exchange owes nothing (or nothing more) to pay."""

    slug = "exchange-payment-not-due"


class ExchangePaymentMismatch(Conflict):
    """A payment with this external reference was recorded with another amount."""

    slug = "exchange-payment-mismatch"


class ExchangePaymentOutstanding(Conflict):
    """The exchange is not paid yet: the return cannot close."""

    slug = "exchange-payment-outstanding"


class HoldNotPending(Conflict):
    """The instant exchange's hold is not in a state this change applies to."""

    slug = "exchange-hold-not-pending"


class ExchangeAmountTooLarge(Unprocessable):
    """A payment above what is owed, or a hold charged above what was asked."""

    slug = "exchange-amount-too-large"


class ShipmentNotFound(NotFound):
    """No such shipment of this return."""

    slug = "shipment-not-found"


class NoLabelForMethod(Conflict):
    """The return's method has no carrier label (the customer ships on their own, or brings
    it to a store)."""

    slug = "no-label-for-method"


class DocumentNotAvailable(NotFound):
    """The document does not exist (yet): the label is not bought, the carrier gave no drop-off
    code, or the return sends no parcel."""

    slug = "document-not-available"


class RefundNotFound(NotFound):
    """No such refund, or not one this credential may see."""

    slug = "refund-not-found"


class RefundNotPending(Conflict):
    """The refund was settled already, the other way."""

    slug = "refund-not-pending"


class RefundPending(Conflict):
    """A refund of the return is still being carried out."""

    slug = "refund-pending"
