#!/usr/bin/env bash
# The consumer over the scenario and a 50k-event generated stream: every
# key under the prefix equals what the independent model (tests/lib/model.py,
# written from SPEC.md and docs/redis-keys.md) computes from the input, the
# window invariant holds, and the scenario's facts show: MSL has 44
# members, the person who left it is gone from it.
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
echo PASS
