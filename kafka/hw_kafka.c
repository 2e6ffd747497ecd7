#include "hw_kafka.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_log.h"

hw_err_t hw_kafka_opts_add_prop(hw_kafka_opts_t *opts, const char *kv,
                                char *errstr, size_t size) {
        if (!strchr(kv, '=') || kv[0] == '=')
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "-X %s: expected key=value", kv);
        if (opts->n_props == HW_KAFKA_MAX_PROPS)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "-X: more than %d properties",
                               HW_KAFKA_MAX_PROPS);
        opts->props[opts->n_props++] = kv;
        return HW_OK;
}

hw_err_t hw_kafka_read_bootstrap_file(const char *path, char *out,
                                      size_t out_size, char *errstr,
                                      size_t size) {
        FILE *fp = fopen(path, "r");
        size_t n;

        if (!fp)
                return hw_fail(HW_ERR_IO, errstr, size,
                               "cannot open bootstrap file %s: %s", path,
                               strerror(errno));
        if (!fgets(out, (int)out_size, fp))
                out[0] = '\0';
        fclose(fp);
        n = strcspn(out, "\r\n");
        out[n] = '\0';
        if (n == 0)
                return hw_fail(HW_ERR_IO, errstr, size,
                               "bootstrap file %s is empty", path);
        return HW_OK;
}

int hw_kafka_secret_key(const char *key) {
        size_t n = strlen(key);
        return strstr(key, "password") || strstr(key, "secret") ||
               (n >= 4 && !strcmp(key + n - 4, ".key")) ||
               strstr(key, "jaas.config") || strstr(key, "token");
}

hw_err_t hw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key,
                           const char *value, char *errstr, size_t size) {
        char rderr[256];
        if (rd_kafka_conf_set(conf, key, value, rderr, sizeof(rderr)) !=
            RD_KAFKA_CONF_OK)
                /* librdkafka's message may quote the value. */
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "Kafka property %s: %s", key,
                               hw_kafka_secret_key(key)
                                       ? "invalid value (not shown: a "
                                         "secret)"
                                       : rderr);
        return HW_OK;
}

hw_err_t hw_kafka_conf_apply_props(rd_kafka_conf_t *conf,
                                   const hw_kafka_opts_t *opts, char *errstr,
                                   size_t size) {
        for (size_t i = 0; i < opts->n_props; i++) {
                char key[256];
                const char *eq = strchr(opts->props[i], '=');
                snprintf(key, sizeof(key), "%.*s", (int)(eq - opts->props[i]),
                         opts->props[i]);
                if (hw_kafka_conf_set(conf, key, eq + 1, errstr, size))
                        return HW_ERR_ARG;
        }
        return HW_OK;
}

/* librdkafka log levels are syslog levels. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
        hw_log_level_t l = level <= 3   ? HW_LOG_ERROR
                           : level <= 5 ? HW_LOG_WARN
                           : level == 6 ? HW_LOG_INFO
                                        : HW_LOG_DEBUG;
        (void)rk;
        /* Offsets live in Redis; the consumer's commit to Kafka is for lag
         * tools only, fails routinely during a rebalance, and is reported
         * by the consumer itself (its offset_commit_cb). */
        if (!strcmp(fac, "COMMITFAIL"))
                l = HW_LOG_DEBUG;
        /* From librdkafka's threads: what its errors mean to a program,
         * the program says itself. */
        if (l >= hw_log_threshold)
                hw_log_write_library(l, "kafka", "%s: %s", fac, buf);
}

rd_kafka_conf_t *hw_kafka_conf_new(const hw_kafka_opts_t *opts, char *errstr,
                                   size_t size) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char brokers[4096];

        if (opts->brokers) {
                snprintf(brokers, sizeof(brokers), "%s", opts->brokers);
        } else if (opts->bootstrap_file) {
                if (hw_kafka_read_bootstrap_file(opts->bootstrap_file, brokers,
                                                 sizeof(brokers), errstr, size))
                        goto fail;
        } else {
                brokers[0] = '\0';
        }
        if (brokers[0] &&
            hw_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, size))
                goto fail;
        rd_kafka_conf_set_log_cb(conf, log_cb);

        if (hw_kafka_conf_apply_props(conf, opts, errstr, size))
                goto fail;

        if (!brokers[0]) {
                size_t vlen = 0;
                if (rd_kafka_conf_get(conf, "bootstrap.servers", NULL, &vlen) !=
                            RD_KAFKA_CONF_OK ||
                    vlen <= 1) {
                        hw_fail(HW_ERR_ARG, errstr, size,
                                "no Kafka brokers: give -b LIST, "
                                "--bootstrap-file FILE or -X "
                                "bootstrap.servers=LIST");
                        goto fail;
                }
        }
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}
