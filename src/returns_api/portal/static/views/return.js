// One return: status, what to do next (label, QR code, packing slip or the method's
// instructions), the items, the refund, the timeline; cancel while allowed; feedback.

import { ApiError, get, newKey, request } from "../api.js";
import { blobToDataUrl, downloadBlob, h } from "../dom.js";
import { dateTime, has, money, t } from "../i18n.js";
import { navLink, notice, reasons, resolutionName, statusName, variantName } from "./common.js";

const CANCELLABLE = ["pending_review", "approved"];
const POLL_MS = 1500;
const POLL_TIMES = 40;

function notFound() {
  return {
    title: t("return.notFound.title"),
    content: h(
      "div",
      {},
      h("h1", { tabindex: "-1" }, t("return.notFound.title")),
      h("p", { role: "alert" }, t("return.notFound.text")),
      h("p", {}, navLink("/portal/order", t("return.backToOrder"))),
    ),
  };
}

function activeShipment(ret) {
  return [...(ret.shipments || [])].reverse().find((s) => s.label_state !== "voided") ?? null;
}

async function documentButtons(ret) {
  const shipment = activeShipment(ret);
  const parts = [];
  if (shipment?.label_state === "pending") parts.push(h("p", { class: "notice" }, t("return.labelPending")));
  if (shipment?.label_state === "failed") parts.push(h("p", { class: "error" }, t("return.labelFailed")));
  const carrierFile = shipment?.links.label_file;
  if (carrierFile && /^https?:\/\//i.test(carrierFile)) {
    // The carrier keeps the file on its own site: fetching our label route would follow a
    // redirect there, which `connect-src 'self'` refuses. A link is navigation, not a fetch.
    parts.push(
      h("a", { class: "button primary", href: carrierFile, target: "_blank", rel: "noopener noreferrer" }, t("return.openLabel")),
    );
  } else if (shipment?.links.label) {
    parts.push(
      h(
        "button",
        {
          type: "button",
          class: "button primary",
          onclick: async () => {
            const { body } = await request("GET", shipment.links.label, { blob: true, accept: "application/pdf" });
            downloadBlob(body, `label-${ret.rma_number}.pdf`);
          },
        },
        t("return.downloadLabel"),
      ),
    );
  }
  const carrierCode = shipment?.links.qr_code_file;
  if (carrierCode && /^https?:\/\//i.test(carrierCode)) {
    // The carrier keeps the image: `img-src` and `connect-src` allow only this origin.
    parts.push(h("p", {}, h("a", { class: "button secondary", href: carrierCode, target: "_blank", rel: "noopener noreferrer" }, t("return.openQrCode"))));
  } else if (shipment?.links.qr_code) {
    const { body } = await request("GET", shipment.links.qr_code, { blob: true, accept: "image/png" });
    parts.push(
      h(
        "figure",
        { class: "qr" },
        h("img", { src: await blobToDataUrl(body), alt: t("return.qrAlt", { rma: ret.rma_number }), width: "200", height: "200" }),
        h("figcaption", {}, t("return.qrCaption")),
      ),
    );
  }

  if (["approved", "in_transit"].includes(ret.status)) {
    parts.push(
      h(
        "button",
        {
          type: "button",
          class: "button secondary",
          onclick: async () => {
            const { body } = await request("GET", `/v1/returns/${ret.id}/packing-slip`, { blob: true, accept: "application/pdf" });
            downloadBlob(body, `packing-slip-${ret.rma_number}.pdf`);
          },
        },
        t("return.downloadSlip"),
      ),
    );
  }
  return parts;
}

function waitingForLabel(ret) {
  const shipment = activeShipment(ret);
  return ret.status === "approved" && shipment?.label_state === "pending";
}

