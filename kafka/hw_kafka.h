/*
 * Kafka client settings shared by hirewire's programs: where the brokers
 * are, librdkafka properties given with -X, and logging through hw_log.
 */
#ifndef HW_KAFKA_H
#define HW_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "hw_err.h"

#define HW_KAFKA_MAX_PROPS 64

typedef struct hw_kafka_opts_s {
        const char *brokers;                   /* -b LIST */
        const char *bootstrap_file;            /* --bootstrap-file FILE */
        const char *props[HW_KAFKA_MAX_PROPS]; /* "key=value" from -X */
        size_t n_props;
} hw_kafka_opts_t;

/* Records one -X key=value. Returns HW_ERR_ARG (errstr set) if it has no
 * '=' or there are too many. */
hw_err_t hw_kafka_opts_add_prop(hw_kafka_opts_t *opts, const char *kv,
                                char *errstr, size_t errstr_size);

/*
 * Builds a librdkafka configuration: bootstrap.servers from -b or the
 * bootstrap file, then every -X property (which may override anything),
 * and a logger that writes logfmt records with component "kafka".
 * Returns NULL with errstr set when no brokers are given, the file cannot
 * be read, or librdkafka rejects a property (the property is named; its
 * value is not, in case it is a secret).
 */
rd_kafka_conf_t *hw_kafka_conf_new(const hw_kafka_opts_t *opts, char *errstr,
                                   size_t errstr_size);

/* Whether a librdkafka property holds a secret (passwords, secrets, keys,
 * tokens, JAAS configs): its value is never shown in a message. */
int hw_kafka_secret_key(const char *key);

/* Sets one property on conf; errors name the key only. */
hw_err_t hw_kafka_conf_set(rd_kafka_conf_t *conf, const char *key,
                           const char *value, char *errstr, size_t errstr_size);

/* Sets every -X property of opts on conf (again), so that they win over
 * defaults a program set after hw_kafka_conf_new(). Errors name the key. */
hw_err_t hw_kafka_conf_apply_props(rd_kafka_conf_t *conf,
                                   const hw_kafka_opts_t *opts, char *errstr,
                                   size_t errstr_size);

/* Reads the first line of a bootstrap file into out. */
hw_err_t hw_kafka_read_bootstrap_file(const char *path, char *out,
                                      size_t out_size, char *errstr,
                                      size_t errstr_size);

#endif
