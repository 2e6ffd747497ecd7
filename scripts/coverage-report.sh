#!/usr/bin/env bash
# Prints the line and branch coverage of hirewire's C code by the tests
# that ran in a build configured with -DHW_COVERAGE=ON (scripts/test.sh
# does so for its sanitizer build): per folder, then in all. The test
# code, the benchmarks and the fuzz harnesses are left out; the counters
# are gcov's, read with gcovr (Debian's package).
# usage: scripts/coverage-report.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: scripts/coverage-report.sh BUILD_DIR}
command -v gcovr >/dev/null || { echo "coverage: gcovr is not installed (scripts/setup.sh)" >&2; exit 1; }
find "$dir" -name '*.gcda' -print -quit | grep -q . ||
  { echo "coverage: no counters in $dir (configure it with -DHW_COVERAGE=ON and run the tests)" >&2; exit 1; }
gcovr --root "$src" --object-directory "$dir" "$dir" \
  --exclude "$src/tests/" --exclude "$src/bench/" --exclude "$src/build" \
  --gcov-ignore-parse-errors --json-summary "$dir/coverage.json" >/dev/null
python3 - "$dir/coverage.json" <<'PY'
import collections, json, sys
files = json.load(open(sys.argv[1]))["files"]
by = collections.defaultdict(lambda: [0, 0, 0, 0])
for f in files:
    folder = f["filename"].split("/")[0] if "/" in f["filename"] else "."
    for t in (by[folder], by["all"]):
        t[0] += f["line_covered"]; t[1] += f["line_total"]
        t[2] += f["branch_covered"]; t[3] += f["branch_total"]
pct = lambda a, b: f"{100.0 * a / b:5.1f} %" if b else "    -  "
print("== coverage of the C code by the tests (lines, branches)")
print(f"   {'folder':<12} {'lines':>19} {'branches':>19}")
for k in sorted(by, key=lambda k: (k == "all", k)):
    l, lt, b, bt = by[k]
    print(f"   {k:<12} {pct(l, lt)} {l:>5}/{lt:<5} {pct(b, bt)} {b:>5}/{bt:<5}")
PY
