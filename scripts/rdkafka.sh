#!/usr/bin/env bash
# librdkafka for the tests' second reader: confluent-kafka from PyPI (its wheel carries librdkafka)
# in a virtual environment in the cache, made once. Prints the environment's python on stdout.
#
#   scripts/rdkafka.sh
#
# CONFLUENT_KAFKA_VERSION  confluent-kafka release (default below; librdkafka of the same number)
# OPENDT_REPLAY_CACHE      cache folder outside the repo (default ~/.cache/opendt-replay)
# Only PyPI is used: no other download site.
set -euo pipefail

VERSION="${CONFLUENT_KAFKA_VERSION:-2.16.2}"
CACHE="${OPENDT_REPLAY_CACHE:-$HOME/.cache/opendt-replay}"
VENV="$CACHE/rdkafka-$VERSION"

if [[ ! -f "$VENV/.complete" ]]; then
  # One install at a time: test files running in parallel may all ask for it at once.
  mkdir -p "$CACHE"
  exec 9>"$VENV.lock"
  flock 9
fi
if [[ ! -f "$VENV/.complete" ]]; then
  echo "rdkafka.sh: installing confluent-kafka $VERSION (librdkafka) from PyPI into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "confluent-kafka==$VERSION" >&2
  touch "$VENV/.complete"
fi
echo "$VENV/bin/python"
