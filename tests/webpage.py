"""Helpers of the verify page tests: the page's servers as real processes, uploads, PDFs.

* :class:`PageProcess` starts ``pithtex ui`` or ``pithtex serve SITE --check-page``
  as a subprocess on a free port of 127.0.0.1 and stops it;
* :func:`post` uploads files as a browser's form does (``multipart/form-data``);
* :class:`Samples` names the PDFs of the ``samples`` fixture (``webfixtures``).
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conftest import ROOT


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class PageProcess:
    """A ``pithtex`` verb serving the verify page, as a subprocess."""

    def __init__(self, args: Sequence[str | Path], temp: Path, env: dict[str, str] | None = None):
        temp.mkdir(parents=True, exist_ok=True)
        self.temp = temp
        merged = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TMPDIR": str(temp),
            "PITHTEX_RESOLVERS": "http://127.0.0.1:9",  # nothing listens: never the network
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pithtex", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=merged,
        )
        self.lines: list[str] = []
        self.url = self._wait_for_url()

    def _wait_for_url(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("verify page at "):
                return line.split(" at ", 1)[1].split()[0].rstrip("/") + "/"
        self.process.wait(10)
        assert self.process.stderr is not None
        raise AssertionError(f"no URL printed: {self.lines} {self.process.stderr.read()}")

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def stop(self) -> str:
        """Stop the server; its stderr."""
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err

    def uploads_left(self) -> list[Path]:
        return sorted(self.temp.glob("pithtex-web-*"))


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 60,
) -> Answer:
    """One HTTP request with ``http.client`` (every header as given, nothing added but Host)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        connection.close()


def multipart(files: Sequence[tuple[str, bytes]], field: str = "pdf") -> tuple[bytes, str]:
    """A form body carrying ``files`` as a browser sends them, and its Content-Type."""
    boundary = f"----pithtex{uuid.uuid4().hex}"
    parts = []
    for name, data in files:
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        parts.append(head.encode("utf-8") + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post(
    url: str,
    files: Sequence[tuple[str, bytes]],
    *,
    accept: str = "text/html",
    query: str = "",
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    """Upload ``files`` to the page's ``check`` route, as its form does."""
    body, content_type = multipart(files)
    sent = {"Content-Type": content_type, "Accept": accept, **(headers or {})}
    return request("POST", url + "check" + query, body, sent, timeout=timeout)


def results(answer: Answer) -> list[dict[str, Any]]:
    """The reports of a JSON answer."""
    import json

    assert answer.status == 200, answer.text
    document = json.loads(answer.body)
    assert document["schema"] == "pithtex.verify-page/1"
    return list(document["results"])


@dataclass(frozen=True)
class Samples:
    stamped: Path
    """The sample paper, compiled and stamped by ``pithtex demo`` (embedded bundle)."""
    tampered: Path
    """The same file, its Info record hash changed: ``check.hash`` fails."""
    not_pdf: Path
    slow: Path
    """A 3 KB PDF whose page 1 fills two million rectangles: seconds to read and render."""
