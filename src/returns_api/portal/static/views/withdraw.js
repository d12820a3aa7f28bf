// The withdrawal function (Directive 2011/83/EU, Article 11a), without an account: the
// statement (name, order number, e-mail) at /portal/withdraw, a separate "Confirm withdrawal"
// step with its summary at /portal/withdraw/confirm, and the acknowledgement with the date
// and time of receipt at /portal/withdraw/done. The pending statement, whose confirm_token
// must stay out of URLs, is kept in sessionStorage between the steps.

import { ApiError, post } from "../api.js";
import { errorSummary, field, h, setFieldError } from "../dom.js";
import { date, dateTime, t } from "../i18n.js";
import { navLink, notice } from "./common.js";

const KEY = "returns-portal.withdrawal";
let prefill = null; // from the order page: who and which order, never kept

const stored = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch {
      return null;
    }
  },
  set(value) {
    sessionStorage.setItem(KEY, JSON.stringify(value));
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

// The order page hands over what it knows, so the customer only checks it.
export function startWithdrawal(app, { name, orderNumber, email }) {
  prefill = { name, orderNumber, email };
  stored.clear();
  return app.navigate("/portal/withdraw");
}

function problemSlug(error) {
  return String(error.problem?.type || "").split("/").pop();
}

function goods(statement) {
  return statement.items.map((item) => t("withdraw.item", { count: item.quantity, title: item.title })).join("; ");
}

function statementText(statement) {
  return t("withdraw.statement", { name: statement.consumer_name, order: statement.order_number, goods: goods(statement) });
}

export function withdrawView({ app }) {
  const message = app.takeFlash();
  const given = prefill ?? {};
  prefill = null;
  const name = h("input", { type: "text", name: "name", autocomplete: "name", required: true, maxlength: "200", value: given.name });
  const orderNumber = h("input", { type: "text", name: "order_number", autocomplete: "off", required: true, maxlength: "64", value: given.orderNumber });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: "320", value: given.email });
  const controls = { name, order_number: orderNumber, email };
  const summary = h("div", { class: "summary-slot" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("withdraw.continue"));

  function fail(errors) {
    summary.replaceChildren(errorSummary(t("form.problems"), errors));
    summary.firstChild.focus();
  }

  async function onSubmit(event) {
    event.preventDefault();
    const errors = [];
    for (const [control, key] of [[name, "withdraw.name.missing"], [orderNumber, "login.orderNumber.missing"], [email, "login.email.missing"]]) {
      const empty = !control.value.trim();
      setFieldError(control, empty ? t(key) : null);
      if (empty) errors.push({ id: control.id, message: t(key) });
    }
    if (!errors.length && !email.validity.valid) {
      setFieldError(email, t("login.email.invalid"));
      errors.push({ id: email.id, message: t("login.email.invalid") });
    }
    if (errors.length) return fail(errors);
    submit.disabled = true;
    const body = { name: name.value.trim(), order_number: orderNumber.value.trim(), email: email.value.trim() };
    try {
      const made = await post("/v1/withdrawals", body, { auth: false });
      stored.set({ ...made, asked: body, all_items: made.statement.items });
      await app.navigate("/portal/withdraw/confirm");
    } catch (error) {
      submit.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 404) {
        fail([{ id: orderNumber.id, message: t("login.notFound") }]);
      } else if (error.status === 429) {
        fail([{ id: null, message: t("login.throttled") }]);
      } else if (error.status === 422 && problemSlug(error) === "withdrawal-not-possible") {
        fail([{ id: null, message: t("withdraw.notPossible") }]);
      } else if (error.status === 422) {
        const listed = error.fieldErrors.map((problem) => {
          const control = controls[problem.location.split(".").pop()] ?? orderNumber;
          const text = control === email ? t("login.email.invalid") : control === name ? t("withdraw.name.missing") : t("login.orderNumber.invalid");
          setFieldError(control, text);
          return { id: control.id, message: text };
        });
        fail(listed.length ? listed : [{ id: null, message: error.message }]);
      } else {
        fail([{ id: null, message: t("error.text") }]);
      }
    }
  }

  return {
    title: t("withdraw.title"),
    content: h(
      "div",
      { class: "narrow" },
      h("h1", { tabindex: "-1" }, t("withdraw.title")),
      notice(message),
      h("p", {}, t("withdraw.intro")),
      summary,
      h(
        "form",
        { novalidate: true, onsubmit: onSubmit, "aria-label": t("withdraw.title") },
        field({ id: "withdraw-name", label: t("withdraw.name"), control: name }),
        field({ id: "withdraw-order-number", label: t("login.orderNumber"), control: orderNumber, hint: t("login.orderNumber.hint") }),
        field({ id: "withdraw-email", label: t("login.email"), control: email, hint: t("login.email.hint") }),
        submit,
      ),
      h("p", {}, navLink("/portal", t("withdraw.back"))),
    ),
  };
}

