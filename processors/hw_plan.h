/*
 * The plan of an atomic step: a batch's deltas turned into the flat list of
 * changes Redis applies, with everything the events determine computed
 * here rather than in the step: the window fan-out (an event of day d
 * counts in window N when d > D - N, D the day the watermark will have
 * after the step), the daily buckets (one hash per day, b:<yyyymmdd>,
 * fields "<family> <field>"), per-key aggregation down to one
 * delta per (key, field), the raid pairs and the brain_drain evidence.
 * Pure: no Redis, no clock. The step only checks that D is still the day
 * it will reach (a fence) and applies the list.
 */
#ifndef HW_PLAN_H
#define HW_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hw_deltas.h"
#include "hw_err.h"

/* One field change of a key. */
typedef struct hw_plan_change_s {
        const char *field;
        size_t len;
        int64_t delta;
} hw_plan_change_t;

/* The changes of one key (without the prefix), in changes[first .. first+n). */
typedef struct hw_plan_key_s {
        const char *key;
        size_t len;
        int zset;               /* a sorted set (ZINCRBY-like), else a hash */
        size_t first, n;
} hw_plan_key_t;

/* A day with buckets written (then n = 0), or with applied event ids
 * (names[first .. first+n)). */
typedef struct hw_plan_day_s {
        const char *ymd;
        int64_t day;
        size_t first, n;        /* into names */
} hw_plan_day_t;

/* An event behind a raid pair (the raid index) or a country's losses. */
typedef struct hw_plan_ev_s {
        int64_t day;
        const char *event_id;
} hw_plan_ev_t;

/* A (lab, origin org) pair that got hires in the batch. */
typedef struct hw_plan_raid_s {
        const char *lab_slug, *org_slug;
        size_t first_name, n_names;     /* into names: org names with that slug, sorted */
        int64_t lo, hi;                 /* days of the batch's hires of the pair */
        size_t first_ev, n_ev;          /* into evs: hires within the largest window */
} hw_plan_raid_t;

/* A country with hires out of it in the batch within the brain_drain
 * window: the latest first, at most 50 (what its alert would name). */
typedef struct hw_plan_drain_s {
        const char *country;
        size_t first_ev, n_ev;          /* into evs */
} hw_plan_drain_t;

#define HW_PLAN_MAX_WINDOWS 16

typedef struct hw_plan_conf_s {
        const int *windows;     /* days, ascending, at most HW_PLAN_MAX_WINDOWS */
        size_t n_windows;
        int raid;               /* alerts.raid.enabled */
        int drain_days;         /* the brain_drain rule's window */
        int seen_days;          /* event ids are kept while their day is
                                   less than this behind D */
} hw_plan_conf_t;

typedef struct hw_plan_s {
        int64_t day;            /* D: the watermark's day after the step, -1 = none */
        hw_plan_key_t *keys;
        size_t n_keys;
        hw_plan_change_t *changes;
        size_t n_changes;
        hw_plan_day_t *days;    /* days whose bucket b:<yyyymmdd> is written */
        size_t n_days;
        hw_plan_day_t *seen;    /* applied event ids kept: names are ids */
        size_t n_seen;
        hw_plan_raid_t *raids;
        size_t n_raids;
        hw_plan_drain_t *drains;
        size_t n_drains;
        const char **names;     /* event ids, org names */
        hw_plan_ev_t *evs;
        /* Working state, kept from batch to batch. */
        char wnames[HW_PLAN_MAX_WINDOWS][16]; /* "7d", ... */
        hw_map_t key_map, field_map, day_map, raid_map, drain_map;
        hw_map_t fam_map;       /* windowed family -> index */
        hw_map_t wf_map;        /* family index + field -> offset in sums */
        int64_t *sums;          /* per (family, field): all, then each window */
        size_t sums_cap;
        int64_t *fam_keys;      /* per family: key index of all, each window */
        size_t fam_keys_cap;
        hw_arena_t arena;
} hw_plan_t;

/* Prepares an empty plan (caller storage); allocates nothing. */
void hw_plan_init(hw_plan_t *p);

/* Frees it; accepts a plan never built. */
void hw_plan_release(hw_plan_t *p);

/*
 * Builds the plan of d for a step after which the watermark's day is `day`
 * (-1: no watermark, so no day window holds anything). Changes that sum to
 * 0 are left out. The plan's strings point into d and into the plan: d
 * must outlive its use. Returns HW_OK or HW_ERR_NOMEM (the plan is then
 * incomplete: do not apply it).
 */
hw_err_t hw_plan_build(hw_plan_t *p, const hw_plan_conf_t *conf,
                       const hw_deltas_t *d, int64_t day);

/* The day after a step: the later of the stored watermark's and the
 * batch's (-1 for none). */
int64_t hw_plan_day_after(int64_t stored_watermark, int64_t batch_watermark);

#endif
