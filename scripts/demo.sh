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
    -f lavfi -i "life=size=1920x1080:rate=24:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00:seed=1,trim=duration=5" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
    -filter_complex "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[2:v]format=yuv420p[c];[3:v]format=yuv420p[d];[a][b][c][d]concat=n=4:v=1:a=0[v]" \
    -map "[v]" -map 4:a -c:v libx264 -preset veryfast -crf 16 -g 48 -c:a aac -b:a 128k "$src.tmp.mkv"
  mv "$src.tmp.mkv" "$src"
fi
./bin/reel probe "$src"
# reel's main job: chunked, scored, quality-gated encode of a two-rung ladder on
# the embedded Temporal server with an in-process worker. Chunks are scored
# against the 1080p source, so the 360p rung has its own, lower bar; the
# hardest 360p chunks miss it at CRF 28 and are re-encoded at a lower CRF.
rm -rf "$out/job"
./bin/reel encode "$src" -o "$out/job" \
  --rendition name=720p,size=1280x720,crf=23,preset=veryfast \
  --rendition name=360p,size=640x360,crf=28,preset=veryfast,min_vmaf=45 \
  --chunk-seconds 4 --min-vmaf 70
./bin/reel probe "$out/job/720p.mp4"
echo "demo: done — renditions and report.json in $out/job/"
