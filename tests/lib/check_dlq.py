"""Reads the DLQ topic with python3-confluent-kafka and checks that it holds
exactly the poison messages of DIR (poison.py), each once... or more (at
least once), with hw.error = the class in its file name and the other
hw.* headers; a message larger than the DLQ's limit arrives without its
value and with hw.value.omitted naming its size. usage: check_dlq.py
BOOTSTRAP TOPIC DIR"""
import collections
import os
import sys
import time

from confluent_kafka import Consumer, TopicPartition

bootstrap, topic, folder = sys.argv[1:4]
expected = {}
for name in os.listdir(folder):
    with open(os.path.join(folder, name), "rb") as f:
        expected.setdefault(f.read(), []).append(name.split(".")[0])

c = Consumer({"bootstrap.servers": bootstrap, "group.id": "dlq-check",
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
md = c.list_topics(topic, timeout=10)
parts = [TopicPartition(topic, p, 0) for p in md.topics[topic].partitions]
ends = {p.partition: c.get_watermark_offsets(p, timeout=10)[1] for p in parts}
c.assign(parts)
seen = collections.Counter()
problems = []
deadline = time.time() + 30
done = {p: ends[p] == 0 for p in ends}
while not all(done.values()) and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    if m.offset() + 1 >= ends[m.partition()]:
        done[m.partition()] = True
    h = {k: (v.decode() if v is not None else None) for k, v in (m.headers() or [])}
    value = m.value() or b""
    where = f"{topic}/{m.partition()}@{m.offset()}"
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
    for k in ("hw.reason", "hw.src.topic", "hw.src.partition", "hw.src.offset"):
        if not h.get(k):
            problems.append(f"{where}: header {k} missing")
    seen[value] += 1
c.close()
for value, classes in expected.items():
    if seen[value] < len(classes):
        problems.append(f"{classes[0]} message of {len(value)} bytes not in the DLQ")
for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: {sum(seen.values())} DLQ messages, every poison message with its class")
