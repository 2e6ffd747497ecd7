#!/usr/bin/env bash
# Poison messages of every rejection class mixed into the stream (61, with
# the edges: lengths one past their limit, invalid UTF-8, hostile Avro
# lengths, union branches and enum indexes out of range, trailing bytes, an
# empty message, 10 MB): each lands in the DLQ unchanged with the right
# hw.error (the 10 MB one without its value, which the DLQ topic's limit
# would refuse); memory stays bounded; every valid event is counted
# (the counters equal the model of the valid events); the consumer keeps
# running and exits 0.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
hw_start_broker --partitions 3
n=$("$HW_PY" "$HW_SRC_DIR/tests/lib/poison.py" "$HW_TMP/poison")
head -n 70 "$HW_SRC_DIR/examples/scenario.ndjson" >"$HW_TMP/first.ndjson"
tail -n +71 "$HW_SRC_DIR/examples/scenario.ndjson" >"$HW_TMP/rest.ndjson"

mkdir "$HW_TMP/big"
mv "$HW_TMP"/poison/*.10mb.bin "$HW_TMP/big/"
hw_produce "$HW_TMP/first.ndjson"
"$HW_PY" "$HW_SRC_DIR/tests/lib/send_raw.py" "$HW_BOOTSTRAP" "$HW_TMP/poison" || hw_fail "cannot send the poison"
hw_produce "$HW_TMP/rest.ndjson"

# Each run under /usr/bin/time: peak memory stays bounded.
consume_measured() { # consume_measured NAME ARGS...
  local name=$1 rc=0
  shift
  /usr/bin/time -f %M -o "$HW_TMP/$name.rss" "$HW_BIN_DIR/hirewire-consumer" \
    --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" --metrics-addr off --until-caught-up \
    -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" "$@" 2>"$HW_TMP/$name.log" || rc=$?
  [[ $rc -eq 0 ]] || hw_fail "consumer exited $rc: $(tail -3 "$HW_TMP/$name.log")"
  tail -1 "$HW_TMP/$name.rss"
}
rss1=$(consume_measured main)
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_dlq.py" "$HW_BOOTSTRAP" talent.dlq "$HW_TMP/poison" ||
  hw_fail "the DLQ does not hold the poison messages with their classes"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"

# 10 MB: the devbroker keeps about 5 MiB per partition and would drop older
# messages for it, so it goes alone to a broker of its own.
main_bootstrap=$HW_BOOTSTRAP
hw_start_broker --partitions 1
"$HW_PY" "$HW_SRC_DIR/tests/lib/send_raw.py" "$HW_BOOTSTRAP" "$HW_TMP/big" || hw_fail "cannot send 10 MB"
rss2=$(consume_measured big --group big --prefix big:)
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_dlq.py" "$HW_BOOTSTRAP" talent.dlq "$HW_TMP/big" ||
  hw_fail "the 10 MB message is not in the DLQ as too_large"
(( rss2 > 10 * 1024 )) || hw_fail "the 10 MB message was not read (peak RSS $((rss2 / 1024)) MiB)"
peak=$(( rss1 > rss2 ? rss1 : rss2 ))
hw_note "$n malformed messages, the largest 10 MiB; consumer peak RSS $((rss1 / 1024)) MiB, $((rss2 / 1024)) MiB with 10 MiB"
(( peak < 256 * 1024 )) || hw_fail "peak RSS $((peak / 1024)) MiB: not bounded"
HW_BOOTSTRAP=$main_bootstrap
HW_MALFORMED=$n hw_count_check hw: "$n malformed messages (every class; 10 MB the largest), peak RSS $((peak / 1024)) MiB" \
  "$HW_SRC_DIR/examples/scenario.ndjson"
echo PASS
