// Analytics: the period's summary as charts (issue #24, §6), built only on the public API:
// GET /v1/analytics/summary, /v1/analytics/reasons and /v1/analytics/products (scope
// `analytics:read`). Every chart has its figures beside it as a table with a caption, and the
// canvas itself is an image with a one-sentence description, so nothing is only in pixels.
// Money stays integer minor units, written by format.js (no float arithmetic on amounts).

import { ROOT, get } from "../api.js";
import { h } from "../dom.js";
import { dateTime, money } from "../format.js";
// Chart.js ships its single-file build as UMD (its ES build imports `@kurkle/color` by a
// bare name, which a browser cannot resolve without an inline import map that the CSP
// forbids). Loaded as a module it defines `globalThis.Chart` and nothing else: see vendor/.
import "../vendor/chart.umd.min.js";

const { Chart } = globalThis;
const SCOPE = "analytics:read";
const PERIODS = [7, 30, 90]; // days before now
const DEFAULT_PERIOD = 30;
const DAY_MS = 86_400_000;
const TOP_SKUS = 10;
const LOCALE = undefined; // the browser's language, as format.js writes money and dates
const STYLESHEET = `${ROOT}/console/assets/analytics.css`;
// At least 3:1 against the white card (WCAG 1.4.11) and apart from each other in hue.
const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0e7490", "#4d7c0f", "#a21caf"];
const OTHER_COLOUR = "#4b5563";
const RESOLUTIONS = [
  ["refund", "Refund", "#1d4ed8"],
  ["store_credit", "Store credit", "#047857"],
  ["exchange", "Exchange", "#b45309"],
];

let charts = []; // the Chart instances on the page now, destroyed before the next render
let pending = []; // canvases built but not drawn yet: Chart.js measures them once attached
let loads = 0; // the latest load wins when periods are switched quickly

export async function render({ main, can }) {
  destroyCharts();
  useStylesheet();
  Chart.defaults.font.family = getComputedStyle(main).fontFamily; // the page's, not Helvetica
  const heading = h("h1", { tabindex: "-1" }, "Analytics");
  if (!can(SCOPE)) {
    main.replaceChildren(
      heading,
      h("p", {}, `This key cannot read analytics: it needs the ${SCOPE} scope.`),
    );
    return;
  }
  const status = h("p", { class: "analytics-status", role: "status" });
  const figures = h("div", { class: "analytics" });
  const select = h(
    "select",
    { id: "analytics-period", onchange: () => load(figures, status, Number(select.value)) },
    PERIODS.map((days) =>
      h("option", { value: String(days), selected: days === DEFAULT_PERIOD }, `Last ${days} days`),
    ),
  );
  main.replaceChildren(
    heading,
    h(
      "div",
      { class: "analytics-period" },
      h("label", { for: "analytics-period" }, "Period"),
      select,
    ),
    status,
    figures,
  );
  await load(figures, status, DEFAULT_PERIOD, { initial: true });
}

async function load(figures, status, days, { initial = false } = {}) {
  const ticket = ++loads;
  const end = new Date();
  const period = new URLSearchParams({
    from: new Date(end.getTime() - days * DAY_MS).toISOString(),
    to: end.toISOString(),
  });
  figures.setAttribute("aria-busy", "true");
  status.textContent = "Loading…";
  let summary, reasons, products;
  try {
    [summary, reasons, products] = await Promise.all([
      get(`/v1/analytics/summary?${period}`),
      get(`/v1/analytics/reasons?${period}`),
      get(`/v1/analytics/products?${period}&group_by=sku&sort=-units_returned&limit=${TOP_SKUS}`),
    ]);
  } catch (error) {
    if (ticket !== loads) return;
    figures.removeAttribute("aria-busy");
    status.textContent = "";
    if (initial && error.status === 401) throw error; // the console signs the key out
    destroyCharts();
    pending = [];
    const detail = error.problem?.detail || error.message;
    figures.replaceChildren(
      h("p", { class: "error", role: "alert" }, `The figures could not be loaded. ${detail}`),
    );
    return;
  }
  if (ticket !== loads) return;
  destroyCharts();
  pending = [];
  const labels = reasonLabels(reasons);
  const colours = reasonColours(reasons, products);
  figures.replaceChildren(
    h("p", { class: "analytics-range" }, `${dateTime(summary.period.start)} – ${dateTime(summary.period.end)}`),
    keyFigures(summary),
    h(
      "div",
      { class: "chart-grid" },
      returnRateCard(summary, products),
      reasonsCard(reasons, colours),
      skusCard(products, labels, colours),
      resolutionsCard(summary),
      backlogCard(summary),
    ),
  );
  charts = pending.map(({ canvas, config }) => new Chart(canvas, config));
  pending = [];
  figures.removeAttribute("aria-busy");
  status.textContent = `Figures for the last ${days} days.`;
}

