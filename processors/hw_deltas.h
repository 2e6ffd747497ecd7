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
#include "hw_idmap.h"
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

/* The batch's names (keys, families, fields, event ids of evidence) are
 * interned: each distinct string is stored once and named by its index,
 * so an entry is a few integers and the processors can name a key they
 * derive from a lab once per batch (hw_deltas_memo). */
typedef uint32_t hw_name_t;

/* A counters entry's value. */
typedef struct hw_deltas_entry_s {
        union {
                int64_t i;     /* the delta (V: 1) */
                const void *p; /* a SET's value */
        } v;
        int64_t aux; /* the day number of W and V entries */
} hw_deltas_entry_t;

/* The counters: (kind, key, field, day or event id) -> entry, by index
 * in the order first added. */
typedef struct hw_deltas_counters_s {
        hw_idmap_t ids;
        hw_deltas_entry_t *entries;
        size_t count, cap;
        hw_arena_t arena; /* the SET values */
} hw_deltas_counters_t;

/* Names of one or two capital letters (country codes, tiers) have a slot
 * each beside the map: 26 of one letter, then 26 * 26 of two. */
#define HW_DELTAS_SHORT_NAMES (26 + 26 * 26)

typedef struct hw_deltas_s {
        hw_map_t names; /* string -> entry index = its hw_name_t */
        /* The name + 1 of each short name interned in the batch, 0 for
         * one not yet: most of what a hire interns is a country code. */
        hw_name_t short_names[HW_DELTAS_SHORT_NAMES];
        hw_deltas_counters_t counters;
        hw_map_t memo;     /* what processors derive once per batch */
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

/* The name of s (len bytes), interned; -1 when out of memory, longer
 * than HW_DELTAS_NAME_MAX or past HW_DELTAS_NAMES_MAX names. */
#define HW_DELTAS_NAMES_MAX (UINT32_C(1) << 28)
#define HW_DELTAS_NAME_MAX 640
int64_t hw_deltas_intern(hw_deltas_t *d, const char *s, size_t len);

/* The string of a name and its length. */
static inline const char *hw_deltas_str(const hw_deltas_t *d, hw_name_t n,
                                        size_t *len) {
        if (len)
                *len = d->names.entries[n].len;
        return d->names.entries[n].key;
}

/* A slot for what a caller derives from key (len bytes) once per batch:
 * *created = 1 the first time in the batch (the slot is then NULL).
 * NULL when out of memory. Memory for it: hw_deltas_memo_alloc. */
const void **hw_deltas_memo(hw_deltas_t *d, const char *key, size_t len,
                            int *created);
void *hw_deltas_memo_alloc(hw_deltas_t *d, size_t size);

/* Each adder returns HW_OK, HW_ERR_NOMEM, or HW_ERR_ARG for names too
 * long for a key (nothing usable is added then: drop the batch). A delta
 * of 0 is ignored; deltas that sum to 0 stay as entries of value 0, which
 * the store skips. The _n forms take interned names. */
hw_err_t hw_deltas_window(hw_deltas_t *d, const char *family, const char *field,
                          int64_t day, int64_t delta);
hw_err_t hw_deltas_gauge(hw_deltas_t *d, const char *key, const char *field,
                         int64_t delta);
hw_err_t hw_deltas_rank(hw_deltas_t *d, const char *key, const char *member,
                        int64_t delta);
hw_err_t hw_deltas_set(hw_deltas_t *d, const char *key, const char *field,
                       const char *value);
hw_err_t hw_deltas_add_n(hw_deltas_t *d, hw_delta_kind_t kind, hw_name_t key,
                         hw_name_t field, int64_t day, int64_t delta);
hw_err_t hw_deltas_set_n(hw_deltas_t *d, hw_name_t key, hw_name_t field,
                         const char *value);

/* Records that event_id (of day) counted in the windowed family's field,
 * so an alert raised from that count can name the events behind it. */
hw_err_t hw_deltas_evidence(hw_deltas_t *d, const char *family,
                            const char *field, int64_t day,
                            const char *event_id);
hw_err_t hw_deltas_evidence_n(hw_deltas_t *d, hw_name_t family, hw_name_t field,
                              int64_t day, const char *event_id);

/* Points p's strings (lab, origin, nationality, alma_mater, tier,
 * event_id: strs[i], lens[i] bytes each) at NUL-terminated copies made in
 * one allocation of a, after `room` bytes left for the caller at its
 * start. Returns the allocation, NULL when out of memory. */
char *hw_person_copy_strings(hw_arena_t *a, size_t room, hw_person_t *p,
                             const char *const strs[6], const size_t lens[6]);

/* Records a person's new place (strings copied). */
hw_err_t hw_deltas_person(hw_deltas_t *d, const char *person_id,
                          const hw_person_t *p);

/* Records an applied event_id under its event day, and the watermark. */
hw_err_t hw_deltas_seen(hw_deltas_t *d, int64_t occurred_at,
                        const char *event_id);

/* Records an alert (deep copy). A second alert with the same alert_id in
 * the batch is ignored: ids are deterministic. */
hw_err_t hw_deltas_alert(hw_deltas_t *d, const hw_alert_t *a);

/* A counters entry, read back. */
typedef struct hw_delta_s {
        hw_delta_kind_t kind;
        hw_name_t key_n, field_n;
        const char *key, *field;
        size_t key_len, field_len;
        int64_t day;          /* W and V: the day number; else 0 */
        const char *event_id; /* V: the event behind the count */
        int64_t delta;        /* W, G, Z: the sum; V: 1 */
        const char *value;    /* S: the value set */
} hw_delta_t;

/* Entry i of d->counters (i < d->counters.count). */
void hw_deltas_get(const hw_deltas_t *d, size_t i, hw_delta_t *out);

/* The SET entries in turn: from *i = 0, each call reads the next one
 * into *out and returns 1, then 0 when there are no more. */
int hw_deltas_next_set(const hw_deltas_t *d, size_t *i, hw_delta_t *out);

/* The entry of (kind, key, field[, day for W, event_id for V]), or NULL:
 * its value is v.i (v.p for S), its day aux. */
const hw_deltas_entry_t *hw_deltas_find(const hw_deltas_t *d,
                                        hw_delta_kind_t kind, const char *key,
                                        const char *field, int64_t day,
                                        const char *event_id);

#endif
