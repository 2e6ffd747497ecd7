#!/usr/bin/env bash
# SIGTERM in the middle of a backlog: the consumer finishes its batch,
# flushes, leaves the group and exits 0 within 5 s; a restart carries on
# and the final counters equal the model (nothing lost, nothing twice).
source "$(dirname "$0")/lib/services.sh"

# The mock broker keeps a member that left (LeaveGroup answered) until its
# session times out, so the next start would wait 45 s: shorten it.
fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 80000 --seed 84 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_TMP/gen.ndjson"
worst=0
for round in 1 2 3; do
  hw_consumer_bg "${fast_group[@]}"
  pid=$HW_CONSUMER_PID
  before=$(progress)
  hw_wait_for "[[ \$(progress) -gt $before ]]" 60 || hw_fail "no progress in round $round"
  at=$(progress)
  # In the middle of the backlog, as the header says: events left to read.
  [[ $at -lt 80000 ]] || hw_fail "round $round: the backlog was finished before SIGTERM ($at events stored)"
  start=$(date +%s%N)
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  hw_note "round $round: SIGTERM at $at events; exit $rc after $ms ms"
  [[ $rc -eq 0 ]] || hw_fail "exit $rc after SIGTERM"
  [[ $ms -le 5000 ]] || hw_fail "took $ms ms to stop after SIGTERM"
  (( ms > worst )) && worst=$ms
  grep -q 'level=error' "$HW_CONSUMER_LOG" && hw_fail "errors logged: $(grep level=error "$HW_CONSUMER_LOG" | head -2)"
done
hw_consume_all "${fast_group[@]}"
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "SIGTERM 3 times mid-backlog (slowest exit ${worst} ms)" "$HW_TMP/gen.ndjson"
echo PASS
