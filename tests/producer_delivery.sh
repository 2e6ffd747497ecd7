#!/usr/bin/env bash
# hirewire-produce when deliveries fail or it is stopped, each outcome read
# back from the topic: a broker refusing some produce requests (the
# devbroker's --control errors) exits 1 naming the failed events, the
# others on the topic; refusing all of them is still exit 1, not 69
# (the broker answered); deliveries still queued when the drain limit
# passes are purged, named and exit 69; SIGTERM while waiting on stdin
# stops the input without calling it a read error (exit 1, what was read
# delivered); SIGTERM while the Schema Registry does not answer stops at
# once (exit 69, nothing sent); an archive record librdkafka refuses
# exits 1 naming it and reads no later archive file; the generator stops
# at an event it cannot frame (registry down: exit 69).
source "$(dirname "$0")/lib/services.sh"

produce() { "$HW_BIN_DIR/hirewire-produce" "$@"; }
valid=$HW_TMP/valid.ndjson
grep -E '"event_id":"mx-(1|3|7|11)"' "$HW_SRC_DIR/tests/data/mixed.ndjson" >"$valid"
[[ $(wc -l <"$valid") -eq 4 ]] || hw_fail "tests/data/mixed.ndjson: want its 4 valid lines"

ctl=$HW_TMP/control
hw_start_broker --control "$ctl" --topic some.refused --topic all.refused --topic stdin.t --topic reg.t \
  --topic arch.t --topic gen.t
log=$(ls "$HW_TMP"/broker*.log)
b=(--bootstrap-file "$HW_BOOTSTRAP_FILE")
# The keys (person_id) of the messages on topic $1, sorted, on one line;
# each event here has a person of its own.
# kcat is given 20 s: a read that does not end is retried or fails the
# test, it does not hang it.
keys_on() { timeout 20 kcat -C -b "$HW_BOOTSTRAP" -t "$1" -o beginning -e -q -f '%k\n' 2>/dev/null | sort | tr '\n' ' '; }
count() { timeout 20 kcat -C -b "$HW_BOOTSTRAP" -t "$1" -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }
# control LINE: the devbroker applies it (its log says so).
controls() { grep -c 'msg="control: ' "$log" || true; }
control() {
  local before
  before=$(controls)
  printf '%s\n' "$1" >"$ctl"
  hw_wait_for "[[ \$(controls) -gt $before ]]" 15 || hw_fail "no log line about \"$1\""
  grep 'msg="control: ' "$log" | tail -1 | grep -qF "applied \\\"$1\\\"" || hw_fail "\"$1\" not applied: $(tail -1 "$log")"
}
free_port=$(hw_free_port)

hw_note "the broker refuses one produce request (MESSAGE_TOO_LARGE): exit 1, that event named, the others on the topic"
control "errors 0 1 10"
rc=0
# One event per produce request (batch.num.messages=1: without it, events
# paced 200 ms apart still share a request when the producer's id takes
# longer to come). Which request is the first to reach the broker is
# librdkafka's to decide (on a loaded machine it need not be the first
# event's): the one refused is named, the others are on the topic.
one=(--rate 5 -X batch.num.messages=1)
produce "${b[@]}" --topic some.refused "${one[@]}" "$valid" 2>"$HW_TMP/some.err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "one refused delivery: exit $rc, want 1: $(cat "$HW_TMP/some.err")"
refused=$(sed -n 's/.*delivery failed for event_id mx-\([0-9]*\) to some\.refused: Broker: Message size too large.*/\1/p' \
  "$HW_TMP/some.err")
[[ $refused =~ ^(1|3|7|11)$ ]] || hw_fail "not one refused event named: $(cat "$HW_TMP/some.err")"
grep -q 'delivered=3 failed=1' "$HW_TMP/some.err" || hw_fail "summary: $(tail -1 "$HW_TMP/some.err")"
want=$(printf 'p-%s\n' 1 3 7 11 | grep -vx "p-$refused" | sort | tr '\n' ' ')
[[ $(keys_on some.refused) == "$want" ]] ||
  hw_fail "some.refused holds the events of: $(keys_on some.refused), want $want (mx-$refused refused)"

