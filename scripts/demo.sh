#!/usr/bin/env bash
# make demo: a sample mezzanine (1080p24, 20 s, hard cuts, a tone), then
# reel's main job on it. Outputs land in demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo-out
mkdir -p "$out"
src="$out/sample-1080p24.mkv"
if [ ! -s "$src" ]; then
  echo "demo: generating $src"
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=24:duration=5" \
    -f lavfi -i "smptebars=size=1920x1080:rate=24:duration=5" \
    -f lavfi -i "mandelbrot=size=1920x1080:rate=24,trim=duration=5" \
    -f lavfi -i "life=size=1920x1080:rate=24:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00,trim=duration=5" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
    -filter_complex "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[2:v]format=yuv420p[c];[3:v]format=yuv420p[d];[a][b][c][d]concat=n=4:v=1:a=0[v]" \
    -map "[v]" -map 4:a -c:v libx264 -preset veryfast -crf 16 -g 48 -c:a pcm_s16le "$src.tmp.mkv"
  mv "$src.tmp.mkv" "$src"
fi
./bin/reel probe "$src"
./bin/reel encode "$src" -o "$out/sample-720p.mp4" --codec x264 --crf 23 --preset veryfast --size 1280x720 --audio aac
./bin/reel probe "$out/sample-720p.mp4"
echo "demo: done — see $out/"
