/*
 * hirewire-consumer: reads hire and offer events from Kafka, validates them,
 * dead-letters the bad ones and keeps lab composition, country flows and
 * offer counters in Redis, exactly once (SPEC §4, docs/redis-keys.md).
 *
 * Flow: poll messages into a batch (decoded, or kept as rejects) until it
 * holds batch.max.events or is batch.max.ms old; then deliver the rejects to
 * the DLQ, run the processors and apply everything, with the partitions'
 * next offsets, in one atomic Redis step that first checks the offsets the
 * batch started from. Partitions are read from the offsets Redis holds;
 * offsets are committed to Kafka after each step only for lag tooling.
 */
#include <errno.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "hw_archive.h"
#include "hw_rebuild.h"
#include "replay.h"
#include "hw_codec.h"
#include "hw_config.h"
#include "hw_kafka.h"
#include "hw_log.h"
#include "hw_metrics.h"
#include "hw_store.h"
#include "hw_time.h"
#include "hw_validate.h"
#include "hw_webhook.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define STOP_GRACE_MS 10000     /* how long SIGTERM waits for a Redis outage */
#define WARN_EVERY_MS 60000     /* a repeated warning: once a minute */
#define ASSIGN_WAIT_MS 5000     /* partitionless this long: say why */
#define MAX_PARTITIONS 4096
#define TARGETS_TIMEOUT_MS 5000 /* one query of the partitions' offsets */

/* A partition this consumer is assigned. */
typedef struct assigned_s {
        char topic[256];
        int32_t partition;
        int64_t stored;         /* next offset stored in Redis, -1 = none */
        int64_t position;       /* next offset to read */
        int at_eof;             /* read to the end Kafka reported: 1; not yet:
                                 * 0; -1 after a seek back, until a message
                                 * is taken (an end already queued is old) */
        hw_target_t *target;    /* replay: where this partition stops */
} assigned_t;

/* Rejected messages of one class: reported when the first comes, then at
 * most once a minute with how many came meanwhile and one example. */
typedef struct rejects_seen_s {
        uint64_t total;         /* since start (the closing summary) */
        uint64_t pending;       /* since the last warning */
        int64_t warned_ms;      /* of the last warning; 0 none */
        char example[600];      /* topic/partition@offset: reason */
} rejects_seen_t;

#define REJECT_CLASSES (HW_ERR_TOO_LARGE + 1)

/* A Kafka or Redis outage as the consumer lives through it (outage_wait). */
typedef struct outage_s {
        int64_t since;          /* monotonic ms of its first failure; 0 none */
        int64_t warned;         /* of its last warning */
        uint64_t failures;
} outage_t;

typedef struct consumer_s {
        hw_config_t conf;
        int until_caught_up;
        rd_kafka_t *rk;         /* consumer */
        rd_kafka_t *dlq;        /* DLQ producer */
        hw_codec_t *codec;
        hw_registry_t *registry;/* schema.registry.url, or NULL */
        hw_registry_stats_t registry_seen; /* counted into the metrics */
        char registry_wait[512];/* why the registry is waited for, or "" */
        assigned_t *registry_part; /* the partition of that message */
        int64_t registry_offset;/* and its offset */
        int registry_backoff;
        hw_store_t *store;
        hw_metrics_t *metrics;
        hw_webhook_t *webhook;
        hw_archive_t *archive;  /* --archive-dir, or NULL */
        hw_proc_conf_t proc;
        /* Two batches: while Redis applies the step of one (pending),
         * the other fills. */
        hw_batch_cache_t cache;
        hw_batch_t batches[2];
        hw_batch_t *batch;      /* the one filling */
        hw_batch_t *pending;    /* the one whose step's reply is unread */
        int pending_at_end, pending_final;
        unsigned pending_polls; /* messages taken while it was pending */
        int64_t pending_t0;
        hw_event_t ev;
        assigned_t *assigned;
        size_t n_assigned;
        hw_target_t *targets;   /* partitions and end offsets seen at start */
        size_t n_targets;
        hw_store_end_t *ends;   /* where each partition is, for the step */
        int dlq_failed;         /* DLQ deliveries failed since last check */
        int relay_failed;       /* alert deliveries failed since last check */
        hw_store_alert_t *relay;/* alerts being relayed */
        char relay_pending[48]; /* stream id in flight to Kafka, "" = none */
        hw_buf_t payload;
        int64_t last_lag_ms;
        int commit_failed;      /* Kafka commits failed since last report */
        rd_kafka_resp_err_t commit_err; /* and the last reason */
        int64_t commit_warned_ms;
        int unjudged;           /* brain_drain not judged since the last step
                                 * (or since the partitions were assigned) */
        int caught_up;          /* --until-caught-up: the group is at the end */
        /* --replay */
        int replay, replay_diff, replay_alerts, replay_yes;
        const char *replay_from;
        char *live_prefix;      /* the prefix the rebuild replaces */
        char lock_key[320];
        int failed;             /* stopped by an error: its exit status */
        outage_t outage;        /* what a batch's step waits for (Redis,
                                   the DLQ, the archive) */
        outage_t kafka_outage;  /* Kafka's errors while consuming */
        int brokers_down;       /* librdkafka said all brokers are down */
        int64_t brokers_probed; /* when the last probe of them was (ms) */
        rejects_seen_t rejects[REJECT_CLASSES];
        /* This run's applied events, skipped duplicates and raised alerts
         * (the closing summary, a replay's progress and its check). */
        uint64_t total_applied, total_duplicates, total_alerts;
        int64_t started_ms;
        int64_t unassigned_since, unassigned_warned; /* say_unassigned */
} consumer_t;

static volatile sig_atomic_t stop_requested;

static volatile sig_atomic_t stop_signal; /* the signal that stopped us */

static void on_signal(int sig) {
        stop_signal = sig;
        stop_requested = 1;
}

/* The consumer's last line: its exit status, and why. */
static void say_exit(int rc) {
        const char *why = rc == HW_EXIT_USAGE ? "usage or configuration"
                          : rc == HW_EXIT_UNAVAILABLE ? "unavailable"
                                                      : "failed";
        if (rc == HW_EXIT_OK)
                HW_INFO("consumer", "exiting with status 0: %s",
                        stop_signal == SIGTERM ? "stopped by SIGTERM"
                        : stop_signal          ? "stopped by a signal"
                                               : "done");
        else
                HW_ERROR("consumer", "exiting with status %d (%s)%s%s", rc,
                         why, *hw_log_last_error() ? ": " : "",
                         hw_log_last_error());
}

/* Stops after an error the consumer cannot get past by retrying: the batch
 * in hand is not applied (it is read again by whoever runs next) and the
 * exit code is 1, so a supervisor restarts it and an operator sees it. */
static void fail_stop(consumer_t *c) {
        c->failed = HW_EXIT_FAILURE;
        stop_requested = 1;
}

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a warning last given at `warned` (0: never) may be given again
 * now: a repeated warning comes once a minute at most. */
static int warn_due(int64_t warned, int64_t now) {
        return !warned || now - warned >= WARN_EVERY_MS;
}

/* Whether this run ends by itself (--until-caught-up, --replay): such a
 * run gives up on an outage after outage.wait.ms, the service waits. */
static int batch_mode(const consumer_t *c) {
        return c->replay || c->until_caught_up;
}

/* Whether service's failure was Redis refusing the credentials. */
static int refused_credentials(const consumer_t *c, const char *service) {
        return !strcmp(service, "Redis") &&
               hw_store_refused_credentials(c->store);
}

/*
 * Notes a failure of `service` (errstr says what failed). The service waits
 * for it to answer, warning at once and then once a minute (credentials
 * refused too: a rotated secret may reach Redis before the consumer). A
 * batch mode gives up once the outage has lasted outage.wait.ms, or at
 * once on refused credentials: returns 1 having said so, and the run exits
 * 69. Nothing is lost either way: offsets move only with applied steps.
 */
static int outage_wait(consumer_t *c, outage_t *o, const char *service,
                       const char *errstr) {
        int64_t now = mono_ms();

        if (!o->since) {
                o->since = now;
                o->warned = 0;
                o->failures = 0;
        }
        o->failures++;
        if (batch_mode(c) && refused_credentials(c, service)) {
                HW_ERROR("consumer",
                         "%s refused the credentials: %s; check the "
                         "user:password of --redis (or redis.url), "
                         "REDIS_PASSWORD or redis.password",
                         service, errstr);
        } else if (batch_mode(c) &&
                   now - o->since >= c->conf.outage_wait_ms) {
                HW_ERROR("consumer",
                         "%s unavailable for %" PRId64 " s (outage.wait.ms="
                         "%d): %s; giving up (what was not applied is read "
                         "again by the next run)",
                         service, (now - o->since) / 1000,
                         c->conf.outage_wait_ms, errstr);
        } else {
                if (warn_due(o->warned, now)) {
                        char msg[768];
                        snprintf(msg, sizeof(msg),
                                 "%s unavailable: %s; retrying %s", service,
                                 errstr,
                                 batch_mode(c) ? "for up to outage.wait.ms"
                                               : "until it answers, with a "
                                                 "warning a minute");
                        HW_LOG_KV(HW_LOG_WARN, "consumer", msg,
                                  "failures=%" PRIu64, o->failures);
                        o->warned = now;
                }
                return 0;
        }
        c->failed = HW_EXIT_UNAVAILABLE;
        stop_requested = 1;
        return 1;
}

/* The service answered: ends an outage (saying how long it lasted). */
static void outage_over(outage_t *o, const char *service) {
        if (o->since) {
                char msg[128];
                snprintf(msg, sizeof(msg), "%s answers again", service);
                HW_LOG_KV(HW_LOG_INFO, "consumer", msg,
                          "after_ms=%" PRId64 " failures=%" PRIu64,
                          mono_ms() - o->since, o->failures);
        }
        o->since = 0;
}

static void sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static void usage(FILE *out) {
        fprintf(out,
                "Usage: hirewire-consumer [OPTIONS]\n"
                "\n"
                "Consumes hire and offer events and keeps hirewire's counters "
                "in Redis.\n"
                "\n"
                "  -b, --brokers LIST          Kafka bootstrap servers\n"
                "      --bootstrap-file FILE   read the bootstrap list from "
                "FILE\n"
                "  -X key=value                any librdkafka property "
                "(repeatable)\n"
                "      --redis URL             redis://[:password@]host:port"
                "[/db] (password also\n"
                "                              from REDIS_PASSWORD)\n"
                "  -c, --config FILE           config file (see "
                "deploy/config/hirewire.conf)\n"
                "  -s, --set key=value         set a config key (repeatable)\n"
                "      --group G               consumer group (default "
                "hirewire)\n"
                "      --prefix P              Redis key prefix (default "
                "hw:)\n"
                "      --metrics-addr ADDR     host:port for /metrics and "
                "/healthz (default\n"
                "                              127.0.0.1:9464; port 0 picks "
                "one; off disables)\n"
                "      --until-caught-up       exit once every partition "
                "reached the end it had\n"
                "                              at start\n"
                "      --archive-dir DIR       append every valid event to "
                "Avro files in DIR\n"
                "                              (one per topic per UTC day, "
                "deflate)\n"
                "      --replay                rebuild every key from Kafka "
                "into a staging prefix,\n"
                "                              then swap it in (offsets "
                "included)\n"
                "      --from earliest|TIME    where the replay starts "
                "(default earliest: the\n"
                "                              whole retained stream). TIME "
                "(ISO 8601, e.g.\n"
                "                              2025-06-01T00:00:00Z) is a "
                "Kafka message time,\n"
                "                              not occurred_at: the rebuild "
                "leaves out every\n"
                "                              message published before it\n"
                "      --yes                   with --replay: swap even if "
                "the rebuild leaves\n"
                "                              out events the live state "
                "counted (--from TIME)\n"
                "      --diff                  with --replay: print what "
                "would change (key,\n"
                "                              field, live, rebuilt) and "
                "swap nothing; exit 1\n"
                "                              when anything differs, 0 "
                "when nothing does\n"
                "      --alerts                with --replay: raise alerts "
                "never raised before\n"
                "      --log-level LEVEL       debug, info, warn, error\n"
                "  -h, --help                  this help\n"
                "      --version               print the version\n"
                "\n"
                "A replay never swaps in a rebuild that holds no event.\n"
                "\n"
                "Exit status: 0 on success (SIGTERM included), 2 usage or "
                "configuration error,\n"
                "69 Kafka or Redis unavailable, 1 other failures (a replay "
                "that swapped\n"
                "nothing, --diff with differences).\n");
}

