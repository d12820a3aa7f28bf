// How the console writes amounts and times: in the browser's language.
// Money in minor units, as the API gives it; never through float arithmetic.
export function money(amount, currency) {
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  const negative = amount < 0;
  const text = String(Math.abs(amount)).padStart(digits + 1, "0");
  const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(`${negative ? "-" : ""}${decimal}`);
}

export function dateTime(iso) {
  return iso ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "";
}

// "3 days" since an instant, for ages in the queue.
export function age(iso, now = Date.now()) {
  const hours = Math.floor((now - new Date(iso).getTime()) / 3_600_000);
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "always", style: "long" });
  return hours < 48 ? format.format(-hours, "hour") : format.format(-Math.floor(hours / 24), "day");
}
