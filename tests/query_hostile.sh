#!/usr/bin/env bash
# hirewire-query on names that are not plain text: Redis holding lab, org,
# country, school, alert and person names with terminal escapes (ESC,
# BEL, the C1 CSI, DEL, line breaks, tabs) and bytes that are not UTF-8,
# as a careless or hostile writer could leave them. For every command:
#
# - tables, the lines around them and --csv hold no control character
#   at all (each shown as '?') and are valid UTF-8 (a bad byte shown as
#   U+FFFD), so nothing read from Redis can drive the terminal, and the
#   columns stay aligned;
# - --json carries each name exactly as Redis holds it (escaped as JSON
#   escapes it), U+FFFD for a byte that is not UTF-8;
# - error messages show such characters as <U+XXXX>;
# - the report page holds none of them either.
source "$(dirname "$0")/lib/services.sh"
source "$(dirname "$0")/lib/query.sh"
hw_start_redis

"$HW_PY" - "$Q" "$HW_REDIS_URL" "$HW_REDIS_PORT" "$HW_TMP" <<'PY' || hw_fail "hostile names reached the output"
import csv, io, json, re, subprocess, sys
import redis

q, url, port, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
r = redis.Redis(port=port)
P = "hw:"
PB = b"hw:"

# Names as bytes; what a table shows of each, and what --json carries.
LAB = b"Lab \x1b[31mRED\x1b[0m \xc2\x9b2J\x07 \x7f"
LAB_SHOWN = "Lab ?[31mRED?[0m ?2J? ?"
BAD = b"Bad \x9b byte\n"            # not UTF-8, a line break
BAD_SHOWN = "Bad \ufffd byte?"
BAD_JSON = "Bad \ufffd byte\n"
EVIL_SLUG = b"evil\x1b]0;pwned\x07"
EVIL_SLUG_SHOWN = "evil?]0;pwned?"
ORIGIN = b"Open\x1b]0;title\x07AI"
ORIGIN_SHOWN = "Open?]0;title?AI"
COUNTRY = b"K\x1bR"
ORG_SLUG = b"ev\x1bil"
ORG_NAME = b"Evil\x1b[5m Corp\t"
ORG_SHOWN = "Evil?[5m Corp?"

r.flushall()
r.set(P + "watermark", 1751328000000)
r.zadd(P + "labs", {b"msl": 3, EVIL_SLUG: 1})
r.hset(P + "lab:msl", mapping={b"name": LAB, b"members": 3})
r.hset(P + "lab:msl:origin", mapping={ORIGIN: 2, b"Apple\x1b[2J": 1})
r.hset(P + "lab:msl:nationality", mapping={b"C\x1bN": 3})
r.hset(P + "lab:msl:alma_mater", mapping={b"Uni\rversity": 3})
r.hset(P + "lab:msl:tier", mapping={b"S\tX": 3})
r.hset(P + "lab:msl:hires:30d", mapping={ORIGIN: 1})
r.hset(P + "lab:msl:hires:all", mapping={ORIGIN: 2})
r.hset(PB + b"lab:" + EVIL_SLUG, mapping={b"name": BAD, b"members": 1})
r.hset(P + "flow:365d:in", mapping={COUNTRY: 2})
r.hset(P + "flow:365d:out", mapping={b"US": 2})
r.zadd(P + "flow:365d:net", {COUNTRY: 2, b"US": -2})
r.zadd(P + "flow:365d:index", {COUNTRY: 0.5, b"US": -0.01})
r.zadd(P + "flow:365d:index:oecd", {COUNTRY: 0.5, b"US": -0.01})
r.hset(PB + b"org:" + ORG_SLUG + b":offers:365d", mapping={b"extended": 1, b"extended_usd": 5000000})
r.hset(PB + b"org:" + ORG_SLUG, mapping={b"name": ORG_NAME})
r.xadd(P + "alerts", {b"alert_id": b"id\x07", b"rule": b"r\x1b[2J", b"severity": b"W\xc2\x9b",
                      b"subject": b"sub\x1bject", b"summary": b"s\x1bX\nY\x9b",
                      b"event_time": b"1751328000000", b"raised_at": b"1751328000000",
                      b"event_ids": b'["e\\u001b1"]', b"attributes": b"{}"}, id="1751328000000-0")
r.set(PB + b"offset:gr\x1bp:talent.hires:0", 5)
r.set(P + "layout", b"5\x1b[2J")

def record(*parts):
    return b"".join(str(len(p)).encode() + b":" + p for p in parts)

def bucket(pid):
    h = 2166136261
    for b in pid:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h % 256

r.hset(P + "persons:%d" % bucket(b"p-evil"), b"p-evil",
       record(b"L\x1bab", b"O\x9b", b"KR", b"Uni\x1b", b"S", b"1751328000000", b"e\x07v"))

problems = []

def run(*args):
    p = subprocess.run([q, "--redis", url, *args], capture_output=True)
    if p.returncode:
        problems.append(f"{' '.join(args)} exited {p.returncode}: {p.stderr!r}")
    return p.stdout

def clean(name, out):
    """No control character (but the line ends), valid UTF-8."""
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"{name}: not UTF-8: {e}")
        return ""
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
    if bad:
        problems.append(f"{name}: control characters {bad!r} in {text!r}")
    return text

def has(name, text, *wants):
    for w in wants:
        if w not in text:
            problems.append(f"{name}: {w!r} not in {text!r}")

