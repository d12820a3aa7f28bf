// Every call the portal makes: the public API, with the portal token as a Bearer token.
// The token lives in sessionStorage (gone with the tab, never sent as a cookie).

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

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }

  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

// A UUID v4 for Idempotency-Key, also where crypto.randomUUID is missing (plain http).
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function request(method, path, options = {}) {
  const headers = { Accept: options.accept ?? "application/json" };
  headers["Accept-Language"] = currentLocale();
  if (session.token && options.auth !== false) headers.Authorization = `Bearer ${session.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  const response = await fetch(`${ROOT}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
    throw new ApiError(response.status, problem);
  }
  if (options.blob) return { body: await response.blob(), headers: response.headers };
  const body = response.status === 204 ? null : await response.json();
  return { body, headers: response.headers };
}

export const get = async (path, options) => (await request("GET", path, options)).body;
export const post = async (path, body, options = {}) =>
  (await request("POST", path, { ...options, body })).body;
