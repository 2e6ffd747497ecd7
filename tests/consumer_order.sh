#!/usr/bin/env bash
# The same events in another order (a different interleaving of persons,
# on brokers with 3 and 7 partitions) give the same final state, and both
# equal the independent model. Events sent again (the whole scenario, and
# one event twice within a batch) are skipped and counted as duplicates.
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
echo PASS
