"""The alert ids a list of events must raise (SPEC §4 Alerts), derived from
the events with the independent model:
- mega_offer: an offer EXTENDED or ACCEPTED with total_value_usd >= 100,000,000;
- top_tier_move: a tier S hire that moves the person;
- raid: every day D with a hire from one org into one lab on which the
  pair's hires over the 30 days of event time ending on D are 4 or more and
  those over the 30 days ending the day before are not (id day = D), unless
  a raid of the pair was raised less than 30 days before D (the same raid);
  here all events are known at once, as in one batch;
- brain_drain: a country whose 365d index ends below -0.30, on the
  watermark's day (a backlog is judged once, at its end, whatever its
  batches).
usage: expected_alerts.py BASES_CSV GROUPS_CSV EVENTS..."""
import collections
import json
import sys

import model

bases, groups = model.load_config(sys.argv[1], sys.argv[2])
m = model.Model(bases=bases, groups=groups)
ids = set()
pair_days = collections.defaultdict(list)
for path in sys.argv[3:]:
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        ev = json.loads(line)
        what = m.apply(ev)
        if what == "move" and ev.get("tier") == "S":
            ids.add("top_tier_move:" + ev["event_id"])
        if (what == "offer" and ev["status"] in ("EXTENDED", "ACCEPTED")
                and ev["total_value_usd"] >= 100_000_000):
            ids.add("mega_offer:" + ev["event_id"])
        if what in ("move", "late"):
            lab = ev["to_lab"] if ev.get("to_lab") is not None else ev["to_org"]
            pair = (model.slug(ev["from_org"]), model.slug(lab))
            day = model.day_of(model.hwcheck.to_ms(ev["occurred_at"]))
            pair_days[pair].append(day)
for (org, lab), days in pair_days.items():
    last = None
    for d in sorted(set(days)):
        now = sum(1 for x in days if d - 30 < x <= d)
        before = sum(1 for x in days if d - 31 < x <= d - 1)
        if before < 4 <= now and (last is None or d - last >= 30):
            ids.add(f"raid:{org}:{lab}:{model.ymd(d)}")
            last = d
state = m.expected_state()
index = state.get("hw:flow:365d:index", {})
for code, value in index.items():
    if value < -0.30:
        ids.add(f"brain_drain:{code}:{model.ymd(model.day_of(m.watermark))}")
print("\n".join(sorted(ids)))
