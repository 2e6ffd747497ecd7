#!/usr/bin/env bash
# The Redis store on damaged keys and on replies of the wrong type, through
# its C API against a real redis-server (one Redis, the programs in order):
# test_store_damaged (the atomic step on keys damaged by hand: refused,
# naming the key, nothing written; repaired, applied) and
# test_store_replies (the reads outside the step, the check of the
# layout when connecting, and a rebuild's clear and diff).
source "$(dirname "$0")/lib/services.sh"

hw_run_programs test_store_damaged test_store_replies
echo PASS
