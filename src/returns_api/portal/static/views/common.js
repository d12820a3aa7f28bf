// Pieces several pages share: the signed-in order, the reasons, links and status names.

import { ROOT, get, session } from "../api.js";
import { h } from "../dom.js";
import { currentLocale, t } from "../i18n.js";

export async function orderId() {
  if (!session.orderId) session.remember((await get("/v1/me")).order_id);
  return session.orderId;
}

export async function reasons() {
  const locale = encodeURIComponent(currentLocale());
  return (await get(`/v1/return-reasons?locale=${locale}`)).data;
}

export function navLink(path, text, attributes = {}) {
  return h("a", { href: `${ROOT}${path}`, dataset: { nav: path }, ...attributes }, text);
}

export function statusName(status) {
  return t(`status.${status}`);
}

export function resolutionName(resolution) {
  return t(`resolution.${resolution}`);
}

export function notice(message) {
  return message ? h("p", { class: "notice", role: "status" }, message) : null;
}

// A catalog variant as a customer reads it: its title and options ("T-shirt – L, black"),
// or the title alone where it names every option already ("T-shirt, black, L").
export function variantName(variant) {
  const words = (text) => text.toLowerCase().split(/[\s,;/()]+/).filter(Boolean);
  const inTitle = new Set(words(variant.title));
  const values = Object.values(variant.options || {});
  const named = values.every((value) => words(value).every((word) => inTitle.has(word)));
  return named ? variant.title : `${variant.title} – ${values.join(", ")}`;
}
