// How the console writes amounts and times: in the browser's language.
// Money in minor units, as the API gives it; never through float arithmetic.

import { fractionDigits, formatMoney } from "./money.js";

export { fractionDigits };

// In the browser's language.
export const money = (amount, currency) => formatMoney(amount, currency, undefined);

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

// A typed amount ("12.30", "12.3", "12") as minor units (1230), exactly: the digits are put
// together as text, never through float arithmetic. Null for anything else ("12,3x", "1e3",
// "-5", more decimals than the currency has).
export function minorUnits(text, currency) {
  const digits = fractionDigits(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(String(text).trim());
  if (!match || (match[2] ?? "").length > digits) return null;
  return Number(`${match[1]}${(match[2] ?? "").padEnd(digits, "0")}`);
}
