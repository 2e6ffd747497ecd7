/* Unit tests of the Kafka client settings (kafka/hw_kafka.c). */
/*
 * -X properties (their checks and their limit), the bootstrap file, which
 * property names hold secrets and that their values never show in an
 * error, and building a librdkafka configuration: brokers from -b, the
 * file or -X bootstrap.servers, and the errors for none, a missing file
 * and a property librdkafka refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_kafka.h"
#include "hw_log.h"
#include "hw_test.h"

static char errstr[512];

/* A file in /tmp holding text; its path in path (static). */
static const char *temp_file(const char *text) {
        static char path[64];
        FILE *fp;
        snprintf(path, sizeof(path), "/tmp/hw-test-kafka-%d", (int)getpid());
        fp = fopen(path, "w");
        if (fp) {
                fputs(text, fp);
                fclose(fp);
        }
        return path;
}

static void test_props(void) {
        hw_kafka_opts_t o;
        static char kv[HW_KAFKA_MAX_PROPS + 1][32];

        memset(&o, 0, sizeof(o));
        HW_CHECK_EQ_INT(
                hw_kafka_opts_add_prop(&o, "acks", errstr, sizeof(errstr)),
                HW_ERR_ARG);
        HW_CHECK_STR(errstr, "-X acks: expected key=value");
        HW_CHECK_EQ_INT(
                hw_kafka_opts_add_prop(&o, "=all", errstr, sizeof(errstr)),
                HW_ERR_ARG);
        HW_CHECK_EQ_INT(o.n_props, 0);
        for (int i = 0; i < HW_KAFKA_MAX_PROPS; i++) {
                snprintf(kv[i], sizeof(kv[i]), "client.id=c%d", i);
                HW_CHECK_EQ_INT(hw_kafka_opts_add_prop(&o, kv[i], errstr,
                                                       sizeof(errstr)),
                                HW_OK);
        }
        snprintf(kv[HW_KAFKA_MAX_PROPS], sizeof(kv[0]), "acks=1");
        HW_CHECK_EQ_INT(hw_kafka_opts_add_prop(&o, kv[HW_KAFKA_MAX_PROPS],
                                               errstr, sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "more than 64 properties");
        HW_CHECK_EQ_INT(o.n_props, HW_KAFKA_MAX_PROPS);
}

static void test_bootstrap_file(void) {
        char out[128];
        const char *path;

        path = temp_file("127.0.0.1:9092,127.0.0.1:9093\r\nignored\n");
        HW_CHECK_EQ_INT(hw_kafka_read_bootstrap_file(path, out, sizeof(out),
                                                     errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_STR(out, "127.0.0.1:9092,127.0.0.1:9093");
        path = temp_file("\n");
        HW_CHECK_EQ_INT(hw_kafka_read_bootstrap_file(path, out, sizeof(out),
                                                     errstr, sizeof(errstr)),
                        HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "is empty");
        path = temp_file("");
        HW_CHECK_EQ_INT(hw_kafka_read_bootstrap_file(path, out, sizeof(out),
                                                     errstr, sizeof(errstr)),
                        HW_ERR_IO);
        unlink(path);
        HW_CHECK_EQ_INT(hw_kafka_read_bootstrap_file(path, out, sizeof(out),
                                                     errstr, sizeof(errstr)),
                        HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "cannot open bootstrap file");
        HW_CHECK_CONTAINS(errstr, "No such file");
}

static void test_secrets(void) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();

        HW_CHECK(hw_kafka_secret_key("sasl.password"));
        HW_CHECK(hw_kafka_secret_key("sasl.oauthbearer.client.secret"));
        HW_CHECK(hw_kafka_secret_key("ssl.key"));
        HW_CHECK(hw_kafka_secret_key("sasl.jaas.config"));
        HW_CHECK(hw_kafka_secret_key("sasl.oauthbearer.token.endpoint.url"));
        HW_CHECK(!hw_kafka_secret_key("ssl.key.location.x"));
        HW_CHECK(!hw_kafka_secret_key("key"));
        HW_CHECK(!hw_kafka_secret_key("acks"));
        /* A refused value: librdkafka's reason for a plain property (it
         * may quote the value), never for a secret's. */
        HW_CHECK_EQ_INT(hw_kafka_conf_set(conf, "acks", "sometimes", errstr,
                                          sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "Kafka property acks: Invalid value");
        HW_CHECK_EQ_INT(hw_kafka_conf_set(conf, "no.such.password", "hunter2",
                                          errstr, sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "not shown: a secret");
        HW_CHECK(strstr(errstr, "hunter2") == NULL);
        HW_CHECK(strstr(errstr, "No such") == NULL);
        rd_kafka_conf_destroy(conf);
}

static void test_conf_new(void) {
        hw_kafka_opts_t o;
        rd_kafka_conf_t *conf;
        char val[128];
        size_t vlen;

        /* No brokers anywhere. */
        memset(&o, 0, sizeof(o));
        HW_CHECK_NULL(hw_kafka_conf_new(&o, errstr, sizeof(errstr)));
        HW_CHECK_CONTAINS(errstr, "no Kafka brokers");
        /* -X bootstrap.servers is enough. */
        o.props[o.n_props++] = "bootstrap.servers=127.0.0.1:1";
        conf = hw_kafka_conf_new(&o, errstr, sizeof(errstr));
        if (HW_CHECK(conf != NULL)) {
                vlen = sizeof(val);
                rd_kafka_conf_get(conf, "bootstrap.servers", val, &vlen);
                HW_CHECK_STR(val, "127.0.0.1:1");
                rd_kafka_conf_destroy(conf);
        }
        /* The file, when there is no -b; a missing file is an error. */
        memset(&o, 0, sizeof(o));
        o.bootstrap_file = temp_file("127.0.0.1:2\n");
        conf = hw_kafka_conf_new(&o, errstr, sizeof(errstr));
        if (HW_CHECK(conf != NULL)) {
                vlen = sizeof(val);
                rd_kafka_conf_get(conf, "bootstrap.servers", val, &vlen);
                HW_CHECK_STR(val, "127.0.0.1:2");
                rd_kafka_conf_destroy(conf);
        }
        unlink(o.bootstrap_file);
        HW_CHECK_NULL(hw_kafka_conf_new(&o, errstr, sizeof(errstr)));
        HW_CHECK_CONTAINS(errstr, "cannot open bootstrap file");
        /* -b wins over the file; a property librdkafka refuses is named. */
        o.brokers = "127.0.0.1:3";
        o.props[o.n_props++] = "no.such.property=1";
        HW_CHECK_NULL(hw_kafka_conf_new(&o, errstr, sizeof(errstr)));
        HW_CHECK_CONTAINS(errstr, "Kafka property no.such.property");
}

/* librdkafka's own errors, logged from its threads through the log
 * callback hw_kafka_conf_new sets, are written but never taken as the
 * program's last error (the reason of a closing line): a producer whose
 * broker refuses connections logs FAIL errors, and the last error stays
 * the program's own. */
static void test_library_errors(void) {
        hw_kafka_opts_t o;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        char port[32];

        memset(&o, 0, sizeof(o));
        snprintf(port, sizeof(port), "127.0.0.1:%d", hw_test_closed_port());
        o.brokers = port;
        conf = hw_kafka_conf_new(&o, errstr, sizeof(errstr));
        if (!HW_CHECK(conf != NULL))
                return;
        HW_ERROR("test", "the program's own reason");
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!HW_CHECK(rk != NULL)) {
                rd_kafka_conf_destroy(conf);
                return;
        }
        /* A message that cannot be delivered: connections are tried and
         * fail (logged at error level) until it is flushed away. */
        HW_CHECK_EQ_INT(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("t"),
                                          RD_KAFKA_V_VALUE("v", 1),
                                          RD_KAFKA_V_END),
                        RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_flush(rk, 1500);
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_destroy(rk);
        HW_CHECK_STR(hw_log_last_error(), "the program's own reason");
}

int main(void) {
        HW_RUN(test_library_errors);
        HW_RUN(test_props);
        HW_RUN(test_bootstrap_file);
        HW_RUN(test_secrets);
        HW_RUN(test_conf_new);
        return hw_test_summary();
}
