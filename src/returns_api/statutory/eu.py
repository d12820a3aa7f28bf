"""The EU right of withdrawal for goods, as pure rules: no I/O, no clock.

Directive 2011/83/EU: 14 days from the day the consumer received the goods (the last parcel
of an order delivered in several; Article 9(2)(b)), 12 months more when the consumer was not
told of the right (Article 10), exceptions by the nature of the goods (Article 16). Periods
are counted as Regulation (EEC, Euratom) No 1182/71 counts them (recital 41): from the day
after delivery to the end of the last day, moved to the next working day when it falls on a
Saturday or Sunday. Public holidays differ by member state and are not modelled; days end at
midnight UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from returns_api.statutory.terms import StatutoryTerms, WithdrawalException

WITHDRAWAL_DAYS: Final = 14  # Article 9(1)
NOT_INFORMED_EXTRA_MONTHS: Final = 12  # Article 10(1)
REFUND_DAYS: Final = 14  # Article 13(1): from the day the trader is told of the withdrawal
SEND_BACK_DAYS: Final = 14  # Article 14(1): from the day the consumer told the trader

# EU member states and the EEA states that apply the Directive (Iceland, Liechtenstein,
# Norway), ISO 3166-1 alpha-2. Greece is `GR` in ISO (the EU's own list says `EL`).
EU_EEA_COUNTRIES: Final = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Exception16:
    """One Article 16 exception: its point, what it covers, and whether it applies only
    once the goods were unsealed after delivery (points (e) and (i))."""

    code: WithdrawalException
    article: str
    covers: str
    only_when_unsealed: bool = False


ARTICLE_16: Final[dict[WithdrawalException, Exception16]] = {
    e.code: e
    for e in (
        Exception16(
            "financial_market_price",
            "Article 16(b)",
            "goods whose price depends on fluctuations in the financial market",
        ),
        Exception16(
            "made_to_specification",
            "Article 16(c)",
            "goods made to the consumer's specifications or clearly personalised",
        ),
        Exception16("perishable", "Article 16(d)", "goods liable to deteriorate or expire rapidly"),
        Exception16(
            "sealed_hygiene",
            "Article 16(e)",
            "sealed goods not suitable for return for health protection or hygiene reasons, "
            "unsealed after delivery",
            only_when_unsealed=True,
        ),
        Exception16(
            "inseparably_mixed",
            "Article 16(f)",
            "goods inseparably mixed with other items after delivery",
        ),
        Exception16(
            "alcohol_market_price",
            "Article 16(g)",
            "alcoholic beverages delivered after 30 days at a price set by the market",
        ),
        Exception16(
            "sealed_media",
            "Article 16(i)",
            "sealed audio or video recordings or computer software, unsealed after delivery",
            only_when_unsealed=True,
        ),
        Exception16(
            "newspaper",
            "Article 16(j)",
            "a newspaper, periodical or magazine (subscriptions excepted)",
        ),
        Exception16("public_auction", "Article 16(k)", "goods bought at a public auction"),
        Exception16(
            "digital_content",
            "Article 16(m)",
            "digital content not on a tangible medium, whose supply has begun with consent",
        ),
    )
}


def applies(terms: StatutoryTerms, country: str | None, buyer_is_consumer: bool) -> bool:
    """Whether the statutory right covers an order: the EU profile is on, the buyer is a
    consumer (Article 2(1)) and the goods went to an EU/EEA country."""
    return terms.profile == "EU" and buyer_is_consumer and country in EU_EEA_COUNTRIES


def withdrawal_deadline(delivered: datetime, *, informed: bool) -> datetime:
    """The last moment to withdraw: the end of the 14th day after delivery (Article 9(2)(b)),
    12 months after that when the consumer was not told of the right (Article 10(1))."""
    last_day = _working_day(delivered.astimezone(UTC).date() + timedelta(days=WITHDRAWAL_DAYS))
    if not informed:
        last_day = _working_day(_add_months(last_day, NOT_INFORMED_EXTRA_MONTHS))
    return _end_of(last_day)


def days_after(moment: datetime, days: int) -> datetime:
    """The end of the `days`-th day after `moment` (a refund's or a parcel's deadline)."""
    return _end_of(_working_day(moment.astimezone(UTC).date() + timedelta(days=days)))


def exception_for(
    tags: Iterable[str], *, unsealed: bool, terms: StatutoryTerms
) -> Exception16 | None:
    """The Article 16 exception a line's tags put it under, if any: a tag that is an
    exception code, or one the policy maps to one. The sealed ones only when the request
    says the goods were unsealed: it is never assumed."""
    for tag in sorted(set(tags)):
        code = terms.exception_tags.get(tag) or (tag if tag in ARTICLE_16 else None)
        if code is None:
            continue
        found = ARTICLE_16[code]
        if found.only_when_unsealed and not unsealed:
            continue
        return found
    return None


def _working_day(day: date) -> date:
    while day.weekday() >= 5:  # Saturday, Sunday: the period ends on the next working day
        day += timedelta(days=1)
    return day


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class LineRight:
    """The statutory right over one order line: until when it may be withdrawn from (None:
    the goods are not marked delivered, so the period has not started, and a consumer may
    withdraw before it does, Article 9(3)), and the Article 16 exception that excludes it."""

    deadline: datetime | None
    exception: Exception16 | None

    def covers(self, now: datetime) -> bool:
        return self.exception is None and (self.deadline is None or now <= self.deadline)


def line_right(
    terms: StatutoryTerms,
    *,
    country: str | None,
    buyer_is_consumer: bool,
    informed: bool,
    delivered_at: datetime | None,
    tags: Iterable[str],
    unsealed: bool,
) -> LineRight | None:
    """The right over a line, or None when the statutory right does not cover the order.
    `delivered_at`: when the consumer got the goods, the last parcel of the order (an
    estimate from the fulfilment date would start the period before they have them)."""
    if not applies(terms, country, buyer_is_consumer):
        return None
    deadline = (
        None if delivered_at is None else withdrawal_deadline(delivered_at, informed=informed)
    )
    return LineRight(deadline, exception_for(tags, unsealed=unsealed, terms=terms))
