#!/usr/bin/env bash
# Wall drawing benchmark: `vigil bench wall` (2x2 of 1280x720 25 fps H.264 over RTSP,
# window 1920x1080 under Xvfb) against mpv (four 960x540 windows, --profile=low-latency
# --no-audio) on the same inputs, in one run. Writes the "Wall drawing" section of
# BENCHMARKS.md.
#
#     scripts/bench-wall.sh [SECONDS] [VIGIL]
#
# SECONDS: measured time per client (default 20). VIGIL: the binary (default
# target/release/vigil, else target/debug/vigil). Needs Xvfb, ffmpeg, python3-gi with
# GStreamer's RTSP server (scripts/deps.sh); installs mpv with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-20}
VIGIL=${2:-}
if [ -z "$VIGIL" ]; then
    VIGIL=target/release/vigil
    [ -x "$VIGIL" ] || VIGIL=target/debug/vigil
fi
[ -x "$VIGIL" ] || { echo "no vigil binary (cargo build first)" >&2; exit 1; }
if ! command -v mpv >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mpv
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
HZ=$(getconf CLK_TCK)
WARM=6

# The input: a 1280x720 25 fps H.264 clip, no B-frames, a keyframe a second, long
# enough for warm-up and measurement (GStreamer's file mount plays it once).
CLIP="$WORK/cam720.mp4"
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=25" -t $((SECS + WARM + 20)) \
    -c:v libx264 -preset ultrafast -tune zerolatency -g 25 -bf 0 -pix_fmt yuv420p \
    -b:v 2M "$CLIP"

# A free X display at 1920x1080.
for n in $(seq 60 89); do
    [ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] || { DISP=:$n; break; }
done
Xvfb "$DISP" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${DISP#:}" ] && break; sleep 0.2; done
export DISPLAY=$DISP
unset WAYLAND_DISPLAY

# Four RTSP cameras serving the clip; a fresh server per client, so both see the
# clip from its start.
start_rtsp() {
    /usr/bin/python3 tests/support/rtsp_server.py --port 0 \
        --mount c1="$CLIP" --mount c2="$CLIP" --mount c3="$CLIP" --mount c4="$CLIP" \
        >"$WORK/rtsp.out" 2>"$WORK/rtsp.err" &
    RTSP_PID=$!
    PIDS+=($RTSP_PID)
    for _ in $(seq 100); do grep -q READY "$WORK/rtsp.out" && break; sleep 0.2; done
    PORT=$(sed -n 's/READY port=//p' "$WORK/rtsp.out")
    [ -n "$PORT" ] || { cat "$WORK/rtsp.err" >&2; exit 1; }
}
stop_rtsp() { kill "$RTSP_PID"; wait "$RTSP_PID" 2>/dev/null || true; }

# Process CPU ticks (utime + stime, all threads) of the given pids.
ticks() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0; done | awk '{s += $1} END {print s}'; }

# Vigil.
start_rtsp
{
    echo "schema_version = 1"
    echo 'name = "bench wall"'
    echo "[wall]"
    echo 'layout = "2x2"'
    echo 'assignment = ["c1", "c2", "c3", "c4"]'
    for c in c1 c2 c3 c4; do
        printf '[[cameras]]\nid = "%s"\nname = "%s"\nsource = "rtsp://127.0.0.1:%s/%s"\n' \
            "$c" "$c" "$PORT" "$c"
    done
} >"$WORK/site.toml"
VIGIL_CONFIG_DIR="$WORK/cfg" VIGIL_DATA_DIR="$WORK/data" "$VIGIL" bench wall \
    --site "$WORK/site.toml" --layout 2x2 --seconds "$SECS" --size 1920x1080 \
    --json "$WORK/vigil.json" 2>"$WORK/vigil.err" | tee "$WORK/vigil.txt"
stop_rtsp

# mpv: four 960x540 windows on the same inputs.
start_rtsp
MPV=()
i=0
for c in c1 c2 c3 c4; do
    x=$(( (i % 2) * 960 )); y=$(( (i / 2) * 540 ))
    mpv --profile=low-latency --no-audio --no-config --geometry=960x540+$x+$y \
        --term-status-msg='STATUS ${frame-drop-count} ${decoder-frame-drop-count}' \
        "rtsp://127.0.0.1:$PORT/$c" >"$WORK/mpv-$c.out" 2>&1 &
    MPV+=($!)
    PIDS+=($!)
    i=$((i + 1))
