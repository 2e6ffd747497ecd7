/*
 * Unit tests for the plan of an atomic step (processors/hw_plan.c): deltas
 * built by hand with the hw_deltas_* adders, turned into the flat list of
 * Redis changes for a fixed watermark day D, and every change looked up by
 * (key, field). Covers the window fan-out and its boundaries, the daily
 * buckets (one hash per day, b:<yyyymmdd>, fields "<family> <field>"), no
 * watermark (D = -1), per-(key, field) sums and the changes that cancel
 * out, flow key names, sorted sets, the bucket days, raid
 * pairs, brain_drain evidence, the seen ids, hw_plan_day_after, and reusing
 * one plan for several builds. Then the bucket logs' record format
 * (hw_plan_log_each) and hw_plan_build_slide: what the days that leave a
 * window take out of it as the watermark's day moves one day or several,
 * merged with the batch's own changes, the raid keys pruned, the logs
 * compacted, a log not in the format refused, and no slide without a day
 * before the step.
 */
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
static const int g_windows[] = {7, 30, 90, 365};
#define N_WINDOWS (sizeof(g_windows) / sizeof(g_windows[0]))
#define LARGEST 365
#define DRAIN_DAYS 30
#define SEEN_DAYS 10

/*
 * The plan as the tests read it: each day's bucket log turned back into a
 * key b:<yyyymmdd> of the plan with one change per record (field
 * "<family> <field>"), so the checks of keys and changes cover the
 * buckets too. build(), build_slide() and release() wrap the library's
 * calls.
 */
typedef struct view_s {
        const hw_plan_t *p;
        hw_plan_key_t *keys;
        hw_plan_change_t *changes;
        char *names;
} view_t;

static view_t g_views[4];

static void view_drop(const hw_plan_t *p) {
        for (size_t i = 0; i < sizeof(g_views) / sizeof(*g_views); i++)
                if (g_views[i].p == p) {
                        free(g_views[i].keys);
                        free(g_views[i].changes);
                        free(g_views[i].names);
                        memset(&g_views[i], 0, sizeof(g_views[i]));
                }
}

static int view_count(void *ctx, const char *name, size_t nlen, int64_t delta) {
        (void)name;
        (void)nlen;
        (void)delta;
        (*(size_t *)ctx)++;
        return 0;
}

static int view_record(void *ctx, const char *name, size_t nlen,
                       int64_t delta) {
        hw_plan_t *p = ctx;
        p->changes[p->n_changes++] = (hw_plan_change_t){name, nlen, delta, 0};
        return 0;
}

/* Gives the plan p just built (err: what the build returned) its view. */
static hw_err_t view_of(hw_plan_t *p, hw_err_t err) {
        size_t total = p->n_changes;
        view_t *v = NULL;

        view_drop(p);
        if (err)
                return err;
        for (size_t i = 0; i < sizeof(g_views) / sizeof(*g_views) && !v; i++)
                if (!g_views[i].p)
                        v = &g_views[i];
        if (!HW_CHECK(v != NULL))
                return HW_ERR_NOMEM;
        for (size_t i = 0; i < p->n_days; i++)
                HW_CHECK_MSG(!hw_plan_log_each(p->days[i].text, p->days[i].len,
                                               view_count, &total),
                             "bucket log of %.8s is not in the record format",
                             p->days[i].ymd);
        v->p = p;
        v->keys = calloc(p->n_keys + p->n_days + 1, sizeof(*v->keys));
        v->changes = calloc(total + 1, sizeof(*v->changes));
        v->names = calloc(p->n_days + 1, 11);
        if (!HW_CHECK(v->keys && v->changes && v->names)) {
                view_drop(p);
                return HW_ERR_NOMEM;
        }
        memcpy(v->keys, p->keys, p->n_keys * sizeof(*v->keys));
        memcpy(v->changes, p->changes, p->n_changes * sizeof(*v->changes));
        p->keys = v->keys;
        p->changes = v->changes;
        for (size_t i = 0; i < p->n_days; i++) {
                char *key = v->names + 11 * i;
                size_t first = p->n_changes;
                memcpy(key, "b:", 2);
                memcpy(key + 2, p->days[i].ymd, 8);
                key[10] = '\0';
                hw_plan_log_each(p->days[i].text, p->days[i].len, view_record,
                                 p);
                p->keys[p->n_keys++] = (hw_plan_key_t){key, 10, 0, first,
                                                       p->n_changes - first};
        }
        return HW_OK;
}

static hw_err_t build(hw_plan_t *p, const hw_plan_conf_t *conf,
                      const hw_deltas_t *d, int64_t D) {
        return view_of(p, hw_plan_build(p, conf, d, D));
}

/* The same through hw_plan_build_slide (errstr gets its message). */
static hw_err_t build_slide(hw_plan_t *p, const hw_plan_conf_t *conf,
                            const hw_deltas_t *d, int64_t D,
                            const hw_plan_slide_t *slide, char *errstr,
                            size_t size) {
        errstr[0] = '\0';
        return view_of(p,
                       hw_plan_build_slide(p, conf, d, D, slide, errstr, size));
}

static void release(hw_plan_t *p) {
        view_drop(p);
        hw_plan_release(p);
}

static hw_plan_conf_t conf_std(void) {
        hw_plan_conf_t c = {g_windows, N_WINDOWS, 1, DRAIN_DAYS, SEEN_DAYS};
        return c;
}

/* The day number of an ISO date ("2025-06-30"), -1 (and a failed check)
 * when it does not parse. */
static int64_t day_of(const char *iso) {
        int64_t ms = 0;
        if (!HW_CHECK_EQ_INT(hw_time_parse_iso(iso, &ms), 0))
                return -1;
        return hw_time_day(ms);
}

/* D of most tests: 2025-06-30. */
static int64_t dday(void) {
        return day_of("2025-06-30");
}

/* "yyyymmdd" of a day, in a rotating set of static buffers (so a few can
 * be used in one expression). */
static const char *ymd(int64_t day) {
        static char bufs[8][9];
        static unsigned next;
        char *b = bufs[next++ % 8];
        hw_time_ymd(day, b);
        return b;
}

/* Formats into a rotating set of static buffers. */
__attribute__((format(printf, 1, 2))) static const char *fmt(const char *f,
                                                             ...) {
        static char bufs[8][256];
        static unsigned next;
        char *b = bufs[next++ % 8];
        va_list ap;
        va_start(ap, f);
        vsnprintf(b, sizeof(bufs[0]), f, ap);
        va_end(ap);
        return b;
}

/* The bucket key of a day, "b:<yyyymmdd>" (in a fmt buffer). */
static const char *bkey(int64_t day) {
        return fmt("b:%s", ymd(day));
}

/* The field of (family, field) in a day's bucket, "<family> <field>" (in a
 * fmt buffer). */
static const char *bfield(const char *family, const char *field) {
        return fmt("%s %s", family, field);
}

/* ------------------------------------------------------------------ */
/* Looking the plan up. */

