// Chart building blocks for the console (analytics.js): a card, a canvas drawn by Chart.js
// once it is on the page, the same figures as a table, and number formats. Every chart is an
// image with a description and its figures in a table, so nothing is only in pixels.

// Chart.js ships its single-file build as UMD (its ES build imports `@kurkle/color` by a
// bare name, which a browser cannot resolve without an inline import map that the CSP
// forbids). Loaded as a module it defines `globalThis.Chart` and nothing else: see vendor/.
import "./vendor/chart.umd.min.js";
import { h } from "./dom.js";
import { money } from "./format.js";

const { Chart } = globalThis;
const LOCALE = undefined; // the browser's language, as format.js writes money and dates

// At least 3:1 against the white card (WCAG 1.4.11) and apart from each other in hue.
export const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a21caf"];
export const OTHER_COLOUR = "#4b5563";

let charts = []; // the Chart instances on the page now, destroyed before the next render
let pending = []; // canvases built but not drawn yet: Chart.js measures them once attached

export function useFont(element) {
  Chart.defaults.font.family = getComputedStyle(element).fontFamily; // the page's, not Helvetica
}

// Forgets the charts on the page and those built but not drawn.
export function destroyCharts() {
  for (const instance of charts) instance.destroy();
  charts = [];
  pending = [];
}

// Draws the canvases built since the last call; they must be on the page by now.
export function drawCharts() {
  charts = pending.map(({ canvas, config }) => new Chart(canvas, config));
  pending = [];
}

let cards = 0;

export function chartCard(title, description) {
  cards += 1;
  const id = `analytics-chart-${cards}`;
  return h(
    "section",
    { class: "chart-card", "aria-labelledby": id },
    h("h2", { id }, title),
    h("p", { class: "chart-description" }, description),
  );
}

export function withEmpty(card, text) {
  card.append(h("p", { class: "chart-empty" }, text));
  return card;
}

// A canvas in a box as tall as its bars need (Chart.js fills the box; its height is set via
// CSSOM, which the CSP allows, unlike a style attribute). Drawn once on the page.
export function chart(bars, description, config) {
  const canvas = h("canvas", { role: "img", "aria-label": description });
  const box = h("div", { class: "chart-box" }, canvas);
  box.style.height = `${Math.max(140, bars * 34 + 70)}px`;
  pending.push({ canvas, config });
  return box;
}

export function horizontal({ legend, stacked = false, max, tick, tooltip, title, integers = false }) {
  const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
  return {
    indexAxis: "y",
    responsive: true,
    maintainAspectRatio: false,
    animation: reduced ? false : { duration: 300 },
    color: "#1a1a1a",
    scales: {
      x: {
        stacked,
        beginAtZero: true,
        max,
        title: title ? { display: true, text: title, color: "#1a1a1a" } : { display: false },
        ticks: { color: "#374151", precision: integers ? 0 : undefined, callback: (value) => tick(value) },
        grid: { color: "#d1d5db" },
      },
      y: { stacked, ticks: { color: "#1a1a1a" }, grid: { display: false } },
    },
    plugins: {
      legend: { display: legend, position: "bottom", labels: { color: "#1a1a1a", boxWidth: 14 } },
      tooltip: tooltip ? { callbacks: { label: tooltip } } : {},
    },
  };
}

// Figures right-aligned; `text` names the other columns (the first is always the row's name).
export function table(caption, columns, rows, footer, { text = [] } = {}) {
  const align = (i) => (i === 0 || text.includes(columns[i]) ? false : "number");
  const row = (cells) =>
    h(
      "tr",
      {},
      cells.map((cell, i) =>
        i === 0 ? h("th", { scope: "row" }, cell) : h("td", { class: align(i) }, cell),
      ),
    );
  const captionId = `${caption.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${cards}`;
  return h(
    "div",
    // Scrolls sideways on a phone; focusable so that the keyboard can scroll it.
    { class: "table-scroll", role: "region", "aria-labelledby": captionId, tabindex: "0" },
    h(
      "table",
      { class: "chart-table" },
      h("caption", { id: captionId }, caption),
      h(
        "thead",
        {},
        h("tr", {}, columns.map((name, i) => h("th", { scope: "col", class: align(i) }, name))),
      ),
      h("tbody", {}, rows.map(row)),
      footer ? h("tfoot", {}, row(footer)) : null,
    ),
  );
}

// ---- formatting ------------------------------------------------------------------------

export function integer(value) {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }).format(value);
}

export function number(value) {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 }).format(value);
}

// Basis points are exact integers; one decimal of a per cent is as precise as they go.
export function percent(bps) {
  return new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 }).format(bps / 10_000);
}

export function amounts(list) {
  return list.length ? list.map((a) => money(a.amount, a.currency)).join(", ") : "–";
}

const UNITS = [
  { unit: "day", seconds: 86_400 },
  { unit: "hour", seconds: 3_600 },
  { unit: "minute", seconds: 60 },
];

// "2 days, 3 hours": the two largest units, whole numbers (seconds when under a minute).
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const parts = [];
  let rest = seconds;
  for (const { unit, seconds: size } of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(unitFormat(unit).format(count));
    else if (parts.length > 0) break; // "2 days", not "2 days, 0 hours, 5 minutes"
    if (parts.length === 2) break;
  }
  return parts.length ? parts.join(", ") : unitFormat("second").format(seconds);
}

function unitFormat(unit) {
  return new Intl.NumberFormat(LOCALE, { style: "unit", unit, unitDisplay: "long" });
}

export function chartUnit(oldestSeconds) {
  if (oldestSeconds >= 2 * 86_400) return { name: "days", title: "Days", seconds: 86_400 };
  if (oldestSeconds >= 2 * 3_600) return { name: "hours", title: "Hours", seconds: 3_600 };
  if (oldestSeconds >= 2 * 60) return { name: "minutes", title: "Minutes", seconds: 60 };
  return { name: "seconds", title: "Seconds", seconds: 1 };
}

// One colour per code, in the order first seen, the same on every chart of the page.
export function colours(codes) {
  const chosen = new Map();
  for (const code of codes) {
    if (!chosen.has(code)) chosen.set(code, PALETTE[chosen.size % PALETTE.length]);
  }
  return chosen;
}

// Amounts added up per currency (integers in minor units; currencies are never mixed).
export function totalsByCurrency(pairs) {
  const totals = new Map();
  for (const [currency, amount] of pairs) totals.set(currency, (totals.get(currency) ?? 0) + amount);
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b));
}