/* Applies a config key, exiting the parse with a usage error. */
static int set_key(consumer_t *c, const char *key, const char *value) {
        char errstr[512];
        if (hw_config_set(&c->conf, key, value, errstr, sizeof(errstr))) {
                fprintf(stderr, "hirewire-consumer: %s\n", errstr);
                return -1;
        }
        return 0;
}

/* Makes a relative data-file path relative to the config file's folder. */
static int resolve_path(char **path, const char *cfg) {
        char dir[PATH_MAX], joined[PATH_MAX * 2], *copy;
        if (!*path || (*path)[0] == '/')
                return 0;
        snprintf(dir, sizeof(dir), "%s", cfg);
        snprintf(joined, sizeof(joined), "%s/%s", dirname(dir), *path);
        copy = strdup(joined);
        if (!copy)
                return -1;
        free(*path);
        *path = copy;
        return 0;
}

/* Finds a data file the config does not name: $HIREWIRE_CONFIG_DIR, the
 * deploy/config/ folder of the source tree (the build sits in it), then
 * /etc/hirewire. Returns a malloc'ed path or NULL. */
static char *find_data_file(const char *name) {
        char exe[PATH_MAX], path[PATH_MAX * 2];
        const char *env = getenv("HIREWIRE_CONFIG_DIR");
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        const char *dirs[4] = {env, NULL, "/etc/hirewire", NULL};
        char up[PATH_MAX];

        if (n > 0) {
                exe[n] = '\0';
                snprintf(up, sizeof(up), "%s/../deploy/config", dirname(exe));
                dirs[1] = up;
        }
        for (int i = 0; i < 3; i++) {
                if (!dirs[i])
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
                if (access(path, R_OK) == 0)
                        return strdup(path);
        }
        return NULL;
}

