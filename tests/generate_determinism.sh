#!/usr/bin/env bash
# hirewire-produce --generate: the same seed gives the same events, another
# seed other events, and the stream has the shape of the market it models.
source "$(dirname "$0")/lib/services.sh"

gen() { "$HW_BIN_DIR/hirewire-produce" --dry-run --generate "$1" --seed "$2" 2>/dev/null; }

gen 20000 42 >"$HW_TMP/a.ndjson"
gen 20000 42 >"$HW_TMP/b.ndjson"
gen 20000 43 >"$HW_TMP/c.ndjson"
[[ $(wc -l <"$HW_TMP/a.ndjson") -eq 20000 ]] || hw_fail "expected 20000 events"
cmp -s "$HW_TMP/a.ndjson" "$HW_TMP/b.ndjson" || hw_fail "same seed, different output"
cmp -s "$HW_TMP/a.ndjson" "$HW_TMP/c.ndjson" && hw_fail "different seeds, same output"
# Every generated event passes the producer's own validation.
"$HW_BIN_DIR/hirewire-produce" --dry-run --strict "$HW_TMP/a.ndjson" >"$HW_TMP/revalidated.ndjson" ||
  hw_fail "generated events do not pass validation"
cmp -s "$HW_TMP/a.ndjson" "$HW_TMP/revalidated.ndjson" || hw_fail "NDJSON does not round-trip"
for seed in 1 2 3 4 5 11; do
  "$HW_BIN_DIR/hirewire-produce" --dry-run --generate 100000 --seed $seed >/dev/null 2>"$HW_TMP/seed.log" ||
    hw_fail "seed $seed: $(tail -2 "$HW_TMP/seed.log")"
done
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_generated.py" "$HW_TMP/a.ndjson" || hw_fail "generated stream unrealistic"
echo PASS
