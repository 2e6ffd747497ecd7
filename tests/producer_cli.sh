#!/usr/bin/env bash
# hirewire-produce's command line and inputs beyond producer_input.sh:
# every bad flag value, flag combination and config is refused with exit 2
# naming it, --topic checked as --hires-topic is, and no brokers given;
# stdin is read with no FILE or with -; an input that cannot be read
# stops the run (exit 1) and the inputs after it are not read; lines of
# only spaces, tabs and CRs are skipped, not counted; --strict keeps a
# last line without a newline; an archive holding an invalid event
# reports its record and sends the rest, a missing archive file sends
# nothing (exit 65); --hires-topic, --offers-topic and --topic pick where
# events go; a full local queue is waited out; a message librdkafka
# refuses exits 1 naming the event, settings it refuses exit 2 naming
# them; SIGTERM stops the input, delivers what was queued and says so.
source "$(dirname "$0")/lib/services.sh"

produce() { "$HW_BIN_DIR/hirewire-produce" "$@"; }
valid=$HW_TMP/valid.ndjson
grep -E '"event_id":"mx-(1|3|7|11)"' "$HW_SRC_DIR/tests/data/mixed.ndjson" >"$valid"
[[ $(wc -l <"$valid") -eq 4 ]] || hw_fail "tests/data/mixed.ndjson: want its 4 valid lines"

# expect_usage WHAT... -- ARGS: exit 2 and stderr holding WHAT.
expect_usage() {
  local want=() rc=0
  while [[ $1 != -- ]]; do want+=("$1"); shift; done
  shift
  produce "$@" </dev/null >"$HW_TMP/out" 2>"$HW_TMP/err" || rc=$?
  [[ $rc -eq 2 ]] || hw_fail "hirewire-produce $*: exit $rc, want 2: $(cat "$HW_TMP/err")"
  for w in "${want[@]}"; do
    grep -qF -- "$w" "$HW_TMP/err" || hw_fail "hirewire-produce $*: no '$w' in: $(cat "$HW_TMP/err")"
  done
  [[ ! -s $HW_TMP/out ]] || hw_fail "hirewire-produce $*: printed $(head -c 200 "$HW_TMP/out")"
}

hw_note "bad values and combinations: exit 2, naming them"
expect_usage 'invalid value for --rate: 0' -- --dry-run --generate 3 --rate 0
expect_usage 'invalid value for --rate: fast' -- --dry-run --generate 3 --rate fast
expect_usage 'invalid value for --generate: -5' -- --dry-run --generate -5
expect_usage 'invalid value for --generate: 5x' -- --dry-run --generate 5x
expect_usage 'invalid value for --seed: seven' -- --dry-run --generate 3 --seed seven
expect_usage 'invalid value for --span-days: 9001' -- --dry-run --generate 3 --span-days 9001
expect_usage 'invalid value for --span-days: 0' -- --dry-run --generate 3 --span-days 0
expect_usage 'invalid value for --timeout: 0' -- --dry-run --generate 3 --timeout 0
expect_usage 'invalid value for --timeout: 86401' -- --dry-run --generate 3 --timeout 86401
expect_usage '--from-archive takes archive FILEs, and no --generate' -- --dry-run --from-archive
expect_usage '--from-archive takes archive FILEs, and no --generate' -- --dry-run --from-archive --generate 3 "$valid"
expect_usage '--generate takes no FILE arguments' -- --dry-run --generate 3 "$valid"
expect_usage "unrecognized option '--shoe-size'" 'Usage: hirewire-produce' -- --dry-run --shoe-size 44
expect_usage 'hirewire-produce: -X linger: expected key=value' -- --dry-run -X linger "$valid"
expect_usage "topic.hires: may only hold letters, digits, '.', '_' and '-'" -- --dry-run --hires-topic 'talent hires' "$valid"
expect_usage 'topic.offers: ' -- --dry-run --offers-topic '' "$valid"
expect_usage 'invalid value for --seed: 99999999999999999999' -- --dry-run --generate 3 --seed 99999999999999999999
expect_usage 'invalid value for --rate: 1e999' -- --dry-run --generate 3 --rate 1e999
expect_usage 'invalid value for --rate: 5x' -- --dry-run --generate 3 --rate 5x
expect_usage 'invalid value for --rate: nan' -- --dry-run --generate 3 --rate nan
expect_usage 'invalid value for --span-days: week' -- --dry-run --generate 3 --span-days week
expect_usage 'invalid value for --timeout: 10s' -- --dry-run --generate 3 --timeout 10s
# --topic is checked as topic.hires is, before anything is sent.
expect_usage "--topic: may only hold letters, digits, '.', '_' and '-'" -- --dry-run --topic 'talent hires' "$valid"
expect_usage '--topic: must not be empty' -- --dry-run --topic '' "$valid"
expect_usage '--topic: "." and ".." are not topic names' -- --dry-run --topic .. "$valid"
expect_usage 'no Kafka brokers: give -b LIST' -- "$valid"
# More Schema Registry URLs than the client takes: refused before Kafka.
expect_usage 'schema.registry.url: more than 8 URLs' -- -b 127.0.0.1:1 \
  -s "schema.registry.url=$(printf 'http://r%d:8081,' 1 2 3 4 5 6 7 8 9)" "$valid"
