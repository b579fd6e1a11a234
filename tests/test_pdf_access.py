"""The PDF access layer: page 1 for PDFium (checked, copied alone), its text runs and renderings.

The copy must give PDFium the same text as the received file, leave out what
PDFium must not parse (images when reading text, unused forms, the catalog),
and refuse what it cannot parse within bounds: forms, Type 3 glyphs and soft
masks that draw themselves, inline images that inflate beyond the cap.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from conftest import ROOT, SEED_TITLE
from pdfsamples import draw_page
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from pithtex.pdf._access.document import open_for_reading
from pithtex.pdf._access.limits import ReadLimits, StreamError

PRODUCERS = ROOT / "samples" / "producers"
MIB = 1024 * 1024


def pdfium_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def page1_copy_text(path: Path, limits: ReadLimits | None = None) -> str:
    with open_for_reading(path, limits or ReadLimits()) as document:
        return document.page1_view().text()


def written(pdf: pikepdf.Pdf, path: Path) -> Path:
    pdf.save(path)
    return path


def paper(path: Path) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(draw_page(SEED_TITLE, "pith:J655K2KR")))


def form(pdf: pikepdf.Pdf, content: bytes, **resources: pikepdf.Object) -> pikepdf.Stream:
    xobject = pdf.make_stream(content, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
    xobject.BBox = pikepdf.Array([0, 0, 100, 100])
    if resources:
        xobject.Resources = pikepdf.Dictionary(**resources)
    return xobject


def self_drawing(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    xobject = form(pdf, b"/X0 Do")
    xobject.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X0=xobject))
    return xobject


@pytest.mark.parametrize("name", ["ghostscript.pdf", "reportlab.pdf"])
def test_the_copy_gives_pdfium_the_same_text(name: str) -> None:
    assert page1_copy_text(PRODUCERS / name) == pdfium_text(PRODUCERS / name)


def test_text_drawn_in_forms_survives_the_copy(tmp_path: Path) -> None:
    """A paper drawn inside a form that a marker form is used in 1,000 times."""
    pdf = paper(tmp_path / "p.pdf")
    page = pdf.pages[0]
    body = form(pdf, page.Contents.read_bytes(), **dict(page.Resources.items()))
    marker = form(pdf, b"0 0 m 1 1 l S")
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Body=body, M=marker))
    page.Contents = pdf.make_stream(b"/Body Do " + b"/M Do " * 1000)
    path = written(pdf, tmp_path / "forms.pdf")
    text = page1_copy_text(path)
    assert SEED_TITLE.split(":")[0] in text.replace("\r\n", " ")
    assert text == pdfium_text(path)


def test_a_type3_glyph_that_draws_a_self_drawing_form_is_refused(tmp_path: Path) -> None:
    pdf = paper(tmp_path / "p.pdf")
    glyph = pdf.make_stream(b"1000 0 d0 /X0 Do")
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type3,
            FontBBox=[0, 0, 1000, 1000],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
            CharProcs=pikepdf.Dictionary(a=glyph),
            Encoding=pikepdf.Dictionary(Differences=[97, pikepdf.Name.a]),
            FirstChar=97,
            LastChar=97,
            Widths=[1000],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(X0=self_drawing(pdf))),
        )
    )
    page = pdf.pages[0]
    page.add_resource(font, pikepdf.Name.Font, pikepdf.Name("/T3"))
    page.contents_add(pdf.make_stream(b"BT /T3 12 Tf 72 72 Td (a) Tj ET"))
    with pytest.raises(StreamError) as info:
        page1_copy_text(written(pdf, tmp_path / "type3.pdf"))
    assert info.value.code == "page.cycle"


def test_a_soft_mask_that_draws_itself_is_refused(tmp_path: Path) -> None:
    pdf = paper(tmp_path / "p.pdf")
    mask = pikepdf.Dictionary(Type=pikepdf.Name.Mask, S=pikepdf.Name.Luminosity)
    mask.G = self_drawing(pdf)
    state = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, SMask=mask))
    page = pdf.pages[0]
    page.add_resource(state, pikepdf.Name.ExtGState, pikepdf.Name("/GS0"))
    page.contents_add(pdf.make_stream(b"/GS0 gs 0 0 10 10 re f"))
    with pytest.raises(StreamError) as info:
        page1_copy_text(written(pdf, tmp_path / "mask.pdf"))
    assert info.value.code == "page.cycle"


def test_an_inline_image_bomb_is_charged_to_the_content_cap(tmp_path: Path) -> None:
    pdf = paper(tmp_path / "p.pdf")
    data = zlib.compress(bytes(32 * MIB), 9)
    image = b"q BI /W 4096 /H 8192 /BPC 8 /CS /G /F /Fl ID " + data + b" EI Q\n"
    pdf.pages[0].contents_add(pdf.make_stream(image))
    with pytest.raises(StreamError) as info:
        page1_copy_text(written(pdf, tmp_path / "inline.pdf"))
    assert info.value.code == "stream.too_large"


def test_unused_forms_and_other_pages_are_left_out(tmp_path: Path) -> None:
    pdf = paper(tmp_path / "p.pdf")
    unused = form(pdf, b"0 0 m 9 9 l S")
    pdf.pages[0].add_resource(unused, pikepdf.Name.XObject, pikepdf.Name("/Unused"))
    pdf.add_blank_page()
    pdf.pages[1].contents_add(pdf.make_stream(b"BT /F1 9 Tf (PAGE-TWO-TEXT) Tj ET"))
    path = written(pdf, tmp_path / "two.pdf")
    with open_for_reading(path) as document:
        copy = pikepdf.open(io.BytesIO(document.page1_view().pdf_bytes))
    assert len(copy.pages) == 1 and "/Metadata" not in copy.Root
    assert copy.pages[0].Resources.XObject.Unused.read_bytes() == b""
    assert all(b"PAGE-TWO-TEXT" not in bytes(obj.unparse()) for obj in copy.objects)


def image_pdf(tmp_path: Path, width: int, height: int) -> Path:
    pdf = paper(tmp_path / "p.pdf")
    image = pdf.make_stream(
        zlib.compress(bytes([0x40]) * 100),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=width,
        Height=height,
        BitsPerComponent=8,
        ColorSpace=pikepdf.Name.DeviceGray,
        Filter=pikepdf.Name.FlateDecode,
    )
    pdf.pages[0].add_resource(image, pikepdf.Name.XObject, pikepdf.Name("/Im0"))
    pdf.pages[0].contents_add(pdf.make_stream(b"q 100 0 0 100 0 0 cm /Im0 Do Q"))
    return written(pdf, tmp_path / f"image-{width}.pdf")


def copied_image(path: Path, *, images: bool) -> bytes:
    with open_for_reading(path) as document:
        copy = pikepdf.open(io.BytesIO(document.page1_view(images=images).pdf_bytes))
    return bytes(copy.pages[0].Resources.XObject.Im0.read_raw_bytes())


def test_images_are_left_out_for_text_and_kept_for_rendering_when_bounded(
    tmp_path: Path,
) -> None:
    small = image_pdf(tmp_path, 10, 10)
    assert copied_image(small, images=False) == b""
    assert copied_image(small, images=True) != b""
    huge = image_pdf(tmp_path, 100_000, 100_000)
    assert copied_image(huge, images=True) == b""  # 40 GB of pixels: not for PDFium
    with open_for_reading(huge) as document:
        picture = document.page1_view(images=True).render(scale=0.5)
    assert picture.width == pytest.approx(A4[0] / 2, abs=1)


def test_text_runs_give_boxes_font_sizes_and_render_modes(tmp_path: Path) -> None:
    path = tmp_path / "runs.pdf"
    drawing = canvas.Canvas(str(path), pagesize=A4)
    drawing.setFont("Helvetica-Bold", 17)
    drawing.drawString(72, 760, "Visible Title")
    text = drawing.beginText(72, 700)
    text.setFont("Helvetica", 9)
    text.setTextRenderMode(3)
    text.textLine("hidden words")
    drawing.drawText(text)
    drawing.save()
    from pithtex.pdf._access.glyphs import page_runs, reading_frame, run_glyphs

    with open_for_reading(path) as document:
        view = document.page1_view()
        found = page_runs(view, max_top=view.height)
        glyphs = run_glyphs(view, reading_frame(view), found.runs)
    title = [g for g in glyphs if g.rect[3] > 740 and not g.char.isspace()]
    hidden = [g for g in glyphs if g.rect[3] < 720 and not g.char.isspace()]
    assert "".join(g.char for g in title) == "VisibleTitle"
    assert "".join(g.char for g in hidden) == "hiddenwords"
    assert all(g.size == pytest.approx(17) and g.render_mode == 0 for g in title)
    assert all(g.aspect == pytest.approx(1) and g.angle == pytest.approx(0) for g in title)
    assert all(g.size == pytest.approx(9) and g.render_mode == 3 for g in hidden)
    left, right = min(g.rect[0] for g in title), max(g.rect[2] for g in title)
    top = max(g.rect[3] for g in title)
    assert left == pytest.approx(72, abs=2) and 755 < top < 780 and right > left


def test_rendering_a_region_in_grey_within_its_cap(tmp_path: Path) -> None:
    path = PRODUCERS / "reportlab.pdf"
    with open_for_reading(path, ReadLimits(max_render_pixels=4 * MIB)) as document:
        view = document.page1_view(images=True)
        top = (0.0, view.height - 150, view.width, view.height)
        picture = view.render(top, scale=2)
        assert (picture.width, picture.height) == (round(view.width * 2), 300)
        assert len(picture.pixels) == picture.width * picture.height
        assert min(picture.pixels) < 100 < max(picture.pixels)  # dark text on white
        with pytest.raises(StreamError) as info:
            view.render(scale=10)
    assert info.value.code == "render.too_large"


def test_every_cap_is_a_field_of_read_limits(tmp_path: Path) -> None:
    """Lower caps refuse what the defaults allow: one source for each of them."""
    path = PRODUCERS / "reportlab.pdf"
    for limits, code in (
        (ReadLimits(max_page_content_bytes=100), "stream.too_large"),
        (ReadLimits(max_page_resource_bytes=100), "stream.too_large"),
        (ReadLimits(max_page_objects=2), "page.too_complex"),
    ):
        with pytest.raises(StreamError) as info:
            page1_copy_text(path, limits)
        assert info.value.code == code, limits


def test_content_streams_count_together_against_the_cap(tmp_path: Path) -> None:
    """Four content streams of 6 MiB each: each under the 16 MiB cap, together over it."""
    pdf = paper(tmp_path / "p.pdf")
    line = b"0 0 m 1 1 l S\n"
    for _ in range(4):
        stream = pikepdf.Stream(pdf, b"")
        stream.write(zlib.compress(line * (6 * MIB // len(line))), filter=pikepdf.Name.FlateDecode)
        pdf.pages[0].contents_add(pdf.make_indirect(stream))
    path = tmp_path / "parts.pdf"
    pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    with pytest.raises(StreamError) as info:
        page1_copy_text(path)
    assert info.value.code == "stream.too_large"


def test_the_verify_page_rendering_goes_through_the_same_caps(tmp_path: Path) -> None:
    """pithtex.pdf.render renders the checked copy of page 1: a self-drawing form is refused."""
    from pithtex.pdf.render import RenderError, render_page_png

    pdf = paper(tmp_path / "p.pdf")
    xobject = self_drawing(pdf)
    pdf.pages[0].add_resource(xobject, pikepdf.Name.XObject, pikepdf.Name("/X0"))
    pdf.pages[0].contents_add(pdf.make_stream(b"/X0 Do"))
    with pytest.raises(RenderError) as info:
        render_page_png(written(pdf, tmp_path / "cycle.pdf"))
    assert info.value.code == "render.unreadable" and "draws itself" in info.value.message
    image = render_page_png(image_pdf(tmp_path, 10, 10), max_pixels=100_000)
    assert image.width * image.height <= 100_000
    assert [r.label for r in image.regions if r.kind == "badge"] == ["badge text pith:J655K2KR"]


def test_glyphs_read_through_direct_prototypes_agree_with_pypdfium2(tmp_path: Path) -> None:
    """The per-character reader calls PDFium through its own C prototypes (no pypdfium2
    argument checks): a wrong return or argument type there would read garbage, so every
    field it reads is compared with pypdfium2's own bindings, character by character."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    from pithtex.pdf._access.glyphs import page_runs as read_runs
    from pithtex.pdf._access.glyphs import reading_frame, run_glyphs

    path = tmp_path / "page.pdf"
    path.write_bytes(draw_page("Glyphs Read Directly Agree With Their Bindings", "pith:ABCDEFGH"))
    with open_for_reading(path) as document:
        view = document.page1_view(images=True)
        frame = reading_frame(view)
        runs = read_runs(view, max_top=view.height)
        glyphs = run_glyphs(view, frame, runs.runs)
        textpage = view._text()
        assert len(glyphs) > 40 and runs.total == pdfium_c.FPDFText_CountChars(textpage)
        every = range(0, runs.total, max(1, runs.total // len(runs.sizes)))
        assert runs.sizes == tuple(pdfium_c.FPDFText_GetFontSize(textpage, i) for i in every)
        assert {9.0, 10.0, 11.0, 17.0} <= set(runs.sizes)
        box = [ctypes.c_double() for _ in range(4)]
        origin = [ctypes.c_double() for _ in range(2)]
        for glyph in glyphs:
            index = glyph.position
            assert glyph.char == chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
            pdfium_c.FPDFText_GetCharBox(textpage, index, *map(ctypes.byref, box))
            left, right, bottom, top = (value.value for value in box)
            assert glyph.rect == (left, bottom, right, top)
            pdfium_c.FPDFText_GetCharOrigin(textpage, index, *map(ctypes.byref, origin))
            m = frame.to_reading
            assert glyph.baseline == pytest.approx(
                m.b * origin[0].value + m.d * origin[1].value + m.f
            )
            assert glyph.size == pdfium_c.FPDFText_GetFontSize(textpage, index)
            handle = pdfium_c.FPDFText_GetTextObject(textpage, index)
            assert glyph.text_object == (ctypes.cast(handle, ctypes.c_void_p).value or 0)
            mode = pdfium_c.FPDFTextObj_GetTextRenderMode(handle) if handle else None
            assert glyph.render_mode == mode
            assert glyph.angle == pytest.approx(
                frame.angle(pdfium_c.FPDFText_GetCharAngle(textpage, index))
            )
            assert glyph.generated == (pdfium_c.FPDFText_IsGenerated(textpage, index) == 1)
