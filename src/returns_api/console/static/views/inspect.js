// Receiving the parcel and inspecting each item (returns:manage): per item how many units
// came, whether they are accepted, their condition and what becomes of them
// (POST /v1/returns/{id}/receive). Only accepted units are refunded; only `restock` puts
// units back in stock.
//
// The API receives a return that is in transit. A parcel that arrives for an approved return
// without any carrier scan (a customer who sent it their own way) is first recorded as
// delivered (POST …/tracking-events), which puts the return in transit, then received.
// The API has no per-item rejection reason: the reasons go into the receipt's note, one line
// per item, so they are on the timeline.

import { ApiError, post } from "../api.js";
import { errorSummary, field, h, setFieldError } from "../dom.js";

const RECEIVABLE = ["approved", "in_transit"];
const CONDITIONS = { as_new: "As new", opened: "Opened", used: "Used", damaged: "Damaged", defective: "Defective" };
const DISPOSITIONS = { restock: "Restock", refurbish: "Refurbish", liquidate: "Liquidate", donate: "Donate", dispose: "Dispose" };
const OUTCOMES = { accepted: "Accepted", rejected: "Rejected", wrong_item: "Wrong item (something else came back)" };

// The ETag of a return is its version (docs/INTEGRATING.md): changes are sent with If-Match,
// so nobody inspects a return that someone else changed in the meantime.
const etagOf = (ret) => `"${ret.version}"`;

function select(options, { blank, value } = {}) {
  const control = h("select", {});
  if (blank) control.append(h("option", { value: "" }, blank));
  for (const [code, text] of Object.entries(options)) control.append(h("option", { value: code }, text));
  if (value !== undefined) control.value = String(value);
  return control;
}

function counts(from, to) {
  return Object.fromEntries(Array.from({ length: to - from + 1 }, (_, i) => [String(from + i), String(from + i)]));
}

// One item's inspection: its controls, shown or hidden as the answers need them.
function itemForm(item, index) {
  const id = (name) => `inspect-${index}-${name}`;
  const received = select(counts(0, item.quantity), { value: item.quantity });
  const outcomeError = h("p", { class: "field-error", id: id("outcome-error"), hidden: true });
  const radios = Object.entries(OUTCOMES).map(([code, text]) =>
    h("div", { class: "choice" }, h("input", { type: "radio", name: id("outcome"), id: id(`outcome-${code}`), value: code }), h("label", { for: id(`outcome-${code}`) }, text)),
  );
  const outcome = h("fieldset", { class: "choices", id: id("outcome"), "aria-describedby": id("outcome-error") }, h("legend", {}, "Result"), outcomeError, radios);
  const accepted = select(counts(1, item.quantity), { value: item.quantity });
  const condition = select(CONDITIONS, { blank: "Choose a condition" });
  const disposition = select(DISPOSITIONS, { blank: "Not decided" });
  const reason = h("input", { type: "text", maxlength: "500", autocomplete: "off" });
  const parts = {
    outcome,
    accepted: field({ id: id("accepted"), label: "Units accepted", control: accepted }),
    condition: field({ id: id("condition"), label: "Condition", control: condition }),
    disposition: field({ id: id("disposition"), label: "Disposition", control: disposition, hint: "Only restock puts the units back in stock." }),
    reason: field({ id: id("reason"), label: "Why it is rejected", control: reason, hint: "Kept on the return's timeline." }),
  };

  function current() {
    return { received: Number(received.value), outcome: outcome.querySelector("input:checked")?.value ?? null };
  }

  function update() {
    const { received: units, outcome: result } = current();
    parts.outcome.hidden = units === 0;
    parts.condition.hidden = units === 0;
    parts.accepted.hidden = units < 2 || result !== "accepted";
    parts.reason.hidden = units === 0 || !["rejected", "wrong_item"].includes(result);
    parts.disposition.hidden = units === 0;
    const chosen = Number(accepted.value);
    accepted.replaceChildren(...Object.keys(counts(1, Math.max(units, 1))).map((n) => h("option", { value: n }, n)));
    accepted.value = String(Math.min(chosen, Math.max(units, 1)));
  }

  const box = h(
    "fieldset",
    { class: "inspect-item", onchange: update },
    h("legend", {}, `${item.title} × ${item.quantity}`),
    h("p", { class: "hint" }, [item.sku ? `SKU ${item.sku}` : null, `reason: ${item.reason.replaceAll("_", " ")}`].filter(Boolean).join(" · ")),
    field({ id: id("received"), label: "Units received", control: received }),
    Object.values(parts),
  );
  update();

  // What the API is sent for this item, or the problems that keep it from being sent.
  function read() {
    const { received: units, outcome: result } = current();
    const errors = [];
    const entry = { item_id: item.id, received_quantity: units };
    const mark = (control, message, target = control.id) => {
      if (control.tagName === "FIELDSET") {
        outcomeError.textContent = message;
        outcomeError.hidden = false;
      } else setFieldError(control, message);
      errors.push({ id: target, message: `${item.title}: ${message}` });
    };
    for (const control of [accepted, condition, disposition, reason]) setFieldError(control, null);
    outcomeError.hidden = true;
    if (units === 0) return { entry, errors, note: null };
    if (!result) mark(outcome, "choose accepted, rejected or wrong item.", id("outcome-accepted"));
    if (!condition.value) mark(condition, "choose its condition.");
    if (result === "accepted" && !disposition.value) mark(disposition, "choose what becomes of it.");
    if (result && result !== "accepted" && !reason.value.trim()) mark(reason, "say why it is rejected.");
    entry.condition = condition.value || null;
    entry.disposition = disposition.value || null;
    if (result === "wrong_item") entry.wrong_item = true;
    else entry.accepted_quantity = result === "accepted" ? Math.min(Number(accepted.value), units) : 0;
    const note = result && result !== "accepted" ? `${item.title}: ${OUTCOMES[result].toLowerCase()} – ${reason.value.trim()}` : null;
    return { entry, errors, note };
  }

  function showServerError(name, message) {
    const control = { received_quantity: received, accepted_quantity: accepted, condition, disposition }[name] ?? received;
    setFieldError(control, message);
    return { id: control.id, message: `${item.title}: ${message}` };
  }

  return { box, read, showServerError };
}

