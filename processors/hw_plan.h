/*
 * The plan of an atomic step: a batch's deltas turned into the flat list of
 * changes Redis applies, with everything the events determine computed
 * here rather than in the step: the window fan-out (an event of day d
 * counts in window N when d > D - N, D the day the watermark will have
 * after the step), the daily buckets (a log per day, b:<yyyymmdd>, see
 * hw_plan_log_t), the slide (what the days that leave a window take out of
 * it, read from their logs), per-key aggregation down to one delta per
 * (key, field), the raid pairs and the brain_drain evidence.
 * Pure: no Redis, no clock. The step only checks that the watermark's day
 * before and after it and the logs the slide read are still those the plan
 * was made from (fences) and applies the list.
 */
#ifndef HW_PLAN_H
#define HW_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hw_deltas.h"
#include "hw_err.h"
#include "hw_idmap.h"

/* One field change of a key. */
typedef struct hw_plan_change_s {
        const char *field;
        size_t len;
        int64_t delta;
        size_t slot; /* the (key, field)'s number, the same in
                                   every plan of one generation */
} hw_plan_change_t;

/* The changes of one key (without the prefix), in changes[first .. first+n). */
typedef struct hw_plan_key_s {
        const char *key;
        size_t len;
        int zset; /* a sorted set (ZINCRBY-like), else a hash */
        size_t first, n;
} hw_plan_key_t;

/* A day with buckets written (text: the records appended to its log, the
 * same records as the plan's day_recs[rec_first .. rec_first+n_recs)), a
 * log compacted (text: what replaces it, was: the length it must still
 * have), or a day with applied event ids (names[first .. first+n)). */
typedef struct hw_plan_day_s {
        const char *ymd;
        int64_t day;
        size_t first, n; /* into names */
        const char *text;
        size_t len, was;
        int64_t gen;              /* the generation it must still have */
        size_t rec_first, n_recs; /* into day_recs */
} hw_plan_day_t;

/*
 * A day's buckets as Redis keeps them: b:<yyyymmdd>, a STRING to which
 * each step appends one record per (family, field) it counts on that day,
 * "<n>:<family> <field>=<delta>\n" (n: the byte length of
 * "<family> <field>", so any bytes may appear in a field). What the day
 * counts in X:<W>'s field is the sum of that name's deltas. Only
 * appended to, or replaced by its sums, which counts one more generation
 * of it (b:gen), so its length and generation tell whether a step wrote
 * to it.
 */
typedef struct hw_plan_log_s {
        char ymd[9];
        int64_t day;
        const char *text; /* bytes [from, len) of the log */
        size_t from;      /* 0: text is the whole log; else the
                                   plan's cache holds [0, from), as
                                   hw_plan_log_known said */
        size_t len;       /* the log's length */
        int64_t gen;      /* times it was compacted (b:gen) */
} hw_plan_log_t;

/* What a plan reads besides the batch: the watermark's day before the
 * step, the logs of the days that leave a window on the way to the plan's
 * day (every day with buckets in (before - largest, D - smallest]), and
 * logs to compact. */
typedef struct hw_plan_slide_s {
        int64_t day; /* -1: no watermark before the step */
        const hw_plan_log_t *leaving;
        size_t n_leaving;
        const hw_plan_log_t *compact;
        size_t n_compact;
        const char *epoch; /* of the keys the logs were read from
                                   (NULL: ""): what the plan's cache of
                                   the logs holds is kept for one epoch */
} hw_plan_slide_t;

/* An event behind a raid pair (the raid index) or a country's losses. */
typedef struct hw_plan_ev_s {
        int64_t day;
        const char *event_id;
} hw_plan_ev_t;

/* A (lab, origin org) pair that got hires in the batch. */
typedef struct hw_plan_raid_s {
        const char *lab_slug, *org_slug;
        size_t first_name,
                n_names; /* into names: org names with that slug, sorted */
        int64_t lo, hi;  /* days of the batch's hires of the pair */
        size_t first_ev, n_ev; /* into evs: hires within the largest window */
} hw_plan_raid_t;

/* A country with hires out of it in the batch within the brain_drain
 * window: the latest first, at most 50 (what its alert would name). */
typedef struct hw_plan_drain_s {
        const char *country;
        size_t first_ev, n_ev; /* into evs */
} hw_plan_drain_t;

#define HW_PLAN_MAX_WINDOWS 16
#define HW_PLAN_CACHED_DAYS 1024 /* logs cached, by day number modulo */

typedef struct hw_plan_conf_s {
        const int *windows; /* days, ascending, at most HW_PLAN_MAX_WINDOWS */
        size_t n_windows;
        int raid;       /* alerts.raid.enabled */
        int drain_days; /* the brain_drain rule's window */
        int seen_days;  /* event ids are kept while their day is
                                   less than this behind D */
} hw_plan_conf_t;

