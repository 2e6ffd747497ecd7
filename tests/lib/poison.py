"""Writes malformed messages, one file each, named <class>.<n>.bin, for the
consumer's rejection tests; the class is what the consumer must put in
hw.error. Valid-looking bodies are encoded with python3-avro from schemas/.
usage: poison.py OUTDIR"""
import io
import os
import struct
import sys

import avro.io

import hwcheck

REG = hwcheck.load_registry()
HIRE = {
    "event_id": "poison-valid-shape", "occurred_at": 1750000000000, "person_id": "p-poison",
    "person_name": None, "from_org": "Apple", "from_lab": None, "to_org": "Meta",
    "to_lab": "Meta Superintelligence Labs", "from_country": "US", "to_country": "US",
    "nationality": None, "alma_mater": None, "tier": "A", "compensation_usd": None,
    "source_url": None,
}


def avro_body(schema_id, record):
    buf = io.BytesIO()
    avro.io.DatumWriter(REG[schema_id]).write(record, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def framed(schema_id, body):
    return b"\x00" + struct.pack(">I", schema_id) + body


def hire(**changes):
    rec = dict(HIRE, **changes)
    # python3-avro wants datetimes for timestamp-millis
    import datetime
    rec["occurred_at"] = datetime.datetime.fromtimestamp(rec["occurred_at"] / 1000, datetime.timezone.utc)
    return framed(2, avro_body(2, rec))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    valid = hire()
    cases = {
        "bad_framing": [b"", b"\x00\x00", b"\x01" + valid[1:], b"{\"type\":\"hire\"}"],
        "unknown_schema": [framed(99, valid[5:]), framed(0, valid[5:]), framed(4, valid[5:])],
        "decode_error": [
            valid[:-3],                                  # truncated
            valid + b"\x00\x00",                         # trailing bytes
            framed(2, b"\x80\x80\x80\x80\x80\x80\x01"),  # a 100 MB string length, no bytes
            framed(2, b"\x01"),                          # negative string length
            framed(1, valid[5:]) + b"\xff" * 3,          # v2 body read as v1, trailing garbage
        ],
        "invalid_field": [
            hire(to_country="XX"),
            hire(event_id=""),
            hire(to_org="Apple", to_lab=None),           # from == to
            hire(occurred_at=631152000000),              # 1990
            hire(compensation_usd=-5),
            hire(person_name="x" * 201),
        ],
        "too_large": [b"\x00\x00\x00\x00\x02" + b"A" * 70000],
    }
    n = 0
    for cls, msgs in cases.items():
        for i, m in enumerate(msgs):
            with open(os.path.join(out, f"{cls}.{i}.bin"), "wb") as f:
                f.write(m)
            n += 1
    print(n)


if __name__ == "__main__":
    main()
