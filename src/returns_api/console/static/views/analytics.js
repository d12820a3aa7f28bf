// Analytics: the period's summary as charts (issue #24, §6), built only on the public API:
// GET /v1/analytics/summary, /v1/analytics/reasons and /v1/analytics/products (scope
// `analytics:read`). Every chart has its figures beside it as a table with a caption, and the
// canvas itself is an image with a one-sentence description, so nothing is only in pixels.
// Money stays integer minor units, written by format.js (no float arithmetic on amounts).

import { get } from "../api.js";
import { h } from "../dom.js";
import { dateTime, money } from "../format.js";
import {
  OTHER_COLOUR,
  PALETTE,
  amounts,
  chart,
  chartCard,
  chartUnit,
  colours,
  destroyCharts,
  drawCharts,
  duration,
  horizontal,
  integer,
  number,
  percent,
  table,
  totalsByCurrency,
  useFont,
  withEmpty,
} from "../charts.js";

const SCOPE = "analytics:read";
const PERIODS = [7, 30, 90]; // days before now
const DEFAULT_PERIOD = 30;
const DAY_MS = 86_400_000;
const TOP_SKUS = 10;
const RESOLUTIONS = [
  ["refund", "Refund", "#1d4ed8"],
  ["store_credit", "Store credit", "#047857"],
  ["exchange", "Exchange", "#b45309"],
];

let loads = 0; // the latest load wins when periods are switched quickly

export async function render({ main, can }) {
  destroyCharts();
  useFont(main);
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
    const detail = error.problem?.detail || error.message;
    figures.replaceChildren(
      h("p", { class: "error", role: "alert" }, `The figures could not be loaded. ${detail}`),
    );
    return;
  }
  if (ticket !== loads) return;
  destroyCharts();
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
  drawCharts();
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

// ---- reasons and SKUs ------------------------------------------------------------------

function reasonLabels(report) {
  return new Map(report.data.map((r) => [r.reason, r.label || r.reason]));
}

// One colour per reason on every chart, in the order of the reasons report (most units first).
function reasonColours(report, products) {
  return colours([...report.data.map((r) => r.reason), ...products.data.flatMap((p) => p.top_reasons.map((r) => r.reason))]);
}

function skuName(product) {
  return product.sku ?? product.product_id ?? "(no SKU)";
}
