"""Returns as CSV: one row per return item, money in major units, streamed in keyset pages.

The first page is read by the request's unit of work, before the response starts: a filter
or a query that fails is still an ordinary problem answer. The rest is produced while the
response is being sent, after that unit of work has closed its session (core.routing
commits and closes it when the handler returns). So each further page is read in a short
session of its own from the app's sessionmaker: memory stays flat however many returns
match, and no pooled connection (nor, on SQLite, the write lock that every transaction
takes there) is held while a slow client reads.

Once the first byte is out the status (200) cannot change. A page that fails then is
logged (`export_aborted`) and the stream is aborted, not ended: the server drops the
connection without the chunked body's last chunk, which a client reports as a truncated
body rather than taking the part for the whole file.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from returns_api.auth.caller import Caller
from returns_api.core.clock import rfc3339
from returns_api.core.driver import Row
from returns_api.core.money import minor_unit_exponent
from returns_api.exports.exceptions import NotAcceptable
from returns_api.returns.filters import ReturnFilters
from returns_api.returns.repository import ReturnRepository

log = structlog.get_logger(__name__)

CSV_MEDIA_TYPE = "text/csv"
PAGE_SIZE = 500
COLUMNS = (
    "return_id",
    "rma_number",
    "order_id",
    "customer_id",
    "status",
    "return_method",
    "keep_item",
    "created_at",
    "updated_at",
    "item_id",
    "line_item_id",
    "sku",
    "title",
    "quantity",
    "reason",
    "reason_is_merchant_fault",
    "resolution",
    "reception_status",
    "received_quantity",
    "acceptance_status",
    "accepted_quantity",
    "condition",
    "disposition",
    "currency",
    "unit_price",
    "item_value",
    "item_refund",
    "return_refundable",
    "return_refunded",
)
# A spreadsheet runs a cell that starts like a formula (OWASP "CSV injection"): titles and
# SKUs come from the shop's catalogue and customers, so such cells are quoted as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_acceptable(accept: str | None) -> None:
    """CSV is the only representation: refuse an Accept header that excludes it (406)."""
    if accept is None or not accept.strip():
        return
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() in (CSV_MEDIA_TYPE, "text/*", "*/*") and _quality(params) > 0:
            return
    raise NotAcceptable(
        f"This export is only available as {CSV_MEDIA_TYPE}; send Accept: {CSV_MEDIA_TYPE}."
    )


def _quality(params: Sequence[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def scoped(caller: Caller, filters: ReturnFilters) -> ReturnFilters | None:
    """The filters a caller may export with; None when nothing can match (a customer
    asking for another order gets an empty file, as the list would be empty)."""
    if not caller.is_customer:
        return filters
    if caller.return_id is not None or filters.order_id not in (None, caller.order_id):
        return None
    return replace(filters, order_id=caller.order_id)


def major_units(amount: int, currency: str) -> str:
    """1999 EUR → "19.99"; 1999 JPY → "1999"; exact (Decimal), never a float."""
    exponent = minor_unit_exponent(currency)
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


def csv_text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _item_refunds(breakdown: Mapping[str, Any]) -> dict[str, int]:
    refunds: dict[str, int] = {}
    for line in breakdown.get("items", []):
        refunds[line["item_id"]] = refunds.get(line["item_id"], 0) + int(line["total"])
    return refunds


def csv_rows(returns: Sequence[Row], items: Sequence[Row]) -> list[list[str]]:
    items_of: dict[uuid.UUID, list[Row]] = {}
    for item in items:
        items_of.setdefault(item["return_id"], []).append(item)
    rows: list[list[str]] = []
    for ret in returns:
        currency = ret["currency"]
        refunds = _item_refunds(ret["refund_breakdown"] or {})
        for item in items_of.get(ret["id"], []):
            quantity, unit_price = int(item["quantity"]), int(item["unit_price"])
            rows.append(
                [
                    str(ret["id"]),
                    ret["rma_number"],
                    csv_text(ret["order_id"]),
                    csv_text(ret["customer_id"]),
                    ret["status"],
                    csv_text(ret["return_method"]),
                    "true" if ret["keep_item"] else "false",
                    rfc3339(ret["created_at"]),
                    rfc3339(ret["updated_at"]),
                    str(item["id"]),
                    csv_text(item["line_item_id"]),
                    csv_text(item["sku"]),
                    csv_text(item["title"]),
                    str(quantity),
                    csv_text(item["reason"]),
                    "true" if item["merchant_fault"] else "false",
                    item["resolution"],
                    item["reception_status"],
                    str(item["received_quantity"]),
                    item["acceptance_status"],
                    str(item["accepted_quantity"]),
                    item["condition"] or "",
                    item["disposition"] or "",
                    currency,
                    major_units(unit_price, currency),
                    major_units(unit_price * quantity, currency),
                    major_units(refunds.get(str(item["id"]), 0), currency),
                    major_units(int(ret["refundable_amount"]), currency),
                    # Carried out: pending refunds are not refunded yet.
                    major_units(
                        int(ret["refunded_amount"]) - int(ret["refunds_pending"]), currency
                    ),
                ]
            )
    return rows


def encode_csv(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # RFC 4180 line ends
    return buffer.getvalue().encode()


Page = tuple[Sequence[Row], Sequence[Row]]


class ExportAborted(RuntimeError):
    """The export failed after its first byte: the response is cut, not ended."""


async def read_page(
    session: AsyncSession, filters: ReturnFilters, after: uuid.UUID | None, size: int
) -> Page:
    """One page of returns (newest first, as the list) with their items."""
    repo = ReturnRepository(session)
    returns = await repo.page(filters, after, size, with_breakdown=True)
    items = await repo.items([row["id"] for row in returns]) if returns else []
    return returns, items


async def first_page(session: AsyncSession, filters: ReturnFilters | None) -> Page:
    """Read in the request, before the response starts; nothing when nothing can match."""
    if filters is None:
        return [], []
    return await read_page(session, filters, None, PAGE_SIZE)


async def csv_stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: ReturnFilters | None,
    first: Page,
) -> AsyncIterator[bytes]:
    """The header and the first page, then one chunk per further page."""
    returns, items = first
    rows = csv_rows(returns, items)
    yield encode_csv([COLUMNS, *rows])
    sent = len(rows)
    while filters is not None and len(returns) == PAGE_SIZE:
        try:
            async with sessionmaker() as session:
                returns, items = await read_page(session, filters, returns[-1]["id"], PAGE_SIZE)
        except Exception as exc:
            # The traceback is logged once, where the exception ends the request.
            log.error("export_aborted", rows_sent=sent, error=f"{type(exc).__name__}: {exc}")
            raise ExportAborted(f"the export failed after {sent} rows") from exc
        if returns:
            rows = csv_rows(returns, items)
            sent += len(rows)
            yield encode_csv(rows)
