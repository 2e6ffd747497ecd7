#!/usr/bin/env bash
# Poison messages of every rejection class mixed into the stream: each lands
# in the DLQ unchanged with the right hw.error; every valid event is counted
# (the counters equal the model of the valid events); the consumer keeps
# running and exits 0.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
hw_start_broker --partitions 3
n=$("$HW_PY" "$HW_SRC_DIR/tests/lib/poison.py" "$HW_TMP/poison")
head -n 70 "$HW_SRC_DIR/examples/scenario.ndjson" >"$HW_TMP/first.ndjson"
tail -n +71 "$HW_SRC_DIR/examples/scenario.ndjson" >"$HW_TMP/rest.ndjson"

hw_produce "$HW_TMP/first.ndjson"
"$HW_PY" "$HW_SRC_DIR/tests/lib/send_raw.py" "$HW_BOOTSTRAP" "$HW_TMP/poison" || hw_fail "cannot send the poison"
hw_produce "$HW_TMP/rest.ndjson"

hw_consume_all
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_dlq.py" "$HW_BOOTSTRAP" talent.dlq "$HW_TMP/poison" ||
  hw_fail "the DLQ does not hold the $n poison messages with their classes"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"
echo PASS
