/* Unit tests of the consumer config's keys: defaults, values, checks. */
/*
 * config/hw_config.c and hw_config_validate.c: defaults, every key's good
 * and bad values, secrets never echoed, and validation. Config files are test_config_file.c's,
 * Kafka properties and the common flags test_config_kafka.c's, the
 * country files test_countries.c's, redis:// URLs test_redis_url.c's.
 */
#include "config_fixtures.h"

/* ------------------------------------------------------------------ */
/* Defaults                                                            */
/* ------------------------------------------------------------------ */

static void test_defaults(void) {
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        check_defaults(&c);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_NULL(hw_config_country(&c, "KR"));
        hw_config_release(&c);
        /* Release leaves c zeroed, so a second release is harmless. */
        HW_CHECK_NULL(c.group);
        hw_config_release(&c);
}

/* ------------------------------------------------------------------ */
/* hw_config_set, key by key                                           */
/* ------------------------------------------------------------------ */

typedef struct key_case_s {
        const char *key;
        const char *good;    /* a valid value, != the default */
        const char *bad[10]; /* invalid values (NULL-terminated) */
} key_case_t;

static const key_case_t key_cases[] = {
        {"brokers", "k1:9092,k2:9092", {"", "k1:9092, k2:9092", NULL}},
        {"bootstrap.file", "/tmp/bootstrap.txt", {"", "a\nb", NULL}},
        {"group", "hirewire-replay", {"", "my group", "a\tb", NULL}},
        {"topic.hires",
         "prod.talent.hires",
         {"", "talent hires", "talent/hires", ".", "..", NULL}},
        {"topic.offers", "prod.talent.offers", {"", "offers!", NULL}},
        {"topic.dlq", "prod.talent.dlq", {"", "dlq:x", NULL}},
        {"topic.alerts", "prod.talent.alerts", {"", "a b", NULL}},
        {"redis.url",
         "redis://redis.internal:6380/2",
         {"", "http://x", "redis://", "redis://h:0", "redis://h:65536",
          "redis://h/x", "redis://h:p", NULL}},
        {"redis.password", "s3cret", {NULL}},
        {"prefix", "hw2:", {"", "hw :", NULL}},
        {"windows",
         "1d,14d",
         {"", "7x", "7", "d", "0d", "3651d", "7d,,30d", NULL}},
        {"mega.threshold.usd",
         "250000000",
         {"", "-1", "1.5", "1e8", "1000000000001", " 5", "5 ", NULL}},
        {"max.message.bytes",
         "1048576",
         {"", "63", "104857601", "64k", "0x100", NULL}},
        {"batch.max.events", "100", {"", "0", "1000001", "-5", "+5", NULL}},
        {"batch.max.ms", "1000", {"", "0", "60001", "1.0", NULL}},
        {"outage.wait.ms", "5000", {"", "-1", "86400001", "5s", NULL}},
        {"seen.days", "60", {"", "0", "3651", "abc", NULL}},
        {"metrics.addr",
         "0.0.0.0:0",
         {"", "localhost", "localhost:", "localhost:65536", ":9464", "::1:9464",
          "[::1", "a b:1", NULL}},
        {"country.bases.file", "/etc/hirewire/bases.csv", {"", NULL}},
        {"country.groups.file", "/etc/hirewire/groups.csv", {"", NULL}},
        {"log.level", "debug", {"", "verbose", "INFO", " info", NULL}},
};

#define N_KEY_CASES (sizeof(key_cases) / sizeof(key_cases[0]))

/* A printable snapshot of every plain setting, to see that a rejected
 * value changed nothing. */
static void snapshot(const hw_config_t *c, char *out, size_t size) {
        snprintf(out, size,
                 "%s|%s|%s|%s|%s|%s|%s|%s|%s|%zu:%d,%d|%lld|%zu|%d|%d|%d|%d|"
                 "%s|%d|%s|%s|%s|%s|%zu",
                 c->kafka.brokers ? c->kafka.brokers : "-",
                 c->kafka.bootstrap_file ? c->kafka.bootstrap_file : "-",
                 c->group, c->topic_hires, c->topic_offers, c->topic_dlq,
                 c->topic_alerts, c->redis_url,
                 c->redis_password ? c->redis_password : "-", c->n_windows,
                 c->windows[0], c->windows[1], (long long)c->mega_threshold_usd,
                 c->max_message_bytes, c->batch_max_events, c->batch_max_ms,
                 c->outage_wait_ms, c->seen_days, c->metrics_addr, c->log_level,
                 c->prefix, c->bases_file ? c->bases_file : "-",
                 c->groups_file ? c->groups_file : "-",
                 c->kafka.n_props ? c->kafka.props[0] : "-", c->kafka.n_props);
}

