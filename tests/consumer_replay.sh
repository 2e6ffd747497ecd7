#!/usr/bin/env bash
# Replay (hirewire-consumer --replay): --diff reports nothing on an unchanged
# database and exactly the changes made by hand; a replay repairs them
# (every key equals the model of a clean run) and raises no alert again; a
# replay while a live consumer keeps consuming new events ends equal to a
# clean run over all events; an interrupted replay swaps nothing and leaves
# no staging key; --from TIME rebuilds from the events published since,
# and is swapped in only with --yes when it leaves out events the live
# state counted; a rebuild that holds no event is never swapped in; --diff
# exits 1 when anything differs, 0 when nothing does. A replay does not
# start while another holds the prefix's lock, and removes the staging
# keys a killed one left.
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 30000 --seed 61 >"$HW_TMP/gen1.ndjson" 2>/dev/null
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 30000 --seed 62 >"$HW_TMP/gen2.ndjson" 2>/dev/null
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
sleep 1.2
from=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.2
hw_produce "$HW_TMP/gen1.ndjson"
hw_consume_all "${fast_group[@]}"
all1=("$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen1.ndjson")
hw_model_check hw: "${all1[@]}"
alerts_before=$(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts)
alert_ids() { redis-cli -p "$HW_REDIS_PORT" --raw XRANGE hw:alerts - + | awk 'p == "alert_id" {print} {p = $0}' | sort; }
alert_ids >"$HW_TMP/alerts.before"

staging_keys() { redis-cli -p "$HW_REDIS_PORT" --scan --pattern 'replay:*' | wc -l; }

hw_note "--diff on an unchanged database: no difference"
hw_consumer --replay --diff >"$HW_TMP/diff0.tsv" || hw_fail "replay --diff exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
[[ ! -s $HW_TMP/diff0.tsv ]] || hw_fail "differences on an unchanged database: $(head -5 "$HW_TMP/diff0.tsv")"
[[ $(staging_keys) -eq 0 ]] || hw_fail "--diff left staging keys"

hw_note "progress: redrawn on a terminal, one summary line otherwise"
grep -q 'ETA' "$HW_CONSUMER_LOG" && hw_fail "progress lines on a non-terminal"
[[ $(grep -c '^replay: [0-9]* of [0-9]* offsets on [0-9]* partitions' "$HW_CONSUMER_LOG") -eq 1 ]] ||
  hw_fail "no single summary line on a non-terminal"
script -qefc "$(printf '%q ' "$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" \
  --redis "$HW_REDIS_URL" -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
  -s batch.max.events=20 --replay --diff)" /dev/null >"$HW_TMP/tty.out" 2>&1 || hw_fail "replay on a terminal failed"
# Redrawn in place: carriage return, erase line, the line.
[[ $(grep -ao $'\r\e\\[Kreplay: partitions [0-9]*/[0-9]* done, offsets [0-9]*/[0-9]* ([0-9]*%), [0-9]* events/s, ETA [0-9]* s' \
  "$HW_TMP/tty.out" | wc -l) -ge 2 ]] || hw_fail "no progress line redrawn on a terminal: $(cat -A "$HW_TMP/tty.out" | head -c 600)"

hw_note "three changes by hand: --diff reports exactly them"
members=$(redis-cli -p "$HW_REDIS_PORT" HGET hw:lab:meta-superintelligence-labs members)
redis-cli -p "$HW_REDIS_PORT" HINCRBY hw:lab:meta-superintelligence-labs members 5 >/dev/null
redis-cli -p "$HW_REDIS_PORT" HSET hw:lab:meta-superintelligence-labs:origin Bogus 3 >/dev/null
redis-cli -p "$HW_REDIS_PORT" ZADD hw:labs 7 bogus-lab >/dev/null
rc=0
hw_consumer --replay --diff >"$HW_TMP/diff1.tsv" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "replay --diff with differences exited $rc, want 1"
printf 'key\tfield\tlive\trebuilt\n%s\n%s\n%s\n' \
  "labs	bogus-lab	7	" \
  "lab:meta-superintelligence-labs	members	$((members + 5))	$members" \
  "lab:meta-superintelligence-labs:origin	Bogus	3	" | sort >"$HW_TMP/diff1.want"
