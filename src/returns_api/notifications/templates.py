"""Mail templates: Jinja2 in its sandbox, per event type and locale, a merchant's first.

`<lang>/<event type>.txt` holds the subject (block `subject`) and the plain-text body; the
HTML part is `<lang>/<event type>.html` when there is one, else `<lang>/layout.html`, which
shows the text's paragraphs (autoescaped) and a button to the return's page. Templates are
looked up for the locale's full tag, then its language, then English; a directory set with
`RETURNS_TEMPLATES_DIR` comes before the shipped one, file by file.

Templates are the merchant's code, so they run sandboxed: `SandboxedEnvironment` refuses
attributes that reach outside the variables (`''.__class__.__mro__`…), and undefined
names fail (`StrictUndefined`) instead of mailing a blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)
from jinja2.loaders import BaseLoader
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from returns_api.notifications.money import FALLBACK_LOCALE

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\r\n]+")


class TemplateFailure(Exception):
    """A template is missing, malformed, or did something the sandbox refuses."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str  # `application/pdf`
    data: bytes


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def _nothing(context: Context) -> Iterator[str]:
    return iter(())


def locale_candidates(locale: str) -> list[str]:
    """`de-DE` → `de-DE`, `de`, `en`: where to look for a template, in order."""
    language = locale.split("-", 1)[0].lower()
    return list(dict.fromkeys([locale, language, FALLBACK_LOCALE]))


class MailTemplates:
    def __init__(self, directory: str | None = None) -> None:
        loaders: list[BaseLoader] = []
        if directory:
            loaders.append(FileSystemLoader(directory))
        loaders.append(PackageLoader("returns_api.notifications", "templates"))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, event_type: str, locale: str, variables: dict[str, Any]) -> RenderedMail:
        """The subject, text and HTML parts; `TemplateFailure` on any template error."""
        try:
            return self._render(event_type, locale, variables)
        except TemplateError as exc:
            raise TemplateFailure(f"{type(exc).__name__}: {exc}") from exc

    def _render(self, event_type: str, locale: str, variables: dict[str, Any]) -> RenderedMail:
        places = locale_candidates(locale)
        text_template = self.env.select_template([f"{p}/{event_type}.txt" for p in places])
        if "subject" not in text_template.blocks:
            raise TemplateFailure(f"{text_template.name} has no {{% block subject %}}")
        context = text_template.new_context(dict(variables))
        # One line; a no-break space (Babel's, before the € sign) stays what it is.
        subject = _SPACES.sub(" ", "".join(text_template.blocks["subject"](context))).strip()
        # The body is the template without its subject (which a template that extends
        # nothing would otherwise print where it defines it).
        body = text_template.new_context(dict(variables))
        body.blocks["subject"].insert(0, _nothing)
        text = "".join(text_template.root_render_func(body)).strip() + "\n"
        html_template = self.env.select_template(
            [f"{p}/{event_type}.html" for p in places] + [f"{p}/layout.html" for p in places]
        )
        paragraphs = [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]
        html = html_template.render({**variables, "subject": subject, "paragraphs": paragraphs})
        return RenderedMail(subject=subject, text=text, html=html)
