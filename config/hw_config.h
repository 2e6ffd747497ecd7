/*
 * hirewire-consumer configuration: one struct with defaults, filled from a
 * config file (`-c FILE`) and then from command-line flags, validated once
 * at start-up with a message naming the bad key.
 *
 * Config file format: one `key = value` per line; blank lines and lines
 * starting with '#' are ignored; whitespace around key and value is
 * trimmed; a value may be quoted with "..." to keep leading/trailing
 * spaces. Keys:
 *
 *   brokers, bootstrap.file        Kafka bootstrap list / file
 *   kafka.<property>               any librdkafka property, e.g.
 *                                  kafka.security.protocol = SASL_SSL
 *   group                          consumer group (hirewire)
 *   topic.hires, topic.offers, topic.dlq, topic.alerts
 *   redis.url                      redis://[:password@]host:port[/db], or
 *                                  redis-sentinel://[:password@]host:port
 *                                  [,host:port...][/db]#master
 *   redis.password                 (else REDIS_PASSWORD, else from the URL)
 *   prefix                         Redis key prefix (hw:)
 *   windows                        day windows, e.g. "7d,30d,90d,365d"
 *   mega.threshold.usd             mega-offer threshold (100000000)
 *   max.message.bytes              larger messages are rejected (65536)
 *   dlq.max.message.bytes          a rejected message larger than this goes
 *                                  to the DLQ without its value (1000000,
 *                                  Kafka's default topic limit)
 *   batch.max.events               events per atomic Redis step (10000)
 *   batch.max.ms                   longest a batch collects (10)
 *   dedup.days                     days of event_ids kept for dedup (365;
 *                                  also read as seen.days, its old name)
 *   metrics.addr                   host:port, port 0 = any, or "off"
 *   country.bases.file             CSV: country,base
 *   country.groups.file            CSV: group,country
 *   log.level                      debug, info, warn, error
 *   archive.dir                    archive every valid event there (Avro
 *                                  container files; --archive-dir)
 *   alerts.prefix                  prefix of the alert keys (alerts stream,
 *                                  alert ids, reader positions); default:
 *                                  the prefix. A consumer or replay writing
 *                                  counters to another prefix shares the
 *                                  alerts of this one, so raises none twice.
 *   alerts.stream.maxlen           entries kept in the hw:alerts stream (10000)
 *   alerts.relay.enabled           relay the stream to topic.alerts (1)
 *   alerts.webhook.url             POST each alert as JSON there (unset: off)
 *   alerts.webhook.timeout.ms      per request (5000)
 *   alerts.webhook.retry.min.ms, .retry.max.ms   backoff (200, 30000)
 *   alerts.mega_offer.enabled      0/1 (1)
 *   alerts.mega_offer.usd          threshold of the mega_offer rule (100000000)
 *   alerts.top_tier_move.enabled   0/1 (1)
 *   alerts.raid.enabled            0/1 (1)
 *   alerts.raid.count, .days       hires from one org into one lab within
 *                                  that many days of event time (4, 30)
 *   alerts.brain_drain.enabled     0/1 (1)
 *   alerts.brain_drain.index       threshold of the index (-0.30)
 *   alerts.brain_drain.days        its window, one of `windows` (365)
 *   schema.registry.url            Confluent Schema Registry base URL(s),
 *                                  comma-separated; unset or empty: the
 *                                  local registry in schemas/
 *   schema.registry.basic.auth.user.info   user:password (secret; else
 *                                  $SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO)
 *   schema.registry.ssl.ca.location        CA file for https
 *   schema.registry.ssl.certificate.location, .ssl.key.location,
 *   .ssl.key.password              client certificate, key, its passphrase
 *   schema.registry.timeout.ms     per request (5000)
 *   schema.registry.cache.max      writer schemas kept by id (1000)
 *   schema.registry.unavailable    retry: wait for the registry, reading
 *                                  nothing past the message (default);
 *                                  dlq: dead-letter it as unknown_schema
 *   schema.registry.auto.register  writers register their schema under
 *                                  <topic>-value (1), or take the subject's
 *                                  latest version, which must match (0)
 */
#ifndef HW_CONFIG_H
#define HW_CONFIG_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw_err.h"
#include "hw_kafka.h"
#include "hw_registry.h"

#define HW_CONFIG_MAX_WINDOWS 8
#define HW_CONFIG_MAX_GROUPS 16
#define HW_CONFIG_MAX_COUNTRIES 256

/* A country's talent base and the groups it belongs to. */
typedef struct hw_country_conf_s {
        char code[3];    /* ISO 3166-1 alpha-2 */
        double base;     /* AI-talent pool size; 0 = not configured */
        uint32_t groups; /* bit i = member of groups[i] */
} hw_country_conf_t;

