/*
 * The alert webhook (outbox/hw_webhook.c) against the test's redis-server
 * (its port in argv[1]; tests/outbox_webhook.sh starts it) and an HTTP
 * server inside this program (libmicrohttpd) whose answers each case
 * scripts: every alert of the stream POSTed once, in order, as the JSON
 * of its fields; non-2xx answers, hang-ups, refused connections, timeouts
 * and bad URLs retried with a capped backoff that a success resets, each
 * failure logged with its cause and counted; the position in Redis moving
 * only after a 2xx answer; damaged stream entries skipped; Redis errors
 * retried at a backing-off pace; the answer's body never printed; stop
 * prompt, and a stop in the middle of a batch resumed by the next start
 * with nothing sent twice; a start that cannot work refused. Each case has
 * its own key prefix.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw_buf.h"
#include "hw_config.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "hw_webhook.h"

static int redis_port;
static redisContext *side; /* the test's own connection */
static char errstr[1024];

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* Evaluates cond every 20 ms until it holds or ms have passed. */
#define WAIT_FOR(cond, ms)                                                     \
        for (int64_t until_ = now_ms() + (ms); !(cond) && now_ms() < until_;)  \
        sleep_ms(20)

/* ------------------------------------------------------------------ */
/* The HTTP server                                                     */
/* ------------------------------------------------------------------ */

/* How the server answers one request. */
typedef struct reply_s {
        unsigned status; /* 0: close the connection without an answer */
        int delay_ms;    /* before answering */
} reply_t;

#define MAX_SCRIPT 16
#define MAX_REQUESTS 256
#define ANSWER_BODY "ANSWER-BODY-OF-THE-WEBHOOK-SERVER"

typedef struct request_s {
        char method[16];
        char path[64];
        char content_type[64];
        char user_agent[64];
        char *body;    /* NUL-terminated */
        int64_t at_ms; /* when it had arrived whole */
} request_t;

static struct server_s {
        struct MHD_Daemon *d;
        int port;
        pthread_mutex_t lock;
        reply_t script[MAX_SCRIPT]; /* the answers to the first requests */
        size_t n_script;
        reply_t rest; /* the answer to the others */
        request_t req[MAX_REQUESTS];
        size_t n; /* requests received */
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* A request's body as it arrives. */
typedef struct upload_s {
        char *data;
        size_t len;
} upload_t;

static void copy_header(struct MHD_Connection *conn, const char *name,
                        char *out, size_t size) {
        const char *v =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
        snprintf(out, size, "%s", v ? v : "");
}

/* Records each request once its body has arrived, then answers it as the
 * script says (200 past its end). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
        upload_t *up = *con_cls;
        struct MHD_Response *r;
        reply_t reply;
        enum MHD_Result ret;

        (void)cls;
        (void)version;
        if (!up) { /* the headers: the body, if any, follows */
                if (!(up = calloc(1, sizeof(*up))))
                        return MHD_NO;
                *con_cls = up;
                return MHD_YES;
        }
        if (*data_size) {
                char *p = realloc(up->data, up->len + *data_size + 1);
                if (!p)
                        return MHD_NO;
                memcpy(p + up->len, data, *data_size);
                up->len += *data_size;
                p[up->len] = '\0';
                up->data = p;
                *data_size = 0;
                return MHD_YES;
        }
        pthread_mutex_lock(&srv.lock);
        if (srv.n < MAX_REQUESTS) {
                request_t *q = &srv.req[srv.n];
                snprintf(q->method, sizeof(q->method), "%s", method);
                snprintf(q->path, sizeof(q->path), "%s", url);
                copy_header(conn, "Content-Type", q->content_type,
                            sizeof(q->content_type));
                copy_header(conn, "User-Agent", q->user_agent,
                            sizeof(q->user_agent));
                q->body = strdup(up->data ? up->data : "");
                q->at_ms = now_ms();
        }
        reply = srv.n < srv.n_script ? srv.script[srv.n] : srv.rest;
        srv.n++;
        pthread_mutex_unlock(&srv.lock);
        if (reply.delay_ms)
                sleep_ms(reply.delay_ms);
        if (!reply.status)
                return MHD_NO;
        r = MHD_create_response_from_buffer(strlen(ANSWER_BODY), ANSWER_BODY,
                                            MHD_RESPMEM_PERSISTENT);
        if (!r)
                return MHD_NO;
        ret = MHD_queue_response(conn, reply.status, r);
        MHD_destroy_response(r);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why) {
        upload_t *up = *con_cls;

        (void)cls;
        (void)conn;
        (void)why;
        if (up) {
                free(up->data);
                free(up);
                *con_cls = NULL;
        }
}

