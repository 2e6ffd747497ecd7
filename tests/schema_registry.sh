#!/usr/bin/env bash
# Schema Registry (schema.registry.url), against tests/lib/registry_server.py:
# the producer registers its schemas under <topic>-value and frames with the
# registry's ids; the consumer fetches each writer schema once (cached,
# bounded), resolves a v1 hire registered there and a newer writer with an
# extra field, refuses a field of another type, relays alerts under
# talent.alerts-value, and dead-letters unknown ids and foreign schemas as
# unknown_schema. A registry that is down or answers 5xx is waited for
# (nothing taken, /healthz 503, all counted once it is back; the next URL
# of a list is tried) or, with schema.registry.unavailable = dlq,
# dead-letters as unknown_schema. Basic auth (user info and URL) and TLS
# with a client certificate work; refused credentials stop the consumer at
# start (exit 69) and are waited for later, said clearly; no secret
# appears in a log. Without auto-registering, an alerts subject with no
# version, or another schema, stops the consumer at start (exit 2).
source "$(dirname "$0")/lib/services.sh"

events=$HW_SRC_DIR/examples/scenario.ndjson
check=$HW_SRC_DIR/tests/lib/registry_check.py
hw_start_redis
hw_start_broker --partitions 3

# start_registry NAME PORT [ARGS...]: sets REG (its URL), REG_PORT and
# REG_PID; PORT 0 picks one. The request log is $HW_TMP/NAME.log, the
# state $HW_TMP/NAME.json.
start_registry() {
  local name=$1 port=$2 scheme=http
  shift 2
  [[ " $* " == *" --tls-cert "* ]] && scheme=https
  rm -f "$HW_TMP/$name.port"
  "$HW_PY" "$HW_SRC_DIR/tests/lib/registry_server.py" --port "$port" --port-file "$HW_TMP/$name.port" \
    --log "$HW_TMP/$name.log" --state "$HW_TMP/$name.json" "$@" 2>>"$HW_TMP/$name.err" &
  REG_PID=$!
  HW_PIDS+=("$REG_PID")
  hw_wait_for "test -s '$HW_TMP/$name.port'" 10 || hw_fail "registry $name did not start: $(cat "$HW_TMP/$name.err")"
  REG_PORT=$(cat "$HW_TMP/$name.port")
  REG=$scheme://127.0.0.1:$REG_PORT
}
requests() { # requests NAME PATTERN: how many logged requests match
  grep -c -- "$2" "$HW_TMP/$1.log" || true
}
dead_letters() { # dead_letters TOPIC: "hw.error<TAB>hw.reason" lines
  "$HW_PY" "$check" dlq "$HW_BOOTSTRAP" "$1"
}

hw_note "the producer registers under <topic>-value and frames with the registry's ids"
start_registry main 0
REG_MAIN=$REG
hw_produce -s "schema.registry.url=$REG" "$events"
[[ $(requests main 'POST /subjects/talent.hires-value/versions 200') -eq 1 &&
   $(requests main 'POST /subjects/talent.offers-value/versions 200') -eq 1 ]] ||
  hw_fail "the producer did not register each schema once: $(cat "$HW_TMP/main.log")"
n=$("$HW_PY" "$check" wire "$HW_BOOTSTRAP" talent.hires "$REG" "$events") || hw_fail "talent.hires is not what the registry describes"
[[ $n -eq 101 ]] || hw_fail "talent.hires holds $n hires, want 101"
n=$("$HW_PY" "$check" wire "$HW_BOOTSTRAP" talent.offers "$REG" "$events") || hw_fail "talent.offers is not what the registry describes"
[[ $n -eq 46 ]] || hw_fail "talent.offers holds $n offers, want 46"

