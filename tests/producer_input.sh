#!/usr/bin/env bash
# hirewire-produce with a file of valid and invalid lines: only the valid
# events arrive; each invalid line is reported with its line number; exit 65.
# --strict sends nothing. An unreachable broker: exit 69 naming the events.
# An input file that cannot be read: exit 65 as --help says, naming it,
# and nothing sent; the devbroker's bootstrap file that cannot be written:
# exit 1 as its --help says. A UTF-8 byte order mark opening a file is
# accepted; an invisible character is named by its code point (<U+200B>);
# every bad field of a line is reported, each once.
source "$(dirname "$0")/lib/services.sh"

input=$HW_SRC_DIR/tests/data/mixed.ndjson
valid_ids="mx-1 mx-3 mx-7 mx-11"
invalid_lines="2 3 6 7 8 10 11 12"   # line 5 is blank: skipped, not an error

hw_start_broker --partitions 2
set +e
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" "$input" 2>"$HW_TMP/err.log"
rc=$?
set -e
cat "$HW_TMP/err.log" >&2
[[ $rc -eq 65 ]] || hw_fail "exit status $rc, expected 65"
for n in $invalid_lines; do
  grep -q "mixed.ndjson:$n: invalid event: " "$HW_TMP/err.log" || hw_fail "line $n not reported"
done
reported=$(grep -c 'invalid event: ' "$HW_TMP/err.log")
[[ $reported -eq 8 ]] || hw_fail "$reported invalid lines reported, expected 8"
# Each reason names what is wrong.
for pair in "2:to_country" "3:not valid JSON" "6:must move the person" "7:to_country: missing" \
            "8:status" "10:future" "11:total_value_usd" "12:shoe_size"; do
  grep -q "mixed.ndjson:${pair%%:*}: invalid event: .*${pair#*:}" "$HW_TMP/err.log" ||
    hw_fail "line ${pair%%:*}: reason does not mention '${pair#*:}'"
done
grep -q 'delivered=4 failed=0' "$HW_TMP/err.log" || hw_fail "expected 4 deliveries"

# Exactly the valid events arrived, decoded independently.
grep -E "\"event_id\":\"($(echo $valid_ids | tr ' ' '|'))\"" "$input" >"$HW_TMP/valid.ndjson"
hw_kcat_dump talent.hires >"$HW_TMP/hires.dump"
hw_kcat_dump talent.offers >"$HW_TMP/offers.dump"
"$HW_PY" "$HW_SRC_DIR/tests/lib/compare_published.py" "$HW_TMP/valid.ndjson" \
  "$HW_TMP/hires.dump" "$HW_TMP/offers.dump" || hw_fail "arrived events differ from the valid lines"

hw_note "a byte order mark opening the file; invisible characters named; every bad field of a line"
"$HW_PY" - "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/marks.ndjson" <<'PY'
import json, sys
hire = next(json.loads(l) for l in open(sys.argv[1]) if '"type":"hire"' in l.replace(" ", ""))
out = open(sys.argv[2], "w", encoding="utf-8")
out.write("\ufeff" + json.dumps(dict(hire, event_id="bom-1"), ensure_ascii=False) + "\n")  # line 1: BOM, valid
out.write(json.dumps(dict(hire, event_id="zw-2", nationality="U\u200bS", tier="S\u200b"), ensure_ascii=False) + "\n")
out.write("\ufeff" + json.dumps(dict(hire, event_id="bom-3"), ensure_ascii=False) + "\n")  # a BOM inside
bad = dict(hire, event_id="many-4", tier="Z", to_country="XX", shoe_size=44)
del bad["person_id"]
out.write(json.dumps(bad) + "\n")
PY
rc=0
"$HW_BIN_DIR/hirewire-produce" --dry-run "$HW_TMP/marks.ndjson" >"$HW_TMP/marks.out" 2>"$HW_TMP/marks.log" || rc=$?
[[ $rc -eq 65 ]] || hw_fail "marks.ndjson: exit $rc, want 65"
grep -q '"event_id":"bom-1"' "$HW_TMP/marks.out" || hw_fail "line 1 with a byte order mark was refused: $(head -2 "$HW_TMP/marks.log")"
grep -q 'marks.ndjson:1: invalid' "$HW_TMP/marks.log" && hw_fail "line 1 with a byte order mark was reported"
for what in 'tier: \"S<U+200B>\" is not one of S, A, B, UNRATED' 'nationality: \"U<U+200B>S\" is 5 bytes, must be at most 2'; do
  grep -F 'marks.ndjson:2: invalid event: ' "$HW_TMP/marks.log" | grep -qF "$what" ||
    hw_fail "the zero-width space is not named ('$what'): $(grep ':2:' "$HW_TMP/marks.log")"
