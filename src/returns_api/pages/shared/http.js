// The one way the portal and the console call the public API: JSON in and out, a Bearer
// credential (never a cookie: `credentials: "omit"`), and problems (RFC 9457) as ApiError.

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

// `options`: credential, accept, language, body (sent as JSON), idempotencyKey, ifMatch,
// blob (answer as a Blob). Resolves to { body, headers }; a refusal throws ApiError.
export async function call(url, method, options = {}) {
  const headers = { Accept: options.accept ?? "application/json" };
  if (options.language) headers["Accept-Language"] = options.language;
  if (options.credential) headers.Authorization = `Bearer ${options.credential}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (options.ifMatch) headers["If-Match"] = options.ifMatch;
  const response = await fetch(url, {
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
