/*
 * What the parts of hirewire-consumer share: the state of one run
 * (consumer_t) and the functions each part offers the others. consumer.c
 * holds the loop (poll, batch, step); main.c main; kafka_io.c the Kafka
 * client set up, its errors and commits; cli.c the command line;
 * partitions.c assignment, offsets and where each partition stands;
 * dlq.c the dead-letter queue; relay.c the alerts relayed to Kafka;
 * replay_run.c --replay; batch.c a batch and its step; replay.c the
 * replay's offsets and progress.
 */
#ifndef HW_CONSUMER_H
#define HW_CONSUMER_H

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
#define STOP_GRACE_MS 10000 /* how long a stop waits for a Redis outage */
#define WARN_EVERY_MS 60000 /* a repeated warning: once a minute */
#define ASSIGN_WAIT_MS 5000 /* partitionless this long: say why */
#define MAX_PARTITIONS 4096
#define TARGETS_TIMEOUT_MS 5000 /* one query of the partitions' offsets */
#define RELAY_BATCH 1000        /* alerts read from the stream at a time */
/* A batch's events are processed (hw_batch_process) this many at a time,
 * so that it holds their deltas, not the events; while a step waits for
 * its reply they are kept (up to the batch's size) and processed once it
 * is in. */
#define PART_EVENTS 2000

/* A partition this consumer is assigned. */
typedef struct assigned_s {
        char topic[256];
        int32_t partition;
        int64_t stored;      /* next offset stored in Redis, -1 = none */
        int64_t position;    /* next offset to read */
        int at_eof;          /* read to the end Kafka reported: 1; not yet:
                                 * 0; -1 after a seek back, until a message
                                 * is taken (an end already queued is old) */
        hw_target_t *target; /* replay: where this partition stops */
} assigned_t;

/* Rejected messages of one class: reported when the first comes, then at
 * most once a minute with how many came meanwhile and one example. */
typedef struct rejects_seen_s {
        uint64_t total;    /* since start (the closing summary) */
        uint64_t pending;  /* since the last warning */
        int64_t warned_ms; /* of the last warning; 0 none */
        char example[600]; /* topic/partition@offset: reason */
} rejects_seen_t;

#define REJECT_CLASSES (HW_ERR_TOO_LARGE + 1)

/* A Kafka or Redis outage as the consumer lives through it (outage_wait). */
typedef struct outage_s {
        int64_t since;  /* monotonic ms of its first failure; 0 none */
        int64_t warned; /* of its last warning */
        uint64_t failures;
} outage_t;

typedef struct consumer_s {
        hw_config_t conf;
        int until_caught_up;
        rd_kafka_t *rk;  /* consumer */
        rd_kafka_t *dlq; /* DLQ producer */
        hw_codec_t *codec;
        hw_registry_t *registry;           /* schema.registry.url, or NULL */
        hw_registry_stats_t registry_seen; /* counted into the metrics */
        char registry_wait[512];   /* why the registry is waited for, or "" */
        assigned_t *registry_part; /* the partition of that message */
        int64_t registry_offset;   /* and its offset */
        int registry_backoff;
        hw_store_t *store;
        hw_metrics_t *metrics;
        hw_webhook_t *webhook;
        hw_archive_t *archive; /* --archive-dir, or NULL */
        hw_proc_conf_t proc;
        /* Two batches: while Redis applies the step of one (pending),
         * the other fills. */
        hw_batch_cache_t cache;
        hw_batch_t batches[2];
        hw_batch_t *batch;   /* the one filling */
        hw_batch_t *pending; /* the one whose step's reply is unread */
        int pending_at_end, pending_final;
        unsigned pending_polls; /* messages taken while it was pending */
        int64_t pending_t0;
        /* Full batches since memory was last given back: a backlog
         * being read, whose memory goes once every partition is read to
         * its end (give_back). */
        unsigned full_batches;
        assigned_t *assigned;
        size_t n_assigned;
        size_t last_assigned; /* hw_consumer_find_assigned's last find */
        hw_target_t *targets; /* partitions and end offsets seen at start */
        size_t n_targets;
        hw_store_end_t *ends;    /* where each partition is, for the step */
        int dlq_failed;          /* DLQ deliveries failed since last check */
        int relay_failed;        /* alert deliveries failed since last check */
        int64_t relay_warned;    /* when the relay last warned (ms) */
        hw_store_alert_t *relay; /* alerts being relayed */
        char relay_pending[48];  /* stream id in flight to Kafka, "" = none */
        hw_buf_t payload;
        int64_t last_lag_ms;
        int commit_failed; /* Kafka commits failed since last report */
        rd_kafka_resp_err_t commit_err; /* and the last reason */
        int64_t commit_warned_ms;
        int unjudged;  /* brain_drain not judged since the last step
                                 * (or since the partitions were assigned) */
        int caught_up; /* --until-caught-up: the group is at the end */
        /* --replay */
        int replay, replay_diff, replay_alerts, replay_yes;
        const char *replay_from;
        char *live_prefix; /* the prefix the rebuild replaces */
        char lock_key[320];
        int failed;             /* stopped by an error: its exit status */
        outage_t outage;        /* what a batch's step waits for (Redis,
                                   the DLQ, the archive) */
        outage_t kafka_outage;  /* Kafka's errors while consuming */
        char kafka_error[512];  /* the last one a message reported */
        int brokers_doubted;    /* a connection to a broker failed: are
                                   any left? (hw_consumer_kafka_down_check) */
        int64_t brokers_probed; /* when the last probe of them was (ms) */
        rejects_seen_t rejects[REJECT_CLASSES];
        /* This run's applied events, skipped duplicates and raised alerts
         * (the closing summary, a replay's progress and its check). */
        uint64_t total_applied, total_duplicates, total_alerts;
        int64_t started_ms;
        int64_t unassigned_since, unassigned_warned; /* say_unassigned */
        int64_t stop_give_up; /* after a stop request: when steps that
                                 cannot apply are given up (ms) */
} consumer_t;