// ---- the headline figures --------------------------------------------------------------

function keyFigures(summary) {
  const refunded = totalsByCurrency(summary.refunded.map((r) => [r.currency, r.amount]));
  const rate = summary.return_rate;
  const entry = (term, value, detail) =>
    h("div", {}, h("dt", {}, term), h("dd", {}, value, detail ? h("span", { class: "detail" }, detail) : null));
  return h(
    "dl",
    { class: "key-figures" },
    entry("Returns requested", integer(summary.returns.total)),
    entry(
      "Return rate",
      percent(rate.rate_bps),
      `${integer(rate.units_returned)} of ${integer(rate.units_sold)} units sold`,
    ),
    entry(
      "Approved automatically",
      percent(summary.decisions.auto_approval_rate_bps),
      `${integer(summary.decisions.auto_approved)} of ${integer(summary.decisions.decided)} decided`,
    ),
    entry(
      "Refunded",
      refunded.length ? refunded.map(([currency, amount]) => money(amount, currency)).join(", ") : "Nothing",
    ),
    entry("Waiting for review now", integer(summary.review_backlog.count)),
  );
}

// ---- the charts ------------------------------------------------------------------------

function returnRateCard(summary, products) {
  const overall = summary.return_rate;
  const rows = [
    { name: "All products", sold: overall.units_sold, returned: overall.units_returned, bps: overall.rate_bps },
    ...products.data.map((p) => ({
      name: skuName(p),
      sold: p.units_sold,
      returned: p.units_returned,
      bps: p.return_rate_bps,
    })),
  ];
  const card = chartCard(
    "Return rate",
    `Units returned out of units sold, for all products and the ${TOP_SKUS} SKUs with the most units returned.`,
  );
  if (overall.units_sold === 0) return withEmpty(card, "No orders were placed in this period.");
  const described = rows.map((r) => `${r.name} ${percent(r.bps)}`);
  card.append(
    chart(rows.length, `Bar chart of return rate: ${described.join("; ")}.`, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.name),
        datasets: [
          {
            label: "Return rate",
            data: rows.map((r) => r.bps / 100),
            backgroundColor: rows.map((_, i) => (i === 0 ? OTHER_COLOUR : PALETTE[0])),
          },
        ],
      },
      options: horizontal({
        legend: false,
        tick: (value) => percent(value * 100),
        tooltip: (context) => `${percent(rows[context.dataIndex].bps)}`,
      }),
    }),
    table(
      "Return rate by SKU",
      ["SKU", "Units sold", "Units returned", "Return rate"],
      rows.map((r) => [r.name, integer(r.sold), integer(r.returned), percent(r.bps)]),
    ),
  );
  return card;
}

function reasonsCard(report, colours) {
  const card = chartCard("Reasons", "Why things come back: units returned per reason.");
  if (report.data.length === 0) return withEmpty(card, "Nothing was returned in this period.");
  const rows = report.data.map((r) => ({ ...r, name: r.label || r.reason }));
  card.append(
    chart(
      rows.length,
      `Bar chart of units returned by reason: ${rows.map((r) => `${r.name} ${integer(r.units)}`).join("; ")}.`,
      {
        type: "bar",
        data: {
          labels: rows.map((r) => r.name),
          datasets: [
            {
              label: "Units returned",
              data: rows.map((r) => r.units),
              backgroundColor: rows.map((r) => colours.get(r.reason)),
            },
          ],
        },
        options: horizontal({ legend: false, tick: integer, integers: true }),
      },
    ),
    table(
      "Returns by reason",
      ["Reason", "Returns", "Units", "Share of units", "Value", "Merchant's fault"],
      rows.map((r) => [
        r.name,
        integer(r.returns),
        integer(r.units),
        percent(r.share_bps),
        amounts(r.value),
        percent(r.merchant_fault_share_bps),
      ]),
      [
        "All reasons",
        integer(report.totals.returns),
        integer(report.totals.units),
        percent(10_000),
        amounts(report.totals.value),
        percent(report.totals.merchant_fault_share_bps),
      ],
    ),
  );
  return card;
}

