/*
 * Unit tests for the consumer configuration (config/hw_config.c): defaults,
 * every key's good and bad values, the config file reader, validation and
 * the flags every program takes. The country files are test_countries.c's,
 * redis:// URLs test_redis_url.c's.
 */
#include "config_fixtures.h"

/* ------------------------------------------------------------------ */
/* Defaults                                                            */
/* ------------------------------------------------------------------ */

static void check_defaults(const hw_config_t *c) {
        HW_CHECK_STR(c->group, "hirewire");
        HW_CHECK_STR(c->topic_hires, "talent.hires");
        HW_CHECK_STR(c->topic_offers, "talent.offers");
        HW_CHECK_STR(c->topic_dlq, "talent.dlq");
        HW_CHECK_STR(c->topic_alerts, "talent.alerts");
        HW_CHECK_STR(c->redis_url, "redis://127.0.0.1:6379");
        HW_CHECK_NULL(c->redis_password);
        HW_CHECK_STR(c->prefix, "hw:");
        HW_CHECK_EQ_INT(c->n_windows, 4);
        HW_CHECK_EQ_INT(c->windows[0], 7);
        HW_CHECK_EQ_INT(c->windows[1], 30);
        HW_CHECK_EQ_INT(c->windows[2], 90);
        HW_CHECK_EQ_INT(c->windows[3], 365);
        HW_CHECK_EQ_INT(c->mega_threshold_usd, 100000000);
        HW_CHECK_EQ_INT(c->max_message_bytes, 65536);
        HW_CHECK_EQ_INT(c->batch_max_events, 5000);
        HW_CHECK_EQ_INT(c->batch_max_ms, 10);
        HW_CHECK_EQ_INT(c->outage_wait_ms, 60000);
        HW_CHECK_EQ_INT(c->seen_days, 365);
        HW_CHECK_STR(c->metrics_addr, "127.0.0.1:9464");
        HW_CHECK_EQ_INT(c->log_level, HW_LOG_INFO);
        HW_CHECK_NULL(c->bases_file);
        HW_CHECK_NULL(c->groups_file);
        HW_CHECK_EQ_INT(c->n_groups, 0);
        HW_CHECK_EQ_INT(c->n_countries, 0);
        HW_CHECK_NULL(c->kafka.brokers);
        HW_CHECK_NULL(c->kafka.bootstrap_file);
        HW_CHECK_EQ_INT(c->kafka.n_props, 0);
}

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

