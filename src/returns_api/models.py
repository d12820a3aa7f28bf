"""Imports every table so ``Base.metadata`` is complete (Alembic autogenerate, tests)."""

from returns_api.auth.models import ApiKey
from returns_api.core.db import Base

__all__ = ["ApiKey", "Base"]
