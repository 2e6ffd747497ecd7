/* Unit tests of the metrics registry's exposition text, line by line. */
/*
 * Counters, the five rejection classes, the flush histogram, lag per
 * partition, readiness, each checked against the text format 0.0.4 too,
 * and counters updated from several threads. Serving them over HTTP is
 * test_metrics_http.c's.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hw_buf.h"
#include "hw_err.h"
#include "hw_log.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "metrics_fixtures.h"

/* ------------------------------------------------------------------ */
/* Rendering                                                           */
/* ------------------------------------------------------------------ */

static void test_render_fresh(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        t = render(m, &buf);
        check_exposition(t);

        CHECK_LINE(t, "# HELP hirewire_messages_consumed_total Messages "
                      "read from Kafka.");
        CHECK_LINE(t, "# TYPE hirewire_messages_consumed_total counter");
        CHECK_LINE(t, "hirewire_messages_consumed_total 0");
        CHECK_LINE(t, "# TYPE hirewire_events_applied_total counter");
        CHECK_LINE(t, "hirewire_events_applied_total 0");
        CHECK_LINE(t, "# TYPE hirewire_events_rejected_total counter");
        CHECK_LINE(t,
                   "hirewire_events_rejected_total{class=\"bad_framing\"} 0");
        CHECK_LINE(
                t,
                "hirewire_events_rejected_total{class=\"unknown_schema\"} 0");
        CHECK_LINE(t,
                   "hirewire_events_rejected_total{class=\"decode_error\"} 0");
        CHECK_LINE(t,
                   "hirewire_events_rejected_total{class=\"invalid_field\"} 0");
        CHECK_LINE(t, "hirewire_events_rejected_total{class=\"too_large\"} 0");
        CHECK_LINE(t, "hirewire_events_rejected_total{class=\"other\"} 0");
        CHECK_LINE(t, "hirewire_events_duplicate_total 0");
        CHECK_LINE(t, "hirewire_hires_repeated_total 0");
        CHECK_LINE(t, "hirewire_dlq_produced_total 0");
        CHECK_LINE(t, "hirewire_batches_total 0");
        CHECK_LINE(t, "hirewire_batches_fenced_total 0");
        CHECK_LINE(t, "hirewire_redis_errors_total 0");
        CHECK_LINE(t, "# TYPE hirewire_batch_flush_seconds histogram");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_bucket{le=\"0.001\"} 0");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_bucket{le=\"+Inf\"} 0");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_sum 0");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_count 0");
        CHECK_LINE(t, "# TYPE hirewire_consumer_lag gauge");
        CHECK_LINE(t, "# TYPE hirewire_ready gauge");
        CHECK_LINE(t, "hirewire_ready 0");
        CHECK_LINE(t, "hirewire_alerts_raised_total 0");
        CHECK_LINE(t, "hirewire_alerts_relayed_total 0");
        CHECK_LINE(t, "hirewire_webhook_deliveries_total 0");
        CHECK_LINE(t, "hirewire_webhook_failures_total 0");
        CHECK_LINE(t, "# TYPE hirewire_build_info gauge");
        CHECK_LINE(t, "hirewire_build_info{version=\"unknown\"} 1");
        CHECK_LINE(t, "# TYPE process_cpu_seconds_total counter");
        CHECK_LINE(t, "# TYPE process_resident_memory_bytes gauge");
        CHECK_LINE(t, "# TYPE process_start_time_seconds gauge");
        HW_CHECK(strstr(t, "hirewire_consumer_lag{") == NULL);
        /* A gauge named like a histogram's or summary's part: gone (sum
         * the partitions' hirewire_consumer_lag instead). */
        HW_CHECK(strstr(t, "_sum gauge") == NULL);
        HW_CHECK(strstr(t, "hirewire_consumer_lag_sum") == NULL);

        /* Every family is documented. */
        static const char *const families[] = {
                "hirewire_messages_consumed_total",
                "hirewire_events_applied_total",
                "hirewire_events_rejected_total",
                "hirewire_events_duplicate_total",
                "hirewire_hires_repeated_total",
                "hirewire_dlq_produced_total",
                "hirewire_batches_total",
                "hirewire_batches_fenced_total",
                "hirewire_redis_errors_total",
                "hirewire_batch_flush_seconds",
                "hirewire_consumer_lag",
                "hirewire_ready",
                "hirewire_alerts_raised_total",
                "hirewire_alerts_relayed_total",
                "hirewire_webhook_deliveries_total",
                "hirewire_webhook_failures_total",
                "hirewire_build_info",
                "process_cpu_seconds_total",
                "process_resident_memory_bytes",
                "process_start_time_seconds"};
        for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
                char want[160];
                snprintf(want, sizeof(want), "# HELP %s ", families[i]);
                HW_CHECK_MSG(strstr(t, want) != NULL, "help of %s",
                             families[i]);
        }

        /* Rendering replaces the buffer's content (the same length but
         * for the process metrics' figures, which move). */
        size_t len = buf.len;
        render(m, &buf);
        HW_CHECK(buf.len + 64 > len && buf.len < len + 64);
        HW_CHECK(strstr(buf.data, "# HELP hirewire_messages_consumed_total") ==
                 buf.data);
        HW_CHECK(strstr(buf.data + 1,
                        "# HELP hirewire_messages_consumed_total") == NULL);
        HW_CHECK_EQ_INT(hw_metrics_render(NULL, &buf), HW_ERR_ARG);
        HW_CHECK_EQ_INT(buf.len, 0);
        HW_CHECK_EQ_INT(hw_metrics_render(m, NULL), HW_ERR_ARG);

        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

