/*
 * Unit tests of the Redis connection module (store/hw_redis.h): whose fault
 * each error reply is, the error and message a caller gets for it, where
 * the password comes from, a connection refused by a port where nothing
 * listens, and through Sentinel: what messages name, READONLY marking the
 * primary as moved, sentinels that do not answer (no Redis needed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void) {
        HW_RUN(test_faults);
        HW_RUN(test_errors);
        HW_RUN(test_target);
        HW_RUN(test_connect_refused);
        HW_RUN(test_sentinel_target);
        HW_RUN(test_sentinels_refused);
        return hw_test_summary();
}
