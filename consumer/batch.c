#include "batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_time.h"

void hw_batch_cache_init(hw_batch_cache_t *c) {
        memset(c, 0, sizeof(*c));
        hw_plan_init(&c->plan);
}

void hw_batch_cache_release(hw_batch_cache_t *c) {
        hw_plan_release(&c->plan);
}

void hw_batch_init(hw_batch_t *b, hw_batch_cache_t *cache) {
        memset(b, 0, sizeof(*b));
        hw_arena_init(&b->arena);
        hw_arena_init(&b->scratch);
        hw_arena_init(&b->part);
        hw_deltas_init(&b->deltas);
        hw_map_init(&b->known);
        hw_map_init(&b->ids);
        hw_map_init(&b->reading);
        b->cache = cache;
}

void hw_batch_clear(hw_batch_t *b) {
        for (size_t i = 0; i < b->n_rejects; i++) {
                rd_kafka_message_destroy(b->rejects[i].msg);
                free(b->rejects[i].reason);
        }
        for (size_t i = 0; i < b->n_parts; i++)
                free(b->parts[i].topic);
        b->n_events = b->n_rejects = b->n_parts = b->n_messages = 0;
        b->started_ms = 0;
        b->processed = b->epoch_moved = b->process_failed = 0;
        memset(&b->stats, 0, sizeof(b->stats));
        hw_arena_reset(&b->arena);
        hw_arena_reset(&b->scratch);
        hw_arena_reset(&b->part);
        hw_deltas_clear(&b->deltas);
        hw_map_clear(&b->known);
        hw_map_clear(&b->ids);
        hw_map_clear(&b->reading);
}

void hw_batch_release(hw_batch_t *b) {
        hw_batch_clear(b);
        free(b->events);
        free(b->rejects);
        free(b->parts);
        hw_arena_release(&b->arena);
        hw_arena_release(&b->scratch);
        hw_arena_release(&b->part);
        hw_deltas_release(&b->deltas);
        hw_map_release(&b->known);
        hw_map_release(&b->ids);
        hw_map_release(&b->reading);
}

hw_err_t hw_batch_track(hw_batch_t *b, const char *topic, int32_t partition,
                        int64_t offset, int64_t stored) {
        hw_batch_part_t *p = NULL;

        /* Messages come in runs from one partition: the last one first. */
        if (b->last_part < b->n_parts &&
            b->parts[b->last_part].partition == partition &&
            !strcmp(b->parts[b->last_part].topic, topic))
                p = &b->parts[b->last_part];
        for (size_t i = 0; !p && i < b->n_parts; i++)
                if (b->parts[i].partition == partition &&
                    !strcmp(b->parts[i].topic, topic)) {
                        p = &b->parts[i];
                        b->last_part = i;
                }
        if (!p) {
                if (hw_grow((void **)&b->parts, &b->cap_parts, b->n_parts + 1,
                            sizeof(*b->parts)))
                        return HW_ERR_NOMEM;
                p = &b->parts[b->n_parts];
                p->topic = strdup(topic);
                if (!p->topic)
                        return HW_ERR_NOMEM;
                p->partition = partition;
                p->expected = stored;
                b->last_part = b->n_parts++;
        }
        p->next = offset + 1;
        b->n_messages++;
        return HW_OK;
}

/* The events' array grows by this many past its first ones, not by
 * doubling: a full batch's is at most that much larger than it (doubling
 * left a 5,000-event batch room for 8,192 events). */
#define EVENTS_STEP 1024

hw_event_t *hw_batch_next_event(hw_batch_t *b) {
        if (b->n_events == b->cap_events) {
                size_t cap = b->cap_events + EVENTS_STEP;
                hw_event_t *grown;
                if (cap > SIZE_MAX / sizeof(*grown) ||
                    !(grown = realloc(b->events, cap * sizeof(*grown))))
                        return NULL;
                /* Each place is made an event once; decoding resets it.
                 * Its own arena stays empty: its strings are in b->arena. */
                for (size_t i = b->cap_events; i < cap; i++)
                        hw_event_init(&grown[i]);
                b->events = grown;
                b->cap_events = cap;
        }
        return &b->events[b->n_events];
}

void hw_batch_keep_event(hw_batch_t *b) {
        HW_ASSERT(b->n_events < b->cap_events);
        b->n_events++;
}

hw_err_t hw_batch_add_reject(hw_batch_t *b, rd_kafka_message_t *msg,
                             hw_err_t error, const char *reason) {
        hw_batch_reject_t *r;
        if (hw_grow((void **)&b->rejects, &b->cap_rejects, b->n_rejects + 1,
                    sizeof(*b->rejects)))
                return HW_ERR_NOMEM;
        r = &b->rejects[b->n_rejects];
        r->reason = strdup(reason);
        if (!r->reason)
                return HW_ERR_NOMEM;
        r->msg = msg;
        r->error = error;
        b->n_rejects++;
        return HW_OK;
}

