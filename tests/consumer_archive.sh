#!/usr/bin/env bash
# The archive (--archive-dir): a consumer killed with kill -9 mid-stream and
# restarted on the same folder leaves every valid event archived exactly
# once (Avro object container files, deflate, one per topic per UTC day),
# read back by avrocat and by python3-avro and equal to the input; invalid
# messages are not archived. Republishing the archive into a fresh broker
# with hirewire-produce --from-archive and consuming it gives the same
# counters as the original stream.
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis
hw_start_broker --partitions 8
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 40000 --seed 71 >"$HW_TMP/gen.ndjson" 2>/dev/null
events=("$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson")
hw_produce "${events[@]}"
# Malformed messages beside them: dead-lettered, never archived.
mkdir "$HW_TMP/bad"
printf 'not avro' >"$HW_TMP/bad/1"
printf '\x00\x00\x00\x00\x63xx' >"$HW_TMP/bad/2"
printf '\x00\x00\x00\x00\x02\x02' >"$HW_TMP/bad/3"
"$HW_PY" "$HW_SRC_DIR/tests/lib/send_raw.py" "$HW_BOOTSTRAP" "$HW_TMP/bad" || hw_fail "cannot send the malformed messages"
archive=$HW_TMP/archive

hw_note "kill -9 while archiving, then restart on the same folder"
hw_consumer_bg "${fast_group[@]}" --archive-dir "$archive" -s batch.max.events=500
pid=$HW_CONSUMER_PID
hw_wait_for "[[ \$(progress) -gt 8000 ]]" 60 || hw_fail "no progress"
hw_kill9 "$pid"
wait "$pid" 2>/dev/null || true
hw_note "killed with $(progress) offsets stored"
hw_consume_all "${fast_group[@]}" --archive-dir "$archive"
hw_model_check hw: "${events[@]}"

hw_note "python3-avro: each valid event once, equal to the input"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_archive.py" "$archive" "${events[@]}" ||
  hw_fail "the archive does not hold each event once"
hw_note "avrocat reads every file"
total=0
for f in "$archive"/*/*.avro; do
  n=$(avrocat "$f" | wc -l) || hw_fail "avrocat cannot read $f"
  total=$((total + n))
done
want=$(cat "${events[@]}" | grep -c .)
[[ $total -eq $want ]] || hw_fail "avrocat read $total records, want $want"

hw_note "republish the archive into a fresh broker and rebuild under r:"
hw_start_broker --partitions 3
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --from-archive \
  "$archive"/talent.hires/*.avro "$archive"/talent.offers/*.avro 2>>"$HW_TMP/produce.log" ||
  hw_fail "--from-archive failed: $(tail -3 "$HW_TMP/produce.log")"
hw_consume_all --group rebuilt --prefix r:
"$HW_PY" "$HW_SRC_DIR/tests/lib/same_state.py" "$HW_REDIS_PORT" hw: r: ||
  hw_fail "counters rebuilt from the archive differ"
rc=0
"$HW_BIN_DIR/hirewire-produce" --dry-run --from-archive /etc/hostname >/dev/null 2>"$HW_TMP/bad.log" || rc=$?
[[ $rc -eq 65 ]] || hw_fail "--from-archive of a file that is not Avro exited $rc, want 65"
grep -q '/etc/hostname: not an Avro object container file' "$HW_TMP/bad.log" ||
  hw_fail "no clear error for a file that is not Avro: $(cat "$HW_TMP/bad.log")"
echo PASS
