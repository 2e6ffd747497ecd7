"""Counts, for the reliability report, what a run lost or counted twice:
the hires counted into labs (sum of every hw:lab:*:hires:all) and the offers
counted (sum of the status fields of every hw:org:*:offers:all), against what
the independent model expects from the published events. Appends a line to
RESULTS (tab-separated: test, faults, valid events, lost, duplicated,
malformed messages, crashes) when given; HW_MALFORMED is how many malformed
messages the run also carried, HW_CRASHES how many of its consumers
crashed (services.sh's hw_crashes; any fails it, as a lost event does).
Redis's password, if it wants one, comes from REDIS_PASSWORD (as model.py's).
usage: count_events.py PORT PREFIX TEST FAULTS RESULTS|- EVENTS..."""
import os
import sys

import redis

import model

port, prefix, test, faults, results = sys.argv[1:6]
events = sys.argv[6:]
m = model.Model(prefix=prefix)
for ev in model.read_events(events):
    m.apply(ev)
want_hires = m.stats["move"] + m.stats["late"]
want_offers = m.stats["offer"]
r = redis.Redis(port=int(port), password=os.environ.get("REDIS_PASSWORD") or None, decode_responses=True)


def total(pattern, fields=None):
    s = 0
    for key in r.scan_iter(match=pattern, count=1000):
        for f, v in r.hgetall(key).items():
            if fields is None or f in fields:
                s += int(v)
    return s


got_hires = total(model._glob_escape(prefix) + "lab:*:hires:all")
got_offers = total(model._glob_escape(prefix) + "org:*:offers:all",
                   {"extended", "accepted", "declined", "withdrawn"})
lost = max(0, want_hires - got_hires) + max(0, want_offers - got_offers)
dup = max(0, got_hires - want_hires) + max(0, got_offers - want_offers)
n = sum(m.stats[k] for k in ("move", "late", "repeat", "offer"))
crashes = int(os.environ["HW_CRASHES"])
print(f"{test}: {n} valid events; hires counted {got_hires} of {want_hires}, "
      f"offers {got_offers} of {want_offers}: lost {lost}, duplicated {dup}, "
      f"consumers crashed {crashes}")
if results != "-":
    with open(results, "a") as f:
        malformed = int(os.environ.get("HW_MALFORMED", "0"))
        f.write(f"{test}\t{faults}\t{n}\t{lost}\t{dup}\t{malformed}\t{crashes}\n")
sys.exit(1 if lost or dup or crashes else 0)
