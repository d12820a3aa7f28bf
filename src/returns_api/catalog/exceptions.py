from returns_api.core.errors import NotFound


class VariantNotFound(NotFound):
    """No such variant, or not one this credential may see."""

    slug = "variant-not-found"