/* Marks the events whose id Redis holds as applied: dup[i] = 1. */
static hw_err_t find_applied(hw_batch_t *b, hw_store_t *store,
                             unsigned char *dup, char *errstr, size_t size) {
        int64_t *days =
                hw_arena_alloc(&b->part, b->n_events * sizeof(*days) + 1);
        const char **ids =
                hw_arena_alloc(&b->part, b->n_events * sizeof(*ids) + 1);

        if (!days || !ids)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        for (size_t i = 0; i < b->n_events; i++) {
                days[i] = hw_time_day(b->events[i].occurred_at);
                ids[i] = b->events[i].event_id;
        }
        return hw_store_check_seen(store, days, ids, b->n_events, dup, errstr,
                                   size);
}

/* Reads the registry entries of the persons the part's hires move that
 * the batch does not know yet, in one read. Only once all are read are
 * they added to b->known (a failed read changes nothing). */
static hw_err_t read_persons(hw_batch_t *b, hw_store_t *store,
                             const unsigned char *dup, char *errstr,
                             size_t size) {
        const char **ids =
                hw_arena_alloc(&b->part, b->n_events * sizeof(*ids) + 1);
        hw_map_t *reading = &b->reading;
        hw_person_t *states;
        size_t n = 0;
        hw_err_t err;

        if (!ids)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        hw_map_clear(reading);
        for (size_t i = 0; i < b->n_events; i++) {
                const hw_event_t *ev = &b->events[i];
                size_t len;
                hw_map_entry_t *e;
                int created;
                if (dup[i] || ev->type != HW_EVENT_HIRE)
                        continue;
                len = strlen(ev->person_id);
                if (hw_map_find(&b->known, ev->person_id, len))
                        continue;
                e = hw_map_upsert(reading, ev->person_id, len, &created);
                if (!e)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
                if (created) {
                        e->aux = (int64_t)n;
                        ids[n++] = ev->person_id;
                }
        }
        b->cache->person_reads += n;
        states = hw_arena_alloc(&b->scratch, n * sizeof(*states) + 1);
        if (!states)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if ((err = hw_store_get_persons(store, ids, n, states, &b->scratch,
                                        errstr, size)))
                return err;
        for (size_t i = 0; i < reading->count; i++) {
                const hw_map_entry_t *r = &reading->entries[i];
                int created;
                hw_map_entry_t *k =
                        hw_map_upsert(&b->known, r->key, r->len, &created);
                if (!k)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
                k->v.p = &states[r->aux];
        }
        return HW_OK;
}

/* The store's epoch as the batch's first part found it; a later part
 * finding another voids the batch (a replay swapped its keys in: what
 * was read before is not what the step would apply to). */
static void note_epoch(hw_batch_t *b, hw_store_t *store) {
        const char *epoch = hw_store_epoch(store);

        if (!b->processed) {
                snprintf(b->epoch, sizeof(b->epoch), "%s", epoch);
                b->processed = 1;
        } else if (strcmp(b->epoch, epoch)) {
                b->epoch_moved = 1;
        }
}

/* Forgets the events processed (their strings included). */
static void drop_events(hw_batch_t *b) {
        b->n_events = 0;
        hw_arena_reset(&b->arena);
        hw_arena_reset(&b->part);
}

/* The last day whose applied ids are forgotten (dedup.days before the
 * watermark's day, as the batch has moved it so far); INT64_MIN with no
 * watermark. */
static int64_t forgotten_through(const hw_batch_t *b, const hw_store_t *store,
                                 const hw_plan_conf_t *conf) {
        int64_t w = hw_store_watermark(store);

        if (b->deltas.watermark > w)
                w = b->deltas.watermark;
        return w < 0 ? INT64_MIN : hw_time_day(w) - conf->seen_days;
}

