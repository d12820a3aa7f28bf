/**
 * The return journey, typed end to end by the types openapi-typescript generates from
 * openapi/openapi.json (`npm run generate`), over fetch (through openapi-fetch). `tsc --noEmit`
 * checks it in CI: a change to the document that breaks integrators breaks this file.
 *
 * tests/clients/test_typescript_client.py also compiles it and runs it against the service.
 */
import createClient, { type Client } from "openapi-fetch";

import type { components, paths, webhooks } from "./generated/schema";

type Schemas = components["schemas"];
export type ReturnOut = Schemas["ReturnOut"];
export type Problem = Schemas["Problem"];
export type ReturnStatus = Schemas["ReturnStatus"];
export type ReturnEvent = Schemas["ReturnEvent"];

/** Errors are RFC 9457 problems: branch on `type`. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.type}: ${problem.detail ?? problem.title}`);
  }
}

function expectData<T>(result: { data?: T; error?: Problem }): T {
  if (result.error !== undefined) throw new ProblemError(result.error);
  if (result.data === undefined) throw new Error("no body");
  return result.data;
}

/** The same JSON, whatever the order of the keys. */
function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_key, part: unknown) =>
      part !== null && typeof part === "object" && !Array.isArray(part)
        ? Object.fromEntries(Object.entries(part).sort(([a], [b]) => a.localeCompare(b)))
        : part,
    );
  const [got, wanted] = [canonical(actual), canonical(expected)];
  if (got !== wanted) throw new Error(`${what}: ${got}, expected ${wanted}`);
}

type Api = Client<paths>;

export async function walkJourney(baseUrl: string, apiKey: string): Promise<ReturnOut> {
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });

  // 1. The commerce platform syncs the order (201 first, 200 after).
  const daysAgo = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString();
  const order: Schemas["OrderUpsert"] = {
    order_number: "TS-1001",
    customer: { id: "cus_ts", email: "ada@example.com" },
    currency: "EUR",
    placed_at: daysAgo(6),
    fulfilled_at: daysAgo(5),
    delivered_at: daysAgo(3),
    shipping_paid: 495,
    line_items: [
      { id: "li_1", title: "T-shirt", quantity: 3, unit_price: 1000, discount: 100, tax: 190 },
      { id: "li_2", title: "Mug", quantity: 1, unit_price: 5000, tax: 950 },
    ],
  };
  const synced = expectData(
    await api.PUT("/v1/orders/{order_id}", { params: { path: { order_id: "ord_ts" } }, body: order }),
  );
  const returnable: number[] = synced.line_items.map((line) => line.returnable_quantity);

  // 2. Quote (writes nothing), 3. create with an Idempotency-Key.
  const request: Schemas["ReturnRequest"] = {
    order_id: synced.id,
    items: [
      { line_item_id: "li_1", quantity: 2, reason: "size_fit" },
      { line_item_id: "li_2", quantity: 1, reason: "damaged", resolution: "store_credit" },
    ],
  };
  const quote = expectData(await api.POST("/v1/returns/quote", { body: request }));
  if (!quote.eligible || returnable.length !== 2) throw new Error("not returnable");
  const created = await api.POST("/v1/returns", {
    body: request,
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
  });
  let ret: ReturnOut = expectData(created);
  let etag: string | null = created.response.headers.get("ETag");

  // 4. Approve with the ETag read; a stale one is a 412 problem naming the current ETag.
  const approved = await api.POST("/v1/returns/{return_id}/approve", {
    params: { path: { return_id: ret.id }, header: { "If-Match": etag ?? "*" } },
    body: { note: "ok", label_url: "https://labels.example/R.pdf" },
  });
  if (approved.error !== undefined && approved.error.type === "urn:returns-api:problem:stale-version") {
    etag = approved.error.current_etag ?? null;
  }
  ret = expectData(approved);
  const status: ReturnStatus = ret.status;

  // 5. The carrier scans the parcel, 6. the warehouse inspects it.
  ret = expectData(
    await api.POST("/v1/returns/{return_id}/tracking-events", {
      params: { path: { return_id: ret.id } },
      body: { status: "in_transit", carrier: "DHL", tracking_number: "JD0146000012345" },
    }),
  );
  const condition: Schemas["ConditionGrade"] = "damaged";
  ret = expectData(
    await api.POST("/v1/returns/{return_id}/receive", {
      params: { path: { return_id: ret.id } },
      body: {
        items: [
          { line_item_id: "li_1", received_quantity: 2, condition: "as_new", disposition: "restock" },
          { line_item_id: "li_2", received_quantity: 1, accepted_quantity: 0, condition, disposition: "dispose" },
        ],
      },
    }),
  );

  // 7. Refund what is left (by method), then close.
  const method: Schemas["RefundMethod"] = "original_payment";
  ret = expectData(
    await api.POST("/v1/returns/{return_id}/refunds", {
      params: { path: { return_id: ret.id } },
      body: { amount: ret.amounts.remaining, method, external_reference: "re_1" },
    }),
  );
  // The bodies of approve, reject, cancel and complete are optional: none here.
  ret = expectData(
    await api.POST("/v1/returns/{return_id}/complete", { params: { path: { return_id: ret.id } } }),
  );
  // An API key sees the merchant decision (rule, trace, facts); `action` and `message` are
  // there whoever asks, the rest after narrowing on `audience`.
  const told: string = ret.decision.message;
  const checked: number = ret.decision.audience === "merchant" ? ret.decision.trace.length : 0;

  // Exchanges: one T-shirt swapped for a dearer variant, another for a cheaper one.
  await syncExchangeCatalog(api, daysAgo);
  await exchangeForADearerVariant(api);
  await exchangeForACheaperVariant(api);

  // Lists are cursor-paginated: follow next_cursor until it is null.
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = expectData(
      await api.GET("/v1/returns", {
        params: { query: { order_id: synced.id, limit: 10, ...(cursor ? { cursor } : {}) } },
      }),
    );
    seen.push(...page.data.map((summary) => summary.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);

  if (!seen.includes(ret.id) || status !== "approved" || etag === null) throw new Error("lost it");
  if (told === "" || checked === 0) throw new Error("no decision");
  return ret;
}