hw_note "the consumer fetches each writer schema once and counts everything"
before=$(requests main 'GET /schemas/ids/')
hw_consume_all -s "schema.registry.url=$REG"
hw_model_check hw: "$events"
n=$(( $(requests main 'GET /schemas/ids/') - before ))
[[ $n -eq 2 ]] || hw_fail "the consumer asked for writer schemas $n times, want 2 (one per id)"
n=$("$HW_PY" "$check" wire "$HW_BOOTSTRAP" talent.alerts "$REG") || hw_fail "relayed alerts are not framed with the registry's id"
[[ $n -gt 0 ]] || hw_fail "no alert was relayed"
[[ -z $(dead_letters talent.dlq) ]] || hw_fail "valid events were dead-lettered: $(dead_letters talent.dlq | head -3)"

hw_note "a v1 hire registered in the registry reads with v2's defaults"
v1_id=$("$HW_PY" "$check" register "$REG" v1.hires-value "$HW_SRC_DIR/schemas/HireEvent.v1.avsc")
"$HW_PY" "$check" send-as "$HW_BOOTSTRAP" v1.hires "$v1_id" "$HW_SRC_DIR/schemas/HireEvent.v1.avsc" "$events" "$HW_TMP/v1.ndjson" >/dev/null
hw_consume_all -s "schema.registry.url=$REG" -s topic.hires=v1.hires -s topic.offers=v1.offers --group v1 --prefix v1:
hw_model_check v1: "$HW_TMP/v1.ndjson"

hw_note "a newer writer with an extra field reads as the current schema; a field of another type is unknown_schema"
"$HW_PY" - "$HW_SRC_DIR/schemas/HireEvent.v2.avsc" "$HW_TMP" <<'PY'
import json, sys
v2 = json.load(open(sys.argv[1]))
v3 = dict(v2, fields=v2["fields"] + [{"name": "profile_url", "type": ["null", "string"], "default": None}])
json.dump(v3, open(sys.argv[2] + "/v3.avsc", "w"))
odd = dict(v2, fields=[dict(f, type=["null", "string"]) if f["name"] == "compensation_usd" else f
                       for f in v2["fields"]])
json.dump(odd, open(sys.argv[2] + "/odd.avsc", "w"))
PY
v3_id=$("$HW_PY" "$check" register "$REG" v3.hires-value "$HW_TMP/v3.avsc")
odd_id=$("$HW_PY" "$check" register "$REG" odd.hires-value "$HW_TMP/odd.avsc")
"$HW_PY" "$check" send-as "$HW_BOOTSTRAP" v3.hires "$v3_id" "$HW_TMP/v3.avsc" "$events" "$HW_TMP/v3.ndjson" >/dev/null
"$HW_PY" "$check" send-frame "$HW_BOOTSTRAP" v3.hires "$odd_id" 02
hw_consume_all -s "schema.registry.url=$REG" -s topic.hires=v3.hires -s topic.offers=v3.offers \
  -s topic.dlq=v3.dlq --group v3 --prefix v3:
hw_model_check v3: "$HW_TMP/v3.ndjson"
dead_letters v3.dlq >"$HW_TMP/v3.dlq"
[[ $(wc -l <"$HW_TMP/v3.dlq") -eq 1 ]] &&
  grep -q "^unknown_schema	.*schema id $odd_id: field compensation_usd has a type the event model cannot hold" "$HW_TMP/v3.dlq" ||
  hw_fail "want one unknown_schema dead letter naming compensation_usd: $(cat "$HW_TMP/v3.dlq")"

hw_note "a writer with more fields than the consumer reads (80) is unknown_schema, asked for once"
"$HW_PY" - "$HW_SRC_DIR/schemas/HireEvent.v2.avsc" "$HW_TMP" <<'PY'
import json, sys
v2 = json.load(open(sys.argv[1]))
extra = [{"name": f"x{i}", "type": ["null", "string"], "default": None} for i in range(80 - len(v2["fields"]))]
json.dump(dict(v2, fields=v2["fields"] + extra), open(sys.argv[2] + "/wide.avsc", "w"))
PY
wide_id=$("$HW_PY" "$check" register "$REG" wide.hires-value "$HW_TMP/wide.avsc")
grep -m 3 '"type":"hire"' "$events" >"$HW_TMP/wide.ndjson"
"$HW_PY" "$check" send-as "$HW_BOOTSTRAP" wide.hires "$wide_id" "$HW_TMP/wide.avsc" "$HW_TMP/wide.ndjson" "$HW_TMP/wide.sent" >/dev/null
hw_consume_all -s "schema.registry.url=$REG" -s topic.hires=wide.hires -s topic.offers=wide.offers \
  -s topic.dlq=wide.dlq --group wide --prefix wide:
