/*
 * The alert webhook's deliveries (outbox/hw_webhook.c) against the test's
 * redis-server (its port in argv[1]; tests/outbox_webhook.sh starts it)
 * and an HTTP server inside this program (webhook_fixtures.h): every alert
 * of the stream POSTed once, in order, as the JSON of its fields, the
 * position in Redis following; more alerts than one read of the stream
 * takes; the answer's body never printed; a stop in the middle of a batch
 * resumed by the next start with nothing sent twice; URLs libcurl cannot
 * use failing with their cause logged; damaged stream entries skipped; a
 * field that is not UTF-8 sent as null; a start that cannot work refused. Its failures (non-2xx answers, hang-ups,
 * timeouts, Redis errors) are test_webhook_faults.c's.
 *
 *   test_webhook REDIS_PORT
 */
#include <curl/curl.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_config.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "hw_webhook.h"
#include "webhook_fixtures.h"

/* A server answering 200 (with a body) gets each alert once, in stream
 * order, with all its fields; the position follows; the answer's body is
 * not printed; an alert added later is delivered too. */
static void test_delivers_each_alert_once_in_order(void) {
        static const char *sev[] = {"INFO", "WARN", "CRITICAL", "WARN"};
        hw_metrics_t *m = hw_metrics_new();
        char ids[4][64], got[64];
        capture_t out, log;
        hw_webhook_t *w;
        hw_config_t c;
        char *printed, *logged;

        if (serve(&c, "a:", NULL, 0, "3000", "100", "400"))
                return;
        for (int i = 0; i < 3; i++) {
                char name[16];
                snprintf(name, sizeof(name), "a-%d", i);
                add_alert("a:", name, sev[i], ids[i], sizeof(ids[i]));
        }
        capture_begin(&out, 1);
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(at_position("a:", ids[2]), 10000);
        HW_CHECK(at_position("a:", ids[2]));
        sleep_ms(700); /* idle: nothing is sent again */
        HW_CHECK_EQ_INT(requests(), 3);
        add_alert("a:", "a-3", sev[3], ids[3], sizeof(ids[3]));
        WAIT_FOR(at_position("a:", ids[3]), 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);
        printed = capture_end(&out);

        HW_CHECK(at_position("a:", ids[3]));
        if (HW_CHECK_EQ_INT(requests(), 4))
                for (size_t i = 0; i < 4; i++) {
                        char name[16];
                        snprintf(name, sizeof(name), "a-%zu", i);
                        HW_CHECK_STR(posted_id(i, got, sizeof(got)), name);
                        check_body(i, name, sev[i]);
                }
        HW_CHECK_EQ_INT(DELIVERED(m), 4);
        HW_CHECK_EQ_INT(FAILED(m), 0);
        HW_CHECK(!strstr(printed, ANSWER_BODY));
        HW_CHECK(!strstr(logged, "not delivered"));
        free(printed);
        finish(logged, &c, m);
}

/* More alerts than one read of the stream takes (50): all delivered, in
 * order, once; no metrics registry needed. */
static void test_more_alerts_than_a_batch(void) {
        enum { N = 120 };
        char last[64], got[64], want[16];
        hw_webhook_t *w;
        hw_config_t c;
        size_t bad = 0;

        if (serve(&c, "b:", NULL, 0, "3000", "100", "400"))
                return;
        for (int i = 0; i < N; i++) {
                snprintf(want, sizeof(want), "b-%03d", i);
                add_alert("b:", want, "INFO", last, sizeof(last));
        }
        w = start(&c, NULL);
        WAIT_FOR(at_position("b:", last), 30000);
        hw_webhook_stop(w);
        HW_CHECK(at_position("b:", last));
        if (HW_CHECK_EQ_INT(requests(), N))
                for (size_t i = 0; i < N; i++) {
                        snprintf(want, sizeof(want), "b-%03zu", i);
                        bad += strcmp(posted_id(i, got, sizeof(got)), want) !=
                               0;
                }
        HW_CHECK_EQ_INT(bad, 0);
        finish(NULL, &c, NULL);
}

