// The portal's words in the customer's language: catalogues for en, de, fr, nl and ru,
// with the merchant's texts (settings) on top. Money and dates through Intl.

import { formatMoney } from "./money.js";

export const LOCALES = ["en", "de", "fr", "nl", "ru"];
const CHOSEN = "returns-portal.locale";
const root = document.querySelector('meta[name="portal-root"]')?.content ?? "";

let current = "en";
let catalogue = {};
let fallback = {};
let overrides = {};

export function currentLocale() {
  return current;
}

export function chosenLocale() {
  return sessionStorage.getItem(CHOSEN);
}

export function choose(locale) {
  sessionStorage.setItem(CHOSEN, locale);
}

// The first supported language among the candidates (BCP 47 tags, by primary subtag).
export function pickLocale(...candidates) {
  for (const tag of candidates.flat()) {
    const language = String(tag || "").toLowerCase().split("-")[0];
    if (LOCALES.includes(language)) return language;
  }
  return "en";
}

async function load(locale) {
  const response = await fetch(`${root}/portal/assets/i18n/${locale}.json`, { cache: "no-cache" });
  if (!response.ok) throw new Error(`catalogue ${locale}: HTTP ${response.status}`);
  return response.json();
}

export function setOverrides(texts) {
  overrides = texts || {};
}

export async function setLocale(locale) {
  if (!Object.keys(fallback).length) fallback = await load("en");
  catalogue = locale === "en" ? fallback : await load(locale);
  current = locale;
  document.documentElement.lang = locale;
}

export function t(key, params = {}) {
  const text = overrides[current]?.[key] ?? catalogue[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

export function has(key) {
  return key in catalogue || key in fallback;
}

// The currency's minor unit is the API's (ISO 4217), not the browser's display digits.
export function money(amount, currency) {
  return formatMoney(amount, currency, current);
}

export function date(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "long" }).format(new Date(iso));
}

export function dateTime(iso) {
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}
