/*
 * The metrics registry (ops/hw_metrics.c) with hirewire's allocations
 * failing in turn (oom_fixtures.h): creating it reports out of memory;
 * rendering reports it with the text emptied, never a page with a hole
 * in it, and renders whole once memory is back; a partition's lag that
 * cannot be stored is left out of the gauge, the others kept, and stored
 * when set again (setting a lag can't fail); and /metrics answers 500
 * "out of memory" while memory is short (/healthz still answers), then
 * the whole page again.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hw_buf.h"
#include "hw_log.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "metrics_fixtures.h"
#include "oom_fixtures.h"

/* 1. Creating the registry. */
typedef struct new_case_s {
        hw_metrics_t *m;
} new_case_t;

static hw_err_t new_run(void *ctx, char *es, size_t size) {
        new_case_t *c = ctx;
        c->m = hw_metrics_new();
        if (c->m)
                return HW_OK;
        snprintf(es, size, "out of memory");
        return HW_ERR_NOMEM;
}

/* A registry that could not be made is NULL; one made renders. */
static void new_check(void *ctx, hw_err_t err, unsigned long failed,
                      const char *es) {
        new_case_t *c = ctx;
        hw_buf_t buf;
        (void)failed;
        (void)es;
        if (err) {
                HW_CHECK(c->m == NULL);
                c->m = hw_metrics_new();
        }
        if (!HW_CHECK(c->m != NULL))
                return;
        hw_buf_init(&buf);
        CHECK_LINE(render(c->m, &buf), "hirewire_messages_consumed_total 0");
        hw_buf_release(&buf);
}

static void new_teardown(void *ctx) {
        new_case_t *c = ctx;
        hw_metrics_destroy(c->m);
        c->m = NULL;
}

static void test_new(void) {
        new_case_t c = {NULL};
        hw_oom_case_t oc = {.what = "hw_metrics_new",
                            .ctx = &c,
                            .run = new_run,
                            .check = new_check,
                            .teardown = new_teardown};
        HW_CHECK(hw_oom_loop(&oc) > 0);
}

/* 2. Rendering a registry with counters, flushes, lags and a version. */
typedef struct render_case_s {
        hw_metrics_t *m;
        hw_buf_t buf;
} render_case_t;

static void render_setup(void *ctx) {
        render_case_t *c = ctx;
        c->m = hw_metrics_new();
        hw_buf_init(&c->buf);
        if (!c->m || hw_buf_append(&c->buf, "stale page\n", 11)) {
                fprintf(stderr, "test: out of memory\n");
                exit(2);
        }
        hw_metrics_add(c->m, HW_M_CONSUMED, 5);
        hw_metrics_rejected(c->m, "invalid_field");
        hw_metrics_observe_flush(c->m, 0.02);
        hw_metrics_set_lag(c->m, "talent.hires", 0, 12);
        hw_metrics_set_lag(c->m, "a\"b", 3, 1);
        hw_metrics_set_version(c->m, "1.2.3");
        hw_metrics_set_ready(c->m, 1, NULL);
}

static hw_err_t render_run(void *ctx, char *es, size_t size) {
        render_case_t *c = ctx;
        hw_err_t err = hw_metrics_render(c->m, &c->buf);
        if (err)
                snprintf(es, size, "out of memory");
        return err;
}

/* A render that failed left an empty text, not part of a page nor the
 * page before; rendered again, the page is whole. */
static void render_check(void *ctx, hw_err_t err, unsigned long failed,
                         const char *es) {
        render_case_t *c = ctx;
        const char *t;
        (void)failed;
        (void)es;
        if (err) {
                HW_CHECK_EQ_INT(c->buf.len, 0);
                HW_CHECK(!c->buf.data || c->buf.data[0] == '\0');
        }
        t = render(c->m, &c->buf);
        check_exposition(t);
        CHECK_LINE(t, "hirewire_messages_consumed_total 5");
        CHECK_LINE(t, "hirewire_events_rejected_total{class=\"invalid_field\"}"
                      " 1");
        CHECK_LINE(t, "hirewire_batch_flush_seconds_count 1");
        CHECK_LINE(t, "hirewire_consumer_lag{topic=\"a\\\"b\",partition=\"3\"}"
                      " 1");
        CHECK_LINE(t, "hirewire_consumer_lag{topic=\"talent.hires\","
                      "partition=\"0\"} 12");
        CHECK_LINE(t, "hirewire_build_info{version=\"1.2.3\"} 1");
        CHECK_LINE(t, "hirewire_ready 1");
}

static void render_teardown(void *ctx) {
        render_case_t *c = ctx;
        hw_metrics_destroy(c->m);
        hw_buf_release(&c->buf);
        c->m = NULL;
}

static void test_render(void) {
        render_case_t c;
        hw_oom_case_t oc = HW_OOM_CASE("hw_metrics_render", &c, render);
        HW_CHECK(hw_oom_loop(&oc) > 0);
}

