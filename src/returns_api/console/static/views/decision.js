// Why the policy decided what it did: the rule that decided (for a return in the queue, the
// rule that sent it to a person), each of its conditions with the expected and the actual
// value, and every rule checked per item. The API gives an API key the whole trace
// (`decision.audience === "merchant"`); the values are the facts at the time of the request.

import { h } from "../dom.js";
import { money } from "../format.js";

// Facts in minor units and in basis points (policies/rules.py), shown as a person reads them.
const MONEY_FACTS = new Set(["return_value", "order_total", "item_unit_price", "customer_returned_value"]);
const BPS_FACTS = new Set(["customer_return_rate_bps"]);
const OPERATORS = { eq: "is", ne: "is not", lt: "is less than", lte: "is at most", gt: "is more than", gte: "is at least", in: "is one of", not_in: "is none of", contains: "contains" };
const ACTIONS = { approve: "approve", review: "review by a person", reject: "reject", approve_keep_item: "approve without the parcel" };

export const actionName = (action) => ACTIONS[action] ?? action;

export function factValue(fact, value, currency) {
  if (value === null || value === undefined) return "not known";
  if (Array.isArray(value)) return value.length ? value.map((v) => factValue(fact, v, currency)).join(", ") : "none";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (MONEY_FACTS.has(fact) && Number.isInteger(value)) return money(value, currency);
  if (BPS_FACTS.has(fact) && Number.isInteger(value)) return `${(value / 100).toFixed(2)} %`;
  return String(value);
}

function itemName(ret, key) {
  if (key === null || key === undefined) return "the return";
  const item = ret.items.find((candidate) => candidate.line_item_id === key);
  return item ? `${item.title}${item.sku ? ` (${item.sku})` : ""}` : key;
}

// One row per condition: the fact and the test, the value the rule expected, the actual one.
function conditionsTable(caption, conditions, currency) {
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "group", "aria-label": caption },
    h(
      "table",
      { class: "conditions" },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Condition"), h("th", { scope: "col" }, "Expected"), h("th", { scope: "col" }, "Actual"))),
      h(
        "tbody",
        {},
        conditions.map((c) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, h("code", {}, c.fact), ` ${OPERATORS[c.op] ?? c.op}`),
            h("td", {}, factValue(c.fact, c.expected, currency)),
            h("td", {}, factValue(c.fact, c.actual, currency)),
          ),
        ),
      ),
    ),
  );
}

// The sentence that says why: the rule (or the default action, or the statutory override).
export function decisionReason(decision) {
  if (decision.audience !== "merchant") return decision.message;
  if (decision.statutory_override) {
    const override = decision.statutory_override;
    return `A rule would have chosen to ${actionName(override.from_action)}; the statutory right of withdrawal sends it to ${actionName(override.to_action)} instead: ${override.reason}`;
  }
  if (decision.matched_rule) return `Rule “${decision.matched_rule.name}” decided: ${actionName(decision.action)}.`;
  return `No rule matched, so the policy's default action decided: ${actionName(decision.action)}.`;
}

function decidingCheck(decision) {
  const item = decision.trace.find((entry) => entry.item_key === decision.deciding_item) ?? decision.trace[0];
  const check = item?.checks.find((candidate) => candidate.matched && candidate.rule_id === decision.matched_rule?.id);
  return { item, check };
}

function checkLine(check, currency) {
  if (check.matched) return h("li", {}, `Rule “${check.rule_name}” matched.`);
  const failed = check.failed;
  return h(
    "li",
    {},
    `Rule “${check.rule_name}” did not match: `,
    h("code", {}, failed.fact),
    ` ${OPERATORS[failed.op] ?? failed.op} ${factValue(failed.fact, failed.expected, currency)} was expected, the actual value is ${factValue(failed.fact, failed.actual, currency)}.`,
  );
}

// Every item's rules as checked, in order, inside a disclosure (keyboard: Enter or Space).
function fullTrace(ret, decision) {
  return h(
    "details",
    { class: "trace" },
    h("summary", {}, "Every rule checked"),
    decision.trace.map((item) =>
      h(
        "div",
        { class: "trace-item" },
        h("p", {}, h("strong", {}, itemName(ret, item.item_key)), `: ${actionName(item.action)}`, item.matched_rule_name ? ` (rule “${item.matched_rule_name}”)` : " (the default action)"),
        item.checks.length ? h("ol", {}, item.checks.map((check) => checkLine(check, ret.currency))) : h("p", {}, "The policy has no rules."),
      ),
    ),
  );
}

// The decision, explained: `headingLevel` fits the page it is placed in.
export function decisionSection(ret, { headingLevel = "h2", headingId } = {}) {
  const decision = ret.decision;
  const parts = [h(headingLevel, headingId ? { id: headingId } : {}, ret.status === "pending_review" ? "Why it needs a person" : "The policy's decision")];
  parts.push(h("p", { class: "decision-reason" }, decisionReason(decision)));
  if (decision.audience !== "merchant") return h("section", { class: "decision" }, parts);
  const { item, check } = decidingCheck(decision);
  if (check?.held?.length) {
    parts.push(conditionsTable(`Conditions of “${check.rule_name}” for ${itemName(ret, item.item_key)}`, check.held, ret.currency));
  } else if (check) {
    parts.push(h("p", { class: "hint" }, "Its conditions were not recorded with this decision (it predates them)."));
  }
  parts.push(h("p", { class: "hint" }, `Policy version ${decision.policy_version}.`));
  if (decision.trace.some((entry) => entry.checks.length)) parts.push(fullTrace(ret, decision));
  return h("section", { class: "decision" }, parts);
}