dead_letters wide.dlq >"$HW_TMP/wide.dlq"
[[ $(grep -c "^unknown_schema	schema id $wide_id: hirewire.HireEvent has 80 fields, more than the 64 a writer may have" "$HW_TMP/wide.dlq") -eq 3 ]] ||
  hw_fail "want 3 unknown_schema dead letters naming the 80 fields: $(cat "$HW_TMP/wide.dlq")"
[[ $(requests main "GET /schemas/ids/$wide_id") -eq 1 ]] || hw_fail "the wide schema was asked for more than once"
grep -q 'msg="caught up" .* rejected_unknown_schema=3 ' "$HW_CONSUMER_LOG" ||
  hw_fail "the summary does not count them: $(grep 'caught up' "$HW_CONSUMER_LOG")"

hw_note "unknown ids and foreign schemas are dead-lettered as unknown_schema"
echo '{"type":"record","name":"Thing","namespace":"other","fields":[{"name":"x","type":"long"}]}' >"$HW_TMP/thing.avsc"
foreign=$("$HW_PY" "$check" register "$REG" other-value "$HW_TMP/thing.avsc")
"$HW_PY" "$check" send-frame "$HW_BOOTSTRAP" bad.hires 99999 02
"$HW_PY" "$check" send-frame "$HW_BOOTSTRAP" bad.hires "$foreign" 02
"$HW_PY" "$check" send-frame "$HW_BOOTSTRAP" bad.hires 99999 04
hw_consume_all -s "schema.registry.url=$REG" -s topic.hires=bad.hires -s topic.offers=bad.offers \
  -s topic.dlq=bad.dlq --group bad --prefix bad:
dead_letters bad.dlq >"$HW_TMP/bad.dlq"
[[ $(grep -c '^unknown_schema' "$HW_TMP/bad.dlq") -eq 3 ]] || hw_fail "want 3 unknown_schema dead letters: $(cat "$HW_TMP/bad.dlq")"
grep -q 'schema id 99999 is not in the schema registry (HTTP 404' "$HW_TMP/bad.dlq" || hw_fail "the reason does not name the missing id: $(cat "$HW_TMP/bad.dlq")"
grep -q "is record other.Thing, not a hirewire event" "$HW_TMP/bad.dlq" || hw_fail "the reason does not name the foreign record: $(cat "$HW_TMP/bad.dlq")"
[[ $(requests main 'GET /schemas/ids/99999') -eq 1 ]] || hw_fail "a missing id was asked for more than once within a minute"

hw_note "a bounded cache (cache.max=1) still counts right, asking again after evictions"
hw_produce -s "schema.registry.url=$REG" --topic mixed.events "$events" # hires and offers interleaved
before=$(requests main 'GET /schemas/ids/')
hw_consume_all -s "schema.registry.url=$REG" -s schema.registry.cache.max=1 \
  -s topic.hires=mixed.events -s topic.offers=mixed.none --group small --prefix small:
hw_model_check small: "$events"
(( $(requests main 'GET /schemas/ids/') - before > 2 )) || hw_fail "a one-entry cache over two ids should ask more than twice"

hw_note "registry down: nothing is taken, /healthz is 503, all is counted once it is back"
kill "$REG_PID"
wait "$REG_PID" 2>/dev/null || true
HW_CONSUMER_N=$(( ${HW_CONSUMER_N:-0} + 1 ))
HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
"$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" \
  -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" --metrics-addr 127.0.0.1:0 \
  -s "schema.registry.url=$REG_MAIN" -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
  --group outage --prefix outage: --until-caught-up 2>"$HW_CONSUMER_LOG" &
