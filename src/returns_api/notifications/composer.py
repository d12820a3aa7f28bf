"""A mail from an event: the template of its type in the return's locale, filled with the
return as the event carried it and a link that reads that return."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from returns_api.core.settings import Settings
from returns_api.notifications.acknowledgement import (
    ACKNOWLEDGEMENT,
    acknowledgement_variables,
    statement_attachment,
)
from returns_api.notifications.templates import MailTemplates, RenderedMail
from returns_api.notifications.variables import template_variables
from returns_api.portal.return_links import ReturnLinkClaims, ReturnLinks, return_links_of


class Composer:
    def __init__(self, templates: MailTemplates, links: ReturnLinks) -> None:
        self.templates = templates
        self.links = links

    @classmethod
    def from_settings(cls, settings: Settings) -> Composer:
        return cls(MailTemplates(settings.templates_dir), return_links_of(settings))

    def compose(self, event_type: str, locale: str, shown: Mapping[str, Any]) -> RenderedMail:
        """`shown` is the return as the API shows it (an event's `data.object`), or the
        withdrawal for its acknowledgement; `TemplateFailure` when the template fails."""
        if event_type == ACKNOWLEDGEMENT:
            return self._acknowledgement(locale, shown)
        claims = ReturnLinkClaims(return_id=uuid.UUID(str(shown["id"])), order_id=shown["order_id"])
        variables = template_variables(
            event_type,
            shown,
            locale=locale,
            portal_url=self.links.portal_url(claims),
            public_url=self.links.public_url,
        )
        return self.templates.render(event_type, locale, variables)

    def _acknowledgement(self, locale: str, shown: Mapping[str, Any]) -> RenderedMail:
        """The statement's acknowledgement, with the statement as a PDF attached."""
        claims = ReturnLinkClaims(
            return_id=uuid.UUID(str(shown["return_id"])), order_id=shown["order_id"]
        )
        variables = acknowledgement_variables(
            shown, locale=locale, portal_url=self.links.portal_url(claims)
        )
        mail = self.templates.render(ACKNOWLEDGEMENT, locale, variables)
        return dataclasses.replace(mail, attachments=(statement_attachment(shown),))
