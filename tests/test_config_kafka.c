/* Unit tests of the config's Kafka properties and the common flags. */
#include "config_fixtures.h"
#include "hw_log.h"

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

static int usage_calls;
static FILE *usage_out;

static void test_usage(FILE *out) {
        usage_calls++;
        usage_out = out;
}

/* The flags every program takes (-b, --bootstrap-file, -c, -s, -X,
 * --log-level, -h, --version): each applied, a refused value named,
 * help and version printed and asked to exit, another option left to the
 * program. */
static void test_common_flags(void) {
        static const hw_config_prog_t prog = {"hirewire-test", test_usage};
        hw_config_t c;
        char errstr[256];

#define FLAG(opt, arg)                                                         \
        hw_config_common_flag(&c, opt, arg, &prog, errstr, sizeof(errstr))
        if (!HW_CHECK_EQ_INT(hw_config_init(&c), HW_OK))
                return;
        HW_CHECK_EQ_INT(FLAG('b', "k1:9092"), HW_CONFIG_FLAG_TAKEN);
        HW_CHECK_STR(c.kafka.brokers, "k1:9092");
        HW_CHECK_EQ_INT(FLAG(HW_OPT_BOOTSTRAP_FILE, "/tmp/b"),
                        HW_CONFIG_FLAG_TAKEN);
        HW_CHECK_STR(c.kafka.bootstrap_file, "/tmp/b");
        HW_CHECK_EQ_INT(FLAG('X', "linger.ms=5"), HW_CONFIG_FLAG_TAKEN);
        HW_CHECK_EQ_INT(c.kafka.n_props, 1);
        HW_CHECK_EQ_INT(FLAG('s', "prefix=x:"), HW_CONFIG_FLAG_TAKEN);
        HW_CHECK_STR(c.prefix, "x:");
        HW_CHECK_EQ_INT(FLAG('s', "no-equals"), HW_CONFIG_FLAG_BAD);
        HW_CHECK_CONTAINS(errstr, "--set");
        HW_CHECK_EQ_INT(FLAG(HW_OPT_LOG_LEVEL, "debug"), HW_CONFIG_FLAG_TAKEN);
        HW_CHECK_EQ_INT(c.log_level, HW_LOG_DEBUG);
        HW_CHECK_EQ_INT(FLAG(HW_OPT_LOG_LEVEL, "loud"), HW_CONFIG_FLAG_BAD);
        HW_CHECK_CONTAINS(errstr, "log.level");
        HW_CHECK_EQ_INT(c.log_level, HW_LOG_DEBUG);
        HW_CHECK_EQ_INT(FLAG('c', "ignored.conf"), HW_CONFIG_FLAG_TAKEN);
        HW_CHECK_EQ_INT(FLAG('h', NULL), HW_CONFIG_FLAG_EXIT);
        HW_CHECK_EQ_INT(usage_calls, 1);
        HW_CHECK(usage_out == stdout);
        HW_CHECK_EQ_INT(FLAG(HW_OPT_VERSION, NULL), HW_CONFIG_FLAG_EXIT);
        HW_CHECK_EQ_INT(usage_calls, 1);
        HW_CHECK_EQ_INT(FLAG(HW_OPT_FIRST, "x"), HW_CONFIG_FLAG_OTHER);
#undef FLAG
        hw_config_release(&c);
}

static void run_all(void) {
        HW_RUN(test_kafka_props);
        HW_RUN(test_common_flags);
}

int main(void) {
        return config_main(run_all);
}
