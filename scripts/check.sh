#!/usr/bin/env bash
# Static checks, as CI runs them: clang-format (check only, every tracked C++ file) and
# clang-tidy with the committed .clang-tidy over src/ (findings are errors).
#   scripts/check.sh [BUILD_DIR]     BUILD_DIR holds compile_commands.json (default build/ci)
#   scripts/check.sh --format        clang-format only (seconds)
# clang-tidy 14 reads GCC's compile commands; it needs -std=c++17 said explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
format_only=false
[[ "${1:-}" == "--format" ]] && { format_only=true; shift; }
build=${1:-build/ci}

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
if ! clang-format-14 --dry-run --Werror "${sources[@]}"; then
  echo "check.sh: clang-format: run 'clang-format-14 -i' on the files above" >&2
  exit 1
fi
echo "check.sh: clang-format: ${#sources[@]} files formatted"
$format_only && exit 0

[[ -f "$build/compile_commands.json" ]] || {
  echo "check.sh: $build/compile_commands.json is missing — configure first (cmake --preset ci)" >&2
  exit 2
}
mapfile -t units < <(git ls-files 'src/*.cpp')
# One clang-tidy per core; xargs exits non-zero if any file has a finding.
if ! printf '%s\n' "${units[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy-14 -p "$build" --quiet --warnings-as-errors='*' \
    --extra-arg=-std=c++17 2> >(grep -v "warnings generated" >&2); then
  echo "check.sh: clang-tidy: fix the findings above (or justify them with NOLINT and a reason)" >&2
  exit 1
fi
echo "check.sh: clang-tidy: ${#units[@]} translation units clean"