export async function inspectSection(ret, ctx) {
  if (!RECEIVABLE.includes(ret.status) || ret.keep_item || !ctx.can("returns:manage")) return null;
  const items = ret.items.map(itemForm);
  const warehouse = h("input", { type: "text", maxlength: "64", autocomplete: "off", value: ret.instructions?.return_address?.code ?? "" });
  const note = h("textarea", { rows: "3", maxlength: "1000" });
  const summary = h("div", {});
  const submit = h("button", { type: "submit", class: "button primary" }, "Record receipt");

  function problems(title, errors) {
    const box = errorSummary(title, errors);
    summary.replaceChildren(box);
    box.focus();
  }

  // What the return is now, as far as this form knows: the arrival may be recorded already
  // when the receipt itself was refused (and is sent again, corrected).
  let known = ret;
  async function send(body) {
    if (known.status === "approved") {
      const arrival = { status: "delivered", note: "The parcel arrived at the warehouse (recorded in the console)." };
      known = await post(`/v1/returns/${ret.id}/tracking-events`, arrival, { ifMatch: etagOf(known) });
    }
    await post(`/v1/returns/${ret.id}/receive`, body, { ifMatch: etagOf(known) });
  }

  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        summary.replaceChildren();
        const read = items.map((item) => item.read());
        const errors = read.flatMap((r) => r.errors);
        if (errors.length) return problems("Check the inspection", errors);
        const notes = [...read.map((r) => r.note).filter(Boolean), note.value.trim()].filter(Boolean);
        const body = { items: read.map((r) => r.entry), warehouse: warehouse.value.trim() || null, note: notes.join("\n") || null };
        submit.disabled = true;
        try {
          await send(body);
        } catch (error) {
          submit.disabled = false;
          if (error instanceof ApiError && error.status === 401) return; // signed out (app.js)
          if (!(error instanceof ApiError)) return problems("The receipt was not recorded", [{ id: null, message: "The request did not reach the service. Try again." }]);
          if ([409, 412].includes(error.status)) {
            problems("The return has changed", [{ id: null, message: "Someone changed this return since you opened it. Reload it to see what changed, then inspect again." }]);
            summary.append(h("button", { type: "button", class: "button secondary", onclick: () => ctx.reload() }, "Reload the return"));
            return;
          }
          const listed = error.fieldErrors.map((problem) => {
            const [, , index, name] = problem.location.split(".");
            return items[Number(index)]?.showServerError(name, problem.message) ?? { id: null, message: problem.message };
          });
          return problems("The receipt was not recorded", listed.length ? listed : [{ id: null, message: error.message }]);
        }
        await ctx.reload();
      },
    },
    summary,
    items.map((item) => item.box),
    field({ id: "inspect-warehouse", label: "Warehouse (optional)", control: warehouse, hint: "The code of the warehouse that received it." }),
    field({ id: "inspect-note", label: "Note (optional)", control: note }),
    h("div", { class: "actions" }, submit),
  );
  return h(
    "section",
    { "aria-labelledby": "inspect-heading", class: "inspect" },
    h("h2", { id: "inspect-heading" }, "Receive and inspect"),
    h("p", {}, ret.status === "approved" ? "No carrier scan has reached the return yet: recording the receipt also records that the parcel arrived." : "The parcel is on its way back. Record what arrived, item by item."),
    form,
  );
}
