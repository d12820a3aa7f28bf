// How the console writes amounts and times: in the browser's language.
// Money in minor units, as the API gives it; never through float arithmetic.

// Minor-unit exponents that are not 2: the API's ISO 4217 table (core/money.py). Not the
// browser's display digits (Intl shows HUF, IDR, IQD … with none), which would read 1234
// minor units of HUF as 1,234 forints instead of 12.34.
const EXPONENTS = {
  ...Object.fromEntries(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"].map((code) => [code, 0])),
  ...Object.fromEntries(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"].map((code) => [code, 3])),
};

export function money(amount, currency) {
  const digits = fractionDigits(currency);
  const negative = amount < 0;
  const text = String(Math.abs(amount)).padStart(digits + 1, "0");
  const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return format.format(`${negative ? "-" : ""}${decimal}`);
}

export function dateTime(iso) {
  return iso ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "";
}

// "3 days ago" since an instant, for ages in the queue (minutes under an hour, hours under
// two days).
export function age(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60_000));
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "always", style: "long" });
  if (minutes < 60) return format.format(-minutes, "minute");
  if (minutes < 48 * 60) return format.format(-Math.floor(minutes / 60), "hour");
  return format.format(-Math.floor(minutes / 1440), "day");
}

// How many minor units a currency's major unit has (2 for EUR, 0 for JPY, 3 for KWD).
export function fractionDigits(currency) {
  return EXPONENTS[currency] ?? 2;
}

// A typed amount ("12.30", "12.3", "12") as minor units (1230), exactly: the digits are put
// together as text, never through float arithmetic. Null for anything else ("12,3x", "1e3",
// "-5", more decimals than the currency has).
export function minorUnits(text, currency) {
  const digits = fractionDigits(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(String(text).trim());
  if (!match || (match[2] ?? "").length > digits) return null;
  return Number(`${match[1]}${(match[2] ?? "").padEnd(digits, "0")}`);
}
