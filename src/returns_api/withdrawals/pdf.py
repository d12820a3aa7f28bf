"""The withdrawal statement and its receipt as a PDF: what the acknowledgement attaches and a
merchant exports for a dispute. Drawn with fpdf2 (already the shipping documents' library:
pure Python, maintained, no system dependencies) in the DejaVu Sans the shipping documents
bundle, so names such as Müller or Дмитриев print."""

from __future__ import annotations

from importlib.resources import as_file, files

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from returns_api.withdrawals.schemas import WithdrawalOut

_FONTS = files("returns_api.shipping") / "fonts"
_FAMILY = "DejaVu"


def statement_pdf(withdrawal: WithdrawalOut) -> bytes:
    """One A4 page (more for a long order): the statement, the items and when it arrived."""
    with (
        as_file(_FONTS / "DejaVuSans.ttf") as regular,
        as_file(_FONTS / "DejaVuSans-Bold.ttf") as bold,
    ):
        pdf = FPDF(unit="mm", format="A4")
        pdf.add_font(_FAMILY, "", regular)
        pdf.add_font(_FAMILY, "B", bold)
        pdf.set_creator("returns-api")
        pdf.set_title("Withdrawal from contract")
        pdf.set_margins(20, 20, 20)
        pdf.set_auto_page_break(True, margin=20)
        pdf.add_page()
        _line(pdf, "Withdrawal from contract", size=18, bold=True)
        pdf.ln(3)
        statement = withdrawal.statement
        pdf.set_font(_FAMILY, size=11)
        pdf.multi_cell(0, 6, statement.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        received = withdrawal.received_at
        for name, value in (
            ("Name", statement.consumer_name),
            ("E-mail", statement.email),
            ("Order", statement.order_number),
            ("Statement made", statement.submitted_at.isoformat()),
            ("Received (confirmed)", received.isoformat() if received else "not yet confirmed"),
            ("Reference", str(withdrawal.id)),
        ):
            _line(pdf, f"{name}: {value}", size=10)
        pdf.ln(3)
        _line(pdf, "Items", size=12, bold=True)
        for item in statement.items:
            sku = f" ({item.sku})" if item.sku else ""
            _line(pdf, f"{item.quantity} x {item.title}{sku}", size=10)
        return bytes(pdf.output())


def _line(pdf: FPDF, text: str, *, size: float, bold: bool = False) -> None:
    pdf.set_font(_FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.55, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
