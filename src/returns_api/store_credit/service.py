"""Store credit: refunds credit it (`credit`, called by the refund code), the platform
spends it at checkout (`spend`), the merchant reads it (`read_ledger`). Never commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from returns_api.auth.caller import Caller
from returns_api.core.clock import utcnow
from returns_api.core.cursors import decode_id_cursor, encode_id_cursor
from returns_api.core.driver import Row
from returns_api.core.ids import new_id
from returns_api.core.money import ISO_4217, MAX_AMOUNT
from returns_api.store_credit.exceptions import (
    CustomerNotFound,
    InsufficientStoreCredit,
    StoreCreditSpendMismatch,
)
from returns_api.store_credit.keys import key_from_path
from returns_api.store_credit.repository import StoreCreditRepository
from returns_api.store_credit.schemas import (
    SpendIn,
    SpendOut,
    StoreCreditBalanceOut,
    StoreCreditEntryOut,
    StoreCreditOut,
)


async def credit(
    session: AsyncSession,
    *,
    customer_key: str,
    currency: str,
    amount: int,
    refund_id: uuid.UUID,
    actor: str,
    note: str | None = None,
) -> None:
    """Credit a succeeded `store_credit` refund, in the caller's transaction.

    Once per refund: a second call with the same `refund_id` changes nothing, so the refund
    code may call it on every retry. `customer_key` comes from `keys.customer_key` on the
    refund's order. The balance row is made on the first credit of a currency.
    """
    if currency not in ISO_4217:
        raise ValueError(f"not an ISO 4217 currency: {currency!r}")
    if not 1 <= amount <= MAX_AMOUNT:
        raise ValueError(f"a credit is 1 to {MAX_AMOUNT} minor units, not {amount}")
    now = utcnow()
    repo = StoreCreditRepository(session)
    entry = {
        "id": new_id(),
        "customer_key": customer_key,
        "currency": currency,
        "amount": amount,
        "kind": "credit",
        "refund_id": refund_id,
        "external_reference": None,
        "note": note,
        "actor": actor,
        "created_at": now,
    }
    if not await repo.insert_credit(entry):
        return
    await repo.open_balance(customer_key, currency, now)
    await repo.add(customer_key, currency, amount, now)


def owner_of(path_key: str) -> str:
    """The customer key a path names (normalised), or the 404 for one that names nobody."""
    owner = key_from_path(path_key)
    if owner is None:
        shown = path_key if len(path_key) <= 64 else path_key[:63] + "…"
        raise CustomerNotFound(f"No customer has the key {shown!r}.")
    return owner


async def spend(
    session: AsyncSession, caller: Caller, path_key: str, body: SpendIn
) -> tuple[SpendOut, bool]:
    """Take `body.amount` from the customer's balance; (the spend, whether it is new).

    The entry is written first, once per external reference: a racing duplicate waits for
    the first and then finds it. Then the guarded debit; when it is short the whole request
    rolls back (the route's unit of work), entry included.
    """
    owner = owner_of(path_key)
    repo = StoreCreditRepository(session)
    now = utcnow()
    entry = {
        "id": new_id(),
        "customer_key": owner,
        "currency": body.currency,
        "amount": -body.amount,
        "kind": "spend",
        "refund_id": None,
        "external_reference": body.external_reference,
        "note": body.note,
        "actor": caller.actor,
        "created_at": now,
    }
    if not await repo.insert_spend(entry):
        return await _earlier_spend(repo, owner, body), False
    balance = await repo.debit(owner, body.currency, body.amount, now)
    if balance is None:
        held = await repo.balance(owner, body.currency)
        have = 0 if held is None else int(held["balance"])
        raise InsufficientStoreCredit(
            f"The customer has {have} (minor units of {body.currency}) in store credit; "
            f"the spend needs {body.amount}.",
            extra={"balance": have},
        )
    return SpendOut(spend=_entry_out(entry), balance=_balance_out(balance)), True


async def _earlier_spend(repo: StoreCreditRepository, owner: str, body: SpendIn) -> SpendOut:
    """The spend this external reference made before, if the request repeats it."""
    earlier = await repo.spend_by_reference(owner, body.external_reference)
    assert earlier is not None, "the insert conflicted on this reference"
    if earlier["currency"] != body.currency or -earlier["amount"] != body.amount:
        raise StoreCreditSpendMismatch(
            f"The spend {body.external_reference!r} was made with "
            f"{-earlier['amount']} {earlier['currency']}, not {body.amount} {body.currency}."
        )
    balance = await repo.balance(owner, body.currency)
    assert balance is not None, "a spend was debited from this balance"
    return SpendOut(spend=_entry_out(earlier), balance=_balance_out(balance))


async def read_ledger(
    session: AsyncSession, path_key: str, cursor: str | None, limit: int
) -> StoreCreditOut:
    owner = owner_of(path_key)
    repo = StoreCreditRepository(session)
    before = decode_id_cursor(cursor) if cursor else None
    found = await repo.page(owner, before, limit + 1)
    page, more = found[:limit], len(found) > limit
    return StoreCreditOut(
        customer_id=owner,
        balances=[_balance_out(row) for row in await repo.balances(owner)],
        entries=[_entry_out(row) for row in page],
        next_cursor=encode_id_cursor(page[-1]["id"]) if more else None,
    )


def _entry_out(row: Row) -> StoreCreditEntryOut:
    return StoreCreditEntryOut.model_validate(dict(row))


def _balance_out(row: Row) -> StoreCreditBalanceOut:
    return StoreCreditBalanceOut.model_validate(dict(row))
