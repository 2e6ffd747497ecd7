#!/usr/bin/env bash
# The Redis store with its allocations failing in turn, through its C API
# against a real redis-server (tests/test_store_oom.c): a step that fails
# writes nothing and applies when run again; the alerts read back are
# never taken for damaged ones.
source "$(dirname "$0")/lib/services.sh"

hw_run_programs test_store_oom
echo PASS
