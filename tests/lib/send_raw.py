"""Sends each file of DIR as one message, unchanged, with python3-confluent-kafka
(kcat skips empty files), to talent.hires or talent.offers at random
(seeded). usage: send_raw.py BOOTSTRAP DIR [SEED]"""
import os
import random
import sys

from confluent_kafka import Producer

bootstrap, folder = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
p = Producer({"bootstrap.servers": bootstrap, "message.max.bytes": 16000000})
failed = []
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), "rb") as f:
        value = f.read()
    topic = rng.choice(["talent.hires", "talent.offers"])
    p.produce(topic, value=value, key=name.encode(),
              on_delivery=lambda err, msg, name=name: err and failed.append((name, err)))
p.flush(30)
if failed or len(p):
    sys.exit(f"not delivered: {failed}, {len(p)} still queued")
