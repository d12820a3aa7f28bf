"""The documents we draw ourselves: the built-in carrier's return label, the packing slip that
goes into the parcel, and QR codes.

Pure functions from data to bytes, no I/O beyond reading the bundled fonts. The text is set in
DejaVu Sans (vendored in `fonts/`): the PDF core fonts only know latin-1, and customers are
named Müller, Дмитриев or Œuvray. The codes come from the libraries: Code 128 from
python-barcode, QR from segno.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import as_file, files
from typing import Any

import segno
from barcode import Code128
from fpdf import FPDF, FontFace
from fpdf.enums import Align, XPos, YPos

from returns_api.shipping.carrier import LabelLine, LabelRequest, Party

_FONTS = files("returns_api.shipping") / "fonts"
_FAMILY = "DejaVu"
_LABEL_SIZE = (101.6, 152.4)  # 4 x 6 in, the thermal label printers' roll (mm)
_LABEL_MARGIN = 5.0
# A Code 128 module of 3 dots of a 203 dpi label printer; narrower only where the code would
# not fit. 10 modules of white each side, as the symbology asks.
_BARCODE_MODULE_MM = 0.375
_BARCODE_QUIET_MODULES = 10
_QR_SCALE = 10  # pixels a module in `qr_png`
_QR_BORDER = 4  # modules of quiet zone, what the QR standard asks for


@dataclass(frozen=True, slots=True, kw_only=True)
class PackingSlip:
    """What the packing slip of one return shows: the parcel's contents, under its RMA."""

    rma_number: str
    order_number: str | None = None
    customer_name: str | None = None
    created: datetime | str  # a datetime is shown as its date (in its own time zone)
    return_address: Party | None = None
    lines: Sequence[LabelLine] = ()


def qr_png(payload: str) -> bytes:
    """The payload as a QR code PNG, 10 px a module, with the standard 4-module quiet zone."""
    out = io.BytesIO()
    _qr(payload).save(out, kind="png", scale=_QR_SCALE, border=_QR_BORDER)
    return out.getvalue()


def qr_svg(payload: str) -> bytes:
    """The payload as a QR code SVG (one path), for pages that scale it themselves."""
    out = io.BytesIO()
    _qr(payload).save(out, kind="svg", scale=_QR_SCALE, border=_QR_BORDER)
    return out.getvalue()


# A policy without warehouses (a fresh install): the label still carries the RMA and codes.
_NO_WAREHOUSE = Party("Returns department", {"lines": ["See your return instructions"]})


def label_pdf(request: LabelRequest, *, tracking_number: str, qr_payload: str) -> bytes:
    """A one-page 4x6 in return label: from the customer to the warehouse, the RMA as text,
    Code 128 and QR code (`qr_payload`), the tracking number, and what the parcel holds."""
    with _document(_LABEL_SIZE, margin=_LABEL_MARGIN) as pdf:
        pdf.set_auto_page_break(False)  # a label is one page; the item list is cut instead
        pdf.add_page()
        width = pdf.epw
        _text(pdf, "RETURN", size=15, bold=True, height=7, new_line=False)
        _text(pdf, request.rma_number, size=13, bold=True, height=7, align="R")
        _rule(pdf)

        qr_side = 30.0
        top = pdf.get_y()
        pdf.image(_qr_image(qr_payload), x=pdf.l_margin + width - qr_side, y=top, w=qr_side)
        _party(pdf, "FROM", request.sender, width=width - qr_side - 3, size=8)
        pdf.set_y(max(pdf.get_y(), top + qr_side) + 1)
        _rule(pdf)

        _party(pdf, "TO", request.recipient or _NO_WAREHOUSE, width=width, size=11, name_size=13)
        pdf.ln(2)
        _barcode(pdf, request.rma_number, height=15, left=pdf.l_margin, width=width)
        _text(pdf, request.rma_number, size=11, bold=True, height=5, align="C")
        _text(pdf, f"Tracking: {tracking_number}", size=9, height=4.5, align="C")
        if request.order_number:
            _text(pdf, f"Order: {request.order_number}", size=8, height=4, align="C")
        _rule(pdf)

        if request.lines:
            _text(pdf, "ITEMS", size=7, bold=True, height=3.5)
            _label_items(pdf, request.lines, line_height=3.6)
        return bytes(pdf.output())


