"""Where pithtex keeps per-user files: the bundle cache and the configuration file.

Both follow the platform's conventions (through platformdirs) unless an
environment variable names another place: ``$PITHTEX_CACHE_DIR`` for the cache
root and ``$PITHTEX_CONFIG`` for the configuration file.  ``docs/resolver.md``
lists the defaults per platform.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "pithtex"
CACHE_ENV = "PITHTEX_CACHE_DIR"
CONFIG_ENV = "PITHTEX_CONFIG"
CONFIG_FILE = "config.toml"

__all__ = ["APP_NAME", "CACHE_ENV", "CONFIG_ENV", "default_cache_dir", "default_config_path"]


def default_cache_dir(configured: str | None = None) -> Path:
    """``$PITHTEX_CACHE_DIR``, else ``configured``, else the per-user cache directory."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    """``$PITHTEX_CONFIG``, else ``config.toml`` in the per-user config directory."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE
