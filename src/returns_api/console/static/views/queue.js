// The review queue: returns waiting for a person (status `pending_review`).

import { get } from "../api.js";
import { ROOT } from "../api.js";
import { h } from "../dom.js";
import { age } from "../format.js";

export async function render({ main, flash }) {
  const page = await get("/v1/returns?status=pending_review&limit=100");
  const rows = page.data.map((ret) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, h("a", { href: `${ROOT}/console/returns/${ret.id}`, dataset: { nav: `/console/returns/${ret.id}` } }, ret.rma_number)),
      h("td", {}, age(ret.created_at)),
      h("td", {}, String(ret.items.length)),
    ),
  );
  main.replaceChildren(
    h("h1", { tabindex: "-1" }, "Review queue"),
    flash ? h("p", { class: "notice", role: "status" }, flash) : null,
    rows.length
      ? h("table", {}, h("caption", {}, "Returns waiting for review"), h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "RMA"), h("th", { scope: "col" }, "Waiting"), h("th", { scope: "col" }, "Items"))), h("tbody", {}, rows))
      : h("p", {}, "Nothing is waiting for review."),
  );
}
