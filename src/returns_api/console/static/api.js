// Every call the console makes: the public API, with the merchant's API key as a Bearer
// token. The key lives in sessionStorage only (gone with the tab; never in a URL, a cookie
// or localStorage), and signing out forgets it.

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

// What to do when the signed-in key is refused (401) by any call, wherever it is made: an
// action's handler, a list's "show more", the scanner. The shell signs out (app.js).
let keyRefused = () => {};
export function whenKeyRefused(handler) {
  keyRefused = handler;
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export async function request(method, path, options = {}) {
  const headers = { Accept: options.accept ?? "application/json" };
  const key = options.key ?? session.key;
  if (key) headers.Authorization = `Bearer ${key}`;
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
    if (response.status === 401 && options.key === undefined && key) keyRefused();
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
  (await request("POST", path, { ...options, body, idempotencyKey: options.idempotencyKey ?? newKey() })).body;

