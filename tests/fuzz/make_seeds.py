"""Writes the fuzzers' seed corpora (run with /usr/bin/python3; the output is
committed): decode/ holds framed messages encoded with python3-avro from
the scenario (each schema id, v1 hires included, an alert) and a few broken
ones; ndjson/ holds scenario lines and lines that break one rule each;
registry/ holds Schema Registry answers as fuzz_registry reads them (its
first byte: the request and the HTTP status), the schemas and events of
the scenario, the registry's errors and answers that are not its API;
serve/ holds request targets of `hirewire-query serve`, each route with
its parameters and ones refused. replies/ is written by record_replies.py.
usage: make_seeds.py [FOLDER...]   (default: all of them)"""
import datetime
import io
import json
import os
import struct
import sys

import avro.io
import avro.schema

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


wanted = sys.argv[1:]


def write(folder, name, data):
    if wanted and folder not in wanted:
        return
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
# registry/: the first byte is the request (bits 0-1: 0 the consumer's,
# with the message's Avro body after a NUL; 1 register; 2 latest version;
# 3 a schema by id) and the status (bits 2-5, an index into fuzz_registry's
# statuses: 0 200, 4 204, 5 301, 6 400, 7 401, 9 404, 11 409, 12 422,
# 14 500).
CONSUMER, REGISTER, LATEST, SCHEMA = range(4)
S200, S204, S301, S400, S401, S404, S409, S422, S500 = 0, 4, 5, 6, 7, 9, 11, 12, 14


def answer(request, status, body, avro_body=None):
    head = bytes([request | status << 2])
    body = body if isinstance(body, bytes) else json.dumps(body).encode()
    return head + body + (b"\0" + avro_body if avro_body is not None else b"")


def schema_text(schema_id):
    return json.dumps(registry[schema_id].to_json())