sort "$HW_TMP/diff1.tsv" | diff "$HW_TMP/diff1.want" - >&2 || hw_fail "--diff did not report exactly the three changes"
[[ $(redis-cli -p "$HW_REDIS_PORT" HGET hw:lab:meta-superintelligence-labs members) -eq $((members + 5)) ]] ||
  hw_fail "--diff changed the live keys"

hw_note "a second replay while one holds the prefix's lock: exit 1, naming it"
redis-cli -p "$HW_REDIS_PORT" SET replay:lock:hw: 4242 PX 60000 >/dev/null
rc=0
hw_consumer --replay || rc=$?
[[ $rc -eq 1 ]] || hw_fail "a replay beside another exited $rc, want 1"
grep -q 'another replay of prefix hw: is running (Redis key replay:lock:hw:)' "$HW_CONSUMER_LOG" ||
  hw_fail "the running replay is not named: $(tail -2 "$HW_CONSUMER_LOG")"
[[ $(redis-cli -p "$HW_REDIS_PORT" GET replay:lock:hw:) == 4242 ]] || hw_fail "the other replay's lock was touched"
redis-cli -p "$HW_REDIS_PORT" DEL replay:lock:hw: >/dev/null

hw_note "a replay repairs them, removing what a replay killed before left in staging"
redis-cli -p "$HW_REDIS_PORT" HSET replay:hw:lab:left-behind name Left members 9 >/dev/null
hw_consumer --replay || hw_fail "replay exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'replay swapped in' "$HW_CONSUMER_LOG" || hw_fail "no swap logged"
grep -q 'removed the staging keys of an interrupted replay.* keys=1' "$HW_CONSUMER_LOG" ||
  hw_fail "the staging key left behind is not reported: $(grep -i staging "$HW_CONSUMER_LOG" | head -2)"
[[ $(redis-cli -p "$HW_REDIS_PORT" EXISTS hw:lab:left-behind) -eq 0 ]] || hw_fail "a key left in staging was swapped in"

hw_note "--diff escapes tabs, newlines, carriage returns and backslashes: one line per difference"
redis-cli -p "$HW_REDIS_PORT" HSET hw:lab:meta-superintelligence-labs:origin $'Tab\there' 2 \
  $'Back\\slash\r\nNew' 1 >/dev/null
rc=0
hw_consumer --replay --diff >"$HW_TMP/diff3.tsv" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "replay --diff with differences exited $rc, want 1"
grep -qxF $'lab:meta-superintelligence-labs:origin\tTab\\there\t2\t' "$HW_TMP/diff3.tsv" ||
  hw_fail "a tab in a field is not escaped: $(cat -A "$HW_TMP/diff3.tsv")"
grep -qxF $'lab:meta-superintelligence-labs:origin\tBack\\\\slash\\r\\nNew\t1\t' "$HW_TMP/diff3.tsv" ||
  hw_fail "a backslash, CR or newline in a field is not escaped: $(cat -A "$HW_TMP/diff3.tsv")"
[[ $(wc -l <"$HW_TMP/diff3.tsv") -eq 3 && $(awk -F'\t' 'NF != 4' "$HW_TMP/diff3.tsv" | wc -l) -eq 0 ]] ||
  hw_fail "not one four-field line per difference: $(cat -A "$HW_TMP/diff3.tsv")"
redis-cli -p "$HW_REDIS_PORT" HDEL hw:lab:meta-superintelligence-labs:origin $'Tab\there' \
  $'Back\\slash\r\nNew' >/dev/null
