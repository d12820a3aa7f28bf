/**
 * The return journey, typed end to end by the types openapi-typescript generates from
 * openapi/openapi.json (`npm run generate`), over fetch (through openapi-fetch). `tsc --noEmit`
 * checks it in CI: a change to the document that breaks integrators breaks this file.
 *
 * tests/clients/test_typescript_client.py also compiles it and runs it against the service.
 */
import createClient from "openapi-fetch";

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