hw_note "the broker refuses every produce request: exit 1 (it answered), not 69"
control "errors 0 4 10"
rc=0
produce "${b[@]}" --topic all.refused "${one[@]}" "$valid" 2>"$HW_TMP/all.err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "every delivery refused: exit $rc, want 1: $(cat "$HW_TMP/all.err")"
grep -q 'delivered=0 failed=4' "$HW_TMP/all.err" || hw_fail "summary: $(tail -1 "$HW_TMP/all.err")"
[[ $(count all.refused) -eq 0 ]] || hw_fail "all.refused holds $(count all.refused) messages"
# Any refusal left unused (were two events ever sent in one request) would
# fail the next producer's deliveries: the next steps start clean.
control "clear 0"

hw_note "deliveries outlasting the drain limit (--timeout 1 + 5 s) are purged and named: exit 69"
rc=0
start=$SECONDS
# The user's message.timeout.ms wins over --timeout's: nothing times out
# on its own before the drain gives up.
produce -b "127.0.0.1:$free_port" --timeout 1 -X message.timeout.ms=600000 "$valid" 2>"$HW_TMP/purge.err" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "purged deliveries: exit $rc, want 69: $(grep -v kafka "$HW_TMP/purge.err")"
[[ $((SECONDS - start)) -lt 30 ]] || hw_fail "the drain took $((SECONDS - start)) s"
for id in mx-1 mx-3 mx-7 mx-11; do
  grep -q "delivery failed for event_id $id to talent\.[a-z]*: Local: Purged in queue" "$HW_TMP/purge.err" ||
    hw_fail "$id not named as purged: $(grep -v kafka "$HW_TMP/purge.err")"
done
grep -q 'delivered=0 failed=4' "$HW_TMP/purge.err" || hw_fail "summary: $(tail -1 "$HW_TMP/purge.err")"

hw_note "SIGTERM while waiting on stdin: the input stops, no read error, what was read delivered, exit 1"
mkfifo "$HW_TMP/stdin.fifo"
"$HW_BIN_DIR/hirewire-produce" "${b[@]}" --topic stdin.t <"$HW_TMP/stdin.fifo" 2>"$HW_TMP/stdin.err" &
pid=$!
HW_PIDS+=("$pid")
exec 7>"$HW_TMP/stdin.fifo" # held open: the producer waits for more
cat "$valid" >&7
hw_wait_for "[[ \$(count stdin.t) -eq 4 ]]" 30 || hw_fail "the 4 lines written were not delivered: $(count stdin.t)"
kill -TERM "$pid"
# Gone (or a zombie waiting for this shell) within 30 s, else the test
# fails rather than waits.
hw_wait_for "[[ \$(ps -o stat= -p $pid) != [^Z]* ]]" 30 ||
  hw_fail "still running 30 s after SIGTERM: $(cat "$HW_TMP/stdin.err")"
rc=0
wait "$pid" || rc=$?
exec 7>&-
[[ $rc -eq 1 ]] || hw_fail "SIGTERM on stdin: exit $rc, want 1: $(cat "$HW_TMP/stdin.err")"
grep -q 'interrupted: stopped reading input' "$HW_TMP/stdin.err" || hw_fail "SIGTERM not reported: $(cat "$HW_TMP/stdin.err")"
! grep -q 'cannot read' "$HW_TMP/stdin.err" || hw_fail "SIGTERM reported as a read error: $(cat "$HW_TMP/stdin.err")"
grep -q 'lines=4 valid=4 invalid=0 delivered=4 failed=0' "$HW_TMP/stdin.err" || hw_fail "summary: $(tail -1 "$HW_TMP/stdin.err")"

hw_note "SIGTERM while the Schema Registry does not answer: stops at once, exit 69, nothing sent"
"$HW_BIN_DIR/hirewire-produce" "${b[@]}" --topic reg.t --timeout 120 -s "schema.registry.url=http://127.0.0.1:$free_port" "$valid" \
  2>"$HW_TMP/reg.err" &
