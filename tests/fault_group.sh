#!/usr/bin/env bash
# Three consumers in one group; mid-stream one is killed with kill -9 and
# another is added: the final counters equal the model of a clean run.
source "$(dirname "$0")/lib/services.sh"

hw_stream_start 60000 83 5000 8 3
hw_wait_for "[[ \$(progress) -gt 15000 ]]" 60 || hw_fail "no progress"
hw_note "kill -9 of consumer 2 at $(progress) events"
hw_kill9 "${HW_STREAM_CONSUMERS[1]}"
wait "${HW_STREAM_CONSUMERS[1]}" 2>/dev/null || true
unset 'HW_STREAM_CONSUMERS[1]'
hw_wait_for "[[ \$(progress) -gt 30000 ]]" 90 || hw_fail "no progress after the kill"
hw_note "a fourth consumer joins at $(progress) events"
hw_stream_add_consumer
hw_stream_finish 60000 "3 consumers: one kill -9, one added"
grep -l 'assigned' "$HW_TMP"/consumer-4.log >/dev/null || hw_fail "the added consumer never got partitions"
echo PASS