static void test_set_each_key(void) {
        hw_config_t c;
        char before[2048], after[2048];

        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        for (size_t i = 0; i < N_KEY_CASES; i++) {
                const key_case_t *kc = &key_cases[i];
                char prefix[128];

                HW_CONTEXT("key %s", kc->key);
                snprintf(prefix, sizeof(prefix), "%s: ", kc->key);
                snapshot(&c, before, sizeof(before));
                CHECK_ERR(hw_config_set(&c, kc->key, kc->good, errstr,
                                        sizeof(errstr)),
                          HW_OK);
                snapshot(&c, after, sizeof(after));
                HW_CHECK_MSG(strcmp(before, after) != 0,
                             "setting %s = %s changed nothing", kc->key,
                             kc->good);
                for (size_t b = 0; kc->bad[b]; b++) {
                        HW_CONTEXT("key %s, bad value \"%s\"", kc->key,
                                   kc->bad[b]);
                        errstr[0] = '\0';
                        CHECK_ERR(hw_config_set(&c, kc->key, kc->bad[b], errstr,
                                                sizeof(errstr)),
                                  HW_ERR_ARG);
                        /* The message starts with the key... */
                        HW_CHECK_MSG(!strncmp(errstr, prefix, strlen(prefix)),
                                     "errstr \"%s\" does not start with "
                                     "\"%s\"",
                                     errstr, prefix);
                        /* ...and the previous value is kept. */
                        snapshot(&c, before, sizeof(before));
                        HW_CHECK_STR(before, after);
                }
        }
        HW_CONTEXT("%s", "");

        /* The values set above, read back. */
        HW_CHECK_STR(c.kafka.brokers, "k1:9092,k2:9092");
        HW_CHECK_STR(c.kafka.bootstrap_file, "/tmp/bootstrap.txt");
        HW_CHECK_STR(c.group, "hirewire-replay");
        HW_CHECK_STR(c.topic_hires, "prod.talent.hires");
        HW_CHECK_STR(c.topic_offers, "prod.talent.offers");
        HW_CHECK_STR(c.topic_dlq, "prod.talent.dlq");
        HW_CHECK_STR(c.topic_alerts, "prod.talent.alerts");
        HW_CHECK_STR(c.redis_url, "redis://redis.internal:6380/2");
        HW_CHECK_STR(c.redis_password, "s3cret");
        HW_CHECK_STR(c.prefix, "hw2:");
        HW_CHECK_EQ_INT(c.n_windows, 2);
        HW_CHECK_EQ_INT(c.windows[0], 1);
        HW_CHECK_EQ_INT(c.windows[1], 14);
        HW_CHECK_EQ_INT(c.mega_threshold_usd, 250000000);
        HW_CHECK_EQ_INT(c.max_message_bytes, 1048576);
        HW_CHECK_EQ_INT(c.batch_max_events, 100);
        HW_CHECK_EQ_INT(c.batch_max_ms, 1000);
        HW_CHECK_EQ_INT(c.seen_days, 60);
        HW_CHECK_STR(c.metrics_addr, "0.0.0.0:0");
        HW_CHECK_STR(c.bases_file, "/etc/hirewire/bases.csv");
        HW_CHECK_STR(c.groups_file, "/etc/hirewire/groups.csv");
        HW_CHECK_EQ_INT(c.log_level, HW_LOG_DEBUG);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);

        /* Setting a key again replaces (and frees) the old copy. */
        CHECK_ERR(hw_config_set(&c, "group", "g2", errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(c.group, "g2");
        CHECK_ERR(
                hw_config_set(&c, "brokers", "k3:9092", errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_STR(c.kafka.brokers, "k3:9092");
        /* An empty password means none. */
        CHECK_ERR(
                hw_config_set(&c, "redis.password", "", errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_NULL(c.redis_password);
        hw_config_release(&c);
}

static void test_set_ranges(void) {
        static const struct {
                const char *key, *lo, *hi, *below, *above;
        } r[] = {
                {"mega.threshold.usd", "0", "1000000000000", NULL,
                 "1000000000001"},
                {"max.message.bytes", "64", "104857600", "63", "104857601"},
                {"batch.max.events", "1", "1000000", "0", "1000001"},
                {"batch.max.ms", "1", "60000", "0", "60001"},
                {"outage.wait.ms", "0", "86400000", NULL, "86400001"},
                {"seen.days", "1", "3650", "0", "3651"},
        };
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
                HW_CONTEXT("key %s", r[i].key);
                CHECK_ERR(hw_config_set(&c, r[i].key, r[i].lo, errstr,
                                        sizeof(errstr)),
                          HW_OK);
                CHECK_ERR(hw_config_set(&c, r[i].key, r[i].hi, errstr,
                                        sizeof(errstr)),
                          HW_OK);
                if (r[i].below) {
                        CHECK_ERR(hw_config_set(&c, r[i].key, r[i].below,
                                                errstr, sizeof(errstr)),
                                  HW_ERR_ARG);
                        HW_CHECK_CONTAINS(errstr, "out of range");
                }
                CHECK_ERR(hw_config_set(&c, r[i].key, r[i].above, errstr,
                                        sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "out of range");
                /* Too many digits for any integer type. */
                CHECK_ERR(hw_config_set(&c, r[i].key,
                                        "99999999999999999999999999", errstr,
                                        sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, r[i].key);
                CHECK_ERR(hw_config_set(&c, r[i].key, "12abc", errstr,
                                        sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr, "not a whole number");
        }
        HW_CONTEXT("%s", "");
        HW_CHECK_EQ_INT(c.mega_threshold_usd, INT64_C(1000000000000));
        HW_CHECK_EQ_INT(c.max_message_bytes, 104857600);
        HW_CHECK_EQ_INT(c.batch_max_events, 1000000);
        HW_CHECK_EQ_INT(c.batch_max_ms, 60000);
        HW_CHECK_EQ_INT(c.seen_days, 3650);
        hw_config_release(&c);
}

static void test_windows(void) {
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;

        /* Sorted and deduplicated; spaces around items; "all" skipped. */
        CHECK_ERR(hw_config_set(&c, "windows", " 365d, 7d ,30d,7d, all,1d ",
                                errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.n_windows, 4);
        HW_CHECK_EQ_INT(c.windows[0], 1);
        HW_CHECK_EQ_INT(c.windows[1], 7);
        HW_CHECK_EQ_INT(c.windows[2], 30);
        HW_CHECK_EQ_INT(c.windows[3], 365);

        CHECK_ERR(hw_config_set(&c, "windows", "3650d", errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.n_windows, 1);
        HW_CHECK_EQ_INT(c.windows[0], 3650);

        /* Eight windows fit; a ninth distinct one does not, a duplicate
         * does. */
        CHECK_ERR(hw_config_set(&c, "windows", "1d,2d,3d,4d,5d,6d,7d,8d,8d",
                                errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.n_windows, 8);
        HW_CHECK_EQ_INT(c.windows[7], 8);
        CHECK_ERR(hw_config_set(&c, "windows", "1d,2d,3d,4d,5d,6d,7d,8d,9d",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: more than 8");
        HW_CHECK_EQ_INT(c.n_windows, 8);

        /* The header's example message. */
        CHECK_ERR(hw_config_set(&c, "windows", "7x", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr,
                     "windows: \"7x\" is not a number of days like 30d");
        CHECK_ERR(
                hw_config_set(&c, "windows", "30d,0d", errstr, sizeof(errstr)),
                HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "\"0d\" is out of range");
        CHECK_ERR(hw_config_set(&c, "windows", "99999999999999999999d", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "out of range");
        CHECK_ERR(hw_config_set(&c, "windows", "all", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: no day window");
        CHECK_ERR(hw_config_set(&c, "windows", "7d,", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "windows: empty item");
        HW_CHECK_EQ_INT(c.n_windows, 8);
        hw_config_release(&c);
}

static void test_unknown_key(void) {
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_set(&c, "x", "1", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "unknown key \"x\"");
        CHECK_ERR(hw_config_set(&c, "Group", "g", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "unknown key \"Group\"");
        CHECK_ERR(hw_config_set(&c, "", "g", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        CHECK_ERR(hw_config_set(&c, "group", NULL, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "group");
        /* A tiny errstr is still NUL-terminated. */
        {
                char small[8];
                memset(small, 'x', sizeof(small));
                CHECK_ERR(hw_config_set(&c, "nope", "1", small, sizeof(small)),
                          HW_ERR_ARG);
                HW_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
        }
        HW_CHECK_STR(c.group, "hirewire");
        hw_config_release(&c);
}

static void test_secrets_never_echoed(void) {
        hw_config_t c;
        char longpw[400];
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;

        memset(longpw, 'S', sizeof(longpw) - 1);
        longpw[sizeof(longpw) - 1] = '\0';
        CHECK_ERR(hw_config_set(&c, "redis.password", longpw, errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "redis.password: ");
        CHECK_NOT_CONTAINS(errstr, "SSSS");
        HW_CHECK_NULL(c.redis_password);

        CHECK_ERR(hw_config_set(&c, "redis.url",
                                "redis://:Hunter2pw@host:99999", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "redis.url: ");
        HW_CHECK_CONTAINS(errstr, "port");
        CHECK_NOT_CONTAINS(errstr, "Hunter2pw");
        HW_CHECK_STR(c.redis_url, "redis://127.0.0.1:6379");

        CHECK_ERR(hw_config_set(&c, "redis.url", "redis://:Hunter2pw@host:6380",
                                errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(c.redis_url, "redis://:Hunter2pw@host:6380");
        hw_config_release(&c);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

static void test_validate(void) {
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

        EXPECT_INVALID(c.n_windows = 0, c.n_windows = 4, "windows: ");
        EXPECT_INVALID(c.windows[1] = 7, c.windows[1] = 30, "windows: ");
        EXPECT_INVALID(c.windows[3] = 4000, c.windows[3] = 365, "windows: ");
        EXPECT_INVALID(c.batch_max_events = 0, c.batch_max_events = 5000,
                       "batch.max.events: ");
        EXPECT_INVALID(c.batch_max_ms = -1, c.batch_max_ms = 200,
                       "batch.max.ms: ");
        EXPECT_INVALID(c.seen_days = 0, c.seen_days = 365, "dedup.days: ");
        EXPECT_INVALID(c.max_message_bytes = 0, c.max_message_bytes = 65536,
                       "max.message.bytes: ");
        EXPECT_INVALID(c.max_message_bytes = SIZE_MAX,
                       c.max_message_bytes = 65536, "max.message.bytes: ");
        EXPECT_INVALID(c.mega_threshold_usd = -1,
                       c.mega_threshold_usd = 100000000,
                       "mega.threshold.usd: ");
        EXPECT_INVALID(c.log_level = 9, c.log_level = HW_LOG_INFO,
                       "log.level: ");
        {
                char *saved = c.prefix;
                EXPECT_INVALID(c.prefix = NULL, c.prefix = saved, "prefix: ");
                EXPECT_INVALID(c.prefix = "", c.prefix = saved, "prefix: ");
        }
        {
                char *saved = c.redis_url;
                EXPECT_INVALID(c.redis_url = "redis://:pw123@h:0",
                               c.redis_url = saved, "redis.url: ");
                CHECK_NOT_CONTAINS(errstr, "pw123");
                EXPECT_INVALID(c.redis_url = NULL, c.redis_url = saved,
                               "redis.url: ");
        }
        {
                char *saved = c.group;
                EXPECT_INVALID(c.group = NULL, c.group = saved, "group: ");
        }
        {
                char *saved = c.metrics_addr;
                EXPECT_INVALID(c.metrics_addr = "nowhere",
                               c.metrics_addr = saved, "metrics.addr: ");
        }
        /* The DLQ and alert topics must not be input topics. */
        CHECK_ERR(hw_config_set(&c, "topic.dlq", "talent.hires", errstr,
                                sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "topic.dlq: must differ from topic.hires");
        CHECK_ERR(hw_config_set(&c, "topic.dlq", "talent.dlq", errstr,
                                sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_set(&c, "topic.alerts", "talent.dlq", errstr,
                                sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "topic.alerts: must differ from topic.dlq");
#undef EXPECT_INVALID
        hw_config_release(&c);
}

static void run_all(void) {
        HW_RUN(test_defaults);
        HW_RUN(test_set_each_key);
        HW_RUN(test_set_ranges);
        HW_RUN(test_windows);
        HW_RUN(test_unknown_key);
        HW_RUN(test_secrets_never_echoed);
        HW_RUN(test_validate);
}

int main(void) {
        return config_main(run_all);
}
