#!/usr/bin/env bash
# Builds the image opendt-replay:dc-mock (deploy/opendt/Containerfile) from a Linux binary of
# opendt-replay for this machine's CPU, with docker, or podman when docker has no engine.
#
#   deploy/opendt/build.sh [BINARY]     default: the release binary for this machine in
#                                       dist/release/, else dist/opendt-replay (built if missing)
#   deploy/opendt/build.sh --rootfs DIR [BINARY]
#                                       only stage the image's files in DIR (no engine needed)
#
# CONTAINER_ENGINE picks the engine (docker or podman); IMAGE the tag (default opendt-replay:dc-mock).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

only_rootfs=""
if [[ "${1:-}" == "--rootfs" ]]; then only_rootfs="${2:?--rootfs needs a folder}"; shift 2; fi

arch="$(uname -m)"
case "$arch" in
  x86_64) suffix=linux-x64 ;;
  aarch64 | arm64) suffix=linux-arm64 ;;
  *) echo "build.sh: no opendt-replay release for $arch" >&2; exit 2 ;;
esac
binary="${1:-}"
if [[ -z "$binary" ]]; then
  if [[ -x "$root/dist/release/opendt-replay-$suffix" ]]; then binary="$root/dist/release/opendt-replay-$suffix"
  else
    if [[ ! -x "$root/dist/opendt-replay" ]]; then (cd "$root" && npx bun run build >&2); fi
    binary="$root/dist/opendt-replay"
  fi
fi
[[ -x "$binary" ]] || { echo "build.sh: $binary is not an executable" >&2; exit 2; }
"$binary" --version >/dev/null || { echo "build.sh: $binary does not run on this machine ($arch)" >&2; exit 2; }

# The build context: the Containerfile and rootfs/ (the binary, the libraries it links, /tmp, /app).
context="${only_rootfs:-$(mktemp -d)}"
rootfs="$context/rootfs"
if [[ -z "$only_rootfs" ]]; then trap 'rm -rf "$context"' EXIT; fi
rm -rf "$rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp" "$rootfs/app" "$rootfs/etc"
cp "$binary" "$rootfs/usr/local/bin/opendt-replay"
# Each library ldd names, at the path the binary asks for it (the loader's own path included).
ldd "$binary" | awk '/=> \//{print $3} /^[[:space:]]*\/.*ld-linux/{print $1}' | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/:/usr/local/bin/opendt-replay\nopendt:x:1000:1000:opendt:/app:/usr/local/bin/opendt-replay\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nopendt:x:1000:\n' > "$rootfs/etc/group"
if [[ -n "$only_rootfs" ]]; then echo "$rootfs"; exit 0; fi
cp "$here/Containerfile" "$context/Containerfile"

engine="${CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then engine=docker
  elif command -v podman >/dev/null; then engine=podman
  else echo "build.sh: neither docker (with an engine) nor podman found; set CONTAINER_ENGINE" >&2; exit 2
  fi
fi
image="${IMAGE:-opendt-replay:dc-mock}"
"$engine" build -t "$image" -f "$context/Containerfile" "$context" >&2
echo "$image"
