/* Unit tests of the metrics HTTP server over a real loopback socket. */
/*
 * /metrics, /healthz, 404 and 405 through a tiny client below (no curl),
 * address errors, a port in use, a client holding 1,000 half-open
 * connections, and libmicrohttpd's complaints logged at most once in
 * 10 s with a count of those left out.
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
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hw_buf.h"
#include "hw_err.h"
#include "hw_log.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "metrics_fixtures.h"

static char errstr[512];

static int check_err_(hw_err_t got, hw_err_t want, const char *file, int line) {
        return hw_test_report(got == want, file, line,
                              "error %s (%d), expected %s (%d); errstr: %s",
                              hw_err_name(got), (int)got, hw_err_name(want),
                              (int)want, got ? errstr : "-");
}
#define CHECK_ERR(got, want) check_err_((got), (want), __FILE__, __LINE__)

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

/* The port of a "host:port" string. */
static int port_of(const char *bound) {
        const char *c = strrchr(bound, ':');
        return c ? atoi(c + 1) : -1;
}

/*
 * Sends one request to 127.0.0.1:port from address src (NULL: any) and
 * reads the whole answer (the request asks the server to close). Fills
 * head (status line and headers) and body, NUL-terminated. Returns the
 * status code, or -1.
 */
static int http_request_from(int port, const char *src, const char *method,
                             const char *path, hw_buf_t *head, hw_buf_t *body) {
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
        if (src) {
                struct sockaddr_in from;
                memset(&from, 0, sizeof(from));
                from.sin_family = AF_INET;
                inet_pton(AF_INET, src, &from.sin_addr);
                if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0) {
                        close(fd);
                        return -1;
                }
        }
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

