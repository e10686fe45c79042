#!/usr/bin/env bash
# Installs what reel needs on Debian 12, skipping whatever is already present.
# Idempotent: a second run does nothing and takes well under a second.
#   scripts/deps.sh            system packages + project-local tools
#   scripts/deps.sh --system   system packages only
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential pkg-config
  libavcodec-dev libavformat-dev libavfilter-dev libavdevice-dev libavutil-dev libswscale-dev libswresample-dev
  ffmpeg libopencv-dev opencv-data fuse3
  fonts-dejavu-core) # fonts-dejavu-core: the font of reel render's slates and burn-ins

# Tests only (not with --system): a real browser for the dashboard's test;
# buildah (daemonless) to build the worker image from scratch (scripts/image.sh);
# iproute2 (ip netns, ss) for cmd/reel/internal/clustertest's namespaces.
# opencolorio-tools (ociobakelut, OCIO 2.1): reel render --ocio bakes a view to a LUT with it (optional).
# time (GNU time): the peak-memory benchmarks (make bench) measure their children with it.
TEST_PKGS=(chromium buildah iproute2 opencolorio-tools time)
[ "${1:-}" = "--system" ] || PKGS+=("${TEST_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--system" ] && exit 0

# Project-local tools (never on PATH globally): the S3-compatible test server.
TOOLS="$PWD/bin/tools"
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/versitygw" ]; then
  echo "deps: installing versitygw v1.8.0 into bin/tools (one time, a few minutes)"
  GOBIN="$TOOLS" GOFLAGS=-buildvcs=false go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi
