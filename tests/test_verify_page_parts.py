"""The verify page's parts on their own: uploads, the rate limit, the view, the rendering.

The view reads the check report's JSON generically: every verdict value has a
word, an icon and a sentence, ``indeterminate`` and values it does not know
included, and a warnings list of any shape is shown line by line.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import SEED_BUNDLE, SEED_NUMBER, TEST_PAPER, test_key
from pdfsamples import bundle_title, claimed_pdf, make_pdf
from webpage import multipart

from pithtex.core.model import load_bundle
from pithtex.pdf.check import CheckOptions, check_pdf
from pithtex.pdf.render import Mark, encode_png, render_page_png
from pithtex.trust.keyring import Keyring
from pithtex.web.limits import PageLimits
from pithtex.web.ratelimit import RateLimiter
from pithtex.web.upload import UploadError, receive_uploads
from pithtex.web.view import check_rows, verdict_view
from pithtex.web.work import Checked, check_upload, title_marks

LIMITS = PageLimits(max_file_bytes=1000, max_files=2)


def receive(files: list[tuple[str, bytes]], tmp_path: Path, **kwargs: Any) -> list[Any]:
    body, content_type = multipart(files, **kwargs)
    return receive_uploads(io.BytesIO(body), content_type, len(body), tmp_path, LIMITS)


# ---------------------------------------------------------------- uploads


def test_uploads_are_saved_under_our_names_with_the_clients_as_labels(tmp_path: Path) -> None:
    uploads = receive([("../../etc/evil.pdf", b"one"), ("C:\\a\\b\u0007.pdf", b"two")], tmp_path)
    assert [(u.name, u.path.name, u.size) for u in uploads] == [
        ("evil.pdf", "1.pdf", 3),
        ("b.pdf", "2.pdf", 3),
    ]
    assert [u.path.read_bytes() for u in uploads] == [b"one", b"two"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.pdf", "2.pdf"]


def test_a_utf8_file_name_is_kept(tmp_path: Path) -> None:
    (upload,) = receive([("Ünïcödé paper.pdf", b"x")], tmp_path)
    assert upload.name == "Ünïcödé paper.pdf"


@pytest.mark.parametrize(
    ("files", "code", "status"),
    [
        ([("a.pdf", b"x" * 1001)], "upload.too_large", 413),
        ([("a.pdf", b"x"), ("b.pdf", b"y"), ("c.pdf", b"z")], "upload.too_many", 413),
    ],
)
def test_caps_hold_while_reading(
    tmp_path: Path, files: list[tuple[str, bytes]], code: str, status: int
) -> None:
    with pytest.raises(UploadError) as caught:
        receive(files, tmp_path)
    assert (caught.value.code, caught.value.status) == (code, status)


def test_a_file_over_its_cap_is_refused_before_the_rest_is_read(tmp_path: Path) -> None:
    body, content_type = multipart([("a.pdf", b"x" * 100_000)])

    class Counting(io.BytesIO):
        read_bytes = 0

        def read(self, size: int | None = -1, /) -> bytes:
            data = super().read(size)
            Counting.read_bytes += len(data)
            return data

    with pytest.raises(UploadError):
        receive_uploads(Counting(body), content_type, len(body), tmp_path, LIMITS)
    assert Counting.read_bytes < 70_000  # one chunk, not the whole body


def test_a_body_shorter_than_its_length_is_truncated(tmp_path: Path) -> None:
    body, content_type = multipart([("a.pdf", b"x")])
    with pytest.raises(UploadError) as caught:
        receive_uploads(io.BytesIO(body[:20]), content_type, len(body), tmp_path, LIMITS)
    assert caught.value.code == "upload.truncated"


def test_a_body_without_its_end_is_malformed(tmp_path: Path) -> None:
    body, content_type = multipart([("a.pdf", b"x")])
    cut = body[: body.rindex(b"--")]
    with pytest.raises(UploadError) as caught:
        receive_uploads(io.BytesIO(cut), content_type, len(cut), tmp_path, LIMITS)
    assert caught.value.code == "upload.malformed"


def test_part_headers_are_bounded(tmp_path: Path) -> None:
    boundary = "b0undary"
    headers = "".join(f"X-{n}: {'v' * 10}\r\n" for n in range(50))
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="pdf"; filename="a.pdf"\r\n'
        f"{headers}\r\nx\r\n--{boundary}--\r\n"
    ).encode()
    with pytest.raises(UploadError):
        receive_uploads(
            io.BytesIO(body),
            f"multipart/form-data; boundary={boundary}",
            len(body),
            tmp_path,
            LIMITS,
        )


# ---------------------------------------------------------------- the rate limit


def test_the_rate_limit_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(6, 2, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(10.0)  # one token per 10 s
    assert limiter.take("b") == 0.0  # another client has its own bucket
    now[0] = 10.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a", 2) == pytest.approx(20.0)
    assert RateLimiter.retry_after(0.2) == "1"


def test_the_rate_limit_forgets_the_oldest_clients() -> None:
    limiter = RateLimiter(1, 1, max_clients=3, clock=lambda: 0.0)
    for client in "abcd":
        assert limiter.take(client) == 0.0
    assert limiter.take("a") == 0.0  # forgotten: a full bucket again
    assert limiter.take("d") > 0


# ---------------------------------------------------------------- the view


def report(verdict: str, code: str, checks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"verdict": verdict, "code": code, "reason": "because", "checks": checks, **extra}


def check(name: str, status: str, code: str) -> dict[str, Any]:
    return {"check": name, "status": status, "code": code, "reason": "r", "subject": None}


@pytest.mark.parametrize(
    ("verdict", "word", "icon"),
    [
        ("verified", "Verified", "✔"),
        ("failed", "Failed", "✖"),
        ("indeterminate", "Indeterminate", "?"),
        ("no-claim", "No claim", "∅"),
        ("unusable", "Unusable", "⚠"),
        ("something-new", "Something new", "•"),
    ],
)
def test_every_verdict_has_a_word_and_an_icon(verdict: str, word: str, icon: str) -> None:
    view = verdict_view(report(verdict, "x.y", []))
    assert (view.word, view.icon) == (word, icon)
    assert view.reason == "because"


def test_the_words_of_each_verdict_are_distinct_without_colour() -> None:
    values = ("verified", "failed", "indeterminate", "no-claim", "unusable")
    views = [verdict_view(report(v, "c", [])) for v in values]
    assert len({v.word for v in views}) == len({v.icon for v in views}) == len(values)


def test_indeterminate_says_it_is_no_finding_against_the_paper() -> None:
    checks = [check("check.bundle", "skip", "check.bundle.unreachable")]
    view = verdict_view(report("indeterminate", "check.bundle.unreachable", checks))
    assert "not a finding against the paper" in view.headline
    (row,) = check_rows(report("indeterminate", "check.bundle.unreachable", checks))
    assert row.decisive


def test_the_failing_check_is_named_and_marked() -> None:
    checks = [
        check("check.pdf", "pass", "check.pdf.ok"),
        check("check.hash", "fail", "check.hash.mismatch"),
    ]
    data = report("failed", "check.hash.mismatch", checks)
    assert verdict_view(data).headline == "A check failed: The record hash in the PDF."
    rows = check_rows(data)
    assert [r.decisive for r in rows] == [False, True]
    assert [(r.word, r.icon) for r in rows] == [("Pass", "✔"), ("Fail", "✖")]


def test_a_check_status_the_view_does_not_know_is_shown_by_its_name() -> None:
    (row,) = check_rows(
        report("verified", "check.verified", [check("check.new", "warn", "check.new.odd")])
    )
    assert (row.label, row.word, row.icon) == ("check.new", "Warn", "•")


def test_warnings_of_any_shape_are_lines(tmp_path: Path) -> None:
    from pithtex.web.view import result_view

    data = report(
        "verified",
        "check.verified",
        [],
        warnings=[
            "a parser warning",
            {"code": "title.metadata_differs", "message": "dc:title differs"},
            7,
        ],
    )
    view = result_view(Checked("x.pdf", data))
    assert view.warnings == ("a parser warning", "title.metadata_differs: dc:title differs", "7")


def test_title_block_geometry_in_a_report_becomes_marks() -> None:
    data = {
        "title_block": {
            "lines": [
                {"text": "Large Batch", "rect": [72, 700, 540, 720]},
                {"text": "broken", "rect": [1, 2]},
                {"text": "Training", "box": {"left": 90, "bottom": 680, "right": 520, "top": 698}},
            ]
        }
    }
    marks = title_marks(data)
    assert [(m.kind, m.rect) for m in marks] == [
        ("title", (72.0, 700.0, 540.0, 720.0)),
        ("title", (90.0, 680.0, 520.0, 698.0)),
    ]
    assert marks[0].label == "title line 1: Large Batch"
    assert title_marks({"title_block": "nonsense"}) == title_marks({}) == []


def test_a_real_reports_title_block_outlines_the_titles_lines(tmp_path: Path) -> None:
    seed = load_bundle(SEED_BUNDLE)
    claimed = json.loads(SEED_BUNDLE.read_bytes())
    pdf = claimed_pdf(tmp_path / "paper.pdf", claimed)
    report = check_pdf(str(pdf), CheckOptions(keyring=Keyring.default(), bundle=seed)).to_json()
    assert report["verdict"] == "verified", report["reason"]
    marks = title_marks(report)
    shown = " ".join(m.label.split(": ", 1)[1] for m in marks)
    assert shown == bundle_title(claimed)  # every line of the title block, and nothing else
    tops = [m.rect[3] for m in marks]
    assert tops == sorted(tops, reverse=True) and all(m.rect[2] > m.rect[0] for m in marks)


# ---------------------------------------------------------------- the rendering


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_encoding_is_readable_by_an_independent_decoder() -> None:
    from PIL import Image

    pixels = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]) + b"\0\0"  # stride 14
    png = encode_png(pixels + bytes([1, 2, 3] * 4) + b"\0\0", 4, 2, 14)
    image = Image.open(io.BytesIO(png))
    assert image.size == (4, 2) and image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 0, 0) and image.getpixel((3, 1)) == (1, 2, 3)


def test_page_1_is_rendered_within_the_pixel_cap_with_the_badge_mapped(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "p.pdf", title=TEST_PAPER.title, badge="pith:J655K2KR")
    image = render_page_png(pdf, max_pixels=200_000)
    assert image.width * image.height <= 200_000
    assert _png_size(image.png) == (image.width, image.height)
    badges = [r for r in image.regions if r.kind == "badge"]
    assert badges and badges[0].label == "badge text pith:J655K2KR"
    left, top, right, bottom = badges[0].box
    assert 0 <= left < right <= image.width and 0 <= top < bottom <= image.height


def test_marks_follow_a_rotated_page(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "p.pdf", title=TEST_PAPER.title, badge=None)
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        doc.pages[0].Rotate = 90
        doc.save(pdf)
    corner = Mark("title", "bottom left corner", (0, 0, 50, 20))
    image = render_page_png(pdf, max_pixels=100_000, marks=[corner])
    assert image.width > image.height  # shown sideways
    (region,) = [r for r in image.regions if r.kind == "title"]
    # rotated 90° clockwise, the page's bottom left corner is at the picture's top left
    assert region.box[0] == 0 and region.box[1] == 0
    assert region.height > region.width  # 50 x 20 points turned upright


def test_a_file_pdfium_cannot_open_is_a_render_error(tmp_path: Path) -> None:
    from pithtex.pdf.render import RenderError

    broken = tmp_path / "b.pdf"
    broken.write_bytes(b"%PDF-1.7\nnothing else")
    with pytest.raises(RenderError) as caught:
        render_page_png(broken)
    assert caught.value.code == "render.unreadable"


def test_the_worker_returns_the_card_and_page_1_of_a_verified_pdf(tmp_path: Path) -> None:
    import json

    from pdfsamples import claimed_pdf

    from pithtex.web.upload import Upload

    path = claimed_pdf(tmp_path / "seed.pdf", json.loads(SEED_BUNDLE.read_bytes()))
    checked = check_upload(
        CheckOptions(keyring=Keyring.default()), 300_000, Upload("s.pdf", path, 0)
    )
    assert checked.verdict == "verified", checked.report["reason"]
    assert checked.card is not None and checked.card.number == SEED_NUMBER
    assert checked.report["file"] == "s.pdf" and checked.report["record"]["number"] == SEED_NUMBER
    assert checked.page is not None and checked.page_problem is None


def _retracted_bundle() -> dict[str, Any]:
    from pithtex.core.digests import record_number
    from pithtex.trust.signing import (
        BundleBuilder,
        graph_snapshot_event,
        mint_record,
        record_created_event,
        sign_event,
    )

    key, when = test_key(1), "2026-11-03T12:00:00Z"
    record = mint_record(TEST_PAPER)
    number = record_number(record)
    builder = BundleBuilder(record, key)
    builder.events.append(record_created_event(record, key, when))
    snapshot = {"title": TEST_PAPER.title, "authors_text": "Ada Lovelace, Alan Turing"}
    builder.events.append(graph_snapshot_event(record, snapshot, key, when))
    for event_type, payload in (
        ("timestamp_anchor", {"chain": "bitcoin", "txid": "ab" * 32}),
        ("correction", {"correction_type": "retraction", "reason": "data error"}),
    ):
        builder.events.append(sign_event(event_type, number, "record", payload, key, when))
    bundle: dict[str, Any] = builder.build("2026-11-09T00:00:00Z")
    return bundle


def test_a_retraction_is_shown_beside_the_verdict_before_anything_else(tmp_path: Path) -> None:
    from pdfsamples import claimed_pdf

    from pithtex.core.model import Fields, PublicKey
    from pithtex.web.pages import PageContext, report_page
    from pithtex.web.upload import Upload
    from pithtex.web.view import result_view

    keyring = Keyring((PublicKey.parse(Fields(test_key(1).public_entry(), "$")),))
    path = claimed_pdf(tmp_path / "r.pdf", _retracted_bundle())
    checked = check_upload(CheckOptions(keyring=keyring), 200_000, Upload("r.pdf", path, 0))
    assert checked.card is not None and checked.card.retracted
    html = report_page(PageContext.of("/", "this computer", LIMITS), [result_view(checked)])
    alert = html.index('aria-label="Corrections of the record"')
    assert html.index('class="verdict') < alert < html.index('class="card"')
    assert "RETRACTED" in html[alert : alert + 400] and "data error" in html[alert : alert + 400]
    assert "1 timestamp anchor" in html and "timestamp anchor 2026-11-03T12:00:00Z" in html
