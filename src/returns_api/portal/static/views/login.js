// Sign in with the order number and the e-mail address: POST /v1/portal/sessions.

import { ApiError, post, session } from "../api.js";
import { navLink } from "./common.js";
import { errorSummary, field, h, setFieldError } from "../dom.js";
import { t } from "../i18n.js";

const FIELDS = { order_number: "order-number", email: "email" };

export function loginView({ app }) {
  const message = app.takeFlash();
  const orderNumber = h("input", { type: "text", name: "order_number", autocomplete: "off", required: true, maxlength: "64" });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: "320" });
  const summary = h("div", { class: "summary-slot" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("login.submit"));

  function fail(errors) {
    summary.replaceChildren(errorSummary(t("form.problems"), errors));
    summary.firstChild.focus();
  }

  async function onSubmit(event) {
    event.preventDefault();
    const errors = [];
    for (const [control, key] of [[orderNumber, "login.orderNumber.missing"], [email, "login.email.missing"]]) {
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
    try {
      const opened = await post(
        "/v1/portal/sessions",
        { order_number: orderNumber.value.trim(), email: email.value.trim() },
        { auth: false },
      );
      session.start(opened.token, opened.order_id);
      await app.navigate("/portal/order");
    } catch (error) {
      submit.disabled = false;
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 404) {
        fail([{ id: orderNumber.id, message: t("login.notFound") }]);
      } else if (error.status === 429) {
        fail([{ id: null, message: t("login.throttled") }]);
      } else if (error.status === 422) {
        const listed = error.fieldErrors.map((problem) => {
          const name = problem.location.split(".").pop();
          const control = name === "email" ? email : orderNumber;
          const text = name === "email" ? t("login.email.invalid") : t("login.orderNumber.invalid");
          setFieldError(control, text);
          return { id: control.id, message: text };
        });
        fail(listed.length ? listed : [{ id: null, message: error.message }]);
      } else {
        fail([{ id: null, message: t("error.text") }]);
      }
    }
  }

  const intro = t("login.intro");
  return {
    title: t("login.title"),
    content: h(
      "div",
      { class: "narrow" },
      h("h1", { tabindex: "-1" }, t("login.title")),
      message ? h("p", { class: "notice", role: "status" }, message) : null,
      h("p", {}, intro),
      summary,
      h(
        "form",
        { novalidate: true, onsubmit: onSubmit, "aria-label": t("login.title") },
        field({ id: FIELDS.order_number, label: t("login.orderNumber"), control: orderNumber, hint: t("login.orderNumber.hint") }),
        field({ id: FIELDS.email, label: t("login.email"), control: email, hint: t("login.email.hint") }),
        submit,
      ),
      session.token && session.orderId
        ? h("p", {}, navLink("/portal/order", t("login.continue")))
        : null,
      h(
        "section",
        { class: "withdraw-entry", "aria-labelledby": "withdraw-heading" },
        h("h2", { id: "withdraw-heading" }, t("withdraw.heading")),
        h("p", {}, t("withdraw.entryIntro")),
        navLink("/portal/withdraw", t("withdraw.button"), { class: "button secondary" }),
      ),
    ),
  };
}
