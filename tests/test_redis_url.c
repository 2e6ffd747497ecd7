/*
 * Unit tests for redis:// and redis-sentinel:// URLs
 * (config/hw_redis_url.c): what parses, what is refused and how, the
 * password never echoed.
 */
#include "config_fixtures.h"

/* ------------------------------------------------------------------ */
/* redis:// URLs                                                       */
/* ------------------------------------------------------------------ */

static void test_redis_url_ok(void) {
        static const struct {
                const char *url, *host;
                int port, db;
                const char *user, *password;
        } ok[] = {
                {"redis://127.0.0.1:6379", "127.0.0.1", 6379, 0, "", ""},
                {"redis://localhost", "localhost", 6379, 0, "", ""},
                {"redis://localhost/", "localhost", 6379, 0, "", ""},
                {"REDIS://Cache.Example.com:7000/5", "Cache.Example.com", 7000,
                 5, "", ""},
                {"redis://:secret@h:6380/1", "h", 6380, 1, "", "secret"},
                {"redis://alice:secret@h", "h", 6379, 0, "alice", "secret"},
                /* redis-cli reads user info without ':' as a password. */
                {"redis://secret@h", "h", 6379, 0, "", "secret"},
                /* The last '@' ends the user info; %XX is decoded. */
                {"redis://:p@ss/w:rd@h:1", "h", 1, 0, "", "p@ss/w:rd"},
                {"redis://u%3Ax:p%40%25w@h", "h", 6379, 0, "u:x", "p@%w"},
                {"redis://:100%@h", "h", 6379, 0, "", "100%"},
                /* A '%' not followed by two hex digits is kept. */
                {"redis://:a%!1b%4;c%7e@h", "h", 6379, 0, "", "a%!1b%4;c~"},
                {"redis://[::1]", "::1", 6379, 0, "", ""},
                {"redis://[::1]:6390/2", "::1", 6390, 2, "", ""},
                {"redis://:pw@[fe80::1%eth0]:6379", "fe80::1%eth0", 6379, 0, "",
                 "pw"},
                {"redis://h:65535/2147483647", "h", 65535, 2147483647, "", ""},
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                hw_redis_url_t u;
                HW_CONTEXT("%s", ok[i].url);
                if (!CHECK_ERR(hw_redis_url_parse(ok[i].url, &u, errstr,
                                                  sizeof(errstr)),
                               HW_OK))
                        continue;
                HW_CHECK_STR(u.host, ok[i].host);
                HW_CHECK_EQ_INT(u.port, ok[i].port);
                HW_CHECK_EQ_INT(u.db, ok[i].db);
                HW_CHECK_STR(u.username, ok[i].user);
                HW_CHECK_STR(u.password, ok[i].password);
        }
        HW_CONTEXT("%s", "");
}

