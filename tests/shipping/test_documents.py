"""The shipping documents, read back as a scanner and a PDF reader would: every code decodes to
what it should say, the text is there in the customer's own script, and long lists fit."""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from returns_api.core.ids import new_id
from returns_api.shipping.builtin import BuiltInCarrier, tracking_number_for
from returns_api.shipping.carrier import InvalidSignature, Label, LabelLine, LabelRequest, Party
from returns_api.shipping.documents import (
    PackingSlip,
    label_pdf,
    packing_slip_pdf,
    qr_png,
    qr_svg,
)

RMA = "R-7K3M9QX2"
QR = zxingcpp.BarcodeFormat.QRCode
CODE128 = zxingcpp.BarcodeFormat.Code128
TIMES = " \N{MULTIPLICATION SIGN} "  # between quantity and item on the label
CUSTOMER = Party(
    "Анна Müller",
    {
        "lines": ["Hauptstraße 5", "3. OG"],
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
    },
)
WAREHOUSE = Party(
    "Entrepôt Œuvray",
    {"lines": ["12 rue de l'Été"], "postal_code": "69002", "city": "Lyon", "country": "FR"},
)


def items(count: int) -> list[LabelLine]:
    return [LabelLine(f"SKU-{i:02}", f"Article {i}", i % 4 + 1) for i in range(1, count + 1)]


def request(
    lines: Sequence[LabelLine] = (), *, shipment_id: uuid.UUID | None = None
) -> LabelRequest:
    return LabelRequest(
        shipment_id=shipment_id or uuid.uuid4(),
        rma_number=RMA,
        order_number="1001",
        kind="prepaid_label",
        carrier=None,
        service=None,
        sender=CUSTOMER,
        recipient=WAREHOUSE,
        lines=lines,
    )


def read_pdf(pdf: bytes) -> tuple[list[Image.Image], list[str]]:
    """Each page as an image (216 dpi, scale 3) and as its text."""
    document = pdfium.PdfDocument(pdf)
    try:
        images, texts = [], []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            images.append(page.render(scale=3).to_pil())
            textpage.close()
            page.close()
        return images, texts
    finally:
        document.close()


def codes(image: Image.Image) -> set[tuple[zxingcpp.BarcodeFormat, str]]:
    return {(code.format, code.text) for code in zxingcpp.read_barcodes(image)}


@pytest.mark.parametrize("qr_payload", [RMA, "https://carrier.example/drop-off/A1B2C3"])
def test_the_label_has_the_qr_payload_as_qr_code_and_the_rma_as_code_128(qr_payload: str) -> None:
    pdf = label_pdf(request(items(3)), tracking_number="RT0001", qr_payload=qr_payload)
    [page], _ = read_pdf(pdf)
    assert codes(page) == {(QR, qr_payload), (CODE128, RMA)}


def test_the_label_is_one_4x6_inch_page() -> None:
    document = pdfium.PdfDocument(label_pdf(request(), tracking_number="RT1", qr_payload=RMA))
    assert [page.get_size() for page in document] == [(288, 432)]  # points
    document.close()


def test_the_label_writes_addresses_in_their_own_script() -> None:
    pdf = label_pdf(request(items(2)), tracking_number="RT0123456789ABCDEF", qr_payload=RMA)
    [text] = read_pdf(pdf)[1]
    for expected in [
        "Анна Müller",
        "Hauptstraße 5",
        "10115 Berlin",
        "Entrepôt Œuvray",
        "12 rue de l'Été",
        "69002 Lyon",
        RMA,
        "RT0123456789ABCDEF",
        f"2{TIMES}SKU-01 · Article 1",
        f"3{TIMES}SKU-02 · Article 2",
    ]:
        assert expected in text


def test_a_label_with_more_items_than_room_lists_the_first_and_counts_the_rest() -> None:
    pdf = label_pdf(request(items(30)), tracking_number="RT1", qr_payload=RMA)
    [page], [text] = read_pdf(pdf)
    shown = re.findall(r"SKU-(\d+)", text)
    more = re.search(r"and (\d+) more", text)
    assert more is not None
    assert shown == [f"{i:02}" for i in range(1, len(shown) + 1)]
    assert len(shown) + int(more[1]) == 30
    assert codes(page) == {(QR, RMA), (CODE128, RMA)}


def test_a_title_too_long_for_the_label_is_cut_with_an_ellipsis() -> None:
    line = LabelLine("SKU-1", "Winter jacket " + "with a hood " * 40, 1)
    [text] = read_pdf(label_pdf(request([line]), tracking_number="RT1", qr_payload=RMA))[1]
    assert f"1{TIMES}SKU-1 · Winter jacket with a hood" in text
    assert "…" in text
    assert "more" not in text


