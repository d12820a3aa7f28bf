// The refund: its breakdown (the service computes it: `refund_breakdown`, on accepted units
// once received), the refunds made and where each is (pending, succeeded, failed), and, with
// returns:manage, a refund of all that is left or of a custom amount, confirmed after
// seeing what it does (POST /v1/returns/{id}/refunds). Money stays in integer minor units.

import { ApiError, newKey, post } from "../api.js";
import { errorSummary, field, h, setFieldError } from "../dom.js";
import { dateTime, minorUnits, money } from "../format.js";

const METHODS = { original_payment: "original payment", store_credit: "store credit", exchange: "exchange" };
const STATUSES = { pending: "Pending", succeeded: "Succeeded", failed: "Failed" };
const BASIS = { requested: "requested units (an estimate until the parcel is inspected)", accepted: "accepted units" };

// The ETag of a return is its version (docs/INTEGRATING.md): a refund is confirmed against
// the figures shown, and refused (412) if the return changed meanwhile.
const etagOf = (ret) => `"${ret.version}"`;

function refundable(ret) {
  return ret.status === "received" || (ret.status === "approved" && ret.keep_item);
}

// What is left to refund by each method: its share of the breakdown less the refunds that
// take from it (pending ones too; failed ones not). An exchange's share is what the API
// says is left overall less the other methods' (its credit partly buys the new items).
export function leftByMethod(ret) {
  const taken = (method) =>
    ret.refunds.filter((r) => r.method === method && r.status !== "failed").reduce((sum, r) => sum + r.amount, 0);
  const left = {};
  for (const [method, share] of Object.entries(ret.refund_breakdown.by_method)) {
    if (method !== "exchange") left[method] = Math.max(0, share - taken(method));
  }
  const others = Object.values(left).reduce((sum, n) => sum + n, 0);
  if ("exchange" in ret.refund_breakdown.by_method || ret.refund_breakdown.exchange) left.exchange = Math.max(0, ret.amounts.remaining - others);
  return Object.fromEntries(Object.entries(left).filter(([, amount]) => amount > 0));
}

function scrollable(caption, table) {
  // A wide table scrolls on its own at phone width; the region can take focus to scroll by keyboard.
  return h("div", { class: "table-wrap", role: "region", tabindex: "0", "aria-label": caption }, table);
}

function breakdownTable(ret) {
  const b = ret.refund_breakdown;
  const cur = (n) => money(n, b.currency);
  const titles = new Map(ret.items.map((item) => [item.id, item.title]));
  const optional = [
    ["restocking_fee", "Restocking fee", -1],
    ["deduction", "Deduction", -1],
    ["store_credit_bonus", "Store-credit bonus", 1],
  ].filter(([key]) => b.items.some((line) => line[key]));
  const cols = 3 + optional.length;
  const num = (text) => h("td", { class: "number" }, text);
  const head = (text, number = true) => h("th", { scope: "col", class: number ? "number" : false }, text);
  const footRow = (label, amount, strong = false) =>
    h("tr", { class: strong ? "total" : false }, h("th", { scope: "row", colspan: String(cols) }, label), num(amount));
  const caption = `Refund breakdown, on ${BASIS[b.basis] ?? b.basis}`;
  const table = h(
    "table",
    { class: "breakdown" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, head("Item", false), head("Units"), head("Paid"), optional.map(([, label]) => head(label)), head("Refund"))),
    h(
      "tbody",
      {},
      b.items.map((line) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, titles.get(line.item_id) ?? line.item_id),
          num(String(line.quantity)),
          num(cur(line.paid)),
          optional.map(([key, , sign]) => num(line[key] ? cur(sign * line[key]) : "–")),
          num(cur(line.total)),
        ),
      ),
    ),
    h(
      "tfoot",
      {},
      footRow("Items", cur(b.subtotal)),
      b.return_shipping_fee ? footRow("Return shipping fee", cur(-b.return_shipping_fee)) : null,
      b.shipping_refund ? footRow("Original shipping refunded", cur(b.shipping_refund)) : null,
      b.exchange ? footRow("Exchange: left to pay back after the new items", cur(b.exchange.refund_due)) : null,
      footRow("Refundable", cur(ret.amounts.refundable), true),
    ),
  );
  return scrollable(caption, table);
}

