#!/usr/bin/env bash
# hirewire-query status and dlq in each state Redis and Kafka can be in:
#
# status
# - no hirewire data under the prefix: exit 1 saying so, unless a replay
#   of the prefix is running (its lock): then the replay, and no offsets;
#   counters without a watermark or offsets are shown, not taken for none;
# - the watermark, the last step's time, the steps, the epoch and the
#   layout as the table, --json and --csv show them; a layout not this
#   version's named with the command that rebuilds it;
# - every stored offset of every group (a prefix's glob characters match
#   only themselves; keys not of the consumer's shape left out), ordered by
#   group, topic and partition number, each at its end, behind since a
#   time or not recorded;
# - with Kafka: each partition's end offset and lag from the broker (the
#   devbroker), unknown for a partition the topic does not have; Kafka
#   unreachable exits 69;
# dlq
# - an empty DLQ topic, rejected messages with and without the consumer's
#   headers, the newest --count of them oldest first, in a table, --json
#   and --csv; the config's topic.dlq; Kafka unreachable exits 69.
source "$(dirname "$0")/lib/services.sh"
source "$(dirname "$0")/lib/query.sh"
hw_start_redis
hw_start_broker --partitions 2
PORT=$HW_REDIS_PORT
URL=$HW_REDIS_URL
rc() { redis-cli -p "$PORT" "$@" >/dev/null; }

# st WANT ARGS...: expect_rc against the test's Redis.
st() { expect_rc "$1" --redis "$URL" "${@:2}"; }
# has LINE...: each line (an extended regex, whole line) is in the output.
has() {
  local l
  for l in "$@"; do
    grep -qxE -- "$l" "$HW_TMP/out" || hw_fail "the output lacks /$l/: $(cat "$HW_TMP/out")"
  done
}
# json PYTHON: the output's JSON document, as d, passes the assertions.
json() {
  "$HW_PY" -c "import json, sys
d = json.load(open(sys.argv[1]))
$1" "$HW_TMP/out" || hw_fail "status --json: $(cat "$HW_TMP/out")"
}

hw_note "status: no data"
st 1 status
grep -qF 'Redis holds no hirewire data under prefix hw: (has the consumer run?)' "$HW_TMP/err" ||
  hw_fail "status of an empty Redis: $(cat "$HW_TMP/err")"
st 1 --json status
[[ ! -s $HW_TMP/out ]] || hw_fail "status of an empty Redis printed a result"

hw_note "status: counters without the bookkeeping (no watermark, no offset): shown, not taken for no data"
rc ZADD hw:labs 1 msl
st 0 status
has 'watermark +-' 'atomic steps +0' 'replay +-' 'partitions: no offsets stored under hw:'
st 0 --json status
json 'assert d["watermark"] is None and d["replay"] is None and d["partitions"] == [], d'
rc DEL hw:labs

hw_note "status: a replay building an empty prefix"
rc SET replay:lock:hw: 4242 PX 60000
st 0 status
has 'replay +running \(pid 4242\), into prefix replay:hw:' 'watermark +-' 'atomic steps +0' \
  'layout +-' 'partitions: no offsets stored under hw:'
st 0 --json status
json 'assert d["replay"] == {"pid": 4242, "staging_prefix": "replay:hw:"}, d
assert d["watermark"] is None and d["steps"] is None and d["layout"] is None, d
assert d["layout_expected"] == "6" and d["partitions"] == [], d'
rc DEL replay:lock:hw:

hw_note "status: the bookkeeping of the prefix"
rc SET hw:watermark 1751328000000
rc SET hw:steps 12
rc SET hw:steps:at 1751328001500
rc SET hw:epoch 3
rc SET hw:layout 6
st 0 status
has 'watermark +2025-07-01T00:00:00Z' 'last step +2025-07-01T00:00:01.500Z' 'atomic steps +12' \
  'epoch +3' 'layout +6' 'replay +-' 'partitions: no offsets stored under hw:'
st 0 --json status
json 'assert (d["watermark"], d["last_step"], d["steps"], d["epoch"], d["layout"], d["replay"]) == \
    (1751328000000, 1751328001500, 12, "3", "6", None), d'