/* Starts the server on 127.0.0.1:port (0: a free one) with the answers of
 * script, then 200 at once. Returns 0, or -1 after a failed check. */
static int server_start(int port, const reply_t *script, size_t n) {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        const union MHD_DaemonInfo *info;

        memset(srv.req, 0, sizeof(srv.req));
        srv.n = 0;
        srv.n_script = n;
        srv.rest = (reply_t){200, 0};
        if (n)
                memcpy(srv.script, script, n * sizeof(*script));
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sin.sin_port = htons((uint16_t)port);
        srv.d = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                (struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED,
                on_completed, NULL, MHD_OPTION_END);
        info = srv.d ? MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT)
                     : NULL;
        if (!HW_CHECK_MSG(info != NULL, "cannot start the HTTP server"))
                return -1;
        srv.port = info->port;
        return 0;
}

static void server_stop(void) {
        if (srv.d)
                MHD_stop_daemon(srv.d);
        srv.d = NULL;
        for (size_t i = 0; i < srv.n && i < MAX_REQUESTS; i++)
                free(srv.req[i].body);
        srv.n = 0;
}

static size_t requests(void) {
        size_t n;
        pthread_mutex_lock(&srv.lock);
        n = srv.n;
        pthread_mutex_unlock(&srv.lock);
        return n;
}

/* The alert_id of request i's body ("" when it is not an alert). */
static const char *posted_id(size_t i, char *out, size_t size) {
        json_t *o = json_loads(srv.req[i].body, 0, NULL);
        const char *id = json_string_value(json_object_get(o, "alert_id"));

        snprintf(out, size, "%s", id ? id : "");
        json_decref(o);
        return out;
}

/* A socket that listens and never accepts: a connection to it waits for
 * an answer that never comes. Its port in *port. */
