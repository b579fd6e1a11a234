"""Receiving uploaded PDFs: a ``multipart/form-data`` body streamed into a private folder.

:func:`receive_uploads` reads exactly ``Content-Length`` bytes from the
request, in chunks, through python-multipart's streaming parser.  Each file
part of the form field :data:`FILE_FIELD` is written to a file *named by
us* (``1.pdf``, ``2.pdf``, ...) in the folder the caller made, never under a
name the client chose; the client's file name is kept only as a label.  The
caps of :class:`~pithtex.web.limits.PageLimits` hold while reading: a body
longer than allowed is refused before a byte is read, a file that grows past
its cap is refused as soon as it does, and the whole body must arrive within
``upload_seconds``.  Refusals are :class:`UploadError` with an HTTP status.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from pithtex.core.errors import InputError
from pithtex.web.limits import MIB, PageLimits

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = [
    "FILE_FIELD",
    "Readable",
    "Upload",
    "UploadError",
    "receive_uploads",
    "request_length",
]

FILE_FIELD = "pdf"
"""The form field that carries the PDFs."""
CHUNK = 64 * 1024
MAX_LABEL = 200
MAX_PART_HEADERS = 8
MAX_HEADER_BYTES = 4096


class Readable(Protocol):
    """A request body: what :func:`receive_uploads` reads from."""

    def read(self, size: int = -1, /) -> bytes: ...


class UploadError(InputError):
    """A request the page refuses; ``status`` is the HTTP status to answer with."""

    default_code = "upload.malformed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int = 400,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Upload:
    """One received file: where it is, and the name the client gave it."""

    name: str
    """The client's file name, without folders or control characters (a label only)."""
    path: Path
    size: int


def request_length(header: str | None, limits: PageLimits) -> int:
    """The body length a request declares, refused when missing, malformed or too long."""
    if header is None:
        raise UploadError("the upload has no Content-Length", code="upload.no_length", status=411)
    try:
        length = int(header.strip())
    except ValueError:
        raise UploadError(f"Content-Length {header[:40]!r} is not a number") from None
    if length < 0:
        raise UploadError(f"Content-Length {length} is negative")
    if length > limits.max_request_bytes:
        raise too_large(limits)
    return length


def too_large(limits: PageLimits) -> UploadError:
    return UploadError(
        f"the upload is larger than this page accepts ({_mib(limits.max_file_bytes)} per "
        f"file, {limits.max_files} files at a time)",
        code="upload.too_large",
        status=413,
    )


def _mib(size: int) -> str:
    return f"{size / MIB:g} MiB"


def receive_uploads(
    body: Readable,
    content_type: str | None,
    length: int,
    directory: Path,
    limits: PageLimits,
) -> list[Upload]:
    """Read a ``multipart/form-data`` body of ``length`` bytes; its PDFs, saved in ``directory``."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadError(
            "the upload is not multipart/form-data", code="upload.media_type", status=415
        )
    receiver = _Receiver(directory, limits)
    try:
        parser = MultipartParser(
            boundary,
            receiver.callbacks(),
            max_size=limits.max_request_bytes,
            max_header_count=MAX_PART_HEADERS,
            max_header_size=MAX_HEADER_BYTES,
        )
        _feed(parser, body, length, limits)
        parser.finalize()
    except MultipartParseError as exc:
        raise UploadError(f"the upload is not a well-formed form ({exc})") from None
    finally:
        receiver.close()
    if not receiver.complete:
        raise UploadError("the upload ended before its last part")
    return receiver.uploads


def _feed(parser: MultipartParser, body: Readable, length: int, limits: PageLimits) -> None:
    deadline = time.monotonic() + limits.upload_seconds
    remaining = length
    while remaining > 0:
        chunk = body.read(min(CHUNK, remaining))
        if not chunk:
            raise UploadError("the upload ended early", code="upload.truncated")
        remaining -= len(chunk)
        parser.write(chunk)
        if time.monotonic() > deadline:
            raise UploadError(
                f"the upload took longer than {limits.upload_seconds:g} s",
                code="upload.slow",
                status=408,
            )


class _Receiver:
    """The parser's callbacks: part headers collected, file parts written to disk."""

    def __init__(self, directory: Path, limits: PageLimits) -> None:
        self.directory = directory
        self.limits = limits
        self.uploads: list[Upload] = []
        self.complete = False
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._file: BinaryIO | None = None
        self._upload: Upload | None = None
        self._size = 0

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def part_begin(self) -> None:
        self._headers = {}
        self._field = self._value = b""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field = self._value = b""

    def headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"").decode("latin-1")
        _, options = parse_options_header(disposition)
        name = options.get(b"name", b"").decode("latin-1")
        filename = options.get(b"filename")
        if name != FILE_FIELD or filename is None:
            return  # another field: ignored, its bytes counted in the body's cap
        label = _label(filename)
        if not label:
            return  # the file input submitted with no file chosen
        if len(self.uploads) >= self.limits.max_files:
            raise UploadError(
                f"at most {self.limits.max_files} files at a time",
                code="upload.too_many",
                status=413,
            )
        path = self.directory / f"{len(self.uploads) + 1}.pdf"
        self._file = path.open("xb")
        self._upload = Upload(label, path, 0)
        self._size = 0

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:
            return
        self._size += end - start
        if self._size > self.limits.max_file_bytes:
            raise UploadError(
                f"{self._upload.name if self._upload else 'a file'} is larger than "
                f"{_mib(self.limits.max_file_bytes)}",
                code="upload.too_large",
                status=413,
            )
        self._file.write(data[start:end])

    def part_end(self) -> None:
        if self._file is None or self._upload is None:
            return
        self._file.close()
        self._file = None
        self.uploads.append(Upload(self._upload.name, self._upload.path, self._size))
        self._upload = None

    def end(self) -> None:
        self.complete = True

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _label(filename: bytes) -> str:
    """A client's file name as a label: UTF-8 (as browsers send it), base name, printable."""
    try:
        text = filename.decode("utf-8")
    except UnicodeDecodeError:
        text = filename.decode("latin-1")
    base = text.replace("\\", "/").rsplit("/", 1)[-1]
    printable = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    return printable.strip()[:MAX_LABEL]