pid=$!
HW_PIDS+=("$pid")
mport=$(hw_metrics_port)
hw_wait_for "grep -q 'unreachable' '$HW_CONSUMER_LOG'" 30 || hw_fail "no registry error logged: $(tail -3 "$HW_CONSUMER_LOG")"
sleep 3
[[ $(hw_http_status "$mport" /healthz) == 503 ]] || hw_fail "/healthz is not 503 while the registry is down"
[[ -z $(redis-cli -p "$HW_REDIS_PORT" --raw keys 'outage:offset:*') ]] || hw_fail "offsets moved while the registry was down"
[[ -z $(redis-cli -p "$HW_REDIS_PORT" --raw keys 'outage:lab:*') ]] || hw_fail "events were counted while the registry was down"
[[ $(hw_metric "$mport" hirewire_schema_registry_errors_total) -gt 0 ]] || hw_fail "hirewire_schema_registry_errors_total did not count the failures"
start_registry main "${REG_MAIN##*:}"
rc=0
wait "$pid" || rc=$?
[[ $rc -eq 0 ]] || hw_fail "consumer exited $rc after the registry came back: $(tail -3 "$HW_CONSUMER_LOG")"
hw_model_check outage: "$events"
hw_count_check outage: "Schema Registry down at start for 3 s, then restarted" "$events"
[[ -z $(dead_letters talent.dlq) ]] || hw_fail "the outage sent events to the DLQ"

hw_note "registry unreachable with schema.registry.unavailable=dlq: dead letters, not silence"
closed=$(hw_free_port)
hw_consume_all -s "schema.registry.url=http://127.0.0.1:$closed" -s schema.registry.unavailable=dlq \
  -s topic.dlq=down.dlq --group down --prefix down:
dead_letters down.dlq >"$HW_TMP/down.dlq"
[[ $(grep -c "^unknown_schema	schema registry http://127.0.0.1:$closed unreachable" "$HW_TMP/down.dlq") -eq 147 ]] ||
  hw_fail "want all 147 events dead-lettered as unknown_schema naming the registry: $(head -3 "$HW_TMP/down.dlq")"

hw_note "5xx answers are retried, and several URLs are tried in turn"
cp "$HW_TMP/main.json" "$HW_TMP/flaky.json"
start_registry flaky 0 --fail-status 503 --fail-count 3
hw_consume_all -s "schema.registry.url=http://127.0.0.1:$closed,$REG" --group flaky --prefix flaky:
hw_model_check flaky: "$events"
grep -q "schema registry $REG answered HTTP 503" "$HW_CONSUMER_LOG" || hw_fail "the 503 answers were not reported: $(tail -2 "$HW_CONSUMER_LOG")"
[[ $(requests flaky ' 503$') -eq 3 && $(requests flaky 'GET /schemas/ids/.* 200') -eq 2 ]] ||
  hw_fail "want 3 refused requests and 2 answered schema requests: $(cat "$HW_TMP/flaky.log")"
[[ -z $(dead_letters talent.dlq) ]] || hw_fail "5xx answers sent events to the DLQ"

hw_note "producer: a registry that never answers is exit 69 with a clear error"
rc=0
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --timeout 2 --topic none.hires \
  -s "schema.registry.url=http://127.0.0.1:$closed" "$events" 2>"$HW_TMP/produce-down.log" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "producer exit $rc with the registry down, want 69"
grep -q "schema registry http://127.0.0.1:$closed unreachable.*stopped before event_id scn-" "$HW_TMP/produce-down.log" ||
  hw_fail "no clear producer error: $(tail -2 "$HW_TMP/produce-down.log")"
hw_note "producer: auto.register=0 and no version under the subject is a clear error"
rc=0
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --topic unregistered.hires \
  -s "schema.registry.url=$REG_MAIN" -s schema.registry.auto.register=0 "$events" 2>"$HW_TMP/produce-noreg.log" || rc=$?
[[ $rc -ne 0 ]] || hw_fail "producer exit 0 with no registered version"
grep -q "subject unregistered.hires-value has no version in the schema registry" "$HW_TMP/produce-noreg.log" ||
  hw_fail "no clear error: $(tail -2 "$HW_TMP/produce-noreg.log")"
