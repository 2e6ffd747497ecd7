"""The alert ids a list of events must raise by the single-event rules
(SPEC §4 Alerts): mega_offer (offer EXTENDED or ACCEPTED with
total_value_usd >= 100,000,000) and top_tier_move (tier S hire that moves
the person; moves as the model decides them). usage: expected_alerts.py EVENTS..."""
import json
import sys

import model

m = model.Model()
ids = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        ev = json.loads(line)
        what = m.apply(ev)
        if what == "move" and ev.get("tier") == "S":
            ids.append("top_tier_move:" + ev["event_id"])
        if (what == "offer" and ev["status"] in ("EXTENDED", "ACCEPTED")
                and ev["total_value_usd"] >= 100_000_000):
            ids.append("mega_offer:" + ev["event_id"])
print("\n".join(sorted(ids)))