done
grep -qF "marks.ndjson:3: invalid event: not valid JSON: '[' or '{' expected near '<U+FEFF>'" "$HW_TMP/marks.log" ||
  hw_fail "a byte order mark after line 1 is not named: $(grep ':3:' "$HW_TMP/marks.log")"
for what in 'tier: \"Z\" is not one of' 'shoe_size: not a field of a hire event' 'person_id: missing' \
  'to_country: \"XX\" is not an assigned'; do
  grep -F 'marks.ndjson:4: invalid event: ' "$HW_TMP/marks.log" | grep -qF "$what" ||
    hw_fail "line 4 does not report '$what': $(grep ':4:' "$HW_TMP/marks.log")"
done
[[ $(grep -F 'marks.ndjson:4:' "$HW_TMP/marks.log" | grep -o 'person_id' | wc -l) -eq 1 ]] ||
  hw_fail "line 4 names person_id more than once: $(grep ':4:' "$HW_TMP/marks.log")"

hw_note "names are text: control characters refused with line and field named"
"$HW_PY" - "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/ctl.ndjson" <<'PY'
import json, sys
hire = next(json.loads(l) for l in open(sys.argv[1]) if '"type":"hire"' in l.replace(" ", ""))
out = open(sys.argv[2], "w", encoding="utf-8")
out.write(json.dumps(dict(hire, event_id="ctl-1", person_name="Bowen\u001b[2J Zhang")) + "\n")
out.write(json.dumps(dict(hire, event_id="ctl-2", from_org="\u001b]0;owned\u0007Apple")) + "\n")
out.write(json.dumps(dict(hire, event_id="ctl-3", to_lab="MSL\u0085")) + "\n")
out.write(json.dumps(dict(hire, event_id="ctl-4")) + "\n")  # valid
PY
rc=0
"$HW_BIN_DIR/hirewire-produce" --dry-run "$HW_TMP/ctl.ndjson" >"$HW_TMP/ctl.out" 2>"$HW_TMP/ctl.log" || rc=$?
[[ $rc -eq 65 ]] || hw_fail "ctl.ndjson: exit $rc, want 65"
for what in '1: invalid event: person_name: holds control character U+001B at byte 5' \
  '2: invalid event: from_org: holds control character U+001B at byte 0' \
  '3: invalid event: to_lab: holds control character U+0085 at byte 3'; do
  grep -qF "ctl.ndjson:$what" "$HW_TMP/ctl.log" || hw_fail "not reported: '$what': $(cat "$HW_TMP/ctl.log")"
done
grep -q $'\x1b' "$HW_TMP/ctl.log" && hw_fail "the report holds a raw ESC"
[[ $(grep -c '"event_id":"ctl-' "$HW_TMP/ctl.out") -eq 1 ]] && grep -q '"event_id":"ctl-4"' "$HW_TMP/ctl.out" ||
  hw_fail "only ctl-4 should be sent: $(cat "$HW_TMP/ctl.out")"

