#!/usr/bin/env bash
# Regenerates screenshots/ from the built-in scenarios (frozen clock): SVG always, PNG when
# rsvg-convert is installed (Debian: librsvg2-bin, with fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release --example screenshots -- screenshots
if command -v rsvg-convert >/dev/null 2>&1; then
  for svg in screenshots/*.svg; do
    rsvg-convert -o "${svg%.svg}.png" "$svg"
    echo "${svg%.svg}.png"
  done
else
  echo "rsvg-convert not found: SVGs only (apt-get install librsvg2-bin fonts-dejavu-core for PNGs)" >&2
fi
