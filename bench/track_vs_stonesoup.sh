#!/usr/bin/env bash
# dronewall tracker vs Stone Soup 1.9.1 (same run, same machine). See track_vs_stonesoup.py.
# Needs a Stone Soup venv outside the repo:
#   python3 -m venv /tmp/ssvenv && /tmp/ssvenv/bin/pip install stonesoup==1.9.1
set -euo pipefail
cd "$(dirname "$0")/.."
SSPY="${SSPY:-/tmp/ssvenv/bin/python}"
if [ ! -x "$SSPY" ]; then
  echo "Stone Soup python not found at $SSPY (set SSPY); running dronewall only" >&2
  exec .venv/bin/python bench/track_vs_stonesoup.py --skip-stonesoup "$@"
fi
exec .venv/bin/python bench/track_vs_stonesoup.py --sspy "$SSPY" "$@"
