#!/usr/bin/env bash
# Builds reel's worker image with buildah (a daemonless builder from Debian's
# packages), from scratch: no base image and no registry. The image holds the
# reel binary, exactly the shared libraries it links (from this machine's
# Debian packages), the dynamic loader, CA certificates, the burn-in font and
# OpenCV's face cascade, and a non-root user (uid 1000).
#   scripts/image.sh                    build localhost/reel:dev in buildah's default store
#   scripts/image.sh --tag reel:1.2     another tag
#   scripts/image.sh --store DIR        keep the image in DIR (vfs driver; tests use a temp dir)
#   scripts/image.sh --check            then run `reel version` inside the image (chroot)
#   scripts/image.sh --archive F.tar    also write it as an OCI archive (to push or load elsewhere)
# deploy/Containerfile says what goes in; deploy/Dockerfile is the same image
# for machines whose builder can pull debian:bookworm.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=localhost/reel:dev store="" check=0 archive=""
while (($#)); do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --store) store="$2"; shift 2 ;;
    --check) check=1; shift ;;
    --archive) archive="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v buildah >/dev/null || { echo "image.sh: buildah is missing: apt-get install buildah (scripts/deps.sh installs it for tests)" >&2; exit 1; }

bah=(buildah)
if [ -n "$store" ]; then
  mkdir -p "$store"
  bah+=(--storage-driver vfs --root "$store/root" --runroot "$store/run")
fi

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
rootfs="$ctx/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/data"
chmod 1777 "$rootfs/tmp"

echo "image: building the reel binary"
go build -ldflags="-s -w" -o "$rootfs/usr/local/bin/reel" ./cmd/reel

# Every library the loader resolves for reel, at the path it resolves it to
# (ldd prints that path), copied as a file; then the loader itself.
copy() { mkdir -p "$rootfs$(dirname "$1")"; cp -L "$1" "$rootfs$1"; }
libs=$(ldd "$rootfs/usr/local/bin/reel" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')
[ -n "$libs" ] || { echo "image.sh: ldd found no libraries: is reel linked dynamically?" >&2; exit 1; }
n=0
for lib in $libs; do copy "$lib"; n=$((n + 1)); done
for f in /etc/ssl/certs/ca-certificates.crt \
         /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
         /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml; do
  [ -e "$f" ] || { echo "image.sh: $f is missing: run scripts/deps.sh" >&2; exit 1; }
  copy "$f"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nreel:x:1000:1000:reel:/data:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nreel:x:1000:\n' > "$rootfs/etc/group"
chown 1000:1000 "$rootfs/data" 2>/dev/null || true
cp deploy/Containerfile "$ctx/Containerfile"
echo "image: $n libraries, $(du -sh "$rootfs" | cut -f1) in all"

"${bah[@]}" build --quiet --isolation chroot --layers=false -f "$ctx/Containerfile" -t "$tag" "$ctx" >/dev/null
echo "image: built $tag"

if ((check)); then
  ctr=$("${bah[@]}" from --quiet "$tag")
  mnt=$("${bah[@]}" mount "$ctr")
  # The image's own loader and libraries only: nothing of this machine's.
  out=$(chroot --userspec=1000:1000 "$mnt" /usr/local/bin/reel version)
  "${bah[@]}" umount "$ctr" >/dev/null
  "${bah[@]}" rm "$ctr" >/dev/null
  echo "image: runs: $out"
fi

if [ -n "$archive" ]; then
  rm -f "$archive"
  "${bah[@]}" push --quiet "$tag" "oci-archive:$archive"
  echo "image: wrote $archive"
fi