/* ---- The loop and what the other parts use of it (consumer.c). ---- */

/* Set by SIGTERM and SIGINT: the run stops after the batch it is in. */
extern volatile sig_atomic_t hw_consumer_stop_requested;

/* Monotonic milliseconds. */
int64_t hw_consumer_mono_ms(void);

/* Whether a warning last given at `warned` (0: never) may be given again
 * now: a repeated warning comes once a minute at most. */
int hw_consumer_warn_due(int64_t warned, int64_t now);

/*
 * Notes a failure of `service` (errstr says what failed). The service waits
 * for it to answer, warning at once and then once a minute (credentials
 * refused too: a rotated secret may reach Redis before the consumer). A
 * batch mode gives up once the outage has lasted outage.wait.ms, or at
 * once on refused credentials: returns 1 having said so, and the run exits
 * 69. Nothing is lost either way: offsets move only with applied steps.
 */
int hw_consumer_outage_wait(consumer_t *c, outage_t *o, const char *service,
                            const char *errstr);

/* The service answered: ends an outage (saying how long it lasted). */
void hw_consumer_outage_over(outage_t *o, const char *service);

/* Sleeps ms milliseconds (a signal may cut it short). */
void hw_consumer_sleep_ms(int ms);

/* Reads the outcome of the step sent last, if any. When it is not
 * applied in the end, the batch read since is dropped too (it follows
 * that step in its partitions) and they are read again from Redis's
 * offsets. */
void hw_consumer_finish_pending(consumer_t *c);

/* Applies the filling batch, waiting for its step's outcome; `final`:
 * the last one before exit. */
void hw_consumer_flush_batch(consumer_t *c, int final);

/* Readiness between batches: Redis must answer (an idle consumer would
 * otherwise not notice an outage), the Schema Registry must have answered
 * its last request, and partitions must be assigned. */
void hw_consumer_check_health(consumer_t *c);

/* The main loop: poll, batch, flush; until stopped or caught up. */
int hw_consumer_run(consumer_t *c);

/* SIGTERM or SIGINT: the run stops after the batch it is in. */
void hw_consumer_on_signal(int sig);

/* The consumer's last line: its exit status, and why. */
void hw_consumer_say_exit(int rc);

/* The closing line of a run that ends by itself: what it did, in how
 * long. */
void hw_consumer_say_summary(consumer_t *c, const char *what);

/* ---- Kafka (kafka_io.c). ---- */

/* While librdkafka says every broker is down: a Kafka outage, warned
 * once a minute (and given up after outage.wait.ms in batch modes); a
 * metadata request (at most one a second) says when a broker answers
 * again. */
void hw_consumer_kafka_down_check(consumer_t *c, int64_t now);