/* A stop in the middle of a batch lets the POST in flight finish and
 * keeps its position; the next start delivers the rest: every alert once,
 * in order. */
static void test_stop_mid_batch_then_resume(void) {
        enum { N = 60 };
        hw_metrics_t *m = hw_metrics_new();
        char ids[N][64], got[64], want[16];
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        size_t first, bad = 0;

        if (serve(&c, "l:", NULL, 0, "3000", "100", "400"))
                return;
        pthread_mutex_lock(&srv.lock);
        srv.rest.delay_ms = 100;
        pthread_mutex_unlock(&srv.lock);
        for (int i = 0; i < N; i++) {
                snprintf(want, sizeof(want), "l-%02d", i);
                add_alert("l:", want, "INFO", ids[i], sizeof(ids[i]));
        }
        w = start(&c, m);
        WAIT_FOR(requests() >= 5, 10000);
        t0 = now_ms();
        hw_webhook_stop(w);
        took = now_ms() - t0;
        first = requests();
        HW_CHECK_MSG(took < 1000, "stop took %lld ms", (long long)took);
        if (!HW_CHECK(first >= 5 && first < N))
                goto done;
        HW_CHECK(at_position("l:", ids[first - 1]));
        HW_CHECK_EQ_INT(DELIVERED(m), (long long)first);

        pthread_mutex_lock(&srv.lock);
        srv.rest.delay_ms = 0;
        pthread_mutex_unlock(&srv.lock);
        w = start(&c, m);
        WAIT_FOR(at_position("l:", ids[N - 1]), 20000);
        hw_webhook_stop(w);
        HW_CHECK(at_position("l:", ids[N - 1]));
        if (HW_CHECK_EQ_INT(requests(), N))
                for (size_t i = 0; i < N; i++) {
                        snprintf(want, sizeof(want), "l-%02zu", i);
                        bad += strcmp(posted_id(i, got, sizeof(got)), want) !=
                               0;
                }
        HW_CHECK_EQ_INT(bad, 0);
        HW_CHECK_EQ_INT(DELIVERED(m), N);
done:
        finish(NULL, &c, m);
}

/* URLs libcurl cannot use: every attempt fails with its reason logged,
 * nothing moves. */
static void test_bad_urls(void) {
        static const struct {
                const char *url;
                CURLcode want;
        } cases[] = {
                {"notaproto://127.0.0.1/hook", CURLE_UNSUPPORTED_PROTOCOL},
                {"http://[::1/hook", CURLE_URL_MALFORMAT},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                hw_metrics_t *m = hw_metrics_new();
                char id[64], got[64];
                capture_t log;
                hw_webhook_t *w;
                hw_config_t c;
                char *logged;

                if (conf_for(&c, "f:", cases[i].url, "1000", "50", "100"))
                        return;
                if (i == 0)
                        add_alert("f:", "f-1", "INFO", id, sizeof(id));
                capture_begin(&log, 2);
                w = start(&c, m);
                WAIT_FOR(FAILED(m) >= 2, 10000);
                hw_webhook_stop(w);
                logged = capture_end(&log);
                HW_CONTEXT("url %s", cases[i].url);
                HW_CHECK(FAILED(m) >= 2);
                HW_CHECK_EQ_INT(DELIVERED(m), 0);
                HW_CHECK_CONTAINS(logged, "alert f-1 not delivered: ");
                HW_CHECK_CONTAINS(logged, curl_easy_strerror(cases[i].want));
                HW_CHECK_STR(position("f:", got, sizeof(got)), "(nil)");
                HW_CONTEXT("%s", "");
                finish(logged, &c, m);
        }
}

/* Stream entries that are not alerts (a field missing, event_ids not
 * JSON) are logged and passed over; the alert after them is delivered. */
