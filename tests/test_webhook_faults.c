/*
 * The alert webhook's failures (outbox/hw_webhook.c) against the test's
 * redis-server (its port in argv[1]; tests/outbox_webhook.sh starts it)
 * and an HTTP server inside this program (webhook_fixtures.h): non-2xx
 * answers (a final 101 too), hang-ups, refused connections and timeouts
 * retried with a capped backoff that a success resets, each failure
 * logged with its cause and counted; the position in Redis moving only
 * after a 2xx answer; Redis errors, and Redis not there at all, retried
 * at a backing-off pace; Jansson out of memory at each of its
 * allocations in turn, the alert then POSTed once with its body whole;
 * stop prompt, during a POST that hangs or a long backoff. The
 * deliveries themselves are test_webhook.c's.
 *
 *   test_webhook_faults REDIS_PORT
 */
#include <curl/curl.h>
#include <jansson.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_config.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "hw_webhook.h"
#include "webhook_fixtures.h"

/* Non-2xx answers (500, 503, 404, 301) are retried after 100, 200, 400
 * then 800 ms (capped at 800); the position moves only after the 200; each
 * failure is logged with its status and counted; the next alert's first
 * retry waits the minimum again. */
static void test_non_2xx_retried_with_backoff(void) {
        static const reply_t script[] = {{500, 0}, {503, 0}, {404, 0},
                                         {301, 0}, {500, 0}, {200, 0},
                                         {500, 0}, {200, 0}};
        static const int want_gap[] = {100, 200, 400, 800, 800};
        hw_metrics_t *m = hw_metrics_new();
        char a[64], b[64], got[64], pos[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;

        if (serve(&c, "c:", script, sizeof(script) / sizeof(script[0]), "3000",
                  "100", "800"))
                return;
        add_alert("c:", "c-a", "WARN", a, sizeof(a));
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(requests() >= 3, 10000);
        /* Failed so far: the position has not moved. */
        HW_CHECK_STR(position("c:", pos, sizeof(pos)), "(nil)");
        WAIT_FOR(at_position("c:", a), 15000);
        HW_CHECK(at_position("c:", a));
        add_alert("c:", "c-b", "WARN", b, sizeof(b));
        WAIT_FOR(at_position("c:", b), 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);

        HW_CHECK(at_position("c:", b));
        if (HW_CHECK_EQ_INT(requests(), 8)) {
                for (size_t i = 0; i < 8; i++)
                        HW_CHECK_STR(posted_id(i, got, sizeof(got)),
                                     i < 6 ? "c-a" : "c-b");
                for (size_t i = 1; i < 6; i++) {
                        int64_t gap = srv.req[i].at_ms - srv.req[i - 1].at_ms;
                        HW_CONTEXT("retry %zu of c-a", i);
                        HW_CHECK_MSG(gap >= want_gap[i - 1],
                                     "waited %lld ms, want >= %d",
                                     (long long)gap, want_gap[i - 1]);
                }
                HW_CONTEXT("%s", "");
                /* Capped: 800, not 1600. */
                HW_CHECK_MSG(srv.req[5].at_ms - srv.req[4].at_ms < 1600,
                             "the last retry of c-a waited %lld ms",
                             (long long)(srv.req[5].at_ms - srv.req[4].at_ms));
                /* Reset by the success: 100, not 800. */
                HW_CHECK_MSG(srv.req[7].at_ms - srv.req[6].at_ms < 800,
                             "the retry of c-b waited %lld ms",
                             (long long)(srv.req[7].at_ms - srv.req[6].at_ms));
        }
        HW_CHECK_EQ_INT(DELIVERED(m), 2);
        HW_CHECK_EQ_INT(FAILED(m), 6);
        HW_CHECK_EQ_INT(occurrences(logged, "alert c-a not delivered: HTTP "
                                            "status 500"),
                        2);
        HW_CHECK_CONTAINS(logged, "alert c-a not delivered: HTTP status 503");
        HW_CHECK_CONTAINS(logged, "alert c-a not delivered: HTTP status 404");
        HW_CHECK_CONTAINS(logged, "alert c-a not delivered: HTTP status 301");
        HW_CHECK_CONTAINS(logged, "alert c-b not delivered: HTTP status 500");
        HW_CHECK_CONTAINS(logged, "level=warn component=webhook");
        finish(logged, &c, m);
}

/* A server that hangs up without answering, then one that is not there
 * yet: both failures logged with libcurl's reason, the alert delivered
 * once the server answers. */
static void test_hang_up_and_server_down(void) {
        static const reply_t hang_up[] = {{0, 0}};
        hw_metrics_t *m = hw_metrics_new();
        char url[64], id[64], got[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;
        int port;

        if (serve(&c, "d:", hang_up, 1, "3000", "50", "200"))
                return;
        add_alert("d:", "d-hang-up", "INFO", id, sizeof(id));
        logged = deliver(&c, m, "d:", id, 10000);
        HW_CHECK(at_position("d:", id));
        if (HW_CHECK_EQ_INT(requests(), 2)) {
                HW_CHECK_STR(posted_id(0, got, sizeof(got)), "d-hang-up");
                HW_CHECK_STR(posted_id(1, got, sizeof(got)), "d-hang-up");
        }
        HW_CHECK_CONTAINS(logged, "alert d-hang-up not delivered: ");
        HW_CHECK_CONTAINS(logged, curl_easy_strerror(CURLE_GOT_NOTHING));
        HW_CHECK_EQ_INT(FAILED(m), 1);
        HW_CHECK_EQ_INT(DELIVERED(m), 1);
        finish(logged, &c, m);

        /* Nothing listens on the port yet. */
        m = hw_metrics_new();
        port = hw_test_closed_port();
        url_of(url, sizeof(url), port);
        if (!HW_CHECK(port > 0) ||
            conf_for(&c, "d2:", url, "3000", "50", "200"))
                return;
        add_alert("d2:", "d-late", "INFO", id, sizeof(id));
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(FAILED(m) >= 2, 10000);
        HW_CHECK_STR(position("d2:", got, sizeof(got)), "(nil)");
        if (!server_start(port, NULL, 0))
                WAIT_FOR(at_position("d2:", id), 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);
        HW_CHECK(at_position("d2:", id));
        HW_CHECK(FAILED(m) >= 2);
        HW_CHECK_EQ_INT(DELIVERED(m), 1);
        if (HW_CHECK_EQ_INT(requests(), 1))
                HW_CHECK_STR(posted_id(0, got, sizeof(got)), "d-late");
        HW_CHECK_CONTAINS(logged, "alert d-late not delivered: ");
        HW_CHECK_CONTAINS(logged, curl_easy_strerror(CURLE_COULDNT_CONNECT));
        finish(logged, &c, m);
}

/* A server that never answers: the POST times out (logged), and stop,
 * called while it hangs, returns once the timeout is up. A slow server
 * within the timeout is a success; one past it is retried. */
static void test_timeouts(void) {
        static const reply_t slow[] = {{200, 1500}, {200, 300}};
        hw_metrics_t *m = hw_metrics_new();
        char url[64], id[64], id2[64], got[64];
        struct pollfd pfd = {.events = POLLIN};
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        char *logged;
        int port;

        if ((pfd.fd = silent_listener(&port)) < 0)
                return;
        url_of(url, sizeof(url), port);
        if (conf_for(&c, "e:", url, "1000", "500", "1000"))
                return;
        add_alert("e:", "e-silent", "INFO", id, sizeof(id));
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(FAILED(m) >= 1, 10000);
        /* Past the timed-out connection, a new one is the retry's: its
         * POST hangs when stop is called. */
        drain(pfd.fd);
        HW_CHECK(poll(&pfd, 1, 5000) == 1);
        t0 = now_ms();
        hw_webhook_stop(w);
        took = now_ms() - t0;
        logged = capture_end(&log);
        close(pfd.fd);
        HW_CHECK_MSG(took < 3000, "stop took %lld ms", (long long)took);
        HW_CHECK_CONTAINS(logged, curl_easy_strerror(CURLE_OPERATION_TIMEDOUT));
        HW_CHECK_STR(position("e:", got, sizeof(got)), "(nil)");
        HW_CHECK_EQ_INT(DELIVERED(m), 0);
        finish(logged, &c, m);

        /* 1.5 s past a 1 s timeout: retried; 0.3 s: in time. */
        m = hw_metrics_new();
        if (serve(&c, "e2:", slow, 2, "1000", "50", "200"))
                return;
        add_alert("e2:", "e-slow", "INFO", id, sizeof(id));
        add_alert("e2:", "e-slow-2", "INFO", id2, sizeof(id2));
        logged = deliver(&c, m, "e2:", id2, 15000);
        HW_CHECK(at_position("e2:", id2));
        HW_CHECK_EQ_INT(FAILED(m), 1);
        HW_CHECK_EQ_INT(DELIVERED(m), 2);
        if (HW_CHECK_EQ_INT(requests(), 3)) {
                HW_CHECK_STR(posted_id(0, got, sizeof(got)), "e-slow");
                HW_CHECK_STR(posted_id(1, got, sizeof(got)), "e-slow");
                HW_CHECK_STR(posted_id(2, got, sizeof(got)), "e-slow-2");
        }
        HW_CHECK_EQ_INT(occurrences(logged, curl_easy_strerror(
                                                    CURLE_OPERATION_TIMEDOUT)),
                        1);
        finish(logged, &c, m);
}

/* Redis errors: a stream key of another type is logged and retried with
 * a growing delay until it is fixed; a position that cannot be stored
 * (Redis out of memory) means the alert is POSTed again (at least once)
 * until it can. */
static void test_redis_errors(void) {
        static const reply_t script[] = {{200, 0}, {200, 1000}};
        hw_metrics_t *m = hw_metrics_new();
        char a[64], b[64], got[64];
        int warned, b_posts = 0;
        size_t n;
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;

        if (serve(&c, "h:", script, 2, "3000", "50", "400"))
                return;
        run("SET h:alerts not-a-stream");
        capture_begin(&log, 2);
        w = start(&c, m);
        sleep_ms(1500);
        run("DEL h:alerts");
        add_alert("h:", "h-a", "INFO", a, sizeof(a));
        WAIT_FOR(at_position("h:", a), 10000);
        HW_CHECK(at_position("h:", a));

        /* h-b's first POST is answered after 1 s: by then Redis refuses
         * writes, the SET of the position among them. */
        add_alert("h:", "h-b", "INFO", b, sizeof(b));
        run("CONFIG SET maxmemory 1");
        WAIT_FOR(requests() >= 3, 10000);
        run("CONFIG SET maxmemory 0");
        WAIT_FOR(at_position("h:", b), 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);

        HW_CHECK(at_position("h:", b));
        n = requests();
        for (size_t i = 0; i < n && i < MAX_REQUESTS; i++)
                b_posts += !strcmp(posted_id(i, got, sizeof(got)), "h-b");
        HW_CHECK_MSG(b_posts >= 2, "h-b POSTed %d times", b_posts);
        HW_CHECK_STR(posted_id(0, got, sizeof(got)), "h-a");
        HW_CHECK_EQ_INT(n, (size_t)b_posts + 1);
        HW_CHECK_CONTAINS(logged, "XRANGE alerts");
        HW_CHECK_CONTAINS(logged, "WRONGTYPE");
        HW_CHECK_CONTAINS(logged, "SET alerts position");
        HW_CHECK_CONTAINS(logged, "OOM");
        /* 1.5 s of errors at 50, 100, 200, 400, 400 ... ms: a handful of
         * warnings, not one every 50 ms. */
        warned = occurrences(logged, "XRANGE alerts");
        HW_CHECK_MSG(warned >= 2 && warned <= 9,
                     "%d warnings about the stream in 1.5 s", warned);
        finish(logged, &c, m);
}

/* Redis not there at all: the start works (it connects lazily), each
 * attempt is logged at a backing-off pace, nothing is POSTed, and stop
 * returns at once. */
static void test_redis_down(void) {
        char redis[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        char *logged;
        int warned, port = hw_test_closed_port();

        snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", port);
        if (serve(&c, "i:", NULL, 0, "1000", "100", "400") ||
            !HW_CHECK(port > 0) ||
            !HW_CHECK(!hw_config_set(&c, "redis.url", redis, errstr,
                                     sizeof(errstr))))
                return;
        capture_begin(&log, 2);
        w = start(&c, NULL);
        sleep_ms(1500);
        t0 = now_ms();
        hw_webhook_stop(w);
        took = now_ms() - t0;
        logged = capture_end(&log);
        HW_CHECK_MSG(took < 1000, "stop took %lld ms", (long long)took);
        HW_CHECK_EQ_INT(requests(), 0);
        warned = occurrences(logged, "component=webhook");
        /* 100, 200, 400, 400 ... ms apart: 3 to 6 in 1.5 s. */
        HW_CHECK_MSG(warned >= 2 && warned <= 7,
                     "%d warnings with Redis down for 1.5 s", warned);
        HW_CHECK_CONTAINS(logged, redis + strlen("redis://"));
        finish(logged, &c, NULL);
}

/* A stop during a long backoff does not wait for it. */
static void test_stop_during_backoff(void) {
        static const reply_t fail[] = {{500, 0}, {500, 0}};
        char id[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        char *logged;

        if (serve(&c, "j:", fail, 2, "1000", "10000", "20000"))
                return;
        add_alert("j:", "j-1", "INFO", id, sizeof(id));
        capture_begin(&log, 2);
        w = start(&c, NULL);
        WAIT_FOR(requests() >= 1, 10000);
        sleep_ms(200);
        t0 = now_ms();
        hw_webhook_stop(w);
        took = now_ms() - t0;
        logged = capture_end(&log);
        HW_CHECK_EQ_INT(requests(), 1);
        HW_CHECK_MSG(took < 1000, "stop took %lld ms", (long long)took);
        finish(logged, &c, NULL);
}

/* Answers the next connection to the listening socket fd with text once
 * its request has arrived (5 s at most), then closes it. 0, or -1. */
static int answer_raw(int fd, const char *text) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buf[4096];
        int c;

        if (poll(&p, 1, 5000) != 1 || (c = accept(fd, NULL, NULL)) < 0)
                return -1;
        p.fd = c;
        while (poll(&p, 1, 300) == 1 && read(c, buf, sizeof(buf)) > 0)
                ;
        (void)!write(c, text, strlen(text));
        close(c);
        return 0;
}

/* An answer below 200 that libcurl takes as final: "101 Switching
 * Protocols" with a body, to a POST that asked for no upgrade. Not a
 * delivery: logged with its status, counted failed, the position not
 * moved. */
static void test_switching_protocols_not_delivered(void) {
        hw_metrics_t *m = hw_metrics_new();
        char url[64], id[64], got[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;
        int port, fd = silent_listener(&port);

        if (fd < 0)
                return;
        url_of(url, sizeof(url), port);
        if (conf_for(&c, "s:", url, "500", "50", "100")) {
                close(fd);
                return;
        }
        add_alert("s:", "s-101", "INFO", id, sizeof(id));
        capture_begin(&log, 2);
        w = start(&c, m);
        HW_CHECK_EQ_INT(answer_raw(fd, "HTTP/1.1 101 Switching Protocols\r\n"
                                       "Content-Length: 2\r\n\r\nok"),
                        0);
        WAIT_FOR(FAILED(m) >= 1, 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);
        close(fd);
        HW_CHECK(FAILED(m) >= 1);
        HW_CHECK_EQ_INT(DELIVERED(m), 0);
        HW_CHECK_STR(position("s:", got, sizeof(got)), "(nil)");
        HW_CHECK_CONTAINS(logged, "alert s-101 not delivered: HTTP status 101");
        finish(logged, &c, m);
}

/* Jansson's allocations (json_set_alloc_funcs), counted from when
 * json_fail_at is set: that one fails. */
static atomic_ulong json_allocs, json_fail_at, json_failed;

static void *json_counting_malloc(size_t n) {
        unsigned long k = atomic_fetch_add(&json_allocs, 1) + 1;
        if (k == atomic_load(&json_fail_at)) {
                atomic_fetch_add(&json_failed, 1);
                return NULL;
        }
        return malloc(n);
}

/* Jansson out of memory once, at each of its allocations in turn from
 * when an alert is added (the webhook idles until then: an empty stream
 * parses nothing): reading the alert, or making the JSON body of its
 * POST, fails; nothing is POSTed for it then, and the retry delivers it,
 * once, its body whole, before the position moves. */
static void test_json_out_of_memory(void) {
        hw_metrics_t *m = hw_metrics_new();
        char alert[32], id[64], got[64];
        unsigned long n, failed = 1;
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;

        json_set_alloc_funcs(json_counting_malloc, free);
        if (serve(&c, "j:", NULL, 0, "3000", "20", "40"))
                goto out;
        capture_begin(&log, 2);
        w = start(&c, m);
        sleep_ms(100);
        for (n = 1; failed && n < 100; n++) {
                size_t before = requests();
                HW_CONTEXT("Jansson's allocation %lu failing", n);
                snprintf(alert, sizeof(alert), "j-%lu", n);
                atomic_store(&json_failed, 0);
                atomic_store(&json_allocs, 0);
                atomic_store(&json_fail_at, n);
                add_alert("j:", alert, "INFO", id, sizeof(id));
                WAIT_FOR(at_position("j:", id), 10000);
                atomic_store(&json_fail_at, 0);
                failed = atomic_load(&json_failed);
                HW_CHECK(at_position("j:", id));
                if (HW_CHECK_EQ_INT(requests(), before + 1)) {
                        HW_CHECK_STR(posted_id(before, got, sizeof(got)),
                                     alert);
                        check_body(before, alert, "INFO");
                }
        }
        HW_CONTEXT("%s", "");
        HW_CHECK_MSG(!failed, "Jansson still allocating after %lu", n);
        HW_CHECK_MSG(n > 3, "only %lu of Jansson's allocations failed", n - 1);
        hw_webhook_stop(w);
        logged = capture_end(&log);
        HW_CHECK_EQ_INT(DELIVERED(m), (long long)n - 1);
        finish(logged, &c, NULL);
out:
        json_set_alloc_funcs(malloc, free);
        hw_metrics_destroy(m);
}

/* The server failing: non-2xx answers, hang-ups, no server, timeouts. */
static void server_failures(void) {
        HW_RUN(test_non_2xx_retried_with_backoff);
        HW_RUN(test_hang_up_and_server_down);
        HW_RUN(test_timeouts);
        HW_RUN(test_switching_protocols_not_delivered);
}

/* Memory failing. */
static void memory_failures(void) {
        HW_RUN(test_json_out_of_memory);
}

/* Redis failing: error replies, then no Redis at all. */
static void redis_failures(void) {
        HW_RUN(test_redis_errors);
        HW_RUN(test_redis_down);
}

static void run_all(void) {
        server_failures();
        redis_failures();
        memory_failures();
        HW_RUN(test_stop_during_backoff);
}

int main(int argc, char **argv) {
        return webhook_main(argc, argv, run_all);
}
