"""The console's money in every currency's own minor unit (the API's ISO 4217 exponents, not
the browser's display digits), and what happens when an action fails: a key refused in the
middle of a session signs out, a failure that is not the API's is said, not swallowed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from returns_api.core.money import ISO_4217, minor_unit_exponent
from tests.browser.conftest import Shop
from tests.browser.console import ConsoleTab

pytestmark = pytest.mark.slow

FORMAT = """async ([calls]) => {
  const format = await import(`${location.origin}/console/assets/format.js`);
  return calls.map(([name, ...args]) => format[name](...args));
}"""


@pytest.fixture
def tab(chromium: Any, shop: Shop, axe_source: str, screenshots: Path) -> Iterator[ConsoleTab]:
    console = ConsoleTab(chromium, shop.url, axe_source, screenshots, locale="en-GB")
    yield console
    console.close()


def _format(tab: ConsoleTab, *calls: list[Any]) -> list[Any]:
    return list(tab.page.evaluate(FORMAT, [list(calls)]))


def test_every_currency_uses_the_apis_minor_unit_not_the_browsers_display_digits(
    tab: ConsoleTab,
) -> None:
    tab.goto("/console")
    codes = sorted(ISO_4217)
    digits = _format(tab, *[["fractionDigits", code] for code in codes])
    assert dict(zip(codes, digits, strict=True)) == {c: minor_unit_exponent(c) for c in codes}
    # HUF and IDR have 2 decimals in ISO 4217 (browsers show 0), IQD 3 (browsers show 0).
    shown = _format(
        tab,
        ["money", 1234, "HUF"],
        ["money", 1234, "IQD"],
        ["money", 1234, "JPY"],
        ["money", 1234, "KWD"],
        ["money", -5, "EUR"],
        ["minorUnits", "12.34", "HUF"],
        ["minorUnits", "12", "HUF"],
        ["minorUnits", "1.234", "IQD"],
        ["minorUnits", "1234", "JPY"],
        ["minorUnits", "12.3", "JPY"],
        ["minorUnits", "1.234", "KWD"],
    )
    assert [text.replace("\xa0", " ") if isinstance(text, str) else text for text in shown] == [
        "HUF 12.34",
        "IQD 1.234",
        "JP¥1,234",
        "KWD 1.234",
        "-€0.05",
        1234,
        1200,
        1234,
        1234,
        None,
        1234,
    ]