function statementList(withdrawal) {
  const statement = withdrawal.statement;
  const rows = [
    [t("withdraw.name"), statement.consumer_name],
    [t("login.orderNumber"), statement.order_number],
    [t("login.email"), statement.email],
  ];
  if (withdrawal.withdrawal_deadline) rows.push([t("withdraw.deadline"), date(withdrawal.withdrawal_deadline)]);
  return [
    h("dl", { class: "amounts" }, rows.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)])),
    h("h2", {}, statement.whole_order ? t("withdraw.wholeOrder") : t("withdraw.someItems")),
    h("ul", { class: "review-items" }, statement.items.map((item) => h("li", {}, t("withdraw.item", { count: item.quantity, title: item.title })))),
    h("h2", {}, t("withdraw.statementHeading")),
    h("blockquote", { class: "statement", lang: document.documentElement.lang }, statementText(statement)),
  ];
}

// Which items: the whole order unless the customer narrows it down, which makes a new
// statement (the one shown is always the one confirmed).
function itemChoice(app, pending, summary) {
  const all = pending.all_items ?? pending.statement.items;
  if (!pending.asked || all.length < 2) return null;
  const chosen = new Set(pending.statement.items.map((item) => item.line_item_id));
  const boxes = all.map((item, i) =>
    h("input", { type: "checkbox", id: `withdraw-item-${i}`, value: item.line_item_id, checked: chosen.has(item.line_item_id) }),
  );
  const error = h("p", { class: "field-error", id: "withdraw-items-error", hidden: true });
  const update = h("button", { type: "submit", class: "button secondary" }, t("withdraw.items.update"));

  async function onSubmit(event) {
    event.preventDefault();
    const picked = boxes.filter((box) => box.checked).map((box) => box.value);
    error.hidden = picked.length > 0;
    error.textContent = picked.length ? "" : t("withdraw.items.missing");
    if (!picked.length) {
      boxes[0].setAttribute("aria-invalid", "true");
      return boxes[0].focus();
    }
    update.disabled = true;
    const items = picked.length === all.length ? undefined : picked.map((id) => ({ line_item_id: id }));
    try {
      const made = await post("/v1/withdrawals", { ...pending.asked, ...(items ? { items } : {}) }, { auth: false });
      stored.set({ ...made, asked: pending.asked, all_items: all });
      await app.rerender();
    } catch (failure) {
      update.disabled = false;
      if (!(failure instanceof ApiError)) throw failure;
      const key = failure.status === 429 ? "login.throttled" : failure.status === 422 ? "withdraw.notPossible" : "error.text";
      summary.replaceChildren(errorSummary(t("form.problems"), [{ id: null, message: t(key) }]));
      summary.firstChild.focus();
    }
  }

  return h(
    "form",
    { novalidate: true, onsubmit: onSubmit, "aria-labelledby": "withdraw-items-heading" },
    h(
      "fieldset",
      { class: "choices", "aria-describedby": "withdraw-items-error" },
      h("legend", { id: "withdraw-items-heading" }, t("withdraw.items")),
      error,
      all.map((item, i) =>
        h("div", { class: "choice" }, boxes[i], h("label", { for: boxes[i].id }, t("withdraw.item", { count: item.quantity, title: item.title }))),
      ),
    ),
    update,
  );
}

export function confirmWithdrawalView({ app }) {
  const pending = stored.get();
  if (!pending?.confirm_token) return app.navigate("/portal/withdraw", { replace: true });
  const summary = h("div", { class: "summary-slot" });
  const confirm = h("button", { type: "submit", class: "button primary" }, t("withdraw.confirm"));

  async function onSubmit(event) {
    event.preventDefault();
    confirm.disabled = true;
    try {
      const done = await post(`/v1/withdrawals/${encodeURIComponent(pending.id)}/confirm`, { confirm_token: pending.confirm_token }, { auth: false });
      stored.set(done); // the confirm_token is gone: nothing left to confirm (nor changed)
      await app.navigate("/portal/withdraw/done", { replace: true });
    } catch (error) {
      confirm.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      const key = error.status === 404 ? "withdraw.lapsed" : error.status === 429 ? "login.throttled" : "error.text";
      summary.replaceChildren(errorSummary(t("form.problems"), [{ id: null, message: t(key) }]));
      summary.firstChild.focus();
    }
  }

  return {
    title: t("withdraw.confirmTitle"),
    content: h(
      "div",
      { class: "narrow" },
      h("h1", { tabindex: "-1" }, t("withdraw.confirmTitle")),
      h("p", {}, t("withdraw.confirmIntro")),
      summary,
      statementList(pending),
      pending.expires_at ? h("p", { class: "hint" }, t("withdraw.expires", { time: dateTime(pending.expires_at) })) : null,
      h(
        "form",
        { novalidate: true, onsubmit: onSubmit, "aria-label": t("withdraw.confirmTitle") },
        h("div", { class: "actions" }, confirm, navLink("/portal/withdraw", t("withdraw.change"), { class: "button secondary" })),
      ),
      itemChoice(app, pending, summary),
    ),
  };
}

export function withdrawalDoneView({ app }) {
  const done = stored.get();
  if (!done?.received_at) return app.navigate("/portal/withdraw", { replace: true });
  return {
    title: t("withdraw.doneTitle"),
    content: h(
      "div",
      { class: "narrow" },
      h("h1", { tabindex: "-1" }, t("withdraw.doneTitle")),
      h("p", { class: "notice", role: "status" }, t("withdraw.received", { time: dateTime(done.received_at) })),
      h("p", {}, t("withdraw.emailFollows", { email: done.statement.email })),
      h("p", {}, t("withdraw.sendBack")),
      statementList(done),
      h("p", {}, navLink("/portal", t("withdraw.back"))),
    ),
  };
}
