#!/usr/bin/env bash
# hirewire-query report and serve on the scenario, counted into a real
# Redis by the real pipeline (hirewire-produce -> devbroker ->
# hirewire-consumer), the page loaded in headless Chromium:
#
# - `report --html` writes one self-contained file (no script, nothing
#   loaded from the network);
# - the served page's DOM shows Meta Superintelligence Labs' 44 members
#   and OpenAI's share (shares adding up to 100%), Korea's rank 35 of 38
#   OECD members, a raid and a mega_offer alert, and every chart names its
#   window and the watermark; a screenshot of it (results dir) is not
#   blank (HW_UPDATE_DOCS=1 also writes it to docs/report.png);
# - each /api/ document is byte for byte what `hirewire-query --json`
#   prints;
# - live: an alert the consumer raises is on /api/events within 2 s of
#   being raised, and one added while Chromium holds the page open shows
#   on it within 2 s (Chromium driven over the DevTools protocol);
# - names from the data (a lab called <script>alert(1)</script>) render
#   as text; bad parameters get 400 with the reason, other methods 405,
#   unknown things 404; 100 half-open connections of another client do not
#   starve /healthz; with Redis down every endpoint answers 503 and the
#   server carries on, serving again once Redis is back; SIGTERM exits 0.
source "$(dirname "$0")/lib/services.sh"

Q=$HW_BIN_DIR/hirewire-query
CHECK=$HW_SRC_DIR/tests/lib/report_check.py
RESULTS=${HW_RESULTS_DIR:-$HW_TMP}
mkdir -p "$RESULTS"
CHROMIUM=$(command -v chromium) || hw_fail "chromium is not installed (scripts/setup.sh installs it)"
q() { "$Q" --redis "$HW_REDIS_URL" "$@"; }
# Each run of the consumer leaves the group; a short session lets the
# next one in without waiting out the default 45 s.
consume() { hw_consume_all -X session.timeout.ms=6000 -X heartbeat.interval.ms=500; }
check() { "$HW_PY" "$CHECK" "$@" || hw_fail "report_check $1 ${2:-}"; }
# Chromium without a sandbox (tests may run as root), in a profile of its
# own: chrome NAME ARGS...
chrome() {
  local name=$1
  shift
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$HW_TMP/chromium-$name" --hide-scrollbars "$@" 2>>"$HW_TMP/chromium.log"
}
# GET (or $1) a URL: the status on stdout, the body in $HW_TMP/body.
http() {
  local method=GET
  [[ $1 == -X ]] && { method=$2; shift 2; }
  "$HW_PY" "$CHECK" http "$method" "$1" "$HW_TMP/body"
}
# The reason of an error answer ({"error": ..., "status": ...}).
reason() {
  "$HW_PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["error"])' "$HW_TMP/body"
}
expect_http() {
  local want=$1 got
  shift
  got=$(http "$@") || hw_fail "http $*"
  [[ $got == "$want" ]] || hw_fail "$* answered $got, expected $want: $(head -c 300 "$HW_TMP/body")"
}

hw_note "the scenario through the pipeline"
hw_start_redis
REDIS_PID=${HW_PIDS[-1]}
hw_start_broker --partitions 4
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
consume

hw_note "report --html: one self-contained file"
q report --html "$HW_TMP/report.html" || hw_fail "report --html"
check static "$HW_TMP/report.html"
check dom "$HW_TMP/report.html" --port "$HW_REDIS_PORT" --scripts 0
q --json report >"$HW_TMP/report.json" || hw_fail "report --json"

hw_note "serve"
"$Q" --redis "$HW_REDIS_URL" serve --addr 127.0.0.1:0 2>"$HW_TMP/serve.log" &
SERVE_PID=$!
HW_PIDS+=("$SERVE_PID")
hw_wait_for "grep -q 'serving http://' '$HW_TMP/serve.log'" 10 || hw_fail "serve did not start: $(cat "$HW_TMP/serve.log")"
PORT=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$HW_TMP/serve.log")
BASE=http://127.0.0.1:$PORT