done
sleep "$WARM"
t0=$(ticks "${MPV[@]}")
sleep "$SECS"
t1=$(ticks "${MPV[@]}")
MPV_CPU=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v s="$SECS" 'BEGIN {printf "%.1f", (b - a) * 100 / hz / s}')
for p in "${MPV[@]}"; do kill "$p" 2>/dev/null || true; done
sleep 1
stop_rtsp
MPV_STATUS=""
for c in c1 c2 c3 c4; do
    last=$(tr '\r' '\n' <"$WORK/mpv-$c.out" | grep STATUS | tail -1 | sed 's/.*STATUS //')
    MPV_STATUS="$MPV_STATUS $c: ${last:-?};"
done

# The table.
SECTION=$(python3 - "$WORK/vigil.json" "$MPV_CPU" "$MPV_STATUS" "$SECS" "$VIGIL" <<'PY'
import json, os, platform, sys, datetime
r = json.load(open(sys.argv[1]))
mpv_cpu, mpv_status, secs, vigil = sys.argv[2], sys.argv[3].strip(), sys.argv[4], sys.argv[5]
cpus = os.cpu_count()
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load = open("/proc/loadavg").read().split()[:3]
shown = [t["fps_shown"] for t in r["tiles"]]
fps_in = [t["fps_in"] for t in r["tiles"]]
print("## Wall drawing (`vigil bench wall`)\n")
print("`scripts/bench-wall.sh`: a 2×2 wall of 1280×720 25 fps H.264 over RTSP (GStreamer's")
print("server on loopback, same cores), window 1920×1080 under Xvfb, against mpv with four")
print("960×540 windows (`--profile=low-latency --no-audio`) on the same inputs in the same run.")
print("CPU is % of one core over the measured time (Vigil: its whole process; mpv: the four")
print("processes). Targets (issue 11): ≥ 24 fps shown per tile, CPU ≤ mpv's, frame p99 < 40 ms.\n")
print(f"* Machine: {platform.machine()}, {cpus} cores, {model}; no GPU (Mesa's software")
print(f"  Vulkan renderer). Shared with other builds while measured: load average {' '.join(load)}")
print(f"  at the end of the run, so CPU shares and frame rates are lower than on an idle machine.")
print(f"* Run: {secs} s measured per client; `{vigil}`; {datetime.date.today()}\n")
print("| client | CPU % | fps in per tile | fps shown per tile | repaints/s | frame ms p50 / p99 | renderer CPU ms a frame |")
print("|---|---|---|---|---|---|---|")
print(f"| Vigil 2×2 | {r['cpu_percent']:.0f} | {min(fps_in):.1f}–{max(fps_in):.1f} | {min(shown):.1f}–{max(shown):.1f} | "
      f"{r['repaints_per_s']:.1f} | {r['frame_ms_p50']:.1f} / {r['frame_ms_p99']:.1f} | {r['render_cpu_ms_per_frame']:.0f} |")
print(f"| mpv ×4 | {float(mpv_cpu):.0f} | 25 | 25 unless dropped (below) | – | – | – |\n")
print(f"mpv's own counters at the end (frames dropped by the output, by the decoder; 0 and 0 means all 25 fps shown): {mpv_status}\n")
print("Frame ms is eframe's CPU time of a frame (UI, tessellation, recording the draw), not")
print("the software renderer's rasterisation, which runs on Mesa's `llvmpipe-*` threads and is")
print("the renderer column: the CPU those threads spent per frame drawn.")
PY
)
python3 - "$SECTION" <<'PY'
import re, sys
section = sys.argv[1].rstrip() + "\n"
text = open("BENCHMARKS.md").read()
pattern = re.compile(r"## Wall drawing \(`vigil bench wall`\)\n.*?(?=\n## |\Z)", re.S)
if pattern.search(text):
    text = pattern.sub(lambda m: section, text)
else:
    text = text.rstrip() + "\n\n" + section
open("BENCHMARKS.md", "w").write(text)
PY
echo "BENCHMARKS.md: Wall drawing section written"
