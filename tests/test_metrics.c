/*
 * Unit tests for the metrics registry and its HTTP side: the exposition
 * text line by line (counters, the five rejection classes, the flush
 * histogram, lag per partition and in total, readiness), a structural
 * check of the whole exposition against the text format 0.0.4, /metrics,
 * /healthz, 404 and 405 over a real loopback socket (a tiny client below,
 * no curl), address errors, a port in use, and counters updated from
 * several threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
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

static char errstr[512];

static int check_err_(hw_err_t got, hw_err_t want, const char *file, int line) {
        return hw_test_report(got == want, file, line,
                              "error %s (%d), expected %s (%d); errstr: %s",
                              hw_err_name(got), (int)got, hw_err_name(want),
                              (int)want, got ? errstr : "-");
}
#define CHECK_ERR(got, want) check_err_((got), (want), __FILE__, __LINE__)

/* True when text holds `line` as a whole line. */
static int has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        const char *p = text;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);
                if (len == n && !memcmp(p, line, n))
                        return 1;
                p = eol ? eol + 1 : NULL;
        }
        return 0;
}

static int check_line_(const char *text, const char *line, const char *file,
                       int l) {
        int ok = has_line(text, line);
        if (!hw_test_report(ok, file, l, "exposition has the line \"%s\"",
                            line))
                fprintf(stderr, "    exposition:\n%s", text ? text : "NULL");
        return ok;
}
#define CHECK_LINE(text, line) check_line_((text), (line), __FILE__, __LINE__)

static int check_no_line_(const char *text, const char *line, const char *file,
                          int l) {
        return hw_test_report(!has_line(text, line), file, l,
                              "exposition has no line \"%s\"", line);
}
#define CHECK_NO_LINE(text, line)                                              \
        check_no_line_((text), (line), __FILE__, __LINE__)

/* Renders m into buf (kept NUL-terminated) and returns the text. */
static const char *render(hw_metrics_t *m, hw_buf_t *buf) {
        if (!HW_CHECK_EQ_INT(hw_metrics_render(m, buf), HW_OK) || !buf->data)
                return "";
        HW_CHECK_EQ_INT(buf->data[buf->len], '\0');
        HW_CHECK_EQ_INT(strlen(buf->data), buf->len);
        return buf->data;
}

/* ------------------------------------------------------------------ */
/* A checker of the text exposition format 0.0.4                       */
/* ------------------------------------------------------------------ */

static int is_name_char(char c, int first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               c == ':' || (!first && c >= '0' && c <= '9');
}

/* Length of the metric or label name at p (0 when there is none). */
static size_t name_len(const char *p) {
        size_t n = 0;
        while (is_name_char(p[n], n == 0))
                n++;
        return n;
}

/*
 * Checks every line: "# HELP name text" then "# TYPE name type" once per
 * family, samples grouped under their family (histograms with _bucket,
 * _sum, _count), labels name="escaped value", and a float value. Each
 * problem is a failed check naming the line.
 */
