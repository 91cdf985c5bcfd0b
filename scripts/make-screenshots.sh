#!/usr/bin/env bash
# Makes the screenshots in packaging/screenshots/ (README, docs, software centres) from
# the demo site, in a 1280×720 Xvfb screen without a window manager:
#
#   wall.png      the live wall (1+5 layout), timeline hidden
#   timeline.png  reviewing: a click on the timeline puts every tile at that moment
#   camera.png    one camera maximised, its tile menu open, the camera list beside it
#
#   scripts/make-screenshots.sh                 builds target/release/vigil first
#   VIGIL_BIN=target/debug/vigil scripts/make-screenshots.sh
#
# Needs Xvfb, xdotool, xwd and ImageMagick's convert (scripts/deps.sh installs them).
# Everything the demo writes (site, recordings, logs, snapshots) goes to a temporary
# folder. Clicks are at fixed points of the 1280×720 window: after a change to the
# toolbar or the panels, look at the pictures before committing them.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=packaging/screenshots
SCREEN=${SCREENSHOT_DISPLAY:-}
SETTLE_S=${SCREENSHOT_SETTLE_S:-15}
MAX_BYTES=300000

for tool in Xvfb xdotool xwd convert; do
  command -v "$tool" >/dev/null 2>&1 || { echo "make-screenshots: $tool not found: run scripts/deps.sh" >&2; exit 1; }
done
if [ -z "${VIGIL_BIN:-}" ]; then
  cargo build --release --locked --bin vigil
  VIGIL_BIN=target/release/vigil
fi
[ -x "$VIGIL_BIN" ] || { echo "make-screenshots: $VIGIL_BIN is not a program" >&2; exit 1; }
[ -f assets/demo/lobby.mp4 ] || bash scripts/make-demo-clips.sh

work=$(mktemp -d)
xvfb_pid=""
vigil_pid=""
cleanup() {
  [ -n "$vigil_pid" ] && kill "$vigil_pid" 2>/dev/null && wait "$vigil_pid" 2>/dev/null
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A display of our own: the one named in SCREENSHOT_DISPLAY, else the first free one
# (Xvfb writes its number to -displayfd).
if [ -n "$SCREEN" ]; then
  Xvfb "$SCREEN" -screen 0 1280x720x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
  xvfb_pid=$!
else
  Xvfb -displayfd 3 -screen 0 1280x720x24 -nolisten tcp 3>"$work/display" >"$work/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
  SCREEN=":$(head -n1 "$work/display")"
fi
sleep 0.5
kill -0 "$xvfb_pid" 2>/dev/null || { cat "$work/xvfb.log" >&2; echo "make-screenshots: Xvfb did not start" >&2; exit 1; }
export DISPLAY=$SCREEN
unset WAYLAND_DISPLAY
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done

VIGIL_CONFIG_DIR="$work/config" VIGIL_DATA_DIR="$work/data" XDG_PICTURES_DIR="$work/pictures" \
  "$VIGIL_BIN" --demo --window-size 1280x720 >"$work/vigil.log" 2>&1 &
vigil_pid=$!
window=""
for _ in $(seq 300); do
  window=$(xdotool search --name '^Vigil$' 2>/dev/null | head -n1 || true)
  [ -n "$window" ] && break
  kill -0 "$vigil_pid" 2>/dev/null || { cat "$work/vigil.log" >&2; echo "make-screenshots: vigil exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$window" ] || { echo "make-screenshots: no Vigil window" >&2; exit 1; }
# The demo seeds its history and connects its cameras.
sleep "$SETTLE_S"
# No window manager gives the window the keyboard: do it here (once it is mapped).
for _ in $(seq 50); do xdotool windowfocus --sync "$window" 2>/dev/null && break; sleep 0.2; done

mkdir -p "$OUT"
# click X Y [BUTTON]: egui wants the pointer there a frame before the press.
click() {
  xdotool mousemove "$1" "$2"
  sleep 0.4
  xdotool click "${3:-1}"
  sleep 0.4
}
# capture NAME: the screen as it is, into $OUT/NAME, in 256 colours if it is too big.
capture() {
  xwd -root -silent | convert xwd:- -strip "$work/shot.png"
  if [ "$(stat -c %s "$work/shot.png")" -gt "$MAX_BYTES" ]; then
    convert "$work/shot.png" -colors 256 "PNG8:$work/shot.png"
  fi
  mv "$work/shot.png" "$OUT/$1"
  echo "make-screenshots: $OUT/$1 ($(stat -c %s "$OUT/$1") bytes)"
}
# shot NAME [WAIT_S]: the pointer rests on the status bar, away from tooltips, then
# the screen is captured.
shot() {
  xdotool mousemove 1270 712
  sleep "${2:-2}"
  capture "$1"
}

# The wall: the toolbar's Timeline toggle hides the panel under it.
click 627 12
shot wall.png
click 627 12
sleep 1

# Review: a click two thirds of the way along the timeline (about an hour ago).
click 820 600
shot timeline.png 5

# The camera panel: back to live (the transport's Live button), the Lobby tile
# maximised (double-click), its right-click menu open.
click 34 449
sleep 2
xdotool mousemove 600 200
sleep 0.4
xdotool click --repeat 2 --delay 80 1
sleep 3
click 700 250 3
xdotool mousemove 760 262
sleep 1
capture camera.png

for f in wall.png timeline.png camera.png; do
  size=$(stat -c %s "$OUT/$f")
  [ "$size" -le "$MAX_BYTES" ] || { echo "make-screenshots: $OUT/$f is $size bytes (limit $MAX_BYTES)" >&2; exit 1; }
done