st 0 --csv status
[[ $(cat "$HW_TMP/out") == "field,value
watermark,2025-07-01T00:00:00Z
last step,2025-07-01T00:00:01.500Z
atomic steps,12
epoch,3
layout,6
replay,-

group,topic,partition,offset,end,lag,state" ]] || hw_fail "status --csv: $(cat "$HW_TMP/out")"

hw_note "status: a layout of another version"
rc SET hw:layout 4
st 0 status
has 'layout +4 \(this version writes 6; rebuild with hirewire-consumer --replay --from earliest\)'
st 0 --json status
json 'assert (d["layout"], d["layout_expected"]) == ("4", "6"), d'
rc SET hw:layout 6

hw_note "status: offsets of two groups, at their end, behind, not recorded"
rc SET hw:offset:hirewire:talent.hires:10 40
rc SET hw:offset:hirewire:talent.hires:2 20
rc SET hw:offset:hirewire:talent.hires:0 1
rc SET hw:offset:hirewire:talent.offers:0 5
rc SET hw:offset:audit:v2:talent.hires:1 0          # a group name with a ':'
rc HSET hw:ends:hirewire talent.hires:10 1 talent.hires:2 1751328000250 talent.offers:0 1
rc HSET hw:ends:audit:v2 talent.hires:1 1
# Not offsets the consumer writes: no partition, a bad partition, no
# group, nothing before the partition, another prefix that only a glob
# would match.
rc SET hw:offset:lonely 3
rc SET hw:offset:t:5 3
rc SET hw:offset::5 3
rc SET hw:offset:g:t:-1 3
rc SET hw:offset:g:t:x 3
rc SET hw:offset:g:t:2147483648 3
rc SET hwXoffset:g:t:0 3
st 0 status
"$HW_PY" - "$HW_TMP/out" <<'PY' || hw_fail "status partitions: $(cat "$HW_TMP/out")"
import re, sys
text = open(sys.argv[1]).read()
rows = [re.split(r"\s{2,}", l.strip()) for l in text.split("\n\n")[1].splitlines()[1:] if not l.startswith("(")]
want = [["audit:v2", "talent.hires", "1", "0", "-", "-", "at end"],
        ["hirewire", "talent.hires", "0", "1", "-", "-", "-"],
        ["hirewire", "talent.hires", "2", "20", "-", "-", "behind at 2025-07-01T00:00:00.250Z"],
        ["hirewire", "talent.hires", "10", "40", "-", "-", "at end"],
        ["hirewire", "talent.offers", "0", "5", "-", "-", "at end"]]
assert rows == want, rows
assert "(end and lag: give --brokers or --bootstrap-file)" in text
PY
st 0 --json status
json 'p = d["partitions"]
assert [(x["group"], x["topic"], x["partition"], x["offset"]) for x in p] == [
    ("audit:v2", "talent.hires", 1, 0), ("hirewire", "talent.hires", 0, 1),
    ("hirewire", "talent.hires", 2, 20), ("hirewire", "talent.hires", 10, 40),
    ("hirewire", "talent.offers", 0, 5)], p
assert [(x["at_end"], x["behind_since"]) for x in p] == [
    (True, None), (None, None), (False, 1751328000250), (True, None), (True, None)], p
assert all(x["end"] is None and x["lag"] is None for x in p), p'

hw_note "status: a prefix with glob characters matches only itself"
rc SET 'h*w:watermark' 1751328000000
rc SET 'h*w:offset:hirewire:talent.hires:0' 9
rc SET 'hxxw:offset:hirewire:talent.hires:0' 8
st 0 --prefix 'h*w:' --json status
json 'assert [(x["group"], x["partition"], x["offset"]) for x in d["partitions"]] == [("hirewire", 0, 9)], d'

hw_note "status with Kafka: end offsets and lag from the broker"
for i in 1 2 3 4 5; do echo "m$i"; done | kcat -P -b "$HW_BOOTSTRAP" -t talent.hires -p 1
echo m | kcat -P -b "$HW_BOOTSTRAP" -t talent.hires -p 0
rc FLUSHALL
rc SET hw:watermark 1751328000000
rc SET hw:offset:hirewire:talent.hires:0 1
rc SET hw:offset:hirewire:talent.hires:1 2
rc SET hw:offset:hirewire:talent.hires:7 4
rc HSET hw:ends:hirewire talent.hires:0 1 talent.hires:1 1751328000000
st 0 --bootstrap-file "$HW_BOOTSTRAP_FILE" status
has 'hirewire +talent\.hires +0 +1 +1 +0 +at end' \
  'hirewire +talent\.hires +1 +2 +5 +3 +behind at 2025-07-01T00:00:00Z' \
  'hirewire +talent\.hires +7 +4 +- +- +-'
if grep -qF 'give --brokers' "$HW_TMP/out"; then hw_fail "status with Kafka still asks for it"; fi
st 0 -b "$HW_BOOTSTRAP" --json status
json 'p = {x["partition"]: (x["end"], x["lag"]) for x in d["partitions"]}
assert p == {0: (1, 0), 1: (5, 3), 7: (None, None)}, p'
st 0 -b "$HW_BOOTSTRAP" --csv status
grep -qx 'hirewire,talent.hires,1,2,5,3,behind at 2025-07-01T00:00:00Z' "$HW_TMP/out" || hw_fail "status --csv with Kafka: $(cat "$HW_TMP/out")"
# The brokers of the config file.
printf 'brokers = %s\n' "$HW_BOOTSTRAP" >"$HW_TMP/k.conf"
st 0 -c "$HW_TMP/k.conf" status
has 'hirewire +talent\.hires +1 +2 +5 +3 +behind at 2025-07-01T00:00:00Z'
FREE=$(hw_free_port)
st 69 -b "127.0.0.1:$FREE" status
grep -qF 'Kafka: cannot read the end offsets' "$HW_TMP/err" || hw_fail "status, Kafka unreachable: $(cat "$HW_TMP/err")"
[[ ! -s $HW_TMP/out ]] || hw_fail "status printed a result with Kafka unreachable"

hw_note "dlq: empty"
st 0 -b "$HW_BOOTSTRAP" dlq
[[ $(cat "$HW_TMP/out") == "no rejected messages in talent.dlq" ]] || hw_fail "dlq of an empty topic: $(cat "$HW_TMP/out")"
st 0 -b "$HW_BOOTSTRAP" --json dlq
[[ $(cat "$HW_TMP/out") == "[]" ]] || hw_fail "dlq --json of an empty topic: $(cat "$HW_TMP/out")"
st 0 -b "$HW_BOOTSTRAP" --csv dlq
[[ $(cat "$HW_TMP/out") == "time,class,reason,source,dlq,bytes" ]] || hw_fail "dlq --csv of an empty topic: $(cat "$HW_TMP/out")"

hw_note "dlq: rejected messages, the newest --count oldest first"
kcat -P -b "$HW_BOOTSTRAP" -t talent.dlq -p 0 -H hw.error=bad_framing -H 'hw.reason=byte 0 is 0x7b, not 0x00' \
  -H hw.src.topic=talent.hires -H hw.src.partition=1 -H hw.src.offset=3 <<<'{"not":"avro"}'
kcat -P -b "$HW_BOOTSTRAP" -t talent.dlq -p 1 -H hw.error=invalid_field -H 'hw.reason=to_country: "XX"' \
  -H hw.src.topic=talent.offers -H hw.src.partition=0 -H hw.src.offset=17 <<<'abc'
kcat -P -b "$HW_BOOTSTRAP" -t talent.dlq -p 0 <<<'no headers'
st 0 -b "$HW_BOOTSTRAP" --json dlq
"$HW_PY" - "$HW_TMP/out" <<'PY' || hw_fail "dlq --json: $(cat "$HW_TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 3, d
assert [x["time"] for x in d] == sorted(x["time"] for x in d), d
by = {(x["partition"], x["offset"]): x for x in d}
a = by[(0, 0)]
assert (a["class"], a["reason"], a["src_topic"], a["src_partition"], a["src_offset"], a["bytes"]) == \
    ("bad_framing", "byte 0 is 0x7b, not 0x00", "talent.hires", "1", "3", 14), a
b = by[(1, 0)]
assert (b["class"], b["src_topic"], b["src_offset"], b["bytes"]) == ("invalid_field", "talent.offers", "17", 3), b
c = by[(0, 1)]
assert (c["class"], c["reason"], c["src_topic"], c["bytes"]) == ("", "", "", 10), c
assert d[-1] is c, d
PY
st 0 -b "$HW_BOOTSTRAP" dlq --count 2
[[ $(grep -c '@' "$HW_TMP/out") -eq 2 ]] || hw_fail "dlq --count 2: $(cat "$HW_TMP/out")"
has 'time +class +reason +source +dlq +bytes' \
  '[0-9T:.Z-]+ +invalid_field +to_country: "XX" +talent\.offers/0@17 +1@0 +3' \
  '[0-9T:.Z-]+ +/@ +0@1 +10'
st 0 -b "$HW_BOOTSTRAP" --csv dlq --count 1
[[ $(tail -1 "$HW_TMP/out" | cut -d, -f2-) == ",,/@,0@1,10" ]] || hw_fail "dlq --csv: $(cat "$HW_TMP/out")"
# The DLQ topic of the config file.
printf 'brokers = %s\ntopic.dlq = rejects.v2\n' "$HW_BOOTSTRAP" >"$HW_TMP/d.conf"
kcat -P -b "$HW_BOOTSTRAP" -t rejects.v2 -p 0 -H hw.error=too_large <<<'big'
st 0 -c "$HW_TMP/d.conf" --json dlq
json 'assert [x["class"] for x in d] == ["too_large"], d'
st 69 -b "127.0.0.1:$FREE" dlq
grep -qF 'Kafka: no metadata for talent.dlq' "$HW_TMP/err" || hw_fail "dlq, Kafka unreachable: $(cat "$HW_TMP/err")"

echo PASS