static int silent_listener(int *port) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
            listen(fd, 8) || getsockname(fd, (struct sockaddr *)&a, &len)) {
                HW_CHECK_MSG(0, "cannot listen: %s", strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        *port = ntohs(a.sin_port);
        return fd;
}

/* Accepts and closes the connections waiting on a listening socket. */
static void drain(int fd) {
        int c;

        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        while ((c = accept(fd, NULL, NULL)) >= 0)
                close(c);
}

/* ------------------------------------------------------------------ */
/* What the program writes: stderr (the log) and stdout, into files     */
/* ------------------------------------------------------------------ */

typedef struct capture_s {
        int fd;    /* 1 or 2 */
        int saved; /* the original, restored at the end */
        char path[64];
} capture_t;

static void capture_begin(capture_t *c, int fd) {
        int tmp;

        fflush(fd == 1 ? stdout : stderr);
        snprintf(c->path, sizeof(c->path), "/tmp/test_webhook.XXXXXX");
        c->fd = fd;
        c->saved = dup(fd);
        tmp = mkstemp(c->path);
        if (!HW_CHECK(c->saved >= 0 && tmp >= 0))
                return;
        dup2(tmp, fd);
        close(tmp);
}

/* Restores the stream and returns what was written meanwhile (to free);
 * the log is also copied to the real stderr. */
static char *capture_end(capture_t *c) {
        char *text = NULL;
        FILE *fp;
        long len;

        fflush(c->fd == 1 ? stdout : stderr);
        if (c->saved < 0)
                return strdup("");
        dup2(c->saved, c->fd);
        close(c->saved);
        fp = fopen(c->path, "r");
        if (fp && !fseek(fp, 0, SEEK_END) && (len = ftell(fp)) >= 0 &&
            !fseek(fp, 0, SEEK_SET) && (text = calloc(1, (size_t)len + 1)) &&
            fread(text, 1, (size_t)len, fp) != (size_t)len)
                text[0] = '\0';
        if (fp)
                fclose(fp);
        unlink(c->path);
        if (text && c->fd == 2)
                fputs(text, stderr);
        return text ? text : strdup("");
}

/* How many times needle occurs in hay. */
static int occurrences(const char *hay, const char *needle) {
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* ------------------------------------------------------------------ */
/* Redis, the config, the webhook                                      */
/* ------------------------------------------------------------------ */

/* Runs a command on the side connection; 0, or -1 after a failed check. */
static int run(const char *fmt, ...) {
        redisReply *r;
        va_list ap;
        int ok;

        va_start(ap, fmt);
        r = redisvCommand(side, fmt, ap);
        va_end(ap);
        ok = HW_CHECK_MSG(r && r->type != REDIS_REPLY_ERROR, "%s: %s", fmt,
                          r ? r->str : side->errstr);
        freeReplyObject(r);
        return ok ? 0 : -1;
}

/* Adds an alert to <prefix>alerts as the atomic step writes it; its
 * stream id into id. */
static void add_alert(const char *prefix, const char *alert_id,
                      const char *severity, char *id, size_t size) {
        redisReply *r = redisCommand(
                side,
                "XADD %salerts * alert_id %s rule raid severity %s subject "
                "%s-subject summary %s-summary event_time 1750000000000 "
                "raised_at 1750000000123 event_ids [\"e-1\",\"e-2\"] "
                "attributes {\"lab\":\"Meta\",\"count\":\"5\"}",
                prefix, alert_id, severity, alert_id, alert_id);

        id[0] = '\0';
        if (HW_CHECK_MSG(r && r->type == REDIS_REPLY_STRING, "XADD: %s",
                         r ? r->str : side->errstr))
                snprintf(id, size, "%s", r->str);
        freeReplyObject(r);
}

/* The webhook's position in <prefix>alerts ("(nil)" when none). */
static const char *position(const char *prefix, char *out, size_t size) {
        redisReply *r = redisCommand(side, "GET %salerts:webhook", prefix);

        snprintf(out, size, "%s",
                 r && r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
        freeReplyObject(r);
        return out;
}

static int at_position(const char *prefix, const char *id) {
        char buf[64];
        return !strcmp(position(prefix, buf, sizeof(buf)), id);
}

/* A config for the webhook: keys under prefix, POSTs to url. */
static int conf_for(hw_config_t *c, const char *prefix, const char *url,
                    const char *timeout_ms, const char *min_ms,
                    const char *max_ms) {
        char redis[64];
        const char *pairs[][2] = {{"prefix", prefix},
                                  {"redis.url", redis},
                                  {"alerts.webhook.url", url},
                                  {"alerts.webhook.timeout.ms", timeout_ms},
                                  {"alerts.webhook.retry.min.ms", min_ms},
                                  {"alerts.webhook.retry.max.ms", max_ms}};

        snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", redis_port);
        if (!HW_CHECK_EQ_INT(hw_config_init(c), HW_OK))
                return -1;
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
                if (!HW_CHECK_MSG(!hw_config_set(c, pairs[i][0], pairs[i][1],
                                                 errstr, sizeof(errstr)),
                                  "%s", errstr))
                        return -1;
        return 0;
}

static void url_of(char *out, size_t size, int port) {
        snprintf(out, size, "http://127.0.0.1:%d/hook", port);
}

/* A counter of m as /metrics shows it (-1 when missing). */
static long long counter(hw_metrics_t *m, const char *name) {
        hw_buf_t b;
        long long v = -1;
        size_t n = strlen(name);

        hw_buf_init(&b);
        if (hw_metrics_render(m, &b) == HW_OK && b.data) {
                for (const char *p = b.data; p && *p;) {
                        if (!strncmp(p, name, n) && p[n] == ' ') {
                                v = strtoll(p + n + 1, NULL, 10);
                                break;
                        }
                        p = strchr(p, '\n');
                        p = p ? p + 1 : NULL;
                }
        }
        hw_buf_release(&b);
        return v;
}

#define DELIVERED(m) counter((m), "hirewire_webhook_deliveries_total")
#define FAILED(m) counter((m), "hirewire_webhook_failures_total")

static hw_webhook_t *start(const hw_config_t *c, hw_metrics_t *m) {
        hw_webhook_t *w = hw_webhook_start(c, "g", m, errstr, sizeof(errstr));
        HW_CHECK_MSG(w != NULL, "hw_webhook_start: %s", errstr);
        return w;
}

/* ------------------------------------------------------------------ */
/* The cases                                                           */
/* ------------------------------------------------------------------ */

/* Every field of a POSTed body equals what the stream holds. */
static void check_body(size_t i, const char *alert_id, const char *severity) {
        json_t *o = json_loads(srv.req[i].body, 0, NULL);
        json_t *ids = json_object_get(o, "event_ids");
        json_t *attrs = json_object_get(o, "attributes");
        char want[64];

        HW_CONTEXT("request %zu: %s", i, srv.req[i].body);
        if (!HW_CHECK(json_is_object(o))) {
                json_decref(o);
                return;
        }
        HW_CHECK_STR(json_string_value(json_object_get(o, "alert_id")),
                     alert_id);
        HW_CHECK_STR(json_string_value(json_object_get(o, "rule")), "raid");
        HW_CHECK_STR(json_string_value(json_object_get(o, "severity")),
                     severity);
        snprintf(want, sizeof(want), "%s-subject", alert_id);
        HW_CHECK_STR(json_string_value(json_object_get(o, "subject")), want);
        snprintf(want, sizeof(want), "%s-summary", alert_id);
        HW_CHECK_STR(json_string_value(json_object_get(o, "summary")), want);
        HW_CHECK_EQ_INT(json_integer_value(json_object_get(o, "event_time")),
                        1750000000000LL);
        HW_CHECK_EQ_INT(json_integer_value(json_object_get(o, "raised_at")),
                        1750000000123LL);
        HW_CHECK_EQ_INT(json_array_size(ids), 2);
        HW_CHECK_STR(json_string_value(json_array_get(ids, 0)), "e-1");
        HW_CHECK_STR(json_string_value(json_array_get(ids, 1)), "e-2");
        HW_CHECK_EQ_INT(json_object_size(attrs), 2);
        HW_CHECK_STR(json_string_value(json_object_get(attrs, "lab")), "Meta");
        HW_CHECK_STR(json_string_value(json_object_get(attrs, "count")), "5");
        HW_CHECK_EQ_INT(json_object_size(o), 9);
        HW_CHECK_STR(srv.req[i].method, "POST");
        HW_CHECK_STR(srv.req[i].path, "/hook");
        HW_CHECK_STR(srv.req[i].content_type, "application/json");
        HW_CHECK_STR(srv.req[i].user_agent, "hirewire/" HW_VERSION);
        HW_CONTEXT("%s", "");
        json_decref(o);
}

/* A server answering 200 (with a body) gets each alert once, in stream
 * order, with all its fields; the position follows; the answer's body is
 * not printed; an alert added later is delivered too. */
static void test_delivers_each_alert_once_in_order(void) {
        static const char *sev[] = {"INFO", "WARN", "CRITICAL", "WARN"};
        hw_metrics_t *m = hw_metrics_new();
        char url[64], ids[4][64], got[64];
        capture_t out, log;
        hw_webhook_t *w;
        hw_config_t c;
        char *printed, *logged;

        if (server_start(0, NULL, 0))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "a:", url, "3000", "100", "400"))
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
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
}

/* More alerts than one read of the stream takes (50): all delivered, in
 * order, once; no metrics registry needed. */
static void test_more_alerts_than_a_batch(void) {
        enum { N = 120 };
        char url[64], last[64], got[64], want[16];
        hw_webhook_t *w;
        hw_config_t c;
        size_t bad = 0;

        if (server_start(0, NULL, 0))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "b:", url, "3000", "100", "400"))
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
        server_stop();
        hw_config_release(&c);
}