static void check_exposition(const char *text) {
        char family[128] = "", type[16] = "", help[128] = "";
        char seen[64][128];
        size_t n_seen = 0, lineno = 0;
        const char *p = text;

        if (!HW_CHECK(text && *text))
                return;
        HW_CHECK_MSG(text[strlen(text) - 1] == '\n',
                     "exposition ends with a newline");
        while (*p) {
                const char *eol = strchr(p, '\n');
                char line[1024];
                size_t len;

                lineno++;
                if (!HW_CHECK_MSG(eol, "line %zu ends with \\n", lineno))
                        return;
                len = (size_t)(eol - p);
                if (!HW_CHECK_MSG(len < sizeof(line), "line %zu too long",
                                  lineno))
                        return;
                memcpy(line, p, len);
                line[len] = '\0';
                p = eol + 1;
                HW_CONTEXT("line %zu: %s", lineno, line);

                if (!strncmp(line, "# HELP ", 7)) {
                        size_t n = name_len(line + 7);
                        HW_CHECK(n > 0 && n < sizeof(help));
                        HW_CHECK(line[7 + n] == ' ' && line[8 + n] != '\0');
                        snprintf(help, sizeof(help), "%.*s", (int)n, line + 7);
                        for (size_t i = 0; i < n_seen; i++)
                                HW_CHECK_MSG(strcmp(seen[i], help) != 0,
                                             "family %s appears twice", help);
                        continue;
                }
                if (!strncmp(line, "# TYPE ", 7)) {
                        size_t n = name_len(line + 7);
                        const char *t = line + 8 + n;
                        HW_CHECK(n > 0 && n < sizeof(family));
                        snprintf(family, sizeof(family), "%.*s", (int)n,
                                 line + 7);
                        HW_CHECK_MSG(!strcmp(family, help),
                                     "# TYPE follows the # HELP of %s", family);
                        HW_CHECK(line[7 + n] == ' ');
                        HW_CHECK_MSG(!strcmp(t, "counter") ||
                                             !strcmp(t, "gauge") ||
                                             !strcmp(t, "histogram"),
                                     "known type");
                        snprintf(type, sizeof(type), "%s", t);
                        if (HW_CHECK(n_seen < 64))
                                snprintf(seen[n_seen++], sizeof(seen[0]), "%s",
                                         family);
                        help[0] = '\0';
                        continue;
                }
                HW_CHECK_MSG(line[0] != '#', "only HELP and TYPE comments");

                /* A sample: name{labels} value */
                size_t n = name_len(line);
                char name[128];
                const char *q = line + n;
                if (!HW_CHECK(n > 0 && n < sizeof(name) && family[0]))
                        continue;
                snprintf(name, sizeof(name), "%.*s", (int)n, line);
                int ok = !strcmp(name, family);
                if (!strcmp(type, "histogram")) {
                        size_t f = strlen(family);
                        ok = !strncmp(name, family, f) &&
                             (!strcmp(name + f, "_bucket") ||
                              !strcmp(name + f, "_sum") ||
                              !strcmp(name + f, "_count"));
                }
                HW_CHECK_MSG(ok, "sample %s belongs to family %s", name,
                             family);
                if (*q == '{') {
                        q++;
                        while (*q != '}') {
                                size_t ln = name_len(q);
                                if (!HW_CHECK_MSG(ln > 0 && q[ln] == '=' &&
                                                          q[ln + 1] == '"',
                                                  "label name=\""))
                                        break;
                                q += ln + 2;
                                while (*q && *q != '"') {
                                        if (*q == '\\') {
                                                HW_CHECK_MSG(
                                                        q[1] == '\\' ||
                                                                q[1] == '"' ||
                                                                q[1] == 'n',
                                                        "escape \\%c", q[1]);
                                                q++;
                                        }
                                        if (*q)
                                                q++;
                                }
                                if (!HW_CHECK_MSG(*q == '"', "closing quote"))
                                        break;
                                q++;
                                if (*q == ',')
                                        q++;
                                else if (!HW_CHECK_MSG(*q == '}',
                                                       "} after labels"))
                                        break;
                        }
                        if (*q == '}')
                                q++;
                }
                if (!HW_CHECK_MSG(*q == ' ', "space before the value"))
                        continue;
                q++;
                if (strcmp(q, "+Inf") && strcmp(q, "-Inf") &&
                    strcmp(q, "NaN")) {
                        char *end;
                        errno = 0;
                        strtod(q, &end);
                        HW_CHECK_MSG(*q && *end == '\0' && errno == 0,
                                     "value \"%s\" is a float", q);
                }
        }
        HW_CONTEXT("%s", "");
}

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
                "# HELP hirewire_batch_flush_seconds Time to flush one batch "
                "to Redis.",
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
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

/* The port of a "host:port" string. */
static int port_of(const char *bound) {
        const char *c = strrchr(bound, ':');
        return c ? atoi(c + 1) : -1;
}

/*
 * Sends one request to 127.0.0.1:port and reads the whole answer (the
 * request asks the server to close). Fills head (status line and headers)
 * and body, NUL-terminated. Returns the status code, or -1.
 */
static int http_request(int port, const char *method, const char *path,
                        hw_buf_t *head, hw_buf_t *body) {
        struct sockaddr_in sin;
        struct timeval tv = {5, 0};
        char req[512], chunk[4096];
        hw_buf_t all;
        int fd, status = -1;
        ssize_t n;

        head->len = body->len = 0;
        if (head->data)
                head->data[0] = '\0';
        if (body->data)
                body->data[0] = '\0';
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
                close(fd);
                return -1;
        }
        n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n",
                     method, path);
        if (write(fd, req, (size_t)n) != n) {
                close(fd);
                return -1;
        }
        hw_buf_init(&all);
        while ((n = read(fd, chunk, sizeof(chunk))) > 0)
                if (hw_buf_append(&all, chunk, (size_t)n) != 0)
                        break;
        close(fd);
        if (hw_buf_append(&all, "", 1) == 0) {
                const char *sep = strstr(all.data, "\r\n\r\n");
                if (sep && sscanf(all.data, "HTTP/1.%*d %d", &status) == 1) {
                        size_t hl = (size_t)(sep - all.data);
                        hw_buf_append(head, all.data, hl);
                        hw_buf_append(head, "", 1);
                        head->len = hl;
                        hw_buf_append(body, sep + 4, strlen(sep + 4));
                        hw_buf_append(body, "", 1);
                        body->len--;
                }
        }
        hw_buf_release(&all);
        return status;
}