static void test_kafka_props(void) {
        hw_config_t c;
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;

        CHECK_ERR(
                hw_config_set(&c, "kafka.acks", "all", errstr, sizeof(errstr)),
                HW_OK);
        CHECK_ERR(hw_config_set(&c, "kafka.security.protocol", "SASL_SSL",
                                errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.kafka.n_props, 2);
        HW_CHECK_STR(c.kafka.props[0], "acks=all");
        HW_CHECK_STR(c.kafka.props[1], "security.protocol=SASL_SSL");
        /* hw_kafka_opts_t points into c's copies. */
        HW_CHECK(c.kafka.props[0] == c.kafka_props[0]);
        HW_CHECK(c.kafka.props[1] == c.kafka_props[1]);

        /* The same property again replaces the entry. */
        CHECK_ERR(hw_config_set(&c, "kafka.acks", "1", errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.kafka.n_props, 2);
        HW_CHECK_STR(c.kafka.props[0], "acks=1");
        /* "acks" is not a prefix match for "acks.x"-like names. */
        CHECK_ERR(hw_config_set(&c, "kafka.client.id", "hw", errstr,
                                sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(c.kafka.n_props, 3);

        /* The properties build a librdkafka configuration. */
        {
                rd_kafka_conf_t *conf;
                char val[64];
                size_t vlen = sizeof(val);
                CHECK_ERR(hw_config_set(&c, "brokers", "127.0.0.1:1", errstr,
                                        sizeof(errstr)),
                          HW_OK);
                conf = hw_kafka_conf_new(&c.kafka, errstr, sizeof(errstr));
                if (HW_CHECK(conf != NULL)) {
                        HW_CHECK_EQ_INT(rd_kafka_conf_get(conf, "client.id",
                                                          val, &vlen),
                                        RD_KAFKA_CONF_OK);
                        HW_CHECK_STR(val, "hw");
                        rd_kafka_conf_destroy(conf);
                }
        }

        /* Unknown property, bad names. */
        CHECK_ERR(hw_config_set(&c, "kafka.no.such.property", "1", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "kafka.no.such.property: ");
        CHECK_ERR(hw_config_set(&c, "kafka.", "1", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "kafka.: ");
        CHECK_ERR(hw_config_set(&c, "kafka.a b", "1", errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "kafka.a b: ");

        /* A rejected value is never quoted back: it may be a secret. */
        CHECK_ERR(hw_config_set(&c, "kafka.security.protocol", "TopSecretValue",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "kafka.security.protocol: ");
        CHECK_NOT_CONTAINS(errstr, "TopSecretValue");
        HW_CHECK_EQ_INT(c.kafka.n_props, 3);
        HW_CHECK_STR(c.kafka.props[1], "security.protocol=SASL_SSL");

        /* librdkafka's reason is kept, with the value blanked out. */
        CHECK_ERR(hw_config_set(&c, "kafka.linger.ms", "-5", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "kafka.linger.ms: ");
        HW_CHECK_CONTAINS(errstr, "outside allowed range");
        CHECK_NOT_CONTAINS(errstr, "-5");
        CHECK_ERR(hw_config_set(&c, "kafka.enable.idempotence", "maybe", errstr,
                                sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "true or false");
        CHECK_NOT_CONTAINS(errstr, "maybe");
        /* A value that librdkafka's message happens to contain elsewhere
         * drops the message. */
        CHECK_ERR(hw_config_set(&c, "kafka.security.protocol", "protocol",
                                errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_STR(errstr, "kafka.security.protocol: invalid value "
                             "(rejected by librdkafka)");

        /* A secret value is accepted and stored. */
        CHECK_ERR(hw_config_set(&c, "kafka.sasl.password", "p@ss=word", errstr,
                                sizeof(errstr)),
                  HW_OK);
        HW_CHECK_STR(c.kafka.props[3], "sasl.password=p@ss=word");

        /* No more than HW_KAFKA_MAX_PROPS properties. The program may also
         * register -X strings it owns itself (argv): c must not free
         * those, and must still replace them by key. */
        {
                static const char *const argv_props[] = {
                        "linger.ms=5",
                        "debug=broker",
                };
                CHECK_ERR(hw_kafka_opts_add_prop(&c.kafka, argv_props[0],
                                                 errstr, sizeof(errstr)),
                          HW_OK);
                CHECK_ERR(hw_kafka_opts_add_prop(&c.kafka, argv_props[1],
                                                 errstr, sizeof(errstr)),
                          HW_OK);
                HW_CHECK_EQ_INT(c.kafka.n_props, 6);
                CHECK_ERR(hw_config_set(&c, "kafka.linger.ms", "10", errstr,
                                        sizeof(errstr)),
                          HW_OK);
                HW_CHECK_EQ_INT(c.kafka.n_props, 6);
                HW_CHECK_STR(c.kafka.props[4], "linger.ms=10");
                HW_CHECK_STR(argv_props[0], "linger.ms=5");
                HW_CHECK(c.kafka.props[5] == argv_props[1]);
                while (c.kafka.n_props < HW_KAFKA_MAX_PROPS)
                        c.kafka.props[c.kafka.n_props++] = argv_props[1];
                CHECK_ERR(hw_config_set(&c, "kafka.fetch.min.bytes", "1",
                                        errstr, sizeof(errstr)),
                          HW_ERR_ARG);
                HW_CHECK_CONTAINS(errstr,
                                  "kafka.fetch.min.bytes: more than 64");
                HW_CHECK_EQ_INT(c.kafka.n_props, HW_KAFKA_MAX_PROPS);
                /* Replacing still works when full. */
                CHECK_ERR(hw_config_set(&c, "kafka.acks", "0", errstr,
                                        sizeof(errstr)),
                          HW_OK);
                HW_CHECK_STR(c.kafka.props[0], "acks=0");
        }
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
/* Config files                                                        */
/* ------------------------------------------------------------------ */

static void test_load_file(void) {
        hw_config_t c;
        const char *path = write_temp(
                "\xEF\xBB\xBF# a comment\n"
                "\n"
                "   # an indented comment\n"
                "group=g1\n"
                "  prefix   =   \"hw2:\"   \n"
                "topic.hires = h1\r\n"
                "windows = \"30d, 7d\"\n"
                "redis.password = \" pass#word \\\"quoted\\\" \\\\ \\n \"\n"
                "redis.url = redis://:p#w@r1:6390/3\n"
                "kafka.client.id = hirewire-test\n"
                "metrics.addr = off\n"
                "log.level = warn\n"
                "batch.max.events = 7\n"
                "\t\n"
                "bootstrap.file = \"/tmp/a b.txt\"\n"
                "# the last line has no newline\n"
                "seen.days = 9");
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_load_file(&c, path, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_STR(c.group, "g1");
        HW_CHECK_STR(c.prefix, "hw2:");
        HW_CHECK_STR(c.topic_hires, "h1");
        HW_CHECK_EQ_INT(c.n_windows, 2);
        HW_CHECK_EQ_INT(c.windows[0], 7);
        HW_CHECK_EQ_INT(c.windows[1], 30);
        HW_CHECK_STR(c.redis_password, " pass#word \"quoted\" \\ \\n ");
        HW_CHECK_STR(c.redis_url, "redis://:p#w@r1:6390/3");
        HW_CHECK_EQ_INT(c.kafka.n_props, 1);
        HW_CHECK_STR(c.kafka.props[0], "client.id=hirewire-test");
        HW_CHECK_STR(c.metrics_addr, "off");
        HW_CHECK_EQ_INT(c.log_level, HW_LOG_WARN);
        HW_CHECK_EQ_INT(c.batch_max_events, 7);
        HW_CHECK_STR(c.kafka.bootstrap_file, "/tmp/a b.txt");
        HW_CHECK_EQ_INT(c.seen_days, 9);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);
        hw_config_release(&c);
}

/* Loads text as a config file; expects HW_ERR_ARG with errstr starting
 * "PATH:LINE: " and containing want. */
static void expect_file_error(const char *text, int line, const char *want) {
        hw_config_t c;
        char prefix[300];
        const char *path = write_temp(text);
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        HW_CONTEXT("file text: %s", text);
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
        CHECK_ERR(hw_config_load_file(&c, path, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_MSG(!strncmp(errstr, prefix, strlen(prefix)),
                     "errstr \"%s\" does not start with \"%s\"", errstr,
                     prefix);
        HW_CHECK_CONTAINS(errstr, want);
        HW_CONTEXT("%s", "");
        hw_config_release(&c);
}

static void test_load_file_errors(void) {
        hw_config_t c;

        expect_file_error("# ok\ngroup = a\nthis line has no equals sign\n", 3,
                          "key = value");
        expect_file_error("\n\n\n\nbatch.max.ms = 0\n", 5,
                          "batch.max.ms: 0 is out of range");
        expect_file_error("group = a\nnope = 1\n", 2, "unknown key \"nope\"");
        expect_file_error("= value\n", 1, "no key");
        expect_file_error("prefix = \"hw:\n", 1, "prefix: unterminated quote");
        expect_file_error("prefix = \"hw:\" x\n", 1,
                          "prefix: text after the closing quote");
        expect_file_error("prefix = \" hw:\"\n", 1, "prefix: ");
        expect_file_error("windows = 7d,30x\n", 1, "windows: \"30x\"");
        expect_file_error("group = a\r\nlog.level = loud\r\n", 2,
                          "log.level: \"loud\"");
        /* A secret on a bad line is not echoed. */
        expect_file_error("redis.url = redis://:Sekrit99@host:0\n", 1,
                          "redis.url: ");
        CHECK_NOT_CONTAINS(errstr, "Sekrit99");
        expect_file_error("Sekrit99\n", 1, "key = value");
        CHECK_NOT_CONTAINS(errstr, "Sekrit99");

        /* A missing file is an I/O error naming it. */
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_load_file(&c, "/nonexistent/hirewire.conf", errstr,
                                      sizeof(errstr)),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "/nonexistent/hirewire.conf");
        hw_config_release(&c);
}

/* The shipped sample sets exactly the defaults and lists every key. */
static void test_sample_conf(void) {
        static const char *const keys[] = {
                "brokers",
                "bootstrap.file",
                "kafka.",
                "group",
                "topic.hires",
                "topic.offers",
                "topic.dlq",
                "topic.alerts",
                "redis.url",
                "redis.password",
                "prefix",
                "windows",
                "mega.threshold.usd",
                "max.message.bytes",
                "batch.max.events",
                "batch.max.ms",
                "outage.wait.ms",
                "dedup.days",
                "metrics.addr",
                "country.bases.file",
                "country.groups.file",
                "log.level",
        };
        char path[1024], text[16384];
        hw_config_t c;
        FILE *fp;
        size_t n;

        src_path("deploy/config/hirewire.conf", path, sizeof(path));
        HW_CONTEXT("%s", path);
        fp = fopen(path, "r");
        if (!HW_CHECK(fp != NULL))
                return;
        n = fread(text, 1, sizeof(text) - 1, fp);
        text[n] = '\0';
        fclose(fp);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                char line[128];
                snprintf(line, sizeof(line), "\n%s", keys[i]);
                if (!strstr(text, line)) /* maybe commented out */
                        snprintf(line, sizeof(line), "\n#%s", keys[i]);
                HW_CHECK_MSG(strstr(text, line) != NULL,
                             "key %s is missing from the sample config",
                             keys[i]);
        }
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_load_file(&c, path, errstr, sizeof(errstr)), HW_OK);
        /* The sample sets every default, and names the shipped country
         * files relative to itself. */
        HW_CHECK_STR(c.bases_file, "talent-bases.csv");
        HW_CHECK_STR(c.groups_file, "country-groups.csv");
        free(c.bases_file);
        free(c.groups_file);
        c.bases_file = c.groups_file = NULL;
        check_defaults(&c);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);
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

/* The flags every program takes (-b, --bootstrap-file, -c, -s, -X): each
 * applied, a refused value named, another option left to the program. */
static void test_common_flags(void) {
        hw_config_t c;
        char errstr[256];

        if (!HW_CHECK_EQ_INT(hw_config_init(&c), HW_OK))
                return;
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, 'b', "k1:9092", errstr,
                                              sizeof(errstr)),
                        1);
        HW_CHECK_STR(c.kafka.brokers, "k1:9092");
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, HW_OPT_BOOTSTRAP_FILE,
                                              "/tmp/b", errstr, sizeof(errstr)),
                        1);
        HW_CHECK_STR(c.kafka.bootstrap_file, "/tmp/b");
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, 'X', "linger.ms=5", errstr,
                                              sizeof(errstr)),
                        1);
        HW_CHECK_EQ_INT(c.kafka.n_props, 1);
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, 's', "prefix=x:", errstr,
                                              sizeof(errstr)),
                        1);
        HW_CHECK_STR(c.prefix, "x:");
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, 's', "no-equals", errstr,
                                              sizeof(errstr)),
                        -1);
        HW_CHECK_CONTAINS(errstr, "--set");
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, 'c', "ignored.conf", errstr,
                                              sizeof(errstr)),
                        1);
        HW_CHECK_EQ_INT(hw_config_common_flag(&c, HW_OPT_FIRST, "x", errstr,
                                              sizeof(errstr)),
                        0);
        hw_config_release(&c);
}

int main(void) {
        int rc;

        HW_RUN(test_defaults);
        HW_RUN(test_set_each_key);
        HW_RUN(test_set_ranges);
        HW_RUN(test_windows);
        HW_RUN(test_unknown_key);
        HW_RUN(test_kafka_props);
        HW_RUN(test_secrets_never_echoed);
        HW_RUN(test_load_file);
        HW_RUN(test_load_file_errors);
        HW_RUN(test_sample_conf);
        HW_RUN(test_validate);
        HW_RUN(test_common_flags);

        rc = hw_test_summary();
        remove_temps();
        return rc;
}
