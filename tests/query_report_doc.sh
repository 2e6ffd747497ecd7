#!/usr/bin/env bash
# hirewire-query report on states the demo scenario does not reach, the
# document (--json) and the page (--html -) read without a browser:
#
# - the document's frame: window, its days, watermark and its time, the
#   prefix, the labs chosen (--lab, else the 3 largest) each with its
#   timeline, who hires from whom; --window all draws the timelines over
#   the largest window the buckets keep;
# - alerts: only those whose event time is in the window (none without
#   an event time), all of them for --window all;
# - a window whose countries have a talent base but no cross-border hire:
#   the page says there were none, and that Korea had none;
# - Korea with hires but no talent base: its net without an index; flows
#   without a group: the index without ranks;
# - no offers, an alert of a severity the page has no colour for (drawn
#   grey);
# - a lab that is not there: exit 1 naming it; no data: exit 1.
source "$(dirname "$0")/lib/services.sh"
source "$(dirname "$0")/lib/query.sh"
hw_start_redis

"$HW_PY" - "$Q" "$HW_REDIS_URL" "$HW_REDIS_PORT" <<'PY' || hw_fail "report"
import json, subprocess, sys
import redis

q, url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = redis.Redis(port=port)

def run(*args, want=0):
    p = subprocess.run([q, "--redis", url, *args], capture_output=True, text=True)
    assert p.returncode == want, f"{args}: exit {p.returncode}, want {want}: {p.stderr}"
    return p

# No data at all.
p = run("--json", "report", want=1)
assert "Redis holds no hirewire data under prefix hw:" in p.stderr and not p.stdout, p

WM = 1751328000000          # 2025-07-01, day 20270
DAY = 86400000
r.set("hw:watermark", WM)
r.zadd("hw:labs", {"msl": 5, "xai": 3, "openai": 2, "apple": 1})
for slug, name, members in (("msl", "MSL", 5), ("xai", "xAI", 3), ("openai", "OpenAI", 2), ("apple", "Apple", 1)):
    r.hset(f"hw:lab:{slug}", mapping={"name": name, "members": members})
r.hset("hw:lab:msl:origin", mapping={"OpenAI": 3, "Apple": 2})
r.hset("hw:lab:msl:hires:365d", mapping={"OpenAI": 3, "Apple": 2})
r.hset("hw:lab:xai:hires:365d", mapping={"OpenAI": 1})
r.zadd("hw:b:days", {"20250620": 20259, "20250701": 20270})
r.set("hw:b:20250620", "19:lab:msl:hires Apple=2\n")
r.set("hw:b:20250701", "20:lab:msl:hires OpenAI=3\n20:lab:xai:hires OpenAI=1\n")
# 365d: Korea with hires, no base (no index), no group.
r.hset("hw:flow:365d:in", mapping={"US": 2})
r.hset("hw:flow:365d:out", mapping={"KR": 2})
r.zadd("hw:flow:365d:net", {"US": 2, "KR": -2})
r.zadd("hw:flow:365d:index", {"US": 0.02})
# 7d: bases, no cross-border hire.
r.zadd("hw:flow:7d:index", {"US": 0, "KR": 0})
r.zadd("hw:flow:7d:index:oecd", {"US": 0, "KR": 0})
r.xadd("hw:alerts", {"alert_id": "old", "rule": "raid", "severity": "WARN", "summary": "an old raid",
                     "event_time": WM - 40 * DAY}, id="1751328000001-0")
r.xadd("hw:alerts", {"alert_id": "new", "rule": "mega_offer", "severity": "NOTICE", "summary": "a new offer",
                     "event_time": WM - DAY}, id="1751328000002-0")
r.xadd("hw:alerts", {"alert_id": "timeless", "rule": "odd", "severity": "INFO"}, id="1751328000003-0")

# The document of the default window (365d): the 3 largest labs.
d = json.loads(run("--json", "report").stdout)
assert (d["window"], d["window_days"], d["watermark"], d["as_of"], d["prefix"], d["alerts_read"]) == \
    ("365d", 365, WM, "2025-07-01T00:00:00Z", "hw:", 500), d
