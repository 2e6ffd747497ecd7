"""Schema Registry checks for hirewire's tests, with python3-avro and
python3-confluent-kafka (implementations independent of hirewire's).

  registry_check.py wire BOOTSTRAP TOPIC REGISTRY_URL [NDJSON]
      every message of TOPIC carries the id that TOPIC-value's latest version
      has in the registry, and python3-avro decodes it with the schema the
      registry gives for that id; with NDJSON, the decoded events are exactly
      those of the file's lines for that topic (hires or offers). Prints the
      number of messages.
  registry_check.py send-as BOOTSTRAP TOPIC ID SCHEMA_FILE NDJSON OUT
      publishes the hires of NDJSON encoded with the hire schema of
      SCHEMA_FILE (an older or newer HireEvent), framed with registry id ID
      (key person_id), and writes them to OUT as the NDJSON the consumer
      should count (without the fields that schema lacks).
  registry_check.py send-frame BOOTSTRAP TOPIC ID [HEXBODY]
      publishes one message: the Confluent header with ID, then HEXBODY.
  registry_check.py register REGISTRY_URL SUBJECT SCHEMA_FILE
      registers the schema in the file under SUBJECT; prints its id.
  registry_check.py dlq BOOTSTRAP TOPIC
      prints each dead letter as "hw.error<TAB>hw.reason".
"""
import base64
import datetime
import io
import json
import struct
import sys
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Producer

import hwcheck


def get_json(url, body=None):
    """GET url (POST body, when given); user:password@ in it becomes basic auth."""
    req = urllib.request.Request(url)
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    if "@" in host:
        cred, host = host.rsplit("@", 1)
        req = urllib.request.Request(f"{scheme}://{host}/{path}")
        req.add_header("Authorization", "Basic " + base64.b64encode(cred.encode()).decode())
    if body is not None:
        req.data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/vnd.schemaregistry.v1+json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def produce(bootstrap, topic, messages):
    p = Producer({"bootstrap.servers": bootstrap})
    failed = []
    for key, value in messages:
        p.produce(topic, key=key, value=value,
                  on_delivery=lambda err, msg: err and failed.append(err))
    p.flush(30)
    if failed or len(p):
        sys.exit(f"not delivered: {failed}, {len(p)} still queued")


def wire(bootstrap, topic, registry, ndjson=None):
    latest = get_json(f"{registry}/subjects/{topic}-value/versions/latest")
    schemas = {}
    got = []
    for part, off, _key, value, _h in hwcheck.read_topic(bootstrap, topic):
        if len(value) < 5 or value[0] != 0:
            sys.exit(f"{topic}/{part}@{off}: not Confluent-framed")
        (sid,) = struct.unpack(">I", value[1:5])
        if sid != latest["id"]:
            sys.exit(f"{topic}/{part}@{off}: schema id {sid}, but {topic}-value's "
                     f"latest version has id {latest['id']}")
        if sid not in schemas:
            schemas[sid] = avro.schema.parse(get_json(f"{registry}/schemas/ids/{sid}")["schema"])
        buf = io.BytesIO(value[5:])
        rec = avro.io.DatumReader(schemas[sid]).read(avro.io.BinaryDecoder(buf))
        if buf.tell() != len(value) - 5:
            sys.exit(f"{topic}/{part}@{off}: trailing bytes")
        got.append(rec)
    if ndjson:
        kind = "offer" if schemas and schemas[latest["id"]].name == "OfferEvent" else "hire"
        with open(ndjson) as f:
            want = [hwcheck.normalize_line(json.loads(line)) for line in f if line.strip()]
        want = sorted((w for w in want if w["type"] == kind), key=lambda e: e["event_id"])
        have = sorted((hwcheck.normalize_record(3 if kind == "offer" else 2, r) for r in got),
                      key=lambda e: e["event_id"])
        if want != have:
            sys.exit(f"{topic}: {len(have)} decoded events differ from the {len(want)} {kind}s of {ndjson}")
    print(len(got))


def send_as(bootstrap, topic, sid, schema_file, ndjson, out):
    """Publishes the hires of ndjson encoded with the hire schema in
    schema_file (framed with sid): fields it lacks are left out, fields the
    events lack take the schema's default; writes the events as the
    consumer should read them to out."""
    with open(schema_file) as f:
        schema = avro.schema.parse(f.read())
    fields = {field.name: field for field in schema.fields}
    messages, lines = [], []
    with open(ndjson) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("type") != "hire":
                continue
            ev = {k: v for k, v in ev.items() if k in fields or k == "type"}
            rec = {k: v for k, v in hwcheck.normalize_line(ev).items() if k in fields}
            for name, field in fields.items():
                if name not in rec:
                    rec[name] = field.default if field.has_default else None
            rec["occurred_at"] = datetime.datetime.fromtimestamp(
                rec["occurred_at"] / 1000, datetime.timezone.utc)
            buf = io.BytesIO()
            avro.io.DatumWriter(schema).write(rec, avro.io.BinaryEncoder(buf))
            messages.append((rec["person_id"].encode(), b"\0" + struct.pack(">I", sid) + buf.getvalue()))
            lines.append(json.dumps(ev))
    produce(bootstrap, topic, messages)
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(len(messages))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "wire":
        wire(*args)
    elif cmd == "send-as":
        send_as(args[0], args[1], int(args[2]), args[3], args[4], args[5])
    elif cmd == "send-frame":
        body = bytes.fromhex(args[3]) if len(args) > 3 else b""
        produce(args[0], args[1], [(b"frame", b"\0" + struct.pack(">I", int(args[2])) + body)])
    elif cmd == "register":
        with open(args[2]) as f:
            print(get_json(f"{args[0]}/subjects/{args[1]}/versions", {"schema": f.read()})["id"])
    elif cmd == "dlq":
        for _p, _o, _k, _v, h in hwcheck.read_topic(args[0], args[1]):
            print(f"{h.get('hw.error')}\t{h.get('hw.reason')}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
