// The order: what can be returned and until when, the returns already made, and the form
// to choose items, quantities, reasons, comments and the resolution.

import { ROOT, get, post } from "../api.js";
import { errorSummary, field, h, setFieldError } from "../dom.js";
import { draft } from "../draft.js";
import { date, dateTime, money, t } from "../i18n.js";
import { navLink, notice, orderId, reasons, resolutionName, statusName, variantName } from "./common.js";
import { startWithdrawal } from "./withdraw.js";

// Whether the statutory right of withdrawal covers some item now, and until when (null:
// not delivered yet, the period has not started; undefined: it covers nothing). Quotes write
// nothing. A policy without a statutory profile does not know the reason `withdrawal`
// (`reason_name` null); a quote mixing covered and uncovered lines is judged by the policy
// alone, so then each line is asked on its own.
async function withdrawalPeriod(order, policy) {
  const left = order.line_items.filter((line) => line.quantity > line.returned_quantity).slice(0, 30);
  const method = policy.return_methods?.[0] ? { return_method: policy.return_methods[0].code } : {};
  const quote = (lines) =>
    post("/v1/returns/quote", {
      order_id: order.id,
      items: lines.map((line) => ({ line_item_id: line.id, quantity: line.quantity - line.returned_quantity, reason: "withdrawal" })),
      ...method,
    }).catch(() => null);
  if (!left.length || order.buyer_is_consumer === false) return undefined;
  const whole = await quote(left);
  if (!whole || whole.lines.some((line) => line.reason_name === null)) return undefined;
  const quotes = whole.legal_basis === "statutory_withdrawal" || left.length === 1
    ? [whole]
    : await Promise.all(left.map((line) => quote([line])));
  const covered = quotes
    .filter((q) => q?.legal_basis === "statutory_withdrawal")
    .flatMap((q) => q.lines.filter((line) => line.legal_basis === "statutory_withdrawal"));
  if (!covered.length) return undefined;
  const deadlines = covered.map((line) => line.withdrawal_deadline).filter(Boolean).sort();
  return deadlines.length ? deadlines.at(-1) : null;
}

function withdrawalSection(order, until, app) {
  if (until === undefined) return null;
  const open = (event) => {
    event.preventDefault();
    startWithdrawal(app, { name: order.customer.name, orderNumber: order.order_number, email: order.customer.email });
  };
  return h(
    "section",
    { class: "withdraw-entry", "aria-labelledby": "withdraw-heading" },
    h("h2", { id: "withdraw-heading" }, t("withdraw.heading")),
    h("p", {}, until ? t("withdraw.until", { date: date(until) }) : t("withdraw.notStarted")),
    h("a", { href: `${ROOT}/portal/withdraw`, class: "button secondary", onclick: open }, t("withdraw.button")),
  );
}

function eligibilityText(line) {
  if (line.returnable_quantity > 0) {
    return t("order.returnable", { count: line.returnable_quantity, date: date(line.return_deadline) });
  }
  if (line.final_sale) return t("order.finalSale");
  if (line.return_deadline === null) return t("order.notShipped");
  if (line.returned_quantity >= line.quantity) return t("order.alreadyReturned");
  if (new Date(line.return_deadline) < new Date()) return t("order.windowClosed", { date: date(line.return_deadline) });
  return t("order.notReturnable");
}

async function variantsFor(productId) {
  const page = await get(`/v1/variants?product_id=${encodeURIComponent(productId)}&limit=100`);
  return page.data.filter((variant) => variant.active);
}

function variantLabel(variant, currency) {
  const price = (variant.prices || []).find((p) => p.currency === currency);
  return [variantName(variant), price ? money(price.unit_price, currency) : null].filter(Boolean).join(" – ");
}

