"""Checks the alerts of a hw:alerts stream against the input events (SPEC
section 4, docs/redis-keys.md), whatever order the events arrived in:
- mega_offer / top_tier_move: event_ids = exactly the event of the alert_id;
- raid:<org>:<lab>:<day>: the pair's hires over the 30 days ending on <day>
  are 4 or more in the input, event_ids are 4 or more of them, and no two
  raids of a pair are less than 30 days apart (one raid, one alert);
- brain_drain:<CC>:<day>: event_ids are hires out of CC to another country,
  and no two brain_drains of a country are less than 365 days apart.
With --exact (all events applied in one batch), raid event_ids are all of
the pair's hires in the window. With --expect FILE (expected_alerts.py
output): every expected mega_offer, top_tier_move and brain_drain id is
raised and no other (brain_drain is judged at the end of a backlog, so
for a backlog read by one consumer, whatever its batches), and every
expected raid whose 30 days lie within the 365 days of the watermark has a
raid of its pair within 30 days.
Redis's password, if it wants one, comes from REDIS_PASSWORD.
usage: check_alert_events.py [--exact] [--expect FILE] REDIS_PORT PREFIX EVENTS..."""
import argparse
import collections
import json
import os
import sys

import redis

import model

ap = argparse.ArgumentParser()
ap.add_argument("--exact", action="store_true")
ap.add_argument("--expect")
ap.add_argument("port", type=int)
ap.add_argument("prefix")
ap.add_argument("events", nargs="+")
a = ap.parse_args()


def day_of_ymd(ymd):
    return model.day_of(model.hwcheck.to_ms(f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:]}T00:00:00Z"))


hires = {}
pair_hires = collections.defaultdict(list)  # (org slug, lab slug) -> [(day, id)]
for path in a.events:
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        ev = json.loads(line)
        if ev["type"] != "hire":
            continue
        hires[ev["event_id"]] = ev
        lab = ev["to_lab"] if ev.get("to_lab") is not None else ev["to_org"]
        day = model.day_of(model.hwcheck.to_ms(ev["occurred_at"]))
        pair_hires[(model.slug(ev["from_org"]), model.slug(lab))].append((day, ev["event_id"]))

r = redis.Redis(port=a.port, password=os.environ.get("REDIS_PASSWORD") or None, decode_responses=True)
entries = r.xrange(a.prefix + "alerts")
if not entries:
    sys.exit("no alerts in the stream")
bad = []
raised = set()
raid_days = collections.defaultdict(list)  # pair -> [day]
drain_days = collections.defaultdict(list)  # country -> [day]
for _, f in entries:
    aid, ids, rule = f["alert_id"], json.loads(f["event_ids"]), f["rule"]
    raised.add(aid)
    if rule in ("mega_offer", "top_tier_move"):
        want = [aid.split(":", 1)[1]]
        if ids != want:
            bad.append(f"{aid}: event_ids {ids}, want {want}")
    elif rule == "raid":
        _, org, lab, ymd = aid.split(":")
        d = day_of_ymd(ymd)
        raid_days[(org, lab)].append(d)
        window = sorted(i for day, i in pair_hires[(org, lab)] if d - 30 < day <= d)
        if len(window) < 4:
            bad.append(f"{aid}: only {len(window)} hires of the pair in its 30 days")
        if a.exact and sorted(ids) != window:
            bad.append(f"{aid}: event_ids {sorted(ids)}, want {window}")
        if len(ids) < 4 or not set(ids) <= set(window):
            bad.append(f"{aid}: event_ids {sorted(ids)} are not 4+ of the window's {window}")
    elif rule == "brain_drain":
        cc = aid.split(":")[1]
        drain_days[cc].append(day_of_ymd(aid.split(":")[2]))
        for i in ids:
            ev = hires.get(i)
            if not ev or ev["from_country"] != cc or ev["to_country"] == cc:
                bad.append(f"{aid}: {i} is not a hire out of {cc}")
    else:
        bad.append(f"{aid}: unknown rule {rule}")
for pair, days in raid_days.items():
    days.sort()
    for x, y in zip(days, days[1:]):
        if y - x < 30:
            bad.append(f"raids of {pair} {y - x} days apart")
for cc, days in drain_days.items():
    days.sort()
    for x, y in zip(days, days[1:]):
        if y - x < 365:
            bad.append(f"brain_drains of {cc} {y - x} days apart")
if a.expect:
    want = set(l.strip() for l in open(a.expect) if l.strip())
    single = lambda ids: {i for i in ids
                          if i.split(":")[0] in ("mega_offer", "top_tier_move", "brain_drain")}
    for i in sorted(single(want) ^ single(raised)):
        bad.append(f"{i}: {'expected, not raised' if i in want else 'raised, not expected'}")
    # Raids are judged on hires within the largest window (365 days) of the
    # watermark; older ones only in event-time order (docs/redis-keys.md).
    wm_day = model.day_of(int(r.get(a.prefix + "watermark")))
    for i in sorted(want):
        if i.startswith("raid:"):
            _, org, lab, ymd = i.split(":")
            d = day_of_ymd(ymd)
            if d - 30 <= wm_day - 365:
                continue
            if not any(abs(x - d) < 30 for x in raid_days.get((org, lab), [])):
                bad.append(f"{i}: expected, and no raid of the pair within 30 days")
for b in bad:
    print(b, file=sys.stderr)
print(f"{len(entries)} alerts checked, {len(bad)} wrong", file=sys.stderr)
sys.exit(1 if bad else 0)
