#!/usr/bin/env bash
# Bad configuration stops the consumer before it touches Kafka or Redis:
# exit 2 with a message naming the key (file line, -s and flags alike), or
# the flags that do not go together (more Schema Registry URLs than the
# client takes too). Settings that leave a feature off
# are warned about, and the feature is off: brain_drain on a window that
# is not configured, no country talent bases (no index sets). An archive
# folder that cannot be used stops the consumer (exit 1) before it counts
# an event it could not archive. Data files the config does not name come
# from $HIREWIRE_CONFIG_DIR, each looked for on its own. --log-level hides
# the records below it.
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
expect_usage "an argument" "unexpected argument talent.hires" -b 127.0.0.1:1 talent.hires
expect_usage "empty group" "group: must not be empty" -b 127.0.0.1:1 --group ''
expect_usage "bad prefix" "prefix: must not contain spaces" -b 127.0.0.1:1 --prefix 'a b'
expect_usage "bad metrics address" 'metrics.addr: "nope"' -b 127.0.0.1:1 --metrics-addr nope
expect_usage "empty archive folder" "archive.dir: must not be empty" -b 127.0.0.1:1 --archive-dir ''
expect_usage "nine registry URLs" "exiting with status 2 (usage or configuration): schema.registry.url: more than 8 URLs" \
  -b 127.0.0.1:1 -s "schema.registry.url=$(printf 'http://r%d:8081,' 1 2 3 4 5 6 7 8 9)"
for flag in "--from earliest" --diff --alerts --yes; do
  # shellcheck disable=SC2086
  expect_usage "$flag without --replay" "go with --replay" -b 127.0.0.1:1 $flag
