#!/usr/bin/python3
"""Lower bound on Redis commands per event for hirewire's key layout.

Reads events as NDJSON (e.g. `hirewire-produce --generate N --dry-run`),
cuts them into batches of B consecutive events (the consumer's batch), and
counts, per batch, the distinct Redis keys that SPEC.md section 4 says the
batch must write. Every written key costs at least one command, whatever the
batching, pipelining or scripting, so the total divided by the number of
events is a floor on Redis commands per event. The count is deliberately
low: it assumes every hire moves its person (one person hash), counts only the
`all` window and the daily bucket of each windowed hash (not 7d..365d), and
ignores seen-id sets, the watermark, offsets and alerts.

usage: key_floor.py [-b BATCH] [FILE]   (stdin when no FILE)
"""
import argparse
import json
import re
import sys


def slug(name):
    out, dash = [], False
    for ch in name.encode('utf-8'):
        if 0x41 <= ch <= 0x5A or 0x61 <= ch <= 0x7A or 0x30 <= ch <= 0x39 or ch >= 0x80:
            if dash and out:
                out.append(ord('-'))
            dash = False
            out.append(ch + 32 if 0x41 <= ch <= 0x5A else ch)
        else:
            dash = True
    return bytes(out).decode('utf-8', 'surrogateescape')


def day(ts):
    return re.sub(r'[^0-9]', '', ts[:10])


def batch_keys(events):
    keys = {'person': set(), 'lab gauges': set(), 'window all': set(), 'buckets': set()}
    for e in events:
        d = day(e['occurred_at'])
        if e['type'] == 'hire':
            lab = slug(e.get('to_lab') or e['to_org'])
            keys['person'].add(e['person_id'])
            for sub in ('', ':origin', ':nationality', ':alma_mater', ':tier'):
                keys['lab gauges'].add('lab:' + lab + sub)
            fams = ['lab:%s:hires' % lab, 'org:%s:losses' % slug(e['from_org'])]
            if e['from_country'] != e['to_country']:
                fams += ['flow:in', 'flow:out', 'flow:pair']
        else:
            fams = ['org:%s:offers' % slug(e['offering_org'])]
        for f in fams:
            keys['window all'].add(f)
            keys['buckets'].add((d, f))
    return {k: len(v) for k, v in keys.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-b', '--batch', type=int, default=5000)
    ap.add_argument('file', nargs='?')
    a = ap.parse_args()
    src = open(a.file) if a.file else sys.stdin
    totals, n, batch = {}, 0, []

    def flush():
        for k, v in batch_keys(batch).items():
            totals[k] = totals.get(k, 0) + v
        batch.clear()

    for line in src:
        if line.strip():
            batch.append(json.loads(line))
            n += 1
            if len(batch) == a.batch:
                flush()
    if batch:
        flush()
    if n == 0:
        sys.exit('key_floor: no events')
    print('events %d, batch %d: at least %.3f Redis commands per event'
          % (n, a.batch, sum(totals.values()) / n))
    for k, v in totals.items():
        print('  %-12s %.3f' % (k, v / n))


if __name__ == '__main__':
    main()
