#!/usr/bin/env bash
# The alert webhook (outbox/hw_webhook.c) through its C API: test_webhook
# (deliveries) and test_webhook_faults (failures) run their cases against
# this test's redis-server and an HTTP server of their own
# (tests/webhook_fixtures.h); either failing fails the test.
source "$(dirname "$0")/lib/services.sh"

hw_run_programs test_webhook test_webhook_faults
echo PASS
