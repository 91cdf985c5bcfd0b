#!/usr/bin/env bash
# Generate the built-in demo site's camera clips with the ffmpeg CLI (lavfi sources only,
# no fonts, no downloads). Overwrites existing clips; same ffmpeg build -> same bytes.
#
#   scripts/make-demo-clips.sh [OUTPUT_DIR]     (default: assets/demo/ in the repo)
#
# Every clip: H.264 main profile, yuv420p, 640x360, 25 fps, 10 s, no B-frames,
# a keyframe every 25 frames (1 s, no scene-cut keyframes), +faststart, no audio.
# yard.mp4 is a static scene that a solid box crosses every 4 s (motion-alert demo).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-"$REPO_ROOT/assets/demo"}
W=640 H=360 FPS=25 DUR=10

command -v ffmpeg >/dev/null 2>&1 || { echo "make-demo-clips: ffmpeg not found (run scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$OUT"

ENC=(
  -c:v libx264 -profile:v main -preset medium -pix_fmt yuv420p
  -bf 0 -g "$FPS" -keyint_min "$FPS" -sc_threshold 0
  -crf 28 -maxrate 500k -bufsize 1000k
  -r "$FPS" -t "$DUR" -an -threads 1
  -map_metadata -1 -fflags +bitexact -flags:v +bitexact
  -movflags +faststart
)

# clip NAME FILTERGRAPH  (the graph builds its own sources and ends in [v])
clip() {
  local name=$1 graph=$2 tmp="$OUT/.$1.tmp.mp4"
  echo "make-demo-clips: $name.mp4"
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -filter_complex "$graph" -map '[v]' "${ENC[@]}" "$tmp"
  mv -f "$tmp" "$OUT/$name.mp4"
}

S="s=${W}x${H}:r=${FPS}"

# Lobby: classic moving test card (gradient, sweeping colour bars, moving blocks).
clip lobby "testsrc2=$S:d=$DUR,format=yuv420p[v]"

# Yard: static scene (sky, lawn, shed, path, fence posts); a red box enters from the
# left every 4 s, crosses the path in 2.5 s and leaves on the right (then 1.5 s empty).
clip yard "color=c=0x7f9cbc:$S:d=$DUR,
  drawbox=x=0:y=170:w=$W:h=190:color=0x4a6a33:t=fill,
  drawbox=x=0:y=240:w=$W:h=56:color=0x9c9485:t=fill,
  drawbox=x=430:y=70:w=170:h=110:color=0x8b6f55:t=fill,
  drawbox=x=420:y=55:w=190:h=20:color=0x5b3f30:t=fill,
  drawbox=x=495:y=120:w=40:h=60:color=0x3b2a20:t=fill,
  drawbox=x=60:y=100:w=14:h=75:color=0x6b5a48:t=fill,
  drawbox=x=160:y=100:w=14:h=75:color=0x6b5a48:t=fill,
  drawbox=x=260:y=100:w=14:h=75:color=0x6b5a48:t=fill,
  drawbox=x=40:y=115:w=260:h=8:color=0x6b5a48:t=fill,
  drawbox=x=40:y=145:w=260:h=8:color=0x6b5a48:t=fill[bg];
  color=c=0xc02818:s=96x44:r=$FPS:d=$DUR[obj];
  [bg][obj]overlay=eval=frame:y=246:
    x='if(lt(mod(t,4),2.5), -overlay_w+(main_w+overlay_w)*mod(t,4)/2.5, main_w)',
  format=yuv420p[v]"

# Gate: SMPTE bars with a white barrier block sweeping left-right and a dark block
# moving up and down.
clip gate "smptebars=$S:d=$DUR[bars];
  color=c=white:s=120x40:r=$FPS:d=$DUR[a];
  color=c=0x202020:s=60x60:r=$FPS:d=$DUR[b];
  [bars][a]overlay=eval=frame:x='(main_w-overlay_w)*(0.5+0.5*sin(2*PI*t/5))':y=150[t1];
  [t1][b]overlay=eval=frame:x=500:y='(main_h-overlay_h)*(0.5+0.5*cos(2*PI*t/3))',
  format=yuv420p[v]"

# Parking: Conway's life in coarse cells (amber on dark blue), fixed seed.
clip parking "life=s=160x90:r=$FPS:mold=10:ratio=0.12:seed=20240611:
    life_color=0xe0b040:death_color=0x1c2440:mold_color=0x30405a,
  scale=$W:$H:flags=neighbor,trim=duration=$DUR,format=yuv420p[v]"

# Loading dock: scrolling elementary cellular automaton (rule 110), tinted orange.
clip loading-dock "cellauto=s=320x180:r=$FPS:rule=110:random_fill_ratio=0.5:
    random_seed=4242:scroll=1,
  scale=$W:$H:flags=neighbor,format=rgb24,
  colorchannelmixer=rr=0.95:gg=0.55:bb=0.15,trim=duration=$DUR,format=yuv420p[v]"

# Hallway: Mandelbrot fractal, slowly zooming in.
clip hallway "mandelbrot=$S:maxiter=256:start_scale=3:end_scale=0.08:end_pts=$((FPS * DUR)):
    start_x=-0.743643887037151:start_y=0.131825904205330,
  trim=duration=$DUR,format=yuv420p[v]"

# Entrance: slowly drifting colour gradients with a dark panel crossing diagonally.
clip entrance "gradients=$S:d=$DUR:speed=0.02:seed=7:n=3:
    c0=0x304860:c1=0x90a0b0:c2=0x605040,
  format=yuv420p[g];
  color=c=0x101010:s=70x110:r=$FPS:d=$DUR[p];
  [g][p]overlay=eval=frame:x='mod(t*90,main_w+overlay_w)-overlay_w':
    y='(main_h-overlay_h)*mod(t,5)/5',
  format=yuv420p[v]"

total=0
for f in "$OUT"/*.mp4; do
  total=$((total + $(stat -c %s "$f")))
done
count=$(find "$OUT" -maxdepth 1 -name '*.mp4' | wc -l)
echo "make-demo-clips: $count clips in $OUT, total $total bytes ($(awk -v b="$total" 'BEGIN { printf "%.2f", b / 1048576 }') MiB)"