def packing_slip_pdf(slip: PackingSlip) -> bytes:
    """The A4 packing slip: which return the parcel belongs to, and what is in it. Long lists
    run onto further pages, the table's heading repeated."""
    with _document("A4", margin=15, footer=slip.rma_number) as pdf:
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_page()
        top = pdf.get_y()
        _text(pdf, "Packing slip", size=22, bold=True, height=10)
        pdf.ln(2)
        created = slip.created
        facts = [
            ("RMA", slip.rma_number),
            ("Order", slip.order_number),
            ("Customer", slip.customer_name),
            ("Created", created.date().isoformat() if isinstance(created, datetime) else created),
        ]
        for name, value in facts:
            if value:
                _text(pdf, f"{name}:", size=10, bold=True, height=5.5, new_line=False, width=25)
                _text(pdf, value, size=10, height=5.5, width=75)
        below_facts = pdf.get_y()

        pdf.set_y(top)
        box = pdf.w - pdf.r_margin - 70
        _barcode(pdf, slip.rma_number, height=18, left=box, width=70)
        pdf.set_x(box)
        _text(pdf, slip.rma_number, size=11, bold=True, height=5, width=70, align="C")
        pdf.set_y(max(below_facts, pdf.get_y()) + 4)

        if slip.return_address is not None:
            _party(pdf, "Return to", slip.return_address, width=pdf.epw, size=10)
            pdf.ln(4)

        pdf.set_font(_FAMILY, size=10)
        heading = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
        with pdf.table(
            col_widths=(3, 10, 2),
            text_align=("LEFT", "LEFT", "RIGHT"),
            headings_style=heading,
            line_height=6,
            repeat_headings=1,
        ) as table:
            table.row(("SKU", "Item", "Quantity"))
            for line in slip.lines:
                table.row((_one_line(line.sku or "—"), _one_line(line.title), str(line.quantity)))
        pdf.ln(6)
        _text(pdf, "Put this slip in the parcel.", size=12, bold=True, height=7)
        return bytes(pdf.output())


class _PDF(FPDF):
    """An FPDF that, given a `footer_text`, writes it and the page number on every page: a
    page of a long slip that goes astray still says which return it belongs to."""

    footer_text = ""

    def footer(self) -> None:
        if self.footer_text:
            self.set_y(-self.b_margin + 3)
            # "{nb}": fpdf2 writes the page count there when the document is done.
            page = f"{self.footer_text} · page {self.page_no()} of {{nb}}"
            _text(self, page, size=8, height=4)


