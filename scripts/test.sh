#!/usr/bin/env bash
# README command 2: install, build and run the whole test suite (ctest).
# .ci/run calls this.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${KETENHUB_BUILD_DIR:-$root/build}"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 300
