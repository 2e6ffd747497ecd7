#!/usr/bin/env bash
# Bad configuration stops the consumer before it touches Kafka or Redis:
# exit 2 with a message naming the key (file line, -s and flags alike).
source "$(dirname "$0")/lib/services.sh"

expect_usage() { # expect_usage WHAT PATTERN ARGS...
  local what=$1 pattern=$2 rc=0
  shift 2
  "$HW_BIN_DIR/hirewire-consumer" --metrics-addr off "$@" 2>"$HW_TMP/err" || rc=$?
  [[ $rc -eq 2 ]] || hw_fail "$what: exit $rc, expected 2 ($(cat "$HW_TMP/err"))"
  grep -q -- "$pattern" "$HW_TMP/err" || hw_fail "$what: message does not name $pattern: $(cat "$HW_TMP/err")"
}

expect_usage "bad window" "windows" -b 127.0.0.1:1 -s windows=7x
expect_usage "unknown key" "no.such.key" -b 127.0.0.1:1 -s no.such.key=1
expect_usage "bad batch size" "batch.max.events" -b 127.0.0.1:1 -s batch.max.events=0
expect_usage "bad redis url" "redis.url" -b 127.0.0.1:1 --redis http://x
expect_usage "bad kafka property" "no.such.property" -b 127.0.0.1:1 -X no.such.property=1
printf 'group = g\nwindows = 30d,banana\n' >"$HW_TMP/bad.conf"
expect_usage "bad file line" "bad.conf:2" -c "$HW_TMP/bad.conf"
printf 'country,base\nXX,100\n' >"$HW_TMP/bases.csv"
expect_usage "bad country file" "bases.csv:2" -b 127.0.0.1:1 -s "country.bases.file=$HW_TMP/bases.csv"
expect_usage "unknown flag" "usage\|Usage" --no-such-flag

# A valid metrics address that cannot be bound: the service is unavailable
# (69), said in the closing line too.
rc=0
"$HW_BIN_DIR/hirewire-consumer" -b 127.0.0.1:1 --metrics-addr 192.0.2.1:9464 2>"$HW_TMP/err" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "an address that cannot be bound: exit $rc, want 69 ($(cat "$HW_TMP/err"))"
grep -q 'metrics: .*192.0.2.1:9464' "$HW_TMP/err" || hw_fail "the error does not name the address: $(cat "$HW_TMP/err")"
tail -1 "$HW_TMP/err" | grep -q 'exiting with status 69 (unavailable): metrics: ' ||
  hw_fail "the last line does not say the status and why: $(tail -1 "$HW_TMP/err")"
echo PASS
