"""Return links: the signed, read-only credential in customer e-mails (`rl_…`).

A portal token lives an hour; a mail is opened days later. A return link is good for one
return only, can only read it (scope `returns:read`, so every change is a 403, and anything
but that return a 404), and lives while the return is open and `days_after_end` days after
it ended. That end is looked up when the link is used, so the link needs no expiry of its own
beyond a hard cap (`MAX_AGE`); it is signed with the portal secret under its own salt, so a
portal token is never taken for one, nor one for a portal token.

Mails link to `{RETURNS_PUBLIC_URL}/portal/returns/{return_id}#token={token}`: the fragment
never reaches a server log; the portal page sends it as `Authorization: Bearer`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from returns_api.core.settings import Settings

RETURN_LINK_PREFIX = "rl_"
RETURN_LINK_SCOPES = frozenset({"returns:read"})
# Whatever the return does, a link stops working after this long.
MAX_AGE = timedelta(days=400)
TERMINAL = frozenset({"rejected", "cancelled", "expired", "completed"})


@dataclass(frozen=True, slots=True)
class ReturnLinkClaims:
    return_id: uuid.UUID
    order_id: str


class ReturnLinks:
    def __init__(self, secret: str, days_after_end: int, public_url: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="returns-api.return-link")
        self.days_after_end = days_after_end
        self.public_url = public_url.rstrip("/")

    def issue(self, claims: ReturnLinkClaims) -> str:
        payload = {"r": str(claims.return_id), "o": claims.order_id}
        return RETURN_LINK_PREFIX + str(self._serializer.dumps(payload))

    def portal_url(self, claims: ReturnLinkClaims) -> str:
        """Where a mail sends the customer: the portal's page of the return, token attached."""
        return f"{self.public_url}/portal/returns/{claims.return_id}#token={self.issue(claims)}"

    def verify(self, token: str) -> ReturnLinkClaims | None:
        """The claims of a well-signed link younger than `MAX_AGE`; None otherwise. Whether
        the return ended too long ago is `still_open`'s question."""
        if not token.startswith(RETURN_LINK_PREFIX):
            return None
        try:
            payload = self._serializer.loads(
                token[len(RETURN_LINK_PREFIX) :], max_age=int(MAX_AGE.total_seconds())
            )
        except BadSignature:  # also covers SignatureExpired
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("o"), str):
            return None
        try:
            return ReturnLinkClaims(
                return_id=uuid.UUID(str(payload.get("r"))), order_id=payload["o"]
            )
        except ValueError:
            return None

    def still_open(self, status: str, updated_at: datetime, now: datetime) -> bool:
        """A link works while its return is open, and `days_after_end` days after it ended
        (a return's last change is its end: nothing changes a closed return)."""
        return status not in TERMINAL or now - updated_at <= timedelta(days=self.days_after_end)


def return_links_of(settings: Settings) -> ReturnLinks:
    """Signed with the portal secret (under its own salt): one secret to set in production."""
    return ReturnLinks(
        settings.portal_token_secret.get_secret_value(),
        settings.return_link_days_after_end,
        settings.public_url,
    )
