// The console's shell: sign-in, navigation, the scanner field, routing by path.
// Paths: /console (sign in), /console/queue, /console/returns/{id}, /console/analytics.
// What is shown follows the key's scopes (GET /v1/me); the API refuses anything else anyway.

import { ApiError, ROOT, get, session, whenKeyRefused } from "./api.js";
import { h } from "./dom.js";
import { render as analyticsView } from "./views/analytics.js";
import { render as queueView } from "./views/queue.js";
import { render as returnView } from "./views/return.js";
import { render as signInView } from "./views/signin.js";

const main = document.getElementById("main");
let identity = null; // GET /v1/me of the signed-in key
let firstRender = true;
let flash = null;

export const can = (scope) => Boolean(identity?.scopes.includes(scope));

export function navigate(path, { replace = false, message = null } = {}) {
  flash = message;
  const url = `${ROOT}${path}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  return render();
}

export function takeFlash() {
  const message = flash;
  flash = null;
  return message;
}

// Checks the key (GET /v1/me) before keeping it; portal tokens and return links are refused.
export async function signIn(key) {
  const who = await get("/v1/me", { key });
  if (who.kind !== "api_key") throw new ApiError(403, { detail: "Sign in with a merchant API key." });
  identity = who;
  session.start(key);
}

export function signOut(message) {
  session.end();
  identity = null;
  return navigate("/console", { message });
}

const REFUSED = "Your key was not accepted: sign in again.";

// A key refused in the middle of a session (revoked, expired) signs out at once, whichever
// call found out; before sign-in completes, render() and signIn() handle it themselves.
whenKeyRefused(() => {
  if (identity) signOut(REFUSED);
});

function currentPath() {
  return location.pathname.slice(ROOT.length).replace(/\/+$/, "") || "/console";
}

function route() {
  const path = currentPath();
  if (path === "/console") return { view: signInView, title: "Sign in", public: true };
  if (path === "/console/queue") return { view: queueView, title: "Review queue" };
  if (path === "/console/analytics") return { view: analyticsView, title: "Analytics" };
  const match = path.match(/^\/console\/returns\/([^/]+)$/);
  if (match) return { view: returnView, title: "Return", params: { returnId: decodeURIComponent(match[1]) } };
  return { view: notFound, title: "Not found", public: true };
}

function notFound({ main: target }) {
  target.replaceChildren(
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", {}, h("a", { href: `${ROOT}/console/queue`, dataset: { nav: "/console/queue" } }, "Go to the review queue")),
  );
}

function problemView(target, error) {
  target.replaceChildren(
    h("h1", { tabindex: "-1" }, error.status === 404 ? "Not found" : "Something went wrong"),
    h("p", { role: "alert" }, error.message),
    error.problem?.request_id ? h("p", { class: "hint" }, `Reference: ${error.problem.request_id}`) : null,
  );
}

// Finds a return by what a scanner types (RMA number, else tracking number) and opens it.
// True when the field may be cleared for the next scan.
async function scan(value) {
  const text = value.trim();
  if (!text) return true;
  const status = document.getElementById("scan-status");
  status.textContent = "";
  try {
    for (const filter of ["rma_number", "tracking_number"]) {
      const page = await get(`/v1/returns?${filter}=${encodeURIComponent(text)}&limit=1`);
      if (page.data.length) return navigate(`/console/returns/${page.data[0].id}`).then(() => true);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return true; // signed out
    status.textContent = `Could not look up ${text}: ${error instanceof ApiError ? error.message : "the service did not answer. Try again."}`;
    return false;
  }
  status.textContent = `No return has the RMA or tracking number ${text}.`;
  return true;
}

function renderChrome() {
  const nav = document.getElementById("nav");
  const tools = document.getElementById("header-tools");
  if (!identity) {
    nav.replaceChildren();
    tools.replaceChildren();
    return;
  }
  const here = currentPath();
  const link = (path, text) =>
    h("a", { href: `${ROOT}${path}`, dataset: { nav: path }, "aria-current": here === path ? "page" : false }, text);
  const links = [];
  if (can("returns:read")) links.push(link("/console/queue", "Review queue"));
  if (can("analytics:read")) links.push(link("/console/analytics", "Analytics"));
  nav.replaceChildren(h("ul", {}, links.map((a) => h("li", {}, a))));
  const input = h("input", { id: "scan", name: "scan", type: "text", autocomplete: "off", spellcheck: "false" });
  const form = h(
    "form",
    {
      class: "scan",
      role: "search",
      onsubmit: async (event) => {
        event.preventDefault();
        if (await scan(input.value)) input.value = "";
      },
    },
    h("label", { for: "scan" }, "Scan or type an RMA or tracking number"),
    input,
    h("p", { id: "scan-status", class: "hint", role: "status" }),
  );
  const who = h("span", { class: "who" }, `Signed in as ${identity.name}`);
  const out = h("button", { type: "button", class: "button secondary", onclick: () => signOut("You are signed out.") }, "Sign out");
  tools.replaceChildren(can("returns:read") ? form : null, who, out);
}

async function render() {
  const { view, title, params, public: open } = route();
  if (!open && !session.key) return navigate("/console", { replace: true, message: flash });
  if (session.key && !identity) {
    try {
      identity = await get("/v1/me");
    } catch (error) {
      // Only a refusal forgets the key; an outage keeps it, so a reload can carry on.
      if (!(error instanceof ApiError) || ![401, 403].includes(error.status)) {
        problemView(main, error instanceof ApiError ? error : new ApiError(0, { detail: "The service could not be reached. Reload the page to try again." }));
        return;
      }
      session.end();
      return navigate("/console", { replace: true, message: REFUSED });
    }
  }
  if (open && identity && currentPath() === "/console") return navigate("/console/queue", { replace: true });
  main.setAttribute("aria-busy", "true");
  renderChrome();
  try {
    await view({ main, params: params ?? {}, can, navigate, identity, flash: takeFlash(), reload: render });
  } catch (error) {
    // Signed out already (whenKeyRefused above), unless the key was dropped some other way.
    if (error instanceof ApiError && error.status === 401) return identity ? signOut(REFUSED) : undefined;
    console.error(error);
    problemView(main, error);
  }
  main.removeAttribute("aria-busy");
  document.title = `${main.querySelector("h1")?.textContent ?? title} – Returns console`;
  if (!firstRender) main.querySelector("h1")?.focus();
  firstRender = false;
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-nav]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.dataset.nav);
});
window.addEventListener("popstate", () => render());
render();
