#!/usr/bin/env bash
# Install everything pithtex needs on a fresh Debian/Ubuntu machine with Python >= 3.11:
# the Debian packages listed in .ci/system-packages.txt (TeX Live, qpdf, poppler, zbar,
# exiftool, Tesseract, ...) when any is missing, the fonts of .ci/fonts-extra.sh, then
# pithtex itself (editable) with its test tools and its extras (dask, ocr).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

packages=$(grep -v '^\s*#' .ci/system-packages.txt | xargs)
missing=$(for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
done | xargs)
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bootstrap: installing Debian packages: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
  else
    echo "bootstrap: these Debian packages are missing: $missing" >&2
    echo "bootstrap: run as root, or: sudo apt-get install $missing" >&2
    exit 5
  fi
fi

# The few packages of texlive-fonts-extra the real paper templates need, in a private
# TEXMF tree (tests/test_latex_templates.py uses it); skipped when TeX Live has them.
if ! kpsewhich newtxtext.sty libertine.sty inconsolata.sty txfontsb.sty >/dev/null 2>&1; then
  .ci/fonts-extra.sh >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e ".[dev]"
