"""What a customer may ask for in exchange for an item: the resolution vocabulary.

Shared by the policy (which resolutions it allows, what rules may test) and the refund
calculation (how each resolution is paid out); it depends on neither.
"""

from typing import Final, Literal

from typing_extensions import TypeAliasType

# A named alias: the OpenAPI document (and generated clients) show it as one enum schema.
Resolution = TypeAliasType("Resolution", Literal["refund", "store_credit", "exchange"])
# What an exchange left unpaid becomes (policy `exchanges.fallback_resolution`).
FallbackResolution = TypeAliasType("FallbackResolution", Literal["store_credit", "refund"])

# Also the order in which the return-shipping fee is taken from the buckets: cash first, so
# store credit and exchanges shrink only when the cash part cannot cover the fee.
RESOLUTIONS: Final[tuple[Resolution, ...]] = ("refund", "store_credit", "exchange")