pid=$!
HW_PIDS+=("$pid")
hw_wait_for "grep -q 'retry_in_ms=400' '$HW_TMP/reg.err'" 30 || hw_fail "no retries: $(cat "$HW_TMP/reg.err")"
start=$SECONDS
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[[ $((SECONDS - start)) -lt 10 ]] || hw_fail "stopped $((SECONDS - start)) s after SIGTERM"
[[ $rc -eq 69 ]] || hw_fail "SIGTERM with the registry down: exit $rc, want 69: $(tail -3 "$HW_TMP/reg.err")"
grep -q "schema registry http://127.0.0.1:$free_port unreachable: .*; stopped before event_id mx-1" "$HW_TMP/reg.err" ||
  hw_fail "the event not sent is not named: $(tail -3 "$HW_TMP/reg.err")"
grep -q 'interrupted: stopped reading input' "$HW_TMP/reg.err" || hw_fail "SIGTERM not reported: $(tail -3 "$HW_TMP/reg.err")"
[[ $(count reg.t) -eq 0 ]] || hw_fail "reg.t holds $(count reg.t) messages"

hw_note "--generate with the registry down: the first event is not sent, exit 69"
rc=0
produce "${b[@]}" --topic gen.t --generate 5 --timeout 1 -s "schema.registry.url=http://127.0.0.1:$free_port" \
  2>"$HW_TMP/gen.err" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "--generate with the registry down: exit $rc, want 69: $(tail -3 "$HW_TMP/gen.err")"
grep -q 'unreachable: .*; stopped before event_id ' "$HW_TMP/gen.err" || hw_fail "not named: $(tail -3 "$HW_TMP/gen.err")"
grep -q 'lines=1 valid=1 invalid=0 delivered=0 failed=0' "$HW_TMP/gen.err" || hw_fail "summary: $(tail -1 "$HW_TMP/gen.err")"
[[ $(count gen.t) -eq 0 ]] || hw_fail "gen.t holds $(count gen.t) messages"

hw_note "an archive record larger than message.max.bytes: exit 1 naming it, later archive files not read"
"$HW_PY" - "$HW_SRC_DIR/schemas/HireEvent.v2.avsc" "$HW_TMP" <<'PY'
import datetime, sys
import avro.schema
from avro.datafile import DataFileWriter
from avro.io import DatumWriter
schema = avro.schema.parse(open(sys.argv[1]).read())
base = {"event_id": "ar-1", "occurred_at": datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.timezone.utc), "person_id": "p-ar1",
        "person_name": None, "from_org": "OpenAI", "from_lab": None, "to_org": "Meta",
        "to_lab": "Meta Superintelligence Labs", "from_country": "US", "to_country": "US",
        "nationality": None, "alma_mater": None, "tier": "A", "compensation_usd": None,
        "source_url": None}
w = DataFileWriter(open(sys.argv[2] + "/big.avro", "wb"), DatumWriter(), schema, codec="deflate")
w.append(base)
w.append(dict(base, event_id="ar-2", person_id="p-ar2", source_url="https://example.com/" + "a" * 1900))
w.append(dict(base, event_id="ar-3", person_id="p-ar3"))
w.close()
w = DataFileWriter(open(sys.argv[2] + "/later.avro", "wb"), DatumWriter(), schema, codec="deflate")
w.append(dict(base, event_id="ar-4", person_id="p-ar4"))
w.close()
PY
rc=0
produce "${b[@]}" --topic arch.t -X message.max.bytes=1000 --from-archive "$HW_TMP/big.avro" "$HW_TMP/later.avro" \
  2>"$HW_TMP/arch.err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "too large an archive record: exit $rc, want 1: $(cat "$HW_TMP/arch.err")"
grep -q 'cannot produce event_id ar-2 to arch.t: ' "$HW_TMP/arch.err" || hw_fail "ar-2 not named: $(cat "$HW_TMP/arch.err")"
[[ $(keys_on arch.t) == "p-ar1 " ]] || hw_fail "arch.t holds the events of: $(keys_on arch.t), want ar-1's only"
echo PASS