typedef struct hw_plan_s {
        int64_t day; /* D: the watermark's day after the step, -1 = none */
        hw_plan_key_t *keys;
        size_t n_keys;
        hw_plan_change_t *changes;
        size_t n_changes;
        hw_plan_day_t *days; /* days whose log b:<yyyymmdd> is appended to */
        size_t n_days;
        hw_plan_day_t *compacted; /* logs replaced by their sums */
        size_t n_compacted;
        hw_plan_day_t *seen; /* applied event ids kept: names are ids */
        size_t n_seen;
        hw_plan_raid_t *raids;
        size_t n_raids;
        hw_plan_drain_t *drains;
        size_t n_drains;
        const char **names; /* event ids, org names */
        hw_plan_ev_t *evs;
        /* Working state, kept from batch to batch. */
        char wnames[HW_PLAN_MAX_WINDOWS][16]; /* "7d", ... */
        hw_map_t key_map, day_map, raid_map, drain_map;
        hw_idmap_t field_map; /* (key index, field index) -> index
                                 into field_sums, field_keys */
        int64_t *field_sums;  /* this build's sum of each */
        uint32_t *field_keys; /* and its key index */
        size_t field_cap;
        hw_map_t fam_map;   /* windowed family -> index */
        hw_map_t pname_map; /* fields (and members) -> index */
        hw_idmap_t wf_map;  /* (family index, field index) -> wf: its
                                   sums at sums[wf * (windows + 1)] */
        /* Per build: the plan's index of each of the deltas' names as a
         * family, a field and a key (-1: not looked up yet). */
        int32_t *fam_of, *pname_of, *key_of;
        int64_t *sums; /* per (family, field): all, then each window */
        size_t sums_cap;
        int64_t *fam_keys; /* per family: key index of all, each window */
        size_t fam_keys_cap;
        int64_t *wf_fields; /* per (family, field): its index in
                                   field_map in all, each window (-1: none
                                   yet); indexed as sums */
        size_t wf_fields_cap;
        /* fam_map and wf_map are kept from plan to plan with key_map: the
         * (family, field) pairs a plan's sums hold are listed here. */
        uint32_t *touched, *stamps; /* wf indexes; the build that last
                                        touched each */
        size_t n_touched, touched_cap, stamps_cap;
        uint32_t build;
        size_t sum_slots; /* sums per (family, field): windows + 1 */
        /* What the bucket logs read by earlier slides count, by
         * (family, field), so a log is parsed once and then read from
         * where the last plan left it (hw_plan_log_known). */
        struct hw_plan_cached_s *cached[HW_PLAN_CACHED_DAYS];
        size_t cached_recs;
        struct cached_rec_s *day_recs; /* the records of days[], by day */
        char cached_epoch[32];
        uint32_t *cpos; /* compaction scratch, per wf index */
        size_t cpos_cap;
        struct work_s *work; /* the lists a build gathers in, kept (with
                                their room) for the next */
        hw_arena_t arena;
        /* The (key, field) pairs the plans built so far changed keep their
         * slot from plan to plan (a reader can keep what it knows of each
         * by slot) until there are HW_PLAN_SLOTS_MAX of them: then they are
         * numbered again and the generation changes. */
        size_t n_slots;
        uint64_t generation;
} hw_plan_t;

#define HW_PLAN_SLOTS_MAX 400000

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

/*
 * The same, for a step that moves the watermark's day from slide->day to
 * `day`: the window keys also lose what the leaving logs count on the
 * days that leave them (day d leaves window N when
 * slide->day - N < d <= day - N), and the logs to compact are summed
 * (records of one name made one, those summing to 0 left out).
 * slide NULL: no slide. Returns HW_ERR_ARG, naming the log in errstr,
 * when a log is not in the record format.
 */
hw_err_t hw_plan_build_slide(hw_plan_t *p, const hw_plan_conf_t *conf,
                             const hw_deltas_t *d, int64_t day,
                             const hw_plan_slide_t *slide, char *errstr,
                             size_t size);

/*
 * Whether the plan holds what the first *len bytes of day's bucket log
 * (generation *gen) count, from the slides of the plans built before under
 * epoch: then reading the log's bytes after *len is enough (a log is only
 * appended to until its generation changes). The caller checks the log
 * still has that generation and at least that length.
 */
int hw_plan_log_known(const hw_plan_t *p, const char *epoch, int64_t day,
                      int64_t *gen, size_t *len);

/* Tells the plan that a step applied its compaction c (the log is now
 * c->text, one generation on). */
void hw_plan_log_compacted(hw_plan_t *p, const hw_plan_day_t *c);

/* After an applied step appended dd's records to its day's log, which is
 * now log_len bytes long (APPEND's reply): when the cache holds the rest
 * of that log (its length is log_len less what the step appended), the
 * records join it, so the next slide neither reads nor parses them.
 * Otherwise the cache is left as it is: the next read of the log finds
 * it longer, or of another generation, and reads what it lacks. */
void hw_plan_log_appended(hw_plan_t *p, const hw_plan_day_t *dd,
                          size_t log_len);

/* Calls fn for each record of a log; returns -1 at the first record not
 * in the format (or when fn returns non-zero), else 0. */
int hw_plan_log_each(const char *text, size_t len,
                     int (*fn)(void *ctx, const char *name, size_t nlen,
                               int64_t delta),
                     void *ctx);

/* The day after a step: the later of the stored watermark's and the
 * batch's (-1 for none). */
int64_t hw_plan_day_after(int64_t stored_watermark, int64_t batch_watermark);

#endif