/* A stop in the middle of a batch lets the POST in flight finish and
 * keeps its position; the next start delivers the rest: every alert once,
 * in order. */
static void test_stop_mid_batch_then_resume(void) {
        enum { N = 60 };
        hw_metrics_t *m = hw_metrics_new();
        char url[64], ids[N][64], got[64], want[16];
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        size_t first, bad = 0;

        if (server_start(0, NULL, 0))
                return;
        pthread_mutex_lock(&srv.lock);
        srv.rest.delay_ms = 100;
        pthread_mutex_unlock(&srv.lock);
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "l:", url, "3000", "100", "400"))
                return;
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
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
}

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
        char url[64], a[64], b[64], got[64], pos[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;

        if (server_start(0, script, sizeof(script) / sizeof(script[0])))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "c:", url, "3000", "100", "800"))
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
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
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

        if (server_start(0, hang_up, 1))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "d:", url, "3000", "50", "200"))
                return;
        add_alert("d:", "d-hang-up", "INFO", id, sizeof(id));
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(at_position("d:", id), 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);
        HW_CHECK(at_position("d:", id));
        if (HW_CHECK_EQ_INT(requests(), 2)) {
                HW_CHECK_STR(posted_id(0, got, sizeof(got)), "d-hang-up");
                HW_CHECK_STR(posted_id(1, got, sizeof(got)), "d-hang-up");
        }
        HW_CHECK_CONTAINS(logged, "alert d-hang-up not delivered: ");
        HW_CHECK_CONTAINS(logged, curl_easy_strerror(CURLE_GOT_NOTHING));
        HW_CHECK_EQ_INT(FAILED(m), 1);
        HW_CHECK_EQ_INT(DELIVERED(m), 1);
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);

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
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
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
        free(logged);
        hw_config_release(&c);
        hw_metrics_destroy(m);

        /* 1.5 s past a 1 s timeout: retried; 0.3 s: in time. */
        m = hw_metrics_new();
        if (server_start(0, slow, 2))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "e2:", url, "1000", "50", "200"))
                return;
        add_alert("e2:", "e-slow", "INFO", id, sizeof(id));
        add_alert("e2:", "e-slow-2", "INFO", id2, sizeof(id2));
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(at_position("e2:", id2), 15000);
        hw_webhook_stop(w);
        logged = capture_end(&log);
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
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
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
                free(logged);
                hw_config_release(&c);
                hw_metrics_destroy(m);
        }
}