hw_model_check hw: "${all1[@]}"
[[ $(staging_keys) -eq 0 ]] || hw_fail "staging keys left after the swap"
[[ $(redis-cli -p "$HW_REDIS_PORT" XLEN hw:alerts) -eq $alerts_before ]] || hw_fail "the replay raised alerts"
hw_consumer --replay --alerts || hw_fail "replay --alerts exited $?"
# Only ids never raised before: none twice; single-event alerts were all
# raised already, and so were the brain_drains (judged at the end of what
# is read, and not again within a year of one raised). Raids are judged on
# the hires seen so far, so a replay that reads the partitions in another
# order may date one differently (docs/redis-keys.md); the alerts must
# still be true to the events.
alert_ids >"$HW_TMP/alerts.after"
[[ -z $(uniq -d "$HW_TMP/alerts.after") ]] || hw_fail "an alert id was raised twice"
[[ -z $(comm -23 "$HW_TMP/alerts.before" "$HW_TMP/alerts.after") ]] || hw_fail "alerts disappeared"
comm -13 "$HW_TMP/alerts.before" "$HW_TMP/alerts.after" >"$HW_TMP/alerts.new"
grep -v '^raid:' "$HW_TMP/alerts.new" && hw_fail "replay --alerts raised these alerts again"
hw_note "replay --alerts raised $(wc -l <"$HW_TMP/alerts.new") new raid ids: $(tr '\n' ' ' <"$HW_TMP/alerts.new")"
"$HW_PY" "$HW_SRC_DIR/tests/lib/expected_alerts.py" "$HW_BASES" "$HW_GROUPS" "${all1[@]}" >"$HW_TMP/alerts.want"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_alert_events.py" --expect "$HW_TMP/alerts.want" "$HW_REDIS_PORT" hw: "${all1[@]}" ||
  hw_fail "after replay --alerts the alerts are not true to the events"
hw_model_check hw: "${all1[@]}"

hw_note "an interrupted replay swaps nothing and removes its staging keys"
redis-cli -p "$HW_REDIS_PORT" HINCRBY hw:lab:meta-superintelligence-labs members 1 >/dev/null
HW_CONSUMER_N=$(( ${HW_CONSUMER_N:-0} + 1 ))
HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
"$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" \
  -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
  -s batch.max.events=10 --replay 2>>"$HW_CONSUMER_LOG" &
replay=$!
HW_PIDS+=("$replay")
hw_wait_for "[[ \$(staging_keys) -gt 0 ]]" 30 || hw_fail "the replay wrote no staging key"
kill -TERM "$replay"
rc=0
wait "$replay" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "an interrupted replay exited $rc, want 1"
[[ $(staging_keys) -eq 0 ]] || hw_fail "an interrupted replay left $(staging_keys) staging keys"
[[ $(redis-cli -p "$HW_REDIS_PORT" HGET hw:lab:meta-superintelligence-labs members) -eq $((members + 1)) ]] ||
  hw_fail "an interrupted replay changed the live keys"

# Every key under hw: (offsets, epoch and alerts included) with a digest of
# its value.
snapshot() {
  "$HW_PY" -c '
import hashlib, sys, redis
r = redis.Redis(port=int(sys.argv[1]))
for k in sorted(r.scan_iter(match="hw:*", count=1000)):
    print(k.decode(), hashlib.sha1(r.dump(k) or b"").hexdigest())' "$HW_REDIS_PORT"
}
hw_note "--from after the last event: an empty rebuild, never swapped in, even with --yes"
snapshot >"$HW_TMP/snap0"
[[ $(wc -l <"$HW_TMP/snap0") -gt 100 ]] || hw_fail "too few live keys to check: $(wc -l <"$HW_TMP/snap0")"
for yes in "" --yes; do
  rc=0
  hw_consumer --replay --from 2099-01-01T00:00:00Z $yes || rc=$?
  [[ $rc -eq 1 ]] || hw_fail "replay --from 2099 $yes exited $rc, want 1"
  grep -q 'the rebuild holds no event (none published at or after --from); nothing swapped' "$HW_CONSUMER_LOG" ||
    hw_fail "no clear error for an empty rebuild: $(tail -3 "$HW_CONSUMER_LOG")"
  snapshot | diff "$HW_TMP/snap0" - >&2 || hw_fail "replay --from 2099 $yes changed live keys"
done
[[ $(staging_keys) -eq 0 ]] || hw_fail "an empty rebuild left staging keys"

hw_note "--from TIME after events the live state counted: nothing swapped without --yes"
rc=0
hw_consumer --replay --from "$from" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "replay --from a later time without --yes exited $rc, want 1"
# The scenario's 147 events were published before $from.
grep -Eq 'the rebuild leaves out 147 offsets on [0-9]+ partitions that the live state under hw: counted .*swapping would change [1-9][0-9]* keys \([1-9][0-9]* fields\).*--yes' \
  "$HW_CONSUMER_LOG" || hw_fail "no clear report of what would be lost: $(tail -3 "$HW_CONSUMER_LOG")"