assert [l["slug"] for l in d["labs"]] == ["msl", "xai", "openai", "apple"], d["labs"]
assert [l["slug"] for l in d["lab_details"]] == ["msl", "xai", "openai"], d["lab_details"]
msl = d["lab_details"][0]
assert msl["timeline"]["window"] == "365d", msl["timeline"]
assert msl["timeline"]["days"] == [{"day": "2025-06-20", "hires_in": 2, "losses_out": 0},
                                   {"day": "2025-07-01", "hires_in": 3, "losses_out": 0}], msl["timeline"]
assert [(m["from"], m["slug"], m["hires"]) for m in d["moves"]["moves"]] == \
    [("OpenAI", "msl", 3), ("Apple", "msl", 2), ("OpenAI", "xai", 1)], d["moves"]
assert (d["flows"]["group"], [c["country"] for c in d["flows"]["countries"]]) == (None, ["US", "KR"]), d["flows"]
assert d["offers"] == {"window": "365d", "orgs": []}, d["offers"]
# In the window: the two with an event time in the last 365 days.
assert [a["alert_id"] for a in d["alerts"]] == ["old", "new"], d["alerts"]

# --lab chooses, 30d keeps the newer alert alone.
d = json.loads(run("--json", "report", "--window", "30d", "--lab", "xAI", "--lab", "apple").stdout)
assert [l["slug"] for l in d["lab_details"]] == ["xai", "apple"], d["lab_details"]
assert d["lab_details"][0]["timeline"]["days"] == [{"day": "2025-07-01", "hires_in": 1, "losses_out": 0}], d
assert d["lab_details"][1]["timeline"] == {"slug": "apple", "window": "30d", "hires_in": 0,
                                            "losses_out": 0, "days": []}, d
assert [a["alert_id"] for a in d["alerts"]] == ["new"], d["alerts"]
# The window has no flows: the document says why.
assert d["flows"] == {"window": "30d",
                      "error": "flows --window 30d: no such window under prefix hw: (windows: 7d, 365d)"}, d["flows"]

# --window all: every alert, timelines over the largest window (365d).
d = json.loads(run("--json", "report", "--window", "all").stdout)
assert (d["window"], d["window_days"]) == ("all", 0), d
assert [a["alert_id"] for a in d["alerts"]] == ["old", "new", "timeless"], d["alerts"]
assert d["lab_details"][0]["timeline"]["window"] == "365d", d["lab_details"][0]["timeline"]

# The page of 365d: Korea's net without an index, no ranks, no offers,
# the NOTICE alert drawn grey.
page = run("report", "--html", "-").stdout
for want in ('<b>Korea (KR)</b>: 0 hires in, 2 out, net -2.</p>',
             "The 0 organisations with the largest value of offers extended in the window (of 0 that made offers).",
             "2 alerts with event time in the window",
             'fill="#7b8591"', "a new offer", "an old raid"):
    assert want in page, f"page 365d lacks {want!r}"
assert "rank in" not in page and "per 10,000 AI talent</b>" not in page and "timeless" not in page
# The page of 7d: bases but no cross-border hire.
page = run("report", "--html", "-", "--window", "7d").stdout
for want in ("<b>Korea (KR)</b>: no hires in or out in the window.</p>",
             "<p>No cross-border hires in the window.</p>", "1 alerts with event time in the window"):
    assert want in page, f"page 7d lacks {want!r}"
assert 'id="flows-net"' not in page and "an old raid" not in page
# all: the alerts' timeline starts at the first alert.
page = run("report", "--html", "-", "--window", "all").stdout
assert "3 alerts with event time in the window" in page and 'id="alerts-timeline"' in page

# A lab that is not there.
p = run("--json", "report", "--lab", "Nope Labs", want=1)
assert 'no lab "Nope Labs" (slug nope-labs)' in p.stderr and not p.stdout, p
print("ok")
PY
echo PASS
