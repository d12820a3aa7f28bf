// Sign-in with a merchant API key. The key is checked (GET /v1/me) and then kept in this
// tab's sessionStorage only; the form is never submitted anywhere, so it is in no URL.

import { ApiError } from "../api.js";
import { signIn } from "../app.js";
import { h } from "../dom.js";

export async function render({ main, navigate, flash }) {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", required: true, "aria-describedby": "api-key-hint api-key-error" });
  const error = h("p", { id: "api-key-error", class: "field-error", role: "alert" });
  const form = h(
    "form",
    {
      class: "narrow",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        input.removeAttribute("aria-invalid");
        if (!input.value.trim()) {
          error.textContent = "Enter an API key.";
          input.setAttribute("aria-invalid", "true");
          return input.focus();
        }
        try {
          await signIn(input.value.trim());
        } catch (failure) {
          const refused = failure instanceof ApiError && [401, 403].includes(failure.status);
          error.textContent = refused ? "This key was not accepted." : failure.message;
          input.setAttribute("aria-invalid", "true");
          return input.focus();
        }
        input.value = "";
        await navigate("/console/queue", { replace: true });
      },
    },
    h("div", { class: "field" }, h("label", { for: "api-key" }, "API key"), h("p", { id: "api-key-hint", class: "hint" }, "The key stays in this browser tab and is forgotten when you sign out or close it."), error, input),
    h("button", { type: "submit", class: "button" }, "Sign in"),
  );
  main.replaceChildren(
    h("h1", { tabindex: "-1" }, "Sign in to the returns console"),
    flash ? h("p", { class: "notice", role: "status" }, flash) : null,
    form,
  );
}