static int http_request(int port, const char *method, const char *path,
                        hw_buf_t *head, hw_buf_t *body) {
        return http_request_from(port, NULL, method, path, head, body);
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A hostile client: 1,000 connections from 127.0.0.1 that send half a
 * request and hold on. Each client keeps only a few connections, so
 * /healthz and /metrics still answer other addresses (a liveness probe)
 * at once, not after the hostile ones time out; once the client lets
 * go, it is served again.
 */
static void test_serve_hostile_client(void) {
        enum { HOLD = 1000 };
        hw_metrics_t *m = hw_metrics_new();
        static int fds[HOLD];
        static const char half[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        struct rlimit rl;
        hw_buf_t head, body;
        char bound[64];
        int port, held = 0, status;
        double t0, waited;

        if (!HW_CHECK(m != NULL))
                return;
        hw_buf_init(&head);
        hw_buf_init(&body);
        signal(SIGPIPE, SIG_IGN); /* writes to connections the server shut */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < HOLD + 64) {
                rl.rlim_cur = rl.rlim_max < HOLD + 64 ? rl.rlim_max : HOLD + 64;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (!CHECK_ERR(hw_metrics_serve(m, "127.0.0.1:0", bound, sizeof(bound),
                                        errstr, sizeof(errstr)),
                       HW_OK))
                goto out;
        port = port_of(bound);
        for (int i = 0; i < HOLD; i++) {
                struct sockaddr_in sin;
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                fds[i] = -1;
                if (fd < 0)
                        break;
                memset(&sin, 0, sizeof(sin));
                sin.sin_family = AF_INET;
                sin.sin_port = htons((uint16_t)port);
                sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
                        close(fd);
                        break;
                }
                (void)!write(fd, half, sizeof(half) - 1);
                fds[i] = fd;
                held++;
        }
        HW_CHECK_MSG(held == HOLD, "%d of %d connections opened", held, HOLD);
        t0 = now_s();
        status = http_request_from(port, "127.0.0.2", "GET", "/healthz", &head,
                                   &body);
        waited = now_s() - t0;
        HW_CHECK_EQ_INT(status, 503);
        HW_CHECK_STR(body.data, "not ready: starting\n");
        /* Without the per-client limit the probe waits for the hostile
         * connections to time out (3 s each, 32 at a time); the bound
         * here is the probe's own 5 s socket timeout. */
        HW_CHECK_MSG(status > 0 && waited < 5.0,
                     "/healthz took %.2f s behind %d half-open connections",
                     waited, held);
        fprintf(stderr,
                "    note: /healthz answered in %.3f s behind %d "
                "half-open connections of one client\n",
                waited, held);
        HW_CHECK_EQ_INT(http_request_from(port, "127.0.0.3", "GET", "/metrics",
                                          &head, &body),
                        200);
        for (int i = 0; i < held; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        /* Let go: the client is served again (once the server has seen
         * its connections close). */
        status = -1;
        for (int tries = 0; tries < 50 && status != 503; tries++) {
                status = http_request(port, "GET", "/healthz", &head, &body);
                if (status != 503)
                        usleep(100 * 1000);
        }
        HW_CHECK_EQ_INT(status, 503);
out:
        hw_buf_release(&head);
        hw_buf_release(&body);
        hw_metrics_destroy(m);
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

/* Opens a connection from src to 127.0.0.1:port and sends half a request;
 * the socket, or -1. */
static int hold_from(int port, const char *src) {
        static const char half[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        struct sockaddr_in sin, from;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        if (fd < 0)
                return -1;
        memset(&from, 0, sizeof(from));
        from.sin_family = AF_INET;
        inet_pton(AF_INET, src, &from.sin_addr);
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd, (struct sockaddr *)&from, sizeof(from)) ||
            connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
                close(fd);
                return -1;
        }
        (void)!write(fd, half, sizeof(half) - 1);
        return fd;
}

/* Lines of the file at path holding needle. */
static int lines_with(const char *path, const char *needle) {
        char line[1024];
        int n = 0;
        FILE *fp = fopen(path, "r");

        while (fp && fgets(line, sizeof(line), fp))
                n += strstr(line, needle) != NULL;
        if (fp)
                fclose(fp);
        return n;
}

/* libmicrohttpd's complaints (here about a client over its 4 connections)
 * are logged at most once in 10 s, the others counted; the first logged
 * after that says how many were left out. Takes 12 s. */
static void test_serve_complaints_logged(void) {
        hw_metrics_t *m = hw_metrics_new();
        char bound[64], path[] = "/tmp/hw_metrics_log.XXXXXX";
        int fds[12], n = 0, port, log_fd, saved = -1;
        unsigned long failures = hw_test_state.failures;

        if (!HW_CHECK(m != NULL))
                return;
        log_fd = mkstemp(path);
        if (!HW_CHECK(log_fd >= 0))
                goto out;
        fflush(stderr);
        saved = dup(2);
        dup2(log_fd, 2);
        hw_log_set_level(HW_LOG_WARN);
        if (!CHECK_ERR(hw_metrics_serve(m, "127.0.0.1:0", bound, sizeof(bound),
                                        errstr, sizeof(errstr)),
                       HW_OK))
                goto out;
        port = port_of(bound);
        signal(SIGPIPE, SIG_IGN);
        /* 4 connections held, then 2 refused: complaints within 10 s. */
        while (n < 6)
                fds[n++] = hold_from(port, "127.0.0.4");
        for (int i = 0; i < 100 && lines_with(path, "libmicrohttpd: ") < 1; i++)
                usleep(50 * 1000);
        usleep(500 * 1000);
        HW_CHECK_EQ_INT(lines_with(path, "libmicrohttpd: "), 1);
        /* Past HW_METRICS_LOG_EVERY_S (the held connections timed out
         * meanwhile): 4 held again and one more refused. */
        sleep(11);
        for (int i = 0; i < 5; i++)
                fds[n++] = hold_from(port, "127.0.0.4");
        for (int i = 0; i < 100 && lines_with(path, "libmicrohttpd: ") < 2; i++)
                usleep(50 * 1000);
        HW_CHECK_EQ_INT(lines_with(path, "libmicrohttpd: "), 2);
        HW_CHECK_EQ_INT(lines_with(path, " more lines in the last 10 s)"), 1);
out:
        fflush(stderr);
        if (saved >= 0) {
                dup2(saved, 2);
                close(saved);
        }
        hw_log_set_level(HW_LOG_ERROR);
        if (hw_test_state.failures != failures) { /* what was logged */
                char line[1024];
                FILE *fp = fopen(path, "r");
                while (fp && fgets(line, sizeof(line), fp))
                        if (strstr(line, "libmicrohttpd"))
                                fprintf(stderr, "    logged: %s", line);
                if (fp)
                        fclose(fp);
        }
        if (log_fd >= 0) {
                close(log_fd);
                unlink(path);
        }
        for (int i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        hw_metrics_destroy(m);
}

/* Addresses refused before anything is bound, each with a message naming
 * the address and what is wrong with it. */
static void test_serve_address_messages(void) {
        char addr[400], bound[16];
        hw_metrics_t *m = hw_metrics_new();

        if (!HW_CHECK(m != NULL))
                return;
        memset(addr, 'h', 300);
        strcpy(addr + 300, ":80");
        CHECK_ERR(hw_metrics_serve(m, addr, NULL, 0, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, ":80\": host name too long");
        CHECK_ERR(hw_metrics_serve(m, "[127.0.0.1:80", NULL, 0, errstr,
                                   sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "metrics address \"[127.0.0.1:80\": host must be "
                             "an IPv4 address or a name");
        CHECK_ERR(hw_metrics_serve(m, "127.0.0.1:9x", NULL, 0, errstr,
                                   sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "metrics address \"127.0.0.1:9x\": port must be 0 "
                             "to 65535");
        /* Still free to serve a good address; a bound buffer of no size
         * is not written. */
        strcpy(bound, "untouched");
        CHECK_ERR(hw_metrics_serve(m, "127.0.0.1:0", bound, 0, errstr,
                                   sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(bound, "untouched");
        hw_metrics_destroy(m);
}

int main(void) {
        /* Keep the run's output to the test lines (the module logs the
         * address it serves on). */
        hw_log_set_level(HW_LOG_ERROR);
        HW_RUN_ISOLATED(test_serve_http);
        HW_RUN_ISOLATED(test_serve_port_in_use);
        HW_RUN_ISOLATED(test_serve_hostile_client);
        HW_RUN(test_serve_localhost);
        HW_RUN(test_serve_bad_address);
        HW_RUN_ISOLATED(test_serve_address_messages);
        HW_RUN_ISOLATED(test_serve_complaints_logged);
        return hw_test_summary();
}
