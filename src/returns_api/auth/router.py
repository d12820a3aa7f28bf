from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from typing_extensions import TypeAliasType

from returns_api.auth.caller import Caller
from returns_api.auth.dependencies import require
from returns_api.auth.scopes import Scope
from returns_api.core.errors import Unauthorized, problems
from returns_api.core.routing import UnitOfWorkRoute

router = APIRouter(prefix="/v1", tags=["Auth"], route_class=UnitOfWorkRoute)
CredentialKind = TypeAliasType("CredentialKind", Literal["api_key", "portal", "return_link"])


class Identity(BaseModel):
    """Who the presented credential belongs to and what it may do."""

    kind: CredentialKind
    name: str = Field(examples=["storefront"])
    scopes: list[Scope] = Field(
        description="Effective scopes (`returns:write` and `returns:manage` include "
        "`returns:read`).",
        examples=[["returns:read", "returns:write"]],
    )
    order_id: str | None = Field(
        default=None, description="Portal tokens and return links: the order."
    )
    return_id: uuid.UUID | None = Field(
        default=None, description="Return links (in customer e-mails): the one return they read."
    )


@router.get(
    "/me", operation_id="getIdentity", response_model=Identity, responses=problems(Unauthorized)
)
async def whoami(caller: Caller = require()) -> Identity:
    """Describe the calling API key or portal token (a quick way to check a credential)."""
    return Identity.model_validate(
        {
            "kind": caller.kind,
            "name": caller.actor,
            "scopes": sorted(caller.scopes),
            "order_id": caller.order_id,
            "return_id": caller.return_id,
        }
    )
