// The review queue: returns waiting for a person (status `pending_review`), oldest first
// (`sort=created_at`), each with why the policy sent it here, the customer, the items, the
// amount and how long it has waited; approve or reject with a note (returns:manage only).

import { ApiError, ROOT, get } from "../api.js";
import { h } from "../dom.js";
import { age, dateTime, money } from "../format.js";
import { decisionSection } from "./decision.js";
import { reviewForm } from "./review.js";

const PAGE_SIZE = 20;

function returnLink(ret) {
  const path = `/console/returns/${ret.id}`;
  return h("a", { href: `${ROOT}${path}`, dataset: { nav: path } }, ret.rma_number);
}

// One read per order: several returns of an order share its customer.
function orderReader() {
  const orders = new Map();
  return (orderId) => {
    if (!orders.has(orderId)) orders.set(orderId, get(`/v1/orders/${encodeURIComponent(orderId)}`).catch(() => null));
    return orders.get(orderId);
  };
}

export function customerText(order, ret) {
  const customer = order?.customer;
  if (!customer) return ret.customer_id ?? "Unknown";
  return [customer.name, customer.email].filter(Boolean).join(", ") || customer.id;
}

export function itemLine(item) {
  return `${item.quantity} × ${item.title}${item.sku ? ` (${item.sku})` : ""}, ${item.reason.replaceAll("_", " ")}, ${item.resolution.replaceAll("_", " ")}`;
}

function entry(ret, order, ctx) {
  const headingId = `entry-${ret.id}`;
  return h(
    "li",
    { class: "queue-entry" },
    h(
      "article",
      { "aria-labelledby": headingId },
      h("h2", { id: headingId }, returnLink(ret)),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Waiting"),
        h("dd", {}, h("time", { datetime: ret.created_at, title: dateTime(ret.created_at) }, age(ret.created_at))),
        h("dt", {}, "Customer"),
        h("dd", {}, customerText(order, ret)),
        h("dt", {}, "Order"),
        h("dd", {}, order?.order_number ?? ret.order_id),
        h("dt", {}, "Amount"),
        h("dd", {}, money(ret.amounts.refundable, ret.currency)),
        h("dt", {}, "Items"),
        h("dd", {}, h("ul", { class: "plain" }, ret.items.map((item) => h("li", {}, itemLine(item))))),
      ),
      decisionSection(ret, { headingLevel: "h3" }),
      reviewForm(ret, {
        can: ctx.can,
        onDone: (message) => ctx.navigate("/console/queue", { replace: true, message }),
      }),
    ),
  );
}

async function loadPage(cursor, readOrder) {
  const query = new URLSearchParams({ status: "pending_review", sort: "created_at", limit: String(PAGE_SIZE) });
  if (cursor) query.set("cursor", cursor);
  const page = await get(`/v1/returns?${query}`);
  // The list leaves out the decision (its trace is the largest part of a return): read each.
  const returns = await Promise.all(page.data.map((summary) => get(`/v1/returns/${summary.id}`)));
  const orders = await Promise.all(returns.map((ret) => readOrder(ret.order_id)));
  return { entries: returns.map((ret, index) => [ret, orders[index]]), next: page.next_cursor };
}

export async function render(ctx) {
  const { main, flash } = ctx;
  const readOrder = orderReader();
  const first = await loadPage(null, readOrder);
  const status = h("p", { class: "notice", role: "status", hidden: !flash });
  const list = h("ol", { class: "queue" }, first.entries.map(([ret, order]) => entry(ret, order, ctx)));
  const more = h("div", { class: "actions" });
  let cursor = first.next;

  async function showMore(button) {
    button.disabled = true;
    let next;
    try {
      next = await loadPage(cursor, readOrder);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // signed out (app.js)
      button.disabled = false;
      status.hidden = false;
      status.textContent = `Could not show more returns: ${error instanceof ApiError ? error.message : "the service did not answer. Try again."}`;
      return;
    }
    const added = next.entries.map(([ret, order]) => entry(ret, order, ctx));
    list.append(...added);
    cursor = next.next;
    renderMore();
    added[0]?.querySelector("h2 a")?.focus();
  }

  function renderMore() {
    const button = h("button", { type: "button", class: "button secondary", onclick: (event) => showMore(event.currentTarget) }, "Show more returns");
    more.replaceChildren(...(cursor ? [button] : []));
  }
  renderMore();

  main.replaceChildren(
    h("h1", { tabindex: "-1" }, "Review queue"),
    status,
    ...(first.entries.length
      ? [h("p", { class: "hint" }, "Returns waiting for a decision, the longest waiting first."), list, more]
      : [h("p", {}, "Nothing is waiting for review.")]),
  );
  // Written after the region is in the page, so that screen readers announce it.
  if (flash) setTimeout(() => (status.textContent = flash), 50);
}