def body(schema, rec):
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(rec, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


hire_v2 = record(hires[0], 2)
evolved = registry[2].to_json()
evolved["fields"] = evolved["fields"] + [{"name": "team", "type": ["null", "string"], "default": None}]
evolved_schema = avro.schema.parse(json.dumps(evolved))
evolved_rec = dict(hire_v2, team="Superintelligence")
not_found = {"error_code": 40403, "message": "Schema 7 not found"}
registry_seeds = {
    "hire-v2": answer(CONSUMER, S200, {"schema": schema_text(2)}, framed(2, hire_v2)[5:]),
    "hire-v1": answer(CONSUMER, S200, {"schema": schema_text(1)}, framed(1, record(hires[6], 1))[5:]),
    "offer": answer(CONSUMER, S200, {"schema": schema_text(3)}, framed(3, record(offers[0], 3))[5:]),
    "hire-v2-full": answer(CONSUMER, S200, {"subject": "talent.hires-value", "version": 2, "id": 7,
                                            "schemaType": "AVRO", "schema": schema_text(2)},
                           framed(2, record(hires[1], 2))[5:]),
    "hire-evolved": answer(CONSUMER, S200, {"schema": json.dumps(evolved)},
                           body(evolved_schema, evolved_rec)),
    "hire-bad-country": answer(CONSUMER, S200, {"schema": schema_text(2)},
                               framed(2, dict(hire_v2, to_country="XX"))[5:]),
    "alert": answer(CONSUMER, S200, {"schema": schema_text(4)}, b""),
    "protobuf": answer(CONSUMER, S200, {"schema": "syntax = \"proto3\"; message HireEvent {}",
                                        "schemaType": "PROTOBUF"}, b""),
    "not-an-event": answer(CONSUMER, S200, {"schema": json.dumps(
        {"type": "record", "name": "X", "namespace": "other", "fields": []})}, b""),
    "not-a-record": answer(CONSUMER, S200, {"schema": "\"string\""}, b"\x02a"),
    "schema-cut": answer(CONSUMER, S200, {"schema": schema_text(2)[:120]}, b""),
    "not-found": answer(CONSUMER, S404, not_found, b""),
    "backend-error": answer(CONSUMER, S500, {"error_code": 50001,
                                             "message": "Error in the backend data store"}, b""),
    "unauthorized": answer(CONSUMER, S401, {"error_code": 40101, "message": "Unauthorized"}, b""),
    "html": answer(CONSUMER, S200, b"<html><body>proxy login</body></html>", b""),
    "empty": answer(CONSUMER, S200, b"", b""),
    "redirect": answer(CONSUMER, S301, b"moved", b""),
    "register": answer(REGISTER, S200, {"id": 12}),
    "register-id-0": answer(REGISTER, S200, {"id": 0}),
    "register-id-text": answer(REGISTER, S200, {"id": "12"}),
    "register-id-large": answer(REGISTER, S200, {"id": 2147483648}),
    "register-incompatible": answer(REGISTER, S409, {
        "error_code": 409, "message": "Schema being registered is incompatible with an earlier "
                                      "schema for subject \"talent.hires-value\""}),
    "register-invalid": answer(REGISTER, S422, {"error_code": 42201, "message": "Invalid schema"}),
    "register-bad-request": answer(REGISTER, S400, b"{\"error_code\":400,"),
    "latest": answer(LATEST, S200, {"subject": "talent.hires-value", "version": 3, "id": 12,
                                    "schema": schema_text(2)}),
    "latest-other": answer(LATEST, S200, {"subject": "talent.hires-value", "version": 1, "id": 11,
                                          "schema": schema_text(1)}),
    "latest-no-schema": answer(LATEST, S200, {"subject": "talent.hires-value", "id": 12}),
    "latest-not-found": answer(LATEST, S404, {"error_code": 40401,
                                              "message": "Subject 'talent.hires-value' not found."}),
    "schema": answer(SCHEMA, S200, {"schema": schema_text(3)}),
    "schema-json": answer(SCHEMA, S200, {"schema": "{\"type\":\"object\"}", "schemaType": "JSON"}),
    "schema-not-found": answer(SCHEMA, S404, not_found),
    "schema-no-content": answer(SCHEMA, S204, b""),
}
for name, data in registry_seeds.items():
    write("registry", name, data)

# serve/: request targets, raw (fuzz_serve percent-encodes what a request
# line cannot hold).
serve_seeds = {
    "page": "/",
    "page-params": "/?window=30d&group=oecd&lab=openai&lab=meta-superintelligence-labs",
    "labs": "/api/labs?top=5",
    "lab": "/api/lab/Meta%20Superintelligence%20Labs?window=all&top=0",
    "lab-slug": "/api/lab/openai?window=7d",
    "flows": "/api/flows?window=365d&group=g7&top=10",
    "offers": "/api/offers?window=30d",
    "alerts": "/api/alerts?count=100",
    "moves": "/api/moves?window=90d&top=3",
    "report": "/api/report?window=all&lab=xai&lab=anthropic",
    "events": "/api/events",
    "healthz": "/healthz",
    "lab-no-name": "/api/lab/",
    "nine-labs": "/api/report?" + "&".join(f"lab=l{i}" for i in range(9)),
    "top-negative": "/api/labs?top=-1",
    "top-twice": "/api/labs?top=5&top=6",
    "param-not-taken": "/api/labs?window=30d",
    "group-upper": "/api/flows?group=OECD",
    "window-long": "/api/flows?window=3651d",
    "count-zero": "/api/alerts?count=0",
    "no-value": "/api/alerts?count",
    "empty-value": "/api/moves?top=",
    "no-route": "/api/nope?x=1",
    "escaped": "/api/lab/x%00y?top=%35",
    "plus": "/api/lab/Meta+AI?window=30%64",
}
for name, target in serve_seeds.items():
    write("serve", name, target.encode())
print("seeds written")