expect_usage "$HW_TMP/no-such.conf" -- --dry-run -c "$HW_TMP/no-such.conf" "$valid"
printf 'topic.hires = talent.hires\nno.such.key = 1\n' >"$HW_TMP/bad.conf"
expect_usage 'no.such.key' -- --dry-run --config "$HW_TMP/bad.conf" "$valid"

hw_note "stdin: with no FILE, or with -"
produce --dry-run <"$valid" >"$HW_TMP/stdin1.out" 2>"$HW_TMP/stdin1.err" || hw_fail "stdin: $(cat "$HW_TMP/stdin1.err")"
produce --dry-run - <"$valid" >"$HW_TMP/stdin2.out" 2>/dev/null || hw_fail "stdin as -"
[[ $(grep -c '"event_id"' "$HW_TMP/stdin1.out") -eq 4 ]] || hw_fail "stdin: $(wc -l <"$HW_TMP/stdin1.out") events printed, want 4"
cmp -s "$HW_TMP/stdin1.out" "$HW_TMP/stdin2.out" || hw_fail "- reads differently from no FILE"
grep -q 'lines=4 valid=4 invalid=0 printed=4' "$HW_TMP/stdin1.err" || hw_fail "stdin summary: $(tail -1 "$HW_TMP/stdin1.err")"

hw_note "an input that cannot be read: exit 1, naming it"
rc=0
produce --dry-run "$valid" "$HW_TMP" >/dev/null 2>"$HW_TMP/dir.err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "a folder as input: exit $rc, want 1"
grep -q "cannot read $HW_TMP: Is a directory" "$HW_TMP/dir.err" || hw_fail "the folder is not named: $(cat "$HW_TMP/dir.err")"

hw_note "an input that cannot be read stops the run: the inputs after it are not read"
rc=0
produce --dry-run "$HW_TMP" "$valid" >"$HW_TMP/dir1.out" 2>"$HW_TMP/dir1.err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "a folder as the first input: exit $rc, want 1"
grep -q "cannot read $HW_TMP: Is a directory" "$HW_TMP/dir1.err" || hw_fail "the folder is not named: $(cat "$HW_TMP/dir1.err")"
[[ ! -s $HW_TMP/dir1.out ]] || hw_fail "the input after the folder was read: $(head -c 200 "$HW_TMP/dir1.out")"

hw_note "lines of only spaces, tabs and CRs (the first line too) are skipped, not counted"
{ printf '\n'; printf ' \t\r\n'; head -2 "$valid"; printf '\t\t\n\r\n  \n'; tail -2 "$valid"; printf ' \r\n'; } >"$HW_TMP/blank.ndjson"
produce --dry-run "$HW_TMP/blank.ndjson" >"$HW_TMP/blank.out" 2>"$HW_TMP/blank.err" ||
  hw_fail "blank lines: exit $?: $(cat "$HW_TMP/blank.err")"
