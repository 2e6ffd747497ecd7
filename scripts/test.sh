#!/usr/bin/env bash
# Runs hirewire's whole test suite: installs missing Debian packages, builds
# three times (normal; with AddressSanitizer + UndefinedBehaviorSanitizer;
# and -O0 with gcov's coverage counters) and runs every ctest in the first
# two and every one but the valgrind runs in the third, printing the
# coverage of the C code by the tests per folder
# (scripts/coverage-report.sh), then the libFuzzer targets (clang), then
# the integration and fault tests that run against Apache Kafka itself
# (label kafka, on the normal build: a local 3-node KRaft cluster per test,
# its jars fetched with Maven once), and prints the reliability table
# (docs/reliability.md). Tests start their own redis-server and
# hirewire-devbroker (or Kafka cluster) on free loopback ports.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

"$src/scripts/setup.sh" --kafka

status=0
run_suite() { # run_suite NAME DIR "CTEST ARGS" CMAKE ARGS...
  local name=$1 dir=$2 select=$3
  shift 3
  echo "== $name build ($dir)"
  "$src/scripts/build.sh" "$dir" "$@"
  echo "== $name tests"
  # shellcheck disable=SC2086
  (cd "$dir" && ctest --output-on-failure -j2 --timeout 900 $select) || status=1
}

run_suite default "$src/build" "-LE kafka"
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  run_suite sanitizers "$src/build-asan" "-LE kafka" -DHW_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=Debug
# Coverage in a build of its own: the sanitizers' checks would count as
# branches of the code. The valgrind runs repeat unit tests run already.
find "$src/build-cov" -name '*.gcda' -delete 2>/dev/null || true
run_suite coverage "$src/build-cov" "-LE kafka|valgrind" -DHW_COVERAGE=ON \
  -DCMAKE_BUILD_TYPE=Debug
"$src/scripts/coverage-report.sh" "$src/build-cov" || echo "== no coverage report (above: why)"
# libFuzzer (clang): the decode, NDJSON, Avro walk, config file, Schema
# Registry, Redis replies (query tool) and serve request targets, 60 s each.
HW_TARGETS="fuzz_decode fuzz_ndjson fuzz_walk fuzz_config fuzz_registry fuzz_replies fuzz_serve" \
  run_suite fuzz "$src/build-fuzz" "-L fuzz" -DHW_FUZZ=ON -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=Debug -DHW_FUZZ_SECONDS="${HW_FUZZ_SECONDS:-60}"

# Apache Kafka itself: the jars first (a failed fetch names the artifact).
echo "== kafka tests (Apache Kafka, local KRaft clusters)"
if "$src/scripts/kafka-local.sh" fetch; then
  (cd "$src/build" && ctest --output-on-failure --timeout 900 -L kafka) || status=1
else
  status=1
fi

"$src/scripts/reliability-report.sh" "$src/build" "$src/build-fuzz" || true
if [[ $status -eq 0 ]]; then echo "== all tests passed (default, sanitizer, fuzz and kafka)"; else echo "== TESTS FAILED"; fi
exit $status
