/*
 * The Redis store: reads the state a batch needs (stored offsets, persons,
 * seen event_ids) and applies a batch's deltas, the persons it moved, the
 * ids it applied and its next offsets in one atomic step: a round trip
 * that WATCHes and reads the fences (the epoch, the stored offsets the
 * batch started from, the watermark, <prefix>steps) and every key the step
 * writes, then one MULTI/EXEC of native commands ending with a short
 * script for the alerts (store/hw_store.lua, docs/redis-keys.md).
 *
 * A store holds one hiredis connection; it is not thread-safe. Every call
 * returns HW_ERR_SERVICE when Redis cannot be reached or the connection
 * broke (the connection is dropped and the next call reconnects), so the
 * caller can retry with backoff.
 */
#ifndef HW_STORE_H
#define HW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hw_alert.h"
#include "hw_config.h"
#include "hw_deltas.h"
#include "hw_keys.h"
#include "hw_plan.h"
#include "hw_err.h"

typedef struct hw_store_s hw_store_t;

/* The version of the layout of the internal keys (buckets, persons, ids)
 * this version writes, in <prefix>layout; every step writes it, and a
 * consumer refuses to start on counters in another. */
#define HW_STORE_LAYOUT "6"

/* One partition of a batch: the offset the batch expects stored (-1 =
 * none stored yet) and the offset it stores. */
typedef struct hw_store_offset_s {
        const char *topic;
        int32_t partition;
        int64_t expected;
        int64_t next;
} hw_store_offset_t;

typedef enum hw_store_outcome_e {
        HW_STORE_APPLIED = 0,
        HW_STORE_FENCED,  /* an offset moved: nothing was written */
        HW_STORE_STALE,   /* the watermark's day is not the plan's:
                                   nothing was written; begin and plan again */
        HW_STORE_PENDING, /* sent; hw_store_step_finish reads it */
} hw_store_outcome_t;

/* Creates a store for the config's Redis URL, prefix, windows and country
 * table (all copied or kept by pointer: conf must outlive the store). Does
 * not connect. NULL with errstr set on a bad URL or no memory. */
hw_store_t *hw_store_new(const hw_config_t *conf, const char *group,
                         char *errstr, size_t errstr_size);

/* Closes the connection and frees; accepts NULL. */
void hw_store_destroy(hw_store_t *s);

/* Connects (if not connected), authenticates, selects the db and loads the
 * script. */
hw_err_t hw_store_connect(hw_store_t *s, char *errstr, size_t errstr_size);

/* Whether the atomic step writes the alerts a batch raised (default 1; a
 * replay without --alerts drops them). */
void hw_store_set_raise_alerts(hw_store_t *s, int on);

/* Whether this consumer has read a partition to its end. */
typedef struct hw_store_end_s {
        const char *topic;
        int32_t partition;
        int at_end;
} hw_store_end_t;

/*
 * Where the next atomic steps leave this consumer, for brain_drain, the
 * rule on the whole flow index, which is judged only at the end of what is
 * read, never on the part of a backlog read so far (docs/redis-keys.md).
 * at_end: whether this consumer has read to the end of every partition it
 * reads (default 1). ends (n of them, kept by pointer until the step; none
 * by default): its partitions, which the step records in
 * <prefix>ends:<group>; then the step judges only if every partition
 * recorded there is at its end, so a member of the group that is behind
 * holds the judgment back.
 */
void hw_store_set_ends(hw_store_t *s, int at_end, const hw_store_end_t *ends,
                       size_t n);

/* Runs one command (connecting first) for the steps that are not the
 * atomic step (store/hw_rebuild.h). *reply is the reply, never an error
 * reply: errors come back as HW_ERR_SERVICE (retryable) or
 * HW_ERR_INTERNAL, naming `what`. The caller frees it (freeReplyObject). */
struct redisReply;
hw_err_t hw_store_argv(hw_store_t *s, int argc, const char **argv,
                       const size_t *argvlen, struct redisReply **reply,
                       const char *what, char *errstr, size_t errstr_size);

/* Starts a batch: reads <prefix>epoch, which a replay's swap increments,
 * and the watermark. The atomic step applies only if the epoch is still
 * the one read here, so a batch that read state before a swap is never
 * applied after it. */
hw_err_t hw_store_begin(hw_store_t *s, char *errstr, size_t errstr_size);

/* The epoch the last hw_store_begin read ("" for none). */
const char *hw_store_epoch(const hw_store_t *s);

/* The watermark (ms) the last hw_store_begin read, or a stale step found;
 * -1 for none. */
int64_t hw_store_watermark(const hw_store_t *s);

/* What a plan for this store's steps needs from its config. */
void hw_store_plan_conf(const hw_store_t *s, hw_plan_conf_t *out);

/* PING. */
hw_err_t hw_store_ping(hw_store_t *s, char *errstr, size_t errstr_size);

/* Reads the stored next offsets of n partitions of topic into out (-1 when
 * none is stored). */
hw_err_t hw_store_get_offsets(hw_store_t *s, const char *topic,
                              const int32_t *partitions, size_t n, int64_t *out,
                              char *errstr, size_t errstr_size);

/* Reads n persons from the registry. out[i].lab is NULL for a person not
 * known; strings are copied into arena. */
hw_err_t hw_store_get_persons(hw_store_t *s, const char *const *ids, size_t n,
                              hw_person_t *out, hw_arena_t *arena, char *errstr,
                              size_t errstr_size);

/* Checks which of n event ids (each with its event day, a day number)
 * were applied before: out[i] = 1 if so. */
hw_err_t hw_store_check_seen(hw_store_t *s, const int64_t *days,
                             const char *const *ids, size_t n,
                             unsigned char *out, char *errstr,
                             size_t errstr_size);