static void test_serve_http(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t head, body, local;
        char bound[64];
        int port;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&head);
        hw_buf_init(&body);
        hw_buf_init(&local);
        errstr[0] = '\0';
        if (!CHECK_ERR(hw_metrics_serve(m, "127.0.0.1:0", bound, sizeof(bound),
                                        errstr, sizeof(errstr)),
                       HW_OK))
                goto out;
        HW_CHECK(!strncmp(bound, "127.0.0.1:", 10));
        port = port_of(bound);
        HW_CHECK(port > 0 && port < 65536);

        /* Serving twice is a caller error. */
        CHECK_ERR(hw_metrics_serve(m, "127.0.0.1:0", NULL, 0, errstr,
                                   sizeof(errstr)),
                  HW_ERR_ARG);

        hw_metrics_add(m, HW_M_CONSUMED, 42);
        hw_metrics_rejected(m, "bad_framing");
        hw_metrics_observe_flush(m, 0.02);
        hw_metrics_set_lag(m, "hires", 1, 12);

        HW_CHECK_EQ_INT(http_request(port, "GET", "/metrics", &head, &body),
                        200);
        HW_CHECK_CONTAINS(head.data, "Content-Type: text/plain; version=0.0.4");
        render(m, &local);
        /* The same exposition, up to the process metrics (which move
         * between two renders: CPU, memory), last. */
        {
                char *pb = strstr(body.data, "# HELP process_");
                char *pl = strstr(local.data, "# HELP process_");
                if (HW_CHECK(pb != NULL && pl != NULL)) {
                        char cb = *pb, cl = *pl;
                        *pb = *pl = '\0';
                        HW_CHECK_STR(body.data, local.data);
                        *pb = cb;
                        *pl = cl;
                }
        }
        check_exposition(body.data);
        CHECK_LINE(body.data, "hirewire_messages_consumed_total 42");
        CHECK_LINE(body.data,
                   "hirewire_events_rejected_total{class=\"bad_framing\"} 1");
        CHECK_LINE(body.data,
                   "hirewire_batch_flush_seconds_bucket{le=\"0.025\"} 1");
        CHECK_LINE(body.data,
                   "hirewire_consumer_lag{topic=\"hires\",partition=\"1\"} 12");

        /* A query string does not change the path. */
        HW_CHECK_EQ_INT(http_request(port, "GET", "/metrics?x=1", &head, &body),
                        200);

        /* HEAD: the headers only. */
        HW_CHECK_EQ_INT(http_request(port, "HEAD", "/metrics", &head, &body),
                        200);
        HW_CHECK_EQ_INT(body.len, 0);

        /* /healthz: 503 with the reason until ready. */
        HW_CHECK_EQ_INT(http_request(port, "GET", "/healthz", &head, &body),
                        503);
        HW_CHECK_STR(body.data, "not ready: starting\n");
        hw_metrics_set_ready(m, 1, NULL);
        HW_CHECK_EQ_INT(http_request(port, "GET", "/healthz", &head, &body),
                        200);
        HW_CHECK_STR(body.data, "ok\n");
        HW_CHECK_EQ_INT(http_request(port, "GET", "/metrics", &head, &body),
                        200);
        CHECK_LINE(body.data, "hirewire_ready 1");
        hw_metrics_set_ready(m, 0, "redis does not answer");
        HW_CHECK_EQ_INT(http_request(port, "GET", "/healthz", &head, &body),
                        503);
        HW_CHECK_STR(body.data, "not ready: redis does not answer\n");
        hw_metrics_set_ready(m, 0, NULL);
        HW_CHECK_EQ_INT(http_request(port, "GET", "/healthz", &head, &body),
                        503);
        HW_CHECK_STR(body.data, "not ready: unknown\n");

        /* Unknown paths, other methods. */
        HW_CHECK_EQ_INT(http_request(port, "GET", "/nope", &head, &body), 404);
        HW_CHECK_EQ_INT(http_request(port, "GET", "/", &head, &body), 404);
        HW_CHECK_EQ_INT(http_request(port, "GET", "/metrics/", &head, &body),
                        404);
        HW_CHECK_EQ_INT(http_request(port, "POST", "/metrics", &head, &body),
                        405);
        HW_CHECK_CONTAINS(head.data, "Allow: GET, HEAD");
        HW_CHECK_EQ_INT(http_request(port, "DELETE", "/healthz", &head, &body),
                        405);
        HW_CHECK_EQ_INT(http_request(port, "POST", "/nope", &head, &body), 404);

