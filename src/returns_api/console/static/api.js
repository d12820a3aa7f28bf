// Every call the console makes: the public API, with the merchant's API key as a Bearer
// token. The key lives in sessionStorage only (gone with the tab; never in a URL, a cookie
// or localStorage), and signing out forgets it.

import { ApiError, call, newKey } from "./http.js";

export const ROOT = document.querySelector('meta[name="console-root"]')?.content ?? "";
const KEY = "returns-console.key";

export const session = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  start(key) {
    sessionStorage.setItem(KEY, key);
  },
  end() {
    sessionStorage.removeItem(KEY);
  },
};

export { ApiError, newKey };

// What to do when the signed-in key is refused (401) by any call, wherever it is made: an
// action's handler, a list's "show more", the scanner. The shell signs out (app.js).
let keyRefused = () => {};
export function whenKeyRefused(handler) {
  keyRefused = handler;
}

export async function request(method, path, options = {}) {
  const key = options.key ?? session.key;
  try {
    return await call(`${ROOT}${path}`, method, { ...options, credential: key });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && options.key === undefined && key) keyRefused();
    throw error;
  }
}

export const get = async (path, options) => (await request("GET", path, options)).body;
export const post = async (path, body, options = {}) =>
  (await request("POST", path, { ...options, body, idempotencyKey: options.idempotencyKey ?? newKey() })).body;

