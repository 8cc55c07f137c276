#!/usr/bin/env bash
# The tools the tests use besides Kafka, from Debian's packages: Chromium (package `chromium`: the
# live page in a real browser, driven with no browser download) and Prometheus (package
# `prometheus`: `promtool check metrics`, and a server that scrapes /metrics).
#
#   scripts/tools.sh
#
# Prints one line per tool on stdout: `TOOL: its --version's first line (its path)`. A tool not on
# PATH is installed when this runs as root on a machine with apt-get (as CI's clean machine does):
# `apt-get update` once, then one `apt-get install -y --no-install-recommends` of the missing
# packages. Otherwise, or if that fails, one line on stderr and exit 1. scripts/test.ts runs it in
# the background while lint, the type check and the build run.
#
# TOOLS_DRY_RUN=1  print the apt-get commands instead of running them (`would run: ...`), then
#                  exit 0; every decision before them is taken as without it.
set -euo pipefail

TOOLS=(chromium prometheus promtool)
# The Debian package of each tool, in TOOLS' order.
PACKAGES=(chromium prometheus prometheus)
# apt-get update fails at once, rather than waits, while another apt holds its lock: runs of this
# script, and .ci/run's own install, take this one first.
APT_LOCK=/var/lock/opendt-replay-apt.lock

# The missing tools, and their packages without repeats.
missing=()
packages=()
for i in "${!TOOLS[@]}"; do
  if ! command -v "${TOOLS[$i]}" >/dev/null; then
    missing+=("${TOOLS[$i]}")
    [[ " ${packages[*]} " == *" ${PACKAGES[$i]} "* ]] || packages+=("${PACKAGES[$i]}")
  fi
done

if ((${#missing[@]} > 0)); then
  list() { local IFS=,; echo "$*" | sed 's/,/, /g'; }
  if [[ $(id -u) -ne 0 ]]; then
    echo "tools.sh: $(list "${missing[@]}") not on PATH, and only root may install Debian's $(list "${packages[@]}"): install them" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "tools.sh: $(list "${missing[@]}") not on PATH, and no apt-get to install Debian's $(list "${packages[@]}"): install them" >&2
    exit 1
  fi
  install=(apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}")
  if [[ -n "${TOOLS_DRY_RUN:-}" ]]; then
    echo "tools.sh: would run: apt-get update"
    echo "tools.sh: would run: DEBIAN_FRONTEND=noninteractive ${install[*]}"
    exit 0
  fi
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  exec 9>"$APT_LOCK"
  flock 9
  if ! apt-get update -qq >"$log" 2>&1; then
    echo "tools.sh: apt-get update failed: $(grep -m1 '^E:' "$log" || tail -n1 "$log")" >&2
    exit 1
  fi
  if ! DEBIAN_FRONTEND=noninteractive "${install[@]}" >"$log" 2>&1; then
    echo "tools.sh: ${install[*]} failed: $(grep -m1 '^E:' "$log" || tail -n1 "$log")" >&2
    exit 1
  fi
  flock -u 9
  for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null || {
      echo "tools.sh: $tool is still not on PATH after installing Debian's $(list "${packages[@]}")" >&2
      exit 1
    }
  done
fi

for tool in "${TOOLS[@]}"; do
  # Chromium's launcher script complains on stderr about the machine's memory: its first stdout line only.
  version=$("$tool" --version 2>/dev/null | sed -n 1p) || true
  if [[ -z "$version" ]]; then
    echo "tools.sh: $(command -v "$tool") --version printed nothing: is $tool broken?" >&2
    exit 1
  fi
  echo "$tool: $version ($(command -v "$tool"))"
done
