#!/usr/bin/env bash
# Long fuzzing runs: every libFuzzer target (tests/fuzz/) for EXECUTIONS
# executions each (-runs, default 10000000), one after the other, each on a
# scratch copy of its seed corpus (tests/fuzz/<name>/, and its dictionary
# <name>.dict when there is one), with the limits of the tests' short runs
# (tests/fuzz/run.sh): inputs up to 70,000 bytes, no allocation above
# 32 MiB, 10 s per input, 2 GiB of RSS.
#
# Prints a table, one row per target:
#   executions   libFuzzer's stat::number_of_executed_units
#   crashes      inputs libFuzzer kept as a crash, leak, timeout or
#                out-of-memory (it stops at the first)
#   cov, ft      libFuzzer's coverage of its last status line: edges
#                (cov) and features (ft) reached
#   corpus       inputs in the corpus at the end, and their size
#   seconds      wall time of the run
# and exits 1 if any target crashed. Logs and crash inputs stay in OUT_DIR
# (HW_FUZZ_OUT, default BUILD_DIR/fuzz-long): fuzz-<name>.log and
# fuzz-<name>-crash-* (rerun one with `BUILD_DIR/tests/fuzz_<name> FILE`).
#
# At the 2-core test machine's rates (thousands of executions a second for
# the parsers, a few hundred to a few thousand for the targets that go
# through HTTP or a Redis connection) the default takes hours; 100000 is a
# quick check.
#
# usage: bench/fuzz_long.sh [EXECUTIONS] [BUILD_DIR]
#   BUILD_DIR: a build made with -DHW_FUZZ=ON and clang whose fuzz_* targets
#   are used as they are; without it, build-fuzz/ is configured and built
#   (scripts/build.sh -DHW_FUZZ=ON -DCMAKE_C_COMPILER=clang
#   -DCMAKE_BUILD_TYPE=Debug), as scripts/test.sh does.
#   HW_FUZZ_TARGETS: the targets to run (default all of tests/fuzz/).
#   HW_FUZZ_MAX_SECONDS: also stop each target after that many seconds.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10000000}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/fuzz_long.sh [EXECUTIONS] [BUILD_DIR]" >&2; exit 2; }
targets=(${HW_FUZZ_TARGETS:-$(cd "$src/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')})

if [[ -n ${2:-} ]]; then
  build=$(cd "$2" && pwd) || exit 2
else
  build=$src/build-fuzz
  echo "== building the fuzz targets in $build"
  HW_TARGETS=$(printf 'fuzz_%s ' "${targets[@]}") "$src/scripts/build.sh" "$build" \
    -DHW_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug || exit 1
fi
for t in "${targets[@]}"; do
  [[ -x $build/tests/fuzz_$t ]] || {
    echo "fuzz_long: $build/tests/fuzz_$t is not built (a build with -DHW_FUZZ=ON and clang)" >&2
    exit 2
  }
done
out=${HW_FUZZ_OUT:-$build/fuzz-long}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

limits=(-max_len=70000 -rss_limit_mb=2048 -malloc_limit_mb=32 -timeout=10 -print_final_stats=1)
[[ -n ${HW_FUZZ_MAX_SECONDS:-} ]] && limits+=(-max_total_time="$HW_FUZZ_MAX_SECONDS")

rows=() failed=0
for t in "${targets[@]}"; do
  corpus=$work/corpus-$t
  mkdir -p "$corpus"
  cp "$src/tests/fuzz/$t"/* "$corpus/" 2>/dev/null
  rm -f "$out/fuzz-$t-"{crash,leak,timeout,oom}-*
  dict=()
  [[ -f $src/tests/fuzz/$t.dict ]] && dict=(-dict="$src/tests/fuzz/$t.dict")
  echo "== fuzz_$t: $runs executions from $(ls "$corpus" | wc -l) seeds (log: $out/fuzz-$t.log)"
  start=$(date +%s)
  (cd "$out" && "$build/tests/fuzz_$t" -runs="$runs" "${limits[@]}" "${dict[@]}" \
    -artifact_prefix="$out/fuzz-$t-" "$corpus" >"$out/fuzz-$t.log" 2>&1)
  rc=$?
  seconds=$(( $(date +%s) - start ))
  log=$out/fuzz-$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -a -E '^#[0-9]+.* cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  crashes=$(ls "$out" | grep -c -E "^fuzz-$t-(crash|leak|timeout|oom)-")
  (( rc != 0 && crashes == 0 )) && crashes=1 # died without an input kept
  files=$(ls "$corpus" | wc -l)
  kib=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s / 1024 }')
  rows+=("$(printf '%-10s %12s %8s %7s %7s %8s %9s %8s' "$t" "${execs:-?}" "$crashes" \
    "${cov:-?}" "${ft:-?}" "$files" "${kib}KiB" "$seconds")")
  if (( crashes > 0 )); then
    failed=1
    grep -a -m1 -E 'ERROR: |runtime error: |fuzz_[a-z]+: ' "$log" | sed 's/^/   /'
  fi
done

echo
printf '%-10s %12s %8s %7s %7s %8s %9s %8s\n' target executions crashes cov ft corpus size seconds
printf '%s\n' "${rows[@]}"
exit $failed
