#!/usr/bin/env bash
# The same events in another order (a different interleaving of persons,
# on brokers with 3 and 7 partitions) give the same final state, and both
# equal the independent model. Events sent again (the whole scenario, and
# one event twice within a batch) are skipped and counted as duplicates.
# A batch is processed a part at a time (2,000 events): an event sent
# again parts later in the same batch is skipped too (while its day is
# within dedup.days of the watermark; after that it counts again, as in
# Redis), and persons moved in one part are where that part left them in
# the next.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 20000 --seed 23 >"$HW_TMP/gen.ndjson" 2>/dev/null
cat "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson" >"$HW_TMP/in-order.ndjson"
"$HW_PY" "$HW_SRC_DIR/tests/lib/shuffle.py" 5 "$HW_TMP/in-order.ndjson" "$HW_TMP/shuffled.ndjson"
cmp -s "$HW_TMP/in-order.ndjson" "$HW_TMP/shuffled.ndjson" && hw_fail "shuffle changed nothing"

hw_note "in order, 3 partitions, prefix a:"
hw_start_broker --partitions 3
hw_produce "$HW_TMP/in-order.ndjson"
hw_consume_all --prefix a: --group a

hw_note "shuffled, 7 partitions, prefix b:"
hw_start_broker --partitions 7
hw_produce "$HW_TMP/shuffled.ndjson"
hw_consume_all --prefix b: --group b

"$HW_PY" "$HW_SRC_DIR/tests/lib/same_state.py" "$HW_REDIS_PORT" a: b: || hw_fail "the order changed the final state"
hw_model_check b: "$HW_TMP/shuffled.ndjson"

hw_note "announcements sent again: skipped and counted, in Redis's memory and within a batch"
# The scenario again, and a new hire sent twice in a row (one person: one
# partition, the same batch).
"$HW_PY" - "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/twice.ndjson" <<'PY'
import json, sys
hire = next(json.loads(l) for l in open(sys.argv[1]) if '"type":"hire"' in l.replace(" ", ""))
line = json.dumps(dict(hire, event_id="sent-twice-1", person_id="p-sent-twice")) + "\n"
open(sys.argv[2], "w").write(line + line)
PY
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/twice.ndjson"
hw_consume_all --prefix b: --group b
grep -q 'msg="caught up" applied=1 duplicates=148 ' "$HW_CONSUMER_LOG" ||
  hw_fail "not 147 + 1 duplicates and 1 applied: $(grep 'caught up' "$HW_CONSUMER_LOG" | tail -1)"
hw_model_check b: "$HW_TMP/shuffled.ndjson" "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/twice.ndjson"

hw_note "one batch of 3,002 events on one partition, in parts: the 2,000th and the 6th events again at its end"
hw_start_broker --partitions 1
# 1,004 days in time order: the 2,000th event is 335 days before the
# last, within dedup.days; the 6th, 1,002 days before, is not.
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 3000 --seed 29 --span-days 1004 >"$HW_TMP/parts.ndjson" 2>/dev/null
sed -n '2000p;6p' "$HW_TMP/parts.ndjson" >>"$HW_TMP/parts.ndjson"
[[ $(wc -l <"$HW_TMP/parts.ndjson") == 3002 ]] || hw_fail "the stream is not 3,002 events"
# Persons hired in more than one part of the batch, so that a later part
# starts from what an earlier one left.
"$HW_PY" - "$HW_TMP/parts.ndjson" <<'PY' || hw_fail "no person is hired in two parts of the batch"
import json, sys
parts = {}
for i, line in enumerate(open(sys.argv[1])):
    e = json.loads(line)
    if e["type"] == "hire":
        parts.setdefault(e["person_id"], set()).add(i // 2000)
sys.exit(0 if sum(len(p) > 1 for p in parts.values()) >= 10 else 1)
PY
hw_produce "$HW_TMP/parts.ndjson"
hw_consume_all --prefix c: --group c -s batch.max.events=10000 -s batch.max.ms=60000 -s log.level=debug
grep -q 'msg="batch applied: messages=3002 applied=3001 duplicates=1 ' "$HW_CONSUMER_LOG" ||
  hw_fail "not one step of 3,001 applied and 1 duplicate: $(grep 'batch applied' "$HW_CONSUMER_LOG" | tail -3)"
hw_model_check c: "$HW_TMP/parts.ndjson"
echo PASS