hw_note "--strict sends nothing when a line is invalid"
hw_start_broker --partitions 2
set +e
"$HW_BIN_DIR/hirewire-produce" --strict --bootstrap-file "$HW_BOOTSTRAP_FILE" "$input" 2>"$HW_TMP/strict.log"
rc=$?
set -e
[[ $rc -eq 65 ]] || hw_fail "--strict: exit status $rc, expected 65"
grep -q 'nothing sent' "$HW_TMP/strict.log" || hw_fail "--strict did not say nothing was sent"
n=$(hw_kcat_dump talent.hires | grep -ac '^talent' || true)
m=$(hw_kcat_dump talent.offers | grep -ac '^talent' || true)
[[ $n -eq 0 && $m -eq 0 ]] || hw_fail "--strict: $n hires and $m offers arrived, expected none"

hw_note "--strict with only valid lines sends them all"
grep -E "\"event_id\":\"($(echo $valid_ids | tr ' ' '|'))\"" "$input" >"$HW_TMP/valid.ndjson"
"$HW_BIN_DIR/hirewire-produce" --strict --bootstrap-file "$HW_BOOTSTRAP_FILE" "$HW_TMP/valid.ndjson" 2>/dev/null ||
  hw_fail "--strict with valid input failed"
hw_kcat_dump talent.hires >"$HW_TMP/hires2.dump"
hw_kcat_dump talent.offers >"$HW_TMP/offers2.dump"
"$HW_PY" "$HW_SRC_DIR/tests/lib/compare_published.py" "$HW_TMP/valid.ndjson" \
  "$HW_TMP/hires2.dump" "$HW_TMP/offers2.dump" || hw_fail "--strict: arrived events differ"

hw_note "unreachable broker: exit 69, failed events named"
port=$(hw_free_port)
set +e
"$HW_BIN_DIR/hirewire-produce" -b "127.0.0.1:$port" --timeout 3 "$HW_TMP/valid.ndjson" 2>"$HW_TMP/down.log"
rc=$?
set -e
[[ $rc -eq 69 ]] || hw_fail "unreachable broker: exit status $rc, expected 69: $(cat "$HW_TMP/down.log")"
for id in $valid_ids; do
  grep -q "delivery failed for event_id $id " "$HW_TMP/down.log" || hw_fail "failed event $id not named"
done
grep -q 'delivered=0 failed=4' "$HW_TMP/down.log" || hw_fail "summary does not say 0 delivered, 4 failed"

hw_note "an input file that cannot be read: exit 65, as --help says, and nothing sent"
"$HW_BIN_DIR/hirewire-produce" --help | tr '\n' ' ' | grep -q '65 invalid input lines .* or an input file that cannot be read' ||
  hw_fail "--help does not give the status of an unreadable input"
before=$(hw_kcat_dump talent.hires | grep -ac '^talent' || true)
set +e
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" "$HW_TMP/valid.ndjson" "$HW_TMP/no-such.ndjson" \
  2>"$HW_TMP/nofile.log"
rc=$?
set -e
[[ $rc -eq 65 ]] || hw_fail "an input file that does not exist: exit $rc, want 65"
grep -q "cannot open $HW_TMP/no-such.ndjson: No such file" "$HW_TMP/nofile.log" || hw_fail "the file is not named: $(cat "$HW_TMP/nofile.log")"
[[ $(hw_kcat_dump talent.hires | grep -ac '^talent' || true) -eq $before ]] || hw_fail "events were sent"

hw_note "the devbroker's bootstrap file cannot be written: exit 1, as --help says"
"$HW_BIN_DIR/hirewire-devbroker" --help | grep -q '^1 if the bootstrap file' || hw_fail "--help does not give that status"
set +e
timeout 30 "$HW_BIN_DIR/hirewire-devbroker" --bootstrap-file "$HW_TMP/no-such-dir/bootstrap" 2>"$HW_TMP/db.log" >/dev/null
rc=$?
set -e
[[ $rc -eq 1 ]] || hw_fail "devbroker with an unwritable bootstrap file: exit $rc, want 1"
grep -q 'cannot write the bootstrap file' "$HW_TMP/db.log" || hw_fail "no clear error: $(cat "$HW_TMP/db.log")"
echo PASS
