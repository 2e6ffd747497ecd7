"""Reorders NDJSON events: a random interleaving of the persons' event
sequences, each person's own events kept in order (as Kafka keeps one key's
messages). usage: shuffle.py SEED IN OUT"""
import collections
import json
import random
import sys

seed, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = random.Random(seed)
queues = collections.OrderedDict()
for line in open(src, encoding="utf-8"):
    if line.strip():
        queues.setdefault(json.loads(line)["person_id"], collections.deque()).append(line)
# Draw a person with probability proportional to what they have left.
tickets = [p for p, q in queues.items() for _ in q]
rng.shuffle(tickets)
with open(dst, "w", encoding="utf-8") as out:
    for p in tickets:
        out.write(queues[p].popleft())