// One line of two T-shirts: one unit was paid its price less half the discount, plus half the tax.
const TEE = {
  id: "li_tee",
  title: "T-shirt",
  product_id: "prod_tee",
  quantity: 2,
  unit_price: 2000,
  discount: 200,
  tax: 342,
} satisfies Schemas["LineItemIn"];
const PAID_FOR_ONE_TEE = TEE.unit_price - TEE.discount / 2 + TEE.tax / 2;
// Variants of the same product: one dearer, one cheaper.
const GOLD = { currency: "EUR", unit_price: 2600, tax: 494 } satisfies Schemas["VariantPrice"];
const SALE = { currency: "EUR", unit_price: 1000, tax: 190 } satisfies Schemas["VariantPrice"];

/** The platform syncs the variants an exchange may name, and the order (with an address). */
async function syncExchangeCatalog(api: Api, daysAgo: (days: number) => string): Promise<void> {
  for (const [variant_id, price] of [["var_tee_gold", GOLD], ["var_tee_sale", SALE]] as const) {
    const variant: Schemas["VariantUpsert"] = {
      product_id: "prod_tee",
      title: `T-shirt ${variant_id}`,
      prices: [price],
      available_quantity: 5,
    };
    const synced = await api.PUT("/v1/variants/{variant_id}", {
      params: { path: { variant_id } },
      body: variant,
    });
    expectEqual(expectData(synced).prices, [price], "synced price");
    expectEqual(synced.response.status, 201, "new variant");
  }
  const order: Schemas["OrderUpsert"] = {
    order_number: "TS-2001",
    customer: { id: "cus_ts", email: "ada@example.com", name: "Ada Lovelace" },
    shipping_address: { lines: ["Hauptstraße 5"], city: "Berlin", country: "DE" },
    currency: "EUR",
    placed_at: daysAgo(6),
    delivered_at: daysAgo(3),
    line_items: [TEE],
  };
  expectData(
    await api.PUT("/v1/orders/{order_id}", { params: { path: { order_id: "ord_ts_x" } }, body: order }),
  );
}

/** One T-shirt exchanged for the variant, approved by a person if the policy asks. */
async function approvedExchange(api: Api, variantId: string): Promise<ReturnOut> {
  const item: Schemas["ReturnItemIn"] = {
    line_item_id: TEE.id,
    quantity: 1,
    reason: "size_fit",
    resolution: "exchange",
    exchange_variant_id: variantId,
  };
  let ret = expectData(await api.POST("/v1/returns", { body: { order_id: "ord_ts_x", items: [item] } }));
  if (ret.status === "pending_review") {
    const path = { return_id: ret.id };
    ret = expectData(await api.POST("/v1/returns/{return_id}/approve", { params: { path } }));
  }
  expectEqual(ret.status, "approved", "exchange status");
  return ret;
}

/** The parcel moves and its one T-shirt is accepted. */
async function receivedExchange(api: Api, ret: ReturnOut): Promise<ReturnOut> {
  const path = { return_id: ret.id };
  const moving: Schemas["TrackingEventIn"] = { status: "in_transit" };
  expectData(await api.POST("/v1/returns/{return_id}/tracking-events", { params: { path }, body: moving }));
  const item_id = ret.items[0]?.id;
  if (item_id === undefined) throw new Error("no item");
  const inspected = { items: [{ item_id, received_quantity: 1, accepted_quantity: 1 }] };
  return expectData(await api.POST("/v1/returns/{return_id}/receive", { params: { path }, body: inspected }));
}