/* Stream entries that are not alerts (a field missing, event_ids not
 * JSON) are logged and passed over; the alert after them is delivered. */
static void test_damaged_entries_skipped(void) {
        hw_metrics_t *m = hw_metrics_new();
        char url[64], id[64], got[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;

        if (server_start(0, NULL, 0))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "g:", url, "3000", "50", "200"))
                return;
        run("XADD g:alerts * alert_id g-no-rule subject s summary s "
            "event_ids []");
        run("XADD g:alerts * alert_id g-bad-ids rule raid subject s summary "
            "s event_ids not-json");
        add_alert("g:", "g-good", "INFO", id, sizeof(id));
        capture_begin(&log, 2);
        w = start(&c, m);
        WAIT_FOR(at_position("g:", id), 10000);
        hw_webhook_stop(w);
        logged = capture_end(&log);
        HW_CHECK(at_position("g:", id));
        if (HW_CHECK_EQ_INT(requests(), 1))
                HW_CHECK_STR(posted_id(0, got, sizeof(got)), "g-good");
        HW_CHECK_EQ_INT(occurrences(logged, "is damaged"), 2);
        HW_CHECK_EQ_INT(DELIVERED(m), 1);
        HW_CHECK_EQ_INT(FAILED(m), 0);
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
}

/* Redis errors: a stream key of another type is logged and retried with
 * a growing delay until it is fixed; a position that cannot be stored
 * (Redis out of memory) means the alert is POSTed again (at least once)
 * until it can. */
static void test_redis_errors(void) {
        static const reply_t script[] = {{200, 0}, {200, 1000}};
        hw_metrics_t *m = hw_metrics_new();
        char url[64], a[64], b[64], got[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        char *logged;
        size_t n;
        int warned, b_posts = 0;

        if (server_start(0, script, 2))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "h:", url, "3000", "50", "400"))
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
        free(logged);
        server_stop();
        hw_config_release(&c);
        hw_metrics_destroy(m);
}

/* Redis not there at all: the start works (it connects lazily), each
 * attempt is logged at a backing-off pace, nothing is POSTed, and stop
 * returns at once. */
static void test_redis_down(void) {
        char url[64], redis[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        char *logged;
        int warned, port = hw_test_closed_port();

        if (server_start(0, NULL, 0))
                return;
        url_of(url, sizeof(url), srv.port);
        snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", port);
        if (!HW_CHECK(port > 0) ||
            conf_for(&c, "i:", url, "1000", "100", "400") ||
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
        free(logged);
        server_stop();
        hw_config_release(&c);
}

/* A stop during a long backoff does not wait for it. */
static void test_stop_during_backoff(void) {
        static const reply_t fail[] = {{500, 0}, {500, 0}};
        char url[64], id[64];
        capture_t log;
        hw_webhook_t *w;
        hw_config_t c;
        int64_t t0, took;
        char *logged;

        if (server_start(0, fail, 2))
                return;
        url_of(url, sizeof(url), srv.port);
        if (conf_for(&c, "j:", url, "1000", "10000", "20000"))
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
        free(logged);
        server_stop();
        hw_config_release(&c);
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

int main(int argc, char **argv) {
        if (argc != 2 || (redis_port = atoi(argv[1])) <= 0) {
                fprintf(stderr, "usage: %s REDIS_PORT\n", argv[0]);
                return 2;
        }
        side = redisConnect("127.0.0.1", redis_port);
        if (!side || side->err) {
                fprintf(stderr, "redisConnect: %s\n",
                        side ? side->errstr : "out of memory");
                return 1;
        }
        HW_RUN(test_delivers_each_alert_once_in_order);
        HW_RUN(test_more_alerts_than_a_batch);
        HW_RUN(test_stop_mid_batch_then_resume);
        HW_RUN(test_non_2xx_retried_with_backoff);
        HW_RUN(test_hang_up_and_server_down);
        HW_RUN(test_timeouts);
        HW_RUN(test_bad_urls);
        HW_RUN(test_damaged_entries_skipped);
        HW_RUN(test_redis_errors);
        HW_RUN(test_redis_down);
        HW_RUN(test_stop_during_backoff);
        HW_RUN(test_start_refused);
        redisFree(side);
        curl_global_cleanup();
        return hw_test_summary();
}