/*
 * Reads what the plan of a step to watermark day `day` needs besides the
 * batch (*out, valid until the next call): the watermark's day read by
 * hw_store_begin (or the last stale step), the bucket logs of the days
 * that leave a window on the way to `day`, and logs this consumer
 * appended much to, to compact. Of a log whose first bytes the plan
 * holds (hw_plan_log_known; plan may be NULL), only the bytes after them
 * are read.
 */
hw_err_t hw_store_read_slide(hw_store_t *s, int64_t day, const hw_plan_t *plan,
                             const hw_plan_slide_t **out, char *errstr,
                             size_t errstr_size);

/*
 * Plans and applies a batch's deltas: reads the slide, builds the plan
 * into *plan for the watermark's day after the step and applies it, again
 * while the step finds it stale (another consumer moved the watermark's
 * day or wrote to a log the slide read). *outcome as for hw_store_apply,
 * never HW_STORE_STALE.
 */
hw_err_t hw_store_step(hw_store_t *s, const hw_store_offset_t *offsets,
                       size_t n_offsets, const hw_deltas_t *d, hw_plan_t *plan,
                       hw_store_outcome_t *outcome, char *errstr,
                       size_t errstr_size);

/*
 * hw_store_step, but returns once the step's writes are sent: *outcome
 * HW_STORE_PENDING (or FENCED when its reads found an offset moved, or an
 * error, as hw_store_step). offsets, d and plan must stay as they are
 * until hw_store_step_finish; no other command goes to the store before
 * it (they fail with HW_ERR_INTERNAL). Meanwhile the caller can read and
 * decode the next batch while Redis applies this one.
 */
hw_err_t hw_store_step_send(hw_store_t *s, const hw_store_offset_t *offsets,
                            size_t n_offsets, const hw_deltas_t *d,
                            hw_plan_t *plan, hw_store_outcome_t *outcome,
                            char *errstr, size_t errstr_size);

/* Whether the last error was Redis refusing the credentials (NOAUTH,
 * WRONGPASS, NOPERM, or AUTH failing): retried like an outage, since a
 * rotated secret may reach Redis first, but a batch run gives up at once. */
int hw_store_refused_credentials(const hw_store_t *s);

/* Whether a step sent by hw_store_step_send waits for hw_store_step_finish. */
int hw_store_step_pending(const hw_store_t *s);

/* Whether the pending step's reply is in (or nothing is pending):
 * hw_store_step_finish will not wait for Redis. Reads what has arrived,
 * without waiting. */
int hw_store_step_ready(hw_store_t *s);

/* Reads the pending step's reply: *outcome as for hw_store_step (a step
 * found stale is planned and applied again, waiting for it). A broken
 * connection is HW_ERR_SERVICE: whether Redis applied the step is then
 * unknown, and sending it again is fenced if it was. */
hw_err_t hw_store_step_finish(hw_store_t *s, hw_store_outcome_t *outcome,
                              char *errstr, size_t errstr_size);

/*
 * The atomic step: d's persons, seen ids, values and alerts and plan's
 * counter changes (built from d for the watermark's day after the step,
 * with the slide hw_store_read_slide read last).
 * On HW_OK, *outcome says whether it was applied, fenced (errstr names the
 * offset key and what is stored there) or stale (another consumer moved
 * the watermark to another day, wrote to a bucket log the slide read, or
 * applied a step between this one's reads and its writes: read the slide,
 * plan and apply again). A step
 * Redis refuses writes nothing and returns HW_ERR_INTERNAL.
 */
hw_err_t hw_store_apply(hw_store_t *s, const hw_store_offset_t *offsets,
                        size_t n_offsets, const hw_deltas_t *d,
                        const hw_plan_t *plan, hw_store_outcome_t *outcome,
                        char *errstr, size_t errstr_size);

/* How many alerts the last applied step added to the stream. */
uint64_t hw_store_alerts_added(const hw_store_t *s);

/* An alert read back from the hw:alerts stream, with its stream id. */
typedef struct hw_store_alert_s {
        char id[48];      /* stream entry id */
        hw_alert_t alert; /* caller-initialised (hw_alert_init) */
} hw_store_alert_t;

/*
 * Reads up to max alerts of the stream written after stream id `after`
 * ("0-0" for the start) into out; *n is set to how many. Entries whose
 * fields do not parse are skipped with a warning (they cannot be
 * relayed): their alert_id is NULL. HW_ERR_NOMEM when memory runs short
 * reading one: none is skipped then, read them again.
 */
hw_err_t hw_store_read_alerts(hw_store_t *s, const char *after,
                              hw_store_alert_t *out, size_t max, size_t *n,
                              char *errstr, size_t errstr_size);

/* Gets / sets a reader's position in the alerts stream: the stream id up
 * to which it delivered the alerts ("0-0" when none), kept in the key
 * `reader` of the alerts prefix (HW_KEY_ALERTS_RELAYED for the Kafka
 * relay, HW_KEY_ALERTS_WEBHOOK for the webhook). */
hw_err_t hw_store_get_alert_position(hw_store_t *s, const char *reader,
                                     char *id, size_t id_size, char *errstr,
                                     size_t errstr_size);
hw_err_t hw_store_set_alert_position(hw_store_t *s, const char *reader,
                                     const char *id, char *errstr,
                                     size_t errstr_size);

/* The key holding a partition's next offset, into out; returns its
 * length, 0 (and out "") when it does not fit in out_size bytes. */
size_t hw_store_offset_key(const hw_store_t *s, const char *topic,
                           int32_t partition, char *out, size_t out_size);

#endif
