"""A portal tab under watch: requests to other origins, CSP violations, axe-core, screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import DESKTOP, PHONE

# Runs in every document before the page's own scripts (through the DevTools protocol, so
# the page's CSP does not apply to it): reports each violation to the test.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                     "best-practice"]},
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


class PortalTab:
    def __init__(
        self, browser: Any, base_url: str, axe_source: str, screenshots: Path, **context: Any
    ) -> None:
        self.base_url = base_url
        self.origin = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}"
        self.axe_source = axe_source
        self.screenshots = screenshots
        self.context = browser.new_context(viewport=DESKTOP, accept_downloads=True, **context)
        self.page = self.context.new_page()
        self.foreign_requests: list[str] = []
        self.violations: list[str] = []
        self.console_errors: list[str] = []
        self.checked: list[str] = []
        self.page.expose_function("reportViolation", lambda text: self.violations.append(text))
        self.page.add_init_script(WATCH_CSP)
        self.page.on("request", self._request)
        self.page.on("console", self._console)

    def _request(self, request: Any) -> None:
        url = request.url
        if url.startswith(("data:", "blob:")):
            return
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign_requests.append(url)

    def _console(self, message: Any) -> None:
        # A 404 the page expects (another order's return) is logged as "Failed to load
        # resource"; anything else is a script error.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.console_errors.append(message.text)

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")

    def heading(self) -> str:
        return str(self.page.locator("h1").inner_text())

    def check_page(self, name: str) -> None:
        """axe-core at phone and desktop width (no serious or critical violation), and a
        screenshot of each."""
        self.page.wait_for_load_state("networkidle")
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            self.page.set_viewport_size(size)
            self.page.evaluate(self.axe_source)
            found = self.page.evaluate(AXE_RUN)
            bad = [v for v in found if v["impact"] in ("serious", "critical")]
            assert not bad, f"{name} at {label} width: {bad}"
            self.page.screenshot(path=self.screenshots / f"{name}-{label}.png", full_page=True)
        self.checked.append(name)

    def assert_clean(self) -> None:
        """Nothing from another origin, no CSP violation, no script error."""
        assert self.foreign_requests == []
        assert self.violations == []
        assert self.console_errors == []

    def close(self) -> None:
        self.context.close()