grep -q 'lines=4 valid=4 invalid=0 printed=4' "$HW_TMP/blank.err" || hw_fail "blank lines counted: $(tail -1 "$HW_TMP/blank.err")"
! grep -q 'invalid event' "$HW_TMP/blank.err" || hw_fail "a blank line was refused: $(cat "$HW_TMP/blank.err")"
[[ $(grep -c '"event_id":"mx-' "$HW_TMP/blank.out") -eq 4 ]] || hw_fail "blank lines: $(cat "$HW_TMP/blank.out")"

hw_note "--strict keeps a last line that has no newline"
printf '%s' "$(cat "$valid")" >"$HW_TMP/nonl.ndjson"
produce --dry-run --strict "$HW_TMP/nonl.ndjson" >"$HW_TMP/nonl.out" 2>/dev/null || hw_fail "--strict without a final newline failed"
[[ $(grep -c '"event_id":"mx-' "$HW_TMP/nonl.out") -eq 4 ]] || hw_fail "--strict: $(cat "$HW_TMP/nonl.out")"
grep -q '"event_id":"mx-11"' "$HW_TMP/nonl.out" || hw_fail "--strict dropped the last line"

hw_note "an archive with an invalid event: its record named, the others sent"
"$HW_PY" - "$HW_SRC_DIR/schemas/HireEvent.v2.avsc" "$HW_TMP/day.avro" <<'PY'
import datetime, sys
import avro.schema
from avro.datafile import DataFileWriter
from avro.io import DatumWriter
schema = avro.schema.parse(open(sys.argv[1]).read())
base = {"event_id": "ar-1", "occurred_at": datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.timezone.utc), "person_id": "p-a",
        "person_name": None, "from_org": "OpenAI", "from_lab": None, "to_org": "Meta",
        "to_lab": "Meta Superintelligence Labs", "from_country": "US", "to_country": "US",
        "nationality": None, "alma_mater": None, "tier": "A", "compensation_usd": None,
        "source_url": None}
w = DataFileWriter(open(sys.argv[2], "wb"), DatumWriter(), schema, codec="deflate")
w.append(base)
w.append(dict(base, event_id="ar-2", to_country="XX"))  # not an assigned code
w.append(dict(base, event_id="ar-3", person_id="p-c"))
w.close()
PY
rc=0
produce --dry-run --from-archive "$HW_TMP/day.avro" >"$HW_TMP/ar.out" 2>"$HW_TMP/ar.err" || rc=$?
[[ $rc -eq 65 ]] || hw_fail "archive with an invalid event: exit $rc, want 65: $(cat "$HW_TMP/ar.err")"
grep -q "day.avro: record 2: invalid event: to_country" "$HW_TMP/ar.err" || hw_fail "record 2 not named: $(cat "$HW_TMP/ar.err")"
[[ $(grep -c '"event_id":"ar-[13]"' "$HW_TMP/ar.out") -eq 2 && $(grep -c . "$HW_TMP/ar.out") -eq 2 ]] ||
  hw_fail "want ar-1 and ar-3 printed: $(cat "$HW_TMP/ar.out")"
rc=0
produce --dry-run --from-archive "$HW_TMP/day.avro" "$HW_TMP/no-such.avro" >"$HW_TMP/ar2.out" 2>"$HW_TMP/ar2.err" || rc=$?
[[ $rc -eq 65 ]] || hw_fail "--from-archive with a missing file: exit $rc, want 65"
grep -q "cannot open $HW_TMP/no-such.avro: No such file" "$HW_TMP/ar2.err" || hw_fail "the missing file is not named: $(cat "$HW_TMP/ar2.err")"
[[ ! -s $HW_TMP/ar2.out ]] || hw_fail "--from-archive with a missing file sent events"