/* 3. A 17th partition's lag: the table grows (realloc) and the topic is
 * copied (strdup). */
typedef struct lag_case_s {
        hw_metrics_t *m;
} lag_case_t;

static void lag_setup(void *ctx) {
        lag_case_t *c = ctx;
        c->m = hw_metrics_new();
        if (!c->m) {
                fprintf(stderr, "test: out of memory\n");
                exit(2);
        }
        for (int p = 0; p < 16; p++)
                hw_metrics_set_lag(c->m, "talent.hires", p, p);
}

static hw_err_t lag_run(void *ctx, char *es, size_t size) {
        lag_case_t *c = ctx;
        (void)es;
        (void)size;
        hw_metrics_set_lag(c->m, "talent.offers", 0, 99);
        return HW_OK;
}

/* The lag is in the gauge unless storing it failed; the 16 others are
 * there either way, and set again it is stored. */
static void lag_check(void *ctx, hw_err_t err, unsigned long failed,
                      const char *es) {
        lag_case_t *c = ctx;
        static const char line[] =
                "hirewire_consumer_lag{topic=\"talent.offers\","
                "partition=\"0\"} 99";
        hw_buf_t buf;
        const char *t;
        char want[128];
        (void)err;
        (void)es;
        hw_buf_init(&buf);
        t = render(c->m, &buf);
        if (failed)
                CHECK_NO_LINE(t, line);
        else
                CHECK_LINE(t, line);
        for (int p = 0; p < 16; p += 15) {
                snprintf(want, sizeof(want),
                         "hirewire_consumer_lag{topic=\"talent.hires\","
                         "partition=\"%d\"} %d",
                         p, p);
                CHECK_LINE(t, want);
        }
        hw_metrics_set_lag(c->m, "talent.offers", 0, 99);
        CHECK_LINE(render(c->m, &buf), line);
        hw_buf_release(&buf);
}

static void lag_teardown(void *ctx) {
        lag_case_t *c = ctx;
        hw_metrics_destroy(c->m);
        c->m = NULL;
}

static void test_lag(void) {
        lag_case_t c;
        hw_oom_case_t oc = HW_OOM_CASE("hw_metrics_set_lag", &c, lag);
        HW_CHECK(hw_oom_loop(&oc) > 0);
}

/* GET path from 127.0.0.1:port with buffers of its own (no allocation
 * the wrappers would fail): the status, the body in body. -1 when there
 * is no answer. */
static int get(int port, const char *path, char *body, size_t size) {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        struct timeval tv = {5, 0};
        char req[256], answer[65536];
        size_t got = 0;
        ssize_t n;
        int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
        const char *sep;

        body[0] = '\0';
        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        sin.sin_port = htons((uint16_t)port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n",
                     path);
        if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
            write(fd, req, (size_t)n) != n) {
                close(fd);
                return -1;
        }
        while (got < sizeof(answer) - 1 &&
               (n = read(fd, answer + got, sizeof(answer) - 1 - got)) > 0)
                got += (size_t)n;
        close(fd);
        answer[got] = '\0';
        if ((sep = strstr(answer, "\r\n\r\n")) &&
            sscanf(answer, "HTTP/1.%*d %d", &status) == 1)
                snprintf(body, size, "%s", sep + 4);
        return status;
}

/* 4. Served: while memory is short /metrics answers 500 and says why,
 * /healthz still answers; once it is back, the whole page. */
static void test_http(void) {
        static char body[65536];
        hw_metrics_t *m = hw_metrics_new();
        char bound[64], es[256];
        const char *colon;
        int port;

        if (!HW_CHECK(m != NULL))
                return;
        hw_metrics_add(m, HW_M_APPLIED, 3);
        hw_metrics_set_ready(m, 1, NULL);
        if (!HW_CHECK_EQ_INT(hw_metrics_serve(m, "127.0.0.1:0", bound,
                                              sizeof(bound), es, sizeof(es)),
                             HW_OK)) {
                hw_metrics_destroy(m);
                return;
        }
        colon = strrchr(bound, ':');
        port = colon ? atoi(colon + 1) : 0;

        hw_oom_arm(1, 1);
        HW_CHECK_EQ_INT(get(port, "/metrics", body, sizeof(body)), 500);
        HW_CHECK_STR(body, "out of memory\n");
        HW_CHECK_EQ_INT(get(port, "/healthz", body, sizeof(body)), 200);
        HW_CHECK_STR(body, "ok\n");
        HW_CHECK(hw_oom_disarm() > 0);

        HW_CHECK_EQ_INT(get(port, "/metrics", body, sizeof(body)), 200);
        check_exposition(body);
        CHECK_LINE(body, "hirewire_events_applied_total 3");
        hw_metrics_destroy(m);
}

int main(void) {
        hw_log_set_level(HW_LOG_ERROR);
        HW_RUN(test_new);
        HW_RUN(test_render);
        HW_RUN(test_lag);
        HW_RUN(test_http);
        return hw_test_summary();
}
