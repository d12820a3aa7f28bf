// The parts of a return's page that come from the return itself: its items with their
// inspection, the amounts and the refund breakdown, the shipments with their labels, and the
// timeline. Each is a <section> named by its heading.

import { request } from "../api.js";
import { downloadBlob, h } from "../dom.js";
import { dateTime, money } from "../format.js";

const words = (code) => (code ? code.replaceAll("_", " ") : "");

export function section(id, title, ...content) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function table(caption, columns, rows, { numeric = [] } = {}) {
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "group", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((name, i) => h("th", { scope: "col", class: numeric.includes(i) ? "number" : false }, name)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : false, class: numeric.includes(i) ? "number" : false }, cell))))),
    ),
  );
}

function inspectionText(item) {
  const parts = [`${words(item.reception.status)} (${item.reception.received_quantity} received)`, `${words(item.acceptance.status)} (${item.acceptance.accepted_quantity} accepted)`];
  if (item.condition) parts.push(`condition: ${words(item.condition)}`);
  if (item.disposition) parts.push(`disposition: ${words(item.disposition)}`);
  return parts.join("; ");
}

export function itemsSection(ret) {
  const rows = ret.items.map((item) => [
    item.sku ?? "—",
    item.title,
    String(item.quantity),
    [words(item.reason), item.reason_is_merchant_fault ? " (merchant's fault)" : "", item.comment ? ` — “${item.comment}”` : ""].join(""),
    [words(item.resolution), item.exchange ? ` for ${item.exchange.title ?? item.exchange.variant_id}` : ""].join(""),
    [inspectionText(item), item.deduction ? `; ${money(item.deduction, ret.currency)} deducted${item.deduction_reason ? `: ${item.deduction_reason}` : ""}` : ""].join(""),
  ]);
  return section("items-heading", "Items", table("The items being returned", ["SKU", "Title", "Quantity", "Reason", "Resolution", "Inspection"], rows, { numeric: [2] }));
}

function downloadButton(text, rma, path, accept, filename) {
  const status = h("span", { class: "hint", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      class: "button secondary",
      onclick: async () => {
        status.textContent = "";
        try {
          const { body } = await request("GET", path, { blob: true, accept });
          downloadBlob(body, filename);
        } catch (error) {
          status.textContent = `Could not download it: ${error.message}`;
        }
      },
    },
    text,
    h("span", { class: "visually-hidden" }, ` ${rma}`),
  );
  return h("span", { class: "download" }, button, status);
}

function labelLinks(ret, shipment) {
  const links = shipment.links;
  const parts = [];
  // A label the carrier keeps (`label_file`) opens at the carrier; one we hold is fetched
  // with the key (the API path needs the Bearer header, so a plain link would not do).
  if (links.label_file) parts.push(h("a", { href: links.label_file, rel: "noopener noreferrer", target: "_blank" }, "Open the label at the carrier"));
  else if (links.label) parts.push(downloadButton("Download label (PDF)", ret.rma_number, links.label, "application/pdf", `label-${ret.rma_number}.pdf`));
  if (links.qr_code) parts.push(downloadButton("Download QR code", ret.rma_number, links.qr_code, "image/png", `qr-${ret.rma_number}.png`));
  return parts.length ? h("div", { class: "actions" }, parts) : "—";
}

export function shipmentsSection(ret) {
  if (!ret.shipments.length) return section("shipments-heading", "Shipments", h("p", {}, ret.keep_item ? "No parcel: the customer keeps the items." : "No parcel yet."));
  const rows = ret.shipments.map((s) => [
    s.tracking_number ?? "—",
    s.carrier ?? "—",
    words(s.label_state) + (s.last_error ? ` (${s.last_error})` : ""),
    s.tracking_status ? words(s.tracking_status) : "—",
    labelLinks(ret, s),
  ]);
  return section("shipments-heading", "Shipments", table("Parcels, oldest first", ["Tracking number", "Carrier", "Label", "Tracking", "Documents"], rows));
}

function change(entry) {
  if (entry.from_status !== entry.to_status && entry.to_status) return `${words(entry.from_status) || "new"} → ${words(entry.to_status)}`;
  return words(entry.kind);
}

export function timelineSection(ret) {
  return section(
    "timeline-heading",
    "Timeline",
    h(
      "ol",
      { class: "timeline" },
      ret.timeline.map((entry) =>
        h("li", {}, h("time", { datetime: entry.at }, dateTime(entry.at)), " ", h("strong", {}, change(entry)), ` by ${entry.actor}`, entry.note ? h("p", { class: "note" }, entry.note) : null),
      ),
    ),
  );
}