function amountsList(ret, extra = []) {
  const cur = (n) => money(n, ret.currency);
  const rows = [
    ["Refundable", cur(ret.amounts.refundable)],
    ["Refunded", cur(ret.amounts.refunded)],
    ret.amounts.pending ? ["Being refunded", cur(ret.amounts.pending)] : null,
    ["Left to refund", cur(ret.amounts.remaining)],
    ...extra,
  ].filter(Boolean);
  return h("dl", { class: "amounts" }, rows.map(([term, value, strong]) => [h("dt", { class: strong ? "total" : false }, term), h("dd", { class: strong ? "total" : false }, value)]));
}

function refundsTable(ret) {
  if (!ret.refunds.length) return h("p", {}, "Nothing has been refunded yet.");
  const table = h(
    "table",
    { class: "refunds" },
    h("caption", {}, "Refunds"),
    h("thead", {}, h("tr", {}, ["When", "Amount", "Method", "Status", "Reference"].map((text) => h("th", { scope: "col", class: text === "Amount" ? "number" : false }, text)))),
    h(
      "tbody",
      {},
      ret.refunds.map((r) =>
        h(
          "tr",
          { class: `refund-${r.status}` },
          h("td", {}, h("time", { datetime: r.created_at }, dateTime(r.created_at))),
          h("td", { class: "number" }, money(r.amount, r.currency)),
          h("td", {}, METHODS[r.method] ?? r.method),
          h("td", {}, h("span", { class: `status refund-status-${r.status}` }, STATUSES[r.status] ?? r.status), r.failure_reason ? h("p", { class: "hint" }, r.failure_reason) : null),
          h("td", {}, [r.external_reference, r.note].filter(Boolean).join(" – ") || "–"),
        ),
      ),
    ),
  );
  return scrollable("Refunds", table);
}

// The form, then the confirm step in its place; `done` reloads the return.
function refundForm(ret, ctx, region) {
  const cur = (n) => money(n, ret.currency);
  const left = leftByMethod(ret);
  const methods = Object.keys(left);
  const methodSelect = h("select", {}, methods.map((m) => h("option", { value: m }, METHODS[m] ?? m)));
  const defaultLabel = h("label", { for: "refund-default" });
  const radio = (value, checked) => h("input", { type: "radio", name: "refund-kind", id: `refund-${value}`, value, checked });
  const amount = h("input", { type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false" });
  const amountField = field({ id: "refund-amount", label: `Amount (${ret.currency})`, control: amount, hint: "For example 12.30." });
  const hint = amountField.querySelector(".hint");
  const reference = h("input", { type: "text", maxlength: "128", autocomplete: "off" });
  const note = h("textarea", { rows: "2", maxlength: "2000" });
  const summary = h("div", {});
  const method = () => methodSelect.value || methods[0];
  const custom = () => form.querySelector("input[name=refund-kind]:checked")?.value === "custom";

  function update() {
    defaultLabel.textContent = `All that is left: ${cur(left[method()])}`;
    hint.textContent = `For example 12.30 – at most ${cur(left[method()])}.`;
    amountField.hidden = !custom();
  }

  const form = h(
    "form",
    {
      novalidate: true,
      onchange: update,
      onsubmit: (event) => {
        event.preventDefault();
        summary.replaceChildren();
        setFieldError(amount, null);
        let value = left[method()];
        if (custom()) {
          value = minorUnits(amount.value, ret.currency);
          const problem = value === null ? "Enter an amount in digits with a point for decimals, for example 12.30." : value === 0 ? "Enter an amount above zero." : value > left[method()] ? `At most ${cur(left[method()])} can be refunded.` : null;
          if (problem) {
            setFieldError(amount, problem);
            const box = errorSummary("Check the refund", [{ id: "refund-amount", message: problem }]);
            summary.replaceChildren(box);
            return box.focus();
          }
        }
        const body = {};
        if (custom()) body.amount = value;
        if (methods.length > 1) body.method = method();
        if (reference.value.trim()) body.external_reference = reference.value.trim();
        if (note.value.trim()) body.note = note.value.trim();
        confirmStep(ret, ctx, region, { body, value, method: method(), back: form });
      },
    },
    summary,
    methods.length > 1 ? field({ id: "refund-method", label: "Refund by", control: methodSelect }) : null,
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, "How much"),
      h("div", { class: "choice" }, radio("default", true), defaultLabel),
      h("div", { class: "choice" }, radio("custom", false), h("label", { for: "refund-custom" }, "A custom amount")),
    ),
    amountField,
    field({ id: "refund-reference", label: "Payment reference (optional)", control: reference, hint: "The payment provider's id, when the money was already sent there." }),
    field({ id: "refund-note", label: "Note (optional)", control: note }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "button primary" }, "Review the refund")),
  );
  update();
  return form;
}

