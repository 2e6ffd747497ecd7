#!/usr/bin/env bash
# The consumer over the scenario and a 50k-event generated stream: every
# key under the prefix equals what the independent model (tests/lib/model.py,
# written from SPEC.md and docs/redis-keys.md) computes from the input, the
# window invariant holds, and the scenario's facts show: MSL has 44
# members, the person who left it is gone from it, Korea's 365d index is
# -0.36 and 35th of the 38 OECD members; one atomic step of
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
# Korea as reported for 2024: -0.36 per 10,000, 35th of the 38 OECD members.
kr=$(rc ZSCORE scn:flow:365d:index:oecd KR)
[[ $(printf '%.2f' "$kr") == -0.36 ]] || hw_fail "Korea's 365d index is $kr, the scenario's figure is -0.36"
[[ $(rc ZREVRANK scn:flow:365d:index:oecd KR) == 34 && $(rc ZCARD scn:flow:365d:index:oecd) == 38 ]] ||
  hw_fail "Korea ranks $(( $(rc ZREVRANK scn:flow:365d:index:oecd KR) + 1 )) of $(rc ZCARD scn:flow:365d:index:oecd), not 35 of 38"
# The departure: Ryan Holt joined MSL from OpenAI and went back.
person_lab() { # person_lab PREFIX PERSON_ID: the lab the registry holds for them
  "$HW_PY" - "$HW_SRC_DIR/tests/lib" "$HW_REDIS_PORT" "$1" "$2" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import model
import redis
st = model.read_state(redis.Redis(port=int(sys.argv[2])), sys.argv[3], match_suffix="persons:*")
print(st.get(sys.argv[3] + "person:" + sys.argv[4], {}).get("lab", "(none)"))
PY
}
[[ $(person_lab scn: p-ryan-holt) == OpenAI ]] || hw_fail "p-ryan-holt is not back at OpenAI: $(person_lab scn: p-ryan-holt)"
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

hw_note "a step Redis refuses for good: exit 1, and nothing written, offsets included"
# Each case plants one bad key; the step checks every key before its first
# write, so after the refusal that key is the only one under the prefix.
refused() { # refused PREFIX WHAT-THE-LOG-SAYS REDIS-COMMAND...
  local prefix=$1 says=$2 code=0 before after
  shift 2
  rc "$@" >/dev/null
  before=$(redis-cli -p "$HW_REDIS_PORT" --scan --pattern "${prefix}*" | sort)
  HW_CONSUMER_TIMEOUT=60 hw_consumer --until-caught-up --group "${prefix%:}" --prefix "$prefix" || code=$?
  [[ $code -eq 1 ]] || hw_fail "$prefix: exit $code after a refused step, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
  grep -q "batch failed: .*$says" "$HW_CONSUMER_LOG" || hw_fail "$prefix: no clear error: $(tail -2 "$HW_CONSUMER_LOG")"
  # (The closing line repeats the error: it is not an attempt.)
  [[ $(grep -v 'exiting with status' "$HW_CONSUMER_LOG" | grep -c 'batch failed') -eq 1 ]] ||
    hw_fail "$prefix: the failed batch was tried again"
  tail -1 "$HW_CONSUMER_LOG" | grep -q 'exiting with status 1 (failed): batch failed: ' ||
    hw_fail "$prefix: the last line does not give the status and why: $(tail -1 "$HW_CONSUMER_LOG")"
  after=$(redis-cli -p "$HW_REDIS_PORT" --scan --pattern "${prefix}*" | sort)
  [[ $after == "$before" ]] || hw_fail "$prefix: a refused step wrote keys: $(comm -13 <(echo "$before") <(echo "$after") | head -5 | tr '\n' ' ')"
}
hw_note "a Redis in the older bucket layout: the consumer names the upgrade (exit 2), a replay rebuilds it"
rc ZADD old:b:days 20179 20250401 >/dev/null
rc SADD old:b:20250401 lab:x:hires >/dev/null
rc HSET old:b:20250401:lab:x:hires OpenAI 1 >/dev/null
code=0
hw_consumer --until-caught-up --group old --prefix old: || code=$?
[[ $code -eq 2 ]] || hw_fail "exit $code on the older layout, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'older layout (old:b:20250401 is a set.*hirewire-consumer --replay --from earliest' "$HW_CONSUMER_LOG" ||
  hw_fail "the upgrade is not named: $(tail -1 "$HW_CONSUMER_LOG")"
hw_consumer --group old --prefix old: --replay --from earliest || hw_fail "the upgrade replay exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
[[ $(rc TYPE old:b:20250401) == none && $(rc EXISTS old:b:20250401:lab:x:hires) == 0 ]] ||
  hw_fail "the older layout's keys survived the replay"
hw_consume_all --group old --prefix old:
hw_model_check old: "$HW_TMP/wide.ndjson"
hw_note "the layout before bucket logs (a day's buckets in one hash): named the same way"
rc ZADD old2:b:days 20179 20250401 >/dev/null
rc HSET old2:b:20250401 'lab:x:hires OpenAI' 1 >/dev/null
code=0
hw_consumer --until-caught-up --group old2 --prefix old2: || code=$?
[[ $code -eq 2 ]] || hw_fail "exit $code on the hash layout, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'older layout (old2:b:20250401 is a hash, not a bucket log.*hirewire-consumer --replay --from earliest' "$HW_CONSUMER_LOG" ||
  hw_fail "the upgrade from the hash layout is not named: $(tail -1 "$HW_CONSUMER_LOG")"
[[ $(rc HGET old2:b:20250401 'lab:x:hires OpenAI') == 1 ]] || hw_fail "the refused start changed old2:b:20250401"
hw_note "the layout before the person registry (a hash per person, no layout key): named, and a replay rebuilds it"
rc SET old3:watermark 1743465600000 >/dev/null
rc HSET old3:person:p-x lab OpenAI origin Google >/dev/null
code=0
hw_consumer --until-caught-up --group old3 --prefix old3: || code=$?
[[ $code -eq 2 ]] || hw_fail "exit $code on the layout before the person registry, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'older layout (old3:layout is none, this version writes 6.*hirewire-consumer --replay --from earliest' "$HW_CONSUMER_LOG" ||
  hw_fail "the upgrade from per-person hashes is not named: $(tail -1 "$HW_CONSUMER_LOG")"
hw_consumer --group old3 --prefix old3: --replay --from earliest || hw_fail "the upgrade replay exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
[[ $(rc EXISTS old3:person:p-x) == 0 && $(rc GET old3:layout) == 6 ]] ||
  hw_fail "after the replay: old3:person:p-x still there or old3:layout is $(rc GET old3:layout)"
hw_consume_all --group old3 --prefix old3:
hw_model_check old3: "$HW_TMP/wide.ndjson"

refused bad: WRONGTYPE SET bad:labs not-a-sorted-set            # written after the windows
[[ $(rc GET bad:labs) == not-a-sorted-set ]] || hw_fail "bad:labs changed"
refused bad2: WRONGTYPE SET bad2:b:days not-a-sorted-set        # only ever written
refused bad3: 'not a number' HSET bad3:org:org-wide:losses:all lab-wide-0 many
[[ $(rc HGET bad3:org:org-wide:losses:all lab-wide-0) == many ]] || hw_fail "the bad field changed"
echo PASS
