/*
 * Unit tests of the Redis connection module (store/hw_redis.h): whose fault
 * each error reply is, the error and message a caller gets for it, where
 * the password comes from, a connection refused by a port where nothing
 * listens, and through Sentinel: what messages name, READONLY marking the
 * primary as moved, sentinels that do not answer (no Redis needed); and
 * against scripted servers on loopback ports (a thread answering each
 * command as told): sentinels answering wrong or wanting a password, and
 * the primary they name checked before use (ROLE, PING, SELECT).
 */
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw_config.h"
#include "hw_redis.h"
#include "hw_test.h"

static void test_faults(void) {
        static const struct {
                const char *error;
                hw_redis_fault_t fault;
        } cases[] = {
                {"LOADING Redis is loading the dataset in memory",
                 HW_REDIS_TRANSIENT},
                {"BUSY Redis is busy running a script", HW_REDIS_TRANSIENT},
                {"OOM command not allowed when used memory > 'maxmemory'",
                 HW_REDIS_TRANSIENT},
                {"READONLY You can't write against a read only replica.",
                 HW_REDIS_TRANSIENT},
                {"MASTERDOWN Link with MASTER is down", HW_REDIS_TRANSIENT},
                {"TRYAGAIN Multiple keys request during rehashing",
                 HW_REDIS_TRANSIENT},
                {"CLUSTERDOWN The cluster is down", HW_REDIS_TRANSIENT},
                /* A primary with min-replicas-to-write and too few. */
                {"NOREPLICAS Not enough good replicas to write.",
                 HW_REDIS_TRANSIENT},
                {"NOAUTH Authentication required.", HW_REDIS_CREDENTIALS},
                {"WRONGPASS invalid username-password pair",
                 HW_REDIS_CREDENTIALS},
                {"NOPERM this user has no permissions to run the 'get' "
                 "command",
                 HW_REDIS_CREDENTIALS},
                {"WRONGTYPE Operation against a key holding the wrong kind "
                 "of value",
                 HW_REDIS_REFUSED},
                {"ERR value is not an integer or out of range",
                 HW_REDIS_REFUSED},
                {"EXECABORT Transaction discarded", HW_REDIS_REFUSED},
                {"", HW_REDIS_REFUSED},
                /* A code is the first word: not found inside a message. */
                {"ERR unknown command 'LOADING'", HW_REDIS_REFUSED},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                HW_CONTEXT("%s", cases[i].error);
                HW_CHECK_EQ_INT(hw_redis_fault(cases[i].error), cases[i].fault);
        }
}

/* A target for redis.url (and redis.password when not NULL). */
static int target(hw_redis_target_t *t, const char *url, const char *pw) {
        hw_config_t conf;
        char errstr[256];
        int ok;

        if (!HW_CHECK(hw_config_init(&conf) == HW_OK))
                return 0;
        ok = HW_CHECK(hw_config_set(&conf, "redis.url", url, errstr,
                                    sizeof(errstr)) == HW_OK) &&
             (!pw || HW_CHECK(hw_config_set(&conf, "redis.password", pw, errstr,
                                            sizeof(errstr)) == HW_OK)) &&
             HW_CHECK(hw_redis_target(t, &conf, errstr, sizeof(errstr)) ==
                      HW_OK);
        hw_config_release(&conf);
        return ok;
}