function skusCard(products, labels, colours) {
  const card = chartCard(
    "SKUs",
    `The ${TOP_SKUS} SKUs with the most units returned, by their top reasons.`,
  );
  const rows = products.data.filter((p) => p.units_returned > 0);
  if (rows.length === 0) return withEmpty(card, "Nothing was returned in this period.");
  const codes = [...new Set(rows.flatMap((p) => p.top_reasons.map((r) => r.reason)))];
  const unitsFor = (p, code) => p.top_reasons.find((r) => r.reason === code)?.units ?? 0;
  const other = rows.map((p) => p.units_returned - p.top_reasons.reduce((sum, r) => sum + r.units, 0));
  const datasets = codes.map((code) => ({
    label: labels.get(code) ?? code,
    data: rows.map((p) => unitsFor(p, code)),
    backgroundColor: colours.get(code),
  }));
  if (other.some((units) => units > 0)) {
    datasets.push({ label: "Other reasons", data: other, backgroundColor: OTHER_COLOUR });
  }
  const described = rows.map((p) => `${skuName(p)} ${integer(p.units_returned)}`);
  card.append(
    chart(rows.length, `Stacked bar chart of units returned by SKU and reason: ${described.join("; ")}.`, {
      type: "bar",
      data: { labels: rows.map(skuName), datasets },
      options: horizontal({ legend: true, stacked: true, tick: integer, integers: true }),
    }),
    table(
      "Units returned by SKU",
      ["SKU", "Units sold", "Units returned", "Return rate", "Refunded", "Top reasons"],
      rows.map((p) => [
        skuName(p),
        integer(p.units_sold),
        integer(p.units_returned),
        percent(p.return_rate_bps),
        amounts(p.refunded),
        p.top_reasons.map((r) => `${labels.get(r.reason) ?? r.reason} (${integer(r.units)})`).join(", "),
      ]),
      null,
      { text: ["Top reasons"] },
    ),
  );
  return card;
}

function resolutionsCard(summary) {
  const card = chartCard(
    "Resolution mix",
    "The value of the period's returns by the resolution asked for, as a share of each currency's total.",
  );
  const mixes = summary.resolutions.filter((mix) => mix.returns > 0);
  if (mixes.length === 0) return withEmpty(card, "No returns in this period.");
  const valueOf = (mix, code) => mix.value_by_resolution[code] ?? 0;
  const totalOf = (mix) => RESOLUTIONS.reduce((sum, [code]) => sum + valueOf(mix, code), 0);
  // Shares, not amounts: one bar per currency, and currencies cannot be added up.
  const share = (mix, code) => (totalOf(mix) ? (valueOf(mix, code) * 100) / totalOf(mix) : 0);
  const described = mixes.map(
    (mix) =>
      `${mix.currency}: ${RESOLUTIONS.map(([code, name]) => `${name} ${money(valueOf(mix, code), mix.currency)}`).join(", ")}`,
  );
  card.append(
    chart(mixes.length, `Stacked bar chart of the value of returns by resolution. ${described.join(". ")}.`, {
      type: "bar",
      data: {
        labels: mixes.map((mix) => mix.currency),
        datasets: RESOLUTIONS.map(([code, name, colour]) => ({
          label: name,
          data: mixes.map((mix) => share(mix, code)),
          backgroundColor: colour,
        })),
      },
      options: horizontal({
        legend: true,
        stacked: true,
        max: 100,
        tick: (value) => percent(value * 100),
        tooltip: (context) => {
          const mix = mixes[context.dataIndex];
          const [code, name] = RESOLUTIONS[context.datasetIndex];
          return `${name}: ${money(valueOf(mix, code), mix.currency)}`;
        },
      }),
    }),
    table(
      "Value of returns by resolution",
      ["Currency", ...RESOLUTIONS.map(([, name]) => name), "Returns", "With an exchange"],
      mixes.map((mix) => [
        mix.currency,
        ...RESOLUTIONS.map(([code]) => money(valueOf(mix, code), mix.currency)),
        integer(mix.returns),
        `${integer(mix.exchange_returns)} (${percent(mix.exchange_share_bps)})`,
      ]),
    ),
  );
  return card;
}

