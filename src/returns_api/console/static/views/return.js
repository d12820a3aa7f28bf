// One return, for the merchant's team: status, customer, why the policy decided what it did
// (approve or reject here while it waits for review), items, receiving and inspection, the
// amounts, refund breakdown and refunds (refund.js), shipments with their labels, timeline,
// and what was sent about it (webhooks, e-mails), each shown to a key whose scopes allow it.

import { get } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { decisionSection } from "./decision.js";
import { inspectSection } from "./inspect.js";
import { customerText } from "./queue.js";
import { refundSection } from "./refund.js";
import { activitySections } from "./return-activity.js";
import { itemsSection, shipmentsSection, timelineSection } from "./return-parts.js";
import { reviewForm } from "./review.js";

const words = (code) => (code ? code.replaceAll("_", " ") : "");

function summary(ret, order) {
  const row = (name, value) => [h("dt", {}, name), h("dd", {}, value)];
  return h(
    "dl",
    { class: "facts" },
    row("Status", h("span", { class: `status status-${ret.status}` }, words(ret.status))),
    row("Customer", customerText(order, ret)),
    row("Order", order?.order_number ?? ret.order_id),
    row("Requested", h("time", { datetime: ret.created_at }, dateTime(ret.created_at))),
    row("Return method", ret.instructions?.label ?? words(ret.return_method)),
    ret.keep_item ? row("Parcel", "None: the customer keeps the items") : null,
    ret.legal_basis === "statutory_withdrawal" ? row("Legal basis", "Statutory right of withdrawal") : null,
  );
}

export async function render(ctx) {
  const { main, params, navigate, flash } = ctx;
  const ret = await get(`/v1/returns/${encodeURIComponent(params.returnId)}`);
  const order = await get(`/v1/orders/${encodeURIComponent(ret.order_id)}`).catch(() => null);
  const path = `/console/returns/${ret.id}`;
  const status = h("p", { class: "notice", role: "status", hidden: !flash });
  const review = reviewForm(ret, {
    can: ctx.can,
    onDone: (message) => navigate(path, { replace: true, message }),
  });
  const [inspection, refund, activity] = await Promise.all([inspectSection(ret, ctx), refundSection(ret, ctx), activitySections(ret, ctx)]);
  const parts = [
    h("h1", { tabindex: "-1" }, `Return ${ret.rma_number}`),
    status,
    summary(ret, order),
    decisionSection(ret, { headingId: "decision-heading" }),
    review,
    itemsSection(ret),
    inspection,
    refund,
    shipmentsSection(ret),
    timelineSection(ret),
    ...activity,
  ];
  main.replaceChildren(...parts.filter(Boolean));
  if (flash) setTimeout(() => (status.textContent = flash), 50);
}
