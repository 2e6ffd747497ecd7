#!/usr/bin/env bash
# Poison messages of every rejection class mixed into the stream (66, with
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
# Visible at the default log level: per class, a warning at the first
# (count=1) and then at most one a minute, here the one at exit with the
# rest; each with an example; the closing summary counts them by class.
for cls in $(ls "$HW_TMP/poison" | cut -d. -f1 | sort -u); do
  want=$(ls "$HW_TMP/poison" | grep -c "^$cls\.")
  grep "level=warn .*msg=\"rejected messages sent to the dead-letter topic\" class=$cls " "$HW_TMP/main.log" \
    >"$HW_TMP/warn.$cls" || true
  lines=$(wc -l <"$HW_TMP/warn.$cls")
  (( lines >= 1 && lines <= 2 )) || hw_fail "$lines warnings for class $cls, want the first and the rest"
  head -1 "$HW_TMP/warn.$cls" | grep -q "class=$cls count=1 total=1 " || hw_fail "the first $cls was not reported at once"
  sum=$(grep -o ' count=[0-9]*' "$HW_TMP/warn.$cls" | awk -F= '{s += $2} END {print s}')
  [[ $sum -eq $want ]] || hw_fail "the $cls warnings count $sum, want $want"
  tail -1 "$HW_TMP/warn.$cls" | grep -q "total=$want topic=talent.dlq example=\"talent\.[a-z]*/[0-9]*@[0-9]*: ." ||
    hw_fail "the $cls warning has no total or example: $(tail -1 "$HW_TMP/warn.$cls")"
  grep -q "msg=\"caught up\" .* rejected_$cls=$want " "$HW_TMP/main.log" || hw_fail "the summary does not count $want $cls"
done
grep -q "msg=\"caught up\" applied=147 duplicates=0 rejected=$(ls "$HW_TMP/poison" | wc -l) .* alerts=[0-9]* seconds=[0-9.]* events_per_s=[0-9]*$" \
  "$HW_TMP/main.log" || hw_fail "no summary line: $(grep 'caught up' "$HW_TMP/main.log")"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_dlq.py" "$HW_BOOTSTRAP" talent.dlq "$HW_TMP/poison" ||
  hw_fail "the DLQ does not hold the poison messages with their classes"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"

# hirewire-query dlq: the newest rejected messages as Kafka holds them
# (checked against python3-confluent-kafka), all of them and the last 5;
# Kafka it must be told of, Redis it does not need.
query() { "$HW_BIN_DIR/hirewire-query" --redis "$HW_REDIS_URL" "$@"; }
query dlq --json --count 1000 --bootstrap-file "$HW_BOOTSTRAP_FILE" >"$HW_TMP/dlq.json" ||
  hw_fail "hirewire-query dlq failed"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_query_dlq.py" "$HW_BOOTSTRAP" talent.dlq "$HW_TMP/dlq.json" 1000 ||
  hw_fail "hirewire-query dlq does not list the DLQ as it is"
query dlq --json --count 5 -b "$HW_BOOTSTRAP" >"$HW_TMP/dlq5.json" || hw_fail "hirewire-query dlq --count 5 failed"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_query_dlq.py" "$HW_BOOTSTRAP" talent.dlq "$HW_TMP/dlq5.json" 5 ||
  hw_fail "hirewire-query dlq --count 5 is not the newest 5"
"$HW_BIN_DIR/hirewire-query" --redis redis://127.0.0.1:1 dlq --count 3 -b "$HW_BOOTSTRAP" >"$HW_TMP/dlq3.txt" ||
  hw_fail "hirewire-query dlq needed Redis"
[[ $(grep -c ' talent\.[a-z]*/[0-9]*@[0-9]* ' "$HW_TMP/dlq3.txt") -eq 3 ]] &&
  head -1 "$HW_TMP/dlq3.txt" | grep -q '^time  *class  *reason  *source  *dlq  *bytes$' ||
  hw_fail "the dlq table is not 3 rows of time, class, reason, source: $(cat "$HW_TMP/dlq3.txt")"
rc=0
query dlq >/dev/null 2>"$HW_TMP/dlq.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q -- '--brokers' "$HW_TMP/dlq.err" ||
  hw_fail "dlq without Kafka exited $rc: $(cat "$HW_TMP/dlq.err")"

# hirewire-query status: every partition read to Kafka's end (lag 0, at
# its end at the last step), the stored offsets the end offsets, the
# last step's time; without Kafka the end and lag are unknown.
query status --json --bootstrap-file "$HW_BOOTSTRAP_FILE" >"$HW_TMP/status.json" || hw_fail "hirewire-query status failed"
"$HW_PY" - "$HW_TMP/status.json" "$HW_BOOTSTRAP" <<'PY' || hw_fail "hirewire-query status is wrong"
import json, sys
from confluent_kafka import Consumer, TopicPartition
s = json.load(open(sys.argv[1]))
c = Consumer({"bootstrap.servers": sys.argv[2], "group.id": "hw-status-check"})
parts = [p for p in s["partitions"] if p["group"] == "hirewire"]
assert parts, s
assert {p["topic"] for p in parts} == {"talent.hires", "talent.offers"}, parts
for p in parts:
    end = c.get_watermark_offsets(TopicPartition(p["topic"], p["partition"]), timeout=10)[1]
    assert p["end"] == end and p["offset"] == end and p["lag"] == 0 and p["at_end"] is True, (p, end)
assert s["steps"] >= 1 and s["last_step"] and s["watermark"] and s["layout"], s
print("ok: status of", len(parts), "partitions")
PY
query status >"$HW_TMP/status.txt" || hw_fail "hirewire-query status without Kafka failed"
grep -q '^hirewire  *talent\.hires  *0  *[0-9][0-9]*  *-  *-  *at end$' "$HW_TMP/status.txt" &&
  grep -q '^last step  *20[0-9-]*T' "$HW_TMP/status.txt" ||
  hw_fail "status without Kafka: $(cat "$HW_TMP/status.txt")"

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
