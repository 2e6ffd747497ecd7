"""Independent checks for hirewire's tests, written against SPEC.md only.

Decodes the Confluent-framed Avro messages that kcat dumps with python3-avro
(an implementation independent of Avro C) and the schemas in schemas/, and
turns both decoded records and NDJSON input lines into one comparable form.
Run with Debian's /usr/bin/python3.
"""
import datetime
import io
import json
import os
import struct

import avro.io
import avro.schema

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_registry():
    """Schema id -> parsed Avro schema, from schemas/registry.json."""
    with open(os.path.join(SRC, "schemas", "registry.json")) as f:
        reg = json.load(f)
    out = {}
    for entry in reg["schemas"]:
        with open(os.path.join(SRC, "schemas", entry["file"])) as f:
            out[entry["id"]] = avro.schema.parse(f.read())
    return out


def read_dump(stream):
    """Yields (topic, partition, offset, key bytes or None, value bytes or None)
    from kcat -f '%t %p %o %K %S\\n%k%s' output."""
    data = stream.read()
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        topic, part, off, klen, vlen = data[pos:nl].decode().split(" ")
        pos = nl + 1
        klen, vlen = int(klen), int(vlen)
        key = data[pos:pos + klen] if klen >= 0 else None
        pos += max(klen, 0)
        value = data[pos:pos + vlen] if vlen >= 0 else None
        pos += max(vlen, 0)
        yield topic, int(part), int(off), key, value


def decode(registry, value):
    """Decodes a framed value; returns (schema id, record dict)."""
    if len(value) < 5 or value[0] != 0:
        raise ValueError("bad framing")
    (schema_id,) = struct.unpack(">I", value[1:5])
    schema = registry[schema_id]
    reader = avro.io.DatumReader(schema)
    buf = io.BytesIO(value[5:])
    rec = reader.read(avro.io.BinaryDecoder(buf))
    if buf.tell() != len(value) - 5:
        raise ValueError("trailing bytes")
    return schema_id, rec


def to_ms(v):
    """A timestamp as ms: datetime from python3-avro, ISO text or ms from NDJSON."""
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=datetime.timezone.utc)
        delta = v - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return delta.days * 86400000 + delta.seconds * 1000 + delta.microseconds // 1000
    if isinstance(v, int):
        return v
    text = v.replace("Z", "+00:00").replace("z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    return to_ms(datetime.datetime.fromisoformat(text))


HIRE_DEFAULTS = {"person_name": None, "from_lab": None, "to_lab": None,
                 "nationality": None, "alma_mater": None, "tier": "UNRATED",
                 "compensation_usd": None, "source_url": None}
OFFER_DEFAULTS = {"person_name": None, "offering_lab": None,
                  "sign_on_bonus_usd": None, "tier": "UNRATED", "source_url": None}


def normalize_line(obj):
    """An NDJSON event as the record the consumer should see."""
    obj = dict(obj)
    kind = obj.pop("type")
    defaults = HIRE_DEFAULTS if kind == "hire" else OFFER_DEFAULTS
    for k, v in defaults.items():
        obj.setdefault(k, v)
    obj["occurred_at"] = to_ms(obj["occurred_at"])
    obj["type"] = kind
    return obj


def normalize_record(schema_id, rec):
    """A decoded Avro record in the same form as normalize_line."""
    rec = dict(rec)
    rec["occurred_at"] = to_ms(rec["occurred_at"])
    rec["type"] = "offer" if schema_id == 3 else "hire"
    if schema_id == 1:  # v1: the current schema's defaults apply
        rec.setdefault("alma_mater", None)
        rec.setdefault("tier", "UNRATED")
    return rec


def read_topic(bootstrap, topic, timeout=30, timestamps=False):
    """Every message of topic from the start to the end offsets seen at the
    call, with python3-confluent-kafka: a list of (partition, offset, key,
    value, headers as a dict of str), with timestamps=True also the
    message's timestamp (ms) last."""
    import time

    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "hw-check",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=10)
    parts = [TopicPartition(topic, p, 0) for p in md.topics[topic].partitions]
    ends = {p.partition: c.get_watermark_offsets(p, timeout=10)[1] for p in parts}
    c.assign(parts)
    out = []
    done = {p: ends[p] == 0 for p in ends}
    deadline = time.time() + timeout
    while not all(done.values()) and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        if m.offset() + 1 >= ends[m.partition()]:
            done[m.partition()] = True
        h = {k: (v.decode() if v is not None else None) for k, v in (m.headers() or [])}
        row = (m.partition(), m.offset(), m.key(), m.value(), h)
        out.append(row + (m.timestamp()[1],) if timestamps else row)
    c.close()
    if not all(done.values()):
        raise TimeoutError(f"{topic}: not read to its end in {timeout} s")
    return out


def load_expected(paths):
    """event_id -> the normalized event, from NDJSON files (a repeated
    event_id is an error)."""
    expected = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                ev = normalize_line(json.loads(line))
                if ev["event_id"] in expected:
                    raise SystemExit(f"{path}:{n}: duplicate event_id {ev['event_id']}")
                expected[ev["event_id"]] = ev
    return expected


class Matcher:
    """Matches events found somewhere (Kafka, an archive) against the
    expected ones: each must be found exactly once and equal its input."""

    def __init__(self, expected, found="got"):
        self.expected, self.found = expected, found
        self.seen, self.errors = {}, []

    def see(self, where, got):
        eid = got["event_id"]
        if eid in self.seen:
            self.errors.append(f"{where}: {eid} found twice (also {self.seen[eid]})")
        self.seen[eid] = where
        want = self.expected.get(eid)
        if want is None:
            self.errors.append(f"{where}: unexpected event {eid}")
        elif want != got:
            diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got)
                    if want.get(k) != got.get(k)}
            self.errors.append(f"{where}: {eid} differs (expected, {self.found}): {diff}")

    def missing(self, what):
        """Adds an error for the expected events never seen."""
        missing = sorted(set(self.expected) - set(self.seen))
        if missing:
            self.errors.append(f"{len(missing)} events {what}, e.g. {missing[:5]}")
