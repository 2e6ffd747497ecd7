"""Checks that a generated NDJSON stream looks like the talent market the
generator claims to model (producer/generate.h). usage: check_generated.py FILE"""
import collections
import json
import sys

import hwcheck

events = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
hires = [e for e in events if e["type"] == "hire"]
offers = [e for e in events if e["type"] == "offer"]
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)


n = len(events)
need(0.6 * n < len(hires) < 0.9 * n, f"hires are {len(hires)} of {n}")
need(len({e["event_id"] for e in events}) == n, "event_ids are not unique")
times = [hwcheck.to_ms(e["occurred_at"]) for e in events]
need(times == sorted(times), "occurred_at is not in order")

labs = collections.Counter(e["to_lab"] or e["to_org"] for e in hires)
for lab in ("Meta Superintelligence Labs", "OpenAI", "Google DeepMind", "Anthropic",
            "Microsoft AI", "Apple Foundation Models"):
    need(labs[lab] > 0, f"no hires into {lab}")
need(len(labs) > 100, f"only {len(labs)} distinct labs: no long tail")

cross = sum(e["from_country"] != e["to_country"] for e in hires)
need(0.1 * len(hires) < cross < 0.7 * len(hires), f"{cross} cross-border hires of {len(hires)}")
need(any(e["from_country"] == "KR" and e["to_country"] != "KR" for e in hires), "nobody leaves Korea")
need(len({e["to_country"] for e in hires}) > 15, "few destination countries")

# Departures: people who joined a lab and later left it.
by_person = collections.defaultdict(list)
for e in hires:
    by_person[e["person_id"]].append(e)
departures = 0
for moves in by_person.values():
    for a, b in zip(moves, moves[1:]):
        need(b["from_org"] == a["to_org"] and b["from_lab"] == a["to_lab"],
             f"{b['event_id']} leaves a place the person was not in")
        departures += 1
need(departures > 0.2 * len(hires), f"only {departures} departures")

tiers = collections.Counter(e["tier"] for e in events)
for t in ("S", "A", "B", "UNRATED"):
    need(tiers[t] > 0, f"no tier {t}")
need(tiers["S"] < tiers["A"] < tiers["B"], f"tier distribution {dict(tiers)}")

status = collections.Counter(o["status"] for o in offers)
for s in ("EXTENDED", "ACCEPTED", "DECLINED", "WITHDRAWN"):
    need(status[s] > 0, f"no {s} offers")
extended = {o["person_id"] for o in offers if o["status"] == "EXTENDED"}
settled = [o for o in offers if o["status"] != "EXTENDED"]
need(all(o["person_id"] in extended for o in settled), "an offer settled that was never extended")
mega = [o for o in offers if o["total_value_usd"] >= 100_000_000 and o["status"] in ("EXTENDED", "ACCEPTED")]
need(0 < len(mega) < 0.05 * len(offers), f"{len(mega)} mega offers of {len(offers)}")
pays = sorted(e["compensation_usd"] for e in hires if e["compensation_usd"] is not None)
need(pays and pays[len(pays) // 2] < 3_000_000 and pays[-1] > 10_000_000, "compensation not realistic")

for p in problems:
    print("generated stream:", p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: {n} events, {len(hires)} hires ({cross} cross-border, {departures} departures), "
      f"{len(offers)} offers {dict(status)}, {len(mega)} mega, {len(labs)} labs, tiers {dict(tiers)}")