done
expect_usage "a replay with --archive-dir" "drop --archive-dir" -b 127.0.0.1:1 --replay --archive-dir "$HW_TMP/a"
expect_usage "--diff with --alerts" "drop --alerts" -b 127.0.0.1:1 --replay --diff --alerts
printf 'country.bases.file = no-such-bases.csv\n' >"$HW_TMP/rel.conf"
expect_usage "bases relative to the config file" "$HW_TMP/no-such-bases.csv" -b 127.0.0.1:1 -c "$HW_TMP/rel.conf"
printf 'country.groups.file = sub/no-such-groups.csv\n' >"$HW_TMP/relg.conf"
expect_usage "groups relative to the config file" "$HW_TMP/sub/no-such-groups.csv" -b 127.0.0.1:1 -c "$HW_TMP/relg.conf"
# A data file the config does not name comes from $HIREWIRE_CONFIG_DIR,
# each on its own: bases of one's own still rank in the groups found there.
mkdir "$HW_TMP/confdir"
# (Were the file not looked for, the run would stop at once, exit 69.)
no_service=(-b 127.0.0.1:1 --redis redis://127.0.0.1:1 --until-caught-up -s outage.wait.ms=0)
printf 'group,country\noecd,XX\n' >"$HW_TMP/confdir/country-groups.csv"
HIREWIRE_CONFIG_DIR=$HW_TMP/confdir expect_usage "groups from HIREWIRE_CONFIG_DIR beside bases named" \
  "$HW_TMP/confdir/country-groups.csv:2" "${no_service[@]}" -s "country.bases.file=$HW_BASES"
printf 'country,base\nXX,100\n' >"$HW_TMP/confdir/talent-bases.csv"
HIREWIRE_CONFIG_DIR=$HW_TMP/confdir expect_usage "bases from HIREWIRE_CONFIG_DIR beside groups named" \
  "$HW_TMP/confdir/talent-bases.csv:2" "${no_service[@]}" -s "country.groups.file=$HW_GROUPS"

# A valid metrics address that cannot be bound: the service is unavailable
# (69), said in the closing line too.
rc=0
"$HW_BIN_DIR/hirewire-consumer" -b 127.0.0.1:1 --metrics-addr 192.0.2.1:9464 2>"$HW_TMP/err" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "an address that cannot be bound: exit $rc, want 69 ($(cat "$HW_TMP/err"))"
grep -q 'metrics: .*192.0.2.1:9464' "$HW_TMP/err" || hw_fail "the error does not name the address: $(cat "$HW_TMP/err")"
tail -1 "$HW_TMP/err" | grep -q 'exiting with status 69 (unavailable): metrics: ' ||
  hw_fail "the last line does not say the status and why: $(tail -1 "$HW_TMP/err")"
# A name that does not resolve (.invalid never does): the same, naming it.
rc=0
"$HW_BIN_DIR/hirewire-consumer" -b 127.0.0.1:1 --metrics-addr no-such-host.invalid:9464 2>"$HW_TMP/err" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "a host name that does not resolve: exit $rc, want 69 ($(cat "$HW_TMP/err"))"
grep -qF 'metrics address \"no-such-host.invalid:9464\": cannot resolve \"no-such-host.invalid\"' "$HW_TMP/err" ||
  hw_fail "the name is not given: $(cat "$HW_TMP/err")"

hw_note "settings that leave a feature off: warned, and off"
hw_start_redis
hw_start_broker --partitions 2
# Redis answering the connection's set-up with an error (a db it does not
# have): exit 1 naming its answer, not 69 (Redis is there).
for mode in --until-caught-up --replay; do
  rc=0
  HW_REDIS_URL=$HW_REDIS_URL/99 hw_consumer "$mode" || rc=$?
  [[ $rc -eq 1 ]] || hw_fail "$mode, db 99: exit $rc, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
  grep -q "exiting with status 1 (failed): Redis at 127.0.0.1:$HW_REDIS_PORT: SELECT: ERR DB index is out of range" \
    "$HW_CONSUMER_LOG" || hw_fail "$mode, db 99: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
done
# A setting of the consumer's own Kafka client that librdkafka refuses
# (the DLQ producer has no such setting): exit 2, naming it.
rc=0
hw_consumer -X fetch.max.bytes=1000 || rc=$?
[[ $rc -eq 2 ]] || hw_fail "-X fetch.max.bytes=1000: exit $rc, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'exiting with status 2 (usage or configuration): `fetch.max.bytes` must be >= `message.max.bytes`' "$HW_CONSUMER_LOG" ||
  hw_fail "the consumer's setting is not named: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
hw_consume_all --prefix w: -s windows=7d,30d,90d
grep -q 'alerts.brain_drain.days: 365d is not one of the windows; the brain_drain rule is off' "$HW_CONSUMER_LOG" ||
  hw_fail "no warning for brain_drain without its window: $(head -3 "$HW_CONSUMER_LOG")"
alerts=$(redis-cli -p "$HW_REDIS_PORT" --raw XRANGE w:alerts - + | grep -c '^brain_drain:' || true)
[[ $alerts -eq 0 ]] || hw_fail "$alerts brain_drain alerts raised with the rule off"
# Read whole first: grep -q would stop reading at the first raid, and
# redis-cli's next write fail (SIGPIPE, under pipefail a failure).
stream=$(redis-cli -p "$HW_REDIS_PORT" --raw XRANGE w:alerts - +)
grep -q '^raid:' <<<"$stream" || hw_fail "the other rules stayed on: no raid alert"
# --log-level: records below it are not written. At error, a run with a
# warning (the rule above, off) and no error writes nothing at all; at
# warn, its warnings and nothing below; at debug, each step too.
hw_consume_all --prefix q: --group quiet --log-level error -s windows=7d,30d,90d
[[ ! -s $HW_CONSUMER_LOG ]] || hw_fail "--log-level error wrote: $(head -3 "$HW_CONSUMER_LOG")"
[[ $(redis-cli -p "$HW_REDIS_PORT" --raw EXISTS q:watermark) -eq 1 ]] || hw_fail "--log-level error counted nothing"
hw_consume_all --prefix q: --group quiet --log-level warn -s windows=7d,30d,90d
grep -q 'level=warn .*alerts.brain_drain.days: 365d is not one of the windows' "$HW_CONSUMER_LOG" ||
  hw_fail "--log-level warn hid a warning: $(head -3 "$HW_CONSUMER_LOG")"
grep -v ' level=warn ' "$HW_CONSUMER_LOG" | grep -q . && hw_fail "--log-level warn wrote other records: $(grep -v ' level=warn ' "$HW_CONSUMER_LOG" | head -3)"
hw_consume_all --prefix d: --group verbose --log-level debug
grep -q 'level=debug component=consumer msg="batch applied: messages=[1-9]' "$HW_CONSUMER_LOG" ||
  hw_fail "--log-level debug does not show the steps: $(grep -c level=debug "$HW_CONSUMER_LOG") debug records"
printf '# no countries\n' >"$HW_TMP/none.csv"
hw_consume_all --prefix b: --group nobases -s "country.bases.file=$HW_TMP/none.csv" \
  -s "country.groups.file=$HW_TMP/none.csv"
grep -q 'no country talent bases configured: the flow index sets stay empty' "$HW_CONSUMER_LOG" ||
  hw_fail "no warning without country bases: $(head -3 "$HW_CONSUMER_LOG")"
[[ $(redis-cli -p "$HW_REDIS_PORT" --raw EXISTS b:flow:365d:net) -eq 1 ]] || hw_fail "no flows counted"
[[ $(redis-cli -p "$HW_REDIS_PORT" --raw KEYS 'b:flow:*:index*' | grep -c .) -eq 0 ]] || hw_fail "index sets without bases"

hw_note "an archive folder that cannot be used: exit 1 naming it, nothing counted"
touch "$HW_TMP/plain-file"
rc=0
hw_consumer --until-caught-up --prefix a: --group archive1 --archive-dir "$HW_TMP/plain-file/archive" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "an archive folder under a file: exit $rc, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q "archive: cannot create $HW_TMP/plain-file/archive: Not a directory" "$HW_CONSUMER_LOG" ||
  hw_fail "the folder is not named: $(tail -2 "$HW_CONSUMER_LOG")"
mkdir "$HW_TMP/archive"
# Where the hires' and the offers' files go: a batch holds either or both,
# as the partitions' fetches come.
touch "$HW_TMP/archive/talent.hires" "$HW_TMP/archive/talent.offers"
rc=0
hw_consumer --until-caught-up --prefix a: --group archive2 --archive-dir "$HW_TMP/archive" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "an archive that cannot take a file: exit $rc, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
grep -Eq "archive: cannot open $HW_TMP/archive/talent\.(hires|offers)/20[0-9-]*\.avro" "$HW_CONSUMER_LOG" ||
  hw_fail "the archive file is not named: $(grep archive "$HW_CONSUMER_LOG" | tail -2)"
[[ $(redis-cli -p "$HW_REDIS_PORT" --raw KEYS 'a:*' | grep -c .) -eq 0 ]] ||
  hw_fail "events were counted though they could not be archived"
echo PASS