hw_note "the API's documents are those of --json"
while IFS='|' read -r path args; do
  expect_http 200 "$BASE$path"
  # shellcheck disable=SC2086
  eval "q --json $args" >"$HW_TMP/cli.json" || hw_fail "hirewire-query --json $args"
  cmp -s "$HW_TMP/body" "$HW_TMP/cli.json" || hw_fail "$path differs from --json $args:
$(diff "$HW_TMP/body" "$HW_TMP/cli.json" | head -20)"
  grep -qi '^Content-Type: application/json' "$HW_TMP/body.headers" || hw_fail "$path is not served as JSON"
done <<'EOF'
/api/labs|labs
/api/labs?top=3|labs --top 3
/api/lab/Meta%20Superintelligence%20Labs|lab Meta Superintelligence Labs
/api/lab/meta-superintelligence-labs?window=365d&top=2|lab --window 365d --top 2 meta-superintelligence-labs
/api/flows|flows
/api/flows?window=30d|flows --window 30d
/api/flows?group=oecd&top=5|flows --group oecd --top 5
/api/offers|offers
/api/offers?window=90d|offers --window 90d
/api/alerts|alerts
/api/alerts?count=3|alerts --count 3
/api/report|report
/api/report?window=90d&lab=OpenAI&lab=xAI|report --window 90d --lab OpenAI --lab xAI
EOF
cmp -s "$HW_TMP/report.json" <(q --json report) || hw_fail "report --json changed"

hw_note "the page in headless Chromium"
chrome dom --dump-dom "$BASE/" >"$HW_TMP/dom.html" || hw_fail "chromium --dump-dom"
check dom "$HW_TMP/dom.html" --port "$HW_REDIS_PORT" --scripts 1
grep -q 'id="live">live<' "$HW_TMP/dom.html" || hw_fail "the served page has no live marker"
chrome shot --window-size=1200,3400 --screenshot="$RESULTS/report.png" \
  "$BASE/?lab=meta-superintelligence-labs" >/dev/null ||
  hw_fail "chromium --screenshot"
check png "$RESULTS/report.png"
if [[ ${HW_UPDATE_DOCS:-} == 1 ]]; then
  cp "$RESULTS/report.png" "$HW_SRC_DIR/docs/report.png"
  hw_note "wrote docs/report.png"
fi

hw_note "live: a raised alert on /api/events within 2 s"
"$HW_PY" "$CHECK" sse "$BASE/api/events" "$HW_TMP/sse.ready" mega_offer:live-offer-1 >"$HW_TMP/sse.out" 2>&1 &
SSE_PID=$!
HW_PIDS+=("$SSE_PID")
hw_wait_for "test -s '$HW_TMP/sse.ready'" 10 || hw_fail "the event stream did not answer"
cat >"$HW_TMP/live.ndjson" <<'EOF'
{"type":"offer","event_id":"live-offer-1","occurred_at":"2025-08-18T10:00:00Z","person_id":"p-live-1","person_name":"Live Test","offering_org":"Meta","offering_lab":"Meta Superintelligence Labs","current_org":"OpenAI","from_country":"US","to_country":"US","status":"EXTENDED","total_value_usd":250000000,"tier":"S"}
EOF
hw_produce "$HW_TMP/live.ndjson"
consume
wait "$SSE_PID" || hw_fail "the alert did not come on the stream: $(cat "$HW_TMP/sse.out")"
cat "$HW_TMP/sse.out" >&2

hw_note "live: an alert added while Chromium holds the page shows on it within 2 s"
check live "$CHROMIUM" "$HW_TMP/chromium-live" "$BASE/" "$HW_REDIS_PORT"

hw_note "names from the data are text"
cat >"$HW_TMP/evil.ndjson" <<'EOF'
{"type":"hire","event_id":"evil-1","occurred_at":"2025-08-18T11:00:00Z","person_id":"p-evil-1","person_name":"\"Quote\" & <b>Bold</b>","from_org":"<img src=x onerror=alert(2)>","to_org":"Evil\" onmouseover=\"alert(3)","to_lab":"<script>alert(1)</script>","from_country":"US","to_country":"US","nationality":"US","alma_mater":"</title><script>alert(4)</script>","tier":"S"}
EOF
hw_produce "$HW_TMP/evil.ndjson"
consume
LAB='<script>alert(1)</script>'
ENC=%3Cscript%3Ealert%281%29%3C%2Fscript%3E
chrome evil --dump-dom "$BASE/?lab=$ENC&lab=meta-superintelligence-labs" >"$HW_TMP/evil.html" || hw_fail "chromium on the page"
check escape "$HW_TMP/evil.html" --scripts 1 "$LAB" '<img src=x onerror=alert(2)>' \
  '</title><script>alert(4)</script>'
