#!/usr/bin/env bash
# Prints the reliability table of docs/reliability.md from what the fault,
# input and fuzz tests recorded in <build>/results/*.tsv (tests/lib/
# count_events.py, tests/fault_producer.sh, tests/fuzz/run.sh).
# usage: scripts/reliability-report.sh [BUILD_DIR...] [--write FILE]
#   --write FILE replaces the table between the markers in FILE.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dirs=() write=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --write) write=$2; shift 2 ;;
    *) dirs+=("$1"); shift ;;
  esac
done
[[ ${#dirs[@]} -gt 0 ]] || dirs=("$src/build" "$src/build-fuzz")
files=()
for d in "${dirs[@]}"; do
  for f in "$d"/results/*.tsv; do [[ -e $f ]] && files+=("$f"); done
done
[[ ${#files[@]} -gt 0 ]] || { echo "reliability-report: no results under ${dirs[*]} (run the tests first)" >&2; exit 1; }
table=$(/usr/bin/python3 - "${files[@]}" <<'PY'
import sys
rows = []
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) == 7:
            rows.append(f)
rows.sort(key=lambda r: (r[0].startswith("fuzz"), r[0]))
print("| test | faults injected / inputs | valid events | lost | counted twice | malformed inputs | crashes |")
print("|---|---|---:|---:|---:|---:|---:|")
tot = [0, 0, 0, 0, 0]
for name, what, events, lost, dup, bad, crashes in rows:
    print(f"| {name} | {what} | {events} | {lost} | {dup} | {bad} | {crashes} |")
    for i, v in enumerate((events, lost, dup, bad, crashes)):
        tot[i] += int(v) if v.isdigit() else 0
print(f"| **total** | | {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} | {tot[4]} |")
PY
)
if [[ -n $write ]]; then
  /usr/bin/python3 - "$write" "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
a, b = "<!-- reliability-table -->", "<!-- /reliability-table -->"
i, j = text.index(a) + len(a), text.index(b)
open(path, "w", encoding="utf-8").write(text[:i] + "\n" + table + "\n" + text[j:])
PY
  echo "reliability-report: table written to $write"
else
  echo "== reliability (docs/reliability.md)"
  echo "$table"
fi
