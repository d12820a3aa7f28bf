from returns_api.core.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    """No such order, or not one this credential may see."""

    slug = "order-not-found"


class OrderNumberTaken(Conflict):
    """Another order already has this order number."""

    slug = "order-number-taken"


class LineStillReturned(Conflict):
    """A re-sync would drop or shrink a line below the units that returns still hold."""

    slug = "line-still-returned"