static void test_damaged_entries_skipped(void) {
        hw_metrics_t *m = hw_metrics_new();
        char id[64], got[64];
        hw_config_t c;
        char *logged;

        if (serve(&c, "g:", NULL, 0, "3000", "50", "200"))
                return;
        run("XADD g:alerts * alert_id g-no-rule subject s summary s "
            "event_ids []");
        run("XADD g:alerts * alert_id g-bad-ids rule raid subject s summary "
            "s event_ids not-json");
        add_alert("g:", "g-good", "INFO", id, sizeof(id));
        logged = deliver(&c, m, "g:", id, 10000);
        HW_CHECK(at_position("g:", id));
        if (HW_CHECK_EQ_INT(requests(), 1))
                HW_CHECK_STR(posted_id(0, got, sizeof(got)), "g-good");
        HW_CHECK_EQ_INT(occurrences(logged, "is damaged"), 2);
        HW_CHECK_EQ_INT(DELIVERED(m), 1);
        HW_CHECK_EQ_INT(FAILED(m), 0);
        finish(logged, &c, m);
}

/* A field that is not UTF-8 (a stream written by something else than
 * hirewire): the alert is delivered once all the same, that field null,
 * the others as they are; it is not retried for ever. */
static void test_field_not_utf8(void) {
        hw_metrics_t *m = hw_metrics_new();
        char id[64] = "";
        hw_config_t c;
        char *logged;
        redisReply *r;
        json_t *o;

        if (serve(&c, "u:", NULL, 0, "3000", "50", "200"))
                return;
        r = redisCommand(side,
                         "XADD u:alerts * alert_id u-bytes rule raid severity "
                         "INFO subject %b summary u-summary event_time "
                         "1750000000000 raised_at 1750000000123 event_ids "
                         "[\"e-1\"] attributes {}",
                         "caf\xe9", (size_t)4);
        if (HW_CHECK(r && r->type == REDIS_REPLY_STRING))
                snprintf(id, sizeof(id), "%s", r->str);
        freeReplyObject(r);
        logged = deliver(&c, m, "u:", id, 10000);
        HW_CHECK(at_position("u:", id));
        if (HW_CHECK_EQ_INT(requests(), 1)) {
                o = json_loads(srv.req[0].body, 0, NULL);
                HW_CHECK_STR(json_string_value(json_object_get(o, "alert_id")),
                             "u-bytes");
                HW_CHECK(json_is_null(json_object_get(o, "subject")));
                HW_CHECK_STR(json_string_value(json_object_get(o, "summary")),
                             "u-summary");
                json_decref(o);
        }
        HW_CHECK_EQ_INT(DELIVERED(m), 1);
        HW_CHECK_EQ_INT(FAILED(m), 0);
        finish(logged, &c, m);
}

/* A config the store refuses: no webhook, the reason in errstr (and
 * nothing leaked). Stopping NULL is harmless. */
static void test_start_refused(void) {
        hw_webhook_t *w;
        hw_config_t c;

        if (conf_for(&c, "k:", "http://127.0.0.1:1/hook", "1000", "50", "100"))
                return;
        free(c.redis_url);
        c.redis_url = strdup("memcached://127.0.0.1");
        errstr[0] = '\0';
        w = hw_webhook_start(&c, "g", NULL, errstr, sizeof(errstr));
        HW_CHECK_NULL(w);
        HW_CHECK_CONTAINS(errstr, "expected");
        hw_webhook_stop(NULL);
        hw_config_release(&c);
}

static void run_all(void) {
        HW_RUN(test_delivers_each_alert_once_in_order);
        HW_RUN(test_more_alerts_than_a_batch);
        HW_RUN(test_stop_mid_batch_then_resume);
        HW_RUN(test_bad_urls);
        HW_RUN(test_damaged_entries_skipped);
        HW_RUN(test_field_not_utf8);
        HW_RUN(test_start_refused);
}

int main(int argc, char **argv) {
        return webhook_main(argc, argv, run_all);
}