async function instructionsSection(ret) {
  const instructions = ret.instructions;
  const content = [h("h2", { id: "next-heading" }, t("return.next"))];
  if (!instructions) {
    content.push(h("p", {}, t(`return.next.${ret.status}`)));
    return content;
  }
  content.push(h("p", {}, h("strong", {}, instructions.label)));
  if (instructions.keep_item) content.push(h("p", {}, t("return.keepItem")));
  if (instructions.text) content.push(h("p", {}, instructions.text));
  content.push(h("p", {}, t("return.writeRma", { rma: instructions.rma_number })));
  const address = instructions.return_address;
  if (address) {
    content.push(
      h("h3", {}, t("return.sendTo")),
      h("address", {}, [address.name, ...address.address.lines, `${address.address.postal_code ?? ""} ${address.address.city}`.trim(), address.address.country].map((line, i) => (i ? [h("br"), line] : line))),
    );
  }
  content.push(h("div", { class: "actions" }, await documentButtons(ret)));
  return content;
}

function timelineText(entry) {
  if (has(`timeline.${entry.kind}`)) return t(`timeline.${entry.kind}`);
  if (entry.to_status && entry.to_status !== entry.from_status) return t("timeline.status", { status: statusName(entry.to_status) });
  return t("timeline.other", { kind: entry.kind.replaceAll("_", " ") });
}

function timeline(ret) {
  return h(
    "ol",
    { class: "timeline" },
    ret.timeline.map((entry) => h("li", {}, h("time", { datetime: entry.at }, dateTime(entry.at)), " ", timelineText(entry))),
  );
}

// The variants exchanged items are swapped for, by id; null where this caller may not read
// it (a return link from a mail, or a variant the shop has since taken off sale).
async function replacements(ret) {
  const ids = [...new Set(ret.items.map((item) => item.exchange?.variant_id).filter(Boolean))];
  const read = (id) =>
    get(`/v1/variants/${encodeURIComponent(id)}`).catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    });
  const found = await Promise.all(ids.map(read));
  return new Map(ids.map((id, i) => [id, found[i]]));
}

function exchangeText(item, variants) {
  const variant = variants.get(item.exchange.variant_id);
  return variant ? t("return.exchangeFor", { variant: variantName(variant) }) : t("return.exchangeForOther");
}

function itemsSection(ret, reasonNames, variants) {
  return h(
    "ul",
    { class: "review-items" },
    ret.items.map((item) =>
      h(
        "li",
        {},
        h("strong", {}, `${item.title} × ${item.quantity}`),
        ` – ${reasonNames.get(item.reason) ?? item.reason}, ${resolutionName(item.resolution)}`,
        item.exchange ? h("p", {}, exchangeText(item, variants)) : null,
        item.comment ? h("p", { class: "hint" }, item.comment) : null,
      ),
    ),
  );
}

function cancelSection(ret, etag, app) {
  if (!CANCELLABLE.includes(ret.status)) return null;
  const region = h("div", { class: "cancel" });
  const ask = h("button", { type: "button", class: "button danger", onclick: () => confirm() }, t("return.cancel"));
  function confirm() {
    const question = h("p", { id: "cancel-question", tabindex: "-1" }, t("return.cancel.confirm"));
    const keep = h("button", { type: "button", class: "button secondary", onclick: () => { region.replaceChildren(ask); ask.focus(); } }, t("return.cancel.keep"));
    const yes = h("button", {
      type: "button",
      class: "button danger",
      onclick: async () => {
        yes.disabled = true;
        try {
          await request("POST", `/v1/returns/${ret.id}/cancel`, { ifMatch: etag, idempotencyKey: newKey() });
          await app.navigate(`/portal/returns/${ret.id}`, { replace: true, message: t("return.cancelled") });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          const message = error.status === 412 || error.status === 409 ? t("return.cancel.changed") : error.message;
          await app.navigate(`/portal/returns/${ret.id}`, { replace: true, message });
        }
      },
    }, t("return.cancel.yes"));
    region.replaceChildren(h("div", { role: "group", "aria-labelledby": "cancel-question" }, question, h("div", { class: "actions" }, yes, keep)));
    question.focus();
  }
  region.append(ask);
  return h("section", { "aria-labelledby": "cancel-heading" }, h("h2", { id: "cancel-heading" }, t("return.cancel.heading")), h("p", {}, t("return.cancel.text")), region);
}