out:
        hw_buf_release(&head);
        hw_buf_release(&body);
        hw_buf_release(&local);
        hw_metrics_destroy(m);
}

static void test_serve_localhost(void) {
        hw_metrics_t *m = hw_metrics_new();
        hw_buf_t head, body;
        char bound[64];

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&head);
        hw_buf_init(&body);
        if (CHECK_ERR(hw_metrics_serve(m, "localhost:0", bound, sizeof(bound),
                                       errstr, sizeof(errstr)),
                      HW_OK)) {
                HW_CHECK_MSG(!strncmp(bound, "127.", 4), "bound %s", bound);
                HW_CHECK_EQ_INT(http_request(port_of(bound), "GET", "/healthz",
                                             &head, &body),
                                503);
        }
        hw_buf_release(&head);
        hw_buf_release(&body);
        hw_metrics_destroy(m);
}

static void test_serve_bad_address(void) {
        static const char *const bad[] = {
                "nohost:x",
                "1.2.3.4:99999",
                "127.0.0.1",
                "127.0.0.1:",
                ":9464",
                "127.0.0.1:-1",
                "127.0.0.1:+80",
                "127.0.0.1:80x",
                "127.0.0.1:123456",
                "127.0.0.1:65536",
                "[::1]:9464",
                "::1:9464",
                "",
                "a b:80",
        };
        hw_metrics_t *m = hw_metrics_new();
        char bound[64];

        if (!HW_CHECK(m != NULL))
                return;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                HW_CONTEXT("address \"%s\"", bad[i]);
                errstr[0] = '\0';
                strcpy(bound, "junk");
                CHECK_ERR(hw_metrics_serve(m, bad[i], bound, sizeof(bound),
                                           errstr, sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK(errstr[0] != '\0');
                HW_CHECK_STR(bound, "");
        }
        HW_CONTEXT("%s", "");
        CHECK_ERR(hw_metrics_serve(m, NULL, NULL, 0, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        CHECK_ERR(hw_metrics_serve(NULL, "127.0.0.1:0", NULL, 0, NULL, 0),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "no metrics address");
        hw_metrics_destroy(m);
}

static void test_serve_port_in_use(void) {
        hw_metrics_t *a = hw_metrics_new(), *b = hw_metrics_new();
        struct sockaddr_in sin;
        socklen_t len = sizeof(sin);
        char bound[64], addr[64];
        int fd;

        if (!HW_CHECK(a != NULL && b != NULL))
                goto out;
        /* Taken by another metrics server. */
        if (CHECK_ERR(hw_metrics_serve(a, "127.0.0.1:0", bound, sizeof(bound),
                                       errstr, sizeof(errstr)),
                      HW_OK)) {
                errstr[0] = '\0';
                CHECK_ERR(hw_metrics_serve(b, bound, NULL, 0, errstr,
                                           sizeof(errstr)),
                          HW_ERR_IO);
                HW_CHECK_CONTAINS(errstr, bound);
        }

        /* Taken by a plain listening socket. */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (!HW_CHECK(fd >= 0))
                goto out;
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (HW_CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
                     listen(fd, 1) == 0 &&
                     getsockname(fd, (struct sockaddr *)&sin, &len) == 0)) {
                snprintf(addr, sizeof(addr), "127.0.0.1:%u",
                         (unsigned)ntohs(sin.sin_port));
                errstr[0] = '\0';
                CHECK_ERR(hw_metrics_serve(b, addr, bound, sizeof(bound),
                                           errstr, sizeof(errstr)),
                          HW_ERR_IO);
                HW_CHECK_STR(bound, "");
                HW_CHECK(errstr[0] != '\0');
        }
        close(fd);

        /* After the failures b still serves elsewhere. */
        CHECK_ERR(hw_metrics_serve(b, "127.0.0.1:0", bound, sizeof(bound),
                                   errstr, sizeof(errstr)),
                  HW_OK);
out:
        hw_metrics_destroy(a);
        hw_metrics_destroy(b);
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

int main(void) {
        /* Keep the run's output to the test lines (the module logs the
         * address it serves on, and one warning when the lag table is
         * full). */
        hw_log_set_level(HW_LOG_ERROR);
        HW_RUN_ISOLATED(test_serve_http);
        HW_RUN_ISOLATED(test_serve_port_in_use);
        HW_RUN(test_render_fresh);
        HW_RUN(test_render_counters);
        HW_RUN(test_render_rejected);
        HW_RUN(test_render_histogram);
        HW_RUN(test_render_lag);
        HW_RUN(test_lag_limit);
        HW_RUN(test_ready_gauge);
        HW_RUN(test_serve_localhost);
        HW_RUN(test_serve_bad_address);
        HW_RUN(test_concurrent_counters);
        return hw_test_summary();
}
