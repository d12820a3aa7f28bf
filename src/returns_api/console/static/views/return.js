// One return, for the merchant's team.

import { get } from "../api.js";
import { h } from "../dom.js";
import { inspectSection } from "./inspect.js";
import { refundSection } from "./refund.js";

export async function render(ctx) {
  const { main, params } = ctx;
  const ret = await get(`/v1/returns/${encodeURIComponent(params.returnId)}`);
  main.replaceChildren(
    h("h1", { tabindex: "-1" }, `Return ${ret.rma_number}`),
    h("p", {}, `Status: ${ret.status}`),
    await inspectSection(ret, ctx),
    await refundSection(ret, ctx),
  );
}
