/* The webhook integration tests' shared helpers (webhook_fixtures.h). */
#include "webhook_fixtures.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw_buf.h"

int redis_port;
redisContext *side;
char errstr[1024];

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* The monotonic clock in ms. */
int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms milliseconds. */
void sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ */
/* The HTTP server                                                     */
/* ------------------------------------------------------------------ */

server_t srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

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
int server_start(int port, const reply_t *script, size_t n) {
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

/* Stops the server (if started) and forgets its requests. */
void server_stop(void) {
        if (srv.d)
                MHD_stop_daemon(srv.d);
        srv.d = NULL;
        for (size_t i = 0; i < srv.n && i < MAX_REQUESTS; i++)
                free(srv.req[i].body);
        srv.n = 0;
}

/* How many requests the server has received. */
size_t requests(void) {
        size_t n;
        pthread_mutex_lock(&srv.lock);
        n = srv.n;
        pthread_mutex_unlock(&srv.lock);
        return n;
}

/* The alert_id of request i's body ("" when it is not an alert). */
const char *posted_id(size_t i, char *out, size_t size) {
        json_t *o = json_loads(srv.req[i].body, 0, NULL);
        const char *id = json_string_value(json_object_get(o, "alert_id"));

        snprintf(out, size, "%s", id ? id : "");
        json_decref(o);
        return out;
}

/* A socket that listens and never accepts: a connection to it waits for
 * an answer that never comes. Its port in *port. */
int silent_listener(int *port) {
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
void drain(int fd) {
        int c;

        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        while ((c = accept(fd, NULL, NULL)) >= 0)
                close(c);
}

/* ------------------------------------------------------------------ */
/* What the program writes: stderr (the log) and stdout, into files     */
/* ------------------------------------------------------------------ */

/* Sends what is written to fd (1 or 2) into a file until capture_end. */
void capture_begin(capture_t *c, int fd) {
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
char *capture_end(capture_t *c) {
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
int occurrences(const char *hay, const char *needle) {
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* ------------------------------------------------------------------ */
/* Redis, the config, the webhook                                      */
/* ------------------------------------------------------------------ */

/* Runs a command on the side connection; 0, or -1 after a failed check. */
int run(const char *fmt, ...) {
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
void add_alert(const char *prefix, const char *alert_id, const char *severity,
               char *id, size_t size) {
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
const char *position(const char *prefix, char *out, size_t size) {
        redisReply *r = redisCommand(side, "GET %salerts:webhook", prefix);

        snprintf(out, size, "%s",
                 r && r->type == REDIS_REPLY_STRING ? r->str : "(nil)");
        freeReplyObject(r);
        return out;
}

/* Whether the webhook's position in <prefix>alerts is id. */
int at_position(const char *prefix, const char *id) {
        char buf[64];
        return !strcmp(position(prefix, buf, sizeof(buf)), id);
}

/* A config for the webhook: keys under prefix, POSTs to url. */
int conf_for(hw_config_t *c, const char *prefix, const char *url,
             const char *timeout_ms, const char *min_ms, const char *max_ms) {
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

/* The URL the webhook POSTs to on 127.0.0.1:port. */
void url_of(char *out, size_t size, int port) {
        snprintf(out, size, "http://127.0.0.1:%d/hook", port);
}

/* A counter of m as /metrics shows it (-1 when missing). */
long long counter(hw_metrics_t *m, const char *name) {
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

/* Starts the webhook of c counting into m (may be NULL); NULL after a
 * failed check. */
hw_webhook_t *start(const hw_config_t *c, hw_metrics_t *m) {
        hw_webhook_t *w = hw_webhook_start(c, "g", m, errstr, sizeof(errstr));
        HW_CHECK_MSG(w != NULL, "hw_webhook_start: %s", errstr);
        return w;
}

/* Every field of request i's body equals what the stream holds for the
 * alert add_alert added; the method, path and headers are the webhook's. */
void check_body(size_t i, const char *alert_id, const char *severity) {
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

/* ------------------------------------------------------------------ */
/* Set-ups and teardowns the cases share                               */
/* ------------------------------------------------------------------ */

/* Starts the server with the answers of script (as server_start) and
 * fills c (as conf_for) for keys under prefix and POSTs to the server.
 * Returns 0, or -1 after a failed check. */
int serve(hw_config_t *c, const char *prefix, const reply_t *script, size_t n,
          const char *timeout_ms, const char *min_ms, const char *max_ms) {
        char url[64];

        if (server_start(0, script, n))
                return -1;
        url_of(url, sizeof(url), srv.port);
        return conf_for(c, prefix, url, timeout_ms, min_ms, max_ms);
}

/* Starts the webhook of c counting into m with the log captured, waits
 * (up to ms) until its position in <prefix>alerts is id, stops it and
 * returns the log (to free). */
char *deliver(const hw_config_t *c, hw_metrics_t *m, const char *prefix,
              const char *id, int ms) {
        capture_t log;
        hw_webhook_t *w;

        capture_begin(&log, 2);
        w = start(c, m);
        WAIT_FOR(at_position(prefix, id), ms);
        hw_webhook_stop(w);
        return capture_end(&log);
}

/* Frees what a case used: logged and m (either may be NULL), the server
 * (a no-op when it is not running) and c. */
void finish(char *logged, hw_config_t *c, hw_metrics_t *m) {
        free(logged);
        server_stop();
        hw_config_release(c);
        hw_metrics_destroy(m);
}

/* Connects to the Redis of argv[1] (the usage is "PROG REDIS_PORT"), runs
 * the cases, frees it all and returns the exit status of the run. */
int webhook_main(int argc, char **argv, void (*cases)(void)) {
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
        cases();
        redisFree(side);
        curl_global_cleanup();
        return hw_test_summary();
}
