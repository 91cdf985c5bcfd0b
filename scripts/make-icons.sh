#!/usr/bin/env bash
# Render Vigil's application icon (assets/icons/vigil.svg) to the PNG sizes the .deb,
# the Flatpak and the window icon use: assets/icons/vigil-{32,48,64,128,256}.png.
# The PNGs are committed; re-run this only after editing the SVG.
#
# Needs librsvg's `rsvg-convert` (renders the vector) and ImageMagick (`convert`,
# downscales): `apt-get install librsvg2-bin imagemagick`.
# Output is deterministic (no timestamps or other metadata in the PNGs).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$REPO_ROOT/assets/icons/vigil.svg"
OUT="$REPO_ROOT/assets/icons"
SIZES=(32 48 64 128 256)

for tool in convert rsvg-convert; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "make-icons: '$tool' not found: apt-get install imagemagick librsvg2-bin" >&2
    exit 1
  }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Render the vector once at 1024 px, then downscale: every size gets the same
# antialiasing from one high-resolution master. (Debian's ImageMagick reads SVG only
# through the rsvg-convert delegate, which ignores -density, so render with it directly.)
rsvg-convert --width 1024 --height 1024 --format png --output "$tmp/master.png" "$SRC"
master_size=$(identify -format '%wx%h' "$tmp/master.png")
[ "$master_size" = "1024x1024" ] || {
  echo "make-icons: expected a 1024x1024 render, got $master_size" >&2
  exit 1
}

for n in "${SIZES[@]}"; do
  dest="$OUT/vigil-$n.png"
  convert "$tmp/master.png" -filter Lanczos -resize "${n}x${n}" -strip \
    -define png:exclude-chunks=date,time "png32:$dest"
  echo "make-icons: $(identify -format '%wx%h' "$dest") $dest"
done
