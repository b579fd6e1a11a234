#!/usr/bin/env bash
# A private TEXMF tree with the few packages of Debian's texlive-fonts-extra that the
# real paper templates in ../shared/templates need (see its README): newtx, libertine,
# inconsolata, txfontsb, mweights.  The whole package is 0.5 GB to download and 1.4 GB
# installed; this keeps about 40 MB of it, and changes nothing outside the tree.
#
#   .ci/fonts-extra.sh [TREE]      (default: $PITHTEX_FONTS_TEXMF, else
#                                   ~/.cache/pithtex/texmf-fonts-extra)
#
# TeX finds the tree when TEXMFHOME points at it (tests/test_latex_templates.py does
# this for its compiles).  .ci/texlive-chroot build runs this script inside each root,
# so that the packages and maps are those of the root's own TeX Live.  Its font maps are the system's with these packages' maps
# enabled, written by updmap-user into the tree; the script writes them again on every
# run, so that they follow the system's own maps.  Safe to run again.
set -euo pipefail

tree=${1:-${PITHTEX_FONTS_TEXMF:-$HOME/.cache/pithtex/texmf-fonts-extra}}
packages="newtx libertine inconsolata txfontsb mweights"

if [ ! -f "$tree/.complete" ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && apt-get download -q texlive-fonts-extra >/dev/null 2>&1) || {
    echo "fonts-extra: apt-get download texlive-fonts-extra failed (run apt-get update?)" >&2
    exit 5
  }
  patterns=()
  for p in $packages; do
    patterns+=("./usr/share/texlive/texmf-dist/*/$p/*")
  done
  dpkg-deb --fsys-tarfile "$scratch"/texlive-fonts-extra_*.deb \
    | tar -x -C "$scratch" --wildcards "${patterns[@]}"
  rm -rf "$tree.new"
  mkdir -p "$tree.new"
  cp -a "$scratch/usr/share/texlive/texmf-dist/." "$tree.new/"
  rm -rf "$tree"
  mv "$tree.new" "$tree"
  touch "$tree/.complete"
fi

# The maps: updmap-user in a scratch TEXMFVAR/TEXMFCONFIG, its output moved into the
# tree (TEXMFHOME), so that setting TEXMFHOME alone is enough.
var=$(mktemp -d)
enable=()
for m in "$tree"/fonts/map/dvips/*/*.map; do
  case $m in */updmap/*) continue ;; esac
  enable+=(--enable "Map=$(basename "$m")")
done
mktexlsr "$tree" >/dev/null 2>&1
if ! TEXMFHOME=$tree TEXMFVAR=$var/var TEXMFCONFIG=$var/config \
  updmap-user --quiet --nohash "${enable[@]}" >"$var/updmap.out" 2>&1; then
  cat "$var/updmap.out" >&2
  exit 1
fi
rm -rf "$tree/fonts/map/pdftex/updmap" "$tree/fonts/map/dvips/updmap" "$tree/fonts/map/dvipdfmx/updmap"
for kind in pdftex dvips dvipdfmx; do
  if [ -d "$var/var/fonts/map/$kind/updmap" ]; then
    mkdir -p "$tree/fonts/map/$kind"
    cp -a "$var/var/fonts/map/$kind/updmap" "$tree/fonts/map/$kind/"
  fi
done
rm -rf "$var"
mktexlsr "$tree" >/dev/null 2>&1 || true
echo "$tree"
