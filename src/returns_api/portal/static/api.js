// Every call the portal makes: the public API, with the portal token as a Bearer token.
// The token lives in sessionStorage (gone with the tab, never sent as a cookie).

import { ApiError, call, newKey } from "./http.js";
import { currentLocale } from "./i18n.js";

export const ROOT = document.querySelector('meta[name="portal-root"]')?.content ?? "";
const TOKEN = "returns-portal.token";
const ORDER = "returns-portal.order";

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN);
  },
  get orderId() {
    return sessionStorage.getItem(ORDER);
  },
  start(token, orderId) {
    sessionStorage.setItem(TOKEN, token);
    if (orderId) sessionStorage.setItem(ORDER, orderId);
    else sessionStorage.removeItem(ORDER);
  },
  remember(orderId) {
    sessionStorage.setItem(ORDER, orderId);
  },
  end() {
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ORDER);
  },
};

export { ApiError, newKey };

export async function request(method, path, options = {}) {
  const credential = options.auth === false ? null : session.token;
  return call(`${ROOT}${path}`, method, { ...options, credential, language: currentLocale() });
}

export const get = async (path, options) => (await request("GET", path, options)).body;
export const post = async (path, body, options = {}) =>
  (await request("POST", path, { ...options, body })).body;
