"""Portal tokens: short-lived, signed, bound to one order (DESIGN §7).

A storefront running in a browser must not hold a merchant key; it exchanges an order
number and e-mail for one of these. They are stateless (signed with the server secret,
so any API process can check them) and carry the order they are good for.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

TOKEN_PREFIX = "pt_"
PORTAL_SCOPES = frozenset({"returns:read", "returns:write"})


@dataclass(frozen=True, slots=True)
class PortalClaims:
    order_id: str
    customer_id: str | None
    email: str
    # The order's language when the token was issued: what its problems are told in when the
    # request names none (tokens issued before it was carried have none: the default).
    locale: str | None = None


class PortalTokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="returns-api.portal")
        self.ttl_seconds = ttl_seconds

    def issue(self, claims: PortalClaims) -> str:
        payload = {
            "o": claims.order_id,
            "c": claims.customer_id,
            "e": claims.email,
            "l": claims.locale,
        }
        return TOKEN_PREFIX + str(self._serializer.dumps(payload))

    def verify(self, token: str) -> PortalClaims | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        try:
            payload = self._serializer.loads(token[len(TOKEN_PREFIX) :], max_age=self.ttl_seconds)
        except BadSignature:  # also covers SignatureExpired
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("o"), str):
            return None
        locale = payload.get("l")
        return PortalClaims(
            order_id=payload["o"],
            customer_id=payload.get("c"),
            email=payload["e"],
            locale=locale if isinstance(locale, str) else None,
        )