hw_note "consumer: auto.register=0 and no Alert version, or another schema, under the alerts' subject: exit 2 at start"
rc=0
hw_consumer --until-caught-up --group noreg --prefix noreg: -s "schema.registry.url=$REG_MAIN" \
  -s schema.registry.auto.register=0 -s topic.alerts=unregistered.alerts || rc=$?
[[ $rc -eq 2 ]] || hw_fail "consumer exit $rc with no Alert version registered, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'exiting with status 2 (usage or configuration): subject unregistered.alerts-value has no version in the schema registry' \
  "$HW_CONSUMER_LOG" || hw_fail "no clear error: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
"$HW_PY" "$check" register "$REG_MAIN" other.alerts-value "$HW_SRC_DIR/schemas/HireEvent.v2.avsc" >/dev/null
rc=0
hw_consumer --until-caught-up --group noreg --prefix noreg: -s "schema.registry.url=$REG_MAIN" \
  -s schema.registry.auto.register=0 -s topic.alerts=other.alerts || rc=$?
[[ $rc -eq 2 ]] || hw_fail "consumer exit $rc with a hire schema under the alerts' subject, want 2: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'exiting with status 2 (usage or configuration): subject other.alerts-value: its latest version (id [0-9]*) is not the schema written here' \
  "$HW_CONSUMER_LOG" || hw_fail "no clear error: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
[[ -z $(redis-cli -p "$HW_REDIS_PORT" --raw keys 'noreg:*') ]] || hw_fail "counted though the alerts cannot be relayed"
hw_note "producer: a schema the registry refuses (409 incompatible) is exit 1 with its answer"
cp "$HW_TMP/main.json" "$HW_TMP/strict.json"
start_registry strict 0 --fail-status 409 --fail-count -1
rc=0
"$HW_BIN_DIR/hirewire-produce" --bootstrap-file "$HW_BOOTSTRAP_FILE" --topic strict.hires \
  -s "schema.registry.url=$REG" "$events" 2>"$HW_TMP/produce-409.log" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "producer exit $rc when the registry refuses the schema, want 1"
grep -q "subject strict.hires-value: the schema registry refused the schema (HTTP 409: injected failure)" "$HW_TMP/produce-409.log" ||
  hw_fail "no clear error: $(tail -2 "$HW_TMP/produce-409.log")"
grep -q "delivered=0 " "$HW_TMP/produce-409.log" || hw_fail "events were sent without a registry id: $(tail -1 "$HW_TMP/produce-409.log")"

hw_note "producer: auto.register=0 takes the latest version when it is the same schema"
grep '"type":"hire"' "$events" >"$HW_TMP/hires.ndjson"
"$HW_PY" "$check" register "$REG_MAIN" again.hires-value "$HW_SRC_DIR/schemas/HireEvent.v2.avsc" >/dev/null
hw_produce -s "schema.registry.url=$REG_MAIN" -s schema.registry.auto.register=0 --topic again.hires "$HW_TMP/hires.ndjson"
[[ $(requests main 'GET /subjects/again.hires-value/versions/latest 200') -eq 1 ]] || hw_fail "the producer did not look up the latest version"
n=$("$HW_PY" "$check" wire "$HW_BOOTSTRAP" again.hires "$REG_MAIN" "$HW_TMP/hires.ndjson") || hw_fail "again.hires is not what the registry describes"
[[ $n -eq 101 ]] || hw_fail "again.hires holds $n hires, want 101"

hw_note "basic auth: refused credentials are said clearly; user info and URL credentials work"
pw=Reg-s3cret-5150
cp "$HW_TMP/main.json" "$HW_TMP/auth.json" # the same schemas and ids
start_registry auth 0 --user hw --password "$pw"
rc=0
HW_CONSUMER_TIMEOUT=20 hw_consumer -s "schema.registry.url=$REG" --group auth0 --prefix auth0: --until-caught-up || rc=$?
[[ $rc -eq 69 ]] || hw_fail "exit $rc when the registry refuses the credentials at start, want 69"
grep -q "refused the credentials (HTTP 401)" "$HW_CONSUMER_LOG" || hw_fail "no clear 401 error: $(tail -2 "$HW_CONSUMER_LOG")"
hw_note "credentials refused later (relay off at start): waited for, nothing taken"
rc=0
HW_CONSUMER_TIMEOUT=15 hw_consumer -s "schema.registry.url=$REG" -s alerts.relay.enabled=0 --group auth0 --prefix auth0: \
  --until-caught-up || rc=$?