function backlogCard(summary) {
  const backlog = summary.review_backlog;
  const card = chartCard(
    "Review backlog age",
    `How long the returns waiting for review now have waited, whatever the period (${integer(backlog.count)} waiting).`,
  );
  if (backlog.count === 0) return withEmpty(card, "Nothing is waiting for review.");
  const rows = [
    ["Median", backlog.median_age_seconds],
    ["90th percentile", backlog.p90_age_seconds],
    ["Oldest", backlog.oldest_age_seconds],
  ];
  const unit = chartUnit(backlog.oldest_age_seconds);
  card.append(
    chart(rows.length, `Bar chart of review backlog age: ${rows.map(([name, s]) => `${name} ${duration(s)}`).join("; ")}.`, {
      type: "bar",
      data: {
        labels: rows.map(([name]) => name),
        datasets: [
          { label: `Age (${unit.name})`, data: rows.map(([, s]) => s / unit.seconds), backgroundColor: PALETTE[1] },
        ],
      },
      options: horizontal({
        legend: false,
        title: unit.title,
        tick: (value) => number(value),
        tooltip: (context) => duration(rows[context.dataIndex][1]),
      }),
    }),
    table(
      "Age of the returns waiting for review",
      ["Measure", "Waiting for"],
      rows.map(([name, seconds]) => [name, duration(seconds)]),
    ),
  );
  return card;
}

// ---- building blocks -------------------------------------------------------------------

let cards = 0;

function chartCard(title, description) {
  cards += 1;
  const id = `analytics-chart-${cards}`;
  return h(
    "section",
    { class: "chart-card", "aria-labelledby": id },
    h("h2", { id }, title),
    h("p", { class: "chart-description" }, description),
  );
}

function withEmpty(card, text) {
  card.append(h("p", { class: "chart-empty" }, text));
  return card;
}

// A canvas in a box as tall as its bars need (Chart.js fills the box; its height is set via
// CSSOM, which the CSP allows, unlike a style attribute). Drawn once on the page.
function chart(bars, description, config) {
  const canvas = h("canvas", { role: "img", "aria-label": description });
  const box = h("div", { class: "chart-box" }, canvas);
  box.style.height = `${Math.max(140, bars * 34 + 70)}px`;
  pending.push({ canvas, config });
  return box;
}

function horizontal({ legend, stacked = false, max, tick, tooltip, title, integers = false }) {
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
function table(caption, columns, rows, footer, { text = [] } = {}) {
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

// The page's own styles, once (a <link> to this origin, which the CSP allows; index.html may
// link it as well, then nothing is added).
function useStylesheet() {
  const linked = [...document.querySelectorAll('link[rel="stylesheet"]')];
  if (linked.some((link) => link.href.endsWith("/console/assets/analytics.css"))) return;
  document.head.append(h("link", { rel: "stylesheet", href: STYLESHEET }));
}

function destroyCharts() {
  for (const instance of charts) instance.destroy();
  charts = [];
}

function reasonLabels(report) {
  return new Map(report.data.map((r) => [r.reason, r.label || r.reason]));
}

// One colour per reason on every chart, in the order of the reasons report (most units first).
function reasonColours(report, products) {
  const codes = [
    ...report.data.map((r) => r.reason),
    ...products.data.flatMap((p) => p.top_reasons.map((r) => r.reason)),
  ];
  const colours = new Map();
  for (const code of codes) {
    if (!colours.has(code)) colours.set(code, PALETTE[colours.size % PALETTE.length]);
  }
  return colours;
}

function skuName(product) {
  return product.sku ?? product.product_id ?? "(no SKU)";
}

function totalsByCurrency(pairs) {
  const totals = new Map();
  for (const [currency, amount] of pairs) totals.set(currency, (totals.get(currency) ?? 0) + amount);
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b));
}

// ---- formatting ------------------------------------------------------------------------

function integer(value) {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }).format(value);
}

function number(value) {
  return new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 }).format(value);
}

// Basis points are exact integers; one decimal of a per cent is as precise as they go.
function percent(bps) {
  return new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 }).format(bps / 10_000);
}


function amounts(list) {
  return list.length ? list.map((a) => money(a.amount, a.currency)).join(", ") : "–";
}


const UNITS = [
  { unit: "day", seconds: 86_400 },
  { unit: "hour", seconds: 3_600 },
  { unit: "minute", seconds: 60 },
];

// "2 days, 3 hours": the two largest units, whole numbers (seconds when under a minute).
function duration(seconds) {
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

function chartUnit(oldestSeconds) {
  if (oldestSeconds >= 2 * 86_400) return { name: "days", title: "Days", seconds: 86_400 };
  if (oldestSeconds >= 2 * 3_600) return { name: "hours", title: "Hours", seconds: 3_600 };
  if (oldestSeconds >= 2 * 60) return { name: "minutes", title: "Minutes", seconds: 60 };
  return { name: "seconds", title: "Seconds", seconds: 1 };
}