typedef struct hw_config_s {
        hw_kafka_opts_t kafka; /* brokers, bootstrap file, kafka.* properties */
        char *group;
        char *topic_hires;
        char *topic_offers;
        char *topic_dlq;
        char *topic_alerts;

        char *redis_url;
        char *redis_password; /* secret: never logged */
        char *prefix;
        char *alerts_prefix; /* NULL: the prefix (hw_config_alerts_prefix) */

        int windows[HW_CONFIG_MAX_WINDOWS]; /* days, ascending, unique */
        size_t n_windows;
        int64_t mega_threshold_usd;
        size_t max_message_bytes;
        size_t dlq_max_message_bytes;
        int batch_max_events;
        int batch_max_ms;
        int outage_wait_ms; /* how long a batch mode waits for Kafka or
                                   Redis before exiting 69 */
        int seen_days;
        char *metrics_addr;
        int log_level; /* hw_log_level_t */

        int alerts_maxlen;
        int alerts_relay;        /* relay hw:alerts to topic.alerts */
        char *alert_webhook_url; /* NULL = no webhook */
        int alert_webhook_timeout_ms;
        int alert_webhook_retry_min_ms;
        int alert_webhook_retry_max_ms;
        int alert_mega_offer; /* rule on/off */
        int64_t alert_mega_offer_usd;
        int alert_top_tier_move;
        int alert_raid;
        int alert_raid_count;
        int alert_raid_days;
        int alert_brain_drain;
        double alert_drain_index;
        int alert_drain_days;

        /* Schema Registry; registry_url NULL: the local registry. */
        char *registry_url;       /* secret: may hold user:password@ */
        char *registry_user_info; /* secret */
        char *registry_ca;
        char *registry_cert;
        char *registry_key;
        char *registry_key_password; /* secret */
        int registry_timeout_ms;
        int registry_cache_max;
        int registry_outage_dlq; /* 0: retry, 1: DLQ as unknown_schema */
        int registry_auto_register;

        char *archive_dir; /* NULL: no archive */
        char *bases_file;
        char *groups_file;
        char *group_names[HW_CONFIG_MAX_GROUPS];
        size_t n_groups;
        hw_country_conf_t countries[HW_CONFIG_MAX_COUNTRIES];
        size_t n_countries;

        /* Strings given as -X/kafka.* are kept here (hw_kafka_opts_t
         * points into it). */
        char *kafka_props[HW_KAFKA_MAX_PROPS];
} hw_config_t;

/* Fills c with the defaults (strings are owned copies). Returns HW_ERR_NOMEM
 * on allocation failure. */
hw_err_t hw_config_init(hw_config_t *c);

/* Frees every string c owns. */
void hw_config_release(hw_config_t *c);

/*
 * Sets one key (as named in the file format above) from its text value.
 * Returns HW_ERR_ARG with errstr naming the key and what is wrong
 * ("windows: \"7x\" is not a number of days like 30d") for an unknown key
 * or a bad value; c keeps its previous value then.
 */
hw_err_t hw_config_set(hw_config_t *c, const char *key, const char *value,
                       char *errstr, size_t errstr_size);

/* Reads a config file, applying each line with hw_config_set(). Errors
 * name the file, line and key. */
hw_err_t hw_config_load_file(hw_config_t *c, const char *path, char *errstr,
                             size_t errstr_size);

/* The same, from an open stream (not closed); path names it in errors. */
hw_err_t hw_config_load_stream(hw_config_t *c, FILE *fp, const char *path,
                               char *errstr, size_t errstr_size);

/*
 * Loads the config file named on a command line (-c FILE, --config FILE or
 * --config=FILE, the last one wins) before the other flags are parsed, so
 * that they override it. *path is the file's name, or NULL when none is
 * named. Errors name the file, line and key.
 */
hw_err_t hw_config_load_args(hw_config_t *c, int argc, char **argv,
                             const char **path, char *errstr,
                             size_t errstr_size);

/*
 * The flags every program that reads the config and Kafka takes: -b
 * (brokers), --bootstrap-file, -c (the config file: hw_config_load_args
 * reads it first), -s key=value, -X prop=value, --log-level, -h/--help
 * and --version. Their getopt_long entries (getopt.h) and short options;
 * the other options of a program number from HW_OPT_FIRST.
 */
#define HW_OPT_BOOTSTRAP_FILE 256
#define HW_OPT_LOG_LEVEL 257
#define HW_OPT_VERSION 258
#define HW_OPT_FIRST 259
#define HW_COMMON_SHORTOPTS "b:X:c:s:h"
#define HW_COMMON_LONGOPTS                                                     \
        {"brokers", required_argument, NULL, 'b'},                             \
                {"bootstrap-file", required_argument, NULL,                    \
                 HW_OPT_BOOTSTRAP_FILE},                                       \
                {"config", required_argument, NULL, 'c'},                      \
                {"set", required_argument, NULL, 's'},                         \
                {"log-level", required_argument, NULL, HW_OPT_LOG_LEVEL},      \
                {"help", no_argument, NULL, 'h'}, {                            \
                "version", no_argument, NULL, HW_OPT_VERSION                   \
        }

