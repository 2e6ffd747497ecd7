/*
 * A batch: the messages hirewire-consumer read since its last atomic step.
 * Valid events are kept decoded until the processors have run over them
 * (hw_batch_process, a part of the batch at a time: the batch then holds
 * their deltas, not the events); rejected messages are kept (as librdkafka
 * messages) until they are confirmed in the dead-letter topic. Flushing
 * processes what is left and applies the deltas, the ids applied and the
 * partitions' next offsets to Redis in one step.
 */
#ifndef HW_BATCH_H
#define HW_BATCH_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "hw_deltas.h"
#include "hw_event.h"
#include "hw_plan.h"
#include "hw_proc.h"
#include "hw_store.h"

/* A partition of the batch. */
typedef struct hw_batch_part_s {
        char *topic;
        int32_t partition;
        int64_t expected; /* offset stored in Redis when the batch began, -1 = none */
        int64_t next; /* offset after the last message of the batch */
} hw_batch_part_t;

typedef struct hw_batch_reject_s {
        rd_kafka_message_t
                *msg; /* owned: destroyed when the batch is cleared */
        hw_err_t error;
        char *reason;
} hw_batch_reject_t;

/* What the batch's events did. */
typedef struct hw_batch_stats_s {
        uint64_t applied;    /* events applied */
        uint64_t duplicates; /* skipped: event_id applied before */
        uint64_t repeated;   /* hires of a person already in the lab */
        uint64_t late;       /* hires older than the person's move */
        uint64_t alerts;     /* alerts the step added to the stream */
} hw_batch_stats_t;

/* What the consumer keeps from batch to batch, shared by its batches:
 * the plan's maps. The persons a batch moves are read from the registry
 * by each part (no cache: measured, one kept from step to step took more
 * memory than the reads it saved cost; docs/scaling.md). */
typedef struct hw_batch_cache_s {
        hw_plan_t plan;        /* the deltas as the atomic step applies them */
        uint64_t person_reads; /* for the debug line */
} hw_batch_cache_t;

typedef struct hw_batch_s {
        hw_event_t *events; /* read and not processed yet */
        size_t n_events, cap_events;
        hw_batch_reject_t *rejects;
        size_t n_rejects, cap_rejects;
        hw_batch_part_t *parts;
        size_t n_parts, cap_parts;
        size_t last_part; /* hw_batch_track's last part */
        size_t n_messages;
        int64_t started_ms; /* monotonic ms of the first message */
        hw_arena_t arena;   /* event strings */
        hw_arena_t scratch; /* the persons read, for the batch's life */
        hw_arena_t part;    /* working memory of one hw_batch_process */
        hw_deltas_t deltas;
        hw_map_t known;   /* the persons the batch read */
        hw_map_t ids;     /* the batch's event ids: aux = the day an applied
                             one is remembered by, INT64_MIN if none */
        hw_map_t reading; /* the persons one hw_batch_process reads */
        char epoch[32];   /* of the store when the batch was first processed */
        int processed;    /* events were processed (epoch is set) */
        int epoch_moved;  /* the epoch changed since: the batch is void */
        int process_failed; /* Redis failed a part's reads: the rest of
                               the batch waits for its step */
        hw_batch_stats_t stats;
        hw_batch_cache_t *cache;
} hw_batch_t;

void hw_batch_cache_init(hw_batch_cache_t *c);
void hw_batch_cache_release(hw_batch_cache_t *c);

/* A batch using (not owning) cache. */
void hw_batch_init(hw_batch_t *b, hw_batch_cache_t *cache);
void hw_batch_release(hw_batch_t *b);

/* Forgets every message (destroying kept rejected messages). */
void hw_batch_clear(hw_batch_t *b);

/* Records that the message at offset of topic/partition is in the batch;
 * `stored` is the offset Redis holds for it now (-1 = none), used when the
 * partition first appears in this batch. */
hw_err_t hw_batch_track(hw_batch_t *b, const char *topic, int32_t partition,
                        int64_t offset, int64_t stored);

/* The place of the batch's next event (not yet counted), for decoding
 * into with its strings in b->arena (hw_codec_decode_in); NULL when out
 * of memory. hw_batch_keep_event counts it once it is valid. */
hw_event_t *hw_batch_next_event(hw_batch_t *b);
void hw_batch_keep_event(hw_batch_t *b);

/* Keeps a rejected message (ownership of msg moves to the batch). */
hw_err_t hw_batch_add_reject(hw_batch_t *b, rd_kafka_message_t *msg,
                             hw_err_t error, const char *reason);

/*
 * Runs the processors over the events read since the last call, reading
 * the applied ids and the persons they need from Redis, then forgets the
 * events: the batch holds their deltas. Returns HW_OK, or HW_ERR_SERVICE
 * when Redis failed (nothing changed: call it again), HW_ERR_NOMEM.
 * No step may be waiting for its reply (hw_batch_finish first).
 */
hw_err_t hw_batch_process(hw_batch_t *b, hw_store_t *store,
                          const hw_proc_conf_t *proc, char *errstr,
                          size_t errstr_size);

/*
 * Processes what is left of the batch (hw_batch_process) and applies the
 * atomic step. Returns HW_OK with *outcome APPLIED or FENCED, or
 * HW_ERR_SERVICE when Redis failed (the batch is intact: flush again).
 * FENCED too when the store's epoch changed while the batch was processed
 * (a replay swapped its keys in).
 * With defer, returns once the step is sent (*outcome HW_STORE_PENDING):
 * hw_batch_finish reads its outcome; until then the batch stays as it is
 * and nothing else goes to the store. The flush's figures are in
 * b->stats once applied.
 */
hw_err_t hw_batch_flush(hw_batch_t *b, hw_store_t *store,
                        const hw_proc_conf_t *proc, int defer,
                        hw_store_outcome_t *outcome, char *errstr,
                        size_t errstr_size);

/* Reads the outcome of a flush sent with defer, as hw_batch_flush. */
hw_err_t hw_batch_finish(hw_batch_t *b, hw_store_t *store,
                         hw_store_outcome_t *outcome, char *errstr,
                         size_t errstr_size);

#endif