function lineForm(line, order, policy, reasonList, saved) {
  const prefix = `line-${line.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const selected = h("input", { type: "checkbox", id: `${prefix}-selected`, name: "selected", checked: Boolean(saved) });
  const quantity = h(
    "select",
    { name: "quantity" },
    Array.from({ length: line.returnable_quantity }, (_, i) =>
      h("option", { value: String(i + 1), selected: saved?.quantity === i + 1 }, String(i + 1)),
    ),
  );
  const reason = h(
    "select",
    { name: "reason", required: true },
    h("option", { value: "" }, t("order.reason.choose")),
    reasonList.map((r) => h("option", { value: r.code, selected: saved?.reason === r.code }, r.name ?? r.label)),
  );
  const comment = h("textarea", { name: "comment", rows: "3", maxlength: "2000" }, saved?.comment ?? "");
  const resolutions = policy.allowed_resolutions.filter((r) => r !== "exchange" || line.product_id);
  const chosen = saved?.resolution ?? resolutions[0] ?? "refund";
  const variant = h("select", { name: "variant" }, h("option", { value: "" }, t("order.variant.choose")));
  const variantField = field({ id: `${prefix}-variant`, label: t("order.variant"), control: variant });
  variantField.hidden = chosen !== "exchange";
  let variantsLoaded = false;

  async function showVariants() {
    const exchange = resolutionGroup.querySelector("input:checked")?.value === "exchange";
    variantField.hidden = !exchange;
    if (!exchange || variantsLoaded) return;
    variantsLoaded = true;
    const options = (await variantsFor(line.product_id)).filter((v) => v.id !== line.variant_id);
    variant.append(
      ...options.map((v) =>
        h("option", { value: v.id, selected: saved?.exchange_variant_id === v.id }, variantLabel(v, order.currency)),
      ),
    );
    if (!options.length) setFieldError(variant, t("order.variant.none"));
  }

  const resolutionGroup = h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, t("order.resolution")),
    resolutions.map((code) => {
      const id = `${prefix}-resolution-${code}`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", id, name: `${prefix}-resolution`, value: code, checked: code === chosen, onchange: showVariants }),
        h("label", { for: id }, resolutionName(code)),
      );
    }),
  );
  const details = h(
    "div",
    { class: "item-details", hidden: !saved },
    field({ id: `${prefix}-quantity`, label: t("order.quantity"), control: quantity }),
    field({ id: `${prefix}-reason`, label: t("order.reason"), control: reason }),
    resolutionGroup,
    variantField,
    field({ id: `${prefix}-comment`, label: t("order.comment"), control: comment, hint: t("order.comment.hint") }),
  );
  selected.addEventListener("change", () => {
    details.hidden = !selected.checked;
  });
  if (saved && chosen === "exchange") showVariants();

  // Only a line that can be chosen is a group of controls; the others are plain text.
  const returnable = line.returnable_quantity > 0;
  const node = h(
    returnable ? "fieldset" : "div",
    { class: "item" },
    returnable ? h("legend", {}, line.title) : h("h4", {}, line.title),
    h("p", { class: "item-meta" }, t("order.ordered", { count: line.quantity, price: money(line.unit_price, order.currency) })),
    h("p", { class: line.returnable_quantity > 0 ? "eligible" : "ineligible" }, eligibilityText(line)),
    line.returnable_quantity > 0
      ? h("div", { class: "choice" }, selected, h("label", { for: selected.id }, t("order.select", { title: line.title })))
      : null,
    line.returnable_quantity > 0 ? details : null,
  );

  function read() {
    if (line.returnable_quantity <= 0 || !selected.checked) return { skipped: true };
    const resolution = resolutionGroup.querySelector("input:checked")?.value ?? "refund";
    const errors = [];
    setFieldError(reason, reason.value ? null : t("order.reason.missing"));
    if (!reason.value) errors.push({ id: reason.id, message: `${line.title}: ${t("order.reason.missing")}` });
    const needsVariant = resolution === "exchange" && !variant.value;
    setFieldError(variant, needsVariant ? t("order.variant.missing") : null);
    if (needsVariant) errors.push({ id: variant.id, message: `${line.title}: ${t("order.variant.missing")}` });
    return {
      errors,
      item: {
        line_item_id: line.id,
        quantity: Number(quantity.value),
        reason: reason.value,
        comment: comment.value.trim() || null,
        resolution,
        exchange_variant_id: resolution === "exchange" ? variant.value || null : null,
      },
    };
  }
  return { node, read, firstControl: selected };
}

function returnsList(returns) {
  if (!returns.length) return null;
  return h(
    "section",
    { "aria-labelledby": "returns-heading" },
    h("h2", { id: "returns-heading" }, t("order.returns")),
    h(
      "ul",
      { class: "return-list" },
      returns.map((r) =>
        h(
          "li",
          {},
          navLink(`/portal/returns/${r.id}`, t("order.returnLink", { rma: r.rma_number })),
          " ",
          h("span", { class: `status status-${r.status}` }, statusName(r.status)),
          " ",
          h("span", { class: "hint" }, dateTime(r.created_at)),
        ),
      ),
    ),
  );
}

export async function orderView({ app }) {
  const id = await orderId();
  const [order, policy, reasonList, returns] = await Promise.all([
    get(`/v1/orders/${encodeURIComponent(id)}`),
    get("/v1/policy"),
    reasons(),
    get(`/v1/returns?order_id=${encodeURIComponent(id)}&limit=100`),
  ]);
  const until = await withdrawalPeriod(order, policy);
  const saved = draft.get();
  const savedItems = new Map((saved?.order_id === order.id ? saved.items : []).map((i) => [i.line_item_id, i]));
  const lines = order.line_items.map((line) => lineForm(line, order, policy, reasonList, savedItems.get(line.id)));
  const summary = h("div", { class: "summary-slot" });
  const anyReturnable = order.line_items.some((line) => line.returnable_quantity > 0);

  function onSubmit(event) {
    event.preventDefault();
    const read = lines.map((line) => line.read()).filter((r) => !r.skipped);
    const errors = read.flatMap((r) => r.errors);
    if (!read.length) errors.push({ id: lines.find((l) => l.firstControl)?.firstControl.id, message: t("order.noneSelected") });
    if (errors.length) {
      summary.replaceChildren(errorSummary(t("form.problems"), errors));
      summary.firstChild.focus();
      return;
    }
    draft.set({
      order_id: order.id,
      items: read.map((r) => r.item),
      return_method: saved?.return_method ?? policy.return_methods[0]?.code ?? "mail",
    });
    app.navigate("/portal/review");
  }

  const lineNodes = order.line_items.map((line, i) => (line.returnable_quantity > 0 ? lines[i].node : null));
  const closedNodes = order.line_items.map((line, i) => (line.returnable_quantity > 0 ? null : lines[i].node));
  return {
    title: t("order.title", { number: order.order_number }),
    content: h(
      "div",
      {},
      h("h1", { tabindex: "-1" }, t("order.title", { number: order.order_number })),
      notice(app.takeFlash()),
      returnsList(returns.data),
      h(
        "section",
        { "aria-labelledby": "start-heading" },
        h("h2", { id: "start-heading" }, t("order.start")),
        anyReturnable ? h("p", {}, t("order.intro")) : h("p", {}, t("order.nothing")),
        summary,
        anyReturnable
          ? h(
              "form",
              { novalidate: true, onsubmit: onSubmit, "aria-labelledby": "start-heading" },
              lineNodes,
              h("button", { type: "submit", class: "button primary" }, t("order.review")),
            )
          : null,
        closedNodes.some(Boolean)
          ? h("div", { class: "closed-items" }, h("h3", {}, t("order.otherItems")), closedNodes)
          : null,
      ),
      withdrawalSection(order, until, app),
    ),
  };
}
