#!/usr/bin/env bash
# Installs what is missing, configures and builds nnsweep with a CMake preset (default: release).
#   scripts/build.sh [release|dev|ci|asan]      → build/<preset>/nnsweep
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
scripts/install-deps.sh
# Always configure: a changed preset (CMakePresets.json) then reaches an existing build directory
# too, and with nothing changed it takes a few seconds.
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