function confirmStep(ret, ctx, region, { body, value, method, back }) {
  const cur = (n) => money(n, ret.currency);
  const idempotencyKey = newKey(); // one per confirmed refund: a retry cannot pay twice
  const heading = h("h3", { id: "refund-confirm-heading", tabindex: "-1" }, "Confirm the refund");
  const status = h("div", {});
  const confirm = h("button", { type: "button", class: "button primary" }, `Refund ${cur(value)}`);
  const change = h("button", { type: "button", class: "button secondary" }, "Change");
  change.addEventListener("click", () => {
    region.replaceChildren(back);
    back.querySelector("input, select")?.focus();
  });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    change.disabled = true;
    try {
      await post(`/v1/returns/${ret.id}/refunds`, body, { idempotencyKey, ifMatch: etagOf(ret) });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // signed out (app.js)
      if (!(error instanceof ApiError)) {
        // The refund may have been made with its answer lost: confirming again sends the same
        // Idempotency-Key, so the service answers with that refund instead of a second one.
        const box = errorSummary("No answer about the refund", [{ id: null, message: "The request did not reach the service, or its answer did not come back. Confirm again: it cannot pay twice." }]);
        status.replaceChildren(box);
        confirm.disabled = false;
        change.disabled = false;
        return box.focus();
      }
      const changed = [409, 412].includes(error.status);
      const message = changed ? "This return changed since you opened it (another refund, or a new inspection). Reload it to see the figures now." : error.fieldErrors[0]?.message ?? error.message;
      const box = errorSummary("The refund was not made", [{ id: null, message }]);
      status.replaceChildren(box, changed ? h("button", { type: "button", class: "button secondary", onclick: () => ctx.reload() }, "Reload the return") : null);
      change.disabled = false;
      return box.focus();
    }
    await ctx.reload();
  });
  const left = leftByMethod(ret)[method] ?? 0;
  region.replaceChildren(
    h(
      "div",
      { class: "confirm", role: "group", "aria-labelledby": "refund-confirm-heading" },
      heading,
      status,
      h("p", {}, `${cur(value)} goes back to the customer by ${METHODS[method] ?? method}${body.amount === undefined ? ": all that is left." : " (a custom amount)."}`),
      amountsList(ret, [
        ["This refund", cur(value), true],
        ["Left after it", cur(left - value)],
      ]),
      h("div", { class: "actions" }, confirm, change),
    ),
  );
  heading.focus();
}

export async function refundSection(ret, ctx) {
  // The figures are shown at every status (on requested units, an estimate, until the parcel
  // is inspected): a reviewer deciding a return sees what it will cost.
  const open = refundable(ret);
  const region = h("div", { class: "refund-action" });
  const manage = open && ctx.can("returns:manage");
  if (manage && Object.keys(leftByMethod(ret)).length) region.append(refundForm(ret, ctx, region));
  else if (manage && ret.amounts.pending) region.append(h("p", {}, "A refund is being carried out; what it leaves, if it fails, can be refunded again."));
  else if (manage) region.append(h("p", {}, ret.amounts.refundable ? "Everything refundable has been refunded." : "Nothing is refundable for this return."));
  return h(
    "section",
    { "aria-labelledby": "refund-heading", class: "refund" },
    h("h2", { id: "refund-heading" }, "Refund"),
    breakdownTable(ret),
    amountsList(ret),
    refundsTable(ret),
    region,
  );
}
