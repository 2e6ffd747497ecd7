/*
 * What the files of hirewire-produce share (producer/): its options, its
 * state and counters, and the steps main runs. produce.c holds the command
 * line and main; produce_input.c reads the inputs (NDJSON, archive files,
 * the generator); produce_send.c sends or prints each valid event.
 */
#ifndef PRODUCE_INT_H
#define PRODUCE_INT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_config.h"
#include "hw_event.h"
#include "hw_kafka.h"
#include "hw_registry.h"

#define FAILED_NAMED_MAX 100 /* failed event_ids logged one by one */

typedef struct produce_opts_s {
        hw_config_t conf;      /* -c FILE, -s, and the flags below */
        hw_kafka_opts_t kafka; /* these three point into conf */
        const char *hires_topic;
        const char *offers_topic;
        const char *topic; /* overrides both topics when set */
        int strict;
        int dry_run;
        int generate;
        int from_archive; /* FILEs are archive (Avro container) files */
        uint64_t gen_count;
        uint64_t seed;
        double rate;   /* events/s, 0 = as fast as possible */
        int span_days; /* generated events cover these days */
        int timeout_s; /* delivery timeout */
} produce_opts_t;

/* Delivery outcome counters, updated by the delivery report callback. */
typedef struct produce_stats_s {
        uint64_t lines;
        uint64_t valid;
        uint64_t invalid;
        uint64_t enqueued;
        uint64_t delivered;
        uint64_t failed;
        uint64_t failed_unavailable; /* timed out or no broker reachable */
} produce_stats_t;

typedef struct producer_s {
        const produce_opts_t *opts;
        rd_kafka_t *rk;
        hw_codec_t *codec;
        hw_registry_t *registry; /* schema.registry.url, or NULL */
        int registry_down;       /* stopped: the registry did not answer */
        hw_event_t ev;
        hw_buf_t payload;
        hw_buf_t json;
        produce_stats_t stats;
        struct timespec started;
} producer_t;

/* Set by SIGINT and SIGTERM: stop reading input, then drain. */
extern volatile sig_atomic_t hw_produce_stop_requested;

/* Creates the idempotent producer into p->rk. HW_ERR_ARG for a bad
 * property or settings librdkafka refuses (errstr says which). */
hw_err_t hw_produce_connect(producer_t *p, char *errstr, size_t size);

/* Waits for every delivery report, up to the delivery timeout plus a
 * margin; whatever is still queued then is purged and reported failed. */
void hw_produce_drain(producer_t *p);

/* Sends (or with --dry-run prints) the valid event in p->ev. -1 on a fatal
 * error: the caller stops reading input. */
int hw_produce_emit_event(producer_t *p);

/*
 * Reads NDJSON from fp. Valid lines are emitted, or with --strict kept in
 * `held` (newline-separated) to be emitted once every input has been read.
 * Returns -1 on a fatal error.
 */
int hw_produce_read_input(producer_t *p, FILE *fp, const char *name,
                          hw_buf_t *held);

/* Emits the lines --strict held back; they were all valid. -1 on a fatal
 * error. */
int hw_produce_emit_held(producer_t *p, const hw_buf_t *held);

/* Republishes the events of archive files, file by file, in order. A file
 * that is not a readable archive is reported and counted invalid (exit
 * 65); the others are still sent. -1 on a fatal error. */
int hw_produce_read_archives(producer_t *p, char **files, int n);

/* Emits the generator's events (--generate); -1 on a fatal error or an
 * invalid generated event. */
int hw_produce_run_generator(producer_t *p);

#endif
