#!/usr/bin/env bash
# hirewire-query serve beyond the page in a browser (query_report.sh):
#
# - started on an empty Redis: /healthz 200, the API 404 "no hirewire
#   data", the page 404 saying there is no report;
# - /api/moves: who hires from whom in a window, most first, --top cut;
# - /api/report and the page for a window without flows: the flows part
#   says why and the rest is there; with a group asked for, a 400;
#   more than 8 labs a 400;
# - /api/events: HEAD answers the headers alone; Last-Event-ID resumes
#   after that alert with the ones the stream holds, a bad one starts
#   after the newest; new alerts come as `alert` events in the order
#   raised, a new atomic step as an `update` event, and a comment when
#   nothing happens; the stream ends when the alert stream becomes a key
#   of another type (and a new one is a 500 naming it) and when Redis
#   goes away (503 while it is away); SIGTERM ends the open streams and
#   serve exits 0;
# - Redis refusing the password: 503 naming it.
source "$(dirname "$0")/lib/services.sh"
source "$(dirname "$0")/lib/query.sh"
hw_start_redis
PORT=$HW_REDIS_PORT
REDIS_PID=${HW_PIDS[-1]}

# serve NAME ARGS...: starts serve on a free port; sets SERVE_PID, BASE.
serve() {
  local log=$HW_TMP/serve-$1.log
  shift
  "$Q" "$@" serve --addr 127.0.0.1:0 2>"$log" &
  SERVE_PID=$!
  HW_PIDS+=("$SERVE_PID")
  hw_wait_for "grep -q 'serving http://' '$log'" 10 || hw_fail "serve did not start: $(cat "$log")"
  BASE=http://127.0.0.1:$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log")
}

serve main --redis "$HW_REDIS_URL"
"$HW_PY" - "$BASE" "$PORT" <<'PY' || hw_fail "serve"
import http.client, json, sys, time, urllib.error, urllib.parse, urllib.request
import redis

base, port = sys.argv[1], int(sys.argv[2])
host = urllib.parse.urlparse(base)
r = redis.Redis(port=port)

def get(path, method="GET", headers=None):
    req = urllib.request.Request(base + path, method=method, headers=headers or {})
    try:
        resp = urllib.request.urlopen(req, timeout=15)
        return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()

def expect(path, status, *texts):
    got, headers, body = get(path)
    text = body.decode("utf-8", "replace")
    assert got == status, f"{path}: {got}, want {status}: {text[:300]}"
    for t in texts:
        assert t in text, f"{path}: {t!r} not in {text[:400]!r}"
    return text

# Empty Redis.
expect("/healthz", 200, "ok")
expect("/api/labs", 404, "Redis holds no hirewire data under prefix hw:")
expect("/", 404, "hirewire: no report", "Redis holds no hirewire data")

# The state.
r.set("hw:watermark", 1751328000000)
r.zadd("hw:labs", {"meta-superintelligence-labs": 22, "microsoft-ai": 20, "openai": 5})
r.hset("hw:lab:meta-superintelligence-labs", mapping={"name": "Meta Superintelligence Labs", "members": 22})
r.hset("hw:lab:microsoft-ai", mapping={"name": "Microsoft AI", "members": 20})
r.hset("hw:lab:openai", mapping={"name": "OpenAI", "members": 5})
r.hset("hw:lab:meta-superintelligence-labs:hires:30d", mapping={"Apple": 4, "OpenAI": 3})
r.hset("hw:lab:meta-superintelligence-labs:hires:365d", mapping={"OpenAI": 9, "Apple": 4})
r.hset("hw:lab:microsoft-ai:hires:365d", mapping={"Google DeepMind": 12})
r.hset("hw:lab:openai:hires:365d", mapping={"Apple": 4})
r.hset("hw:flow:365d:in", mapping={"US": 3})
r.hset("hw:flow:365d:out", mapping={"KR": 3})
r.zadd("hw:flow:365d:net", {"US": 3, "KR": -3})
r.zadd("hw:flow:365d:index", {"US": 0.01, "KR": -0.36})
r.zadd("hw:flow:365d:index:oecd", {"US": 0.01, "KR": -0.36})
r.set("hw:steps", 5)
ids = [r.xadd("hw:alerts", {"alert_id": f"mega_offer:e-{i}", "rule": "mega_offer", "severity": "CRITICAL",
                            "summary": f"offer {i}", "event_time": 1751328000000 + i,
                            "raised_at": 1751328000000 + i, "event_ids": f'["e-{i}"]',
                            "attributes": "{}"}).decode() for i in (1, 2)]

