from returns_api.core.errors import Conflict, Forbidden


class FeedbackAlreadyGiven(Conflict):
    """This return was already rated; a rating is given once."""

    slug = "feedback-already-given"


class FeedbackIsForCustomers(Forbidden):
    """Only the customer rates a return (portal token); a merchant key cannot."""

    slug = "feedback-customers-only"
