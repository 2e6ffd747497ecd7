"""Reads the DLQ topic with python3-confluent-kafka and checks that it holds
exactly the poison messages of DIR (poison.py), each once... or more (at
least once), with hw.error = the class in its file name and the other
hw.* headers (hw.reason naming the field for files named
<class>.<n>.<field>.bin); a message larger than the DLQ's limit arrives
without its value and with hw.value.omitted naming its size. usage: check_dlq.py
BOOTSTRAP TOPIC DIR"""
import collections
import os
import sys

import hwcheck

bootstrap, topic, folder = sys.argv[1:4]
expected = {}
fields = {}  # value -> the field hw.reason must name (<class>.<n>.<field>.bin)
for name in os.listdir(folder):
    with open(os.path.join(folder, name), "rb") as f:
        value = f.read()
    parts = name.split(".")
    expected.setdefault(value, []).append(parts[0])
    if len(parts) == 4:
        fields[value] = parts[2]

problems = []
seen = collections.Counter()
for partition, offset, _key, value, h in hwcheck.read_topic(bootstrap, topic):
    value = value or b""
    where = f"{topic}/{partition}@{offset}"
    omitted = h.get("hw.value.omitted")
    if omitted is not None:
        # Too large for the DLQ: no value, the header names the size.
        size = int(omitted.split()[0])
        same = [v for v in expected if len(v) == size]
        if value or len(same) != 1:
            problems.append(f"{where}: hw.value.omitted={omitted!r} with a {len(value)}-byte value")
            continue
        value = same[0]
    classes = expected.get(value)
    if classes is None:
        problems.append(f"{where}: unexpected message of {len(value)} bytes, hw.error={h.get('hw.error')}")
        continue
    if h.get("hw.error") not in classes:
        problems.append(f"{where}: hw.error={h.get('hw.error')}, expected {classes} ({h.get('hw.reason')})")
    field = fields.get(value)
    if field and not (h.get("hw.reason") or "").startswith(field + ": "):
        problems.append(f"{where}: hw.reason does not name {field}: {h.get('hw.reason')!r}")
    for k in ("hw.reason", "hw.src.topic", "hw.src.partition", "hw.src.offset"):
        if not h.get(k):
            problems.append(f"{where}: header {k} missing")
    seen[value] += 1
for value, classes in expected.items():
    if seen[value] < len(classes):
        problems.append(f"{classes[0]} message of {len(value)} bytes not in the DLQ")
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: {sum(seen.values())} DLQ messages, every poison message with its class")