# Who hires from whom.
moves = json.loads(expect("/api/moves?window=365d", 200))
assert moves["window"] == "365d", moves
assert [(m["from"], m["slug"], m["hires"]) for m in moves["moves"]] == [
    ("Google DeepMind", "microsoft-ai", 12), ("OpenAI", "meta-superintelligence-labs", 9),
    ("Apple", "meta-superintelligence-labs", 4), ("Apple", "openai", 4)], moves
assert moves["moves"][0]["lab"] == "Microsoft AI", moves
moves = json.loads(expect("/api/moves?top=1", 200))
assert moves["window"] == "30d" and len(moves["moves"]) == 1, moves
assert (moves["moves"][0]["from"], moves["moves"][0]["hires"]) == ("Apple", 4), moves

# A window without flows: the report goes on without them.
doc = json.loads(expect("/api/report?window=30d", 200))
assert doc["flows"]["window"] == "30d", doc["flows"]
assert "flows --window 30d: no such window under prefix hw: (windows: 365d)" in doc["flows"]["error"], doc["flows"]
assert [l["slug"] for l in doc["labs"]][:1] == ["meta-superintelligence-labs"], doc["labs"]
page = expect("/?window=30d", 200, "no such window")
assert 'class="error"' in page
expect("/api/report?window=30d&group=oecd", 400, "no such window")
expect("/api/report?" + "&".join(f"lab=l{i}" for i in range(9)), 400, "lab: give up to 8 labs")
expect("/api/lab/nope", 404, 'no lab \\"nope\\"')

# The event stream.
status, headers, body = get("/api/events", method="HEAD")
assert status == 200 and headers["Content-Type"].startswith("text/event-stream") and body == b"", (status, dict(headers), body)

class Stream:
    def __init__(self, headers=None):
        self.c = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        self.c.request("GET", "/api/events", headers=headers or {})
        self.resp = self.c.getresponse()
        assert self.resp.status == 200, self.resp.status

    def line(self):
        return self.resp.readline().decode()

    def until(self, want, limit=30):
        """Lines until one that starts with want; every line read."""
        seen, start = [], time.time()
        while time.time() - start < limit:
            l = self.line()
            if not l:
                raise AssertionError(f"the stream ended before {want!r}: {seen}")
            seen.append(l.rstrip("\n"))
            if seen[-1].startswith(want):
                return seen
        raise AssertionError(f"no {want!r} on the stream: {seen}")

# Resuming after the first alert gives the second, at once.
s = Stream({"Last-Event-ID": ids[0]})
seen = s.until("data: ")
assert f": alerts after {ids[0]}" in seen and f"id: {ids[1]}" in seen and "event: alert" in seen, seen
a = json.loads(seen[-1][6:])
assert (a["id"], a["alert_id"], a["event_ids"]) == (ids[1], "mega_offer:e-2", ["e-2"]), a
s.c.close()

# A Last-Event-ID that is not a stream id: after the newest.
s = Stream({"Last-Event-ID": "yesterday"})
seen = s.until(": alerts after")
assert seen[-1] == f": alerts after {ids[1]}", seen

# New atomic steps and alerts come as they happen.
r.incr("hw:steps")
seen = s.until("data: ")
assert "event: update" in seen and seen[-1] == 'data: {"steps":6}', seen
new = r.xadd("hw:alerts", {"alert_id": "raid:x", "rule": "raid", "severity": "WARN", "summary": "a raid",
                           "event_time": 1751328000100}).decode()