function feedbackSection(ret) {
  const done = `returns-portal.feedback.${ret.id}`;
  const section = h("section", { "aria-labelledby": "feedback-heading" }, h("h2", { id: "feedback-heading" }, t("feedback.heading")));
  if (sessionStorage.getItem(done)) {
    section.append(h("p", {}, t("feedback.thanks")));
    return section;
  }
  const status = h("p", { role: "status", class: "live" });
  const comment = h("textarea", { id: "feedback-comment", rows: "3", maxlength: "2000" });
  const radios = [1, 2, 3, 4, 5].map((n) =>
    h("div", { class: "choice" }, h("input", { type: "radio", name: "rating", id: `rating-${n}`, value: String(n) }), h("label", { for: `rating-${n}` }, t(`feedback.rating.${n}`))),
  );
  const error = h("p", { class: "field-error", id: "rating-error", hidden: true });
  const group = h("fieldset", { class: "choices", "aria-describedby": "rating-error" }, h("legend", {}, t("feedback.question")), error, radios);
  const form = h(
    "form",
    {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const rating = form.querySelector("input[name=rating]:checked")?.value;
        if (!rating) {
          error.textContent = t("feedback.missing");
          error.hidden = false;
          group.querySelector("input").focus();
          return;
        }
        try {
          await request("POST", `/v1/returns/${ret.id}/feedback`, { body: { rating: Number(rating), comment: comment.value.trim() || null }, idempotencyKey: newKey() });
        } catch (failure) {
          if (!(failure instanceof ApiError) || failure.status !== 409) throw failure;
        }
        sessionStorage.setItem(done, "1");
        form.replaceWith(status);
        status.textContent = t("feedback.thanks");
      },
    },
    group,
    h("div", { class: "field" }, h("label", { for: "feedback-comment" }, t("feedback.comment")), comment),
    h("button", { type: "submit", class: "button secondary" }, t("feedback.submit")),
  );
  section.append(form);
  return section;
}

export async function returnView({ params, app }) {
  let response;
  try {
    response = await request("GET", `/v1/returns/${encodeURIComponent(params.returnId)}`);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 422)) return notFound();
    throw error;
  }
  const ret = response.body;
  await app.useLocale(ret.locale);
  const etag = response.headers.get("ETag");
  const [reasonList, variants] = await Promise.all([reasons(), replacements(ret)]);
  const reasonNames = new Map(reasonList.map((r) => [r.code, r.name ?? r.label]));
  const next = h("section", { "aria-labelledby": "next-heading" }, await instructionsSection(ret));
  pollForLabel(ret, next);
  const title = t("return.title", { rma: ret.rma_number });
  return {
    title,
    content: h(
      "div",
      {},
      h("h1", { tabindex: "-1" }, title),
      notice(app.takeFlash()),
      h("p", { class: "status-line" }, t("return.status"), " ", h("span", { class: `status status-${ret.status}` }, statusName(ret.status))),
      ret.decision?.audience === "customer" && ret.status === "pending_review" ? h("p", {}, t("decision.review")) : null,
      next,
      h("section", { "aria-labelledby": "items-heading" }, h("h2", { id: "items-heading" }, t("return.items")), itemsSection(ret, reasonNames, variants)),
      h(
        "section",
        { "aria-labelledby": "refund-heading" },
        h("h2", { id: "refund-heading" }, t("return.refund")),
        h("dl", { class: "amounts" }, h("dt", {}, t("return.refundable")), h("dd", {}, money(ret.amounts.refundable, ret.currency)), h("dt", {}, t("return.refunded")), h("dd", {}, money(ret.amounts.refunded, ret.currency))),
      ),
      h("section", { "aria-labelledby": "timeline-heading" }, h("h2", { id: "timeline-heading" }, t("return.timeline")), timeline(ret)),
      cancelSection(ret, etag, app),
      feedbackSection(ret),
      h("p", {}, navLink("/portal/order", t("return.backToOrder"))),
    ),
  };
}

function pollForLabel(ret, section) {
  if (!waitingForLabel(ret)) return;
  let times = 0;
  const tick = async () => {
    if (!section.isConnected && times > 0) return;
    times += 1;
    const fresh = await get(`/v1/returns/${ret.id}`);
    if (!waitingForLabel(fresh) || times >= POLL_TIMES) {
      if (section.isConnected) section.replaceChildren(...(await instructionsSection(fresh)));
      return;
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}
