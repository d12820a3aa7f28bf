// Amounts in minor units, as the API gives them, written for people: the portal's and the
// console's. Never through float arithmetic: the digits are placed as text, and Intl formats
// the decimal string.

// Minor-unit exponents that are not 2: the API's ISO 4217 table (core/money.py). Not the
// browser's display digits (Intl shows HUF, IDR, IQD … with none), which would read 1234
// minor units of HUF as 1,234 forints instead of 12.34.
const EXPONENTS = {
  ...Object.fromEntries(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"].map((code) => [code, 0])),
  ...Object.fromEntries(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"].map((code) => [code, 3])),
};

export function formatMoney(amount, currency, locale) {
  const digits = fractionDigits(currency);
  const negative = amount < 0;
  const text = String(Math.abs(amount)).padStart(digits + 1, "0");
  const decimal = digits ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
  const format = new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  return format.format(`${negative ? "-" : ""}${decimal}`);
}

// How many minor units a currency's major unit has (2 for EUR, 0 for JPY, 3 for KWD).
export function fractionDigits(currency) {
  return EXPONENTS[currency] ?? 2;
}