[[ $rc -eq 124 ]] || hw_fail "exit $rc: the consumer should wait for the registry"
# Whichever topic's message is read first (the wait holds the loop, so
# within the run it may be the only one): its partition is named, from 0.
grep -Eq "refused the credentials \(HTTP 401\).*reading the partition again\" topic=talent\.(hires|offers) partition=[0-9]+ offset=0 " "$HW_CONSUMER_LOG" || hw_fail "no clear 401 error: $(grep -m2 'HTTP 401\|registry' "$HW_CONSUMER_LOG"; tail -2 "$HW_CONSUMER_LOG")"
[[ -z $(redis-cli -p "$HW_REDIS_PORT" --raw keys 'auth0:lab:*') ]] || hw_fail "counted without a registry answer"
hw_consume_all -s "schema.registry.url=$REG" -s "schema.registry.basic.auth.user.info=hw:$pw" --group auth1 --prefix auth1:
hw_model_check auth1: "$events"
hw_consume_all -s "schema.registry.url=http://hw:$pw@127.0.0.1:$REG_PORT" --group auth2 --prefix auth2:
hw_model_check auth2: "$events"
SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO=hw:$pw hw_consume_all -s "schema.registry.url=$REG" --group auth3 --prefix auth3:
hw_model_check auth3: "$events"
hw_produce -s "schema.registry.url=$REG" -s "schema.registry.basic.auth.user.info=hw:$pw" --topic auth.hires "$events"
[[ $(requests auth 'POST /subjects/auth.hires-value/versions 200') -ge 1 ]] || hw_fail "the producer did not register with basic auth"
if grep -rq -- "$pw" "$HW_TMP"/consumer-*.log "$HW_TMP"/produce*.log; then
  hw_fail "the registry password appears in a log"
fi

hw_note "TLS with a client certificate"
tls=$HW_TMP/tls
mkdir -p "$tls"
(
  cd "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=hw-test-ca
  openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
  printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext
  openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=hirewire
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2
) >"$HW_TMP/openssl.log" 2>&1 || hw_fail "openssl: $(tail -3 "$HW_TMP/openssl.log")"
cp "$HW_TMP/main.json" "$HW_TMP/tls.json"
start_registry tls 0 --tls-cert "$tls/server.pem" --tls-key "$tls/server.key" --tls-client-ca "$tls/ca.pem"
tls_opts=(-s "schema.registry.url=$REG" -s "schema.registry.ssl.ca.location=$tls/ca.pem"
  -s "schema.registry.ssl.certificate.location=$tls/client.pem" -s "schema.registry.ssl.key.location=$tls/client.key")
hw_produce "${tls_opts[@]}" --topic tls.hires "$events"
hw_consume_all "${tls_opts[@]}" -s topic.hires=tls.hires -s topic.offers=tls.offers --group tls --prefix tls:
hw_model_check tls: "$events"
rc=0
HW_CONSUMER_TIMEOUT=8 hw_consumer -s "schema.registry.url=$REG" -s "schema.registry.ssl.ca.location=$tls/ca.pem" \
  -s topic.hires=tls.hires -s topic.offers=tls.offers --group tls0 --prefix tls0: --until-caught-up || rc=$?
grep -q "schema registry https://127.0.0.1:$REG_PORT unreachable" "$HW_CONSUMER_LOG" ||
  hw_fail "no clear error without the client certificate: $(tail -2 "$HW_CONSUMER_LOG")"
[[ -z $(redis-cli -p "$HW_REDIS_PORT" --raw keys 'tls0:lab:*') ]] || hw_fail "counted without a registry answer"
echo PASS
