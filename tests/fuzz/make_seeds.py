"""Writes the fuzzers' seed corpora (run with /usr/bin/python3; the output is
committed): decode/ holds framed messages encoded with python3-avro from
the scenario (each schema id, v1 hires included, an alert) and a few broken
ones; ndjson/ holds scenario lines and lines that break one rule each.
usage: make_seeds.py"""
import datetime
import io
import json
import os
import struct
import sys

import avro.io

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import hwcheck  # noqa: E402

registry = hwcheck.load_registry()
scenario = [json.loads(l) for l in open(os.path.join(hwcheck.SRC, "examples", "scenario.ndjson")) if l.strip()]


def ts(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)


def framed(schema_id, rec):
    buf = io.BytesIO()
    avro.io.DatumWriter(registry[schema_id]).write(rec, avro.io.BinaryEncoder(buf))
    return b"\x00" + struct.pack(">I", schema_id) + buf.getvalue()


def record(ev, schema_id):
    rec = hwcheck.normalize_line(ev)
    rec.pop("type")
    rec["occurred_at"] = ts(rec["occurred_at"])
    if schema_id == 1:
        rec.pop("alma_mater", None)
        rec.pop("tier", None)
    return rec


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), "wb") as f:
        f.write(data)


hires = [e for e in scenario if e["type"] == "hire"]
offers = [e for e in scenario if e["type"] == "offer"]
for i, ev in enumerate(hires[:6]):
    write("decode", f"hire-v2-{i}", framed(2, record(ev, 2)))
for i, ev in enumerate(hires[6:9]):
    write("decode", f"hire-v1-{i}", framed(1, record(ev, 1)))
for i, ev in enumerate(offers[:4]):
    write("decode", f"offer-{i}", framed(3, record(ev, 3)))
write("decode", "alert", framed(4, {
    "alert_id": "mega_offer:scn-offer-0007", "rule": "mega_offer", "severity": "CRITICAL",
    "raised_at": ts(1751328000000), "event_time": ts(1751328000000), "subject": "Luming Fang",
    "summary": "Meta offer of $200M", "event_ids": ["scn-offer-0007"],
    "attributes": {"status": "EXTENDED"}}))
good = framed(2, record(hires[0], 2))
write("decode", "empty", b"")
write("decode", "no-magic", b"\x01" + good[1:])
write("decode", "unknown-id", b"\x00\x00\x00\x00\x09" + good[5:])
write("decode", "truncated", good[:len(good) // 2])
write("decode", "trailing", good + b"\x00\x02")
write("decode", "huge-length", b"\x00\x00\x00\x00\x02" + b"\xfe\xff\xff\xff\x0f")
write("decode", "negative-length", b"\x00\x00\x00\x00\x02" + b"\x03")
# Regression: read one after the other, a union's string followed by a
# longer one leaked in Avro C's reader (the first fuzzing run found it).
short, long_ = record(hires[1], 2), record(hires[1], 2)
short["person_name"], long_["person_name"] = "Seojun Park", "x" * 60
write("decode", "regress-union-string-1", framed(2, short))
write("decode", "regress-union-string-2", framed(2, long_))

lines = [json.dumps(e) for e in scenario[:12]]
bad = dict(hires[0])
for i, line in enumerate(lines):
    write("ndjson", f"scenario-{i}", line.encode())
edits = {
    "bad-country": {"to_country": "XX"},
    "same-lab": {"to_org": hires[0]["from_org"], "to_lab": hires[0].get("from_lab")},
    "future": {"occurred_at": "2999-01-01T00:00:00Z"},
    "old": {"occurred_at": 946684799999},
    "negative-pay": {"compensation_usd": -1},
    "bad-tier": {"tier": "Z"},
    "long-id": {"event_id": "x" * 129},
    "empty-person": {"person_id": ""},
}
for name, change in edits.items():
    ev = dict(bad)
    ev.update(change)
    write("ndjson", name, json.dumps(ev).encode())
write("ndjson", "not-json", b'{"type":"hire",')
write("ndjson", "bad-utf8", json.dumps(bad).encode().replace(b"Meta", b"M\xc3\x28a"))
write("ndjson", "no-type", json.dumps({k: v for k, v in bad.items() if k != "type"}).encode())
print("seeds written")
