/*
 * What the two files of the plan share (processors/): hw_plan.c builds
 * the plan (keys, windows, evidence, the grouping of changes, days, ids,
 * raids and drains); hw_plan_logs.c reads, caches, slides and compacts the
 * bucket logs. Not for use outside them: hw_plan.h is the plan's
 * interface.
 */
#ifndef HW_PLAN_INT_H
#define HW_PLAN_INT_H

#include "hw_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_event.h"
#include "hw_keys.h"
#include "hw_time.h"

#define KEY_MAX 700
#define DRAIN_IDS_MAX 50

/* Working lists, reused: raw items before they are grouped. */
typedef struct item_s {
        uint32_t group; /* key, day, pair or country index */
        uint32_t wf;    /* a bucket record's (family, field) */
        const char *s;  /* org name or event_id */
        size_t len;
        int64_t v; /* delta or day */
} item_t;

typedef struct items_s {
        item_t *a;
        size_t n, cap;
} items_t;

/* A bucket log as the slides read it so far: the (family, field) of each
 * record parsed (its index in wf_map) and its delta. Summed by a
 * compaction, whose sums count the same. */
typedef struct cached_rec_s {
        uint32_t wf;
        int64_t delta;
} cached_rec_t;

typedef struct hw_plan_cached_s {
        int64_t day, gen;
        size_t len;     /* bytes of the log parsed */
        uint32_t build; /* the build that last brought it up to date */
        cached_rec_t *recs;
        size_t n, cap;
} cached_t;

/* Records the logs may hold in all before the cache is emptied. */
#define CACHED_RECS_MAX 1000000

/* What one build collects before grouping it. */
typedef struct work_s {
        items_t names, raid_evs, drain_evs, ids;
        items_t recs; /* bucket records: group = day, s = name */
        /* The day of the last record and its entry in day_map (a batch's
         * deltas come an event's at a time, mostly of one day). */
        int64_t rec_day;
        uint32_t rec_entry;
} work_t;

/* The room a record of a name of nlen bytes takes at most. */
#define RECORD_ROOM(nlen) ((nlen) + 48)

/* The family index of wf, and its field (length in *len). */
static inline uint32_t hw_plan_wf_fam(const hw_plan_t *p, uint32_t wf) {
        return (uint32_t)(p->wf_map.keys[wf].a >> 32);
}

static inline const char *hw_plan_wf_field(const hw_plan_t *p, uint32_t wf,
                                           size_t *len) {
        uint32_t pn = (uint32_t)p->wf_map.keys[wf].a;
        *len = p->pname_map.entries[pn].len;
        return p->pname_map.entries[pn].key;
}

/* The length of "<family> <field>" of wf. */
static inline size_t hw_plan_wf_name_len(const hw_plan_t *p, uint32_t wf) {
        size_t flen;
        hw_plan_wf_field(p, wf, &flen);
        return p->fam_map.entries[hw_plan_wf_fam(p, wf)].len + 1 + flen;
}

/* ---- The plan (hw_plan.c): keys, windows, evidence, grouping. ---- */

/* The index in wf_map of a (family, field), its sums created zeroed; -1
 * when out of memory or too long. */
int64_t hw_plan_wf_of(hw_plan_t *p, const hw_plan_conf_t *conf,
                      const char *family, size_t lf, const char *field,
                      size_t flen);

/* Lists (family, field) wf among those whose sums this build changes;
 * returns the offset of its sums, -1 when out of memory. */
int64_t hw_plan_touch(hw_plan_t *p, const hw_plan_conf_t *conf, uint32_t wf);

/* ---- The bucket logs: records, their cache, the slide and compaction (hw_plan_logs.c). ---- */

/* Forgets every log cached. */
void hw_plan_drop_cached(hw_plan_t *p);

/* Appends the record "<n>:<family> <field>=<delta>\n" of wf at out;
 * returns the end. */
char *hw_plan_put_record(const hw_plan_t *p, char *out, uint32_t wf,
                         int64_t delta);

cached_t **hw_plan_cached_slot(hw_plan_t *p, int64_t day);

/* Takes out of each window a leaving log's day leaves on the way from
 * `before` what it counts there; a day leaving the largest window takes
 * its hires' pairs out of the raid index too. */
int hw_plan_slide_log(hw_plan_t *p, const hw_plan_conf_t *conf,
                      const cached_t *c, int64_t before);

/* Replaces each log to compact by its sums, in the order names first
 * appear, when that makes it shorter by a quarter. */
int hw_plan_compact_logs(hw_plan_t *p, const hw_plan_conf_t *conf,
                         const hw_plan_slide_t *sl);

/* Brings the cache of every log the slide read up to date (the leaving
 * ones when the step slides); on a log not
 * in the format (or not following what the cache holds) *bad is it and
 * *why says which. */
int hw_plan_cache_logs(hw_plan_t *p, const hw_plan_conf_t *conf,
                       const hw_plan_slide_t *sl, int sliding,
                       const hw_plan_log_t **bad, int *why);

/* After a build: the logs of days that left every window are not read
 * again; over CACHED_RECS_MAX records, none is kept. */
void hw_plan_evict_cached(hw_plan_t *p, const hw_plan_conf_t *conf);

/* Whether the next build starts a new generation of slots (and forgets
 * every (family, field) and log it kept). */
int hw_plan_new_generation(const hw_plan_t *p);

#endif
