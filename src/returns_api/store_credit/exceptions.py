from returns_api.core.errors import Conflict, NotFound


class CustomerNotFound(NotFound):
    """The path names no customer: neither a customer id nor `email:` and an address."""

    slug = "customer-not-found"


class InsufficientStoreCredit(Conflict):
    """The customer's store credit in this currency is less than the spend; `balance` says
    how much there is."""

    slug = "insufficient-store-credit"


class StoreCreditSpendMismatch(Conflict):
    """This `external_reference` was spent before with another amount or currency."""

    slug = "store-credit-spend-mismatch"
