#!/usr/bin/env bash
# Runs hirewire's whole test suite: installs missing Debian packages, builds
# twice (normal, and with AddressSanitizer + UndefinedBehaviorSanitizer) and
# runs every ctest in both builds. Tests start their own redis-server and
# hirewire-devbroker on free loopback ports.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

"$src/scripts/setup.sh"

status=0
run_suite() {
  local name=$1 dir=$2
  shift 2
  echo "== $name build ($dir)"
  "$src/scripts/build.sh" "$dir" "$@"
  echo "== $name tests"
  (cd "$dir" && ctest --output-on-failure -j2 --timeout 900) || status=1
}

run_suite default "$src/build"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  run_suite sanitizers "$src/build-asan" -DHW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug

if [[ $status -eq 0 ]]; then echo "== all tests passed (default and sanitizer builds)"; else echo "== TESTS FAILED"; fi
exit $status
