"""Checks what `hirewire-query dlq --json --count N` printed (JSON_FILE)
against the DLQ topic read with python3-confluent-kafka: the newest N
messages (by timestamp, then partition and offset), oldest first, each with
its class (hw.error), reason, source topic/partition/offset, its place in
the DLQ and its size. usage: check_query_dlq.py BOOTSTRAP TOPIC JSON_FILE N"""
import json
import sys

import hwcheck

bootstrap, topic, path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
msgs = hwcheck.read_topic(bootstrap, topic, timestamps=True)
msgs.sort(key=lambda m: (m[5], m[0], m[1]))
want = msgs[-n:] if n else []
with open(path, encoding="utf-8") as f:
    got = json.load(f)

problems = []
if len(got) != len(want):
    problems.append(f"the query lists {len(got)} messages, the newest {n} of {len(msgs)} are {len(want)}")
for g, (partition, offset, _key, value, h, ts) in zip(got, want):
    expected = {
        "time": ts,
        "class": h.get("hw.error") or "",
        "reason": h.get("hw.reason") or "",
        "src_topic": h.get("hw.src.topic") or "",
        "src_partition": h.get("hw.src.partition") or "",
        "src_offset": h.get("hw.src.offset") or "",
        "partition": partition,
        "offset": offset,
        "bytes": len(value or b""),
    }
    if g != expected:
        problems.append(f"{topic}/{partition}@{offset}: the query says {g}, Kafka holds {expected}")
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: the newest {len(want)} of {len(msgs)} DLQ messages, as Kafka holds them")