static void test_redis_url_errors(void) {
        static const struct {
                const char *url, *want;
        } bad[] = {
                {"", "empty URL"},
                {"127.0.0.1:6379", "not a redis:// URL"},
                {"http://h", "not a redis:// URL"},
                {"sentinel://h#m", "redis-sentinel://"},
                {"rediss://:PwSecret1@h", "TLS"},
                /* A fragment is a sentinel URL's. */
                {"redis://:PwSecret1@h#mymaster", "invalid character in host"},
                {"redis://", "empty host"},
                {"redis://:PwSecret1@", "empty host"},
                {"redis://:PwSecret1@:6379", "empty host"},
                {"redis://:PwSecret1@h:0", "port"},
                {"redis://:PwSecret1@h:65536", "port"},
                {"redis://:PwSecret1@h:", "port"},
                {"redis://:PwSecret1@h:-1", "port"},
                {"redis://:PwSecret1@h:63x", "port"},
                {"redis://:PwSecret1@h/x", "database"},
                {"redis://:PwSecret1@h/-1", "database"},
                {"redis://:PwSecret1@h/2147483648", "database"},
                {"redis://:PwSecret1@h/1/2", "database"},
                {"redis://:PwSecret1@h?db=1", "invalid character in host"},
                {"redis://:PwSecret1@h h", "invalid character in host"},
                {"redis://:PwSecret1@::1", "[brackets]"},
                {"redis://:PwSecret1@[::1", "closing ']'"},
                {"redis://:PwSecret1@[]", "empty host"},
                {"redis://:PwSecret1@[hostname]", "IPv6"},
                {"redis://:PwSecret1@[::1]x", "after ']'"},
                {"redis://alice:@h", "needs a password"},
                {"redis://:PwSecret1%00@h", "%00"},
                /* A forgotten '@': the password would be read as a port. */
                {"redis://:PwSecret1", "empty host"},
                {"redis://h:PwSecret1", "port"},
        };
        char longpw[400], longuser[200], longhost[400];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                hw_redis_url_t u;
                HW_CONTEXT("%s", bad[i].url);
                errstr[0] = '\0';
                CHECK_ERR(hw_redis_url_parse(bad[i].url, &u, errstr,
                                             sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, bad[i].want);
                CHECK_NOT_CONTAINS(errstr, "PwSecret1");
                /* Nothing of the password is left in the result. */
                HW_CHECK_STR(u.password, "");
        }
        HW_CONTEXT("%s", "");
        {
                hw_redis_url_t u;
                CHECK_ERR(hw_redis_url_parse(NULL, &u, errstr, sizeof(errstr)),
                          HW_ERR_ARG);
        }

        /* Length limits of the struct's buffers. */
        memset(longpw, 'P', sizeof(longpw));
        snprintf(
                longpw, sizeof(longpw), "redis://:%.*s@h", 256,
                "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP"
                "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP"
                "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP"
                "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP"
                "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP");
        {
                hw_redis_url_t u;
                CHECK_ERR(
                        hw_redis_url_parse(longpw, &u, errstr, sizeof(errstr)),
                        HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "password longer than 255");
                CHECK_NOT_CONTAINS(errstr, "PPPP");
                /* 255 bytes fit. */
                memmove(longpw + 9, longpw + 10, strlen(longpw + 10) + 1);
                CHECK_ERR(
                        hw_redis_url_parse(longpw, &u, errstr, sizeof(errstr)),
                        HW_OK);
                HW_CHECK_EQ_INT(strlen(u.password), 255);
        }
        {
                hw_redis_url_t u;
                char user[129];
                memset(user, 'u', 128);
                user[128] = '\0';
                snprintf(longuser, sizeof(longuser), "redis://%s:pw@h", user);
                CHECK_ERR(hw_redis_url_parse(longuser, &u, errstr,
                                             sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "user name longer than 127");
        }
        {
                hw_redis_url_t u;
                char host[257];
                memset(host, 'h', 256);
                host[256] = '\0';
                snprintf(longhost, sizeof(longhost), "redis://%s:1", host);
                CHECK_ERR(hw_redis_url_parse(longhost, &u, errstr,
                                             sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "host longer than 255");
        }
}

/* ------------------------------------------------------------------ */
/* redis-sentinel:// URLs                                              */
/* ------------------------------------------------------------------ */

static void test_sentinel_url_ok(void) {
        static const struct {
                const char *url, *master, *hosts;
                int db;
                const char *user, *password;
        } ok[] = {
                {"redis-sentinel://127.0.0.1:26379#mymaster", "mymaster",
                 "127.0.0.1:26379", 0, "", ""},
                /* 26379 unless given; the scheme in any case. */
                {"REDIS-SENTINEL://s1,s2:26380,s3#m", "m",
                 "s1:26379 s2:26380 s3:26379", 0, "", ""},
                {"redis-sentinel://:secret@s1:1,s2:2/3#hw", "hw", "s1:1 s2:2",
                 3, "", "secret"},
                {"redis-sentinel://alice:secret@s1#hw", "hw", "s1:26379", 0,
                 "alice", "secret"},
                {"redis-sentinel://s1/#hw", "hw", "s1:26379", 0, "", ""},
                /* The last '#' starts the name: a password may hold one. */
                {"redis-sentinel://:p#w@d@s1#hw", "hw", "s1:26379", 0, "",
                 "p#w@d"},
                {"redis-sentinel://:p%23w@s1#hw", "hw", "s1:26379", 0, "",
                 "p#w"},
                {"redis-sentinel://[::1]:26379,[fe80::1%eth0],h#my-master.1",
                 "my-master.1", "::1:26379 fe80::1%eth0:26379 h:26379", 0, "",
                 ""},
                {"redis-sentinel://s1#a%2Fb", "a/b", "s1:26379", 0, "", ""},
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                hw_redis_url_t u;
                char hosts[512] = "";
                size_t n = 0;
                HW_CONTEXT("%s", ok[i].url);
                if (!CHECK_ERR(hw_redis_url_parse(ok[i].url, &u, errstr,
                                                  sizeof(errstr)),
                               HW_OK))
                        continue;
                for (int k = 0; k < u.n_sentinels; k++)
                        n += (size_t)snprintf(hosts + n, sizeof(hosts) - n,
                                              "%s%s:%d", k ? " " : "",
                                              u.sentinels[k].host,
                                              u.sentinels[k].port);
                HW_CHECK_STR(hosts, ok[i].hosts);
                HW_CHECK_STR(u.master, ok[i].master);
                HW_CHECK_EQ_INT(u.db, ok[i].db);
                HW_CHECK_STR(u.username, ok[i].user);
                HW_CHECK_STR(u.password, ok[i].password);
                /* No server of its own: the sentinels know where it is. */
                HW_CHECK_STR(u.host, "");
                HW_CHECK_EQ_INT(u.port, 0);
        }
        HW_CONTEXT("%s", "");
        {
                /* A redis:// URL names no sentinel. */
                hw_redis_url_t u;
                if (CHECK_ERR(hw_redis_url_parse("redis://h", &u, errstr,
                                                 sizeof(errstr)),
                              HW_OK)) {
                        HW_CHECK_EQ_INT(u.n_sentinels, 0);
                        HW_CHECK_STR(u.master, "");
                }
        }
}

static void test_sentinel_url_errors(void) {
        static const struct {
                const char *url, *want;
        } bad[] = {
                {"rediss-sentinel://:PwSecret1@s1#m", "TLS"},
                {"redis-sentinel://:PwSecret1@s1", "no #master at the end"},
                {"redis-sentinel://:PwSecret1@s1:26379/2", "no #master"},
                /* The '#' is the password's: the name is missing. */
                {"redis-sentinel://:Pw#Secret1@s1", "%23"},
                {"redis-sentinel://:PwSecret1@s1#", "empty primary name"},
                {"redis-sentinel://:PwSecret1@s1#my master", "space"},
                {"redis-sentinel://:PwSecret1@s1#m%00", "%00"},
                {"redis-sentinel://:PwSecret1@s1#m%09x", "control"},
                {"redis-sentinel://:PwSecret1@#m", "no sentinel host"},
                {"redis-sentinel://#m", "no sentinel host"},
                {"redis-sentinel:///2#m", "no sentinel host"},
                {"redis-sentinel://:PwSecret1@,s2#m", "sentinel 1: empty host"},
                {"redis-sentinel://:PwSecret1@s1,,s3#m",
                 "sentinel 2: empty host"},
                {"redis-sentinel://:PwSecret1@s1,#m", "sentinel 2: empty host"},
                {"redis-sentinel://:PwSecret1@s1,s2:0#m",
                 "sentinel 2: port is not a number in 1..65535"},
                {"redis-sentinel://:PwSecret1@s1:65536#m",
                 "sentinel 1: port is not a number"},
                {"redis-sentinel://:PwSecret1@s1:x#m",
                 "sentinel 1: port is not a number"},
                {"redis-sentinel://:PwSecret1@s1,s 2#m",
                 "sentinel 2: invalid character in host"},
                {"redis-sentinel://:PwSecret1@s1;s2#m",
                 "sentinel 1: invalid character in host"},
                {"redis-sentinel://:PwSecret1@s1?sentinelMasterId=m#m",
                 "sentinel 1: invalid character in host"},
                {"redis-sentinel://:PwSecret1@::1#m", "[brackets]"},
                {"redis-sentinel://:PwSecret1@s1/x#m", "database"},
                {"redis-sentinel://:PwSecret1@s1/1/2#m", "database"},
                {"redis-sentinel://alice:@s1#m", "needs a password"},
                {"redis-sentinel://:PwSecret1%00@s1#m", "%00"},
        };
        char url[600];
        size_t n;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                hw_redis_url_t u;
                HW_CONTEXT("%s", bad[i].url);
                errstr[0] = '\0';
                CHECK_ERR(hw_redis_url_parse(bad[i].url, &u, errstr,
                                             sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, bad[i].want);
                /* The form is shown, the password never. */
                HW_CHECK_CONTAINS(errstr, "redis-sentinel://");
                CHECK_NOT_CONTAINS(errstr, "PwSecret1");
                CHECK_NOT_CONTAINS(errstr, "Secret1");
                HW_CHECK_STR(u.password, "");
                HW_CHECK_EQ_INT(u.n_sentinels, 0);
        }
        HW_CONTEXT("%s", "");

        /* 16 sentinels fit, 17 do not. */
        n = (size_t)snprintf(url, sizeof(url), "redis-sentinel://s0");
        for (int k = 1; k < 16; k++)
                n += (size_t)snprintf(url + n, sizeof(url) - n, ",s%d:%d", k,
                                      26379 + k);
        snprintf(url + n, sizeof(url) - n, "#m");
        {
                hw_redis_url_t u;
                if (CHECK_ERR(
                            hw_redis_url_parse(url, &u, errstr, sizeof(errstr)),
                            HW_OK)) {
                        HW_CHECK_EQ_INT(u.n_sentinels, 16);
                        HW_CHECK_STR(u.sentinels[15].host, "s15");
                        HW_CHECK_EQ_INT(u.sentinels[15].port, 26394);
                }
                snprintf(url + n, sizeof(url) - n, ",s16#m");
                CHECK_ERR(hw_redis_url_parse(url, &u, errstr, sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "more than 16 sentinels");
        }
        {
                hw_redis_url_t u;
                char longname[300], master[257];
                memset(master, 'm', 256);
                master[256] = '\0';
                snprintf(longname, sizeof(longname), "redis-sentinel://s1#%s",
                         master);
                CHECK_ERR(hw_redis_url_parse(longname, &u, errstr,
                                             sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "primary name longer than 255");
        }
}

int main(void) {
        int rc;

        HW_RUN(test_redis_url_ok);
        HW_RUN(test_redis_url_errors);
        HW_RUN(test_sentinel_url_ok);
        HW_RUN(test_sentinel_url_errors);

        rc = hw_test_summary();
        remove_temps();
        return rc;
}
