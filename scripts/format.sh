#!/usr/bin/env bash
# Formats hirewire's C sources with clang-format (.clang-format at the
# root); --check changes nothing and lists the files that are not
# formatted (exit 1 when any), as the unit.format test does.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
command -v clang-format >/dev/null || { echo "format: clang-format is not installed (apt-get install clang-format)" >&2; exit 2; }
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
if [[ ${1:-} == --check ]]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "not formatted: $f (scripts/format.sh formats it)"
      bad=1
    fi
  done
  exit $bad
fi
clang-format -i "${files[@]}"
