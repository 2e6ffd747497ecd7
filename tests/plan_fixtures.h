/*
 * What the plan's tests share (test_plan.c, test_plan_lists.c,
 * test_plan_logs.c, test_plan_slide.c, test_plan_compact.c): the windows
 * and conf they build with, the plan as they read it (each day's bucket
 * log turned back into changes), building, looking changes, days, raid
 * pairs and drains up, and writing bucket logs.
 */
#ifndef HW_PLAN_FIXTURES_H
#define HW_PLAN_FIXTURES_H

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_deltas.h"
#include "hw_err.h"
#include "hw_plan.h"
#include "hw_test.h"
#include "hw_time.h"

/* The windows of every test (days, ascending); the largest is 365. */
#define N_WINDOWS 4
extern const int g_windows[N_WINDOWS];

#define LARGEST 365

#define SEEN_DAYS 10

#define CHECK_CHANGE(p, key, field, want)                                      \
        check_change((p), (key), (field), (want), __FILE__, __LINE__)

#define CHECK_ABSENT(p, key, field)                                            \
        check_absent((p), (key), (field), __FILE__, __LINE__)

/* Checks that the plan has no key named key at all. */
#define CHECK_NO_KEY(p, key)                                                   \
        HW_CHECK_MSG(plan_key((p), (key)) == NULL,                             \
                     "key \"%s\" should not be in the plan", (key))

/* Checks that the hash of key has exactly n fields. */
#define CHECK_KEY_N(p, key, want)                                              \
        do {                                                                   \
                const char *key_ = (key);                                      \
                const hw_plan_key_t *k_ = plan_key((p), key_);                 \
                if (HW_CHECK_MSG(k_ != NULL, "key \"%s\" missing", key_))      \
                        HW_CHECK_MSG(k_->n == (size_t)(want),                  \
                                     "key \"%s\": %zu fields, expected %zu",   \
                                     key_, k_->n, (size_t)(want));             \
        } while (0)

#define OK(call) HW_CHECK_EQ_INT((call), HW_OK)

#define FAM "lab:openai:hires"

/* Checks that (key, field) is in the plan with delta want; that the plan
 * does not change it (CHECK_CHANGE, CHECK_ABSENT). */
int check_change(const hw_plan_t *p, const char *key, const char *field,
                 int64_t want, const char *file, int line);
int check_absent(const hw_plan_t *p, const char *key, const char *field,
                 const char *file, int line);

/* The days behind D of the fan-out's events (test 1), one field each. */
#define N_OFFSETS 8
extern const int g_offsets[N_OFFSETS];
void add_fanout(hw_deltas_t *d, int64_t D);

/* Raid evidence of several pairs (test 7). */
void add_raid_evidence(hw_deltas_t *d, int64_t D);

/* Formats into a rotating set of static buffers. */
const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

hw_err_t build(hw_plan_t *p, const hw_plan_conf_t *conf, const hw_deltas_t *d,
               int64_t D);

/* The same through hw_plan_build_slide (errstr gets its message). */
hw_err_t build_slide(hw_plan_t *p, const hw_plan_conf_t *conf,
                     const hw_deltas_t *d, int64_t D,
                     const hw_plan_slide_t *slide, char *errstr, size_t size);

void release(hw_plan_t *p);

hw_plan_conf_t conf_std(void);

/* D of most tests: 2025-06-30. */
int64_t dday(void);

/* "yyyymmdd" of a day, in a rotating set of static buffers (so a few can
 * be used in one expression). */
const char *ymd(int64_t day);

/* The bucket key of a day, "b:<yyyymmdd>" (in a fmt buffer). */
const char *bkey(int64_t day);

/* The field of (family, field) in a day's bucket, "<family> <field>" (in a
 * fmt buffer). */
const char *bfield(const char *family, const char *field);

/* The plan's key named key, or NULL. */
const hw_plan_key_t *plan_key(const hw_plan_t *p, const char *key);

/* What holds for any plan: each key once, with at least one change, its
 * changes in range and not shared with another key, all of them counted,
 * no field twice in a key, no change of 0; names and events in range.
 * And the buckets: the days listed ascending, each once, with n = 0, its
 * yyyymmdd, within the largest window of D, and its hash b:<yyyymmdd> in
 * the plan; every b: key is b:<yyyymmdd> of a listed day, a hash, with
 * fields "<family> <field>". */
void check_shape(const hw_plan_t *p);

/* Checks that the bucket days are exactly want[0 .. n), in that order
 * (ascending), each with n = 0 (check_shape checks the rest). */
void check_days(const hw_plan_t *p, const int64_t *want, size_t n);

/* The bucket day entry of day, or NULL; checks it is there at most once. */
const hw_plan_day_t *find_day(const hw_plan_day_t *days, size_t n, int64_t day);

/* Checks that entry dd (of day) lists exactly the names want[0 .. n), in
 * any order, each once, and carries day's yyyymmdd. */
void check_day_names(const hw_plan_t *p, const hw_plan_day_t *dd, int64_t day,
                     const char *const *want, size_t n);

/* The raid pair (lab slug, org slug), or NULL. */
const hw_plan_raid_t *find_raid(const hw_plan_t *p, const char *lab,
                                const char *org);

/* The drain of country, or NULL. */
const hw_plan_drain_t *find_drain(const hw_plan_t *p, const char *country);

/* Everything a plan says, as text: keys and changes in plan order, days,
 * seen ids, raids and drains. Caller frees. */
char *dump(const hw_plan_t *p);

/* A batch with some of everything. */
void add_everything(hw_deltas_t *d, int64_t D);

/* A log of day whose text (kept by pointer) is text. */
hw_plan_log_t log_of(int64_t day, const char *text);

/* Appends the record of (family, field, delta) to the log text in buf. */
void put_rec(char *buf, size_t size, const char *family, const char *field,
             int64_t delta);

#endif
