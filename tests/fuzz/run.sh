#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on a scratch corpus seeded from
# SEEDS (with the dictionary SEEDS.dict when there is one), and records its
# executions for docs/reliability.md ($HW_RESULTS_DIR/fuzz_<name>.tsv). A
# crash, leak, timeout or oversized allocation fails (the input is kept as
# fuzz-<name>-crash-*).
# usage: run.sh NAME BINARY SEEDS SECONDS
set -uo pipefail
name=$1 bin=$2 seeds=$3 seconds=$4
dict=()
[[ -f ${seeds%/}.dict ]] && dict=(-dict="${seeds%/}.dict")
mkdir -p "corpus-$name"
"$bin" -max_total_time="$seconds" -max_len=70000 -rss_limit_mb=2048 -malloc_limit_mb=32 \
  -timeout=10 -print_final_stats=1 "${dict[@]}" -artifact_prefix="fuzz-$name-" \
  "corpus-$name" "$seeds" >"fuzz-$name.log" 2>&1
rc=$?
tail -20 "fuzz-$name.log"
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz-$name.log" | tail -1)
crashes=$(( rc == 0 ? 0 : 1 ))
if [[ -n ${HW_RESULTS_DIR:-} ]]; then
  mkdir -p "$HW_RESULTS_DIR"
  printf 'fuzz_%s\t%s\t-\t-\t-\t%s\t%s\n' "$name" "libFuzzer, $seconds s, from $(ls "$seeds" | wc -l) seeds" \
    "${runs:-0}" "$crashes" >"$HW_RESULTS_DIR/fuzz_$name.tsv"
fi
exit $rc