/* Says, at most once a minute, that commits to Kafka failed (and why). */
void hw_consumer_report_commits(consumer_t *c, int64_t now);

/* Commits the batch's next offsets to Kafka (for lag tooling only). */
void hw_consumer_commit_to_kafka(consumer_t *c, const hw_batch_t *b);

/* The Kafka consumer (group group_id, offsets from Redis, never
 * auto-committed) and the producer of the DLQ and the alerts topic. */
hw_err_t hw_consumer_setup_kafka(consumer_t *c, const char *group_id,
                                 char *errstr, size_t size);

/* Joins the group on the two event topics. */
hw_err_t hw_consumer_subscribe(consumer_t *c, char *errstr, size_t size);

/* ---- The command line (cli.c). ---- */

/* Writes --help to out. */
void hw_consumer_usage(FILE *out);

/* Reads the command line (and the config file it names) into c and
 * validates the config: HW_EXIT_OK, or the exit status after saying what
 * is wrong. --help and --version print and exit. */
int hw_consumer_parse_args(consumer_t *c, int argc, char **argv);

/* ---- Partitions: assignment, offsets, where each stands (partitions.c). ---- */

assigned_t *hw_consumer_find_assigned(consumer_t *c, const char *topic,
                                      int32_t partition);

/* Kafka reported the end of a partition: everything before it was taken
 * (an end reported before a seek back to Redis's offsets is older than the
 * position; one before the seek back to a message not taken is ignored). */
void hw_consumer_partition_eof(consumer_t *c, const rd_kafka_message_t *m);

/* Whether the batch being flushed takes this consumer to the end of every
 * partition it reads: a replay to its end offsets, a live consumer to the
 * end Kafka last reported on each (or, with --until-caught-up, the group
 * to the end offsets seen at start). Only such a step judges brain_drain. */
int hw_consumer_read_to_end(const consumer_t *c);

/* Tells the store where the next step leaves this consumer: at the end or
 * not, and, for a live consumer, each of its partitions (all of them once
 * the group caught up), so that the step judges brain_drain only when no
 * member of the group is behind. */
void hw_consumer_set_ends(consumer_t *c, int at_end);

/* Partitions are read from the offsets stored in Redis, which move in the
 * same atomic step as the counters; a partition with none stored is read
 * from the beginning. */
void hw_consumer_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *parts,
                              void *opaque);

/* After another consumer moved our offsets: read from what Redis holds. */
void hw_consumer_reseek(consumer_t *c);

/* Records the first and end offsets of every partition of the two event
 * topics, waiting out a Kafka outage (a leader that is down, no broker
 * answering) as long as outage.wait.ms allows. */
hw_err_t hw_consumer_find_targets(consumer_t *c);

/* True once Redis's offsets (this group's, whichever consumer stored
 * them) reached every target. */
int hw_consumer_caught_up(consumer_t *c);

/* ---- The dead-letter queue (dlq.c). ---- */

/* Marks relayed alerts among the producer's messages. */
extern char hw_consumer_alert_mark;

/* Delivery reports of the producer of the DLQ and the alerts topic. */
void hw_consumer_dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                           void *opaque);

/* Delivers the batch's rejected messages to the DLQ, unchanged, with the
 * SPEC headers; waits for every delivery. Returns -1 if any failed. */
int hw_consumer_deliver_rejects(consumer_t *c, hw_batch_t *b);

/* One warning per rejection class with messages not reported yet, at most
 * once a minute per class (all of them when `all`, at exit): how many,
 * and the first one's place and reason. */
void hw_consumer_report_rejects(consumer_t *c, int all);

/* ---- The alert relay to Kafka (relay.c). ---- */

/* The Schema Registry's id of the Alert schema for topic.alerts (asked
 * once, then cached), or 0 without a registry. */
hw_err_t hw_consumer_alert_schema_id(consumer_t *c, int32_t *id, char *errstr,
                                     size_t size);

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
int hw_consumer_relay_alerts(consumer_t *c, int wait);

/* ---- --replay (replay_run.c). ---- */

/* Every half second of a replay: the progress line, and the lock kept. */
void hw_consumer_replay_tick(consumer_t *c);

/*
 * --replay: read every partition from its start to the end offsets seen
 * now, outside the group, into the staging prefix (the conf's prefix);
 * then swap the staging keys in, or print how they differ. The staging
 * keys are removed whatever happens.
 */
int hw_consumer_run_replay(consumer_t *c);

#endif
