"""A console tab under watch (the portal's watcher: other origins, CSP, axe-core,
screenshots), signed in with a merchant key."""

from __future__ import annotations

from typing import Any

from tests.browser.portal import PortalTab


class ConsoleTab(PortalTab):
    def sign_in(self, key: str) -> None:
        self.goto("/console")
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_label("API key").press("Enter")
        self.page.get_by_role("heading", name="Review queue").wait_for()

    def stored(self) -> dict[str, Any]:
        """Where the page could have kept the key: its storages and cookies."""
        return {
            "session": self.page.evaluate("() => ({...sessionStorage})"),
            "local": self.page.evaluate("() => ({...localStorage})"),
            "cookies": self.context.cookies(),
        }