seen = s.until("data: ")
assert f"id: {new}" in seen and json.loads(seen[-1][6:])["alert_id"] == "raid:x", seen
# Nothing for a while: a comment keeps the connection.
seen = s.until(": waiting for alerts")

s.c.close()

# Ids that are not stream ids start after the newest; 0-0 before all.
for bad in ("123-", "-5", "1-2x", "1" * 21 + "-0", "9" * 70):
    s = Stream({"Last-Event-ID": bad})
    seen = s.until(": alerts after")
    assert seen[-1] == f": alerts after {new}", (bad, seen)
    s.c.close()
s = Stream({"Last-Event-ID": "0-0"})
seen = s.until(f"id: {new}")
assert [l[4:] for l in seen if l.startswith("id: ")] == ids + [new], seen
s.c.close()

# The alert stream turned into a key of another type: an open event
# stream ends, a new one is a 500 naming the key.
s = Stream()
s.until(": alerts after")
r.delete("hw:alerts")
r.set("hw:alerts", "not a stream")
start = time.time()
while s.line() and time.time() - start < 30:
    pass
assert time.time() - start < 30, "the stream went on with hw:alerts a string"
expect("/api/events", 500, "XREVRANGE hw:alerts: WRONGTYPE")
expect("/api/alerts", 500, "XREVRANGE hw:alerts: WRONGTYPE")
r.delete("hw:alerts")

# Redis going away ends the stream; while it is away, 503.
s = Stream()
s.until(": alerts after")
r.shutdown(nosave=True)
start = time.time()
while s.line() and time.time() - start < 30:
    pass
assert time.time() - start < 30, "the stream went on without Redis"
status, _, body = get("/api/events")
assert status == 503 and f"127.0.0.1:{port}" in body.decode(), (status, body)
expect("/healthz", 503, f"127.0.0.1:{port}")
print("ok")
PY

hw_note "Redis back, SIGTERM with a stream open"
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$HW_TMP/redis-$PORT" --save '' --appendonly no \
  --daemonize no --loglevel warning >>"$HW_TMP/redis-again.log" 2>&1 &
HW_PIDS+=($!)
hw_wait_for "redis-cli -p $PORT ping | grep -q PONG" 10 || hw_fail "redis-server did not come back"
"$HW_PY" - "$BASE" "$HW_TMP/stream.open" >"$HW_TMP/stream.out" 2>&1 <<'PY' &
import sys, urllib.request
s = urllib.request.urlopen(sys.argv[1] + "/api/events", timeout=60)
s.readline()
open(sys.argv[2], "w").write("open\n")
while s.readline():
    pass
print("ended")
PY
STREAM=$!
HW_PIDS+=("$STREAM")
hw_wait_for "test -s '$HW_TMP/stream.open'" 10 || hw_fail "the event stream did not open: $(cat "$HW_TMP/stream.out")"
kill -TERM "$SERVE_PID"
rc=0
wait "$SERVE_PID" || rc=$?
[[ $rc -eq 0 ]] || hw_fail "serve exited $rc on SIGTERM with a stream open"
wait "$STREAM" || hw_fail "the event stream did not end with serve: $(cat "$HW_TMP/stream.out")"
grep -qx ended "$HW_TMP/stream.out" || hw_fail "the event stream: $(cat "$HW_TMP/stream.out")"

hw_note "Redis refusing the password: 503"
HW_REDIS_CLI_AUTH="-a pw-serve-1 --no-auth-warning" hw_start_redis --requirepass pw-serve-1
serve auth --redis "redis://:pw-wrong-9@127.0.0.1:$HW_REDIS_PORT"
"$HW_PY" - "$BASE" "$HW_REDIS_PORT" <<'PY' || hw_fail "serve with a refused password"
import json, sys, urllib.error, urllib.request
for path in ("/api/labs", "/api/events", "/healthz"):
    try:
        urllib.request.urlopen(sys.argv[1] + path, timeout=10)
        sys.exit(f"{path}: answered 200")
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        assert e.code == 503 and f"127.0.0.1:{sys.argv[2]}" in body and "pw-wrong" not in body, (path, e.code, body)
PY
echo PASS
