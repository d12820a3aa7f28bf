from returns_api.core.errors import ReturnsError


class NotAcceptable(ReturnsError):
    """The `Accept` header excludes `text/csv`, the only format of the export."""

    status, slug, title = 406, "not-acceptable", "Not Acceptable"
