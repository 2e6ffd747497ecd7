#!/usr/bin/env bash
# The Redis store's atomic step driven through its C API against a real
# redis-server, in four programs run in order on one Redis, each starting
# from the state the previous left (tests/store_fixtures.h):
# test_store_step (applied, fenced by the offsets, fenced by the epoch,
# stale by the watermark's day, and refused by Redis: a key of another
# type, a counter that is not a number, each refusal leaving every key as
# it was), test_store_slide (the bucket logs read as the watermark's day
# moves), test_store_raids (a step only sent, then raids) and
# test_store_failover (a bucket log read in part, then a lost primary) and
# test_store_alerts (the alert stream read back, whatever form its JSON).
source "$(dirname "$0")/lib/services.sh"

hw_run_programs test_store_step test_store_slide test_store_raids test_store_failover test_store_alerts
echo PASS
