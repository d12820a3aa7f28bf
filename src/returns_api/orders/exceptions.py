from returns_api.core.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    slug = "order-not-found"


class OrderNumberTaken(Conflict):
    slug = "order-number-taken"


class LineStillReturned(Conflict):
    """A re-sync would drop or shrink a line below the units that returns still hold."""

    slug = "line-still-returned"
