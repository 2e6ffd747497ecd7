# Shared helpers for hirewire's integration tests (bash).
#
# Each test starts its own redis-server and hirewire-devbroker on free
# loopback ports and stops them on exit, so tests can run in parallel.
# Binaries come from HW_BIN_DIR (set by ctest), or ../build.

set -euo pipefail

HW_SRC_DIR=${HW_SRC_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HW_BIN_DIR=${HW_BIN_DIR:-$HW_SRC_DIR/build}
HW_PY=/usr/bin/python3   # Debian's python3 with python3-avro and friends
HW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hirewire-test.XXXXXX")
HW_PIDS=()

hw_cleanup() {
  local pid
  for pid in "${HW_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${HW_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -z "${HW_KEEP_TMP:-}" ]]; then rm -rf "$HW_TMP"; else echo "kept $HW_TMP" >&2; fi
}
trap hw_cleanup EXIT

hw_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

hw_note() {
  echo "--- $*" >&2
}

# Prints a TCP port that was free a moment ago on 127.0.0.1.
hw_free_port() {
  "$HW_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds (default 10) for command $1 to succeed.
hw_wait_for() {
  local cmd=$1 limit=${2:-10} i
  for ((i = 0; i < limit * 20; i++)); do
    if eval "$cmd" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Starts redis-server on a free port; sets HW_REDIS_PORT and HW_REDIS_URL.
# Extra arguments go to redis-server (e.g. --requirepass x).
hw_start_redis() {
  local try port
  for try in 1 2 3 4 5; do
    port=$(hw_free_port)
    mkdir -p "$HW_TMP/redis-$port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" \
      --save '' --appendonly no --daemonize no --loglevel warning "$@" \
      >"$HW_TMP/redis-$port.log" 2>&1 &
    local pid=$!
    if hw_wait_for "redis-cli -p $port ${HW_REDIS_CLI_AUTH:-} ping | grep -q PONG" 10; then
      HW_PIDS+=("$pid")
      HW_REDIS_PORT=$port
      HW_REDIS_URL="redis://127.0.0.1:$port"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
  done
  hw_fail "redis-server did not start (see $HW_TMP/redis-*.log)"
}

# Starts hirewire-devbroker; sets HW_BOOTSTRAP (the broker list) and
# HW_BOOTSTRAP_FILE. Arguments go to the devbroker (e.g. --partitions 8).
hw_start_broker() {
  local name=broker${#HW_PIDS[@]}
  local file="$HW_TMP/$name.bootstrap"
  "$HW_BIN_DIR/hirewire-devbroker" --bootstrap-file "$file" "$@" \
    >"$HW_TMP/$name.out" 2>"$HW_TMP/$name.log" &
  local pid=$!
  hw_wait_for "test -s '$file'" 15 || hw_fail "devbroker did not start: $(cat "$HW_TMP/$name.log")"
  HW_PIDS+=("$pid")
  HW_BROKER_PID=$pid
  HW_BOOTSTRAP_FILE=$file
  HW_BOOTSTRAP=$(cat "$file")
}

# Reads every message of topic $1 from the start up to its end with kcat,
# in a binary-safe form for tests/lib/kafka_dump.py.
hw_kcat_dump() {
  kcat -C -b "$HW_BOOTSTRAP" -t "$1" -o beginning -e -q \
    -f '%t %p %o %K %S\n%k%s'
}
