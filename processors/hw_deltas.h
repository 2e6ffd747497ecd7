/*
 * What a batch of events changes, aggregated in memory: the processors
 * write here, and the Redis store turns it into one atomic step. Redis work
 * then grows with the number of distinct keys and fields a batch touches,
 * not with the number of events.
 *
 * Keys are written without the Redis prefix ("lab:<slug>:origin"). Windowed
 * counters are named by their family X ("lab:<slug>:hires", "flow:in") and
 * tagged with the event's day; the store applies them to the daily bucket
 * and to every window that holds that day.
 */
#ifndef HW_DELTAS_H
#define HW_DELTAS_H

#include <stddef.h>
#include <stdint.h>

#include "hw_alert.h"
#include "hw_err.h"
#include "hw_map.h"

typedef enum hw_delta_kind_e {
        HW_DELTA_WINDOW = 'W',   /* family, field, yyyymmdd; aux = day number */
        HW_DELTA_GAUGE = 'G',    /* hash key, field: HINCRBY */
        HW_DELTA_RANK = 'Z',     /* sorted set key, member: ZINCRBY */
        HW_DELTA_SET = 'S',      /* hash key, field := string value */
        HW_DELTA_EVIDENCE = 'V', /* family, field, event_id; aux = day number:
                                   an event behind a windowed count */
} hw_delta_kind_t;

/* Where a person is, as the registry records it. All strings NULL (and
 * lab NULL) for a person not known yet. */
typedef struct hw_person_s {
        const char *lab;         /* display name of the current lab */
        const char *origin;      /* from_org of the arrival */
        const char *nationality; /* code or "unknown" */
        const char *alma_mater;  /* or "unknown" */
        const char *tier;        /* S, A, B, UNRATED */
        int64_t at;              /* occurred_at of the move */
        const char *event_id;    /* of the move */
} hw_person_t;

typedef struct hw_deltas_s {
        hw_map_t counters; /* kind\0key\0field[\0yyyymmdd] -> delta */
        hw_map_t persons;  /* person_id -> hw_person_t * */
        hw_map_t seen;     /* yyyymmdd\0event_id (aux = day number) */
        hw_map_t alerts;   /* alert_id -> hw_alert_t * (raised by processors) */
        int64_t watermark; /* largest occurred_at, or -1 */
} hw_deltas_t;

/* Prepares an empty set of deltas (caller storage). */
void hw_deltas_init(hw_deltas_t *d);

/* Frees it. */
void hw_deltas_release(hw_deltas_t *d);

/* Empties it, keeping memory for the next batch. */
void hw_deltas_clear(hw_deltas_t *d);

/* Each adder returns HW_OK, HW_ERR_NOMEM, or HW_ERR_ARG for names too
 * long for a key (nothing usable is added then: drop the batch). A delta
 * of 0 is ignored; deltas that sum to 0 stay as entries of value 0, which
 * the store skips. */
hw_err_t hw_deltas_window(hw_deltas_t *d, const char *family, const char *field,
                          int64_t day, int64_t delta);
hw_err_t hw_deltas_gauge(hw_deltas_t *d, const char *key, const char *field,
                         int64_t delta);
hw_err_t hw_deltas_rank(hw_deltas_t *d, const char *key, const char *member,
                        int64_t delta);
hw_err_t hw_deltas_set(hw_deltas_t *d, const char *key, const char *field,
                       const char *value);

/* Records that event_id (of day) counted in the windowed family's field,
 * so an alert raised from that count can name the events behind it. */
hw_err_t hw_deltas_evidence(hw_deltas_t *d, const char *family,
                            const char *field, int64_t day,
                            const char *event_id);

/* Records a person's new place (strings copied). */
hw_err_t hw_deltas_person(hw_deltas_t *d, const char *person_id,
                          const hw_person_t *p);

/* Records an applied event_id under its event day, and the watermark. */
hw_err_t hw_deltas_seen(hw_deltas_t *d, int64_t occurred_at,
                        const char *event_id);

/* Records an alert (deep copy). A second alert with the same alert_id in
 * the batch is ignored: ids are deterministic. */
hw_err_t hw_deltas_alert(hw_deltas_t *d, const hw_alert_t *a);

/* Splits a counters entry into its parts: kind, key, field and, for
 * windows, yyyymmdd (for evidence, the event_id). Returns the number of
 * parts. */
int hw_deltas_parts(const hw_map_entry_t *e, const char *parts[4]);

#endif