static int parse_args(consumer_t *c, int argc, char **argv) {
        enum {
                OPT_BOOTSTRAP_FILE = 256,
                OPT_REDIS,
                OPT_GROUP,
                OPT_PREFIX,
                OPT_METRICS,
                OPT_UNTIL,
                OPT_LOG_LEVEL,
                OPT_VERSION,
                OPT_REPLAY,
                OPT_FROM,
                OPT_DIFF,
                OPT_ALERTS,
                OPT_YES,
                OPT_ARCHIVE,
        };
        static const struct option longopts[] = {
                {"brokers", required_argument, NULL, 'b'},
                {"bootstrap-file", required_argument, NULL, OPT_BOOTSTRAP_FILE},
                {"redis", required_argument, NULL, OPT_REDIS},
                {"config", required_argument, NULL, 'c'},
                {"set", required_argument, NULL, 's'},
                {"group", required_argument, NULL, OPT_GROUP},
                {"prefix", required_argument, NULL, OPT_PREFIX},
                {"metrics-addr", required_argument, NULL, OPT_METRICS},
                {"until-caught-up", no_argument, NULL, OPT_UNTIL},
                {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
                {"replay", no_argument, NULL, OPT_REPLAY},
                {"from", required_argument, NULL, OPT_FROM},
                {"diff", no_argument, NULL, OPT_DIFF},
                {"alerts", no_argument, NULL, OPT_ALERTS},
                {"yes", no_argument, NULL, OPT_YES},
                {"archive-dir", required_argument, NULL, OPT_ARCHIVE},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {NULL, 0, NULL, 0},
        };
        char errstr[512];
        const char *config_file = NULL;
        int opt;

        /* The config file first, whatever its place on the command line,
         * so that flags override it. */
        if (hw_config_load_args(&c->conf, argc, argv, &config_file, errstr,
                                sizeof(errstr))) {
                fprintf(stderr, "hirewire-consumer: %s\n", errstr);
                return HW_EXIT_USAGE;
        }
        if (config_file && (resolve_path(&c->conf.bases_file, config_file) ||
                            resolve_path(&c->conf.groups_file, config_file)))
                return HW_EXIT_FAILURE;

        while ((opt = getopt_long(argc, argv, "b:X:c:s:h", longopts, NULL)) !=
               -1) {
                switch (opt) {
                case 'b':
                        if (set_key(c, "brokers", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_BOOTSTRAP_FILE:
                        if (set_key(c, "bootstrap.file", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case 'X':
                case 's':
                        if (hw_config_set_pair(&c->conf,
                                               opt == 'X' ? "-X" : "--set",
                                               opt == 'X' ? "kafka." : "",
                                               optarg, errstr,
                                               sizeof(errstr))) {
                                fprintf(stderr, "hirewire-consumer: %s\n",
                                        errstr);
                                return HW_EXIT_USAGE;
                        }
                        break;
                case 'c':
                        break; /* loaded above */
                case OPT_REDIS:
                        if (set_key(c, "redis.url", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_GROUP:
                        if (set_key(c, "group", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_PREFIX:
                        if (set_key(c, "prefix", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_METRICS:
                        if (set_key(c, "metrics.addr", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_UNTIL:
                        c->until_caught_up = 1;
                        break;
                case OPT_REPLAY:
                        c->replay = 1;
                        break;
                case OPT_FROM:
                        c->replay_from = optarg;
                        break;
                case OPT_DIFF:
                        c->replay_diff = 1;
                        break;
                case OPT_ALERTS:
                        c->replay_alerts = 1;
                        break;
                case OPT_YES:
                        c->replay_yes = 1;
                        break;
                case OPT_ARCHIVE:
                        if (set_key(c, "archive.dir", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_LOG_LEVEL:
                        if (set_key(c, "log.level", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case 'h':
                        usage(stdout);
                        exit(HW_EXIT_OK);
                case OPT_VERSION:
                        printf("hirewire-consumer %s\n", HW_VERSION);
                        exit(HW_EXIT_OK);
                default:
                        usage(stderr);
                        return HW_EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "hirewire-consumer: unexpected argument %s\n",
                        argv[optind]);
                return HW_EXIT_USAGE;
        }
        if (!c->replay && (c->replay_from || c->replay_diff ||
                           c->replay_alerts || c->replay_yes)) {
                fprintf(stderr, "hirewire-consumer: --from, --diff, "
                                "--alerts and --yes go with --replay\n");
                return HW_EXIT_USAGE;
        }
        if (c->replay && c->conf.archive_dir) {
                fprintf(stderr, "hirewire-consumer: a replay reads what the "
                                "live consumer archived already: drop "
                                "--archive-dir\n");
                return HW_EXIT_USAGE;
        }
        if (c->replay && c->replay_diff && c->replay_alerts) {
                fprintf(stderr, "hirewire-consumer: --diff changes nothing, "
                                "so it raises no alerts: drop --alerts\n");
                return HW_EXIT_USAGE;
        }
        if (!c->conf.bases_file && !c->conf.groups_file) {
                c->conf.bases_file = find_data_file("talent-bases.csv");
                c->conf.groups_file = find_data_file("country-groups.csv");
        }
        if (hw_config_validate(&c->conf, errstr, sizeof(errstr)) ||
            hw_config_load_countries(&c->conf, errstr, sizeof(errstr))) {
                fprintf(stderr, "hirewire-consumer: %s\n", errstr);
                return HW_EXIT_USAGE;
        }
        hw_log_set_level((hw_log_level_t)c->conf.log_level);
        if (c->conf.alert_brain_drain) {
                size_t w = 0;
                while (w < c->conf.n_windows &&
                       c->conf.windows[w] != c->conf.alert_drain_days)
                        w++;
                if (w == c->conf.n_windows) {
                        HW_WARN("consumer", "alerts.brain_drain.days: %dd is "
                                            "not one of the windows; the "
                                            "brain_drain rule is off",
                                c->conf.alert_drain_days);
                        c->conf.alert_brain_drain = 0;
                }
        }
        if (!c->conf.n_countries)
                HW_WARN("consumer", "no country talent bases configured: the "
                                    "flow index sets stay empty");
        return HW_EXIT_OK;
}

static assigned_t *find_assigned(consumer_t *c, const char *topic,
                                 int32_t partition) {
        for (size_t i = 0; i < c->n_assigned; i++)
                if (c->assigned[i].partition == partition &&
                    !strcmp(c->assigned[i].topic, topic))
                        return &c->assigned[i];
        return NULL;
}

/* Kafka reported the end of a partition: everything before it was taken
 * (an end reported before a seek back to Redis's offsets is older than the
 * position; one before the seek back to a message not taken is ignored). */
static void partition_eof(consumer_t *c, const rd_kafka_message_t *m) {
        assigned_t *a = find_assigned(c, rd_kafka_topic_name(m->rkt),
                                      m->partition);
        if (a && a->at_eof >= 0 && m->offset >= a->position)
                a->at_eof = 1;
        HW_DEBUG("consumer", "end of %s/%" PRId32 " at offset %" PRId64 "%s",
                 rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                 a && a->at_eof == 1 ? "" : " (before the position: ignored)");
}

/* Whether the batch being flushed takes this consumer to the end of every
 * partition it reads: a replay to its end offsets, a live consumer to the
 * end Kafka last reported on each (or, with --until-caught-up, the group
 * to the end offsets seen at start). Only such a step judges brain_drain. */
static int read_to_end(const consumer_t *c) {
        if (c->caught_up)
                return 1;
        if (!c->n_assigned)
                return 0;
        for (size_t i = 0; i < c->n_assigned; i++) {
                const assigned_t *a = &c->assigned[i];
                if (a->target ? a->position < a->target->end : a->at_eof < 1)
                        return 0;
        }
        return 1;
}

/* Tells the store where the next step leaves this consumer: at the end or
 * not, and, for a live consumer, each of its partitions (all of them once
 * the group caught up), so that the step judges brain_drain only when no
 * member of the group is behind. */
static void set_ends(consumer_t *c, int at_end) {
        size_t n = 0;

        if (c->caught_up) {
                for (size_t i = 0; i < c->n_targets; i++)
                        c->ends[n++] = (hw_store_end_t){
                                c->targets[i].topic, c->targets[i].partition,
                                1};
        } else if (!c->replay) {
                for (size_t i = 0; i < c->n_assigned; i++)
                        c->ends[n++] = (hw_store_end_t){
                                c->assigned[i].topic,
                                c->assigned[i].partition,
                                c->assigned[i].at_eof == 1};
        }
        hw_store_set_ends(c->store, at_end, c->ends, n);
}

/* Reads the stored offsets of every partition in `parts` from Redis,
 * retrying while Redis is unavailable (until a stop is requested). */
static hw_err_t read_offsets(consumer_t *c,
                             rd_kafka_topic_partition_list_t *parts,
                             int64_t *out) {
        char errstr[512];
        int backoff = BACKOFF_MIN_MS;

        for (;;) {
                hw_err_t err = HW_OK;
                for (int i = 0; i < parts->cnt && !err; i++)
                        err = hw_store_get_offsets(
                                c->store, parts->elems[i].topic,
                                &parts->elems[i].partition, 1, &out[i],
                                errstr, sizeof(errstr));
                if (!err) {
                        outage_over(&c->outage, "Redis");
                        return HW_OK;
                }
                hw_metrics_add(c->metrics, HW_M_REDIS_ERRORS, 1);
                hw_metrics_set_ready(c->metrics, 0, errstr);
                if (stop_requested ||
                    outage_wait(c, &c->outage, "Redis", errstr))
                        return err;
                sleep_ms(backoff);
                backoff = hw_backoff_next(backoff, BACKOFF_MAX_MS);
        }
}

static void flush_batch(consumer_t *c, int final);
static void finish_pending(consumer_t *c);
static void check_health(consumer_t *c);

/* Partitions are read from the offsets stored in Redis, which move in the
 * same atomic step as the counters; a partition with none stored is read
 * from the beginning. */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
        consumer_t *c = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                int64_t *stored = calloc((size_t)parts->cnt + 1,
                                         sizeof(*stored));
                finish_pending(c); /* the offsets are read after it */
                if (!stored || read_offsets(c, parts, stored)) {
                        free(stored);
                        HW_ERROR("consumer", "cannot read offsets from Redis: "
                                             "not taking partitions");
                        rd_kafka_assign(rk, NULL);
                        return;
                }
                c->n_assigned = 0;
                /* Persons cached are those of the partitions held before. */
                hw_batch_forget_persons(&c->cache);
                for (int i = 0; i < parts->cnt && i < MAX_PARTITIONS; i++) {
                        rd_kafka_topic_partition_t *p = &parts->elems[i];
                        assigned_t *a = &c->assigned[c->n_assigned++];
                        snprintf(a->topic, sizeof(a->topic), "%s", p->topic);
                        a->partition = p->partition;
                        a->stored = stored[i];
                        a->position = stored[i] >= 0 ? stored[i] : 0;
                        a->at_eof = 0;
                        p->offset = stored[i] >= 0 ? stored[i]
                                                   : RD_KAFKA_OFFSET_BEGINNING;
                }
                free(stored);
                /* What the partitions' last owner applied may not have been
                 * judged yet. */
                c->unjudged = 1;
                HW_LOG_KV(HW_LOG_INFO, "consumer", "partitions assigned",
                          "partitions=%d", parts->cnt);
                rd_kafka_assign(rk, parts);
                check_health(c); /* ready unless Redis or the registry is not */
        } else {
                /* Finish what was read from these partitions first; if
                 * that fails the new owner reads it again. */
                flush_batch(c, 1);
                for (size_t i = 0; i < c->n_assigned; i++)
                        hw_metrics_set_lag(c->metrics, c->assigned[i].topic,
                                           c->assigned[i].partition, -1);
                c->n_assigned = 0;
                hw_batch_forget_persons(&c->cache);
                HW_INFO("consumer", "partitions revoked: %s",
                        rd_kafka_err2str(err));
                rd_kafka_assign(rk, NULL);
                hw_metrics_set_ready(c->metrics, 0, "rebalancing");
        }
}

/* Marks relayed alerts among the producer's messages. */
static char alert_mark;

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                      void *opaque) {
        consumer_t *c = opaque;
        (void)rk;
        if (m->_private == &alert_mark) {
                if (m->err) {
                        c->relay_failed++;
                        HW_WARN("consumer", "alert delivery failed: %s",
                                rd_kafka_err2str(m->err));
                } else {
                        hw_metrics_add(c->metrics, HW_M_ALERTS_RELAYED, 1);
                }
                return;
        }
        if (m->err) {
                c->dlq_failed++;
                HW_WARN("consumer", "DLQ delivery failed: %s",
                        rd_kafka_err2str(m->err));
        } else {
                hw_metrics_add(c->metrics, HW_M_DLQ_PRODUCED, 1);
        }
}

/* Delivers the batch's rejected messages to the DLQ, unchanged, with the
 * SPEC headers; waits for every delivery. Returns -1 if any failed. */
static int deliver_rejects(consumer_t *c, hw_batch_t *b) {
        int64_t deadline;

        /* A replay reads what the live consumer already dead-lettered. */
        if (!b->n_rejects || c->replay)
                return 0;
        c->dlq_failed = 0;
        for (size_t i = 0; i < b->n_rejects; i++) {
                const hw_batch_reject_t *r = &b->rejects[i];
                const rd_kafka_message_t *m = r->msg;
                rd_kafka_headers_t *h = rd_kafka_headers_new(5);
                char part[16], off[24];
                rd_kafka_resp_err_t err;
                /* Too large for the DLQ topic: the headers say where the
                 * message is and how big it was, without its bytes. */
                int omit = m->len > c->conf.dlq_max_message_bytes;
                char omitted[96];

                snprintf(omitted, sizeof(omitted),
                         "%zu bytes, over dlq.max.message.bytes", m->len);
                snprintf(part, sizeof(part), "%" PRId32, m->partition);
                snprintf(off, sizeof(off), "%" PRId64, m->offset);
                rd_kafka_header_add(h, "hw.error", -1, hw_err_name(r->error),
                                    -1);
                rd_kafka_header_add(h, "hw.reason", -1, r->reason, -1);
                rd_kafka_header_add(h, "hw.src.topic", -1,
                                    rd_kafka_topic_name(m->rkt), -1);
                rd_kafka_header_add(h, "hw.src.partition", -1, part, -1);
                rd_kafka_header_add(h, "hw.src.offset", -1, off, -1);
                if (omit)
                        rd_kafka_header_add(h, "hw.value.omitted", -1,
                                            omitted, -1);
                do {
                        err = rd_kafka_producev(
                                c->dlq, RD_KAFKA_V_TOPIC(c->conf.topic_dlq),
                                RD_KAFKA_V_KEY(m->key, m->key_len),
                                RD_KAFKA_V_VALUE(omit ? NULL : m->payload,
                                                 omit ? 0 : m->len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(c->dlq, 50);
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                if (err) {
                        rd_kafka_headers_destroy(h);
                        HW_WARN("consumer", "cannot produce to DLQ: %s",
                                rd_kafka_err2str(err));
                        c->dlq_failed++;
                }
        }
        deadline = mono_ms() + 30000;
        while (rd_kafka_outq_len(c->dlq) > 0 && mono_ms() < deadline)
                rd_kafka_flush(c->dlq, 100);
        return c->dlq_failed || rd_kafka_outq_len(c->dlq) > 0 ? -1 : 0;
}

#define RELAY_BATCH 1000

/* The Schema Registry's id of the Alert schema for topic.alerts (asked
 * once, then cached), or 0 without a registry. */
static hw_err_t alert_schema_id(consumer_t *c, int32_t *id, char *errstr,
                                size_t size) {
        *id = 0;
        if (!c->registry)
                return HW_OK;
        return hw_registry_topic_id(c->registry, c->conf.topic_alerts,
                                    hw_codec_schema_json(HW_SCHEMA_ALERT_V1),
                                    id, errstr, size);
}

/*
 * The alert outbox: relays the hw:alerts stream entries after the relayed
 * position to the alerts topic (Avro Alert, key alert_id). It does not
 * wait: the entries produced are in flight until a later call sees every
 * delivery confirmed and only then moves the position (so counting never
 * waits for Kafka). A crash or a failed delivery sends some alerts again
 * (same alert_id); none is lost. With `wait`, it blocks until what is in
 * flight is confirmed (used before exiting). Returns -1 when Kafka or Redis
 * failed (a later call retries).
 */
static int relay_alerts(consumer_t *c, int wait) {
        char last[48], errstr[512];
        size_t n;
        int32_t wire_id;

        if (!c->conf.alerts_relay)
                return 0;
        if (c->relay_pending[0]) {
                rd_kafka_poll(c->dlq, 0);
                for (int64_t deadline = mono_ms() + 30000;
                     wait && rd_kafka_outq_len(c->dlq) > 0 &&
                     mono_ms() < deadline;)
                        rd_kafka_flush(c->dlq, 100);
                if (rd_kafka_outq_len(c->dlq) > 0 && !c->relay_failed)
                        return 0; /* still in flight */
                if (c->relay_failed || rd_kafka_outq_len(c->dlq) > 0) {
                        c->relay_pending[0] = '\0';
                        snprintf(errstr, sizeof(errstr),
                                 "alerts topic %s unavailable",
                                 c->conf.topic_alerts);
                        goto fail;
                }
                if (hw_store_set_alert_position(c->store, "relayed",
                                                c->relay_pending, errstr,
                                                sizeof(errstr)))
                        goto fail;
                c->relay_pending[0] = '\0';
        }
        if (hw_store_get_alert_position(c->store, "relayed", last,
                                        sizeof(last), errstr, sizeof(errstr)) ||
            hw_store_read_alerts(c->store, last, c->relay, RELAY_BATCH, &n,
                                 errstr, sizeof(errstr)))
                goto fail;
        if (!n)
                return 0;
        if (alert_schema_id(c, &wire_id, errstr, sizeof(errstr)))
                goto fail;
        c->relay_failed = 0;
        for (size_t i = 0; i < n; i++) {
                const hw_alert_t *a = &c->relay[i].alert;
                rd_kafka_resp_err_t err;
                if (!a->alert_id)
                        continue; /* damaged entry: skipped */
                if (hw_codec_encode_alert(c->codec, a, &c->payload, errstr,
                                          sizeof(errstr))) {
                        HW_WARN("consumer", "alert %s: %s", a->alert_id,
                                errstr);
                        continue;
                }
                if (wire_id)
                        hw_codec_set_frame_id(&c->payload, wire_id);
                do {
                        err = rd_kafka_producev(
                                c->dlq, RD_KAFKA_V_TOPIC(c->conf.topic_alerts),
                                RD_KAFKA_V_KEY(a->alert_id, strlen(a->alert_id)),
                                RD_KAFKA_V_VALUE(c->payload.data, c->payload.len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_OPAQUE(&alert_mark), RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(c->dlq, 50);
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                if (err)
                        c->relay_failed++;
        }
        snprintf(c->relay_pending, sizeof(c->relay_pending), "%s",
                 c->relay[n - 1].id);
        return wait ? relay_alerts(c, 1) : 0;
fail:
        HW_WARN("consumer", "alert relay: %s; retrying later", errstr);
        return -1;
}

/* After another consumer moved our offsets: read from what Redis holds. */
static void reseek(consumer_t *c) {
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new((int)c->n_assigned);
        int64_t *stored = calloc(c->n_assigned + 1, sizeof(*stored));

        for (size_t i = 0; i < c->n_assigned; i++)
                rd_kafka_topic_partition_list_add(parts, c->assigned[i].topic,
                                                  c->assigned[i].partition);
        if (stored && !read_offsets(c, parts, stored)) {
                for (size_t i = 0; i < c->n_assigned; i++) {
                        c->assigned[i].stored = stored[i];
                        c->assigned[i].position = stored[i] >= 0 ? stored[i]
                                                                 : 0;
                        c->assigned[i].at_eof = 0;
                        parts->elems[i].offset = stored[i] >= 0
                                                         ? stored[i]
                                                         : RD_KAFKA_OFFSET_BEGINNING;
                }
                rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, parts,
                                                               5000);
                if (e) {
                        HW_WARN("consumer", "seek failed: %s",
                                rd_kafka_error_string(e));
                        rd_kafka_error_destroy(e);
                }
        }
        free(stored);
        rd_kafka_topic_partition_list_destroy(parts);
}

/* librdkafka's errors (called from the polling thread): logged, and "all
 * brokers are down" starts a Kafka outage (kafka_down_check). */
static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                           void *opaque) {
        consumer_t *c = opaque;
        (void)rk;
        HW_LOG(err == RD_KAFKA_RESP_ERR__FATAL ? HW_LOG_ERROR : HW_LOG_WARN,
               "kafka", "%s: %s", rd_kafka_err2name(err), reason);
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
                c->brokers_down = 1;
}

/* While librdkafka says every broker is down: a Kafka outage, warned
 * once a minute (and given up after outage.wait.ms in batch modes); a
 * metadata request (at most one a second, 500 ms each) says when a
 * broker answers again. */
static void kafka_down_check(consumer_t *c, int64_t now) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;

        if (!c->brokers_down || now - c->brokers_probed < 1000)
                return;
        c->brokers_probed = now;
        err = rd_kafka_metadata(c->rk, 0, NULL, &md, 500);
        if (md)
                rd_kafka_metadata_destroy(md);
        if (!err) {
                c->brokers_down = 0;
                outage_over(&c->kafka_outage, "Kafka");
                return;
        }
        outage_wait(c, &c->kafka_outage, "Kafka",
                    "all brokers are down (no broker answers a metadata "
                    "request)");
}

/* The outcome of a commit to Kafka. During a rebalance commits fail as a
 * matter of course; other failures are reported at most once a minute
 * (report_commits): lag tools then show stale lag, counting is unaffected. */
static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque) {
        consumer_t *c = opaque;
        (void)rk;
        (void)offsets;
        if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET)
                return;
        if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
            err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
            err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID) {
                HW_DEBUG("consumer", "offset commit to Kafka: %s",
                         rd_kafka_err2str(err));
                return;
        }
        c->commit_failed++;
        c->commit_err = err;
}

static void report_commits(consumer_t *c, int64_t now) {
        if (!c->commit_failed || !warn_due(c->commit_warned_ms, now))
                return;
        {
                char msg[512];
                snprintf(msg, sizeof(msg),
                         "offset commits to Kafka failed (%s); lag tools "
                         "show older offsets, counting is unaffected "
                         "(offsets live in Redis)",
                         rd_kafka_err2str(c->commit_err));
                HW_LOG_KV(HW_LOG_WARN, "consumer", msg, "failures=%d",
                          c->commit_failed);
        }
        c->commit_failed = 0;
        c->commit_warned_ms = now;
}

/* Commits the batch's next offsets to Kafka (for lag tooling only). */
static void commit_to_kafka(consumer_t *c, const hw_batch_t *b) {
        rd_kafka_topic_partition_list_t *list;

        if (!b->n_parts)
                return;
        list = rd_kafka_topic_partition_list_new((int)b->n_parts);
        for (size_t i = 0; i < b->n_parts; i++)
                rd_kafka_topic_partition_list_add(list, b->parts[i].topic,
                                                  b->parts[i].partition)
                        ->offset = b->parts[i].next;
        rd_kafka_commit(c->rk, list, 1);
        rd_kafka_topic_partition_list_destroy(list);
}

/* What is left of a step after its outcome: nothing (applied, dropped or
 * given up: the batch can be cleared), or to try it again. */
enum { STEP_DONE, STEP_RETRY };

/* A batch's step applied: its positions, figures, Kafka commit, alerts. */
static void step_applied(consumer_t *c, const hw_batch_t *b, int at_end,
                         int64_t t0) {
        const hw_batch_stats_t *st = &b->stats;

        hw_metrics_observe_flush(c->metrics,
                                 (double)(mono_ms() - t0) / 1000.0);
        hw_metrics_add(c->metrics, HW_M_APPLIED, st->applied);
        hw_metrics_add(c->metrics, HW_M_DUPLICATES, st->duplicates);
        hw_metrics_add(c->metrics, HW_M_REPEATED, st->repeated);
        hw_metrics_add(c->metrics, HW_M_BATCHES, 1);
        for (size_t i = 0; i < b->n_parts; i++) {
                assigned_t *a = find_assigned(c, b->parts[i].topic,
                                              b->parts[i].partition);
                if (a)
                        a->stored = b->parts[i].next;
                if (a && a->target)
                        a->target->done = b->parts[i].next;
        }
        c->unjudged = !at_end;
        c->total_applied += st->applied;
        c->total_duplicates += st->duplicates;
        c->total_alerts += st->alerts;
        hw_metrics_add(c->metrics, HW_M_ALERTS_RAISED, st->alerts);
        HW_DEBUG("consumer",
                 "batch applied: messages=%zu applied=%" PRIu64
                 " duplicates=%" PRIu64 " rejected=%zu at_end=%d keys=%zu "
                 "changes=%zu persons_cached=%" PRIu64
                 " persons_read=%" PRIu64,
                 b->n_messages, st->applied, st->duplicates, b->n_rejects,
                 at_end, c->cache.plan.n_keys, c->cache.plan.n_changes,
                 c->cache.person_hits, c->cache.person_reads);
        if (!c->replay) {
                commit_to_kafka(c, b);
                hw_metrics_set_ready(c->metrics, c->n_assigned > 0,
                                     "no partitions assigned");
                relay_alerts(c, 0);
        }
}

/* Settles a step's outcome (err, outcome; service is what err was
 * about): bookkeeping when applied, a stop or a re-seek when it must not
 * be tried again, else a backoff before it is. */
static int step_settle(consumer_t *c, hw_batch_t *b, hw_err_t err,
                       hw_store_outcome_t outcome, const char *service,
                       const char *errstr, int final, int at_end,
                       int64_t t0, int64_t *give_up, int *backoff) {
        if (!err)
                outage_over(&c->outage, service);
        if (!err && outcome == HW_STORE_APPLIED) {
                step_applied(c, b, at_end, t0);
                return STEP_DONE;
        }
        if (!err && c->replay) {
                HW_ERROR("consumer", "replay: staging keys changed under it "
                                     "(%s); is another replay running?",
                         errstr);
                fail_stop(c);
                return STEP_DONE;
        }
        if (!err) { /* fenced */
                hw_metrics_add(c->metrics, HW_M_FENCED, 1);
                /* Someone else wrote: its persons too, maybe. */
                hw_batch_forget_persons(&c->cache);
                HW_WARN("consumer",
                        "batch dropped: offsets moved by another consumer "
                        "(%s); reading from Redis's offsets",
                        errstr);
                if (!final)
                        reseek(c);
                return STEP_DONE;
        }
        hw_metrics_add(c->metrics, HW_M_REDIS_ERRORS, 1);
        hw_metrics_set_ready(c->metrics, 0, errstr);
        if (err != HW_ERR_SERVICE) {
                HW_ERROR("consumer", "batch failed: %s", errstr);
                fail_stop(c); /* read again after a restart */
                return STEP_DONE;
        }
        if (stop_requested && !*give_up)
                *give_up = mono_ms() + STOP_GRACE_MS;
        if (*give_up && mono_ms() > *give_up) {
                HW_ERROR("consumer", "giving up the last batch (%s); it will "
                                     "be read again",
                         errstr);
                return STEP_DONE;
        }
        if (outage_wait(c, &c->outage, service, errstr))
                return STEP_DONE; /* read again by the next run */
        sleep_ms(*backoff);
        *backoff = hw_backoff_next(*backoff, BACKOFF_MAX_MS);
        return STEP_RETRY;
}

/* Runs b's step: DLQ, then the atomic step, retrying with capped backoff
 * while Redis or the DLQ is unavailable. After a stop request it gives up
 * after STOP_GRACE_MS (nothing is lost: the offsets did not move). With
 * defer, it returns once the step is sent (c->pending = b). Returns
 * whether the step applied (or was sent). */
static int step_batch(consumer_t *c, hw_batch_t *b, int final, int at_end,
                      int defer) {
        int applied = 0, backoff = BACKOFF_MIN_MS;
        int64_t give_up = 0;
        char errstr[512];

        for (;;) {
                hw_store_outcome_t outcome = HW_STORE_APPLIED;
                int64_t t0 = mono_ms();
                hw_err_t err = HW_OK;
                const char *service = "Redis";

                if (c->archive &&
                    hw_archive_sync(c->archive, errstr, sizeof(errstr))) {
                        /* Retried: offsets never move past an event that
                         * is not on disk. */
                        err = HW_ERR_SERVICE;
                        service = "the archive";
                } else if (deliver_rejects(c, b)) {
                        service = "Kafka";
                        err = hw_fail(HW_ERR_SERVICE, errstr, sizeof(errstr),
                                      "dead-letter topic %s unavailable",
                                      c->conf.topic_dlq);
                } else {
                        err = hw_batch_flush(b, c->store, &c->proc, defer,
                                             &outcome, errstr,
                                             sizeof(errstr));
                }
                if (!err && outcome == HW_STORE_PENDING) {
                        c->pending = b;
                        c->pending_at_end = at_end;
                        c->pending_final = final;
                        c->pending_t0 = t0;
                        return 1;
                }
                applied = !err && outcome == HW_STORE_APPLIED;
                if (step_settle(c, b, err, outcome, service, errstr, final,
                                at_end, t0, &give_up, &backoff) == STEP_DONE)
                        break;
        }
        /* Positions move past the batch only now. */
        hw_batch_clear(b);
        return applied;
}

/* Reads the outcome of the step sent last, if any. When it is not
 * applied in the end, the batch read since is dropped too (it follows
 * that step in its partitions) and they are read again from Redis's
 * offsets. */
static void finish_pending(consumer_t *c) {
        hw_batch_t *b = c->pending;
        hw_store_outcome_t outcome;
        int applied, backoff = BACKOFF_MIN_MS;
        int64_t give_up = 0;
        char errstr[512];
        hw_err_t err;

        if (!b)
                return;
        c->pending = NULL;
        err = hw_batch_finish(b, c->store, &outcome, errstr, sizeof(errstr));
        applied = !err && outcome == HW_STORE_APPLIED;
        if (step_settle(c, b, err, outcome, "Redis", errstr,
                        c->pending_final, c->pending_at_end, c->pending_t0,
                        &give_up, &backoff) == STEP_RETRY)
                applied = step_batch(c, b, c->pending_final,
                                     c->pending_at_end, 0);
        else
                hw_batch_clear(b);
        if (!applied && c->batch->n_messages) {
                HW_LOG_KV(HW_LOG_INFO, "consumer",
                          "messages read behind a step that did not apply "
                          "are read again",
                          "messages=%zu", c->batch->n_messages);
                hw_batch_clear(c->batch);
                if (!c->failed && !stop_requested)
                        reseek(c);
        }
}

/* Flushes the batch (after the one sent before it), waiting for its
 * step; with defer, only sending it: the next batch is read while Redis
 * applies it (finish_pending reads its outcome, at the latest before the
 * next step). */
static void flush_batch_as(consumer_t *c, int final, int defer) {
        hw_batch_t *b;
        int at_end;

        finish_pending(c);
        b = c->batch;
        at_end = read_to_end(c);
        /* No messages: a step only to judge brain_drain, once the end is
         * reached after steps that did not reach it. After a failure,
         * nothing more: what was not applied is read again. */
        if (c->failed || (!b->n_messages && !(at_end && c->unjudged))) {
                hw_batch_clear(b);
                return;
        }
        /* Each partition's offset in Redis as the steps before left it. */
        for (size_t i = 0; i < b->n_parts; i++) {
                const assigned_t *a = find_assigned(c, b->parts[i].topic,
                                                    b->parts[i].partition);
                if (a)
                        b->parts[i].expected = a->stored;
        }
        set_ends(c, at_end);
        step_batch(c, b, final, at_end, defer);
        if (c->pending == b)
                c->batch = b == &c->batches[0] ? &c->batches[1]
                                               : &c->batches[0];
}

static void flush_batch(consumer_t *c, int final) {
        flush_batch_as(c, final, 0);
}

/* Appends the valid event just decoded from m to the archive (once per
 * message: a message re-read after a crash or a fenced batch is there
 * already). Returns -1 on failure: the consumer stops, offsets unmoved. */
static int archive_event(consumer_t *c, const rd_kafka_message_t *m) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        char errstr[512];

        if (hw_archive_has(c->archive, topic, m->partition, m->offset))
                return 0;
        if (hw_codec_encode(c->codec, &c->ev, 0, &c->payload, errstr,
                            sizeof(errstr)) ||
            hw_archive_append(c->archive, topic, m->partition, m->offset,
                              rd_kafka_message_timestamp(m, NULL), c->ev.type,
                              c->payload.data + 5, c->payload.len - 5, errstr,
                              sizeof(errstr))) {
                HW_ERROR("consumer", "archive: %s", errstr);
                return -1;
        }
        return 0;
}

/* Takes one Kafka message into the batch. */
/* One warning per rejection class with messages not reported yet, at most
 * once a minute per class (all of them when `all`, at exit): how many,
 * and the first one's place and reason. */
static void report_rejects(consumer_t *c, int all) {
        int64_t now = mono_ms();
        for (int k = 1; k < REJECT_CLASSES; k++) {
                rejects_seen_t *r = &c->rejects[k];
                if (!r->pending || (!all && !warn_due(r->warned_ms, now)))
                        continue;
                HW_LOG_KV(HW_LOG_WARN, "consumer",
                          "rejected messages sent to the dead-letter topic",
                          "class=%s count=%" PRIu64 " total=%" PRIu64
                          " topic=%s example=\"%s\"",
                          hw_err_name((hw_err_t)k), r->pending, r->total,
                          c->conf.topic_dlq, r->example);
                r->pending = 0;
                r->warned_ms = now;
        }
}

/* A member of the group with no partitions says so after ASSIGN_WAIT_MS,
 * then once a minute, with the likely cause; and when they come. */
static void say_unassigned(consumer_t *c, int64_t now) {
        if (c->n_assigned) {
                if (c->unassigned_warned)
                        HW_LOG_KV(HW_LOG_INFO, "consumer",
                                  "partitions assigned after a wait",
                                  "waited_s=%" PRId64,
                                  (now - c->unassigned_since) / 1000);
                c->unassigned_since = c->unassigned_warned = 0;
                return;
        }
        if (!c->unassigned_since)
                c->unassigned_since = now;
        if (now - c->unassigned_since < ASSIGN_WAIT_MS ||
            !warn_due(c->unassigned_warned, now))
                return;
        HW_LOG_KV(HW_LOG_WARN, "consumer",
                  "no partitions assigned yet: the group is rebalancing, or "
                  "other members hold every partition. A member that died "
                  "without leaving holds its partitions until its "
                  "session.timeout.ms (45 s by default) has passed; a "
                  "consumer restarted with the same group.instance.id "
                  "(static membership: -X group.instance.id=NAME, e.g. the "
                  "pod name) takes them back without that wait",
                  "waited_s=%" PRId64 " group=\"%s\"",
                  (now - c->unassigned_since) / 1000, c->conf.group);
        c->unassigned_warned = now;
}

/* The closing line of a run that ends by itself: what it did, in how long. */
static void say_summary(consumer_t *c, const char *what) {
        char by_class[400] = "";
        size_t n = 0;
        uint64_t rejected = 0;
        double secs = (double)(mono_ms() - c->started_ms) / 1000.0;

        for (int k = 1; k < REJECT_CLASSES; k++) {
                if (!c->rejects[k].total || n >= sizeof(by_class))
                        continue;
                rejected += c->rejects[k].total;
                n += (size_t)snprintf(by_class + n, sizeof(by_class) - n,
                                      " rejected_%s=%" PRIu64,
                                      hw_err_name((hw_err_t)k),
                                      c->rejects[k].total);
        }
        HW_LOG_KV(HW_LOG_INFO, "consumer", what,
                  "applied=%" PRIu64 " duplicates=%" PRIu64
                  " rejected=%" PRIu64 "%s alerts=%" PRIu64
                  " seconds=%.2f events_per_s=%.0f",
                  c->total_applied, c->total_duplicates, rejected, by_class,
                  c->total_alerts, secs,
                  secs > 0 ? (double)(c->total_applied +
                                      c->total_duplicates) / secs
                           : 0.0);
}

static void take_message(consumer_t *c, rd_kafka_message_t *m) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        assigned_t *a = find_assigned(c, topic, m->partition);
        char errstr[512];
        hw_err_t err;

        hw_metrics_add(c->metrics, HW_M_CONSUMED, 1);
        if (!a || m->offset < a->position) {
                rd_kafka_message_destroy(m); /* stale: before a re-seek */
                return;
        }
        if (a->target && (m->offset >= a->target->end ||
                          hw_replay_skip(a->target, m))) {
                /* After the replay's end, or before its --from time. */
                a->position = m->offset + 1;
                rd_kafka_message_destroy(m);
                return;
        }
        a->at_eof = 0;
        err = hw_codec_decode(c->codec, m->payload, m->len, hw_now_ms(),
                              &c->ev, errstr, sizeof(errstr));
        if (err == HW_ERR_SERVICE && !c->conf.registry_outage_dlq) {
                /* Not taken: read again once the registry answers. */
                snprintf(c->registry_wait, sizeof(c->registry_wait), "%s",
                         errstr);
                c->registry_part = a;
                c->registry_offset = m->offset;
                rd_kafka_message_destroy(m);
                return;
        }
        if (err == HW_ERR_SERVICE) /* schema.registry.unavailable = dlq */
                err = HW_ERR_UNKNOWN_SCHEMA;
        a->position = m->offset + 1;
        if (!c->batch->n_messages)
                c->batch->started_ms = mono_ms();
        if (hw_batch_track(c->batch, topic, m->partition, m->offset,
                           a->stored)) {
                HW_ERROR("consumer", "out of memory");
                fail_stop(c);
                rd_kafka_message_destroy(m);
                return;
        }
        if (!err && c->archive && archive_event(c, m)) {
                fail_stop(c);
                rd_kafka_message_destroy(m);
                return;
        }
        if (!err) {
                if (hw_batch_add_event(c->batch, &c->ev)) {
                        HW_ERROR("consumer", "out of memory");
                        fail_stop(c);
                }
                rd_kafka_message_destroy(m);
                return;
        }
        hw_metrics_rejected(c->metrics, hw_err_name(err));
        HW_DEBUG("consumer", "rejected %s/%" PRId32 "@%" PRId64 ": %s: %s",
                 topic, m->partition, m->offset, hw_err_name(err), errstr);
        if (err < REJECT_CLASSES) {
                rejects_seen_t *r = &c->rejects[err];
                r->total++;
                if (!r->pending++) {
                        snprintf(r->example, sizeof(r->example),
                                 "%s/%" PRId32 "@%" PRId64 ": %s", topic,
                                 m->partition, m->offset, errstr);
                        /* A logfmt value in quotes: none inside it. */
                        for (char *p = r->example; *p; p++)
                                if (*p == '"' || *p == '\\' ||
                                    (unsigned char)*p < 0x20)
                                        *p = '\'';
                }
                report_rejects(c, 0);
        }
        if (hw_batch_add_reject(c->batch, m, err, errstr)) {
                HW_ERROR("consumer", "out of memory");
                fail_stop(c);
                rd_kafka_message_destroy(m);
        }
}

/* Refreshes the lag gauges from librdkafka's cached high watermarks. */
static void update_lag(consumer_t *c) {
        for (size_t i = 0; i < c->n_assigned; i++) {
                int64_t lo, hi;
                assigned_t *a = &c->assigned[i];
                if (rd_kafka_get_watermark_offsets(c->rk, a->topic,
                                                   a->partition, &lo,
                                                   &hi) == 0 &&
                    hi >= 0)
                        hw_metrics_set_lag(c->metrics, a->topic, a->partition,
                                           hi > a->position ? hi - a->position
                                                            : 0);
        }
}

/* Readiness between batches: Redis must answer (an idle consumer would
 * otherwise not notice an outage), the Schema Registry must have answered
 * its last request, and partitions must be assigned. */
static void check_health(consumer_t *c) {
        char errstr[512];

        if (c->registry) {
                hw_registry_stats_t now = hw_registry_stats(c->registry);
                hw_metrics_add(c->metrics, HW_M_REGISTRY_REQUESTS,
                               now.requests - c->registry_seen.requests);
                hw_metrics_add(c->metrics, HW_M_REGISTRY_ERRORS,
                               now.errors - c->registry_seen.errors);
                c->registry_seen = now;
                if (!hw_registry_reachable(c->registry)) {
                        hw_metrics_set_ready(c->metrics, 0,
                                             "schema registry unavailable");
                        return;
                }
        }
        if (hw_store_ping(c->store, errstr, sizeof(errstr))) {
                hw_metrics_set_ready(c->metrics, 0, errstr);
                return;
        }
        hw_metrics_set_ready(c->metrics, c->n_assigned > 0,
                             "no partitions assigned");
}

/* Asks the partitions' leaders for one bound of every target (offset
 * RD_KAFKA_OFFSET_BEGINNING: the first offset held; RD_KAFKA_OFFSET_END:
 * the end), all in one query bounded by TARGETS_TIMEOUT_MS: a query per
 * partition can wait on a dead leader longer than its own timeout. */
static hw_err_t query_bound(consumer_t *c, int64_t which, int64_t *out,
                            char *errstr, size_t size) {
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_t *list = hw_replay_offsets_at(
                c->rk, c->targets, c->n_targets, which, TARGETS_TIMEOUT_MS,
                &err);
        hw_err_t rc = HW_OK;

        if (err)
                rc = hw_fail(HW_ERR_SERVICE, errstr, size,
                             "cannot read the %s offsets: %s",
                             which == RD_KAFKA_OFFSET_END ? "end" : "first",
                             rd_kafka_err2str(err));
        for (int i = 0; !rc && i < list->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &list->elems[i];
                if (p->err || p->offset < 0)
                        rc = hw_fail(HW_ERR_SERVICE, errstr, size,
                                     "cannot read the %s offset of %s/%d: %s",
                                     which == RD_KAFKA_OFFSET_END ? "end"
                                                                  : "first",
                                     p->topic, (int)p->partition,
                                     rd_kafka_err2str(
                                             p->err ? p->err
                                                    : RD_KAFKA_RESP_ERR__NO_OFFSET));
                else
                        out[i] = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

/* One try at the partitions of the two event topics and their first and
 * end offsets. */
static hw_err_t read_targets(consumer_t *c, char *errstr, size_t size) {
        const char *topics[2] = {c->conf.topic_hires, c->conf.topic_offers};
        int64_t *lo, *hi;
        hw_err_t err = HW_OK;

        c->n_targets = 0;
        for (int t = 0; t < 2; t++) {
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->rk, topics[t],
                                                           NULL);
                rd_kafka_resp_err_t e = rd_kafka_metadata(
                        c->rk, 0, rkt, &md, TARGETS_TIMEOUT_MS);
                rd_kafka_topic_destroy(rkt);
                if (e || md->topic_cnt != 1 || md->topics[0].err) {
                        err = hw_fail(HW_ERR_SERVICE, errstr, size,
                                      "no metadata for topic %s: %s",
                                      topics[t],
                                      rd_kafka_err2str(e ? e
                                                         : md->topics[0].err));
                        if (md)
                                rd_kafka_metadata_destroy(md);
                        return err;
                }
                for (int p = 0; p < md->topics[0].partition_cnt &&
                                c->n_targets < MAX_PARTITIONS;
                     p++) {
                        hw_target_t *tg = &c->targets[c->n_targets++];
                        snprintf(tg->topic, sizeof(tg->topic), "%s",
                                 topics[t]);
                        tg->partition = md->topics[0].partitions[p].id;
                }
                rd_kafka_metadata_destroy(md);
        }
        if (!c->n_targets)
                return HW_OK;
        lo = calloc(2 * c->n_targets, sizeof(*lo));
        if (!lo)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        hi = lo + c->n_targets;
        if (!(err = query_bound(c, RD_KAFKA_OFFSET_BEGINNING, lo, errstr,
                                size)) &&
            !(err = query_bound(c, RD_KAFKA_OFFSET_END, hi, errstr, size)))
                for (size_t i = 0; i < c->n_targets; i++) {
                        hw_target_t *tg = &c->targets[i];
                        tg->end = hi[i];
                        /* The first offset the broker still holds. */
                        tg->first = tg->start = tg->done = tg->kept_from =
                                lo[i] < hi[i] ? lo[i] : hi[i];
                        tg->from_ms = -1;
                }
        free(lo);
        return err;
}

/* Records the first and end offsets of every partition of the two event
 * topics, waiting out a Kafka outage (a leader that is down, no broker
 * answering) as long as outage.wait.ms allows. */
static hw_err_t find_targets(consumer_t *c) {
        char errstr[512];
        hw_err_t err;

        for (int backoff = BACKOFF_MIN_MS;
             (err = read_targets(c, errstr, sizeof(errstr)));) {
                if (err != HW_ERR_SERVICE || stop_requested) {
                        HW_ERROR("consumer", "%s", errstr);
                        return err;
                }
                if (outage_wait(c, &c->kafka_outage, "Kafka", errstr))
                        return err;
                sleep_ms(backoff);
                backoff = hw_backoff_next(backoff, BACKOFF_MAX_MS);
        }
        outage_over(&c->kafka_outage, "Kafka");
        return HW_OK;
}

/* True once Redis's offsets (this group's, whichever consumer stored
 * them) reached every target. */
static int caught_up(consumer_t *c) {
        char errstr[512];
        for (size_t i = 0; i < c->n_targets; i++) {
                int64_t stored;
                /* Nothing left to read (retention may have deleted it). */
                if (c->targets[i].start >= c->targets[i].end)
                        continue;
                if (hw_store_get_offsets(c->store, c->targets[i].topic,
                                         &c->targets[i].partition, 1, &stored,
                                         errstr, sizeof(errstr))) {
                        outage_wait(c, &c->outage, "Redis", errstr);
                        return 0;
                }
                outage_over(&c->outage, "Redis");
                if (stored < c->targets[i].end)
                        return 0;
        }
        return 1;
}

static hw_err_t setup_kafka(consumer_t *c, const char *group_id, char *errstr,
                            size_t size) {
        rd_kafka_conf_t *conf;
        char max_bytes[32];

        /* The DLQ producer. */
        conf = hw_kafka_conf_new(&c->conf.kafka, errstr, size);
        if (!conf)
                return HW_ERR_ARG;
        /* Room for the largest dead letter and its headers. */
        snprintf(max_bytes, sizeof(max_bytes), "%zu",
                 c->conf.dlq_max_message_bytes + 65536 > 1000000
                         ? c->conf.dlq_max_message_bytes + 65536
                         : (size_t)1000000);
        if (hw_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "message.max.bytes", max_bytes, errstr,
                              size) ||
            hw_kafka_conf_apply_props(conf, &c->conf.kafka, errstr, size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dlq_dr_cb);
        rd_kafka_conf_set_opaque(conf, c);
        c->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, size);
        if (!c->dlq) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_SERVICE;
        }

        /* The consumer: offsets come from Redis, never auto-committed. */
        conf = hw_kafka_conf_new(&c->conf.kafka, errstr, size);
        if (!conf)
                return HW_ERR_ARG;
        if (hw_kafka_conf_set(conf, "group.id", group_id, errstr, size) ||
            hw_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "enable.auto.offset.store", "false",
                              errstr, size) ||
            hw_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr,
                              size) ||
            /* Bound the prefetch queue (librdkafka's default is 64 MiB).
             * A queue at its bound stops fetching for a second
             * (fetch.queue.backoff.ms, fixed before librdkafka 2.1), so
             * the bound also limits what is read per second: 4 MiB held
             * a consumer to about 35,000 events/s, 8 MiB (as the plain
             * consumer of bench/) does not limit it. */
            hw_kafka_conf_set(conf, "queued.max.messages.kbytes", "8192",
                              errstr, size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        /* Where the backoff can be set, a queue drained by a step is
         * filled again at once (older librdkafka: no such property). */
        {
                char ignored[256];
                rd_kafka_conf_set(conf, "fetch.queue.backoff.ms", "20",
                                  ignored, sizeof(ignored));
        }
        /* -X properties win over the settings above; not over the
         * end-of-partition events, which say when brain_drain is judged. */
        if (hw_kafka_conf_apply_props(conf, &c->conf.kafka, errstr, size) ||
            hw_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                              size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
        rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
        rd_kafka_conf_set_opaque(conf, c);
        c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, size);
        if (!c->rk) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_SERVICE;
        }
        conf = NULL; /* now owned by rk */
        rd_kafka_poll_set_consumer(c->rk);
        return HW_OK;
}

/* Joins the group on the two event topics. */
static hw_err_t subscribe(consumer_t *c, char *errstr, size_t size) {
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;

        topics = rd_kafka_topic_partition_list_new(2);
        rd_kafka_topic_partition_list_add(topics, c->conf.topic_hires,
                                          RD_KAFKA_PARTITION_UA);
        rd_kafka_topic_partition_list_add(topics, c->conf.topic_offers,
                                          RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(c->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "cannot subscribe: %s", rd_kafka_err2str(err));
        return HW_OK;
}

/* Seconds since the replay began (monotonic). */
static int64_t replay_t0;

/* Every half second of a replay: the progress line, and the lock kept. */
static void replay_tick(consumer_t *c) {
        const char *argv[4] = {"PEXPIRE", c->lock_key, "60000", NULL};
        char errstr[256];
        redisReply *r;

        hw_replay_progress(stderr, isatty(STDERR_FILENO), c->targets,
                           c->n_targets,
                           c->total_applied + c->total_duplicates,
                           (double)(mono_ms() - replay_t0) / 1000.0, 0);
        if (!hw_store_argv(c->store, 3, argv, NULL, &r, "PEXPIRE", errstr,
                           sizeof(errstr)))
                freeReplyObject(r);
}

/*
 * The Schema Registry did not answer for a message's writer schema: its
 * partition goes back to that message (librdkafka drops what it fetched
 * after it), so nothing after it is taken first; other partitions go on.
 * Reports not ready and waits with capped backoff before reading on.
 */
static void wait_for_registry(consumer_t *c) {
        assigned_t *a = c->registry_part;
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_error_t *e;

        {
                char msg[768];
                snprintf(msg, sizeof(msg), "%s; reading the partition again",
                         c->registry_wait);
                HW_LOG_KV(HW_LOG_WARN, "consumer", msg,
                          "topic=%s partition=%" PRId32 " offset=%" PRId64
                          " in_ms=%d",
                          a->topic, a->partition, c->registry_offset,
                          c->registry_backoff);
        }
        rd_kafka_topic_partition_list_add(parts, a->topic, a->partition)
                ->offset = c->registry_offset;
        a->position = c->registry_offset;
        a->at_eof = -1;
        if ((e = rd_kafka_seek_partitions(c->rk, parts, 5000))) {
                /* Then read from Redis's offsets, as after fencing. */
                HW_WARN("consumer", "seek failed: %s",
                        rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                flush_batch(c, 0);
                reseek(c);
        }
        rd_kafka_topic_partition_list_destroy(parts);
        hw_metrics_set_ready(c->metrics, 0, c->registry_wait);
        for (int slept = 0; slept < c->registry_backoff && !stop_requested;
             slept += 50)
                sleep_ms(50);
        c->registry_backoff = hw_backoff_next(c->registry_backoff,
                                              BACKOFF_MAX_MS);
        c->registry_wait[0] = '\0';
}

/* The main loop: poll, batch, flush; until stopped or caught up. */
static int run(consumer_t *c) {
        int64_t last_check = 0;

        while (!stop_requested) {
                int64_t now = mono_ms();
                int wait = 100;
                rd_kafka_message_t *m;

                if (c->batch->n_messages) {
                        int64_t left = c->batch->started_ms +
                                       c->conf.batch_max_ms - now;
                        wait = left <= 0 ? 0 : left < 100 ? (int)left : 100;
                }
                m = rd_kafka_consumer_poll(c->rk, wait);
                if (m) {
                        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                partition_eof(c, m);
                                rd_kafka_message_destroy(m);
                        } else if (m->err) {
                                outage_wait(c, &c->kafka_outage, "Kafka",
                                            rd_kafka_message_errstr(m));
                                rd_kafka_message_destroy(m);
                        } else {
                                c->brokers_down = 0;
                                outage_over(&c->kafka_outage, "Kafka");
                                take_message(c, m);
                        }
                }
                kafka_down_check(c, mono_ms());
                /* The last step's reply, once Redis sent it (or while
                 * there is nothing else to do). */
                if (c->pending &&
                    (!m || (++c->pending_polls % 128 == 0 &&
                            hw_store_step_ready(c->store))))
                        finish_pending(c);
                if (!c->batch->n_messages && c->unjudged && !c->pending)
                        flush_batch(c, 0); /* if the end was reached */
                if (c->registry_wait[0])
                        wait_for_registry(c);
                else if (c->registry && hw_registry_reachable(c->registry))
                        c->registry_backoff = BACKOFF_MIN_MS;
                now = mono_ms();
                /* A batch closes when full, or when it is batch.max.ms old
                 * and nothing more is waiting (a busy consumer keeps
                 * filling it, up to ten times that age). A full batch's
                 * step is only sent: the next is read while Redis applies
                 * it. */
                if (c->batch->n_messages &&
                    ((int)c->batch->n_messages >= c->conf.batch_max_events ||
                     (now - c->batch->started_ms >= c->conf.batch_max_ms &&
                      (!m || now - c->batch->started_ms >=
                                     10 * (int64_t)c->conf.batch_max_ms))))
                        flush_batch_as(c, 0,
                                       (int)c->batch->n_messages >=
                                               c->conf.batch_max_events);
                /* What follows uses Redis: it waits for no step's reply. */
                if (c->pending)
                        continue;
                if (c->replay) {
                        if (now - c->last_lag_ms >= 500) {
                                report_rejects(c, 0);
                                replay_tick(c);
                                c->last_lag_ms = now;
                        }
                        if (!c->batch->n_messages &&
                            hw_replay_complete(c->targets, c->n_targets))
                                break;
                        continue;
                }
                if (now - c->last_lag_ms >= 1000) {
                        update_lag(c);
                        check_health(c);
                        report_commits(c, now);
                        report_rejects(c, 0);
                        say_unassigned(c, now);
                        relay_alerts(c, 0); /* confirmations, leftovers */
                        c->last_lag_ms = now;
                }
                if (c->until_caught_up && !c->batch->n_messages &&
                    now - last_check >= 200) {
                        last_check = now;
                        if (caught_up(c)) {
                                HW_INFO("consumer", "caught up with the end "
                                                    "offsets seen at start");
                                c->caught_up = 1;
                                break;
                        }
                }
        }
        flush_batch(c, 1);
        if (!c->replay)
                relay_alerts(c, 1); /* everything, before leaving */
        report_rejects(c, 1);
        if (c->until_caught_up || c->replay)
                say_summary(c, c->failed        ? "stopped by a failure"
                               : c->caught_up  ? "caught up"
                               : c->replay && hw_replay_complete(
                                                      c->targets,
                                                      c->n_targets)
                                       ? "replay read to its end"
                                       : "stopped before the end");
        return c->failed ? c->failed : HW_EXIT_OK;
}

/* Writes s with tabs, newlines, CRs and backslashes escaped (\t \n \r \\),
 * so each difference stays one tab-separated line. */
static void put_escaped(const char *s) {
        for (; *s; s++) {
                switch (*s) {
                case '\t': fputs("\\t", stdout); break;
                case '\n': fputs("\\n", stdout); break;
                case '\r': fputs("\\r", stdout); break;
                case '\\': fputs("\\\\", stdout); break;
                default: putchar(*s);
                }
        }
}

static int print_difference(void *ctx, const char *key, const char *field,
                            const char *live, const char *rebuilt) {
        size_t *n = ctx;
        if (!(*n)++)
                puts("key\tfield\tlive\trebuilt");
        put_escaped(key);
        putchar('\t');
        put_escaped(field);
        putchar('\t');
        put_escaped(live);
        putchar('\t');
        put_escaped(rebuilt);
        putchar('\n');
        return 0;
}

/* Runs one command on the store's connection, dropping the reply; the
 * reply's type is returned (-1 on failure). */
static int store_command(consumer_t *c, int argc, const char **argv) {
        char errstr[512];
        redisReply *r;
        int type;
        if (hw_store_argv(c->store, argc, argv, NULL, &r, argv[0], errstr,
                          sizeof(errstr))) {
                HW_ERROR("consumer", "%s", errstr);
                return -1;
        }
        type = r->type;
        freeReplyObject(r);
        return type;
}

/* GETs key into *value (-1 when missing). 0, or -1 when Redis failed. */
static int get_int(consumer_t *c, const char *key, int64_t *value) {
        const char *argv[2] = {"GET", key};
        char errstr[512];
        redisReply *r;
        if (hw_store_argv(c->store, 2, argv, NULL, &r, "GET", errstr,
                          sizeof(errstr))) {
                HW_ERROR("consumer", "%s", errstr);
                return -1;
        }
        *value = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10)
                                               : -1;
        freeReplyObject(r);
        return 0;
}

typedef struct diff_count_s {
        size_t keys, fields;
        char last[512];
} diff_count_t;

static int count_difference(void *ctx, const char *key, const char *field,
                            const char *live, const char *rebuilt) {
        diff_count_t *d = ctx;
        (void)field, (void)live, (void)rebuilt;
        d->fields++;
        if (strcmp(d->last, key)) { /* differences come in key order */
                d->keys++;
                snprintf(d->last, sizeof(d->last), "%s", key);
        }
        return 0;
}

/*
 * Before a swap: a rebuild that holds no event is never swapped in; one
 * that leaves out events the live state counted (--from TIME after what
 * the live group read; --from earliest leaves out nothing Kafka still
 * holds) is swapped only with --yes. The live state's reach is its group's
 * stored offsets, or, with none but a watermark (written by another
 * group), every offset up to the end. Returns 0 to swap, else the exit
 * status, having said why.
 */
static int check_rebuild(consumer_t *c, const char *staging) {
        char key[400], errstr[512];
        int64_t dropped = 0, wm = -1, *next;
        size_t parts = 0, found = 0, n_diffs;
        diff_count_t d = {0};
        int rc = HW_EXIT_UNAVAILABLE;

        if (!c->total_applied) {
                HW_ERROR("consumer",
                         "replay: the rebuild holds no event (%s); nothing "
                         "swapped, every key under %s left as it was",
                         c->replay_from && strcmp(c->replay_from, "earliest")
                                 ? "none published at or after --from"
                                 : "the topics hold none",
                         c->live_prefix);
                return HW_EXIT_FAILURE;
        }
        if (!(next = calloc(c->n_targets + 1, sizeof(*next))))
                return HW_EXIT_FAILURE;
        for (size_t i = 0; i < c->n_targets; i++) {
                snprintf(key, sizeof(key), "%soffset:%s:%s:%" PRId32,
                         c->live_prefix, c->conf.group, c->targets[i].topic,
                         c->targets[i].partition);
                if (get_int(c, key, &next[i]))
                        goto out;
                found += next[i] >= 0;
        }
        snprintf(key, sizeof(key), "%swatermark", c->live_prefix);
        if (!found && get_int(c, key, &wm))
                goto out;
        for (size_t i = 0; i < c->n_targets; i++) {
                int64_t n = hw_replay_dropped(
                        &c->targets[i], wm >= 0 ? c->targets[i].end : next[i]);
                dropped += n;
                parts += n > 0;
        }
        rc = HW_OK;
        if (!dropped)
                goto out;
        if (hw_rebuild_diff(c->store, c->live_prefix, staging,
                            hw_config_alerts_prefix(&c->conf),
                            count_difference, &d, &n_diffs, errstr,
                            sizeof(errstr))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = HW_EXIT_UNAVAILABLE;
                goto out;
        }
        if (c->replay_yes) {
                HW_WARN("consumer",
                        "replay --from %s --yes: swapping in a rebuild that "
                        "leaves out %" PRId64 " offsets on %zu partitions "
                        "the live state under %s counted (%zu keys change)",
                        c->replay_from, dropped, parts, c->live_prefix,
                        d.keys);
                goto out;
        }
        HW_ERROR("consumer",
                 "replay --from %s: the rebuild leaves out %" PRId64
                 " offsets on %zu partitions that the live state under %s "
                 "counted (published before that time); swapping would "
                 "change %zu keys (%zu fields) and lose their counts. "
                 "Nothing swapped: run again with --yes to swap anyway, or "
                 "with --diff to list every difference",
                 c->replay_from, dropped, parts, c->live_prefix, d.keys,
                 d.fields);
        rc = HW_EXIT_FAILURE;
out:
        free(next);
        return rc;
}

/*
 * --replay: read every partition from its start to the end offsets seen
 * now, outside the group, into the staging prefix (the conf's prefix);
 * then swap the staging keys in, or print how they differ. The staging
 * keys are removed whatever happens.
 */
static int run_replay(consumer_t *c) {
        const char *staging = c->conf.prefix;
        rd_kafka_topic_partition_list_t *list = NULL;
        hw_rebuild_offset_t *offs = NULL;
        char errstr[512], pid[32];
        int rc = HW_EXIT_FAILURE, locked = 0;
        int64_t total = 0;
        size_t n = 0;
        hw_err_t err;

        /* One replay of a prefix at a time; the lock expires if we die. */
        snprintf(c->lock_key, sizeof(c->lock_key), "replay:lock:%s",
                 c->live_prefix);
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        {
                const char *argv[6] = {"SET", c->lock_key, pid, "NX", "PX",
                                       "60000"};
                int type = store_command(c, 6, argv);
                if (type < 0)
                        return HW_EXIT_UNAVAILABLE;
                if (type == REDIS_REPLY_NIL) {
                        HW_ERROR("consumer", "another replay of prefix %s is "
                                             "running (Redis key %s)",
                                 c->live_prefix, c->lock_key);
                        return HW_EXIT_FAILURE;
                }
                locked = 1;
        }
        if ((err = hw_rebuild_clear(c->store, staging, &n, errstr,
                                    sizeof(errstr)))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = HW_EXIT_UNAVAILABLE;
                goto out;
        }
        if (n)
                HW_LOG_KV(HW_LOG_WARN, "consumer",
                          "removed the staging keys of an interrupted replay",
                          "keys=%zu", n);
        if (find_targets(c)) {
                rc = HW_EXIT_UNAVAILABLE;
                goto out;
        }
        if ((err = hw_replay_resolve_start(
                     c->rk, c->targets, c->n_targets,
                     c->replay_from ? c->replay_from : "earliest", errstr,
                     sizeof(errstr)))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = err == HW_ERR_ARG ? HW_EXIT_USAGE : HW_EXIT_UNAVAILABLE;
                goto out;
        }
        list = rd_kafka_topic_partition_list_new((int)c->n_targets + 1);
        c->n_assigned = 0;
        for (size_t i = 0; i < c->n_targets; i++) {
                hw_target_t *t = &c->targets[i];
                assigned_t *a;
                if (t->start >= t->end)
                        continue;
                a = &c->assigned[c->n_assigned++];
                snprintf(a->topic, sizeof(a->topic), "%s", t->topic);
                a->partition = t->partition;
                a->stored = -1;
                a->position = t->start;
                a->at_eof = 0;
                a->target = t;
                rd_kafka_topic_partition_list_add(list, t->topic,
                                                  t->partition)
                        ->offset = t->start;
                total += t->end - t->start;
        }
        HW_LOG_KV(HW_LOG_INFO, "consumer", "replay: rebuilding",
                  "prefix=\"%s\" from=%s staging=\"%s\" offsets=%" PRId64
                  " partitions=%zu new_alerts=%s",
                  c->live_prefix, c->replay_from ? c->replay_from : "earliest",
                  staging, total, c->n_assigned,
                  c->replay_alerts ? "raised" : "none");
        rd_kafka_assign(c->rk, list);
        replay_t0 = mono_ms();
        run(c);
        rd_kafka_assign(c->rk, NULL);
        hw_replay_progress(stderr, isatty(STDERR_FILENO), c->targets,
                           c->n_targets,
                           c->total_applied + c->total_duplicates,
                           (double)(mono_ms() - replay_t0) / 1000.0, 1);
        if (c->failed || !hw_replay_complete(c->targets, c->n_targets)) {
                HW_ERROR("consumer", "replay %s: nothing swapped",
                         c->failed ? "failed" : "interrupted");
                if (c->failed)
                        rc = c->failed;
                goto out;
        }
        if (c->replay_diff) {
                size_t diffs, printed = 0;
                if ((err = hw_rebuild_diff(c->store, c->live_prefix, staging,
                                           hw_config_alerts_prefix(&c->conf),
                                           print_difference, &printed, &diffs,
                                           errstr, sizeof(errstr)))) {
                        HW_ERROR("consumer", "%s", errstr);
                        goto out;
                }
                fflush(stdout);
                HW_LOG_KV(HW_LOG_INFO, "consumer",
                          "replay --diff: the prefix against the rebuild; "
                          "nothing swapped",
                          "differences=%zu prefix=\"%s\"", diffs,
                          c->live_prefix);
                /* As diff(1): 1 when anything differs. */
                rc = diffs ? HW_EXIT_FAILURE : HW_EXIT_OK;
                goto out;
        }
        if ((rc = check_rebuild(c, staging)))
                goto out;
        rc = HW_EXIT_FAILURE;
        offs = calloc(c->n_targets + 1, sizeof(*offs));
        if (!offs)
                goto out;
        for (size_t i = 0; i < c->n_targets; i++) {
                snprintf(offs[i].suffix, sizeof(offs[i].suffix),
                         "offset:%s:%s:%" PRId32, c->conf.group,
                         c->targets[i].topic, c->targets[i].partition);
                offs[i].next = c->targets[i].end;
        }
        {
                int64_t deleted, renamed, epoch;
                if ((err = hw_rebuild_swap(c->store, c->live_prefix, staging,
                                           hw_config_alerts_prefix(&c->conf),
                                           offs, c->n_targets, &deleted,
                                           &renamed, &epoch, errstr,
                                           sizeof(errstr)))) {
                        HW_ERROR("consumer", "swap failed: %s", errstr);
                        goto out;
                }
                HW_LOG_KV(HW_LOG_INFO, "consumer", "replay swapped in",
                          "replaced=%" PRId64 " rebuilt=%" PRId64
                          " prefix=\"%s\" group=\"%s\" epoch=%" PRId64,
                          deleted, renamed, c->live_prefix, c->conf.group,
                          epoch);
        }
        rc = HW_EXIT_OK;
out:
        if (list)
                rd_kafka_topic_partition_list_destroy(list);
        free(offs);
        if ((err = hw_rebuild_clear(c->store, staging, &n, errstr,
                                    sizeof(errstr))))
                HW_ERROR("consumer", "staging keys under %s not removed: %s",
                         staging, errstr);
        if (locked) {
                const char *argv[2] = {"DEL", c->lock_key};
                store_command(c, 2, argv);
        }
        return rc;
}

int main(int argc, char **argv) {
        consumer_t *c = calloc(1, sizeof(*c));
        char errstr[512], bound[128];
        struct sigaction sa = {.sa_handler = on_signal};
        int rc = HW_EXIT_FAILURE;
        hw_err_t err;

        if (!c || hw_config_init(&c->conf))
                return HW_EXIT_FAILURE;
        hw_event_init(&c->ev);
        hw_batch_cache_init(&c->cache);
        hw_batch_init(&c->batches[0], &c->cache);
        hw_batch_init(&c->batches[1], &c->cache);
        c->batch = &c->batches[0];
        c->unjudged = 1; /* what was applied before this start, maybe */
        c->assigned = calloc(MAX_PARTITIONS, sizeof(*c->assigned));
        c->targets = calloc(MAX_PARTITIONS, sizeof(*c->targets));
        c->ends = calloc(MAX_PARTITIONS, sizeof(*c->ends));
        c->relay = calloc(RELAY_BATCH, sizeof(*c->relay));
        if (!c->assigned || !c->targets || !c->ends || !c->relay)
                goto cleanup;
        for (size_t i = 0; i < RELAY_BATCH; i++)
                hw_alert_init(&c->relay[i].alert);
        hw_buf_init(&c->payload);
        if ((rc = parse_args(c, argc, argv)) != HW_EXIT_OK)
                goto cleanup;
        rc = HW_EXIT_FAILURE;
        c->started_ms = mono_ms();
        c->proc.mega_threshold_usd = c->conf.mega_threshold_usd;
        c->proc.alert_mega_offer = c->conf.alert_mega_offer;
        c->proc.alert_mega_usd = c->conf.alert_mega_offer_usd;
        c->proc.alert_top_tier_move = c->conf.alert_top_tier_move;
        c->proc.alert_raid = c->conf.alert_raid;
        c->proc.alert_brain_drain = c->conf.alert_brain_drain;
        if (c->replay) {
                /* Counters go to the staging prefix; alerts (when raised)
                 * to the live ones, so ids raised before stay raised. */
                char staging[300];
                c->live_prefix = strdup(c->conf.prefix);
                hw_rebuild_staging_prefix(c->conf.prefix, staging,
                                          sizeof(staging));
                if (!c->live_prefix ||
                    (!c->conf.alerts_prefix &&
                     !(c->conf.alerts_prefix = strdup(c->conf.prefix))))
                        goto cleanup;
                free(c->conf.prefix);
                if (!(c->conf.prefix = strdup(staging)))
                        goto cleanup;
        }

        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* A write to a connection Redis (or a webhook) closed must fail
         * with EPIPE, to be retried, not kill the process. */
        signal(SIGPIPE, SIG_IGN);

        c->codec = hw_codec_new(errstr, sizeof(errstr));
        c->metrics = hw_metrics_new();
        c->store = hw_store_new(&c->conf, c->conf.group, errstr,
                                sizeof(errstr));
        if (!c->codec || !c->metrics || !c->store) {
                HW_ERROR("consumer", "%s", errstr);
                goto cleanup;
        }
        hw_codec_set_max_message(c->codec, c->conf.max_message_bytes);
        c->registry_backoff = BACKOFF_MIN_MS;
        if (c->conf.registry_url) {
                hw_registry_conf_t rc_conf = hw_config_registry(&c->conf);
                c->registry = hw_registry_new(&rc_conf, errstr,
                                              sizeof(errstr));
                if (!c->registry) {
                        HW_ERROR("consumer", "%s", errstr);
                        rc = HW_EXIT_USAGE;
                        goto cleanup;
                }
                if (hw_codec_use_registry(c->codec, c->registry,
                                          (size_t)c->conf.registry_cache_max)) {
                        HW_ERROR("consumer", "out of memory");
                        goto cleanup;
                }
        }
        hw_metrics_set_ready(c->metrics, 0, "starting");
        hw_store_set_raise_alerts(c->store, !c->replay || c->replay_alerts);
        hw_metrics_set_version(c->metrics, HW_VERSION);
        if (strcmp(c->conf.metrics_addr, "off")) {
                if (!hw_metrics_serve(c->metrics, c->conf.metrics_addr, bound,
                                      sizeof(bound), errstr,
                                      sizeof(errstr))) {
                        HW_INFO("consumer", "metrics at http://%s/metrics",
                                bound);
                } else if (c->replay) {
                        /* A replay beside a live consumer on this host
                         * finds the address taken: it rebuilds anyway. */
                        HW_WARN("consumer",
                                "metrics: %s; the replay goes on without "
                                "them (--metrics-addr picks another "
                                "address)",
                                errstr);
                } else {
                        HW_ERROR("consumer", "metrics: %s", errstr);
                        rc = HW_EXIT_UNAVAILABLE; /* the address is valid */
                        goto cleanup;
                }
        }

        /* Redis must answer before partitions are taken. */
        for (int backoff = BACKOFF_MIN_MS;
             (err = hw_store_connect(c->store, errstr, sizeof(errstr)));) {
                if (err != HW_ERR_SERVICE || stop_requested) {
                        HW_ERROR("consumer", "%s", errstr);
                        rc = err == HW_ERR_ARG ? HW_EXIT_USAGE
                                               : HW_EXIT_UNAVAILABLE;
                        goto cleanup;
                }
                if (outage_wait(c, &c->outage, "Redis", errstr)) {
                        rc = c->failed;
                        goto cleanup;
                }
                sleep_ms(backoff);
                backoff = hw_backoff_next(backoff, BACKOFF_MAX_MS);
        }
        outage_over(&c->outage, "Redis");

        /* The registry's answer for the alert schema, asked now: settings
         * it refuses (credentials, a subject without the schema) will not
         * fix themselves, so say so and stop; an outage is waited for
         * later, message by message. */
        if (c->registry && c->conf.alerts_relay) {
                int32_t id;
                err = alert_schema_id(c, &id, errstr, sizeof(errstr));
                if (err == HW_ERR_ARG ||
                    (err && strstr(errstr, "refused the credentials"))) {
                        HW_ERROR("consumer", "%s", errstr);
                        rc = err == HW_ERR_ARG ? HW_EXIT_USAGE
                                               : HW_EXIT_UNAVAILABLE;
                        goto cleanup;
                }
                if (err)
                        HW_WARN("consumer", "%s; going on (messages wait for "
                                            "the registry)",
                                errstr);
        }

        if (c->replay) {
                /* Outside the group: never joins it, never commits. */
                char group_id[300];
                snprintf(group_id, sizeof(group_id), "%s.replay",
                         c->conf.group);
                err = setup_kafka(c, group_id, errstr, sizeof(errstr));
        } else {
                err = setup_kafka(c, c->conf.group, errstr, sizeof(errstr));
        }
        if (err) {
                HW_ERROR("consumer", "%s", errstr);
                rc = err == HW_ERR_ARG ? HW_EXIT_USAGE : HW_EXIT_UNAVAILABLE;
                goto cleanup;
        }
        if (c->replay) {
                rc = run_replay(c);
                goto cleanup;
        }
        if (c->until_caught_up) {
                if (find_targets(c)) {
                        rc = HW_EXIT_UNAVAILABLE;
                        goto cleanup;
                }
                /* Nothing to do: no need to join (and churn) the group. */
                if (caught_up(c)) {
                        HW_INFO("consumer", "already caught up with the end "
                                            "offsets");
                        c->caught_up = 1;
                        flush_batch(c, 1); /* judges what is applied */
                        relay_alerts(c, 1);
                        say_summary(c, "caught up");
                        rc = HW_EXIT_OK;
                        goto cleanup;
                }
        }
        if ((err = subscribe(c, errstr, sizeof(errstr)))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = HW_EXIT_UNAVAILABLE;
                goto cleanup;
        }
        if (c->conf.alert_webhook_url) {
                c->webhook = hw_webhook_start(&c->conf, c->conf.group,
                                              c->metrics, errstr,
                                              sizeof(errstr));
                if (!c->webhook) {
                        HW_ERROR("consumer", "webhook: %s", errstr);
                        goto cleanup;
                }
        }
        if (c->conf.archive_dir) {
                c->archive = hw_archive_open(c->conf.archive_dir, errstr,
                                             sizeof(errstr));
                if (!c->archive) {
                        HW_ERROR("consumer", "archive: %s", errstr);
                        goto cleanup;
                }
                hw_archive_set_block_size(c->archive,
                                          c->conf.max_message_bytes + 1024);
                HW_INFO("consumer", "archiving valid events in %s",
                        c->conf.archive_dir);
        }
        HW_INFO("consumer", "consuming %s and %s as group %s into prefix %s",
                c->conf.topic_hires, c->conf.topic_offers, c->conf.group,
                c->conf.prefix);
        rc = run(c);

cleanup:
        hw_webhook_stop(c->webhook);
        if (c->rk) {
                rd_kafka_consumer_close(c->rk);
                rd_kafka_destroy(c->rk);
        }
        if (c->dlq) {
                rd_kafka_flush(c->dlq, 5000);
                rd_kafka_destroy(c->dlq);
        }
        hw_archive_close(c->archive);
        hw_batch_release(&c->batches[0]);
        hw_batch_release(&c->batches[1]);
        hw_batch_cache_release(&c->cache);
        hw_event_release(&c->ev);
        hw_store_destroy(c->store);
        hw_codec_destroy(c->codec);
        hw_registry_destroy(c->registry);
        hw_metrics_destroy(c->metrics);
        hw_config_release(&c->conf);
        free(c->assigned);
        free(c->targets);
        free(c->ends);
        for (size_t i = 0; c->relay && i < RELAY_BATCH; i++)
                hw_alert_release(&c->relay[i].alert);
        free(c->relay);
        free(c->live_prefix);
        hw_buf_release(&c->payload);
        free(c);
        say_exit(rc);
        return rc;
}