def aligned(name, text, header, rows):
    """The table headed by `header` (and its rows) has every line of one
    width."""
    lines = text.split("\n")
    start = next((i for i, l in enumerate(lines) if l.startswith(header)), None)
    if start is None:
        problems.append(f"{name}: no table headed {header!r}")
        return
    block = lines[start:start + 1 + rows]
    # The right-aligned last column ends every line at one character column.
    if len({len(l) for l in block}) != 1:
        problems.append(f"{name}: table {header!r} is not aligned: {block!r}")

# Tables and CSV.
t = clean("lab", run("lab", "msl"))
has("lab", t, LAB_SHOWN + " (slug msl)", ORIGIN_SHOWN, "Apple?[2J", "C?N", "Uni?versity", "S?X")
aligned("lab", t, "origin", 2)
t = clean("lab --csv", run("--csv", "lab", "msl"))
has("lab --csv", t, ORIGIN_SHOWN + ",2,66.7%")
t = clean("labs", run("labs"))
has("labs", t, LAB_SHOWN, BAD_SHOWN, EVIL_SLUG_SHOWN)
aligned("labs", t, "#", 2)
t = clean("labs --csv", run("--csv", "labs"))
rows = list(csv.reader(io.StringIO(t)))
if len(rows) < 3 or rows[2][1:3] != [BAD_SHOWN, EVIL_SLUG_SHOWN]:
    problems.append(f"labs --csv row: {rows!r}")
t = clean("flows", run("flows"))
has("flows", t, "K?R")
aligned("flows", t, "country", 2)
clean("flows --csv", run("--csv", "flows"))
t = clean("offers", run("offers"))
has("offers", t, ORG_SHOWN)
clean("offers --csv", run("--csv", "offers"))
t = clean("alerts", run("alerts"))
has("alerts", t, "W?", "r?[2J", "s?X?Y\ufffd")
t = clean("alerts --csv", run("--csv", "alerts"))
rows = list(csv.reader(io.StringIO(t)))
if rows[1:2] != [["2025-07-01T00:00:00Z", "W?", "r?[2J", "sub?ject", "s?X?Y\ufffd", "id?"]]:
    problems.append(f"alerts --csv rows: {rows!r}")
t = clean("person", run("person", "p-evil"))
has("person", t, "L?ab", "O\ufffd", "Uni?", "e?v")
t = clean("status", run("status"))
has("status", t, "gr?p", "5?[2J (this version writes 6;")
clean("status --csv", run("--csv", "status"))

# JSON: the names as Redis holds them.
def js(*args):
    out = run("--json", *args)
    try:
        return json.loads(out)
    except ValueError as e:
        problems.append(f"--json {' '.join(args)}: {e}: {out[:200]!r}")
        return None

d = js("lab", "msl")
if d:
    if d["name"] != LAB.decode():
        problems.append(f"lab --json name {d['name']!r}")
    if ORIGIN.decode() not in d["origin"] or "Uni\rversity" not in d["alma_mater"]:
        problems.append(f"lab --json parts {d!r}")
d = js("labs")
if d and [x["name"] for x in d] != [LAB.decode(), BAD_JSON]:
    problems.append(f"labs --json names {[x['name'] for x in d]!r}")
if d and d[1]["slug"] != EVIL_SLUG.decode():
    problems.append(f"labs --json slug {d[1]['slug']!r}")
d = js("flows")
if d and COUNTRY.decode() not in [c["country"] for c in d["countries"]]:
    problems.append(f"flows --json {d!r}")
d = js("offers")
if d and (d["orgs"][0]["org"], d["orgs"][0]["name"]) != (ORG_SLUG.decode(), ORG_NAME.decode()):
    problems.append(f"offers --json {d!r}")
d = js("alerts")
if d and (d[0]["rule"], d[0]["severity"], d[0]["summary"], d[0]["event_ids"]) != \
        ("r\x1b[2J", "W\x9b", "s\x1bX\nY\ufffd", ["e\x1b1"]):
    problems.append(f"alerts --json {d!r}")
d = js("person", "p-evil")
if d and (d["lab"], d["origin"], d["event_id"]) != ("L\x1bab", "O\ufffd", "e\x07v"):
    problems.append(f"person --json {d!r}")
d = js("status")
if d and (d["partitions"][0]["group"], d["layout"]) != ("gr\x1bp", "5\x1b[2J"):
    problems.append(f"status --json {d!r}")

# Messages: what Redis holds shown with its control characters visible.
r.zadd(PB + b"flow:\x1b[2J:net", {b"US": 1})
p = subprocess.run([q, "--redis", url, "flows", "--window", "7d"], capture_output=True)
err = p.stderr.decode("utf-8", "replace")
if p.returncode != 2 or "(windows: <U+001B>[2J, 365d)" not in err or "\x1b" in err:
    problems.append(f"flows --window 7d: {p.returncode} {err!r}")

# The report page: text, no control character.
page = run("report", "--html", "-", "--lab", "msl")
try:
    text = page.decode("utf-8")
    bad = sorted({c for c in text if ord(c) < 0x20 and c not in "\n"})
    if bad:
        problems.append(f"report page: control characters {bad!r}")
    has("report page", text, "Lab \ufffd[31mRED")
except UnicodeDecodeError as e:
    problems.append(f"report page: not UTF-8: {e}")

for p in problems:
    print("query_hostile:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo PASS