static int same(const char *s, size_t len, const char *want) {
        return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* The plan's key named key, or NULL. */
static const hw_plan_key_t *plan_key(const hw_plan_t *p, const char *key) {
        for (size_t i = 0; i < p->n_keys; i++)
                if (same(p->keys[i].key, p->keys[i].len, key))
                        return &p->keys[i];
        return NULL;
}

/* Finds (key, field) in the plan: 1 with its delta in *delta when the
 * plan changes it, 0 when it does not (no such key, or the key without
 * that field). */
static int plan_get(const hw_plan_t *p, const char *key, const char *field,
                    int64_t *delta) {
        const hw_plan_key_t *k = plan_key(p, key);
        if (!k)
                return 0;
        for (size_t j = 0; j < k->n; j++) {
                const hw_plan_change_t *c = &p->changes[k->first + j];
                if (same(c->field, c->len, field)) {
                        *delta = c->delta;
                        return 1;
                }
        }
        return 0;
}

/* Checks that (key, field) is in the plan with delta want. */
static int check_change(const hw_plan_t *p, const char *key, const char *field,
                        int64_t want, const char *file, int line) {
        int64_t got = 0;
        int found = plan_get(p, key, field, &got);
        return hw_test_report(
                found && got == want, file, line,
                "change (\"%s\", \"%s\"): %s %" PRId64 ", expected %" PRId64,
                key, field, found ? "delta" : "absent, not", got, want);
}
#define CHECK_CHANGE(p, key, field, want)                                      \
        check_change((p), (key), (field), (want), __FILE__, __LINE__)

/* Checks that the plan does not change (key, field). */
static int check_absent(const hw_plan_t *p, const char *key, const char *field,
                        const char *file, int line) {
        int64_t got = 0;
        int found = plan_get(p, key, field, &got);
        return hw_test_report(!found, file, line,
                              "change (\"%s\", \"%s\") should be absent, "
                              "has delta %" PRId64,
                              key, field, got);
}
#define CHECK_ABSENT(p, key, field)                                            \
        check_absent((p), (key), (field), __FILE__, __LINE__)

/* Checks that the plan has no key named key at all. */
#define CHECK_NO_KEY(p, key)                                                   \
        HW_CHECK_MSG(plan_key((p), (key)) == NULL,                             \
                     "key \"%s\" should not be in the plan", (key))

/* What holds for any plan: each key once, with at least one change, its
 * changes in range and not shared with another key, all of them counted,
 * no field twice in a key, no change of 0; names and events in range.
 * And the buckets: the days listed ascending, each once, with n = 0, its
 * yyyymmdd, within the largest window of D, and its hash b:<yyyymmdd> in
 * the plan; every b: key is b:<yyyymmdd> of a listed day, a hash, with
 * fields "<family> <field>". */
static void check_shape(const hw_plan_t *p) {
        unsigned char *used = calloc(p->n_changes + 1, 1);
        size_t total = 0;

        if (!HW_CHECK(used != NULL))
                return;
        for (size_t i = 0; i < p->n_keys; i++) {
                const hw_plan_key_t *k = &p->keys[i];
                HW_CHECK_MSG(k->n > 0, "key \"%.*s\" has no change",
                             (int)k->len, k->key);
                if (!HW_CHECK_MSG(k->first + k->n <= p->n_changes,
                                  "key \"%.*s\": changes [%zu, %zu) out of "
                                  "%zu",
                                  (int)k->len, k->key, k->first,
                                  k->first + k->n, p->n_changes))
                        continue;
                total += k->n;
                for (size_t j = i + 1; j < p->n_keys; j++)
                        HW_CHECK_MSG(!(k->len == p->keys[j].len &&
                                       !memcmp(k->key, p->keys[j].key, k->len)),
                                     "key \"%.*s\" twice", (int)k->len, k->key);
                for (size_t a = k->first; a < k->first + k->n; a++) {
                        const hw_plan_change_t *c = &p->changes[a];
                        HW_CHECK_MSG(!used[a], "change %zu in two keys", a);
                        used[a] = 1;
                        HW_CHECK_MSG(c->delta != 0,
                                     "key \"%.*s\" field \"%.*s\": delta 0",
                                     (int)k->len, k->key, (int)c->len,
                                     c->field);
                        for (size_t b = a + 1; b < k->first + k->n; b++)
                                HW_CHECK_MSG(
                                        !(c->len == p->changes[b].len &&
                                          !memcmp(c->field, p->changes[b].field,
                                                  c->len)),
                                        "key \"%.*s\": field \"%.*s\" twice",
                                        (int)k->len, k->key, (int)c->len,
                                        c->field);
                }
        }
        HW_CHECK_EQ_INT(total, p->n_changes);
        free(used);

        for (size_t i = 0; i < p->n_days; i++) {
                const hw_plan_day_t *dd = &p->days[i];
                const hw_plan_key_t *k;
                const char *key = bkey(dd->day);
                HW_CHECK_MSG(dd->n == 0, "bucket day %s lists %zu names",
                             ymd(dd->day), dd->n);
                HW_CHECK_MSG(
                        dd->ymd != NULL && !memcmp(dd->ymd, ymd(dd->day), 8),
                        "bucket day %" PRId64 ": ymd %.8s, expected %s",
                        dd->day, dd->ymd ? dd->ymd : "(null)", ymd(dd->day));
                if (i)
                        HW_CHECK_MSG(p->days[i - 1].day < dd->day,
                                     "bucket days not ascending and unique: "
                                     "%s then %s",
                                     ymd(p->days[i - 1].day), ymd(dd->day));
                HW_CHECK_MSG(p->day >= 0 && dd->day > p->day - LARGEST,
                             "bucket day %s outside the largest window of "
                             "D %" PRId64,
                             ymd(dd->day), p->day);
                k = plan_key(p, key);
                if (HW_CHECK_MSG(k != NULL, "bucket day %s has no key %s",
                                 ymd(dd->day), key))
                        HW_CHECK_MSG(!k->zset, "bucket %s is a zset", key);
        }
        for (size_t i = 0; i < p->n_keys; i++) {
                const hw_plan_key_t *k = &p->keys[i];
                size_t listed = 0;
                if (k->len < 2 || memcmp(k->key, "b:", 2))
                        continue;
                HW_CHECK_MSG(k->len == 10,
                             "bucket key \"%.*s\" is not b:<yyyymmdd>",
                             (int)k->len, k->key);
                for (size_t j = 0; j < p->n_days; j++)
                        listed += k->len == 10 &&
                                  !memcmp(k->key + 2, ymd(p->days[j].day), 8);
                HW_CHECK_MSG(listed == 1,
                             "bucket key \"%.*s\" listed %zu times in days",
                             (int)k->len, k->key, listed);
                if (k->first + k->n > p->n_changes)
                        continue;
                for (size_t a = k->first; a < k->first + k->n; a++) {
                        const hw_plan_change_t *c = &p->changes[a];
                        const char *sp = memchr(c->field, ' ', c->len);
                        HW_CHECK_MSG(sp != NULL && sp > c->field &&
                                             sp < c->field + c->len - 1,
                                     "bucket \"%.*s\": field \"%.*s\" is "
                                     "not \"<family> <field>\"",
                                     (int)k->len, k->key, (int)c->len,
                                     c->field);
                }
        }
}

/* Checks that the bucket days are exactly want[0 .. n), in that order
 * (ascending), each with n = 0 (check_shape checks the rest). */
static void check_days(const hw_plan_t *p, const int64_t *want, size_t n) {
        if (!HW_CHECK_EQ_INT(p->n_days, n))
                return;
        for (size_t i = 0; i < n; i++) {
                HW_CHECK_MSG(p->days[i].day == want[i],
                             "bucket day %zu: %s, expected %s", i,
                             ymd(p->days[i].day), ymd(want[i]));
                HW_CHECK_MSG(!memcmp(p->days[i].ymd, ymd(want[i]), 8),
                             "bucket day %zu: ymd %.8s, expected %s", i,
                             p->days[i].ymd, ymd(want[i]));
                HW_CHECK_EQ_INT(p->days[i].n, 0);
        }
}

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

/* The bucket day entry of day, or NULL; checks it is there at most once. */
static const hw_plan_day_t *find_day(const hw_plan_day_t *days, size_t n,
                                     int64_t day) {
        const hw_plan_day_t *found = NULL;
        for (size_t i = 0; i < n; i++) {
                if (days[i].day != day)
                        continue;
                HW_CHECK_MSG(found == NULL, "day %" PRId64 " listed twice",
                             day);
                if (!found)
                        found = &days[i];
        }
        return found;
}

/* Checks that entry dd (of day) lists exactly the names want[0 .. n), in
 * any order, each once, and carries day's yyyymmdd. */
static void check_day_names(const hw_plan_t *p, const hw_plan_day_t *dd,
                            int64_t day, const char *const *want, size_t n) {
        if (!HW_CHECK_MSG(dd != NULL, "day %s missing", ymd(day)))
                return;
        HW_CHECK_MSG(!memcmp(dd->ymd, ymd(day), 8),
                     "day %" PRId64 ": ymd %.8s, expected %s", day, dd->ymd,
                     ymd(day));
        if (!HW_CHECK_EQ_INT(dd->n, n))
                return;
        for (size_t i = 0; i < n; i++) {
                size_t hits = 0;
                for (size_t j = 0; j < dd->n; j++)
                        hits += !strcmp(p->names[dd->first + j], want[i]);
                HW_CHECK_MSG(hits == 1, "day %s: \"%s\" listed %zu times",
                             ymd(day), want[i], hits);
        }
}

/* The raid pair (lab slug, org slug), or NULL. */
static const hw_plan_raid_t *find_raid(const hw_plan_t *p, const char *lab,
                                       const char *org) {
        for (size_t i = 0; i < p->n_raids; i++)
                if (!strcmp(p->raids[i].lab_slug, lab) &&
                    !strcmp(p->raids[i].org_slug, org))
                        return &p->raids[i];
        return NULL;
}

/* The drain of country, or NULL. */
static const hw_plan_drain_t *find_drain(const hw_plan_t *p,
                                         const char *country) {
        for (size_t i = 0; i < p->n_drains; i++)
                if (!strcmp(p->drains[i].country, country))
                        return &p->drains[i];
        return NULL;
}

#define OK(call) HW_CHECK_EQ_INT((call), HW_OK)

/* ------------------------------------------------------------------ */
/* 1. Fan-out: an event of day d counts in window N iff d > D - N, always
 * in all, and in its daily bucket iff d > D - 365 (the largest window). */
static const int g_offsets[] = {0, 6, 7, 29, 30, 364, 365, 400};
#define N_OFFSETS (sizeof(g_offsets) / sizeof(g_offsets[0]))
#define FAM "lab:openai:hires"

/* One field per event ("e<offset>"), delta offset + 1 (all distinct). */
static void add_fanout(hw_deltas_t *d, int64_t D) {
        for (size_t i = 0; i < N_OFFSETS; i++)
                OK(hw_deltas_window(d, FAM, fmt("e%d", g_offsets[i]),
                                    D - g_offsets[i], g_offsets[i] + 1));
}

static void test_fanout(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        size_t want_keys = 0, want_changes = 0, want_days = 0;
        int64_t bucket_days[N_OFFSETS];
        hw_deltas_t d;
        hw_plan_t p;

        HW_CHECK_EQ_INT(D, 20269); /* 2025-06-30 */
        HW_CHECK_STR(ymd(D), "20250630");
        hw_deltas_init(&d);
        hw_plan_init(&p);
        add_fanout(&d, D);
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        HW_CHECK_EQ_INT(p.day, D);
        check_shape(&p);

        for (size_t i = 0; i < N_OFFSETS; i++) {
                int o = g_offsets[i];
                const char *field = fmt("e%d", o);
                char bucket[16], bf[64];
                snprintf(bucket, sizeof(bucket), "b:%s", ymd(D - o));
                snprintf(bf, sizeof(bf), "%s %s", FAM, field);
                HW_CONTEXT("event at D-%d (%s)", o, ymd(D - o));
                CHECK_CHANGE(&p, FAM ":all", field, o + 1);
                for (size_t w = 0; w < N_WINDOWS; w++) {
                        const char *key = fmt(FAM ":%dd", g_windows[w]);
                        if (o < g_windows[w]) {
                                CHECK_CHANGE(&p, key, field, o + 1);
                                want_changes++;
                        } else {
                                CHECK_ABSENT(&p, key, field);
                        }
                }
                if (o < LARGEST) {
                        /* Its day's hash, field "<family> <field>", and
                         * nothing else (one event per day). */
                        CHECK_CHANGE(&p, bucket, bf, o + 1);
                        CHECK_ABSENT(&p, bucket, field);
                        CHECK_KEY_N(&p, bucket, 1);
                        want_keys++; /* one bucket key per event */
                        want_changes++;
                        /* Listed ascending: the oldest first. */
                        bucket_days[N_OFFSETS - 1 - want_days++] = D - o;
                } else {
                        CHECK_NO_KEY(&p, bucket);
                }
                CHECK_NO_KEY(&p,
                             fmt("b:%s:%s", ymd(D - o), FAM)); /* old layout */
                want_changes++;                                /* all */
        }
        HW_CONTEXT("%s", "");
        /* The boundaries, spelled out. */
        CHECK_CHANGE(&p, FAM ":7d", "e6", 7);
        CHECK_ABSENT(&p, FAM ":7d", "e7");
        CHECK_CHANGE(&p, FAM ":30d", "e29", 30);
        CHECK_ABSENT(&p, FAM ":30d", "e30");
        CHECK_CHANGE(&p, FAM ":90d", "e30", 31);
        CHECK_CHANGE(&p, FAM ":365d", "e364", 365);
        CHECK_ABSENT(&p, FAM ":365d", "e365");
        CHECK_ABSENT(&p, FAM ":365d", "e400");
        CHECK_CHANGE(&p, FAM ":all", "e400", 401);
        CHECK_CHANGE(&p, bkey(D - 364), bfield(FAM, "e364"), 365);
        CHECK_NO_KEY(&p, bkey(D - 365));
        CHECK_NO_KEY(&p, bkey(D - 400));
        CHECK_NO_KEY(&p, FAM); /* no key without a window */

        want_keys += N_WINDOWS + 1; /* the windows and all */
        HW_CHECK_EQ_INT(want_keys, 11);
        HW_CHECK_EQ_INT(want_changes, 31);
        HW_CHECK_EQ_INT(p.n_keys, want_keys);
        HW_CHECK_EQ_INT(p.n_changes, want_changes);
        HW_CHECK_EQ_INT(want_days, 6);
        check_days(&p, bucket_days + N_OFFSETS - want_days, want_days);
        for (size_t k = 0; k < p.n_keys; k++)
                HW_CHECK_MSG(!p.keys[k].zset, "window key %.*s is a zset",
                             (int)p.keys[k].len, p.keys[k].key);
        /* Nothing else was asked for. */
        HW_CHECK_EQ_INT(p.n_seen, 0);
        HW_CHECK_EQ_INT(p.n_raids, 0);
        HW_CHECK_EQ_INT(p.n_drains, 0);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 2. No watermark (D = -1): no day window holds anything, so only the all
 * keys, no buckets, no raid events, no drains. */
static void test_no_watermark(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        add_fanout(&d, D);
        OK(hw_deltas_window(&d, "flow:in", "FR", D, 2));
        OK(hw_deltas_gauge(&d, "lab:openai:origin", "google", 1));
        OK(hw_deltas_evidence(&d, "lab:openai:hires", "Google", D - 1, "e-g"));
        OK(hw_deltas_evidence(&d, "flow:out", "CN", D, "e-cn"));
        if (!OK(build(&p, &conf, &d, -1)))
                goto out;
        HW_CHECK_EQ_INT(p.day, -1);
        check_shape(&p);

        for (size_t i = 0; i < N_OFFSETS; i++)
                CHECK_CHANGE(&p, FAM ":all", fmt("e%d", g_offsets[i]),
                             g_offsets[i] + 1);
        CHECK_CHANGE(&p, "flow:all:in", "FR", 2);
        CHECK_CHANGE(&p, "lab:openai:origin", "google", 1);
        for (size_t w = 0; w < N_WINDOWS; w++) {
                CHECK_NO_KEY(&p, fmt(FAM ":%dd", g_windows[w]));
                CHECK_NO_KEY(&p, fmt("flow:%dd:in", g_windows[w]));
        }
        for (size_t i = 0; i < N_OFFSETS; i++)
                CHECK_NO_KEY(&p, bkey(D - g_offsets[i]));
        CHECK_NO_KEY(&p, bkey(D)); /* flow:in's day */
        for (size_t i = 0; i < p.n_keys; i++)
                HW_CHECK_MSG(p.keys[i].len < 2 ||
                                     memcmp(p.keys[i].key, "b:", 2),
                             "bucket key \"%.*s\" with no watermark",
                             (int)p.keys[i].len, p.keys[i].key);
        HW_CHECK_EQ_INT(p.n_keys, 3);
        HW_CHECK_EQ_INT(p.n_changes, N_OFFSETS + 2);
        HW_CHECK_EQ_INT(p.n_days, 0);
        HW_CHECK_EQ_INT(p.n_drains, 0);
        /* The pair got a hire (lo/hi), but no window holds it. */
        if (HW_CHECK_EQ_INT(p.n_raids, 1)) {
                const hw_plan_raid_t *r = find_raid(&p, "openai", "google");
                if (HW_CHECK(r != NULL)) {
                        HW_CHECK_EQ_INT(r->n_ev, 0);
                        HW_CHECK_EQ_INT(r->lo, D - 1);
                        HW_CHECK_EQ_INT(r->hi, D - 1);
                        if (HW_CHECK_EQ_INT(r->n_names, 1))
                                HW_CHECK_STR(p.names[r->first_name], "Google");
                }
        }
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 3. Aggregation: one delta per (key, field), summed over the events of
 * every day the window holds; sums of 0 left out, keys left empty too. */
static void test_aggregation(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        const char *off = "org:meta:offers";
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        /* Same (family, field, day) twice, then other days. */
        OK(hw_deltas_window(&d, off, "extended", D, 1));
        OK(hw_deltas_window(&d, off, "extended", D, 2));
        OK(hw_deltas_window(&d, off, "extended", D - 3, 4));
        OK(hw_deltas_window(&d, off, "extended", D - 10, 8));
        OK(hw_deltas_window(&d, off, "extended", D - 100, 16));
        OK(hw_deltas_window(&d, off, "extended", D - 1000, 32));
        /* +1 and -1 on different days: 0 where both count. */
        OK(hw_deltas_window(&d, off, "declined", D - 1, 1));
        OK(hw_deltas_window(&d, off, "declined", D - 20, -1));
        /* A family whose every window sums to 0: only its buckets stay. */
        OK(hw_deltas_window(&d, "flow:out", "US", D - 1, 1));
        OK(hw_deltas_window(&d, "flow:out", "US", D - 2, -1));
        /* (family, field)s that net to 0 on a day whose bucket keeps
         * other fields (D - 3: offers' extended; D: offers' extended). */
        OK(hw_deltas_window(&d, off, "declined", D - 3, 2));
        OK(hw_deltas_window(&d, "flow:out", "US", D, 1));
        OK(hw_deltas_window(&d, off, "declined", D - 3, -2));
        OK(hw_deltas_window(&d, "flow:out", "US", D, -1));
        /* A day whose every field nets to 0: no bucket, not listed. */
        OK(hw_deltas_window(&d, off, "extended", D - 5, 1));
        OK(hw_deltas_window(&d, "flow:out", "FR", D - 5, 2));
        OK(hw_deltas_window(&d, off, "extended", D - 5, -1));
        OK(hw_deltas_window(&d, "flow:out", "FR", D - 5, -2));
        /* Gauges: one field cancels (its key keeps the other field); a key
         * whose only field cancels is left out. */
        OK(hw_deltas_gauge(&d, "org:meta:stats", "kept", 5));
        OK(hw_deltas_gauge(&d, "org:meta:stats", "gone", 1));
        OK(hw_deltas_gauge(&d, "org:meta:stats", "gone", -1));
        OK(hw_deltas_gauge(&d, "lab:openai:origin", "google", 1));
        OK(hw_deltas_gauge(&d, "lab:openai:origin", "google", -1));
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        check_shape(&p);

        CHECK_CHANGE(&p, "org:meta:offers:7d", "extended", 1 + 2 + 4);
        CHECK_CHANGE(&p, "org:meta:offers:30d", "extended", 1 + 2 + 4 + 8);
        CHECK_CHANGE(&p, "org:meta:offers:90d", "extended", 1 + 2 + 4 + 8);
        CHECK_CHANGE(&p, "org:meta:offers:365d", "extended",
                     1 + 2 + 4 + 8 + 16);
        CHECK_CHANGE(&p, "org:meta:offers:all", "extended",
                     1 + 2 + 4 + 8 + 16 + 32);
        CHECK_CHANGE(&p, bkey(D), bfield(off, "extended"), 3);
        CHECK_CHANGE(&p, bkey(D - 3), bfield(off, "extended"), 4);
        CHECK_CHANGE(&p, bkey(D - 10), bfield(off, "extended"), 8);
        CHECK_CHANGE(&p, bkey(D - 100), bfield(off, "extended"), 16);
        CHECK_NO_KEY(&p, bkey(D - 1000));

        CHECK_CHANGE(&p, "org:meta:offers:7d", "declined", 1);
        CHECK_ABSENT(&p, "org:meta:offers:30d", "declined");
        CHECK_ABSENT(&p, "org:meta:offers:90d", "declined");
        CHECK_ABSENT(&p, "org:meta:offers:365d", "declined");
        CHECK_ABSENT(&p, "org:meta:offers:all", "declined");
        CHECK_CHANGE(&p, bkey(D - 1), bfield(off, "declined"), 1);
        CHECK_CHANGE(&p, bkey(D - 20), bfield(off, "declined"), -1);
        CHECK_ABSENT(&p, bkey(D - 3), bfield(off, "declined"));
        /* The 30d key is still there, with extended only. */
        {
                const hw_plan_key_t *k = plan_key(&p, "org:meta:offers:30d");
                if (HW_CHECK(k != NULL))
                        HW_CHECK_EQ_INT(k->n, 1);
                k = plan_key(&p, "org:meta:offers:7d");
                if (HW_CHECK(k != NULL))
                        HW_CHECK_EQ_INT(k->n, 2);
        }

        for (size_t w = 0; w < N_WINDOWS; w++)
                CHECK_NO_KEY(&p, fmt("flow:%dd:out", g_windows[w]));
        CHECK_NO_KEY(&p, "flow:all:out");
        CHECK_CHANGE(&p, bkey(D - 1), bfield("flow:out", "US"), 1);
        CHECK_CHANGE(&p, bkey(D - 2), bfield("flow:out", "US"), -1);
        CHECK_ABSENT(&p, bkey(D), bfield("flow:out", "US"));
        CHECK_NO_KEY(&p, bkey(D - 5));
        /* Each day's hash holds exactly these fields. */
        CHECK_KEY_N(&p, bkey(D), 1);
        CHECK_KEY_N(&p, bkey(D - 1), 2);
        CHECK_KEY_N(&p, bkey(D - 2), 1);
        CHECK_KEY_N(&p, bkey(D - 3), 1);
        CHECK_KEY_N(&p, bkey(D - 10), 1);
        CHECK_KEY_N(&p, bkey(D - 20), 1);
        CHECK_KEY_N(&p, bkey(D - 100), 1);
        {
                const int64_t days[] = {D - 100, D - 20, D - 10, D - 3,
                                        D - 2,   D - 1,  D};
                check_days(&p, days, sizeof(days) / sizeof(days[0]));
        }

        CHECK_CHANGE(&p, "org:meta:stats", "kept", 5);
        CHECK_ABSENT(&p, "org:meta:stats", "gone");
        {
                const hw_plan_key_t *k = plan_key(&p, "org:meta:stats");
                if (HW_CHECK(k != NULL))
                        HW_CHECK_EQ_INT(k->n, 1);
        }
        CHECK_ABSENT(&p, "lab:openai:origin", "google");
        CHECK_NO_KEY(&p, "lab:openai:origin");

        /* Keys: offers' 5 windows, the buckets of 7 days (D, D-1, D-2,
         * D-3, D-10, D-20, D-100), stats. Changes: offers' windows
         * 2 + 1 + 1 + 1 + 1, offers' 6 bucket fields and flow:out's 2,
         * stats' kept. */
        HW_CHECK_EQ_INT(p.n_keys, 5 + 7 + 1);
        HW_CHECK_EQ_INT(p.n_changes, 6 + 6 + 2 + 1);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 4. Key names: flow:<what> -> flow:<W>:<what>; others <family>:<W>. */
static void test_key_names(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        OK(hw_deltas_window(&d, "flow:in", "FR", D, 1));
        OK(hw_deltas_window(&d, "flow:out", "CN", D - 40, 2));
        OK(hw_deltas_window(&d, "school:mit:hires", "openai", D - 1, 3));
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        check_shape(&p);

        CHECK_CHANGE(&p, "flow:7d:in", "FR", 1);
        CHECK_CHANGE(&p, "flow:30d:in", "FR", 1);
        CHECK_CHANGE(&p, "flow:90d:in", "FR", 1);
        CHECK_CHANGE(&p, "flow:365d:in", "FR", 1);
        CHECK_CHANGE(&p, "flow:all:in", "FR", 1);
        /* The bucket field names the family as it is ("flow:in"). */
        CHECK_CHANGE(&p, bkey(D), "flow:in FR", 1);
        CHECK_ABSENT(&p, bkey(D), "FR");
        CHECK_ABSENT(&p, bkey(D), "flow:all:in FR");
        CHECK_KEY_N(&p, bkey(D), 1);
        CHECK_NO_KEY(&p, fmt("b:%s:flow:in", ymd(D)));
        CHECK_NO_KEY(&p, "flow:in:7d");
        CHECK_NO_KEY(&p, "flow:in:all");
        CHECK_NO_KEY(&p, "flow:in");

        CHECK_NO_KEY(&p, "flow:7d:out");
        CHECK_NO_KEY(&p, "flow:30d:out");
        CHECK_CHANGE(&p, "flow:90d:out", "CN", 2);
        CHECK_CHANGE(&p, "flow:365d:out", "CN", 2);
        CHECK_CHANGE(&p, "flow:all:out", "CN", 2);
        CHECK_CHANGE(&p, bkey(D - 40), "flow:out CN", 2);
        CHECK_KEY_N(&p, bkey(D - 40), 1);
        CHECK_NO_KEY(&p, fmt("b:%s:flow:out", ymd(D - 40)));

        CHECK_CHANGE(&p, "school:mit:hires:7d", "openai", 3);
        CHECK_CHANGE(&p, "school:mit:hires:all", "openai", 3);
        CHECK_CHANGE(&p, bkey(D - 1), "school:mit:hires openai", 3);
        CHECK_KEY_N(&p, bkey(D - 1), 1);
        CHECK_NO_KEY(&p, fmt("b:%s:school:mit:hires", ymd(D - 1)));
        CHECK_NO_KEY(&p, "school:7d:mit:hires");
        {
                const int64_t days[] = {D - 40, D - 1, D};
                check_days(&p, days, 3);
        }

        /* flow:in 5 windows + bucket, flow:out 3 + bucket, school 5 +
         * bucket: a bucket key per day, each day with one family here. */
        HW_CHECK_EQ_INT(p.n_keys, 6 + 4 + 6);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 5. Ranks are sorted sets; gauges and windows are hashes. */
static void test_ranks_zset(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        const hw_plan_key_t *k;
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        OK(hw_deltas_rank(&d, "rank:labs:hires", "openai", 3));
        OK(hw_deltas_rank(&d, "rank:labs:hires", "openai", 2));
        OK(hw_deltas_rank(&d, "rank:labs:hires", "meta", -1));
        OK(hw_deltas_rank(&d, "rank:labs:gone", "x", 1));
        OK(hw_deltas_rank(&d, "rank:labs:gone", "x", -1));
        OK(hw_deltas_gauge(&d, "lab:openai:origin", "google", 1));
        OK(hw_deltas_window(&d, "flow:in", "FR", D, 1));
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        check_shape(&p);

        CHECK_CHANGE(&p, "rank:labs:hires", "openai", 5);
        CHECK_CHANGE(&p, "rank:labs:hires", "meta", -1);
        CHECK_NO_KEY(&p, "rank:labs:gone");
        k = plan_key(&p, "rank:labs:hires");
        if (HW_CHECK(k != NULL)) {
                HW_CHECK_EQ_INT(k->zset, 1);
                HW_CHECK_EQ_INT(k->n, 2);
        }
        k = plan_key(&p, "lab:openai:origin");
        if (HW_CHECK(k != NULL))
                HW_CHECK_EQ_INT(k->zset, 0);
        k = plan_key(&p, "flow:all:in");
        if (HW_CHECK(k != NULL))
                HW_CHECK_EQ_INT(k->zset, 0);
        k = plan_key(&p, bkey(D));
        if (HW_CHECK(k != NULL))
                HW_CHECK_EQ_INT(k->zset, 0);
        {
                size_t zsets = 0;
                for (size_t i = 0; i < p.n_keys; i++)
                        zsets += p.keys[i].zset != 0;
                HW_CHECK_EQ_INT(zsets, 1);
        }
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 6. The bucket days: each day whose hash b:<yyyymmdd> is written, once,
 * ascending, with no names; the day's one hash holds every family's
 * fields as "<family> <field>". */
static void test_days(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        const int64_t want_days[] = {D - 364, D - 1, D};
        static const char *const seen_d[] = {"s-1"};
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        /* Families on D in non-sorted order, one family with two fields
         * and a field on two days; days added latest first; a day beyond
         * the largest window; a day whose only delta nets to 0 (no
         * bucket); a field netting to 0 on a day with a bucket; gauges and
         * ranks (no bucket); a seen id (not a bucket day). */
        OK(hw_deltas_window(&d, "lab:z:hires", "a", D, 1));
        OK(hw_deltas_window(&d, "flow:in", "FR", D, 1));
        OK(hw_deltas_window(&d, "lab:z:hires", "b", D, 1));
        OK(hw_deltas_window(&d, "org:a:offers", "extended", D, 1));
        OK(hw_deltas_window(&d, "org:a:offers", "declined", D, 1));
        OK(hw_deltas_window(&d, "flow:in", "FR", D - 1, 1));
        OK(hw_deltas_window(&d, "lab:z:hires", "a", D - 364, 1));
        OK(hw_deltas_window(&d, "lab:z:hires", "a", D - 365, 1));
        OK(hw_deltas_window(&d, "lab:z:hires", "a", D - 2, 1));
        OK(hw_deltas_window(&d, "lab:z:hires", "a", D - 2, -1));
        OK(hw_deltas_window(&d, "org:a:offers", "declined", D, -1));
        OK(hw_deltas_gauge(&d, "lab:z:origin", "x", 1));
        OK(hw_deltas_rank(&d, "rank:labs:hires", "z", 1));
        OK(hw_deltas_seen(&d, D * HW_DAY_MS, "s-1"));
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        check_shape(&p);

        check_days(&p, want_days, 3);
        for (size_t i = 0; i < 3; i++) {
                const hw_plan_day_t *dd =
                        find_day(p.days, p.n_days, want_days[i]);
                if (HW_CHECK_MSG(dd != NULL, "day %s missing",
                                 ymd(want_days[i])))
                        HW_CHECK_EQ_INT(dd->n, 0);
        }
        HW_CHECK(find_day(p.days, p.n_days, D - 365) == NULL);
        HW_CHECK(find_day(p.days, p.n_days, D - 2) == NULL);
        CHECK_NO_KEY(&p, bkey(D - 365));
        CHECK_NO_KEY(&p, bkey(D - 2));

        /* D: one hash for its three families. */
        CHECK_CHANGE(&p, bkey(D), "lab:z:hires a", 1);
        CHECK_CHANGE(&p, bkey(D), "lab:z:hires b", 1);
        CHECK_CHANGE(&p, bkey(D), "flow:in FR", 1);
        CHECK_CHANGE(&p, bkey(D), "org:a:offers extended", 1);
        CHECK_ABSENT(&p, bkey(D), "org:a:offers declined");
        CHECK_ABSENT(&p, bkey(D), "lab:z:origin x");
        CHECK_ABSENT(&p, bkey(D), "rank:labs:hires z");
        CHECK_KEY_N(&p, bkey(D), 4);
        CHECK_NO_KEY(&p, fmt("b:%s:lab:z:hires", ymd(D)));
        CHECK_NO_KEY(&p, fmt("b:%s:flow:in", ymd(D)));
        CHECK_NO_KEY(&p, fmt("b:%s:org:a:offers", ymd(D)));
        CHECK_CHANGE(&p, bkey(D - 1), "flow:in FR", 1);
        CHECK_KEY_N(&p, bkey(D - 1), 1);
        CHECK_CHANGE(&p, bkey(D - 364), "lab:z:hires a", 1);
        CHECK_KEY_N(&p, bkey(D - 364), 1);
        /* One bucket key per listed day, and back. */
        {
                size_t buckets = 0;
                for (size_t i = 0; i < p.n_keys; i++)
                        buckets += p.keys[i].len > 2 &&
                                   !memcmp(p.keys[i].key, "b:", 2);
                HW_CHECK_EQ_INT(buckets, 3);
                HW_CHECK_EQ_INT(buckets, p.n_days);
        }
        /* Days do not mix with seen ids. */
        HW_CHECK_EQ_INT(p.n_seen, 1);
        check_day_names(&p, find_day(p.seen, p.n_seen, D), D, seen_d, 1);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 7. Raid pairs: per (lab slug, org slug) of lab:<slug>:hires evidence. */
static void add_raid_evidence(hw_deltas_t *d, int64_t D) {
        const char *a = "lab:anthropic:hires";
        OK(hw_deltas_evidence(d, a, "Open AI", D - 2, "e-z"));
        OK(hw_deltas_evidence(d, a, "Open-AI", D - 10, "e-a"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 400, "e-old"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 2, "e-b"));
        OK(hw_deltas_evidence(d, a, "Google", D - 1, "e-g"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 364, "e-edge"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 365, "e-out"));
        /* The latest hire of the pair, under the name sorted last. */
        OK(hw_deltas_evidence(d, a, "Open-AI", D - 1, "e-c"));
        OK(hw_deltas_evidence(d, "lab:meta:hires", "Open AI", D, "e-m"));
        /* Not lab hires: no pair. */
        OK(hw_deltas_evidence(d, "lab:anthropic:offers", "Open AI", D, "e-x"));
        OK(hw_deltas_evidence(d, "flow:in", "US", D, "e-in"));
        OK(hw_deltas_evidence(d, "school:mit:hires", "Open AI", D, "e-s"));
}

static void check_ev(const hw_plan_t *p, size_t at, int64_t day,
                     const char *id) {
        HW_CHECK_EQ_INT(p->evs[at].day, day);
        HW_CHECK_STR(p->evs[at].event_id, id);
}

static void test_raids(void) {
        hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        const hw_plan_raid_t *r;
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        add_raid_evidence(&d, D);
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        check_shape(&p);
        HW_CHECK_EQ_INT(p.n_keys, 0); /* evidence counts nothing */
        HW_CHECK_EQ_INT(p.n_drains, 0);
        HW_CHECK_EQ_INT(p.n_raids, 3);

        HW_CONTEXT("%s", "anthropic <- open-ai");
        r = find_raid(&p, "anthropic", "open-ai");
        if (HW_CHECK(r != NULL)) {
                if (HW_CHECK_EQ_INT(r->n_names, 2)) {
                        HW_CHECK_STR(p.names[r->first_name], "Open AI");
                        HW_CHECK_STR(p.names[r->first_name + 1], "Open-AI");
                }
                HW_CHECK_EQ_INT(r->lo, D - 400); /* older, still counts */
                HW_CHECK_EQ_INT(r->hi, D - 1);
                /* By day, then event id; D-365 and D-400 are out. */
                if (HW_CHECK_EQ_INT(r->n_ev, 5)) {
                        check_ev(&p, r->first_ev, D - 364, "e-edge");
                        check_ev(&p, r->first_ev + 1, D - 10, "e-a");
                        check_ev(&p, r->first_ev + 2, D - 2, "e-b");
                        check_ev(&p, r->first_ev + 3, D - 2, "e-z");
                        check_ev(&p, r->first_ev + 4, D - 1, "e-c");
                }
        }
        HW_CONTEXT("%s", "anthropic <- google");
        r = find_raid(&p, "anthropic", "google");
        if (HW_CHECK(r != NULL)) {
                if (HW_CHECK_EQ_INT(r->n_names, 1))
                        HW_CHECK_STR(p.names[r->first_name], "Google");
                HW_CHECK_EQ_INT(r->lo, D - 1);
                HW_CHECK_EQ_INT(r->hi, D - 1);
                if (HW_CHECK_EQ_INT(r->n_ev, 1))
                        check_ev(&p, r->first_ev, D - 1, "e-g");
        }
        HW_CONTEXT("%s", "meta <- open-ai");
        r = find_raid(&p, "meta", "open-ai");
        if (HW_CHECK(r != NULL)) {
                if (HW_CHECK_EQ_INT(r->n_names, 1))
                        HW_CHECK_STR(p.names[r->first_name], "Open AI");
                HW_CHECK_EQ_INT(r->lo, D);
                HW_CHECK_EQ_INT(r->hi, D);
                if (HW_CHECK_EQ_INT(r->n_ev, 1))
                        check_ev(&p, r->first_ev, D, "e-m");
        }
        HW_CONTEXT("%s", "");
        HW_CHECK(find_raid(&p, "anthropic", "Open AI") == NULL);

        /* Raid off: no pairs (and the evidence is not taken for drains). */
        conf.raid = 0;
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        HW_CHECK_EQ_INT(p.n_raids, 0);
        HW_CHECK_EQ_INT(p.n_drains, 0);
        HW_CHECK_EQ_INT(p.n_keys, 0);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 8. brain_drain: flow:out evidence within drain_days of D, the latest
 * first then by event id, at most 50 per country. */
#define CN_HIRES 60

/* The id of CN hire i (day D - i/3): ids run backwards from cn-59. */
static const char *cn_id(int i) {
        return fmt("cn-%02d", CN_HIRES - 1 - i);
}

static void test_drains(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        const hw_plan_drain_t *dr;
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        /* Inserted in a scrambled order (7 is prime to 60). */
        for (int k = 0; k < CN_HIRES; k++) {
                int i = (k * 7) % CN_HIRES;
                OK(hw_deltas_evidence(&d, "flow:out", "CN", D - i / 3,
                                      cn_id(i)));
        }
        OK(hw_deltas_evidence(&d, "flow:out", "DE", D - 100, "de-3"));
        OK(hw_deltas_evidence(&d, "flow:out", "DE", D - 30, "de-2"));
        OK(hw_deltas_evidence(&d, "flow:out", "DE", D - 29, "de-1"));
        OK(hw_deltas_evidence(&d, "flow:out", "FR", D - 31, "fr-1"));
        OK(hw_deltas_evidence(&d, "flow:in", "US", D, "us-1"));
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        check_shape(&p);
        HW_CHECK_EQ_INT(p.n_raids, 0);
        HW_CHECK_EQ_INT(p.n_drains, 2);

        dr = find_drain(&p, "CN");
        if (HW_CHECK(dr != NULL) && HW_CHECK_EQ_INT(dr->n_ev, 50)) {
                /* Day D - g holds cn-(57-3g) .. cn-(59-3g), by id. */
                for (int j = 0; j < 50; j++) {
                        int g = j / 3;
                        HW_CONTEXT("CN evidence %d", j);
                        check_ev(&p, dr->first_ev + (size_t)j, D - g,
                                 fmt("cn-%02d", 57 - 3 * g + j % 3));
                }
                HW_CONTEXT("%s", "");
                /* The first ones, spelled out. */
                check_ev(&p, dr->first_ev, D, "cn-57");
                check_ev(&p, dr->first_ev + 2, D, "cn-59");
                check_ev(&p, dr->first_ev + 3, D - 1, "cn-54");
                check_ev(&p, dr->first_ev + 48, D - 16, "cn-09");
                check_ev(&p, dr->first_ev + 49, D - 16, "cn-10");
        }
        dr = find_drain(&p, "DE");
        if (HW_CHECK(dr != NULL) && HW_CHECK_EQ_INT(dr->n_ev, 1))
                check_ev(&p, dr->first_ev, D - 29, "de-1");
        HW_CHECK(find_drain(&p, "FR") == NULL);
        HW_CHECK(find_drain(&p, "US") == NULL);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 9. Seen ids: grouped by their day, kept while day > D - seen_days. */
static void test_seen(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        static const char *const on_d[] = {"s-b", "s-a"};
        static const char *const on_d9[] = {"s-c"};
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        OK(hw_deltas_seen(&d, D * HW_DAY_MS + 5000, "s-b"));
        OK(hw_deltas_seen(&d, (D - 50) * HW_DAY_MS, "s-e"));
        OK(hw_deltas_seen(&d, (D - 9) * HW_DAY_MS + HW_DAY_MS - 1, "s-c"));
        OK(hw_deltas_seen(&d, (D - 10) * HW_DAY_MS + HW_DAY_MS - 1, "s-d"));
        OK(hw_deltas_seen(&d, D * HW_DAY_MS, "s-a"));
        if (!OK(build(&p, &conf, &d, D)))
                goto out;
        HW_CHECK_EQ_INT(p.n_keys, 0);
        HW_CHECK_EQ_INT(p.n_days, 0);
        HW_CHECK_EQ_INT(p.n_seen, 2);
        check_day_names(&p, find_day(p.seen, p.n_seen, D), D, on_d, 2);
        check_day_names(&p, find_day(p.seen, p.n_seen, D - 9), D - 9, on_d9, 1);
        HW_CHECK(find_day(p.seen, p.n_seen, D - 10) == NULL);
        HW_CHECK(find_day(p.seen, p.n_seen, D - 50) == NULL);

        /* A later D drops D - 9 too. */
        if (!OK(build(&p, &conf, &d, D + 1)))
                goto out;
        HW_CHECK_EQ_INT(p.n_seen, 1);
        check_day_names(&p, find_day(p.seen, p.n_seen, D), D, on_d, 2);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 10. hw_plan_day_after: the later watermark's day, -1 for none. */
static void test_day_after(void) {
        int64_t ms = 0, late = 0;
        const int64_t D = dday();

        HW_CHECK_EQ_INT(hw_time_parse_iso("2025-06-30T23:59:59.999Z", &ms), 0);
        HW_CHECK_EQ_INT(hw_time_parse_iso("2025-07-01T00:00:00Z", &late), 0);
        HW_CHECK_EQ_INT(hw_plan_day_after(-1, -1), -1);
        HW_CHECK_EQ_INT(hw_plan_day_after(-1, ms), D);
        HW_CHECK_EQ_INT(hw_plan_day_after(ms, -1), D);
        HW_CHECK_EQ_INT(hw_plan_day_after(ms, late), D + 1);
        HW_CHECK_EQ_INT(hw_plan_day_after(late, ms), D + 1);
        HW_CHECK_EQ_INT(hw_plan_day_after(ms, ms - 1000), D);
        HW_CHECK_EQ_INT(hw_plan_day_after(0, -1), 0);
        HW_CHECK_EQ_INT(hw_plan_day_after(-1, HW_DAY_MS), 1);
}

/* 11. One plan built again and again (as the consumer does, batch after
 * batch and when the fence moves D): each build is whole and the same as
 * a fresh plan's; nothing leaks (valgrind run). */

/* Everything a plan says, as text: keys and changes in plan order, days,
 * seen ids, raids and drains. Caller frees. */
static char *dump(const hw_plan_t *p) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fprintf(f, "day %" PRId64 "\n", p->day);
        for (size_t i = 0; i < p->n_keys; i++) {
                const hw_plan_key_t *k = &p->keys[i];
                fprintf(f, "key %.*s zset=%d\n", (int)k->len, k->key, k->zset);
                for (size_t j = 0; j < k->n; j++) {
                        const hw_plan_change_t *c = &p->changes[k->first + j];
                        fprintf(f, "  %.*s %" PRId64 "\n", (int)c->len,
                                c->field, c->delta);
                }
        }
        for (int pass = 0; pass < 2; pass++) {
                const hw_plan_day_t *days = pass ? p->seen : p->days;
                size_t n = pass ? p->n_seen : p->n_days;
                for (size_t i = 0; i < n; i++) {
                        fprintf(f, "%s %.8s %" PRId64 ":",
                                pass ? "seen" : "bucket", days[i].ymd,
                                days[i].day);
                        for (size_t j = 0; j < days[i].n; j++)
                                fprintf(f, " %s", p->names[days[i].first + j]);
                        fputc('\n', f);
                }
        }
        for (size_t i = 0; i < p->n_raids; i++) {
                const hw_plan_raid_t *r = &p->raids[i];
                fprintf(f, "raid %s %s %" PRId64 "..%" PRId64 ":", r->lab_slug,
                        r->org_slug, r->lo, r->hi);
                for (size_t j = 0; j < r->n_names; j++)
                        fprintf(f, " [%s]", p->names[r->first_name + j]);
                for (size_t j = 0; j < r->n_ev; j++)
                        fprintf(f, " %" PRId64 "/%s",
                                p->evs[r->first_ev + j].day,
                                p->evs[r->first_ev + j].event_id);
                fputc('\n', f);
        }
        for (size_t i = 0; i < p->n_drains; i++) {
                const hw_plan_drain_t *dr = &p->drains[i];
                fprintf(f, "drain %s:", dr->country);
                for (size_t j = 0; j < dr->n_ev; j++)
                        fprintf(f, " %s", p->evs[dr->first_ev + j].event_id);
                fputc('\n', f);
        }
        if (fclose(f)) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A batch with some of everything. */
static void add_everything(hw_deltas_t *d, int64_t D) {
        add_fanout(d, D);
        add_raid_evidence(d, D);
        OK(hw_deltas_window(d, "flow:in", "FR", D - 3, 2));
        OK(hw_deltas_window(d, "flow:out", "CN", D - 3, 2));
        OK(hw_deltas_rank(d, "rank:labs:hires", "openai", 4));
        OK(hw_deltas_gauge(d, "lab:openai:origin", "google", 1));
        for (int i = 0; i < 70; i++)
                OK(hw_deltas_evidence(d, "flow:out", "CN", D - i % 40,
                                      fmt("cn-%02d", i)));
        for (int i = 0; i < 20; i++)
                OK(hw_deltas_seen(d, (D - i) * HW_DAY_MS + i,
                                  fmt("seen-%02d", i)));
}

/* Builds d into p and checks that k:shared is its only key, with zset. */
static hw_err_t build_shared(hw_plan_t *p, const hw_plan_conf_t *conf,
                             const hw_deltas_t *d, int64_t D, int zset) {
        const hw_plan_key_t *k;
        hw_err_t err = build(p, conf, d, D);
        if (err)
                return err;
        HW_CHECK_EQ_INT(p->n_keys, 1);
        CHECK_CHANGE(p, "k:shared", "m", 1);
        k = plan_key(p, "k:shared");
        if (HW_CHECK(k != NULL))
                HW_CHECK_EQ_INT(k->zset, zset);
        return HW_OK;
}

static void test_reuse(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        char *first = NULL, *again = NULL, *fresh = NULL, *later = NULL;
        char *small = NULL;
        hw_deltas_t d, d2;
        hw_plan_t p, q;

        hw_deltas_init(&d);
        hw_deltas_init(&d2);
        hw_plan_init(&p);
        hw_plan_init(&q);
        add_everything(&d, D);
        OK(hw_deltas_gauge(&d2, "org:x:stats", "n", 1));

        OK(build(&p, &conf, &d, D));
        check_shape(&p);
        first = dump(&p);
        OK(build(&p, &conf, &d, D));
        check_shape(&p);
        again = dump(&p);
        if (HW_CHECK(first != NULL) && HW_CHECK(again != NULL)) {
                HW_CHECK_STR(again, first);
                /* The dump shows what it should. */
                HW_CHECK_CONTAINS(first, "key lab:openai:hires:7d zset=0\n"
                                         "  e0 1\n  e6 7\n");
                HW_CHECK_CONTAINS(first, "key rank:labs:hires zset=1\n");
                HW_CHECK_CONTAINS(first, "raid anthropic open-ai");
                HW_CHECK_CONTAINS(first, "drain CN:");
                HW_CHECK_CONTAINS(first, "seen ");
                /* Bucket days list no names; D - 3's one hash holds both
                 * flow families. */
                HW_CHECK_CONTAINS(first, fmt("bucket %s %" PRId64 ":\n",
                                             ymd(D - 3), D - 3));
                HW_CHECK_CONTAINS(first, fmt("key b:%s zset=0\n"
                                             "  flow:in FR 2\n"
                                             "  flow:out CN 2\n",
                                             ymd(D - 3)));
        }
        {
                /* The fan-out's 6 days and D - 3, ascending. */
                const int64_t days[] = {D - 364, D - 30, D - 29, D - 7,
                                        D - 6,   D - 3,  D};
                check_days(&p, days, sizeof(days) / sizeof(days[0]));
        }
        CHECK_CHANGE(&p, bkey(D - 364), bfield(FAM, "e364"), 365);
        if (HW_CHECK_EQ_INT(p.n_drains, 1))
                HW_CHECK_EQ_INT(p.drains[0].n_ev, 50);
        HW_CHECK_EQ_INT(p.n_raids, 3);
        HW_CHECK_EQ_INT(p.n_seen, SEEN_DAYS);

        /* A fresh plan says the same. */
        OK(build(&q, &conf, &d, D));
        fresh = dump(&q);
        if (HW_CHECK(fresh != NULL) && first)
                HW_CHECK_STR(fresh, first);

        /* Another batch in between: nothing of the first is left. */
        OK(build(&p, &conf, &d2, D));
        check_shape(&p);
        small = dump(&p);
        HW_CHECK_EQ_INT(p.n_keys, 1);
        HW_CHECK_EQ_INT(p.n_changes, 1);
        HW_CHECK_EQ_INT(p.n_days, 0);
        HW_CHECK_EQ_INT(p.n_seen, 0);
        HW_CHECK_EQ_INT(p.n_raids, 0);
        HW_CHECK_EQ_INT(p.n_drains, 0);
        CHECK_CHANGE(&p, "org:x:stats", "n", 1);
        if (HW_CHECK(small != NULL))
                HW_CHECK_STR(small, fmt("day %" PRId64
                                        "\nkey org:x:stats zset=0\n  n 1\n",
                                        D));

        /* The fence moved D: the same deltas, one day later. */
        OK(build(&p, &conf, &d, D + 1));
        check_shape(&p);
        later = dump(&p);
        HW_CHECK_EQ_INT(p.day, D + 1);
        CHECK_ABSENT(&p, FAM ":7d", "e6");
        CHECK_CHANGE(&p, FAM ":7d", "e0", 1);
        CHECK_ABSENT(&p, FAM ":365d", "e364");
        CHECK_NO_KEY(&p, bkey(D - 364));
        HW_CHECK(find_day(p.days, p.n_days, D - 364) == NULL);
        {
                const int64_t days[] = {D - 30, D - 29, D - 7, D - 6, D - 3, D};
                check_days(&p, days, sizeof(days) / sizeof(days[0]));
        }
        if (later && first)
                HW_CHECK(strcmp(later, first) != 0);
        free(fresh);
        release(&q);
        hw_plan_init(&q);
        OK(build(&q, &conf, &d, D + 1));
        fresh = dump(&q);
        if (HW_CHECK(fresh != NULL) && later)
                HW_CHECK_STR(later, fresh);

        /* And back: the same as the first build. */
        free(again);
        OK(build(&p, &conf, &d, D));
        again = dump(&p);
        if (again && first)
                HW_CHECK_STR(again, first);

        /* A key's kind comes from its batch alone: a sorted set in one
         * batch, a hash of the same name in the next. */
        hw_deltas_clear(&d2);
        OK(hw_deltas_rank(&d2, "k:shared", "m", 1));
        OK(build_shared(&p, &conf, &d2, D, 1));
        hw_deltas_clear(&d2);
        OK(hw_deltas_gauge(&d2, "k:shared", "m", 1));
        OK(build_shared(&p, &conf, &d2, D, 0));

        free(first);
        free(again);
        free(fresh);
        free(later);
        free(small);
        release(&p);
        release(&q);
        hw_deltas_release(&d);
        hw_deltas_release(&d2);
}

/* A plan never built releases cleanly; releasing twice is fine too. */
static void test_release_unbuilt(void) {
        hw_plan_t p;
        hw_plan_init(&p);
        HW_CHECK_EQ_INT(p.day, -1);
        HW_CHECK_EQ_INT(p.n_keys, 0);
        release(&p);
        release(&p);
        HW_CHECK_EQ_INT(p.day, -1);
}

/* ------------------------------------------------------------------ */
/* 12. The record format of a day's bucket log (hw_plan_log_each). */

#define MAX_RECS 8

/* What hw_plan_log_each passed to its function, record by record. */
typedef struct recs_s {
        size_t n;
        char name[MAX_RECS][64];
        size_t nlen[MAX_RECS];
        int64_t delta[MAX_RECS];
        size_t fail_at; /* fail on record fail_at (1-based; 0: never) */
} recs_t;

static int collect_rec(void *ctx, const char *name, size_t nlen,
                       int64_t delta) {
        recs_t *r = ctx;
        if (r->n == MAX_RECS || nlen >= sizeof(r->name[0]))
                return -1;
        memcpy(r->name[r->n], name, nlen);
        r->name[r->n][nlen] = '\0';
        r->nlen[r->n] = nlen;
        r->delta[r->n] = delta;
        r->n++;
        return r->n == r->fail_at ? 1 : 0;
}

/* Checks record i: name (nlen bytes, NULs and all) and delta. */
static void check_rec(const recs_t *r, size_t i, const char *name, size_t nlen,
                      int64_t delta) {
        HW_CONTEXT("record %zu", i);
        if (HW_CHECK(i < r->n) && HW_CHECK_EQ_INT(r->nlen[i], nlen))
                HW_CHECK_MEM(r->name[i], name, nlen);
        if (i < r->n)
                HW_CHECK_EQ_INT(r->delta[i], delta);
        HW_CONTEXT("%s", "");
}

/* hw_plan_log_each over a copy of text[0 .. len) in a buffer of exactly
 * len bytes (no NUL after it), so a read past the end is an error under
 * valgrind and AddressSanitizer. */
static int log_each_exact(const char *text, size_t len, recs_t *r) {
        char *copy = malloc(len ? len : 1);
        int rc;
        if (!HW_CHECK(copy != NULL))
                return -2;
        memcpy(copy, text, len);
        rc = hw_plan_log_each(copy, len, collect_rec, r);
        free(copy);
        return rc;
}

/* Checks that text (its strlen) is refused before any record reaches fn
 * (or after `good` good ones). */
static void check_log_refused(const char *text, size_t good) {
        recs_t r;
        memset(&r, 0, sizeof(r));
        HW_CONTEXT("log \"%s\"", text);
        HW_CHECK_EQ_INT(log_each_exact(text, strlen(text), &r), -1);
        HW_CHECK_EQ_INT(r.n, good);
        HW_CONTEXT("%s", "");
}

static void test_log_each(void) {
        /* Names with a space, colons, '=' and a newline (the length says
         * where they end); negative, zero, 18-digit and the largest deltas; a length
         * with a leading zero. */
        static const char text[] = "10:flow:in FR=3\n"
                                   "21:org:a:offers A=B: c d=-42\n"
                                   "5:x y\nz=7\n"
                                   "3:a b=-999999999999999999\n"
                                   "3:a b=0\n"
                                   "03:a b=999999999999999999\n"
                                   "3:a b=9223372036854775807\n";
        recs_t r;

        memset(&r, 0, sizeof(r));
        HW_CHECK_EQ_INT(log_each_exact(text, sizeof(text) - 1, &r), 0);
        if (HW_CHECK_EQ_INT(r.n, 7)) {
                check_rec(&r, 0, "flow:in FR", 10, 3);
                check_rec(&r, 1, "org:a:offers A=B: c d", 21, -42);
                check_rec(&r, 2, "x y\nz", 5, 7);
                check_rec(&r, 3, "a b", 3, INT64_C(-999999999999999999));
                check_rec(&r, 4, "a b", 3, 0);
                check_rec(&r, 5, "a b", 3, INT64_C(999999999999999999));
                check_rec(&r, 6, "a b", 3, INT64_MAX);
        }
        /* A NUL in a name is just a byte. */
        memset(&r, 0, sizeof(r));
        HW_CHECK_EQ_INT(log_each_exact("3:a\0b=1\n", 8, &r), 0);
        if (HW_CHECK_EQ_INT(r.n, 1))
                check_rec(&r, 0, "a\0b", 3, 1);
        /* An empty log has no record. */
        memset(&r, 0, sizeof(r));
        HW_CHECK_EQ_INT(log_each_exact("", 0, &r), 0);
        HW_CHECK_EQ_INT(r.n, 0);
        /* Only len bytes are read: a whole record, then half of one. */
        memset(&r, 0, sizeof(r));
        HW_CHECK_EQ_INT(log_each_exact("3:a b=1\n3:c d=2\n", 8, &r), 0);
        HW_CHECK_EQ_INT(r.n, 1);
        memset(&r, 0, sizeof(r));
        HW_CHECK_EQ_INT(log_each_exact("3:a b=1\n3:c d=2\n", 12, &r), -1);
        HW_CHECK_EQ_INT(r.n, 1);
        /* fn's non-zero stops the walk. */
        memset(&r, 0, sizeof(r));
        r.fail_at = 2;
        HW_CHECK_EQ_INT(log_each_exact(text, sizeof(text) - 1, &r), -1);
        HW_CHECK_EQ_INT(r.n, 2);

        /* No length. */
        check_log_refused(":a b=1\n", 0);
        check_log_refused("a b=1\n", 0);
        check_log_refused("3a b=1\n", 0);
        check_log_refused("3", 0);
        check_log_refused("3:", 0);
        check_log_refused("99999999999999999999999:a b=1\n", 0);
        /* A length past the end, or not the name's. */
        check_log_refused("9:a b=1\n", 0);
        check_log_refused("6:a b=1\n", 0);
        check_log_refused("4:a b=1\n", 0);
        check_log_refused("2:a b=1\n", 0);
        /* No '=' after the name. */
        check_log_refused("3:a b1\n", 0);
        check_log_refused("3:a b:1\n", 0);
        /* No '\n' after the delta (nor a delta). */
        check_log_refused("3:a b=1", 0);
        check_log_refused("3:a b=", 0);
        check_log_refused("3:a b=-", 0);
        check_log_refused("3:a b=-1", 0);
        check_log_refused("3:a b=1\r\n", 0);
        check_log_refused("3:a b=1 \n", 0);
        /* A delta that is not digits (with a leading '-'). */
        check_log_refused("3:a b=x\n", 0);
        check_log_refused("3:a b=+1\n", 0);
        check_log_refused("3:a b=1x\n", 0);
        check_log_refused("3:a b= 1\n", 0);
        check_log_refused("3:a b=--1\n", 0);
        /* Past the int64 range (what a compaction could write is not). */
        check_log_refused("3:a b=9223372036854775808\n", 0);
        check_log_refused("3:a b=12345678901234567890\n", 0);
        /* An empty delta. */
        check_log_refused("3:a b=\n", 0);
        check_log_refused("3:a b=-\n", 0);
        /* A bad record after good ones: they were passed on. */
        check_log_refused("3:a b=1\n3:c d=2\n3:e f=\n", 2);
}

/* ------------------------------------------------------------------ */
/* The slide: what the logs of the days leaving a window take out of it. */

/* A log of day whose text (kept by pointer) is text. */
static hw_plan_log_t log_of(int64_t day, const char *text) {
        hw_plan_log_t lg;
        memset(&lg, 0, sizeof(lg));
        hw_time_ymd(day, lg.ymd);
        lg.day = day;
        lg.text = text;
        lg.len = strlen(text);
        return lg;
}

/* Appends the record of (family, field, delta) to the log text in buf. */
static void put_rec(char *buf, size_t size, const char *family,
                    const char *field, int64_t delta) {
        size_t at = strlen(buf);
        int n = snprintf(buf + at, size - at, "%zu:%s %s=%" PRId64 "\n",
                         strlen(family) + 1 + strlen(field), family, field,
                         delta);
        HW_CHECK_MSG(n > 0 && (size_t)n < size - at, "log buffer too small");
}

/* Checks that the plan prunes exactly the raid keys want[0 .. n), each
 * once, in any order. */
static void check_prunes(const hw_plan_t *p, const char *const *want,
                         size_t n) {
        HW_CHECK_EQ_INT(p->n_prunes, n);
        for (size_t i = 0; i < p->n_prunes; i++) {
                size_t hits = 0;
                for (size_t j = 0; j < n; j++)
                        hits += !strcmp(p->prunes[i], want[j]);
                HW_CHECK_MSG(hits == 1, "prune %s not expected", p->prunes[i]);
        }
        for (size_t j = 0; j < n; j++) {
                size_t hits = 0;
                for (size_t i = 0; i < p->n_prunes; i++)
                        hits += !strcmp(p->prunes[i], want[j]);
                HW_CHECK_MSG(hits == 1, "prune %s listed %zu times", want[j],
                             hits);
        }
}

/* 13. One day on (D - 1 to D): a day d leaves window N iff d = D - N. */
static void test_slide_one_day(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        static const char *const prunes[] = {"raid:openai:open-ai",
                                             "raid:anthropic:google-deepmind"};
        char t7[256] = "", t10[256] = "", t30[256] = "", t90[256] = "";
        char t365[512] = "", errstr[256];
        hw_plan_log_t logs[5];
        hw_plan_slide_t slide;
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        /* D - 7 leaves 7d only: Meta's two records make one change. */
        put_rec(t7, sizeof(t7), "lab:openai:hires", "Meta", 2);
        put_rec(t7, sizeof(t7), "flow:in", "FR", 3);
        put_rec(t7, sizeof(t7), "lab:openai:hires", "Meta", 1);
        /* D - 10 left 7d days ago and is still in 30d: nothing. */
        put_rec(t10, sizeof(t10), "lab:openai:hires", "Meta", 100);
        /* D - 30 leaves 30d, D - 90 leaves 90d. */
        put_rec(t30, sizeof(t30), "lab:openai:hires", "Meta", 5);
        put_rec(t30, sizeof(t30), "org:meta:offers", "extended", 4);
        put_rec(t90, sizeof(t90), "flow:out", "CN", 2);
        /* D - 365 leaves 365d, the largest: a lab's hires prune the raid
         * key of (lab, org slug), once per slug; other families prune
         * nothing. */
        put_rec(t365, sizeof(t365), "lab:openai:hires", "Open AI", 2);
        put_rec(t365, sizeof(t365), "lab:anthropic:hires", "Google DeepMind",
                1);
        put_rec(t365, sizeof(t365), "lab:anthropic:hires", "Google  DeepMind!",
                1);
        put_rec(t365, sizeof(t365), "flow:out", "CN", 6);
        put_rec(t365, sizeof(t365), "school:mit:hires", "openai", 1);
        put_rec(t365, sizeof(t365), "lab:openai:offers", "Open AI", 1);
        logs[0] = log_of(D - 365, t365);
        logs[1] = log_of(D - 90, t90);
        logs[2] = log_of(D - 30, t30);
        logs[3] = log_of(D - 10, t10);
        logs[4] = log_of(D - 7, t7);
        slide = (hw_plan_slide_t){D - 1, logs, 5, NULL, 0, NULL};

        /* A batch with nothing of its own: the slide alone. */
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        check_shape(&p);
        HW_CHECK_EQ_INT(p.day, D);
        CHECK_CHANGE(&p, "lab:openai:hires:7d", "Meta", -3);
        CHECK_CHANGE(&p, "flow:7d:in", "FR", -3);
        CHECK_CHANGE(&p, "lab:openai:hires:30d", "Meta", -5);
        CHECK_CHANGE(&p, "org:meta:offers:30d", "extended", -4);
        CHECK_CHANGE(&p, "flow:90d:out", "CN", -2);
        CHECK_CHANGE(&p, "lab:openai:hires:365d", "Open AI", -2);
        CHECK_CHANGE(&p, "lab:anthropic:hires:365d", "Google DeepMind", -1);
        CHECK_CHANGE(&p, "lab:anthropic:hires:365d", "Google  DeepMind!", -1);
        CHECK_CHANGE(&p, "flow:365d:out", "CN", -6);
        CHECK_CHANGE(&p, "school:mit:hires:365d", "openai", -1);
        CHECK_CHANGE(&p, "lab:openai:offers:365d", "Open AI", -1);
        /* Nowhere else: a day leaves the windows it was in one by one. */
        CHECK_NO_KEY(&p, "flow:30d:in");
        CHECK_NO_KEY(&p, "flow:in:7d");
        CHECK_NO_KEY(&p, "flow:all:in");
        CHECK_NO_KEY(&p, "lab:openai:hires:90d");
        CHECK_NO_KEY(&p, "lab:openai:hires:all");
        CHECK_NO_KEY(&p, "org:meta:offers:90d");
        CHECK_NO_KEY(&p, "flow:30d:out");
        CHECK_NO_KEY(&p, "flow:all:out");
        HW_CHECK_EQ_INT(p.n_keys, 10);
        HW_CHECK_EQ_INT(p.n_changes, 11);
        HW_CHECK_EQ_INT(p.n_days, 0);
        HW_CHECK_EQ_INT(p.n_compacted, 0);
        HW_CHECK_EQ_INT(p.n_raids, 0);
        check_prunes(&p, prunes, 2);

        /* The batch's own changes merge with the slide's: FR's +3 on D
         * cancels the 7-day window's -3 (no change, and the key, with no
         * other field, goes); Meta's +1 on D - 2 adds to -3 and -5. */
        OK(hw_deltas_window(&d, "flow:in", "FR", D, 3));
        OK(hw_deltas_window(&d, "lab:openai:hires", "Meta", D - 2, 1));
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        check_shape(&p);
        CHECK_NO_KEY(&p, "flow:7d:in");
        CHECK_CHANGE(&p, "flow:30d:in", "FR", 3);
        CHECK_CHANGE(&p, "flow:90d:in", "FR", 3);
        CHECK_CHANGE(&p, "flow:365d:in", "FR", 3);
        CHECK_CHANGE(&p, "flow:all:in", "FR", 3);
        CHECK_CHANGE(&p, bkey(D), "flow:in FR", 3);
        CHECK_CHANGE(&p, "lab:openai:hires:7d", "Meta", -2);
        CHECK_CHANGE(&p, "lab:openai:hires:30d", "Meta", -4);
        CHECK_CHANGE(&p, "lab:openai:hires:90d", "Meta", 1);
        CHECK_CHANGE(&p, "lab:openai:hires:365d", "Meta", 1);
        CHECK_CHANGE(&p, "lab:openai:hires:365d", "Open AI", -2);
        CHECK_CHANGE(&p, "lab:openai:hires:all", "Meta", 1);
        CHECK_CHANGE(&p, bkey(D - 2), "lab:openai:hires Meta", 1);
        CHECK_CHANGE(&p, "flow:365d:out", "CN", -6);
        {
                const int64_t days[] = {D - 2, D};
                check_days(&p, days, 2);
        }
        /* Windows: 10 keys less flow:7d:in, plus flow:in's 30d, 90d,
         * 365d, all and lab:openai:hires' 90d, all; two buckets. */
        HW_CHECK_EQ_INT(p.n_keys, 10 - 1 + 4 + 2 + 2);
        check_prunes(&p, prunes, 2);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 14. Several days on (D - 10 to D): day d leaves window N iff
 * D - 10 - N < d <= D - N, so 7d loses D - 16 .. D - 7, 30d D - 39 ..
 * D - 30, 90d D - 99 .. D - 90 and 365d D - 374 .. D - 365. */
static const int g_jump_offsets[] = {7,  12, 16, 17,  29,  30,  39, 40,
                                     89, 90, 99, 100, 364, 365, 374};
#define N_JUMP (sizeof(g_jump_offsets) / sizeof(g_jump_offsets[0]))
#define JUMP 10

static void test_slide_jump(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        static const char *const prunes[] = {"raid:openai:meta-ai"};
        char texts[N_JUMP][128], errstr[256];
        hw_plan_log_t logs[N_JUMP];
        hw_plan_slide_t slide;
        size_t want_changes = 0;
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        /* Latest first here: the plan does not need them by day. */
        for (size_t i = 0; i < N_JUMP; i++) {
                int o = g_jump_offsets[i];
                texts[i][0] = '\0';
                put_rec(texts[i], sizeof(texts[i]), "org:x:offers",
                        fmt("d%d", o), o);
                if (o == 374)
                        put_rec(texts[i], sizeof(texts[i]), "lab:openai:hires",
                                "Meta AI", 1);
                if (o == 17) /* leaves nothing: no prune either */
                        put_rec(texts[i], sizeof(texts[i]), "lab:openai:hires",
                                "Old Co", 1);
                logs[i] = log_of(D - o, texts[i]);
        }
        slide = (hw_plan_slide_t){D - JUMP, logs, N_JUMP, NULL, 0, NULL};
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        check_shape(&p);

        for (size_t i = 0; i < N_JUMP; i++) {
                int o = g_jump_offsets[i];
                const char *field = fmt("d%d", o);
                HW_CONTEXT("log of D-%d", o);
                for (size_t w = 0; w < N_WINDOWS; w++) {
                        int n = g_windows[w];
                        const char *key = fmt("org:x:offers:%dd", n);
                        if (D - JUMP - n < D - o && D - o <= D - n) {
                                CHECK_CHANGE(&p, key, field, -o);
                                want_changes++;
                        } else {
                                CHECK_ABSENT(&p, key, field);
                        }
                }
        }
        HW_CONTEXT("%s", "");
        /* The boundaries, spelled out. */
        CHECK_CHANGE(&p, "org:x:offers:7d", "d7", -7);
        CHECK_CHANGE(&p, "org:x:offers:7d", "d12", -12);
        CHECK_CHANGE(&p, "org:x:offers:7d", "d16", -16);
        CHECK_ABSENT(&p, "org:x:offers:7d", "d17");
        CHECK_ABSENT(&p, "org:x:offers:30d", "d12");
        CHECK_ABSENT(&p, "org:x:offers:30d", "d29");
        CHECK_CHANGE(&p, "org:x:offers:30d", "d30", -30);
        CHECK_CHANGE(&p, "org:x:offers:30d", "d39", -39);
        CHECK_ABSENT(&p, "org:x:offers:30d", "d40");
        CHECK_ABSENT(&p, "org:x:offers:90d", "d89");
        CHECK_CHANGE(&p, "org:x:offers:90d", "d90", -90);
        CHECK_CHANGE(&p, "org:x:offers:90d", "d99", -99);
        CHECK_ABSENT(&p, "org:x:offers:90d", "d100");
        CHECK_ABSENT(&p, "org:x:offers:365d", "d364");
        CHECK_CHANGE(&p, "org:x:offers:365d", "d365", -365);
        CHECK_CHANGE(&p, "org:x:offers:365d", "d374", -374);
        CHECK_NO_KEY(&p, "org:x:offers:all");
        CHECK_KEY_N(&p, "org:x:offers:7d", 3);
        CHECK_KEY_N(&p, "org:x:offers:30d", 2);
        CHECK_KEY_N(&p, "org:x:offers:90d", 2);
        CHECK_KEY_N(&p, "org:x:offers:365d", 2);
        HW_CHECK_EQ_INT(want_changes, 9);
        /* The hires of D - 374 leave 365d; D - 17's leave nothing. */
        CHECK_CHANGE(&p, "lab:openai:hires:365d", "Meta AI", -1);
        CHECK_KEY_N(&p, "lab:openai:hires:365d", 1);
        CHECK_NO_KEY(&p, "lab:openai:hires:7d");
        CHECK_NO_KEY(&p, "lab:openai:hires:30d");
        HW_CHECK_EQ_INT(p.n_keys, 5);
        HW_CHECK_EQ_INT(p.n_changes, want_changes + 1);
        HW_CHECK_EQ_INT(p.n_days, 0);
        check_prunes(&p, prunes, 1);

        /* A log of a day that leaves no window on the way makes no
         * change, whatever it holds. */
        slide = (hw_plan_slide_t){D - JUMP, &logs[3], 1,
                                  NULL,     0,        NULL}; /* D-17 */
        HW_CHECK_EQ_INT(logs[3].day, D - 17);
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        HW_CHECK_EQ_INT(p.n_keys, 0);
        HW_CHECK_EQ_INT(p.n_changes, 0);
        HW_CHECK_EQ_INT(p.n_prunes, 0);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 15. Compaction: a log's records summed per name, in the order names
 * first appear, sums of 0 left out; emitted only when that is not empty
 * and shorter than 3/4 of the log, and not for a log the step deletes
 * (its day <= D - 365). */

/* Checks compacted entry i: the log of day, now text, if still was bytes
 * long. */
static void check_compacted(const hw_plan_t *p, size_t i, int64_t day,
                            const char *text, size_t was) {
        const hw_plan_day_t *c = &p->compacted[i];
        HW_CONTEXT("compacted %zu (%s)", i, ymd(day));
        if (HW_CHECK(i < p->n_compacted)) {
                HW_CHECK_EQ_INT(c->day, day);
                HW_CHECK_MSG(c->ymd && !memcmp(c->ymd, ymd(day), 8), "ymd %.8s",
                             c->ymd ? c->ymd : "(null)");
                if (HW_CHECK_EQ_INT(c->len, strlen(text)))
                        HW_CHECK_MEM(c->text, text, c->len);
                HW_CHECK_EQ_INT(c->was, was);
                HW_CHECK_EQ_INT(c->n, 0);
        }
        HW_CONTEXT("%s", "");
}

static void test_slide_compact(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        /* 98 bytes; US, FR and DE first appear in that order; DE sums to
         * 0. */
        static const char many[] = "10:flow:in US=4\n"
                                   "10:flow:in FR=2\n"
                                   "10:flow:in DE=1\n"
                                   "10:flow:in FR=3\n"
                                   "10:flow:in DE=-1\n"
                                   "10:flow:in FR=-1\n";
        static const char many_sums[] = "10:flow:in US=4\n"
                                        "10:flow:in FR=4\n";
        /* 32 bytes summed to 24: exactly 3/4, not shorter. */
        static const char three_q[] = "3:x a=1\n3:x b=1\n3:x c=1\n3:x a=1\n";
        /* 33 bytes summed to 24: under 3/4 (24.75). */
        static const char under[] = "3:x a=5\n3:x b=1\n3:x c=1\n3:x a=-4\n";
        static const char under_sums[] = "3:x a=1\n3:x b=1\n3:x c=1\n";
        /* Sums all 0: nothing left, left as it is. */
        static const char zero[] = "3:x a=1\n3:x a=-1\n";
        /* No name twice: the sums are the log. */
        static const char unique[] = "3:x a=1\n3:x b=2\n";
        hw_plan_log_t logs[8];
        hw_plan_slide_t slide;
        char errstr[256];
        hw_deltas_t d;
        hw_plan_t p;

        HW_CHECK_EQ_INT(sizeof(many) - 1, 98);
        HW_CHECK_EQ_INT(sizeof(three_q) - 1, 32);
        HW_CHECK_EQ_INT(sizeof(under) - 1, 33);
        hw_deltas_init(&d);
        hw_plan_init(&p);
        logs[0] = log_of(D - 3, many);
        logs[1] = log_of(D - 4, three_q);
        logs[2] = log_of(D - 5, under);
        logs[3] = log_of(D - 6, zero);
        logs[4] = log_of(D - 8, unique);
        logs[5] = log_of(D - 364, many); /* still in 365d: compacted */
        logs[6] = log_of(D - 365, many); /* deleted by the step */
        logs[7] = log_of(D - 400, many);

        /* A step that moves the day, and one that does not (a log this
         * consumer appended much to): the same. */
        for (int moves = 1; moves >= 0; moves--) {
                HW_CONTEXT("slide from D%s", moves ? " - 1" : "");
                slide = (hw_plan_slide_t){
                        moves ? D - 1 : D, NULL, 0, logs, 8, NULL};
                if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr,
                                    sizeof(errstr))))
                        break;
                /* Compaction changes no counter. */
                HW_CHECK_EQ_INT(p.n_keys, 0);
                HW_CHECK_EQ_INT(p.n_days, 0);
                HW_CHECK_EQ_INT(p.n_prunes, 0);
                if (!HW_CHECK_EQ_INT(p.n_compacted, 3))
                        continue;
                check_compacted(&p, 0, D - 3, many_sums, 98);
                check_compacted(&p, 1, D - 5, under_sums, 33);
                check_compacted(&p, 2, D - 364, many_sums, 98);
        }
        HW_CONTEXT("%s", "");

        /* A log both leaving and compacted (as the store passes them):
         * its sums leave 7d and it is compacted. */
        slide = (hw_plan_slide_t){D - 1, &logs[0], 1, &logs[0], 1, NULL};
        logs[0] = log_of(D - 7, many);
        if (OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr)))) {
                CHECK_CHANGE(&p, "flow:7d:in", "US", -4);
                CHECK_CHANGE(&p, "flow:7d:in", "FR", -4);
                CHECK_ABSENT(&p, "flow:7d:in", "DE");
                HW_CHECK_EQ_INT(p.n_keys, 1);
                if (HW_CHECK_EQ_INT(p.n_compacted, 1))
                        check_compacted(&p, 0, D - 7, many_sums, 98);
        }
        /* No slide: nothing compacted (and none left from before). */
        if (OK(build(&p, &conf, &d, D)))
                HW_CHECK_EQ_INT(p.n_compacted, 0);
        release(&p);
        hw_deltas_release(&d);
}

/* 16. A log not in the record format: HW_ERR_ARG naming its b:<yyyymmdd>
 * (no other log's); the plan builds again afterwards. */

/* Checks that building d with slide is refused naming bad_day's log. */
static void check_bad_log(hw_plan_t *p, const hw_plan_conf_t *conf,
                          const hw_deltas_t *d, int64_t D,
                          const hw_plan_slide_t *slide, int64_t bad_day,
                          const char *what) {
        char errstr[256];
        HW_CONTEXT("%s", what);
        HW_CHECK_EQ_INT(
                build_slide(p, conf, d, D, slide, errstr, sizeof(errstr)),
                HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr,
                          fmt("b:%s holds no bucket log", ymd(bad_day)));
        for (int pass = 0; pass < 2; pass++) {
                const hw_plan_log_t *l = pass ? slide->compact : slide->leaving;
                size_t n = pass ? slide->n_compact : slide->n_leaving;
                for (size_t i = 0; i < n; i++)
                        if (l[i].day != bad_day)
                                HW_CHECK_MSG(!strstr(errstr, l[i].ymd),
                                             "errstr names %s: %s", l[i].ymd,
                                             errstr);
        }
        HW_CONTEXT("%s", "");
}

/* The changes of the batch of test_slide_bad_log (FR +1 on D) with the
 * slide of D - 30 and D - 7 (FR 1 each) from D - 1. */
static void check_bad_log_batch(const hw_plan_t *p) {
        check_shape(p);
        CHECK_NO_KEY(p, "flow:7d:in");  /* D's +1, D - 7's -1 */
        CHECK_NO_KEY(p, "flow:30d:in"); /* D's +1, D - 30's -1 */
        CHECK_CHANGE(p, "flow:90d:in", "FR", 1);
        CHECK_CHANGE(p, "flow:365d:in", "FR", 1);
        CHECK_CHANGE(p, "flow:all:in", "FR", 1);
        CHECK_CHANGE(p, bkey(dday()), "flow:in FR", 1);
        HW_CHECK_EQ_INT(p->n_keys, 4);
}

static void test_slide_bad_log(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        hw_plan_log_t logs[3];
        hw_plan_slide_t slide;
        char errstr[256];
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        OK(hw_deltas_window(&d, "flow:in", "FR", D, 1));
        logs[0] = log_of(D - 30, "10:flow:in FR=1\n");
        logs[1] = log_of(D - 7, "10:flow:in FR=1\n10:flow:in DE=\n");
        logs[2] = log_of(D - 8, "10:flow:in FR=\n");
        slide = (hw_plan_slide_t){D - 1, logs, 3, NULL, 0, NULL};
        check_bad_log(&p, &conf, &d, D, &slide, D - 7, "empty delta");
        /* Records, but not of a "<family> <field>". */
        logs[1] = log_of(D - 7, "3:abc=1\n");
        check_bad_log(&p, &conf, &d, D, &slide, D - 7, "no space");
        logs[1] = log_of(D - 7, "4: abc=1\n");
        check_bad_log(&p, &conf, &d, D, &slide, D - 7, "no family");
        /* A log that leaves no window (D - 8 left 7d before) is still
         * read. */
        logs[1] = log_of(D - 7, "10:flow:in FR=1\n");
        check_bad_log(&p, &conf, &d, D, &slide, D - 8, "leaves nothing");

        /* The same for a log to compact. */
        logs[2] = log_of(D - 8, "10:flow:in FR=1\n");
        slide = (hw_plan_slide_t){D - 1, logs, 2, &logs[2], 1, NULL};
        if (OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr)))) {
                check_bad_log_batch(&p);
                HW_CHECK_EQ_INT(p.n_compacted, 0); /* one record: as short */
        }
        logs[2] = log_of(D - 3, "10:flow:in FR=1");
        check_bad_log(&p, &conf, &d, D, &slide, D - 3, "compacted");
        /* ... unless the step deletes it: it is not read. */
        logs[2] = log_of(D - 365, "10:flow:in FR=1");
        if (OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                HW_CHECK_EQ_INT(p.n_compacted, 0);

        /* After a refusal the plan builds again, whole. */
        logs[2] = log_of(D - 3, "x");
        check_bad_log(&p, &conf, &d, D, &slide, D - 3, "compacted, again");
        slide = (hw_plan_slide_t){D - 1, logs, 2, NULL, 0, NULL};
        if (OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                check_bad_log_batch(&p);
        release(&p);
        hw_deltas_release(&d);
}

/* 17. No slide: slide NULL, no day before the step (slide->day -1), no
 * day after it (D -1), or the same day before and after: the plan is
 * hw_plan_build's, whatever logs the slide holds. */

/* Builds d for day with slide into p and checks its dump is want, with
 * nothing pruned or compacted. */
static void check_no_slide(hw_plan_t *p, const hw_deltas_t *d, int64_t day,
                           const hw_plan_slide_t *slide, const char *want,
                           const char *what) {
        const hw_plan_conf_t conf = conf_std();
        char errstr[256], *got;

        HW_CONTEXT("%s", what);
        if (OK(build_slide(p, &conf, d, day, slide, errstr, sizeof(errstr)))) {
                got = dump(p);
                if (HW_CHECK(got != NULL) && want)
                        HW_CHECK_STR(got, want);
                HW_CHECK_EQ_INT(p->n_prunes, 0);
                HW_CHECK_EQ_INT(p->n_compacted, 0);
                free(got);
        }
        HW_CONTEXT("%s", "");
}

static void test_slide_none(void) {
        const hw_plan_conf_t conf = conf_std();
        static const char *const prunes[] = {"raid:openai:e0"};
        const int64_t D = dday();
        char t[256] = "", errstr[256];
        hw_plan_log_t logs[3];
        hw_plan_slide_t slide;
        char *want = NULL, *moved = NULL;
        hw_deltas_t d;
        hw_plan_t p;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        add_everything(&d, D);
        /* Logs that would take FR and e0 out of 7d, 30d and 365d. */
        put_rec(t, sizeof(t), "flow:in", "FR", 5);
        put_rec(t, sizeof(t), "lab:openai:hires", "e0", 1);
        logs[0] = log_of(D - 365, t);
        logs[1] = log_of(D - 30, t);
        logs[2] = log_of(D - 7, t);

        if (OK(build(&p, &conf, &d, D)))
                want = dump(&p);
        HW_CHECK(want != NULL);
        check_no_slide(&p, &d, D, NULL, want, "slide NULL");
        slide = (hw_plan_slide_t){-1, logs, 3, NULL, 0, NULL};
        check_no_slide(&p, &d, D, &slide, want, "no day before");
        /* (From D, the logs leaving are those of (D - 365, D - 7].) */
        slide = (hw_plan_slide_t){D, logs + 1, 2, NULL, 0, NULL};
        check_no_slide(&p, &d, D, &slide, want, "the same day");
        /* A slide whose logs are not read is not refused either. */
        logs[0] = log_of(D - 365, "not a log");
        slide = (hw_plan_slide_t){-1, logs, 3, NULL, 0, NULL};
        check_no_slide(&p, &d, D, &slide, want, "bad log, no day before");
        logs[0] = log_of(D - 365, t);

        /* The same logs from D - 1 do take their counts out. */
        slide = (hw_plan_slide_t){D - 1, logs, 3, NULL, 0, NULL};
        if (OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr)))) {
                moved = dump(&p);
                if (HW_CHECK(moved != NULL) && want)
                        HW_CHECK(strcmp(moved, want) != 0);
                /* add_everything's e0 (+1 on D) and FR (+2 on D - 3),
                 * less what each log takes out of the window it leaves. */
                CHECK_ABSENT(&p, FAM ":7d", "e0");
                CHECK_CHANGE(&p, FAM ":7d", "e6", 7);
                CHECK_ABSENT(&p, FAM ":30d", "e0");
                CHECK_CHANGE(&p, FAM ":90d", "e0", 1);
                CHECK_ABSENT(&p, FAM ":365d", "e0");
                CHECK_CHANGE(&p, FAM ":all", "e0", 1);
                CHECK_CHANGE(&p, "flow:7d:in", "FR", 2 - 5);
                CHECK_CHANGE(&p, "flow:30d:in", "FR", 2 - 5);
                CHECK_CHANGE(&p, "flow:90d:in", "FR", 2);
                CHECK_CHANGE(&p, "flow:365d:in", "FR", 2 - 5);
                check_prunes(&p, prunes, 1);
        }

        /* No day after the step (D -1): no slide, even from a day. */
        free(want);
        want = NULL;
        if (OK(build(&p, &conf, &d, -1)))
                want = dump(&p);
        HW_CHECK(want != NULL);
        slide = (hw_plan_slide_t){D - 1, logs, 3, NULL, 0, NULL};
        check_no_slide(&p, &d, -1, &slide, want, "no day after");
        check_no_slide(&p, &d, -1, NULL, want, "no day after, NULL");
        free(want);
        free(moved);
        release(&p);
        hw_deltas_release(&d);
}

/* A log read from byte `from` on (its length: from + strlen(text)). */
static hw_plan_log_t log_from(int64_t day, const char *text, size_t from,
                              int64_t gen) {
        hw_plan_log_t lg = log_of(day, text);
        lg.from = from;
        lg.len += from;
        lg.gen = gen;
        return lg;
}

/* Checks what hw_plan_log_known says of day under epoch. */
static void check_known(const hw_plan_t *p, const char *epoch, int64_t day,
                        int known, int64_t gen, size_t len) {
        int64_t g = -1;
        size_t l = 0;
        HW_CONTEXT("known %s under epoch %s", ymd(day), epoch);
        if (HW_CHECK_EQ_INT(hw_plan_log_known(p, epoch, day, &g, &l), known) &&
            known) {
                HW_CHECK_EQ_INT(g, gen);
                HW_CHECK_EQ_INT(l, len);
        }
        HW_CONTEXT("%s", "");
}

/* 18. The logs the slides read are kept: a later slide that reads only
 * what was appended after the part the plan holds (from > 0) plans what
 * the whole log would, and its compaction sums the whole log; the cache
 * holds for one epoch and one generation, follows a compaction the step
 * applied, and forgets a day that left every window. */
static void test_slide_cached(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        char t7[256] = "", more[256] = "", whole[512] = "", more2[64] = "";
        char errstr[256];
        hw_plan_log_t lg;
        hw_plan_slide_t slide;
        hw_plan_day_t cd;
        hw_deltas_t d;
        hw_plan_t p, q;

        hw_deltas_init(&d);
        hw_plan_init(&p);
        hw_plan_init(&q);
        put_rec(t7, sizeof(t7), "flow:in", "FR", 3);
        put_rec(t7, sizeof(t7), "lab:openai:hires", "Meta", 2);
        put_rec(more, sizeof(more), "flow:in", "FR", 4);
        put_rec(more, sizeof(more), "flow:in", "DE", 1);
        put_rec(more, sizeof(more), "flow:in", "FR", -1);
        put_rec(more, sizeof(more), "flow:in", "DE", -1);
        snprintf(whole, sizeof(whole), "%s%s", t7, more);
        put_rec(more2, sizeof(more2), "flow:in", "SE", 1);

        /* D - 7 leaves 7d: read whole, then known. */
        lg = log_from(D - 7, t7, 0, 2);
        slide = (hw_plan_slide_t){D - 1, &lg, 1, NULL, 0, "3"};
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        CHECK_CHANGE(&p, "flow:7d:in", "FR", -3);
        CHECK_CHANGE(&p, "lab:openai:hires:7d", "Meta", -2);
        check_known(&p, "3", D - 7, 1, 2, strlen(t7));
        check_known(&p, "4", D - 7, 0, 0, 0); /* another epoch */
        check_known(&p, "3", D - 8, 0, 0, 0); /* never read */
        check_known(&q, "3", D - 7, 0, 0, 0); /* another plan */

        /* Appended to since; on to D + 23, where it leaves 30d and is
         * compacted: only what follows is read. */
        lg = log_from(D - 7, more, strlen(t7), 2);
        slide = (hw_plan_slide_t){D, &lg, 1, &lg, 1, "3"};
        for (int pass = 0; pass < 2; pass++) {
                /* The same from the whole log, in a plan of its own. */
                hw_plan_t *pl = pass ? &q : &p;
                hw_plan_log_t w = log_from(D - 7, whole, 0, 2);
                hw_plan_slide_t ws = {D, &w, 1, &w, 1, "3"};
                HW_CONTEXT("%s", pass ? "whole log" : "cached part");
                if (!OK(build_slide(pl, &conf, &d, D + 23, pass ? &ws : &slide,
                                    errstr, sizeof(errstr))))
                        goto out;
                CHECK_CHANGE(pl, "flow:30d:in", "FR", -6);
                CHECK_CHANGE(pl, "lab:openai:hires:30d", "Meta", -2);
                CHECK_NO_KEY(pl, "flow:7d:in");
                HW_CHECK_EQ_INT(pl->n_keys, 2);
                HW_CHECK_EQ_INT(pl->n_changes, 2);
                check_compacted(pl, 0, D - 7,
                                "10:flow:in FR=6\n21:lab:openai:hires Meta=2\n",
                                strlen(whole));
                check_known(pl, "3", D - 7, 1, 2, strlen(whole));
        }
        HW_CONTEXT("%s", "");
        if (!HW_CHECK_EQ_INT(p.n_compacted, 1))
                goto out;

        /* The step applied the compaction: one generation on, its length.
         * One it did not apply (another length) changes nothing. */
        cd = p.compacted[0];
        cd.was = strlen(whole) + 1;
        hw_plan_log_compacted(&p, &cd);
        check_known(&p, "3", D - 7, 1, 2, strlen(whole));
        cd = p.compacted[0];
        hw_plan_log_compacted(&p, &cd);
        check_known(&p, "3", D - 7, 1, 3, 43);

        /* What was appended after the compaction, on to D + 90 (D - 7
         * leaves 90d). */
        lg = log_from(D - 7, more2, 43, 3);
        slide = (hw_plan_slide_t){D + 23, &lg, 1, NULL, 0, "3"};
        if (!OK(build_slide(&p, &conf, &d, D + 90, &slide, errstr,
                            sizeof(errstr))))
                goto out;
        CHECK_CHANGE(&p, "flow:90d:in", "FR", -6);
        CHECK_CHANGE(&p, "flow:90d:in", "SE", -1);
        CHECK_CHANGE(&p, "lab:openai:hires:90d", "Meta", -2);
        HW_CHECK_EQ_INT(p.n_changes, 3);
        check_known(&p, "3", D - 7, 1, 3, 59);

        /* Text after a part the plan does not hold is refused: another
         * length, another generation, another epoch. */
        lg = log_from(D - 7, more2, 42, 3);
        slide = (hw_plan_slide_t){D + 90, &lg, 1, NULL, 0, "3"};
        HW_CHECK_EQ_INT(build_slide(&p, &conf, &d, D + 300, &slide, errstr,
                                    sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr,
                          fmt("b:%s was read from byte 42", ymd(D - 7)));
        lg = log_from(D - 7, more2, 59, 4);
        HW_CHECK_EQ_INT(build_slide(&p, &conf, &d, D + 300, &slide, errstr,
                                    sizeof(errstr)),
                        HW_ERR_INTERNAL);
        lg = log_from(D - 7, more2, 59, 3);
        slide.epoch = "4";
        HW_CHECK_EQ_INT(build_slide(&p, &conf, &d, D + 300, &slide, errstr,
                                    sizeof(errstr)),
                        HW_ERR_INTERNAL);
        check_known(&p, "3", D - 7, 0, 0, 0); /* the epoch moved on */

        /* Read whole again; then a day it leaves every window: forgotten. */
        lg = log_from(D - 7, whole, 0, 5);
        slide = (hw_plan_slide_t){D + 90, &lg, 1, NULL, 0, "4"};
        if (OK(build_slide(&p, &conf, &d, D + 300, &slide, errstr,
                           sizeof(errstr)))) {
                CHECK_ABSENT(&p, "flow:365d:in", "FR"); /* leaves none */
                check_known(&p, "4", D - 7, 1, 5, strlen(whole));
        }
        if (OK(build(&p, &conf, &d, D + 358)))
                check_known(&p, "4", D - 7, 0, 0, 0);
out:
        release(&p);
        release(&q);
        hw_deltas_release(&d);
}

int main(void) {
        HW_RUN_ISOLATED(test_fanout);
        HW_RUN_ISOLATED(test_no_watermark);
        HW_RUN_ISOLATED(test_aggregation);
        HW_RUN_ISOLATED(test_key_names);
        HW_RUN_ISOLATED(test_ranks_zset);
        HW_RUN_ISOLATED(test_days);
        HW_RUN_ISOLATED(test_raids);
        HW_RUN_ISOLATED(test_drains);
        HW_RUN_ISOLATED(test_seen);
        HW_RUN_ISOLATED(test_day_after);
        HW_RUN_ISOLATED(test_reuse);
        HW_RUN_ISOLATED(test_release_unbuilt);
        HW_RUN_ISOLATED(test_log_each);
        HW_RUN_ISOLATED(test_slide_one_day);
        HW_RUN_ISOLATED(test_slide_jump);
        HW_RUN_ISOLATED(test_slide_compact);
        HW_RUN_ISOLATED(test_slide_bad_log);
        HW_RUN_ISOLATED(test_slide_none);
        HW_RUN_ISOLATED(test_slide_cached);
        return hw_test_summary();
}
