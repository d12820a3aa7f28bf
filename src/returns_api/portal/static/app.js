// The portal's shell: branding, language, routing by path, and one view per page.
// Paths: /portal (sign in), /portal/order, /portal/review, /portal/returns/{id}, and the
// withdrawal function without an account: /portal/withdraw, …/confirm, …/done. A link from
// an e-mail carries its token in the fragment (#token=pt_…), which never reaches a server.

import { ApiError, ROOT, session } from "./api.js";
import { h } from "./dom.js";
import {
  LOCALES,
  choose,
  chosenLocale,
  currentLocale,
  pickLocale,
  setLocale,
  setOverrides,
  t,
} from "./i18n.js";
import { loginView } from "./views/login.js";
import { orderView } from "./views/order.js";
import { returnView } from "./views/return.js";
import { reviewView } from "./views/review.js";
import { confirmWithdrawalView, withdrawView, withdrawalDoneView } from "./views/withdraw.js";

const LANGUAGE_NAMES = { en: "English", de: "Deutsch", fr: "Français", nl: "Nederlands", ru: "Русский" };
const main = document.getElementById("main");
let config = { shop_name: "Returns", logo_url: null, texts: {} };
let firstRender = true;
let flash = null;

function currentPath() {
  const path = location.pathname.slice(ROOT.length).replace(/\/+$/, "");
  return path || "/portal";
}

function route() {
  const path = currentPath();
  if (path === "/portal") return { view: loginView };
  if (path === "/portal/order") return { view: orderView, auth: true };
  if (path === "/portal/review") return { view: reviewView, auth: true };
  if (path === "/portal/withdraw") return { view: withdrawView };
  if (path === "/portal/withdraw/confirm") return { view: confirmWithdrawalView };
  if (path === "/portal/withdraw/done") return { view: withdrawalDoneView };
  const match = path.match(/^\/portal\/returns\/([^/]+)$/);
  if (match) return { view: returnView, auth: true, params: { returnId: decodeURIComponent(match[1]) } };
  return { view: notFoundView };
}

export const app = {
  get config() {
    return config;
  },
  navigate(path, { replace = false, message = null } = {}) {
    flash = message;
    const url = `${ROOT}${path}`;
    if (replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    return render();
  },
  takeFlash() {
    const message = flash;
    flash = null;
    return message;
  },
  // The language of a page about a return: the one the customer chose here, else the return's.
  async useLocale(tag) {
    const wanted = chosenLocale() || pickLocale(tag, navigator.languages);
    if (wanted !== currentLocale()) {
      await setLocale(wanted);
      renderChrome();
    }
  },
  rerender: () => render(),
};

function notFoundView() {
  return {
    title: t("notfound.title"),
    content: h(
      "div",
      {},
      h("h1", { tabindex: "-1" }, t("notfound.title")),
      h("p", {}, t("notfound.text")),
      h("p", {}, h("a", { href: `${ROOT}/portal`, dataset: { nav: "/portal" } }, t("notfound.back"))),
    ),
  };
}

function errorView(error) {
  return {
    title: t("error.title"),
    content: h(
      "div",
      {},
      h("h1", { tabindex: "-1" }, t("error.title")),
      h("p", { role: "alert" }, t("error.text")),
      error?.problem?.request_id ? h("p", { class: "hint" }, t("error.reference", { id: error.problem.request_id })) : null,
    ),
  };
}

function renderChrome() {
  const name = document.getElementById("shop-name");
  name.textContent = config.shop_name;
  const brand = document.getElementById("brand");
  brand.querySelector("img")?.remove();
  if (config.logo_url) {
    brand.prepend(h("img", { src: config.logo_url, alt: "", class: "logo", width: "40", height: "40" }));
  }
  const skip = document.getElementById("skip-link");
  skip.textContent = t("skip");
  const select = h(
    "select",
    {
      id: "language",
      onchange: async (event) => {
        choose(event.target.value);
        await setLocale(event.target.value);
        renderChrome();
        await render({ keepFocus: true });
        document.getElementById("language")?.focus();
      },
    },
    LOCALES.map((code) =>
      h("option", { value: code, lang: code, selected: code === currentLocale() }, LANGUAGE_NAMES[code]),
    ),
  );
  const tools = [h("div", { class: "language" }, h("label", { for: "language" }, t("language")), select)];
  if (session.token) {
    tools.push(
      h(
        "button",
        {
          type: "button",
          class: "button secondary",
          onclick: () => {
            session.end();
            app.navigate("/portal", { message: t("login.signedOut") });
          },
        },
        t("signout"),
      ),
    );
  }
  document.getElementById("header-tools").replaceChildren(...tools);
  const footer = t("footer", { shop: config.shop_name });
  document.getElementById("footer").replaceChildren(h("p", {}, footer));
}

function show(page, { keepFocus = false } = {}) {
  main.replaceChildren(page.content);
  main.removeAttribute("aria-busy");
  document.title = `${page.title} – ${config.shop_name}`;
  if (!firstRender && !keepFocus) main.querySelector("h1")?.focus();
  firstRender = false;
}

async function render({ keepFocus = false } = {}) {
  const { view, auth, params } = route();
  if (auth && !session.token) return app.navigate("/portal", { replace: true, message: flash });
  main.setAttribute("aria-busy", "true");
  let page;
  try {
    page = await view({ params: params ?? {}, app });
    if (!page) return; // the view went elsewhere (e.g. the review without a draft)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      session.end();
      renderChrome();
      return app.navigate("/portal", { replace: true, message: t("login.expired") });
    }
    console.error(error);
    page = errorView(error);
  }
  renderChrome();
  show(page, { keepFocus });
}

function takeTokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    session.start(token, null); // the order is learnt from the return
    history.replaceState(null, "", `${location.pathname}${location.search}`);
  }
}

async function start() {
  takeTokenFromFragment();
  try {
    const response = await fetch(`${ROOT}/portal/config.json`, { cache: "no-cache" });
    if (response.ok) config = await response.json();
  } catch {
    // the defaults above are enough to work
  }
  setOverrides(config.texts);
  await setLocale(chosenLocale() || pickLocale(navigator.languages));
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a[data-nav]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    app.navigate(link.dataset.nav);
  });
  window.addEventListener("popstate", () => render());
  await render();
}

start();
