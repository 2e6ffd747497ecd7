#!/usr/bin/env bash
# Configures and builds hirewire into build/ (or $1), warnings as errors.
# Extra arguments are passed to cmake's configure step; HW_TARGETS (space
# separated) limits what is built.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$src/build}
shift || true
cmake -S "$src" -B "$dir" -DHW_WERROR=ON "$@" >/dev/null
targets=()
for t in ${HW_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$dir" -j"$(nproc)" "${targets[@]}" >/dev/null
