"""The user configuration file and the resolver settings it feeds.

pithtex reads one optional TOML file, by default ``config.toml`` in the
per-user configuration directory (``~/.config/pithtex`` on Linux,
``~/Library/Application Support/pithtex`` on macOS, ``%LOCALAPPDATA%\\pithtex``
on Windows), or the file named by ``$PITHTEX_CONFIG``.  Today it holds the
``[resolver]`` table::

    [resolver]
    urls = ["https://pith.mirror.example.edu", "https://pith.science"]
    connect_timeout = 5      # seconds
    read_timeout = 15        # seconds between bytes
    total_timeout = 60       # seconds for one whole response
    max_bytes = 16777216     # response size cap
    retries = 3              # extra tries on 5xx, timeouts and dropped bodies
    max_redirects = 5
    cache_ttl = 3600         # seconds a cached bundle is used without asking again
    ca_file = "/etc/ssl/certs/my-institution.pem"   # extra trusted TLS roots
    cache_dir = "/var/cache/pithtex"                 # default: the per-user cache

The resolver list comes from, in order of precedence: ``--resolver`` options,
``$PITHTEX_RESOLVERS`` (URLs separated by white space or commas), the file's
``urls``, and finally ``https://pith.science``.  :func:`load_settings`
returns the merged :class:`ResolverSettings`; every problem is an
:class:`~pithtex.core.errors.InputError` naming the file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pithtex.core.canonical import DEFAULT_MAX_BYTES
from pithtex.core.errors import InputError
from pithtex.core.names import DEFAULT_RESOLVER
from pithtex.core.paths import CONFIG_ENV, default_config_path

__all__ = [
    "CONFIG_MAX_BYTES",
    "RESOLVERS_ENV",
    "ConfigError",
    "ResolverSettings",
    "load_settings",
    "normalise_base_url",
    "normalise_urls",
    "read_config",
    "settings_from_table",
]

RESOLVERS_ENV = "PITHTEX_RESOLVERS"
CONFIG_MAX_BYTES = 1024 * 1024


class ConfigError(InputError):
    """The configuration file or a resolver setting is unusable (exit code 2)."""

    default_code = "config.invalid"


@dataclass(frozen=True, slots=True)
class ResolverSettings:
    """How the client talks to resolvers; the defaults suit pith.science."""

    urls: tuple[str, ...] = (DEFAULT_RESOLVER,)
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 60.0
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_redirects: int = 5
    cache_ttl: float = 3600.0
    ca_file: str | None = None
    cache_dir: str | None = None
    origin: str = "default"
    """Where ``urls`` came from: ``--resolver``, the variable, a config file, or ``default``."""

    def with_urls(self, urls: Sequence[str], origin: str) -> ResolverSettings:
        return replace(self, urls=normalise_urls(urls, origin), origin=origin)


_NUMBER_FIELDS: dict[str, tuple[type, float, float]] = {
    # name: (type, minimum, maximum)
    "connect_timeout": (float, 0.01, 600.0),
    "read_timeout": (float, 0.01, 3600.0),
    "total_timeout": (float, 0.01, 86400.0),
    "max_bytes": (int, 1024, 1 << 34),
    "retries": (int, 0, 20),
    "backoff": (float, 0.0, 60.0),
    "max_backoff": (float, 0.0, 600.0),
    "max_redirects": (int, 0, 30),
    "cache_ttl": (float, 0.0, 10.0 * 365 * 86400),
}
_TEXT_FIELDS = ("ca_file", "cache_dir")


def read_config(path: Path) -> dict[str, Any]:
    """The parsed TOML file; ``{}`` when the default file does not exist."""
    try:
        with path.open("rb") as handle:
            data = handle.read(CONFIG_MAX_BYTES + 1)
    except FileNotFoundError:
        if os.environ.get(CONFIG_ENV):
            raise ConfigError(f"{path}: no such configuration file (from ${CONFIG_ENV})") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > CONFIG_MAX_BYTES:
        raise ConfigError(f"{path}: larger than {CONFIG_MAX_BYTES} bytes")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def settings_from_table(table: Any, origin: str) -> ResolverSettings:
    """Resolver settings from a ``[resolver]`` table; unknown keys are errors (typos)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: [resolver] must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "urls":
            continue
        if key in _NUMBER_FIELDS:
            values[key] = _number(key, value, origin)
        elif key in _TEXT_FIELDS:
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{origin}: resolver.{key} must be a non-empty string")
            values[key] = str(Path(value).expanduser())
        else:
            known = ", ".join(["urls", *_NUMBER_FIELDS, *_TEXT_FIELDS])
            raise ConfigError(f"{origin}: unknown key resolver.{key} (known: {known})")
    settings = ResolverSettings(**values)
    if "urls" in table:
        urls = table["urls"]
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ConfigError(f"{origin}: resolver.urls must be a list of URL strings")
        settings = settings.with_urls(urls, origin)
    return settings


def _number(key: str, value: Any, origin: str) -> float | int:
    kind, low, high = _NUMBER_FIELDS[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{origin}: resolver.{key} must be a number")
    if kind is int and not isinstance(value, int):
        raise ConfigError(f"{origin}: resolver.{key} must be a whole number")
    if not low <= value <= high:
        raise ConfigError(f"{origin}: resolver.{key} must be between {low:g} and {high:g}")
    return kind(value)  # type: ignore[no-any-return]


def load_settings(
    resolvers: Sequence[str] | None = None,
    *,
    config_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ResolverSettings:
    """Settings from the config file, then ``$PITHTEX_RESOLVERS``, then ``resolvers``."""
    env = os.environ if environ is None else environ
    path = config_path or default_config_path()
    document = read_config(path)
    table = document.get("resolver", {})
    settings = settings_from_table(table, str(path))
    env_urls = env.get(RESOLVERS_ENV, "").strip()
    if env_urls:
        settings = settings.with_urls(re.split(r"[\s,]+", env_urls), f"${RESOLVERS_ENV}")
    if resolvers:
        settings = settings.with_urls(resolvers, "--resolver")
    return settings


def normalise_urls(urls: Sequence[str], origin: str) -> tuple[str, ...]:
    """Validated base URLs without trailing slashes, duplicates removed, order kept."""
    result: list[str] = []
    for url in urls:
        if not url.strip():
            continue
        base = normalise_base_url(url, origin)
        if base not in result:
            result.append(base)
    if not result:
        raise ConfigError(f"{origin}: the resolver list is empty")
    return tuple(result)


def normalise_base_url(url: str, origin: str = "resolver") -> str:
    """A resolver base URL: http or https, a host, maybe a path; no query or fragment."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigError(f"{origin}: {text!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise ConfigError(f"{origin}: {text!r} names no host")
    if parts.query or parts.fragment:
        raise ConfigError(f"{origin}: {text!r}: a resolver base URL has no query or fragment")
    if parts.username or parts.password:
        raise ConfigError(f"{origin}: {text!r}: credentials in resolver URLs are not supported")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"{origin}: {text!r} has an invalid port") from None
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path.rstrip('/')}"
