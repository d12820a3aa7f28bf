// What the service sent about a return: the webhook events for it (GET /v1/events, needs
// webhooks:manage) and the e-mails to the customer (GET /v1/notifications, returns:manage).
// Each is shown only to a key that may read it; a failure to read one leaves the rest.

import { get } from "../api.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { section } from "./return-parts.js";

const words = (code) => (code ? code.replaceAll("_", " ") : "");

// Every page of a list (a return has a handful of events and mails).
async function all(path, cursorParam = "cursor") {
  const found = [];
  let cursor = null;
  for (let pages = 0; pages < 10; pages += 1) {
    const page = await get(cursor ? `${path}&${cursorParam}=${encodeURIComponent(cursor)}` : path);
    found.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return found;
}

function table(caption, columns, rows) {
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "group", "aria-label": caption },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : false }, cell))))),
    ),
  );
}

async function webhooksSection(ret) {
  const id = encodeURIComponent(ret.id);
  const [events, failed] = await Promise.all([all(`/v1/events?return_id=${id}&limit=100`), all(`/v1/events?return_id=${id}&delivery_failed=true&limit=100`)]);
  const failedIds = new Set(failed.map((event) => event.id));
  const content = events.length
    ? table(
        "Events for this return, oldest first",
        ["Event", "When", "Delivery", "Event id"],
        events.map((event) => [event.type, dateTime(event.created_at), failedIds.has(event.id) ? "failed to an endpoint" : "no failure", h("code", {}, event.id)]),
      )
    : h("p", {}, "No webhook event for this return.");
  return section("webhooks-heading", "Webhooks", content);
}

async function emailsSection(ret) {
  const mails = await all(`/v1/notifications?return_id=${encodeURIComponent(ret.id)}&limit=100`);
  const content = mails.length
    ? table(
        "E-mails to the customer, newest first",
        ["About", "To", "Status", "Attempts", "Sent", "Last error"],
        mails.map((mail) => [mail.event_type, mail.recipient, words(mail.status), String(mail.attempts), mail.sent_at ? dateTime(mail.sent_at) : "—", mail.last_error ?? "—"]),
      )
    : h("p", {}, "No e-mail about this return.");
  return section("emails-heading", "E-mails", content);
}

function unavailable(id, title, error) {
  return section(id, title, h("p", { class: "error" }, `Could not read them: ${error.message}`));
}

export async function activitySections(ret, { can }) {
  const wanted = [];
  if (can("webhooks:manage")) wanted.push(webhooksSection(ret).catch((error) => unavailable("webhooks-heading", "Webhooks", error)));
  if (can("returns:manage")) wanted.push(emailsSection(ret).catch((error) => unavailable("emails-heading", "E-mails", error)));
  return Promise.all(wanted);
}