snapshot | diff "$HW_TMP/snap0" - >&2 || hw_fail "replay --from without --yes changed live keys"
[[ $(staging_keys) -eq 0 ]] || hw_fail "a refused swap left staging keys"
rc=0
hw_consumer --replay --from "$from" --diff >"$HW_TMP/diff2.tsv" || rc=$?
[[ $rc -eq 1 && -s $HW_TMP/diff2.tsv ]] || hw_fail "replay --from --diff exited $rc, want 1 and differences"

hw_note "--from TIME --yes: the rebuild holds the events published since"
hw_consumer --replay --from "$from" --yes || hw_fail "replay --from --yes exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'swapping in a rebuild that leaves out 147 offsets' "$HW_CONSUMER_LOG" || hw_fail "--yes did not say what it dropped"
hw_model_check hw: "$HW_TMP/gen1.ndjson"
hw_consumer --replay --from yesterday && hw_fail "--from yesterday was accepted"
grep -q 'expected earliest or an ISO 8601 time' "$HW_CONSUMER_LOG" || hw_fail "no clear error for a bad --from"

hw_note "a replay (from earliest, no --yes) while a live consumer consumes new events"
# On the live consumer's metrics address: the replay says so and goes on.
mport=$(hw_free_port)
hw_consumer_bg "${fast_group[@]}" --metrics-addr "127.0.0.1:$mport"
live=$HW_CONSUMER_PID
hw_wait_for "grep -q 'metrics at http://127.0.0.1:$mport/' '$HW_CONSUMER_LOG'" 10 || hw_fail "the live consumer serves no metrics"
# The replay starts while the live consumer applies events being
# published: its group joined (the first 1,000 of gen2 applied) and the
# rest of gen2 arriving (10 s at 2,900/s: longer than the replay).
head -n 1000 "$HW_TMP/gen2.ndjson" >"$HW_TMP/gen2a.ndjson"
tail -n +1001 "$HW_TMP/gen2.ndjson" >"$HW_TMP/gen2b.ndjson"
hw_produce "$HW_TMP/gen2a.ndjson"
hw_wait_for "(( \$(hw_metric $mport hirewire_events_applied_total) >= 1000 ))" 60 ||
  hw_fail "the live consumer did not apply the first 1,000: $(tail -2 "$HW_CONSUMER_LOG")"
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --rate 2900 "$HW_TMP/gen2b.ndjson" \
  2>>"$HW_TMP/produce.log" &
producer=$!
HW_PIDS+=("$producer")
hw_wait_for "(( \$(hw_metric $mport hirewire_events_applied_total) > 1000 ))" 30 ||
  hw_fail "the live consumer applied none of the events being published"
applied=$(hw_metric "$mport" hirewire_events_applied_total)
# Small steps keep the replay going for seconds (whole ones take 0.6 s).
hw_consumer --replay --metrics-addr "127.0.0.1:$mport" -s batch.max.events=100 ||
  hw_fail "replay beside a live consumer exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
# It was beside one that kept consuming: the live consumer applied events
# while the replay ran.
(( $(hw_metric "$mport" hirewire_events_applied_total) > applied )) ||
  hw_fail "the live consumer applied nothing while the replay ran"
grep -q 'the replay goes on without them' "$HW_CONSUMER_LOG" ||
  hw_fail "the replay did not say that the metrics address was taken: $(grep metrics "$HW_CONSUMER_LOG" | head -2)"
wait "$producer" || hw_fail "producing gen2 failed"
kill -TERM "$live"
wait "$live" || hw_fail "the live consumer exited $? after SIGTERM"
grep -q 'batch dropped' "$HW_TMP"/consumer-*.log && hw_note "(the live consumer's step after the swap was fenced: read again)"
hw_consume_all "${fast_group[@]}"
hw_model_check hw: "${all1[@]}" "$HW_TMP/gen2.ndjson"
hw_note "a replay serves metrics; --diff of a state that matches exits 0"
hw_consumer --replay --diff --metrics-addr 127.0.0.1:0 >"$HW_TMP/diff-last.tsv" ||
  hw_fail "replay --diff of a matching state exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'metrics at http://127.0.0.1:' "$HW_CONSUMER_LOG" || hw_fail "the replay served no metrics"
echo PASS
