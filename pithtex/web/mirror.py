"""``pithtex serve SITE --check-page``: the verify page on a mirror's public server.

The mirror's server (:class:`pithtex.registry.server.MirrorServer`) is not
changed: :class:`CheckPageMirrorHandler` is a subclass of its handler that
answers the page's paths under :data:`CHECK_PAGE_PREFIX` with a
:class:`~pithtex.web.app.CheckPage` and leaves every other path to the
mirror.  The page has the limits of a public page
(:data:`~pithtex.web.limits.MIRROR_LIMITS`: small files, a per-client rate,
few workers), and its temporary files are never under the site: a
temporary folder inside it is refused at start.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pithtex.core.errors import InputError
from pithtex.pdf.check import CheckOptions
from pithtex.registry.server import DEFAULT_MAX_AGE, MirrorHandler, MirrorServer
from pithtex.web.app import CheckPage, answer_http
from pithtex.web.limits import MIRROR_LIMITS, PageLimits

__all__ = [
    "CHECK_PAGE_PREFIX",
    "CheckPageMirrorHandler",
    "CheckPageMirrorServer",
    "serve_with_check_page",
]

CHECK_PAGE_PREFIX = "/check/"
"""Where the page lives on a mirror; it takes precedence over a ``check`` folder of the site."""


class CheckPageMirrorServer(MirrorServer):
    """A mirror server with the verify page at :data:`CHECK_PAGE_PREFIX`."""

    page: CheckPage


class CheckPageMirrorHandler(MirrorHandler):
    """The mirror's handler, with the page's paths answered by the page."""

    server: CheckPageMirrorServer

    def _page_path(self) -> bool:
        return self.server.page.owns(unquote(urlsplit(self.path).path))

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self._page_path():
            answer_http(self, self.server.page)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        if self._page_path():
            answer_http(self, self.server.page)
        else:
            super().do_HEAD()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if self._page_path():
            answer_http(self, self.server.page)
        else:
            super().do_POST()


def serve_with_check_page(
    root: str | Path,
    options: CheckOptions,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    limits: PageLimits = MIRROR_LIMITS,
    max_age: int = DEFAULT_MAX_AGE,
    access_log: bool = False,
) -> CheckPageMirrorServer:
    """A bound mirror server for ``root`` with the verify page (call ``serve_forever``)."""
    page = CheckPage(
        options,
        limits,
        prefix=CHECK_PAGE_PREFIX,
        where="this server",
        forbidden_root=Path(root),
    )
    try:
        server = CheckPageMirrorServer(
            root,
            (host, port),
            max_age=max_age,
            access_log=access_log,
            handler=CheckPageMirrorHandler,
        )
    except OSError as exc:
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc})", code="serve.address"
        ) from None
    server.page = page
    return server
