// Analytics: the summary as charts (being built on its own branch).

import { h } from "../dom.js";

export async function render({ main }) {
  main.replaceChildren(h("h1", { tabindex: "-1" }, "Analytics"));
}