hw_start_broker --partitions 2
b=(--bootstrap-file "$HW_BOOTSTRAP_FILE")
count() { kcat -C -b "$HW_BOOTSTRAP" -t "$1" -o beginning -e -q -f '%o\n' 2>/dev/null | wc -l; }

hw_note "--hires-topic and --offers-topic; --topic for both"
produce "${b[@]}" --hires-topic hires.eu --offers-topic offers.eu "$valid" 2>"$HW_TMP/topics.err" ||
  hw_fail "custom topics: $(cat "$HW_TMP/topics.err")"
[[ $(count hires.eu) -eq 3 && $(count offers.eu) -eq 1 ]] ||
  hw_fail "hires.eu holds $(count hires.eu) (want 3), offers.eu $(count offers.eu) (want 1)"
[[ $(count talent.hires) -eq 0 ]] || hw_fail "talent.hires got events"
produce "${b[@]}" --topic everything "$valid" 2>/dev/null || hw_fail "--topic failed"
[[ $(count everything) -eq 4 ]] || hw_fail "--topic: $(count everything) events, want 4"

hw_note "a local queue of one message: waited out, all delivered"
produce "${b[@]}" --topic queue.one -X queue.buffering.max.messages=1 "$valid" 2>"$HW_TMP/q.err" ||
  hw_fail "queue of one: $(cat "$HW_TMP/q.err")"
grep -q 'delivered=4 failed=0' "$HW_TMP/q.err" || hw_fail "queue of one: $(tail -1 "$HW_TMP/q.err")"
[[ $(count queue.one) -eq 4 ]] || hw_fail "queue of one: $(count queue.one) in Kafka, want 4"

hw_note "a message larger than message.max.bytes: exit 1, naming the event"
"$HW_PY" - "$valid" "$HW_TMP/big.ndjson" <<'PY'
import json, sys
first = json.loads(open(sys.argv[1]).readline())
out = open(sys.argv[2], "w")
out.write(json.dumps(dict(first, event_id="big-1", source_url="https://example.com/" + "a" * 1900)) + "\n")
PY
rc=0
produce "${b[@]}" -X message.max.bytes=1000 "$HW_TMP/big.ndjson" 2>"$HW_TMP/big.err" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "too large a message: exit $rc, want 1: $(cat "$HW_TMP/big.err")"
grep -q 'cannot produce event_id big-1 to talent.hires: ' "$HW_TMP/big.err" || hw_fail "big-1 not named: $(cat "$HW_TMP/big.err")"

hw_note "settings librdkafka refuses: exit 2, saying why"
rc=0
produce "${b[@]}" -X acks=1 "$valid" 2>"$HW_TMP/acks.err" || rc=$?
[[ $rc -eq 2 ]] || hw_fail "-X acks=1 with the idempotent producer: exit $rc, want 2"
grep -q 'acks.*enable.idempotence' "$HW_TMP/acks.err" || hw_fail "no reason given: $(cat "$HW_TMP/acks.err")"

hw_note "SIGTERM: the input stops, what was queued is delivered, exit 1"
"$HW_BIN_DIR/hirewire-produce" "${b[@]}" --topic slow --generate 100000 --rate 20 2>"$HW_TMP/term.err" &
pid=$!
HW_PIDS+=("$pid")
hw_wait_for "[[ \$(count slow) -ge 5 ]]" 30 || hw_fail "nothing delivered at --rate 20"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "SIGTERM: exit $rc, want 1"
grep -q 'interrupted: stopped reading input' "$HW_TMP/term.err" || hw_fail "SIGTERM not reported: $(tail -2 "$HW_TMP/term.err")"
delivered=$(sed -n 's/.* delivered=\([0-9]*\) failed=0.*/\1/p' "$HW_TMP/term.err")
[[ -n $delivered && $delivered -lt 100000 ]] || hw_fail "SIGTERM summary: $(tail -1 "$HW_TMP/term.err")"
[[ $(count slow) -eq $delivered ]] || hw_fail "reported $delivered delivered, Kafka holds $(count slow)"
echo PASS