/** The customer pays the difference, then the platform orders and ships the new shirt. */
async function exchangeForADearerVariant(api: Api): Promise<void> {
  const gold = GOLD.unit_price + GOLD.tax;
  const owed = gold - PAID_FOR_ONE_TEE;
  let ret = await approvedExchange(api, "var_tee_gold");
  const path = { return_id: ret.id };
  expectEqual(
    ret.items[0]?.exchange,
    { variant_id: "var_tee_gold", unit_price: GOLD.unit_price, tax: GOLD.tax, like_for_like: false },
    "exchanged for",
  );
  expectEqual(
    ret.refund_breakdown.exchange,
    { credit: PAID_FOR_ONE_TEE, bonus: 0, new_value: gold, amount_due: owed, refund_due: 0 },
    "dearer balance",
  );
  expectEqual(ret.amounts.refundable, 0, "refundable while the credit buys the new shirt");
  const asked = ret.exchange_payment;
  expectEqual([asked?.amount_due, asked?.paid, asked?.outstanding], [owed, 0, owed], "payment asked");
  if (!asked?.due_at || Date.parse(asked.due_at) <= Date.now()) throw new Error("no deadline ahead");

  // The platform collects the difference in two goes; a report sent twice is one payment.
  const pay = async (amount: number, external_reference: string): Promise<ReturnOut> =>
    expectData(
      await api.POST("/v1/returns/{return_id}/exchange/payments", {
        params: { path },
        body: { amount, external_reference },
      }),
    );
  const part = await pay(500, "ch_ts_1");
  expectEqual(part.exchange_payment?.outstanding, owed - 500, "outstanding after a part");
  expectEqual((await pay(500, "ch_ts_1")).version, part.version, "the same payment again");
  ret = await pay(owed - 500, "ch_ts_2");
  expectEqual(ret.exchange_payment, { amount_due: owed, paid: owed, outstanding: 0, due_at: null }, "paid");
  expectEqual(ret.exchange_fulfillment, null, "replacement before the parcel came");

  // Received and accepted, with nothing owed: the replacement order is requested.
  ret = await receivedExchange(api, ret);
  const requested = ret.exchange_fulfillment;
  expectEqual(requested?.ship_to?.name, "Ada Lovelace", "ship to");
  expectEqual([requested?.order_id, requested?.fulfilled_at], [null, null], "requested only");

  // The platform reports the order, then its shipment.
  const report = async (body: Schemas["ExchangeFulfillmentIn"]): Promise<ReturnOut> =>
    expectData(await api.POST("/v1/returns/{return_id}/exchange/fulfillment", { params: { path }, body }));
  ret = await report({ order_id: "ord_ts_2002" });
  expectEqual(ret.exchange_fulfillment?.order_id, "ord_ts_2002", "replacement order");
  ret = await report({ order_id: "ord_ts_2002", tracking_number: "1Z9", carrier: "ups" });
  const shipped = ret.exchange_fulfillment;
  expectEqual([shipped?.tracking_number, shipped?.carrier], ["1Z9", "ups"], "shipment");
  if (!shipped?.fulfilled_at) throw new Error("not fulfilled");
  ret = expectData(await api.POST("/v1/returns/{return_id}/complete", { params: { path } }));
  expectEqual([ret.status, ret.refunds], ["completed", []], "dearer exchange closed");
}

/** The credit is worth more than the new shirt: the remainder is refunded, once. */
async function exchangeForACheaperVariant(api: Api): Promise<void> {
  const remainder = PAID_FOR_ONE_TEE - (SALE.unit_price + SALE.tax);
  let ret = await approvedExchange(api, "var_tee_sale");
  const path = { return_id: ret.id };
  expectEqual(ret.exchange_payment, null, "nothing to pay");
  expectEqual(
    [ret.refund_breakdown.exchange?.amount_due, ret.refund_breakdown.exchange?.refund_due],
    [0, remainder],
    "cheaper balance",
  );
  ret = await receivedExchange(api, ret);
  if (!ret.exchange_fulfillment) throw new Error("nothing owed: the replacement is requested at once");
  expectEqual(ret.amounts.refundable, remainder, "refundable");
  const method: Schemas["RefundMethod"] = "exchange";
  const balance = ret.refund_breakdown.exchange;
  if (!balance) throw new Error("no balance");
  const exact = { amount: balance.refund_due, method };
  ret = expectData(await api.POST("/v1/returns/{return_id}/refunds", { params: { path }, body: exact }));
  expectEqual(ret.refunds.map((refund) => [refund.method, refund.amount]), [[method, remainder]], "refunds");
  const twice = await api.POST("/v1/returns/{return_id}/refunds", { params: { path }, body: { method } });
  expectEqual(
    [twice.response.status, twice.error?.type],
    [409, "urn:returns-api:problem:nothing-to-refund"],
    "a second refund",
  );
}

/** A webhook receiver's view: the payload type of one event, from the `webhooks` section. */
export type ReturnApprovedPayload = NonNullable<
  webhooks["return.approved"]["post"]["requestBody"]
>["content"]["application/json"];

export function latestStatus(events: ReturnApprovedPayload[]): Map<string, ReturnStatus> {
  // At least once, in any order across returns: keep the highest sequence per return.
  const latest = new Map<string, ReturnEvent>();
  for (const event of events) {
    const known = latest.get(event.data.object.id);
    if (known === undefined || known.data.sequence < event.data.sequence) {
      latest.set(event.data.object.id, event);
    }
  }
  return new Map([...latest].map(([id, event]) => [id, event.data.object.status]));
}
