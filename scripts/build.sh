#!/usr/bin/env bash
# Configures and builds Ketenhub into build/ (Ninja, ccache when present).
#   scripts/build.sh [extra cmake arguments]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${KETENHUB_BUILD_DIR:-$root/build}"
jobs="${KETENHUB_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