/* A program, for the common flags: its name and its usage text. */
typedef struct hw_config_prog_s {
        const char *name;
        void (*usage)(FILE *out);
} hw_config_prog_t;

/* Prints the usage lines of the common flags that reach Kafka (-b,
 * --bootstrap-file, -X) for a program's usage text, their descriptions
 * starting at column col (28 or more, to clear the flags). */
void hw_config_usage_kafka(FILE *out, int col);

/* What hw_config_common_flag made of an option. */
typedef enum hw_config_flag_e {
        HW_CONFIG_FLAG_BAD = -1,  /* a common flag with a refused value */
        HW_CONFIG_FLAG_OTHER = 0, /* not a common flag */
        HW_CONFIG_FLAG_TAKEN = 1, /* applied to the config */
        HW_CONFIG_FLAG_EXIT = 2,  /* --help or --version: printed, exit 0 */
} hw_config_flag_t;

/* Applies common flag opt with its argument arg to c (-c: nothing, read
 * already); -h and --version print prog's usage (on stdout) or version.
 * On HW_CONFIG_FLAG_BAD errstr says why. */
hw_config_flag_t hw_config_common_flag(hw_config_t *c, int opt, const char *arg,
                                       const hw_config_prog_t *prog,
                                       char *errstr, size_t size);

/* What hw_config_getopt returns for a common flag with a refused value
 * (said on stderr, "<program>: <why>"), and for an unknown flag or a
 * missing value (getopt_long's message, then the usage, on stderr). */
#define HW_CONFIG_OPT_BAD (-2)

/*
 * getopt_long over argv with HW_COMMON_SHORTOPTS and longopts (which hold
 * HW_COMMON_LONGOPTS), applying the common flags to c as
 * hw_config_common_flag does (--help and --version print and exit 0).
 * Returns the next option that is the program's own, -1 after the last,
 * or HW_CONFIG_OPT_BAD.
 */
int hw_config_getopt(hw_config_t *c, int argc, char **argv,
                     const struct option *longopts,
                     const hw_config_prog_t *prog);

/*
 * Applies a "key=value" flag argument: `-s key=value` (key_prefix "") or
 * `-X prop=value` (key_prefix "kafka."); flag names it in errors. Returns
 * HW_ERR_ARG when there is no "key=" or hw_config_set() refuses it.
 */
hw_err_t hw_config_set_pair(hw_config_t *c, const char *flag,
                            const char *key_prefix, const char *pair,
                            char *errstr, size_t errstr_size);

/*
 * Loads the country bases and groups files named by the config (if set),
 * replacing the country table. Errors name the file and line (unknown
 * country code, bad number, too many groups).
 */
hw_err_t hw_config_load_countries(hw_config_t *c, char *errstr,
                                  size_t errstr_size);

/* The Schema Registry settings of c, for hw_registry_new (pointing into
 * c, or for the user info into the environment). */
hw_registry_conf_t hw_config_registry(const hw_config_t *c);

/* What is wrong with a Kafka topic name, as the topic.* keys are checked
 * ("must not be empty", "may only hold letters, ..."), or NULL when it is
 * one Kafka accepts: for a topic given outside the config (the
 * producer's --topic). */
const char *hw_config_topic_problem(const char *name);

/* The prefix of the alert keys: alerts.prefix, else the prefix. */
const char *hw_config_alerts_prefix(const hw_config_t *c);

/* Checks cross-key rules (windows present, batch sizes > 0, a prefix, a
 * Redis URL that parses, ...). Errors name the key. */
hw_err_t hw_config_validate(const hw_config_t *c, char *errstr,
                            size_t errstr_size);

/* The entry for a country code, or NULL. */
const hw_country_conf_t *hw_config_country(const hw_config_t *c,
                                           const char *code);

/* The most sentinels a redis-sentinel:// URL may name. */
#define HW_REDIS_SENTINELS_MAX 16

/* A host and its port. */
typedef struct hw_redis_host_s {
        char host[256];
        int port;
} hw_redis_host_t;

/* A parsed Redis URL: redis:// names the server (host, port);
 * redis-sentinel:// the sentinels that know where the primary named
 * `master` is (host "" and port 0). */
typedef struct hw_redis_url_s {
        char host[256];
        int port;
        int db;
        char password[256]; /* "" = none */
        char username[128]; /* "" = default user */
        char master[256];   /* redis-sentinel://: the primary's name */
        int n_sentinels;    /* redis-sentinel://: 1 or more; else 0 */
        hw_redis_host_t sentinels[HW_REDIS_SENTINELS_MAX];
} hw_redis_url_t;

/* Parses redis://[[user]:password@]host[:port][/db] and
 * redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/db]#master
 * (hw_redis_url.c). Returns HW_ERR_ARG naming what is wrong (the password
 * is never echoed). */
hw_err_t hw_redis_url_parse(const char *url, hw_redis_url_t *out, char *errstr,
                            size_t errstr_size);

#endif
