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


def zz(n):
    """Avro long: zigzag varint."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def s(text):
    data = text if isinstance(text, bytes) else text.encode()
    return zz(len(data)) + data


def raw_hire(person_name_branch=0, tier_index=1, **fields):
    """A HireEvent v2 body written by hand, so that union branches, enum
    indexes and string bytes can be anything."""
    f = {"event_id": b"poison-raw", "person_id": b"p-raw", "from_org": b"Apple",
         "to_org": b"Meta", "from_country": b"US", "to_country": b"CA"}
    f.update(fields)
    body = s(f["event_id"]) + zz(1750000000000) + s(f["person_id"])
    body += zz(person_name_branch) + (s(b"Name") if person_name_branch == 1 else b"")
    body += s(f["from_org"]) + zz(0) + s(f["to_org"]) + zz(0)
    body += s(f["from_country"]) + s(f["to_country"])
    body += zz(0) + zz(0)            # nationality, alma_mater: null
    body += zz(tier_index)            # tier
    body += zz(0) + zz(0)            # compensation_usd, source_url: null
    return framed(2, body)


def offer(**changes):
    import datetime
    rec = {"event_id": "poison-offer", "occurred_at": 1750000000000, "person_id": "p-offer",
           "person_name": None, "offering_org": "Meta", "offering_lab": None, "current_org": "OpenAI",
           "from_country": "US", "to_country": "US", "status": "EXTENDED", "total_value_usd": 1000,
           "sign_on_bonus_usd": None, "tier": "UNRATED", "source_url": None}
    rec.update(changes)
    rec["occurred_at"] = datetime.datetime.fromtimestamp(rec["occurred_at"] / 1000, datetime.timezone.utc)
    return framed(3, avro_body(3, rec))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    valid = hire()
    assert len(raw_hire()) > 5
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
    # The edges: lengths one past their maximum, invalid UTF-8, hostile Avro
    # lengths, union branches and enum indexes out of range, 10 MB.
    cases["bad_framing"] += [b"\x00", b"\x00\x00\x00\x00", b"\xff" * 5, b"\x00" * 4]
    cases["unknown_schema"] += [framed(2 ** 32 - 1, valid[5:]), framed(5, valid[5:]),
                                framed(256, valid[5:])]
    cases["decode_error"] += [
        framed(2, b""),                                        # no body
        framed(2, b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01"),  # length 2^63-1
        framed(2, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),  # varint longer than 64 bits
        framed(2, b"\x02"),                                      # length 1, no byte
        raw_hire(person_name_branch=2),                        # union branch 2 of 2
        raw_hire(person_name_branch=-1),                       # negative union branch
        raw_hire(tier_index=4),                                # enum index 4 of 4
        raw_hire(tier_index=-1),                               # negative enum index
        raw_hire(tier_index=2 ** 40),                          # huge enum index
        raw_hire() + b"\x00",                                   # one trailing byte
        framed(3, valid[5:]),                                  # a hire body read as an offer
        offer()[:-1],                                          # truncated offer
    ]
    cases["invalid_field"] += [
        raw_hire(event_id=b"\xc3\x28"),                         # invalid UTF-8
        raw_hire(from_org=b"Apple\xff"),                        # invalid UTF-8
        raw_hire(person_id=b"\xed\xa0\x80"),                     # UTF-8 surrogate
        raw_hire(to_org=b"\xc0\xaf"),                            # overlong UTF-8
        raw_hire(event_id=b"x" * 129),                          # 129 bytes
        raw_hire(person_id=b"x" * 129),
        raw_hire(from_org=b"x" * 201),
        raw_hire(to_country=b"us"),                             # lower case
        raw_hire(from_country=b"USA"),
        raw_hire(to_country=b"ZZ"),                             # not assigned
        raw_hire(to_country=b""),
        hire(nationality="XK"),                                 # not an assigned ISO code
        hire(source_url="http://x/" + "a" * 2040),              # 2049 bytes
        hire(compensation_usd=10 ** 12 + 1),
        hire(occurred_at=4102444800000),                        # 2100
        hire(from_lab="Siri", to_org="Apple", to_lab="Siri"),   # from == to with labs
        offer(total_value_usd=-1),
        offer(total_value_usd=10 ** 12 + 1),
        offer(to_country="XX"),
        offer(offering_org=""),
        offer(sign_on_bonus_usd=-3),
    ]
    cases["too_large"] += [
        b"\x00\x00\x00\x00\x02" + b"A" * (64 * 1024 - 4),       # one byte over 64 KiB
    ]
    # Names are text: a control character in a field; hw.reason must name
    # that field (the file's third part).
    named = {
        "invalid_field": [
            ("person_name", hire(person_name="Bowen\x1b[2J Zhang")),   # ESC, clear screen
            ("from_org", hire(from_org="\x1b]0;owned\x07Apple")),     # OSC window title
            ("to_lab", hire(to_lab="MSL\u0085")),                      # C1 NEL
            ("person_id", raw_hire(person_id=b"p-\x07")),              # BEL
            ("alma_mater", hire(alma_mater="KAIST\tSeoul")),           # tab
        ],
    }
    n = 0
    for cls, msgs in cases.items():
        for i, m in enumerate(msgs):
            with open(os.path.join(out, f"{cls}.{i}.bin"), "wb") as f:
                f.write(m)
            n += 1
    for cls, msgs in named.items():
        for i, (field, m) in enumerate(msgs):
            with open(os.path.join(out, f"{cls}.n{i}.{field}.bin"), "wb") as f:
                f.write(m)
            n += 1
    # 10 MB, in a file of its own name: the devbroker keeps about 5 MiB per
    # partition, so the test sends it alone, after the rest was consumed.
    with open(os.path.join(out, "too_large.10mb.bin"), "wb") as f:
        f.write(b"\x00\x00\x00\x00\x02" + os.urandom(10 * 1024 * 1024))
    print(n + 1)


if __name__ == "__main__":
    main()
