#!/usr/bin/env bash
# Two consumers in one group share the partitions; one is killed with
# kill -9 mid-stream; the other takes its partitions over (from the offsets
# in Redis) and the final counters equal the model of a clean run.
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 60000 --seed 47 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_TMP/gen.ndjson"

hw_consumer_bg "${fast_group[@]}" -s batch.max.events=500
victim=$HW_CONSUMER_PID
victim_log=$HW_CONSUMER_LOG
hw_consumer_bg "${fast_group[@]}" -s batch.max.events=500 --until-caught-up
survivor=$HW_CONSUMER_PID
survivor_log=$HW_CONSUMER_LOG
hw_wait_for "grep -q 'partitions assigned\" partitions=[1-9]' '$victim_log'" 60 || hw_fail "the first consumer got no partitions"
hw_wait_for "[[ \$(progress) -gt 5000 ]]" 60 || hw_fail "no progress"
hw_wait_for "grep -q 'partitions assigned\" partitions=[1-9]' '$survivor_log'" 60 || hw_fail "the second consumer got no partitions"
hw_kill9 "$victim"
wait "$victim" 2>/dev/null || true
kill -0 "$victim" 2>/dev/null && hw_fail "the first consumer survived kill -9"
at=$(progress)
hw_note "killed one consumer with $at of 60000 events stored"
[[ $at -lt 60000 ]] || hw_fail "the kill came after the end of the stream"

rc=0
wait "$survivor" || rc=$?
[[ $rc -eq 0 ]] || hw_fail "the surviving consumer exited $rc: $(tail -5 "$survivor_log")"
grep -q 'msg="partitions assigned" partitions=16$' "$survivor_log" || hw_fail "the survivor never took over all 16 partitions"
hw_model_check hw: "$HW_TMP/gen.ndjson"
hw_count_check hw: "2 consumers, one killed with kill -9" "$HW_TMP/gen.ndjson"
echo PASS
