from returns_api.core.errors import Conflict, NotFound, PreconditionFailed, Unprocessable


class ReturnNotFound(NotFound):
    slug = "return-not-found"


class NotReturnable(Unprocessable):
    """A hard term of the policy refuses the request (window, final sale, quantity …)."""

    slug = "not-returnable"


class IllegalTransition(Conflict):
    slug = "illegal-transition"

    def __init__(self, detail: str, *, current_status: str) -> None:
        super().__init__(detail, extra={"current_status": current_status})


class ConcurrentChange(Conflict):
    slug = "concurrent-change"


class StaleVersion(PreconditionFailed):
    slug = "stale-version"

    def __init__(self, detail: str, *, current_etag: str) -> None:
        super().__init__(detail, extra={"current_etag": current_etag})


class NothingToRefund(Conflict):
    slug = "nothing-to-refund"


class RefundTooLarge(Unprocessable):
    slug = "refund-exceeds-refundable"


class InvalidInspection(Unprocessable):
    slug = "invalid-inspection"
