// The quote before committing: per item whether it can go back, the return method with its
// fee, the estimated refund and what will happen next. Submitting creates the return.

import { ApiError, get, newKey, request } from "../api.js";
import { errorSummary, h } from "../dom.js";
import { draft } from "../draft.js";
import { date, money, t } from "../i18n.js";
import { navLink, reasons, resolutionName } from "./common.js";

function amountRow(label, amount, currency, { negative = false, strong = false } = {}) {
  const value = money(negative && amount ? -amount : amount, currency);
  return [h("dt", {}, label), h("dd", { class: strong ? "total" : null }, value)];
}

function refundSection(quote) {
  const estimate = quote.estimated_refund;
  if (!estimate) return h("p", {}, t("review.noEstimate"));
  const c = estimate.currency;
  const rows = [amountRow(t("review.items"), estimate.subtotal, c)];
  if (estimate.return_shipping_fee) rows.push(amountRow(t("review.shippingFee"), estimate.return_shipping_fee, c, { negative: true }));
  if (estimate.shipping_refund) rows.push(amountRow(t("review.shippingRefund"), estimate.shipping_refund, c));
  rows.push(amountRow(t("review.total"), estimate.total, c, { strong: true }));
  for (const [method, amount] of Object.entries(estimate.by_method || {})) {
    rows.push(amountRow(t(`refundMethod.${method}`), amount, c));
  }
  const exchange = estimate.exchange;
  if (exchange) {
    rows.push(amountRow(t("review.exchangeValue"), exchange.new_value, c));
    if (exchange.amount_due) rows.push(amountRow(t("review.amountDue"), exchange.amount_due, c, { strong: true }));
    if (exchange.refund_due) rows.push(amountRow(t("review.refundDue"), exchange.refund_due, c, { strong: true }));
  }
  return h("dl", { class: "amounts" }, rows);
}

function methodChoices(quote, current, onChange) {
  return h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, t("review.method")),
    quote.return_options.map((option) => {
      const id = `method-${option.code}`;
      const fee = option.fee ? money(option.fee, quote.currency) : t("review.free");
      const hintId = `${id}-kind`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", name: "method", id, value: option.code, checked: option.code === current, onchange: onChange, "aria-describedby": hintId }),
        h("label", { for: id }, `${option.label} – ${fee}`),
        h("p", { class: "hint", id: hintId }, t(`methodKind.${option.kind}`)),
      );
    }),
  );
}

function itemsList(quote, pending, reasonList) {
  const names = new Map(reasonList.map((r) => [r.code, r.name ?? r.label]));
  return h(
    "ul",
    { class: "review-items" },
    pending.items.map((item) => {
      const line = quote.lines.find((l) => l.line_item_id === item.line_item_id);
      return h(
        "li",
        {},
        h("strong", {}, `${item.title ?? item.line_item_id} × ${item.quantity}`),
        h("span", {}, ` – ${names.get(item.reason) ?? item.reason}, ${resolutionName(item.resolution)}`),
        line?.return_deadline ? h("span", { class: "hint" }, ` (${t("review.until", { date: date(line.return_deadline) })})`) : null,
        line && !line.eligible ? h("ul", { class: "problems" }, line.problems.map((p) => h("li", {}, p))) : null,
      );
    }),
  );
}

export async function reviewView({ app }) {
  const pending = draft.get();
  if (!pending) return app.navigate("/portal/order", { replace: true });
  const reasonList = await reasons();
  const body = () => ({
    order_id: pending.order_id,
    items: pending.items.map(({ title, ...item }) => item),
    return_method: pending.return_method,
  });
  let quote;
  try {
    quote = (await request("POST", "/v1/returns/quote", { body: body() })).body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      draft.clear();
      return app.navigate("/portal/order", { replace: true, message: t("review.invalid") });
    }
    throw error;
  }
  const titles = await titlesOf(quote);
  pending.items.forEach((item) => {
    item.title = titles.get(item.line_item_id);
  });
  const live = h("div", { class: "live", "aria-live": "polite" });
  const summary = h("div", { class: "summary-slot" });
  const refund = h("div", {}, refundSection(quote));
  const key = pending.idempotency_key ?? newKey();
  draft.set({ ...pending, idempotency_key: key });

  async function onMethod(event) {
    pending.return_method = event.target.value;
    draft.set({ ...pending, idempotency_key: newKey() });
    quote = (await request("POST", "/v1/returns/quote", { body: body() })).body;
    refund.replaceChildren(refundSection(quote));
    live.textContent = t("review.updated", { total: quote.estimated_refund ? money(quote.estimated_refund.total, quote.currency) : "" });
  }

  const submit = h("button", { type: "submit", class: "button primary", disabled: !quote.eligible }, t("review.submit"));
  async function onSubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    try {
      const created = await request("POST", "/v1/returns", { body: body(), idempotencyKey: draft.get().idempotency_key });
      draft.clear();
      await app.navigate(`/portal/returns/${created.body.id}`, { message: t("review.created", { rma: created.body.rma_number }) });
    } catch (error) {
      submit.disabled = false;
      if (!(error instanceof ApiError) || error.status >= 500) throw error;
      const errors = error.fieldErrors.length ? error.fieldErrors.map((e) => ({ id: null, message: e.message })) : [{ id: null, message: error.message }];
      summary.replaceChildren(errorSummary(t("review.failed"), errors));
      summary.firstChild.focus();
    }
  }

  const decision = quote.decision?.action ? t(`decision.${quote.decision.action}`) : null;
  const address = quote.return_address;
  return {
    title: t("review.title"),
    content: h(
      "div",
      {},
      h("h1", { tabindex: "-1" }, t("review.title")),
      summary,
      !quote.eligible ? h("p", { class: "error", role: "alert" }, t("review.notEligible")) : null,
      h("section", { "aria-labelledby": "review-items" }, h("h2", { id: "review-items" }, t("review.yourItems")), itemsList(quote, pending, reasonList)),
      h(
        "form",
        { novalidate: true, onsubmit: onSubmit, "aria-labelledby": "review-send" },
        h("h2", { id: "review-send" }, t("review.sending")),
        methodChoices(quote, pending.return_method, onMethod),
        address
          ? h("p", {}, t("review.address", { name: address.name, city: address.address.city, country: address.address.country }))
          : null,
        h("h2", {}, t("review.refund")),
        refund,
        live,
        decision ? h("p", { class: "notice" }, decision) : null,
        h("div", { class: "actions" }, submit, navLink("/portal/order", t("review.change"), { class: "button secondary" })),
      ),
    ),
  };
}

async function titlesOf(quote) {
  const order = await get(`/v1/orders/${encodeURIComponent(quote.order_id)}`);
  return new Map(order.line_items.map((line) => [line.id, line.title]));
}
