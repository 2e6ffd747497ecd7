"""Checks the observability files against a running consumer:
- every metric family the dashboard (deploy/grafana/hirewire.json) queries
  is in the consumer's /metrics, and every family of /metrics is described
  in docs/metrics.md;
- every Redis key the dashboard reads exists after the scenario;
- every line of the consumer's log is one logfmt record with ts, level,
  component and msg.
usage: check_observability.py METRICS_PORT REDIS_PORT LOG"""
import json
import os
import re
import sys
import urllib.request

import redis

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
mport, rport, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5).read().decode()
families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
dash = json.load(open(os.path.join(SRC, "deploy", "grafana", "hirewire.json")))
doc = open(os.path.join(SRC, "docs", "metrics.md")).read()
problems = []
vars_ = {"${prefix}": "hw:", "${lab}": "meta-superintelligence-labs"}
r = redis.Redis(port=rport, decode_responses=True)
for p in dash["panels"]:
    for t in p.get("targets", []):
        if "expr" in t:
            for name in re.findall(r"\b(hirewire_[a-z_]+)", t["expr"]):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                if name not in families and not (base in families and name != base):
                    problems.append(f"panel {p['title']!r}: {name} is not in /metrics")
        if "keyName" in t:
            key = t["keyName"]
            for k, v in vars_.items():
                key = key.replace(k, v)
            if not r.exists(key):
                problems.append(f"panel {p['title']!r}: Redis key {key} does not exist")
for fam in families:
    if f"`{fam}`" not in doc:
        problems.append(f"{fam} is not described in docs/metrics.md")
logfmt = re.compile(r'^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) '
                    r'component=[a-z]+ msg="(?:[^"\\]|\\.)*"( [a-z_.]+=\S+)*$')
lines = [l.rstrip("\n") for l in open(log, encoding="utf-8", errors="replace") if l.strip()]
for l in lines:
    if not logfmt.match(l):
        problems.append(f"log line is not logfmt: {l[:160]}")
for p in problems[:30]:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"ok: {len(families)} metric families documented, {len(dash['panels'])} dashboard panels, "
      f"{len(lines)} logfmt log lines")
