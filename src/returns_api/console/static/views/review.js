// Approve or reject a return waiting for review, with an optional note (returns:manage).
// The POST carries the return's version as If-Match: a return someone else has changed since
// the page was read is not decided blind (412), nor one that is no longer pending (409).

import { ApiError, post } from "../api.js";
import { field, h, setFieldError } from "../dom.js";

function failureText(error) {
  if (!(error instanceof ApiError)) return "The request did not reach the service. Try again.";
  if (error.status === 412 || error.status === 409) return "Someone changed this return in the meantime. Reload the page to see it as it is now.";
  if (error.status === 403) return "Your key may not approve or reject returns.";
  if (error.status === 404) return "This return no longer exists.";
  return error.message;
}

// `onDone(message, updated)` runs after a decision; the caller reloads its page.
export function reviewForm(ret, { can, onDone }) {
  if (ret.status !== "pending_review" || !can("returns:manage")) return null;
  const note = h("textarea", { name: "note", rows: "2", maxlength: "2000" });
  const problem = h("p", { class: "error", role: "alert" });
  const buttons = [];

  async function decide(action) {
    problem.textContent = "";
    setFieldError(note, null);
    buttons.forEach((button) => {
      button.disabled = true;
    });
    const body = note.value.trim() ? { note: note.value.trim() } : {};
    try {
      const updated = await post(`/v1/returns/${encodeURIComponent(ret.id)}/${action}`, body, { ifMatch: `"${ret.version}"` });
      const done = action === "approve" ? "approved" : "rejected";
      await onDone(`Return ${ret.rma_number} is ${done}.`, updated);
    } catch (error) {
      const noteError = error instanceof ApiError && error.fieldErrors.find((e) => String(e.location).endsWith("note"));
      if (noteError) {
        setFieldError(note, noteError.message);
        note.focus();
      } else {
        problem.textContent = failureText(error);
      }
      buttons.forEach((button) => {
        button.disabled = false;
      });
    }
  }

  const hidden = h("span", { class: "visually-hidden" }, ` ${ret.rma_number}`);
  buttons.push(
    h("button", { type: "button", class: "button primary", onclick: () => decide("approve") }, "Approve", hidden.cloneNode(true)),
    h("button", { type: "button", class: "button danger", onclick: () => decide("reject") }, "Reject", hidden.cloneNode(true)),
  );
  return h(
    "form",
    { class: "review", novalidate: true, onsubmit: (event) => event.preventDefault() },
    field({ id: `note-${ret.id}`, label: `Note on ${ret.rma_number} (optional)`, control: note, hint: "Kept on the return's timeline; a rejection's note is what the customer is told." }),
    problem,
    h("div", { class: "actions" }, buttons),
  );
}