static void test_errors(void) {
        hw_redis_target_t t;
        hw_redis_fault_t fault = HW_REDIS_REFUSED;
        char errstr[512];

        if (!target(&t, "redis://10.1.2.3:6390/2", NULL))
                return;
        HW_CHECK_EQ_INT(hw_redis_error(&t, "LOADING Redis is loading", "GET",
                                       &fault, errstr, sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(fault, HW_REDIS_TRANSIENT);
        HW_CHECK_STR(errstr, "Redis at 10.1.2.3:6390: GET: LOADING Redis is "
                             "loading");
        HW_CHECK_EQ_INT(hw_redis_error(&t, "NOAUTH Authentication required.",
                                       "PING", &fault, errstr, sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(fault, HW_REDIS_CREDENTIALS);
        HW_CHECK_CONTAINS(errstr, "Redis at 10.1.2.3:6390: PING: NOAUTH");
        HW_CHECK_CONTAINS(errstr, "REDIS_PASSWORD");
        HW_CHECK_EQ_INT(hw_redis_error(&t, "WRONGTYPE Operation against a key",
                                       "atomic step", NULL, errstr,
                                       sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_STR(errstr, "Redis at 10.1.2.3:6390: atomic step: WRONGTYPE "
                             "Operation against a key");
}

static void test_target(void) {
        hw_redis_target_t t;

        /* The password: redis.password, else REDIS_PASSWORD, else the URL;
         * the URL's own copy wiped either way. */
        unsetenv("REDIS_PASSWORD");
        if (target(&t, "redis://bob:from-url@127.0.0.1:7000/3", NULL)) {
                HW_CHECK_STR(t.password, "from-url");
                HW_CHECK_STR(t.url.password, "");
                HW_CHECK_STR(t.url.username, "bob");
                HW_CHECK_EQ_INT(t.url.db, 3);
                HW_CHECK_STR(t.addr, "127.0.0.1:7000");
        }
        setenv("REDIS_PASSWORD", "from-env", 1);
        if (target(&t, "redis://:from-url@127.0.0.1:7000", NULL))
                HW_CHECK_STR(t.password, "from-env");
        if (target(&t, "redis://:from-url@127.0.0.1:7000", "from-config"))
                HW_CHECK_STR(t.password, "from-config");
        unsetenv("REDIS_PASSWORD");
        if (target(&t, "redis://[::1]:6380", NULL)) {
                HW_CHECK_STR(t.addr, "[::1]:6380");
                HW_CHECK_STR(t.password, "");
        }
        hw_redis_target_wipe(&t);
        HW_CHECK_STR(t.password, "");
}

static void test_connect_refused(void) {
        hw_redis_target_t t;
        hw_redis_fault_t fault = HW_REDIS_CREDENTIALS;
        hw_err_t err = HW_OK;
        char url[64], errstr[512];
        int port = hw_test_closed_port();

        if (!HW_CHECK(port > 0))
                return;
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
        if (!target(&t, url, NULL))
                return;
        HW_CHECK(hw_redis_connect(&t, 1000, &err, &fault, errstr,
                                  sizeof(errstr)) == NULL);
        HW_CHECK_EQ_INT(err, HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(fault, HW_REDIS_REFUSED);
        HW_CHECK_CONTAINS(errstr, "cannot connect to Redis at 127.0.0.1:");
}

static void test_sentinel_target(void) {
        hw_redis_target_t t;
        char errstr[512];

        unsetenv("REDIS_PASSWORD");
        if (!target(&t,
                    "redis-sentinel://:pw@10.0.0.1,10.0.0.2:26380,[::1]/2#hw",
                    NULL))
                return;
        HW_CHECK_STR(t.password, "pw");
        HW_CHECK_STR(t.url.password, "");
        HW_CHECK_EQ_INT(t.url.db, 2);
        /* Before a lookup the messages name the sentinels and the name. */
        HW_CHECK_STR(t.addr, "primary hw via sentinels "
                             "10.0.0.1:26379,10.0.0.2:26380,[::1]:26379");
        HW_CHECK_EQ_INT(hw_redis_error(&t, "LOADING Redis is loading", "GET",
                                       NULL, errstr, sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(hw_redis_primary_moved(&t), 0);
        /* A demoted primary says READONLY: ask the sentinels again. */
        HW_CHECK_EQ_INT(hw_redis_error(&t,
                                       "READONLY You can't write against a "
                                       "read only replica.",
                                       "atomic step", NULL, errstr,
                                       sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(hw_redis_primary_moved(&t), 1);
        HW_CHECK_CONTAINS(errstr, "Redis at primary hw via sentinels "
                                  "10.0.0.1:26379,");
        hw_redis_target_wipe(&t);

        /* Many long names: cut, and said so. */
        {
                char url[2048];
                size_t n =
                        (size_t)snprintf(url, sizeof(url), "redis-sentinel://");
                for (int i = 0; i < 16; i++)
                        n += (size_t)snprintf(
                                url + n, sizeof(url) - n,
                                "%ssentinel-%02d.a-rather-long-domain-name."
                                "in-a-rather-long-subdomain.of-a-rather-long-"
                                "domain.example.com:26379",
                                i ? "," : "", i);
                snprintf(url + n, sizeof(url) - n, "#hw");
                if (target(&t, url, NULL)) {
                        n = strlen(t.addr);
                        HW_CHECK_EQ_INT(n, sizeof(t.addr) - 1);
                        HW_CHECK_STR(t.addr + n - 3, "...");
                }
        }

        /* A redis:// server is the server: READONLY moves nothing. */
        if (target(&t, "redis://127.0.0.1:7000", NULL)) {
                hw_redis_error(&t, "READONLY You can't write", "SET", NULL,
                               errstr, sizeof(errstr));
                HW_CHECK_EQ_INT(hw_redis_primary_moved(&t), 0);
        }
}

static void test_sentinels_refused(void) {
        hw_redis_target_t t;
        hw_redis_fault_t fault = HW_REDIS_REFUSED;
        hw_err_t err = HW_OK;
        char url[128], errstr[1024], want[64];
        int p1 = hw_test_closed_port(), p2 = hw_test_closed_port();

        if (!HW_CHECK(p1 > 0 && p2 > 0))
                return;
        snprintf(url, sizeof(url),
                 "redis-sentinel://127.0.0.1:%d,127.0.0.1:%d#hw", p1, p2);
        if (!target(&t, url, NULL))
                return;
        t.moved = 1;
        HW_CHECK(hw_redis_connect(&t, 1000, &err, &fault, errstr,
                                  sizeof(errstr)) == NULL);
        /* Retried as a transient fault: a sentinel may come back. */
        HW_CHECK_EQ_INT(err, HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(fault, HW_REDIS_TRANSIENT);
        HW_CHECK_EQ_INT(hw_redis_primary_moved(&t), 0);
        HW_CHECK_CONTAINS(errstr, "Redis at primary hw via sentinels ");
        HW_CHECK_CONTAINS(errstr, "no sentinel told where the primary is");
        /* What each sentinel answered. */
        snprintf(want, sizeof(want), "127.0.0.1:%d: ", p1);
        HW_CHECK_CONTAINS(errstr, want);
        snprintf(want, sizeof(want), "; 127.0.0.1:%d: ", p2);
        HW_CHECK_CONTAINS(errstr, want);
}

/* ---- A scripted server: a Sentinel or Redis that says what it is told ----
 *
 * A thread on a loopback port accepting connections one after another,
 * answering each command with the reply its script gives for the
 * command's name (raw RESP), or closing the connection (CLOSE), or never
 * answering (SILENT). It keeps the commands it got, "NAME ARG ...;" each,
 * for the test to read. */

#define CLOSE "close"
#define SILENT "silent"

typedef struct fake_reply_s {
        const char *cmd, *reply;
} fake_reply_t;

typedef struct fake_s {
        int fd, port;
        volatile int stop;
        pthread_t thread;
        fake_reply_t script[8];
        char got[1024];
} fake_t;

/* Reads one command in RESP from fd into argv (up to 8 args, 64 bytes
 * each): its argc, or -1 when the connection ended or it is not RESP. */
static int fake_read(int fd, char argv[8][64]) {
        char line[128];
        int argc = -1, n = 0;

        for (int k = -1; k < argc || argc < 0; k++) {
                size_t at = 0, len;
                while (at + 1 < sizeof(line)) {
                        if (read(fd, line + at, 1) != 1)
                                return -1;
                        if (line[at++] == '\n')
                                break;
                }
                line[at] = '\0';
                if (k < 0) {
                        if (line[0] != '*')
                                return -1;
                        argc = atoi(line + 1);
                        continue;
                }
                if (line[0] != '$')
                        return -1;
                len = (size_t)atoi(line + 1);
                char *arg = n < 8 ? argv[n] : line;
                size_t cap = n < 8 ? 64 : sizeof(line);
                for (size_t i = 0; i < len + 2; i++) {
                        char c;
                        if (read(fd, &c, 1) != 1)
                                return -1;
                        if (i < len && i + 1 < cap)
                                arg[i] = c;
                }
                arg[len < cap - 1 ? len : cap - 1] = '\0';
                n++;
        }
        return n < 8 ? n : 8;
}

static void *fake_main(void *arg) {
        fake_t *f = arg;

        while (!f->stop) {
                struct pollfd p = {f->fd, POLLIN, 0};
                char argv[8][64];
                int c, argc;
                if (poll(&p, 1, 50) <= 0 || (c = accept(f->fd, NULL, NULL)) < 0)
                        continue;
                while (!f->stop && (argc = fake_read(c, argv)) > 0) {
                        const char *reply = NULL;
                        size_t at = strlen(f->got);
                        for (int i = 0; i < argc; i++)
                                snprintf(f->got + at, sizeof(f->got) - at,
                                         "%s%s", i ? " " : "", argv[i]),
                                        at = strlen(f->got);
                        snprintf(f->got + at, sizeof(f->got) - at, ";");
                        for (size_t i = 0; f->script[i].cmd && !reply; i++)
                                if (!strcasecmp(f->script[i].cmd, argv[0]))
                                        reply = f->script[i].reply;
                        if (!reply)
                                reply = "-ERR the fake has no reply to "
                                        "this\r\n";
                        if (!strcmp(reply, CLOSE))
                                break;
                        if (!strcmp(reply, SILENT))
                                continue;
                        if (write(c, reply, strlen(reply)) < 0)
                                break;
                }
                close(c);
        }
        return NULL;
}

/* Starts a fake with the script (cmd, reply pairs; NULL ends). */
static int fake_start(fake_t *f, const fake_reply_t *script) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof(a);

        memset(f, 0, sizeof(*f));
        for (size_t i = 0; script[i].cmd && i + 1 < 8; i++)
                f->script[i] = script[i];
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (!HW_CHECK(f->fd >= 0) ||
            !HW_CHECK(!bind(f->fd, (struct sockaddr *)&a, sizeof(a))) ||
            !HW_CHECK(!listen(f->fd, 8)) ||
            !HW_CHECK(!getsockname(f->fd, (struct sockaddr *)&a, &len)) ||
            !HW_CHECK(!pthread_create(&f->thread, NULL, fake_main, f))) {
                if (f->fd >= 0)
                        close(f->fd);
                return 0;
        }
        f->port = ntohs(a.sin_port);
        return 1;
}

static void fake_stop(fake_t *f) {
        f->stop = 1;
        pthread_join(f->thread, NULL);
        close(f->fd);
}

/* The reply of a sentinel that knows the primary at 127.0.0.1:port. */
static const char *primary_at(char *out, size_t size, int port) {
        char p[16];
        snprintf(p, sizeof(p), "%d", port);
        snprintf(out, size, "*2\r\n$9\r\n127.0.0.1\r\n$%zu\r\n%s\r\n",
                 strlen(p), p);
        return out;
}

/* Connects through Sentinel (url_head, the sentinels on ports, then
 * tail): whether it connected (the context freed here), *err, fault,
 * errstr. */
static int connect_via(const char *url_head, const int *ports, size_t n,
                       const char *tail, int timeout_ms, hw_err_t *err,
                       hw_redis_fault_t *fault, char *errstr, size_t size) {
        hw_redis_target_t t;
        redisContext *ctx;
        char url[256];
        size_t at = (size_t)snprintf(url, sizeof(url), "%s", url_head);

        for (size_t i = 0; i < n; i++)
                at += (size_t)snprintf(url + at, sizeof(url) - at,
                                       "%s127.0.0.1:%d", i ? "," : "",
                                       ports[i]);
        snprintf(url + at, sizeof(url) - at, "%s", tail);
        if (!target(&t, url, NULL))
                return 0;
        *err = HW_OK;
        errstr[0] = '\0';
        ctx = hw_redis_connect(&t, timeout_ms, err, fault, errstr, size);
        if (ctx)
                redisFree(ctx);
        return ctx != NULL;
}

/* Sentinels that do not tell where the primary is, each in its way: a
 * name it does not know, an error, replies that are not [host, port]
 * (a port out of range or not a number, no host, one element, an
 * integer), a connection closed. Every one is asked, and the error
 * names what each said; retried as a transient fault. */
static void test_sentinels_answer_wrong(void) {
        static const char *const replies[] = {
                "*-1\r\n",
                "-ERR no such master\r\n",
                "*2\r\n$9\r\n127.0.0.1\r\n$1\r\n0\r\n",
                "*2\r\n$9\r\n127.0.0.1\r\n$5\r\n70000\r\n",
                "*2\r\n$9\r\n127.0.0.1\r\n$3\r\n63x\r\n",
                "*2\r\n$0\r\n\r\n$4\r\n6379\r\n",
                "*1\r\n$9\r\n127.0.0.1\r\n",
                "*2\r\n$9\r\n127.0.0.1\r\n:6379\r\n",
                ":1\r\n",
                CLOSE};
        enum { N = sizeof(replies) / sizeof(*replies) };
        fake_t f[N];
        int ports[N], started = 0;
        hw_redis_fault_t fault = HW_REDIS_REFUSED;
        hw_err_t err;
        char errstr[4096], want[128];

        for (size_t i = 0; i < N; i++) {
                fake_reply_t script[] = {{"SENTINEL", replies[i]}, {NULL}};
                if (!fake_start(&f[i], script))
                        break;
                ports[i] = f[i].port;
                started++;
        }
        if (started == N) {
                HW_CHECK(!connect_via("redis-sentinel://", ports, N, "#hw",
                                      1000, &err, &fault, errstr,
                                      sizeof(errstr)));
                HW_CHECK_EQ_INT(err, HW_ERR_SERVICE);
                HW_CHECK_EQ_INT(fault, HW_REDIS_TRANSIENT);
                HW_CHECK_CONTAINS(errstr,
                                  "no sentinel told where the primary is");
                snprintf(want, sizeof(want),
                         "127.0.0.1:%d: knows no primary named hw", ports[0]);
                HW_CHECK_CONTAINS(errstr, want);
                snprintf(want, sizeof(want), "127.0.0.1:%d: ERR no such master",
                         ports[1]);
                HW_CHECK_CONTAINS(errstr, want);
                for (size_t i = 2; i + 1 < N; i++) {
                        HW_CONTEXT("reply %s", replies[i]);
                        snprintf(want, sizeof(want),
                                 "127.0.0.1:%d: unexpected reply to SENTINEL "
                                 "get-master-addr-by-name",
                                 ports[i]);
                        HW_CHECK_CONTAINS(errstr, want);
                        HW_CONTEXT("%s", "");
                }
                snprintf(want, sizeof(want), "127.0.0.1:%d: ", ports[N - 1]);
                HW_CHECK_CONTAINS(errstr, want);
                for (size_t i = 0; i < N; i++)
                        HW_CHECK_STR(f[i].got,
                                     "SENTINEL get-master-addr-by-name hw;");
        }
        for (int i = 0; i < started; i++)
                fake_stop(&f[i]);
}

/* A sentinel with a password wants the one Redis has (AUTH user pw when
 * the URL names a user): asked again after it, it tells; one that refuses
 * the password is noted with what it said. */
static void test_sentinel_auth(void) {
        fake_t primary, sentinel, refusing;
        char where[64], errstr[1024], want[128];
        hw_redis_fault_t fault;
        hw_err_t err;
        fake_reply_t p_script[] = {{"AUTH", "+OK\r\n"},
                                   {"PING", "+PONG\r\n"},
                                   {"ROLE", "*1\r\n$6\r\nmaster\r\n"},
                                   {NULL}};

        if (!fake_start(&primary, p_script))
                return;
        {
                fake_reply_t s_script[] = {
                        {"SENTINEL", NULL}, {"AUTH", "+OK\r\n"}, {NULL}};
                fake_reply_t r_script[] = {
                        {"SENTINEL", "-NOAUTH Authentication required.\r\n"},
                        {"AUTH", "-WRONGPASS invalid username-password "
                                 "pair\r\n"},
                        {NULL}};
                int ports[2];
                s_script[0].reply =
                        primary_at(where, sizeof(where), primary.port);
                if (!fake_start(&refusing, r_script)) {
                        fake_stop(&primary);
                        return;
                }
                if (!fake_start(&sentinel, s_script)) {
                        fake_stop(&refusing);
                        fake_stop(&primary);
                        return;
                }
                /* The sentinel that tells asks for no password: the
                 * refusing one is asked first. */
                ports[0] = refusing.port;
                ports[1] = sentinel.port;
                HW_CHECK(connect_via("redis-sentinel://bob:pw@", ports, 2,
                                     "#hw", 1000, &err, &fault, errstr,
                                     sizeof(errstr)));
                HW_CHECK_EQ_INT(err, HW_OK);
                HW_CHECK_STR(refusing.got, "SENTINEL get-master-addr-by-name "
                                           "hw;AUTH bob pw;");
                HW_CHECK_STR(sentinel.got,
                             "SENTINEL get-master-addr-by-name hw;");
                HW_CHECK_STR(primary.got, "AUTH bob pw;PING;ROLE;");
                /* Only the refusing one: its answer named. */
                ports[0] = refusing.port;
                HW_CHECK(!connect_via("redis-sentinel://:pw@", ports, 1, "#hw",
                                      1000, &err, &fault, errstr,
                                      sizeof(errstr)));
                snprintf(want, sizeof(want),
                         "127.0.0.1:%d: WRONGPASS invalid username-password "
                         "pair",
                         refusing.port);
                HW_CHECK_CONTAINS(errstr, want);
                fake_stop(&sentinel);
                fake_stop(&refusing);
        }
        fake_stop(&primary);
}

/* The primary the sentinels name, checked before use: a user that may not
 * run ROLE is taken at the sentinels' word; ROLE refused otherwise is the
 * error it is; a reply that is not a role is not a primary (transient:
 * the sentinels are asked again); a server that closes the connection or
 * does not answer within the command timeout is a service error saying
 * so; a database it does not have is refused. */
static void test_primary_checked(void) {
        static const struct {
                const char *ping, *role, *select;
                int timeout_ms;
                hw_err_t err;
                hw_redis_fault_t fault;
                const char *says;
        } cases[] = {
                {"+PONG\r\n",
                 "-NOPERM this user has no permissions to run "
                 "the 'role' command\r\n",
                 NULL, 1000, HW_OK, HW_REDIS_REFUSED, ""},
                {"+PONG\r\n", "-ERR unknown command 'ROLE'\r\n", NULL, 1000,
                 HW_ERR_INTERNAL, HW_REDIS_REFUSED,
                 "ROLE: ERR unknown command 'ROLE'"},
                {"+PONG\r\n", ":1\r\n", NULL, 1000, HW_ERR_SERVICE,
                 HW_REDIS_TRANSIENT,
                 "ROLE: not a primary but an unexpected "
                 "reply"},
                {"+PONG\r\n", "*0\r\n", NULL, 1000, HW_ERR_SERVICE,
                 HW_REDIS_TRANSIENT,
                 "ROLE: not a primary but an unexpected "
                 "reply"},
                {"+PONG\r\n", "*1\r\n$5\r\nslave\r\n", NULL, 1000,
                 HW_ERR_SERVICE, HW_REDIS_TRANSIENT,
                 "ROLE: not a primary but slave"},
                {"+PONG\r\n", CLOSE, NULL, 1000, HW_ERR_SERVICE,
                 HW_REDIS_REFUSED, "ROLE: "},
                {CLOSE, NULL, NULL, 1000, HW_ERR_SERVICE, HW_REDIS_REFUSED,
                 "PING: "},
                {SILENT, NULL, NULL, 200, HW_ERR_SERVICE, HW_REDIS_REFUSED,
                 "PING: timed out"},
                {"+PONG\r\n", NULL, "-ERR DB index is out of range\r\n", 1000,
                 HW_ERR_INTERNAL, HW_REDIS_REFUSED,
                 "SELECT: ERR DB index is out of range"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                fake_t primary, sentinel;
                fake_reply_t p_script[] = {{"PING", cases[i].ping},
                                           {"ROLE", cases[i].role},
                                           {"SELECT", cases[i].select},
                                           {NULL}};
                fake_reply_t s_script[] = {{"SENTINEL", NULL}, {NULL}};
                char where[64], errstr[1024];
                hw_redis_fault_t fault = HW_REDIS_CREDENTIALS;
                hw_err_t err;
                int connected;

                HW_CONTEXT("case %zu: %s", i + 1, cases[i].says);
                if (!cases[i].role)
                        p_script[1] = p_script[2];
                if (!cases[i].select)
                        p_script[cases[i].role ? 2 : 1] =
                                (fake_reply_t){NULL, NULL};
                if (!fake_start(&primary, p_script))
                        return;
                s_script[0].reply =
                        primary_at(where, sizeof(where), primary.port);
                if (!fake_start(&sentinel, s_script)) {
                        fake_stop(&primary);
                        return;
                }
                connected = connect_via("redis-sentinel://", &sentinel.port, 1,
                                        cases[i].select ? "/2#hw" : "#hw",
                                        cases[i].timeout_ms, &err, &fault,
                                        errstr, sizeof(errstr));
                HW_CHECK_EQ_INT(connected, cases[i].err == HW_OK);
                HW_CHECK_EQ_INT(err, cases[i].err);
                if (cases[i].err) {
                        HW_CHECK_EQ_INT(fault, cases[i].fault);
                        HW_CHECK_CONTAINS(errstr, cases[i].says);
                        HW_CHECK_CONTAINS(errstr, "Redis at 127.0.0.1:");
                }
                fake_stop(&sentinel);
                fake_stop(&primary);
                HW_CONTEXT("%s", "");
        }
}

int main(void) {
        HW_RUN(test_faults);
        HW_RUN(test_errors);
        HW_RUN(test_target);
        HW_RUN(test_connect_refused);
        HW_RUN(test_sentinel_target);
        HW_RUN(test_sentinels_refused);
        HW_RUN(test_sentinels_answer_wrong);
        HW_RUN(test_sentinel_auth);
        HW_RUN(test_primary_checked);
        return hw_test_summary();
}