def slip(lines: Sequence[LabelLine], **changes: Any) -> PackingSlip:
    shown = PackingSlip(
        rma_number=RMA,
        order_number="1001",
        customer_name="Анна Müller",
        created=datetime(2026, 3, 4, 15, 30, tzinfo=UTC),
        return_address=WAREHOUSE,
        lines=lines,
    )
    return replace(shown, **changes)


def test_the_packing_slip_has_the_rma_as_code_128() -> None:
    [page], _ = read_pdf(packing_slip_pdf(slip(items(3))))
    assert codes(page) == {(CODE128, RMA)}


def test_the_packing_slip_lists_each_item_with_its_quantity() -> None:
    lines = [LabelLine("TS-BLU-M", "T-shirt, blue, M", 2), LabelLine(None, "Шарф «Зима»", 1)]
    [text] = read_pdf(packing_slip_pdf(slip(lines)))[1]
    rows = text.splitlines()
    assert "TS-BLU-M T-shirt, blue, M 2" in rows
    assert "— Шарф «Зима» 1" in rows
    for expected in [
        "Packing slip",
        f"RMA: {RMA}",
        "Order: 1001",
        "Customer: Анна Müller",
        "Created: 2026-03-04",
        "Entrepôt Œuvray",
        "Put this slip in the parcel.",
    ]:
        assert expected in text


def test_a_created_date_given_as_text_is_shown_as_given() -> None:
    [text] = read_pdf(packing_slip_pdf(slip(items(1), created="4. März 2026")))[1]
    assert "Created: 4. März 2026" in text


def test_forty_items_run_onto_a_second_page_with_every_sku_and_the_heading_again() -> None:
    images, texts = read_pdf(packing_slip_pdf(slip(items(40))))
    assert len(texts) >= 2
    everything = "\n".join(texts)
    assert re.findall(r"SKU-\d+", everything) == [f"SKU-{i:02}" for i in range(1, 41)]
    assert all("SKU Item Quantity" in text for text in texts)
    assert all(f"{RMA} · page {n} of {len(texts)}" in text for n, text in enumerate(texts, 1))
    assert "Put this slip in the parcel." in texts[-1]
    assert codes(images[0]) == {(CODE128, RMA)}


@pytest.mark.parametrize("payload", ["R-1", RMA, "https://returns.example/r/R-7K3M9QX2?ü=1"])
def test_qr_png_decodes_to_the_payload_as_a_full_qr_code(payload: str) -> None:
    image = Image.open(io.BytesIO(qr_png(payload)))
    assert codes(image) == {(QR, payload)}  # never a Micro QR, which phones do not read
    assert image.getpixel((0, 0)) == image.getpixel((39, 39)) != 0  # 4 white modules of 10 px


def test_qr_svg_is_an_svg_document_with_a_path() -> None:
    svg = qr_svg(RMA)
    assert svg.startswith((b"<?xml", b"<svg"))
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findall(".//{http://www.w3.org/2000/svg}path")


def test_the_builtin_carrier_gives_a_retry_the_same_label() -> None:
    shipment_id = new_id()
    first = BuiltInCarrier().create_return_shipment(request(items(2), shipment_id=shipment_id))
    again = BuiltInCarrier().create_return_shipment(request(items(2), shipment_id=shipment_id))
    assert first.tracking_number == again.tracking_number
    assert first.tracking_number == "RT" + shipment_id.hex.upper()
    assert (first.carrier, first.qr_payload, first.label_url) == ("builtin", RMA, None)
    assert first.label_pdf is not None
    [page], [text] = read_pdf(first.label_pdf)
    assert codes(page) == {(QR, RMA), (CODE128, RMA)}
    assert first.tracking_number in text


def test_shipments_created_in_the_same_millisecond_get_different_tracking_numbers() -> None:
    # Made in a loop, most of these UUIDv7 share their millisecond, and with it the first 16
    # hex digits: a tracking number from a prefix of the id would repeat.
    shipment_ids = [new_id() for _ in range(1000)]
    assert len({tracking_number_for(shipment_id) for shipment_id in shipment_ids}) == 1000


def test_the_builtin_carrier_keeps_the_return_methods_carrier_name() -> None:
    label = BuiltInCarrier().create_return_shipment(replace(request(), carrier="own-van"))
    assert label.carrier == "own-van"


def test_voiding_a_builtin_label_does_nothing_and_it_takes_no_webhooks() -> None:
    carrier = BuiltInCarrier()
    carrier.void(Label(carrier="builtin", tracking_number="RT1"))  # nothing bought: no error
    with pytest.raises(InvalidSignature, match="sends no webhooks"):
        carrier.tracking_scans(b"{}", {"content-type": "application/json"})


def test_the_fonts_and_their_licence_are_package_data() -> None:
    fonts = files("returns_api.shipping") / "fonts"
    assert {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"} <= {f.name for f in fonts.iterdir()}
    assert "Bitstream" in (fonts / "LICENSE").read_text()
