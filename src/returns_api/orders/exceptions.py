from returns_api.core.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    """No such order, or not one this credential may see."""

    slug = "order-not-found"


class OrderNumberTaken(Conflict):
    """Another order already has this order number."""

    slug = "order-number-taken"


class LineStillReturned(Conflict):
    """A re-sync would drop, shrink or re-price a line that returns hold."""

    slug = "line-still-returned"
