"""Every money movement of a return in one report (issue 21 §5), through HTTP on SQLite and
PostgreSQL: the payments a customer makes for an exchange (the difference, a hold charged)
are payment records beside the refunds, per return with totals, across returns, and as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from returns_api.returns.expiry import expire_overdue
from tests.api.test_exchange_payments import OWED, approved, pay
from tests.api.test_exchanges import PAID_FOR_ONE, customer, exchange, publish, with_catalog
from tests.api.test_instant_exchanges import hold, inspect, instant
from tests.conftest import bearer, new_api_key
from tests.factories import Api


@pytest.fixture
async def api(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await with_catalog(app, client)


async def movements(api: Api, rid: str) -> dict[str, Any]:
    r = await api.get(f"/v1/returns/{rid}/money-movements")
    assert r.status_code == 200, r.text
    return dict(r.json())


def brief(report: dict[str, Any]) -> list[tuple[str, str, str, int, str | None]]:
    return [
        (m["direction"], m["kind"], m["status"], m["amount"], m["reference"])
        for m in report["data"]
    ]


async def test_an_exchange_payment_and_its_refund_are_one_report(api: Api) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    rid = ret["id"]
    assert (await movements(api, rid))["data"] == []
    body = {"amount": 400, "external_reference": "pi_diff", "provider": "stripe"}
    assert (await api.post(f"/v1/returns/{rid}/exchange/payments", body)).status_code == 200
    # The same payment reported again is still one payment.
    assert (await api.post(f"/v1/returns/{rid}/exchange/payments", body)).status_code == 200
    assert (await api.post(f"/v1/returns/{rid}/cancel", {})).status_code == 200
    refunded = await api.post(f"/v1/returns/{rid}/refunds", {"external_reference": "re_1"})
    assert refunded.status_code == 201, refunded.text

    report = await movements(api, rid)
    assert (report["rma_number"], report["currency"]) == (ret["rma_number"], ret["currency"])
    assert brief(report) == [
        ("in", "exchange_difference", "succeeded", 400, "pi_diff"),
        ("out", "refund", "succeeded", 400, "re_1"),
    ]
    paid, back = report["data"]
    assert (paid["provider"], paid["method"], paid["executor"]) == ("stripe", None, None)
    assert (back["method"], back["executor"], back["provider"]) == ("exchange", "record", None)
    assert report["totals"] == {"paid_in": 400, "refunded": 400, "refund_pending": 0}


async def test_a_charged_hold_is_a_payment_and_a_released_one_is_none(
    app: FastAPI, api: Api
) -> None:
    await publish(app, api, {"instant": True, "hold_deadline_days": 3})
    charged = await approved(api, instant("var_shirt_l"))
    await expire_overdue(app.state.sessionmaker, datetime.now(UTC) + timedelta(days=4))
    r = await hold(api, charged["id"], "captured", external_reference="pi_hold")
    assert r.status_code == 200, r.text
    assert brief(await movements(api, charged["id"])) == [
        ("in", "hold_capture", "succeeded", PAID_FOR_ONE, "pi_hold")
    ]

    released = await approved(api, instant("var_shirt_l"))
    received = await inspect(api, released, accepted=1)
    assert (await hold(api, received["id"], "released")).status_code == 200
    assert (await movements(api, released["id"]))["data"] == []


async def test_the_list_across_returns_filters_and_pages(api: Api) -> None:
    first = await approved(api, exchange("var_shirt_gold"))
    second = await approved(api, exchange("var_shirt_gold"))
    for ret, reference in ((first, "pi_a"), (second, "pi_b")):
        assert (await pay(api, ret["id"], OWED, reference)).status_code == 200
    await api.post(f"/v1/returns/{first['id']}/cancel", {})
    assert (await api.post(f"/v1/returns/{first['id']}/refunds", {})).status_code == 201

    r = await api.get("/v1/money-movements", limit=2)
    assert r.status_code == 200, r.text
    page = r.json()
    newest_first = [(m["kind"], m["rma_number"]) for m in page["data"]]
    assert newest_first == [
        ("refund", first["rma_number"]),
        ("exchange_difference", second["rma_number"]),
    ]
    rest = (await api.get("/v1/money-movements", limit=2, cursor=page["next_cursor"])).json()
    assert [m["reference"] for m in rest["data"]] == ["pi_a"]
    assert rest["next_cursor"] is None

    paid_in = (await api.get("/v1/money-movements", direction="in")).json()["data"]
    assert sorted(m["reference"] for m in paid_in) == ["pi_a", "pi_b"]
    one = (await api.get("/v1/money-movements", return_id=first["id"])).json()["data"]
    assert [m["direction"] for m in one] == ["out", "in"]
    refunds = (await api.get("/v1/money-movements", kind="refund", status="succeeded")).json()
    assert [m["return_id"] for m in refunds["data"]] == [first["id"]]
    bad = await api.get("/v1/money-movements", direction="sideways")
    assert bad.status_code == 422
    assert [e["location"] for e in bad.json()["errors"]] == ["query.direction"]


async def test_the_export_is_every_movement_as_csv(api: Api) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    assert (await pay(api, ret["id"], 1100, "=cmd")).status_code == 200
    r = await api.get("/v1/money-movements/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["kind"], row["amount"], row["currency"]) for row in rows] == [
        ("exchange_difference", "11.00", ret["currency"])
    ]
    assert rows[0]["reference"] == "'=cmd"  # never a formula in a spreadsheet
    assert rows[0]["rma_number"] == ret["rma_number"]


async def test_only_finance_reads_money_movements(
    app: FastAPI, client: httpx.AsyncClient, api: Api
) -> None:
    ret = await approved(api, exchange("var_shirt_gold"))
    portal = await customer(api)
    for path in (f"/v1/returns/{ret['id']}/money-movements", "/v1/money-movements"):
        assert (await portal.get(path)).status_code == 403
    reader = bearer(await new_api_key(app, "returns:read"))
    assert (await client.get("/v1/money-movements", headers=reader)).status_code == 403
    platform = bearer(await new_api_key(app, "refunds:write"))
    r = await client.get(f"/v1/returns/{ret['id']}/money-movements", headers=platform)
    assert r.status_code == 200, r.text
    missing = await api.get("/v1/returns/00000000-0000-7000-8000-000000000000/money-movements")
    assert missing.status_code == 404
