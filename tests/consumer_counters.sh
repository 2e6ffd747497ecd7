#!/usr/bin/env bash
# The consumer over the scenario and a 50k-event generated stream: every
# key under the prefix equals what the independent model (tests/lib/model.py,
# written from SPEC.md and docs/redis-keys.md) computes from the input, the
# window invariant holds, and the scenario's facts show: MSL has 44
# members, the person who left it is gone from it; one atomic step of
# 9,000 events, each touching a new member of one sorted set, applies; a
# step Redis refuses for good stops the consumer with exit 1.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
hw_start_broker --partitions 4

"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 50000 --seed 11 >"$HW_TMP/gen.ndjson" 2>/dev/null

hw_note "the scenario alone, group scn, prefix scn:"
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
hw_consume_all --group scn --prefix scn:
hw_model_check scn: "$HW_SRC_DIR/examples/scenario.ndjson"

rc() { redis-cli -p "$HW_REDIS_PORT" "$@"; }
msl=scn:lab:meta-superintelligence-labs
[[ $(rc HGET $msl members) == 44 ]] || hw_fail "MSL has $(rc HGET $msl members) members, expected 44"
[[ $(rc HGET $msl:origin OpenAI) == 18 ]] || hw_fail "MSL origin OpenAI is $(rc HGET $msl:origin OpenAI)"
[[ $(rc HGET $msl:nationality CN) == 21 ]] || hw_fail "MSL has $(rc HGET $msl:nationality CN) CN nationals"
# The departure: Ryan Holt joined MSL from OpenAI and went back.
[[ $(rc HGET scn:person:p-ryan-holt lab) == OpenAI ]] || hw_fail "p-ryan-holt is not back at OpenAI"
[[ $(rc HGET $msl:hires:all OpenAI) == 19 ]] || hw_fail "MSL hires from OpenAI (all) is not 19"

hw_note "the scenario and 50k generated events, group hirewire, prefix hw:"
hw_produce "$HW_TMP/gen.ndjson"
hw_consume_all
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson"

hw_note "one atomic step of 9,000 hires, each into a lab of its own (long argument lists in the script)"
"$HW_PY" - "$HW_TMP/wide.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "w") as out:
    for i in range(9000):
        out.write(json.dumps({
            "type": "hire", "event_id": f"wide-{i}", "occurred_at": "2025-05-01T12:00:00Z",
            "person_id": f"p-wide-{i}", "person_name": f"Person {i}", "from_org": "Org Wide",
            "from_lab": None, "to_org": f"Lab Wide {i}", "to_lab": None, "from_country": "US",
            "to_country": "US", "nationality": "US", "alma_mater": None, "tier": "B",
            "compensation_usd": None, "source_url": None}) + "\n")
PY
hw_start_broker --partitions 1
hw_produce "$HW_TMP/wide.ndjson"
hw_consume_all --group wide --prefix wide: -s batch.max.events=10000 -s batch.max.ms=3000 -s log.level=debug
grep -q 'batch applied: messages=9000 ' "$HW_CONSUMER_LOG" ||
  hw_fail "the 9,000 events were not one step: $(grep -o 'batch applied: messages=[0-9]*' "$HW_CONSUMER_LOG" | head -3)"
[[ $(rc ZCARD wide:labs) -eq 9000 ]] || hw_fail "wide:labs has $(rc ZCARD wide:labs) labs"
hw_model_check wide: "$HW_TMP/wide.ndjson"

hw_note "a step Redis refuses for good (a key of the wrong type): exit 1, offsets unmoved"
rc SET bad:labs not-a-sorted-set >/dev/null
code=0
HW_CONSUMER_TIMEOUT=60 hw_consumer --until-caught-up --group bad --prefix bad: || code=$?
[[ $code -eq 1 ]] || hw_fail "exit $code after a refused step, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'batch failed: .*WRONGTYPE' "$HW_CONSUMER_LOG" || hw_fail "no clear error: $(tail -2 "$HW_CONSUMER_LOG")"
[[ $(grep -c 'batch failed' "$HW_CONSUMER_LOG") -eq 1 ]] || hw_fail "the failed batch was tried again"
[[ -z $(redis-cli -p "$HW_REDIS_PORT" --scan --pattern 'bad:offset:*') ]] || hw_fail "offsets moved past a refused step"
echo PASS