grep -q '<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>' "$HW_TMP/evil.html" || hw_fail "the lab's heading is not its escaped name"
q report --html "$HW_TMP/evil-report.html" --lab "$LAB" || hw_fail "report --lab $LAB"
check escape "$HW_TMP/evil-report.html" --scripts 0 "$LAB" '<img src=x onerror=alert(2)>'
expect_http 200 "$BASE/api/lab/$ENC"
"$HW_PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["name"] == sys.argv[2], d' \
  "$HW_TMP/body" "$LAB" || hw_fail "/api/lab/ of the escaped lab"

hw_note "400, 404, 405"
for bad in "/api/flows?window=7x|window \"7x\"" "/api/flows?window=14d|no such window" \
  "/api/flows?group=g20|no such group" "/api/flows?nope=1|unknown parameter \"nope\"" \
  "/api/labs?top=-1|top \"-1\"" "/api/alerts?count=0|count \"0\"" "/api/alerts?count|needs a value" \
  "/api/flows?window=30d&window=7d|given twice" "/?window=bogus|window \"bogus\"" \
  "/api/lab/|lab's name" "/api/events?window=7d|unknown parameter"; do
  expect_http 400 "$BASE${bad%%|*}"
  reason | grep -qF "${bad#*|}" || hw_fail "${bad%%|*}: the 400 does not say ${bad#*|}: $(cat "$HW_TMP/body")"
done
expect_http 404 "$BASE/api/lab/no-such-lab"
reason | grep -qF 'no lab "no-such-lab"' || hw_fail "404 reason: $(cat "$HW_TMP/body")"
expect_http 404 "$BASE/api/nope"
for m in POST PUT DELETE PATCH; do
  expect_http 405 -X "$m" "$BASE/api/labs"
  grep -qi '^Allow: GET, HEAD' "$HW_TMP/body.headers" || hw_fail "$m: no Allow header"
done
expect_http 405 -X POST "$BASE/"
expect_http 200 -X HEAD "$BASE/api/labs"
[[ ! -s $HW_TMP/body ]] || hw_fail "HEAD answered with a body"

hw_note "hostile clients"
check hostile "$PORT"

hw_note "Redis down: 503, and serving again once it is back"
kill "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
for path in /api/labs /api/lab/openai /api/flows /api/offers /api/alerts /api/report /api/events /healthz; do
  expect_http 503 "$BASE$path"
  reason | grep -qF "127.0.0.1:$HW_REDIS_PORT" || hw_fail "$path: the 503 does not name Redis: $(cat "$HW_TMP/body")"
done
expect_http 503 "$BASE/"
grep -q 'Redis is unavailable' "$HW_TMP/body" || hw_fail "the page's 503 does not say why"
kill -0 "$SERVE_PID" || hw_fail "serve died with Redis down"
redis-server --port "$HW_REDIS_PORT" --bind 127.0.0.1 --dir "$HW_TMP/redis-$HW_REDIS_PORT" --save '' \
  --appendonly no --daemonize no --loglevel warning >>"$HW_TMP/redis-again.log" 2>&1 &
HW_PIDS+=($!)
hw_wait_for "redis-cli -p $HW_REDIS_PORT ping | grep -q PONG" 10 || hw_fail "redis-server did not come back"
expect_http 404 "$BASE/api/labs"
reason | grep -qF 'Redis holds no hirewire data' || hw_fail "empty Redis: $(cat "$HW_TMP/body")"
consume
expect_http 200 "$BASE/api/labs"
cmp -s "$HW_TMP/body" <(q --json labs) || hw_fail "/api/labs after Redis came back"
expect_http 200 "$BASE/healthz"

hw_note "SIGTERM"
kill -TERM "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
[[ $rc -eq 0 ]] || hw_fail "serve exited $rc on SIGTERM: $(cat "$HW_TMP/serve.log")"

echo PASS