hw_err_t hw_batch_process(hw_batch_t *b, hw_store_t *store,
                          const hw_proc_conf_t *proc, char *errstr,
                          size_t size) {
        hw_batch_stats_t *stats = &b->stats;
        hw_plan_conf_t conf;
        unsigned char *dup;
        hw_err_t err = HW_OK;

        if (!b->n_events)
                return HW_OK;
        hw_arena_reset(&b->part);
        if (!(dup = hw_arena_alloc(&b->part, b->n_events + 1)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if ((err = hw_store_begin(store, errstr, size)))
                return err;
        note_epoch(b, store);
        if (b->epoch_moved) { /* the step will say so */
                drop_events(b);
                return HW_OK;
        }
        /* Redis first, then the batch: until both reads are in, nothing
         * of the batch changes. */
        if ((err = find_applied(b, store, dup, errstr, size)) ||
            (err = read_persons(b, store, dup, errstr, size)))
                return err;

        hw_store_plan_conf(store, &conf);
        for (size_t i = 0; i < b->n_events; i++) {
                const hw_event_t *ev = &b->events[i];
                size_t id_len = strlen(ev->event_id);
                int64_t day = hw_time_day(ev->occurred_at);
                /* An id is remembered while its day is after the horizon
                 * of the watermark as the events before moved it. */
                int64_t horizon = forgotten_through(b, store, &conf);
                int created;
                hw_map_entry_t *id =
                        hw_map_upsert(&b->ids, ev->event_id, id_len, &created);
                if (!id) {
                        err = HW_ERR_NOMEM;
                        break;
                }
                if (created)
                        id->aux = INT64_MIN; /* not remembered (yet) */
                if ((dup[i] && day > horizon) || id->aux > horizon) {
                        stats->duplicates++;
                        continue;
                }
                if ((err = hw_deltas_seen(&b->deltas, ev->occurred_at,
                                          ev->event_id)))
                        break;
                if (day > forgotten_through(b, store, &conf))
                        id->aux = day;
                if (ev->type == HW_EVENT_HIRE) {
                        /* The person as the batch left them so far, else as
                         * Redis has them. */
                        hw_map_entry_t *e =
                                hw_map_find(&b->deltas.persons, ev->person_id,
                                            strlen(ev->person_id));
                        const hw_person_t *cur =
                                e ? e->v.p
                                  : hw_map_find(&b->known, ev->person_id,
                                                strlen(ev->person_id))
                                                ->v.p;
                        hw_person_t next;
                        hw_hire_outcome_t outcome_h;
                        err = hw_proc_hire(proc, ev, cur, &next, &outcome_h,
                                           &b->deltas);
                        stats->repeated += outcome_h == HW_HIRE_REPEATED;
                        stats->late += outcome_h == HW_HIRE_LATE;
                } else {
                        err = hw_proc_offer(proc, ev, &b->deltas);
                }
                if (err)
                        break;
                stats->applied++;
        }
        if (err)
                return hw_fail(err, errstr, size,
                               "out of memory processing batch");
        drop_events(b);
        return HW_OK;
}

/* After an applied step. */
static void take_applied(hw_batch_t *b, hw_store_t *store) {
        b->stats.alerts = hw_store_alerts_added(store);
}

hw_err_t hw_batch_flush(hw_batch_t *b, hw_store_t *store,
                        const hw_proc_conf_t *proc, int defer,
                        hw_store_outcome_t *outcome, char *errstr,
                        size_t size) {
        hw_store_offset_t *offsets;
        hw_err_t err;

        /* The epoch and the watermark as they are now: processing reads
         * them first. */
        if ((err = b->n_events ? hw_batch_process(b, store, proc, errstr, size)
                               : hw_store_begin(store, errstr, size)))
                return err;
        if (b->processed)
                note_epoch(b, store);
        if (b->epoch_moved) {
                *outcome = HW_STORE_FENCED;
                return hw_fail(HW_OK, errstr, size,
                               "the store's epoch changed while the batch "
                               "was read");
        }
        hw_arena_reset(&b->part);
        offsets = hw_arena_alloc(&b->part, b->n_parts * sizeof(*offsets) + 1);
        if (!offsets)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        for (size_t i = 0; i < b->n_parts; i++) {
                offsets[i].topic = b->parts[i].topic;
                offsets[i].partition = b->parts[i].partition;
                offsets[i].expected = b->parts[i].expected;
                offsets[i].next = b->parts[i].next;
        }
        /* The plan holds for the watermark's day before and after the step
         * and for the bucket logs it read; when another consumer changed
         * them meanwhile, the step says so and the plan is made again. */
        err = (defer ? hw_store_step_send
                     : hw_store_step)(store, offsets, b->n_parts, &b->deltas,
                                      &b->cache->plan, outcome, errstr, size);
        if (!err && *outcome == HW_STORE_APPLIED)
                take_applied(b, store);
        return err;
}

hw_err_t hw_batch_finish(hw_batch_t *b, hw_store_t *store,
                         hw_store_outcome_t *outcome, char *errstr,
                         size_t size) {
        hw_err_t err = hw_store_step_finish(store, outcome, errstr, size);
        if (!err && *outcome == HW_STORE_APPLIED)
                take_applied(b, store);
        return err;
}
