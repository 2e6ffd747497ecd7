/*
 * What the files of config/ share: the key table and the checks of a
 * key's value, the text helpers of the config's parsers (hw_config.c holds
 * them; the other files use them too) and the limits they check. Not for
 * use outside config/: hw_config.h is the config's interface.
 */
#ifndef HW_CONFIG_INT_H
#define HW_CONFIG_INT_H

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw_buf.h"
#include "hw_config.h"
#include "hw_log.h"
#include "hw_validate.h"

#define CONF_MIB (1024 * 1024)
#define CONF_PREFIX_MAX 64     /* bytes in the Redis key prefix */
#define CONF_TOPIC_MAX 249     /* Kafka's limit on a topic name */
#define CONF_NAME_MAX 255      /* group id, file names are not limited */
#define CONF_GROUP_NAME_MAX 32 /* country group names */
#define CONF_WINDOW_MAX_DAYS 3650
#define CONF_SHOW 80 /* at most this many bytes of a value quoted */

/* Quoted text of a non-secret value for an error message, cut at
 * CONF_SHOW bytes. */
#define SHOWN(v)                                                               \
        (strlen(v) > CONF_SHOW ? CONF_SHOW : (int)strlen(v)), (v),             \
                (strlen(v) > CONF_SHOW ? "..." : "")

/* Trims ASCII whitespace at both ends, in place. */
char *hw_conf_trim(char *s);

/* Parses a whole number of decimal digits (no sign, no spaces) into *out:
 * 0, -1 if s is not one, -2 if it is larger than INT64_MAX. */
int hw_conf_parse_whole(const char *s, int64_t *out);

/* The same for the n bytes at s. */
int hw_conf_parse_whole_n(const char *s, size_t n, int64_t *out);

/*
 * Splits s[0..len) into host and port: "host", "host:port", "[v6]" or
 * "[v6]:port"; *port is -1 when none is given. NULL, or a static
 * description of what is wrong (never quoting s, which may be part of a
 * URL holding a password).
 */
const char *hw_conf_split_host_port(const char *s, size_t len,
                                    const char **host, size_t *host_len,
                                    int *port);

/* What a key's value is: how it is checked, parsed and stored. */
typedef enum conf_kind_e {
        K_NAME,      /* non-empty, no spaces or control bytes (group) */
        K_TOPIC,     /* a legal Kafka topic name */
        K_PREFIX,    /* Redis key prefix */
        K_PATH,      /* non-empty file name */
        K_REDIS_URL, /* redis:// URL (may hold a password) */
        K_SECRET,    /* redis.password */
        K_METRICS,   /* host:port or "off" */
        K_INT,       /* int field, range min..max */
        K_SIZE,      /* size_t field */
        K_I64,       /* int64_t field */
        K_WINDOWS,
        K_LEVEL,
        K_DOUBLE,    /* double field, range min..max */
        K_BROKERS,   /* c->kafka.brokers (const char *, owned) */
        K_BOOTSTRAP, /* c->kafka.bootstrap_file */
        K_HTTP_URLS, /* http(s) URLs, comma-separated, may hold a password;
                      * empty = unset */
        K_OUTAGE     /* "retry" (0) or "dlq" (1) */
} conf_kind_t;

/* A key of the config file and of -s, with its field and range. */
typedef struct conf_key_s {
        const char *key;
        conf_kind_t kind;
        size_t off; /* offset of the field in hw_config_t */
        int64_t min, max;
} conf_key_t;

/* A field's offset in hw_config_t, as the key table gives it. */
#define F(field) offsetof(hw_config_t, field)

/* Every key but kafka.*, with its kind and range (hw_config.c). */
extern const conf_key_t hw_conf_keys[];
extern const size_t hw_conf_n_keys;

/* Frees a string that may hold a secret, wiping it first. Accepts NULL. */
void hw_conf_free_secret(char *s);

/*
 * Checks the value of a string key. Returns NULL when it is fine, else
 * writes "key: why" into errstr and returns errstr. Secret values are never
 * quoted.
 */
const char *hw_conf_string_problem(const conf_key_t *k, const char *v,
                                   char *errstr, size_t size);

/* Checks a number against the key's range; "key: why" in errstr. */
const char *hw_conf_range_problem(const conf_key_t *k, int64_t v, char *errstr,
                                  size_t size);

/* kafka.<prop> = value (hw_config_kafka.c): checked by librdkafka, kept as
 * "prop=value" in c->kafka_props. On failure c is unchanged and errstr
 * names the key, never quoting the value. */
hw_err_t hw_conf_set_kafka_prop(hw_config_t *c, const char *key,
                                const char *value, char *errstr, size_t size);

#endif