def _label_items(pdf: FPDF, lines: Sequence[LabelLine], *, line_height: float) -> None:
    """As many lines as the label has room for; when they don't all fit, the last line that
    fits says how many were left out."""
    room = max(1, int((pdf.h - _LABEL_MARGIN - pdf.get_y()) // line_height))
    shown = lines if len(lines) <= room else lines[: room - 1]
    for line in shown:
        sku = f"{line.sku} · " if line.sku else ""
        text = f"{line.quantity} \N{MULTIPLICATION SIGN} {sku}{line.title}"
        _text(pdf, text, size=8, height=line_height)
    if len(shown) < len(lines):
        _text(pdf, f"and {len(lines) - len(shown)} more", size=8, bold=True, height=line_height)


@contextmanager
def _document(
    page: str | tuple[float, float], *, margin: float, footer: str = ""
) -> Iterator[FPDF]:
    """An FPDF with DejaVu Sans loaded. The fonts are read while the PDF is written (fontTools
    opens them lazily), so their files must outlive the drawing: hence a context."""
    with ExitStack() as files_open:
        pdf = _PDF(unit="mm", format=page)
        pdf.footer_text = footer
        for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
            pdf.add_font(_FAMILY, style, files_open.enter_context(as_file(_FONTS / name)))
        pdf.set_margins(margin, margin, margin)
        pdf.set_creator("returns-api")
        yield pdf


def _qr(payload: str) -> segno.QRCode:
    # Never a Micro QR (which `segno.make` picks for short payloads): phones don't read them.
    return segno.make_qr(payload, error="m")


def _qr_image(payload: str) -> io.BytesIO:
    """The QR code as an SVG for fpdf2, which draws it as vectors: crisp at any printer's
    resolution. A viewBox instead of a size, as fpdf2 wants."""
    out = io.BytesIO()
    _qr(payload).save(out, kind="svg", border=_QR_BORDER, omitsize=True)
    out.seek(0)
    return out


def _barcode(pdf: FPDF, text: str, *, height: float, left: float, width: float) -> None:
    """`text` as Code 128 below the current line, centred in `width` from `left` with its quiet
    zone. python-barcode encodes; the bars are drawn here as rectangles, because its image
    writer rounds bars to uneven pixel widths (scanners misread them once the PDF is scaled)
    and fpdf2 warns on every SVG it writes (no viewBox)."""
    modules: str = Code128(text).build()[0]  # "1": a bar module, "0": a space module
    module = min(_BARCODE_MODULE_MM, width / (len(modules) + 2 * _BARCODE_QUIET_MODULES))
    x, y = left + (width - len(modules) * module) / 2, pdf.get_y()
    pdf.set_fill_color(0)
    for bar in re.finditer("1+", modules):
        pdf.rect(x + bar.start() * module, y, (bar.end() - bar.start()) * module, height, "F")
    pdf.set_y(y + height)


def _party(
    pdf: FPDF, caption: str, party: Party, *, width: float, size: float, name_size: float = 0
) -> None:
    """A caption, then the party's name (bold) and postal address, each line cut to `width`."""
    left = pdf.get_x()
    _text(pdf, caption.upper(), size=7, bold=True, height=3.5, width=width)
    height = size * 0.45
    pdf.set_x(left)
    _text(pdf, party.name, size=name_size or size, bold=True, height=height + 0.5, width=width)
    for line in _address_lines(party.address):
        pdf.set_x(left)
        _text(pdf, line, size=size, height=height, width=width)


def _address_lines(address: Mapping[str, Any] | None) -> list[str]:
    """The order schemas' `Address` as a label writes it: street lines, postcode and city,
    then region and country."""
    if address is None:
        return []
    lines = [str(line) for line in address.get("lines") or ()]
    city = " ".join(str(part) for part in (address.get("postal_code"), address.get("city")) if part)
    last = ", ".join(str(part) for part in (address.get("region"), address.get("country")) if part)
    return [line for line in (*lines, city, last) if line]


def _text(
    pdf: FPDF,
    text: str,
    *,
    size: float,
    height: float,
    bold: bool = False,
    width: float = 0,
    align: str = "L",
    new_line: bool = True,
) -> None:
    """One line of text, cut with an ellipsis where it would run past `width` (0: the margin)."""
    pdf.set_font(_FAMILY, "B" if bold else "", size)
    room = width or pdf.w - pdf.r_margin - pdf.get_x()
    shown = _fit(pdf, _one_line(text), room - 2 * pdf.c_margin)
    pdf.cell(
        room if new_line or width else pdf.get_string_width(shown) + 2 * pdf.c_margin,
        height,
        shown,
        align=Align.coerce(align),
        new_x=XPos.LMARGIN if new_line else XPos.RIGHT,
        new_y=YPos.NEXT if new_line else YPos.TOP,
    )


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The longest start of `text` that fits `width` with an ellipsis (binary search: titles
    run to 500 characters)."""
    if pdf.get_string_width(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if pdf.get_string_width(text[:middle] + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _rule(pdf: FPDF) -> None:
    pdf.set_line_width(0.3)
    y = pdf.get_y() + 1
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_y(y + 1.5)
