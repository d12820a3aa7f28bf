from __future__ import annotations

from returns_api.core.errors import NotFound, TooManyRequests, Unprocessable


class WithdrawalLookupFailed(NotFound):
    """No order matches this order number and e-mail address."""

    slug = "withdrawal-lookup-failed"


class WithdrawalNotFound(NotFound):
    """No such withdrawal statement, a wrong confirmation token, or one that has lapsed."""

    slug = "withdrawal-not-found"


class WithdrawalNotPossible(Unprocessable):
    """The statutory right of withdrawal does not cover this order or these items."""

    slug = "withdrawal-not-possible"


class WithdrawalThrottled(TooManyRequests):
    """Too many attempts from this address or for this order; wait `Retry-After` seconds."""

    slug = "withdrawal-throttled"