static void test_render_counters(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        hw_metrics_add(m, HW_M_CONSUMED, 3);
        hw_metrics_add(m, HW_M_CONSUMED, 4);
        hw_metrics_add(m, HW_M_APPLIED, 5);
        hw_metrics_add(m, HW_M_DUPLICATES, 2);
        hw_metrics_add(m, HW_M_REPEATED, 1);
        hw_metrics_add(m, HW_M_DLQ_PRODUCED, 6);
        hw_metrics_add(m, HW_M_BATCHES, 8);
        hw_metrics_add(m, HW_M_FENCED, 9);
        hw_metrics_add(m, HW_M_REDIS_ERRORS, 10);
        hw_metrics_add(m, HW_M_REDIS_ERRORS, 0);
        hw_metrics_add(m, HW_M_BATCHES, UINT64_C(10000000000));
        /* Out of range and NULL: ignored. */
        hw_metrics_add(m, HW_M_COUNTER_COUNT, 100);
        hw_metrics_add(m, (hw_counter_t)-1, 100);
        hw_metrics_add(NULL, HW_M_CONSUMED, 1);

        t = render(m, &buf);
        check_exposition(t);
        CHECK_LINE(t, "hirewire_messages_consumed_total 7");
        CHECK_LINE(t, "hirewire_events_applied_total 5");
        CHECK_LINE(t, "hirewire_events_duplicate_total 2");
        CHECK_LINE(t, "hirewire_hires_repeated_total 1");
        CHECK_LINE(t, "hirewire_dlq_produced_total 6");
        CHECK_LINE(t, "hirewire_batches_total 10000000008");
        CHECK_LINE(t, "hirewire_batches_fenced_total 9");
        CHECK_LINE(t, "hirewire_redis_errors_total 10");

        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

static void test_render_rejected(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        hw_metrics_rejected(m, "invalid_field");
        hw_metrics_rejected(m, "invalid_field");
        hw_metrics_rejected(m, "too_large");
        hw_metrics_rejected(m, hw_err_name(HW_ERR_DECODE));
        hw_metrics_rejected(m, "no_such_class");
        hw_metrics_rejected(m, "Invalid_Field"); /* exact match only */
        hw_metrics_rejected(m, "");
        hw_metrics_rejected(m, NULL);
        hw_metrics_rejected(NULL, "too_large");

        t = render(m, &buf);
        check_exposition(t);
        CHECK_LINE(t,
                   "hirewire_events_rejected_total{class=\"bad_framing\"} 0");
        CHECK_LINE(
                t,
                "hirewire_events_rejected_total{class=\"unknown_schema\"} 0");
        CHECK_LINE(t,
                   "hirewire_events_rejected_total{class=\"decode_error\"} 1");
        CHECK_LINE(t,
                   "hirewire_events_rejected_total{class=\"invalid_field\"} 2");
        CHECK_LINE(t, "hirewire_events_rejected_total{class=\"too_large\"} 1");
        CHECK_LINE(t, "hirewire_events_rejected_total{class=\"other\"} 4");

        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

static void test_render_histogram(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        /* Binary fractions, so the sum is exact. */
        hw_metrics_observe_flush(m, 0.0009765625); /* le 0.001 */
        hw_metrics_observe_flush(m, -1);           /* a clock step: 0 */
        hw_metrics_observe_flush(m, 0.00390625);   /* le 0.005 */
        hw_metrics_observe_flush(m, 0.125);        /* le 0.25 */
        hw_metrics_observe_flush(m, 1.0);          /* le 1: bounds include */
        hw_metrics_observe_flush(m, 0.75);         /* le 1 */
        hw_metrics_observe_flush(m, 3);            /* le 5 */
        hw_metrics_observe_flush(m, 10);           /* le 10 */
        hw_metrics_observe_flush(m, 20);           /* +Inf only */
        hw_metrics_observe_flush(m, NAN);          /* ignored */
        hw_metrics_observe_flush(NULL, 1);

        t = render(m, &buf);
        check_exposition(t);
        static const char *const want[] = {
                ("# HELP hirewire_batch_flush_seconds Time to flush one batch "
                 "to Redis."),
                "# TYPE hirewire_batch_flush_seconds histogram",
                "hirewire_batch_flush_seconds_bucket{le=\"0.001\"} 2",
                "hirewire_batch_flush_seconds_bucket{le=\"0.0025\"} 2",
                "hirewire_batch_flush_seconds_bucket{le=\"0.005\"} 3",
                "hirewire_batch_flush_seconds_bucket{le=\"0.01\"} 3",
                "hirewire_batch_flush_seconds_bucket{le=\"0.025\"} 3",
                "hirewire_batch_flush_seconds_bucket{le=\"0.05\"} 3",
                "hirewire_batch_flush_seconds_bucket{le=\"0.1\"} 3",
                "hirewire_batch_flush_seconds_bucket{le=\"0.25\"} 4",
                "hirewire_batch_flush_seconds_bucket{le=\"0.5\"} 4",
                "hirewire_batch_flush_seconds_bucket{le=\"1\"} 6",
                "hirewire_batch_flush_seconds_bucket{le=\"2.5\"} 6",
                "hirewire_batch_flush_seconds_bucket{le=\"5\"} 7",
                "hirewire_batch_flush_seconds_bucket{le=\"10\"} 8",
                "hirewire_batch_flush_seconds_bucket{le=\"+Inf\"} 9",
                "hirewire_batch_flush_seconds_sum 34.8798828125",
                "hirewire_batch_flush_seconds_count 9",
        };
        /* The whole family, in order, as one block. */
        char block[2048] = "";
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                strcat(block, want[i]);
                strcat(block, "\n");
        }
        HW_CHECK_CONTAINS(t, block);

        /* A sum that is not a binary fraction reads back exactly. */
        hw_metrics_t *m2 = hw_metrics_new();
        if (HW_CHECK(m2 != NULL)) {
                hw_metrics_observe_flush(m2, 0.1);
                hw_metrics_observe_flush(m2, 0.2);
                t = render(m2, &buf);
                const char *s =
                        strstr(t, "\nhirewire_batch_flush_seconds_sum ");
                if (HW_CHECK(s != NULL))
                        HW_CHECK(strtod(s + 34, NULL) == 0.1 + 0.2);
                CHECK_LINE(t,
                           "hirewire_batch_flush_seconds_bucket{le=\"0.1\"} 1");
                CHECK_LINE(
                        t,
                        "hirewire_batch_flush_seconds_bucket{le=\"0.25\"} 2");
                hw_metrics_destroy(m2);
        }

        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

static void test_render_lag(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        hw_metrics_set_lag(m, "hires", 2, 7);
        hw_metrics_set_lag(m, "hires", 0, 5);
        hw_metrics_set_lag(m, "hires", 10, 0);
        hw_metrics_set_lag(m, "alerts", 1, 100);
        hw_metrics_set_lag(m, "hires", 0, 3); /* update */
        hw_metrics_set_lag(m, NULL, 0, 3);    /* ignored */
        hw_metrics_set_lag(NULL, "hires", 0, 3);

        t = render(m, &buf);
        check_exposition(t);
        /* Sorted by topic, then partition (numerically). */
        HW_CHECK_CONTAINS(
                t,
                "# TYPE hirewire_consumer_lag gauge\n"
                "hirewire_consumer_lag{topic=\"alerts\",partition=\"1\"} 100\n"
                "hirewire_consumer_lag{topic=\"hires\",partition=\"0\"} 3\n"
                "hirewire_consumer_lag{topic=\"hires\",partition=\"2\"} 7\n"
                "hirewire_consumer_lag{topic=\"hires\",partition=\"10\"} 0\n"
                "# HELP hirewire_ready ");

        /* Removal after revocation; removing an unknown one is a no-op. */
        hw_metrics_set_lag(m, "hires", 2, -1);
        hw_metrics_set_lag(m, "hires", 99, -1);
        hw_metrics_set_lag(m, "nosuch", 0, -5);
        t = render(m, &buf);
        check_exposition(t);
        CHECK_NO_LINE(
                t, "hirewire_consumer_lag{topic=\"hires\",partition=\"2\"} 7");
        HW_CHECK(strstr(t, "partition=\"99\"") == NULL);
        HW_CHECK(strstr(t, "nosuch") == NULL);
        CHECK_LINE(t,
                   "hirewire_consumer_lag{topic=\"hires\",partition=\"0\"} 3");
        CHECK_LINE(
                t,
                "hirewire_consumer_lag{topic=\"alerts\",partition=\"1\"} 100");

        /* Remove all: the family stays, without samples. */
        hw_metrics_set_lag(m, "hires", 0, -1);
        hw_metrics_set_lag(m, "hires", 10, -1);
        hw_metrics_set_lag(m, "alerts", 1, -1);
        t = render(m, &buf);
        check_exposition(t);
        HW_CHECK(strstr(t, "hirewire_consumer_lag{") == NULL);
        CHECK_LINE(t, "# TYPE hirewire_consumer_lag gauge");

        /* Label values are escaped: backslash, quote, newline. */
        hw_metrics_set_lag(m, "a\\b\"c\nd", 0, 1);
        t = render(m, &buf);
        check_exposition(t);
        CHECK_LINE(t, "hirewire_consumer_lag{topic=\"a\\\\b\\\"c\\nd\","
                      "partition=\"0\"} 1");
        hw_metrics_set_lag(m, "a\\b\"c\nd", 0, -1);
        t = render(m, &buf);
        HW_CHECK(strstr(t, "hirewire_consumer_lag{") == NULL);

        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

static void test_lag_limit(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        for (int p = 0; p < 4096; p++)
                hw_metrics_set_lag(m, "t", p, 1);
        hw_metrics_set_lag(m, "t", 4096, 1000); /* table full: dropped */
        hw_metrics_set_lag(m, "t", 4095, 2);    /* updates still work */
        t = render(m, &buf);
        HW_CHECK(strstr(t, "partition=\"4096\"") == NULL);
        CHECK_LINE(t, "hirewire_consumer_lag{topic=\"t\",partition=\"0\"} 1");
        CHECK_LINE(t,
                   "hirewire_consumer_lag{topic=\"t\",partition=\"4095\"} 2");

        /* A freed slot takes a new partition. */
        hw_metrics_set_lag(m, "t", 0, -1);
        hw_metrics_set_lag(m, "t", 4096, 1000);
        t = render(m, &buf);
        HW_CHECK(strstr(t, "topic=\"t\",partition=\"0\"}") == NULL);
        CHECK_LINE(
                t,
                "hirewire_consumer_lag{topic=\"t\",partition=\"4096\"} 1000");
        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

static void test_ready_gauge(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        CHECK_LINE(render(m, &buf), "hirewire_ready 0");
        hw_metrics_set_ready(m, 1, NULL);
        CHECK_LINE(render(m, &buf), "hirewire_ready 1");
        hw_metrics_set_ready(m, 0, "redis down");
        CHECK_LINE(render(m, &buf), "hirewire_ready 0");
        hw_metrics_set_ready(m, 5, "");
        CHECK_LINE(render(m, &buf), "hirewire_ready 1");
        hw_metrics_set_ready(NULL, 1, NULL);
        hw_metrics_destroy(NULL);
        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define ADDS_PER_THREAD 1000000

typedef struct adder_s {
        hw_metrics_t *m;
        int partition;
} adder_t;

static void *adder_main(void *arg) {
        adder_t *a = arg;
        for (int i = 0; i < ADDS_PER_THREAD; i++) {
                hw_metrics_add(a->m, HW_M_CONSUMED, 1);
                if (i % 10000 == 0) {
                        hw_metrics_observe_flush(a->m, 0.001);
                        hw_metrics_rejected(a->m, "too_large");
                        hw_metrics_set_lag(a->m, "hires", a->partition,
                                           ADDS_PER_THREAD - i);
                }
        }
        hw_metrics_set_lag(a->m, "hires", a->partition, 0);
        return NULL;
}

static void test_concurrent_counters(void) {
        hw_metrics_t *m = hw_metrics_new();
        adder_t adders[2];
        pthread_t th[2];
        hw_buf_t buf;
        const char *t;
        int started = 0;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        for (int i = 0; i < 2; i++) {
                adders[i].m = m;
                adders[i].partition = i;
                if (HW_CHECK(pthread_create(&th[i], NULL, adder_main,
                                            &adders[i]) == 0))
                        started++;
        }
        /* Scrape while they add. */
        for (int i = 0; i < 20; i++)
                render(m, &buf);
        for (int i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        if (HW_CHECK_EQ_INT(started, 2)) {
                t = render(m, &buf);
                CHECK_LINE(t, "hirewire_messages_consumed_total 2000000");
                CHECK_LINE(t, "hirewire_events_rejected_total"
                              "{class=\"too_large\"} 200");
                CHECK_LINE(t, "hirewire_batch_flush_seconds_count 200");
                CHECK_LINE(t, "hirewire_batch_flush_seconds_bucket"
                              "{le=\"0.001\"} 200");
                CHECK_LINE(t, "hirewire_consumer_lag{topic=\"hires\","
                              "partition=\"0\"} 0");
                CHECK_LINE(t, "hirewire_consumer_lag{topic=\"hires\","
                              "partition=\"1\"} 0");
                check_exposition(t);
        }
        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

/* An infinite flush time (a broken clock) lands in +Inf and makes the sum
 * "+Inf", the text format's spelling (not printf's "inf"); a version
 * NULL and a reason "" change nothing and say "unknown". */
static void test_render_infinite(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t buf;
        const char *t;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&buf);
        hw_metrics_observe_flush(m, 0.5);
        hw_metrics_observe_flush(m, INFINITY);
        hw_metrics_observe_flush(m, -INFINITY); /* a clock step: 0 */
        hw_metrics_set_version(m, "1.2.3");
        hw_metrics_set_version(m, NULL);
        hw_metrics_set_ready(m, 0, "");
        t = render(m, &buf);
        check_exposition(t);
        CHECK_LINE(t, "hirewire_batch_flush_seconds_bucket{le=\"0.001\"} 1");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_bucket{le=\"10\"} 2");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_bucket{le=\"+Inf\"} 3");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_sum +Inf");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_count 3");
        CHECK_LINE(t, "hirewire_build_info{version=\"1.2.3\"} 1");
        CHECK_LINE(t, "hirewire_ready 0");
        hw_buf_release(&buf);
        hw_metrics_destroy(m);
}

int main(void) {
        /* Keep the run's output to the test lines (the module logs one
         * warning when the lag table is full). */
        hw_log_set_level(HW_LOG_ERROR);
        HW_RUN(test_render_fresh);
        HW_RUN(test_render_counters);
        HW_RUN(test_render_rejected);
        HW_RUN(test_render_histogram);
        HW_RUN(test_render_infinite);
        HW_RUN(test_render_lag);
        HW_RUN(test_lag_limit);
        HW_RUN(test_ready_gauge);
        HW_RUN(test_concurrent_counters);
        return hw_test_summary();
}
