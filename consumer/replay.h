/*
 * hirewire-consumer --replay: the pieces around the ordinary consume loop.
 * A replay reads every partition of the event topics from a start point
 * (the earliest offsets, or the first at or after a time) up to the end
 * offsets seen when it started, outside the consumer group, into a staging
 * prefix; then swaps the rebuilt keys in, or reports how they differ
 * (store/hw_rebuild.h, docs/operations.md).
 */
#ifndef HW_REPLAY_H
#define HW_REPLAY_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>

#include "hw_err.h"

/* A partition to read, from start to end (the end offset at start-up). */
typedef struct hw_target_s {
        char topic[256];
        int32_t partition;
        int64_t first;     /* first offset the broker held at start */
        int64_t start;     /* first offset to read */
        int64_t kept_from; /* first offset the rebuild counts: start,
                                   or past the messages --from skipped */
        int64_t end;       /* offset to stop at (exclusive) */
        int64_t done;      /* next offset applied */
        int64_t from_ms;   /* --from TIME: skip messages before the
                                   first one stamped at or after it; -1 */
} hw_target_t;

/*
 * The n targets in a list, each asked for its offset at `at` (a Kafka
 * timestamp in ms, or RD_KAFKA_OFFSET_BEGINNING / RD_KAFKA_OFFSET_END: the
 * first offset held, the end) in one offsets-for-times query to the
 * partitions' leaders, bounded by timeout_ms; elems[i] answers target i
 * (its err, its offset). *err: the query's own error. The caller destroys
 * the list.
 */
rd_kafka_topic_partition_list_t *
hw_replay_offsets_at(rd_kafka_t *rk, const hw_target_t *t, size_t n, int64_t at,
                     int timeout_ms, rd_kafka_resp_err_t *err);

/*
 * Resolves each target's start offset (on entry, the first offset the
 * broker still holds): `from` is "earliest" (that one) or an ISO 8601
 * time: the first message
 * whose Kafka timestamp is at or after it, as the broker's time index
 * answers (ListOffsets); where the broker has no answer, from the earliest
 * offset with from_ms set, so that the consumer skips the messages before
 * that first one itself (hw_replay_skip).
 * HW_ERR_ARG for a `from` that is neither, HW_ERR_SERVICE when Kafka does
 * not answer.
 */
hw_err_t hw_replay_resolve_start(rd_kafka_t *rk, hw_target_t *t, size_t n,
                                 const char *from, char *errstr,
                                 size_t errstr_size);

/* Whether a --from TIME replay skips message m of target t (and then
 * counts it done); once one message is taken, every later one is. */
int hw_replay_skip(hw_target_t *t, const rd_kafka_message_t *m);

/* How many offsets of target t that a live state which read the partition
 * up to live_next (-1: not at all) counted and the rebuild leaves out:
 * those before the rebuild's --from point that the broker still holds. */
int64_t hw_replay_dropped(const hw_target_t *t, int64_t live_next);

/* Whether every target's done offset reached its end. */
int hw_replay_complete(const hw_target_t *t, size_t n);

/*
 * Writes the progress: on a terminal, one line redrawn in place
 * (partitions complete, offsets done/total, events/s, ETA); with `final`,
 * the closing summary line (on any output).
 */
void hw_replay_progress(FILE *out, int terminal, const hw_target_t *t, size_t n,
                        uint64_t events, double seconds, int final);

#endif
