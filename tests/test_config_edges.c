/*
 * The config's less travelled paths: errors quote at most 80 bytes of a
 * bad value (then "..."), the number keys at the edges of what parses,
 * the float key, text limits, bracketed addresses, odd whitespace and
 * bytes in config files, -c/--config on the command line, -s/-X pairs,
 * and validation of values a program set in the struct directly.
 */
#include <sys/stat.h>

#include "config_fixtures.h"

/* A value of n 'Z's ending in "TAIL" (so a full quote shows). */
static void long_value(char *out, size_t n, const char *suffix) {
        memset(out, 'Z', n);
        memcpy(out + n - 4, "TAIL", 4);
        strcpy(out + n, suffix);
}

/* Checks that errstr names what, quotes the bad value cut short and ends
 * the cut with "...". */
#define CHECK_CUT(what)                                                        \
        do {                                                                   \
                HW_CHECK_CONTAINS(errstr, (what));                             \
                HW_CHECK_CONTAINS(errstr, "ZZZZ...");                          \
                CHECK_NOT_CONTAINS(errstr, "TAIL");                            \
                HW_CHECK_MSG(strlen(errstr) < 300, "errstr is %zu bytes",      \
                             strlen(errstr));                                  \
        } while (0)

static void test_long_values_cut(void) {
        static const char *const keys[] = {
                "log.level",
                "schema.registry.unavailable",
                "alerts.brain_drain.index",
                "batch.max.ms",
        };
        char v[400], key[400];
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        long_value(v, 300, "");
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                HW_CONTEXT("key %s", keys[i]);
                CHECK_ERR(hw_config_set(&c, keys[i], v, errstr, sizeof(errstr)),
                          HW_ERR_ARG);
                CHECK_CUT(keys[i]);
        }
        HW_CONTEXT("%s", "");
        /* A number too large for any type, 300 digits long. */
        memset(v, '9', 300);
        v[300] = '\0';
        CHECK_ERR(hw_config_set(&c, "batch.max.ms", v, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "batch.max.ms: \"9999");
        HW_CHECK_CONTAINS(errstr, "...\" is out of range 1..60000");
        HW_CHECK(strlen(errstr) < 300);

        /* An unknown key, a key without a value, a bad metrics address. */
        long_value(key, 300, "");
        CHECK_ERR(hw_config_set(&c, key, "1", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        CHECK_CUT("unknown key \"");
        CHECK_ERR(hw_config_set(&c, key, NULL, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        CHECK_CUT(": no value");
        long_value(v, 300, ":1");
        v[0] = '[';
        CHECK_ERR(hw_config_set(&c, "metrics.addr", v, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        CHECK_CUT("metrics.addr: \"[");

        /* windows: a long item, and a long value with an empty item. */
        long_value(v, 300, "d");
        CHECK_ERR(hw_config_set(&c, "windows", v, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: \"ZZZZ");
        HW_CHECK_CONTAINS(errstr, "is not a number of days like 30d");
        CHECK_NOT_CONTAINS(errstr, "TAIL");
        strcpy(v, "7d,,");
        memset(v + 4, '7', 200);
        strcpy(v + 204, "d");
        CHECK_ERR(hw_config_set(&c, "windows", v, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: empty item in \"7d,,7777");
        HW_CHECK_CONTAINS(errstr, "7...\"");
        HW_CHECK(strlen(errstr) < 300);
        /* A number of days too long to hold is out of range, not junk. */
        memset(v, '1', 200);
        strcpy(v + 200, "d");
        CHECK_ERR(hw_config_set(&c, "windows", v, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "\" is out of range 1d..3650d");
        HW_CHECK(strlen(errstr) < 300);

        /* A bad -X property name. */
        long_value(key, 300, "");
        memcpy(key, "kafka.a$", 8);
        CHECK_ERR(hw_config_set(&c, key, "1", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        CHECK_CUT("not a librdkafka property name");

        /* Nothing of the above was taken. */
        check_defaults(&c);
        hw_config_release(&c);
}

/* alerts.brain_drain.index: a finite decimal number in -10000..10000. */
static void test_float_key(void) {
        static const char *const not_numbers[] = {
                "", "abc", "0.5x", "-0.5 ", "nan", "inf", "-inf", "1e999",
        };
        static const struct {
                const char *v;
                double want;
        } good[] = {{"-0.5", -0.5},
                    {"1e3", 1000},
                    {"-10000", -10000},
                    {"10000", 10000},
                    {"0", 0}};
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                HW_CONTEXT("value \"%s\"", good[i].v);
                CHECK_ERR(hw_config_set(&c, "alerts.brain_drain.index",
                                        good[i].v, errstr, sizeof(errstr)),
                          HW_OK);
                HW_CHECK(c.alert_drain_index == good[i].want);
        }
        CHECK_ERR(hw_config_set(&c, "alerts.brain_drain.index", "-0.3", errstr,
                                sizeof(errstr)),
                  HW_OK);
        for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]);
             i++) {
                HW_CONTEXT("value \"%s\"", not_numbers[i]);
                CHECK_ERR(hw_config_set(&c, "alerts.brain_drain.index",
                                        not_numbers[i], errstr, sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "alerts.brain_drain.index: \"");
                HW_CHECK_CONTAINS(errstr, "\" is not a number");
        }
        HW_CONTEXT("%s", "");
        CHECK_ERR(hw_config_set(&c, "alerts.brain_drain.index", "-10000.5",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "alerts.brain_drain.index: -10000.5 is out of "
                             "range -10000..10000");
        CHECK_ERR(hw_config_set(&c, "alerts.brain_drain.index", "1e5", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "100000 is out of range");
        HW_CHECK(c.alert_drain_index == -0.3);
        hw_config_release(&c);
}

static void test_number_edges(void) {
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        /* Digits past INT64_MAX, then junk: junk wins. */
        CHECK_ERR(hw_config_set(&c, "batch.max.ms", "99999999999999999999x",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is not a whole number");
        CHECK_ERR(hw_config_set(&c, "mega.threshold.usd", "9223372036854775808",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is out of range 0..1000000000000");
        /* A day count longer than any number: out of range when digits,
         * not a number of days otherwise. */
        CHECK_ERR(hw_config_set(&c, "windows", "123456789012345678901234d",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is out of range 1d..3650d");
        CHECK_ERR(hw_config_set(&c, "windows", "12345678901234567890123xd",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is not a number of days");
        CHECK_ERR(hw_config_set(&c, "windows", "0000000007d", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is out of range");
        CHECK_ERR(hw_config_set(&c, "windows", "  ", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: no day window given");
        CHECK_ERR(hw_config_set(&c, "windows", ",7d", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: empty item");
        CHECK_ERR(hw_config_set(&c, "windows", "007d", errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.n_windows, 1);
        HW_CHECK_EQ_INT(c.windows[0], 7);
        /* schema.registry.unavailable is one of two words. */
        CHECK_ERR(hw_config_set(&c, "schema.registry.unavailable", "dlq",
                                errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.registry_outage_dlq, 1);
        CHECK_ERR(hw_config_set(&c, "schema.registry.unavailable", "DLQ",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is not one of retry, dlq");
        HW_CHECK_EQ_INT(c.registry_outage_dlq, 1);
        CHECK_ERR(hw_config_set(&c, "schema.registry.unavailable", "retry",
                                errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.registry_outage_dlq, 0);
        hw_config_release(&c);
}

/* Sets key to value and checks the answer: NULL = accepted, else the
 * text the error must hold. */
static void expect_set(hw_config_t *c, const char *key, const char *value,
                       const char *why) {
        HW_CONTEXT("%s = \"%.40s\"", key, value);
        if (!why) {
                CHECK_ERR(hw_config_set(c, key, value, errstr, sizeof(errstr)),
                          HW_OK);
        } else {
                CHECK_ERR(hw_config_set(c, key, value, errstr, sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, key);
                HW_CHECK_CONTAINS(errstr, why);
        }
        HW_CONTEXT("%s", "");
}

static void test_text_limits(void) {
        char v[400];
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        memset(v, 't', 249);
        v[249] = '\0';
        expect_set(&c, "topic.hires", v, NULL);
        HW_CHECK_EQ_INT(strlen(c.topic_hires), 249);
        strcat(v, "t");
        expect_set(&c, "topic.hires", v, "longer than 249 bytes");
        expect_set(&c, "topic.offers", "a_b-c.D9", NULL);
        HW_CHECK_STR(c.topic_offers, "a_b-c.D9");
        memset(v, 'p', 64);
        v[64] = '\0';
        expect_set(&c, "prefix", v, NULL);
        strcat(v, "p");
        expect_set(&c, "prefix", v, "longer than 64 bytes");
        memset(v, 'g', 256);
        v[256] = '\0';
        expect_set(&c, "group", v, "longer than 255 bytes");
        expect_set(&c, "group", "a\x7f", "control characters");
        expect_set(&c, "archive.dir", "/tmp/a\x7f", "control characters");
        expect_set(&c, "brokers", "k1:9092\x7f", "control characters");
        HW_CHECK_STR(c.group, "hirewire");
        HW_CHECK_NULL(c.archive_dir);

        /* The Schema Registry's URL list. */
        expect_set(&c, "schema.registry.url", " http://a:8081 , https://b ",
                   NULL);
        HW_CHECK_STR(c.registry_url, " http://a:8081 , https://b ");
        expect_set(&c, "schema.registry.url", "http://a,,https://b,", NULL);
        expect_set(&c, "schema.registry.url", "http://a,ftp://b",
                   "expected http:// or https:// URLs");
        expect_set(&c, "schema.registry.url", "http://a\x01", "control");
        expect_set(&c, "schema.registry.url", "http://a,,https://b,", NULL);
        expect_set(&c, "schema.registry.url", "", NULL);
        HW_CHECK_NULL(c.registry_url);

        /* Bracketed and odd host names of metrics.addr. */
        expect_set(&c, "metrics.addr", "my_host-1.local:80", NULL);
        expect_set(&c, "metrics.addr", "[fe80::1%]:1", "empty IPv6 zone");
        expect_set(&c, "metrics.addr", "[fe80::1%e$]:1",
                   "invalid character in IPv6 zone");
        expect_set(&c, "metrics.addr", "[1234]:80",
                   "not an IPv6 address inside [...]");
        expect_set(&c, "metrics.addr", "[::1]x", "unexpected text after ']'");
        expect_set(&c, "metrics.addr", "[::1]", "expected host:port");
        expect_set(&c, "metrics.addr", "[]:1", "empty host");
        expect_set(&c, "metrics.addr", "[::g]:1",
                   "invalid character in IPv6 address");
        expect_set(&c, "metrics.addr", "h$:1", "invalid character in host");
        HW_CHECK_STR(c.metrics_addr, "my_host-1.local:80");
        hw_config_release(&c);
}

/* Loads text as a config file (it may hold NUL bytes: len given). */
static hw_err_t load_text(hw_config_t *c, const char *text, size_t len) {
        FILE *fp = fmemopen((void *)text, len, "r");
        hw_err_t err;
        if (!HW_CHECK(fp != NULL))
                return HW_ERR_IO;
        err = hw_config_load_stream(c, fp, "t.conf", errstr, sizeof(errstr));
        fclose(fp);
        return err;
}

static void test_file_bytes(void) {
        static const char nul[] = "group = a\nprefix = h\0w:\ntopic.dlq = x\n";
        static const char spaces[] = "\f group\v=\v g1 \f\r\n\v\n";
        static const char bom[] = "\xEF\xBB\xBFgroup = bom\n";
        static const char bom2[] = "group = a\n\xEF\xBB\xBFprefix = p:\n";
        static const char quoted[] = "prefix = \"h\\\"w\\\\:\\n\"\n";
        char dir[] = "/tmp/hw-config-dir-XXXXXX";
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;

        /* A NUL byte stops the file at its line; what came before stays. */
        CHECK_ERR(load_text(&c, nul, sizeof(nul) - 1), HW_ERR_ARG);
        HW_CHECK_STR(errstr, "t.conf:2: NUL byte in line");
        HW_CHECK_STR(c.group, "a");
        HW_CHECK_STR(c.topic_dlq, "talent.dlq");

        /* Form feeds and vertical tabs are blanks like spaces. */
        CHECK_ERR(load_text(&c, spaces, sizeof(spaces) - 1), HW_OK);
        HW_CHECK_STR(c.group, "g1");

        /* A byte order mark is skipped on the first line only. */
        CHECK_ERR(load_text(&c, bom, sizeof(bom) - 1), HW_OK);
        HW_CHECK_STR(c.group, "bom");
        CHECK_ERR(load_text(&c, bom2, sizeof(bom2) - 1), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "t.conf:2: unknown key");

        /* Inside quotes \" and \\ stand for " and \; other escapes stay. */
        CHECK_ERR(load_text(&c, quoted, sizeof(quoted) - 1), HW_OK);
        HW_CHECK_STR(c.prefix, "h\"w\\:\\n");

        /* A folder given as the config file: a read error naming it. */
        if (HW_CHECK(mkdtemp(dir) != NULL)) {
                CHECK_ERR(hw_config_load_file(&c, dir, errstr, sizeof(errstr)),
                          HW_ERR_IO);
                HW_CHECK_CONTAINS(errstr, dir);
                HW_CHECK_CONTAINS(errstr, "read error");
                rmdir(dir);
        }
        hw_config_release(&c);
}

static void test_config_args(void) {
        const char *conf = write_temp("group = from-file\n");
        const char *path;
        char arg[4200];
        hw_config_t c;

        snprintf(arg, sizeof(arg), "--config=%s", conf);
        {
                char *argv[] = {"prog", "-b", "k:1", arg, NULL};
                if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                        return;
                CHECK_ERR(hw_config_load_args(&c, 4, argv, &path, errstr,
                                              sizeof(errstr)),
                          HW_OK);
                HW_CHECK_STR(path, conf);
                HW_CHECK_STR(c.group, "from-file");
                hw_config_release(&c);
        }
        {
                /* The last -c wins; -c without a file is left to getopt. */
                char *argv[] = {"prog",     "-c",         "/nonexistent/a.conf",
                                "--config", (char *)conf, "-c",
                                NULL};
                if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                        return;
                CHECK_ERR(hw_config_load_args(&c, 6, argv, &path, errstr,
                                              sizeof(errstr)),
                          HW_OK);
                HW_CHECK_STR(path, conf);
                HW_CHECK_STR(c.group, "from-file");
                hw_config_release(&c);
        }
        {
                /* After "--" come file names, not flags. */
                char *argv[] = {"prog", "--", "-c", (char *)conf, NULL};
                if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                        return;
                CHECK_ERR(hw_config_load_args(&c, 4, argv, &path, errstr,
                                              sizeof(errstr)),
                          HW_OK);
                HW_CHECK_NULL(path);
                HW_CHECK_STR(c.group, "hirewire");
                hw_config_release(&c);
        }
        {
                char *argv[] = {"prog", "--config=/nonexistent/b.conf", NULL};
                if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                        return;
                CHECK_ERR(hw_config_load_args(&c, 2, argv, &path, errstr,
                                              sizeof(errstr)),
                          HW_ERR_IO);
                HW_CHECK_CONTAINS(errstr, "/nonexistent/b.conf");
                hw_config_release(&c);
        }
}

static void test_set_pairs(void) {
        char pair[400];
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        memset(pair, 'k', 300);
        strcpy(pair + 300, "=1");
        CHECK_ERR(hw_config_set_pair(&c, "--set", "", pair, errstr,
                                     sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "--set: key longer than 255 bytes");
        CHECK_ERR(hw_config_set_pair(&c, "--set", "", "=1", errstr,
                                     sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "--set =...: expected key=value");
        CHECK_ERR(hw_config_set_pair(&c, "-X", "kafka.", "linger.ms", errstr,
                                     sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "-X linger.ms: expected key=value");
        /* A long argument without '=' is shown cut to 80 bytes. */
        memset(pair, 'k', 300);
        pair[300] = '\0';
        CHECK_ERR(hw_config_set_pair(&c, "-X", "kafka.", pair, errstr,
                                     sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "-X kkkkkkkkkk");
        HW_CHECK_CONTAINS(errstr, "k...: expected key=value");
        HW_CHECK_EQ_INT(strlen(errstr),
                        strlen("-X ...: expected key=value") + 80);
        /* A value may hold '='; an empty value is a value. */
        CHECK_ERR(hw_config_set_pair(&c, "-X", "kafka.", "sasl.password==a=b",
                                     errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(c.kafka.props[0], "sasl.password==a=b");
        CHECK_ERR(hw_config_set_pair(&c, "--set", "", "redis.password=", errstr,
                                     sizeof(errstr)),
                  HW_OK);
        HW_CHECK_NULL(c.redis_password);
        /* plugin.library.paths is kept for the client, not loaded here. */
        CHECK_ERR(hw_config_set_pair(&c, "-X", "kafka.",
                                     "plugin.library.paths=/nonexistent.so",
                                     errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(c.kafka.props[1], "plugin.library.paths=/nonexistent.so");
        hw_config_release(&c);
}

/* Values a program wrote into the struct itself, checked at start-up. */
static void test_validate_direct(void) {
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
#define EXPECT_INVALID(stmt, restore, want)                                    \
        do {                                                                   \
                stmt;                                                          \
                CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)),      \
                          HW_ERR_ARG);                                         \
                HW_CHECK_CONTAINS(errstr, want);                               \
                restore;                                                       \
                CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)),      \
                          HW_OK);                                              \
        } while (0)
        EXPECT_INVALID(c.archive_dir = "", c.archive_dir = NULL,
                       "archive.dir: must not be empty");
        EXPECT_INVALID(c.kafka.brokers = "k1:1 k2:2", c.kafka.brokers = NULL,
                       "brokers: must not contain spaces");
        EXPECT_INVALID(c.n_windows = 9, c.n_windows = 4,
                       "windows: more than 8 windows");
        EXPECT_INVALID(c.windows[0] = 0, c.windows[0] = 7,
                       "windows: days must be unique, ascending");
        EXPECT_INVALID(c.log_level = -1, c.log_level = HW_LOG_INFO,
                       "log.level: not one of");
        EXPECT_INVALID(c.n_groups = HW_CONFIG_MAX_GROUPS + 1, c.n_groups = 0,
                       "country.groups.file: more than 16 groups");
        EXPECT_INVALID(c.n_countries = HW_CONFIG_MAX_COUNTRIES + 1,
                       c.n_countries = 0,
                       "country.bases.file: more than 256 countries");
        EXPECT_INVALID((c.kafka.props[0] = "linger.ms", c.kafka.n_props = 1),
                       c.kafka.n_props = 0, "kafka property #1 is not");
        EXPECT_INVALID((c.kafka.props[0] = NULL, c.kafka.n_props = 1),
                       c.kafka.n_props = 0, "kafka property #1 is not");
#undef EXPECT_INVALID
        c.kafka.props[0] = NULL;
        hw_config_release(&c);
}

/* Percent escapes in a redis:// URL's user info. */
static void test_redis_url_escapes(void) {
        static const struct {
                const char *url, *user, *password;
        } ok[] = {
                {"redis://:%4a%4B@h", "", "JK"},
                {"redis://:%4g%zz@h", "", "%4g%zz"},
                {"redis://:ab%@h", "", "ab%"},
                {"redis://:a%4@h", "", "a%4"},
                {"redis://%41dmin:%7e@h", "Admin", "~"},
        };
        hw_redis_url_t u;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                HW_CONTEXT("url %s", ok[i].url);
                if (CHECK_ERR(hw_redis_url_parse(ok[i].url, &u, errstr,
                                                 sizeof(errstr)),
                              HW_OK)) {
                        HW_CHECK_STR(u.username, ok[i].user);
                        HW_CHECK_STR(u.password, ok[i].password);
                        HW_CHECK_STR(u.host, "h");
                }
        }
        HW_CONTEXT("%s", "");
        CHECK_ERR(hw_redis_url_parse("redis://u%00:Sekrit77@h", &u, errstr,
                                     sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "user name holds %00");
        CHECK_NOT_CONTAINS(errstr, "Sekrit77");
        CHECK_ERR(hw_redis_url_parse("redis-sentinel://:Sekrit77@s1#a%7fb", &u,
                                     errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "primary name holds a space or control");
        CHECK_NOT_CONTAINS(errstr, "Sekrit77");
}

static void run_all(void) {
        HW_RUN(test_long_values_cut);
        HW_RUN(test_float_key);
        HW_RUN(test_number_edges);
        HW_RUN(test_text_limits);
        HW_RUN(test_file_bytes);
        HW_RUN(test_config_args);
        HW_RUN(test_set_pairs);
        HW_RUN(test_validate_direct);
        HW_RUN(test_redis_url_escapes);
}

int main(void) {
        return config_main(run_all);
}
