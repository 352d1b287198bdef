#!/usr/bin/env bash
# Installs what is missing, configures and builds nnsweep with a CMake preset (default: release).
#   scripts/build.sh [release|dev|ci|asan]      → build/<preset>/nnsweep
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
scripts/install-deps.sh
[[ -f build/$preset/CMakeCache.txt ]] || cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
