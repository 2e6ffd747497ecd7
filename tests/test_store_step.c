/*
 * Integration test of the Redis store's atomic step (store/hw_store.h,
 * store/hw_store.lua) through its C API, against a real redis-server
 * (tests/store_step.sh starts it and passes its port): the step applies a
 * batch, its fences (stored offsets, epoch, the watermark's day) refuse a
 * step and write nothing, and a step Redis refuses (a key of another type,
 * a counter that is not a number) writes nothing either. Then the slide,
 * as the watermark's day moves: a bucket log it read that changed, or a
 * day that appeared in its range, before the step makes it stale (nothing
 * written); a log that is not a string is refused, naming it; a leaving
 * log is replaced by its sums. Then a step only sent, its outcome read
 * later; last, raids.
 *
 * The cases run in order on one store and share Redis's state: each starts
 * from what the previous ones left. Every "nothing changed" compares a
 * snapshot of every key (SCAN + DUMP) before and after the step.
 *
 *   test_store_step PORT
 */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_config.h"
#include "hw_deltas.h"
#include "hw_plan.h"
#include "hw_store.h"
#include "hw_test.h"
#include "hw_time.h"

#define DAY HW_DAY_MS

/* 2025-06-15T10:00:00Z: the watermark of the first step. */
#define W1 INT64_C(1749981600000)
/* Two days later: the watermark another consumer stores (case 4). */
#define W2 (W1 + 2 * DAY)

static hw_config_t conf;
static hw_store_t *store;
static redisContext *side; /* a second connection: "another consumer" */
static hw_deltas_t deltas;
static hw_plan_t plan;
static hw_plan_conf_t plan_conf;
static char errstr[1024];
static int64_t stored_offset = -1; /* what st:offset:g:t:0 should hold */

/* ---- Redis helpers (the side connection) ---- */

/* Runs a command on the side connection; NULL (and a failed check) on an
 * error reply or a broken connection. */
static redisReply *cmd(const char *fmt, ...) {
        va_list ap;
        redisReply *r;

        va_start(ap, fmt);
        r = redisvCommand(side, fmt, ap);
        va_end(ap);
        if (!HW_CHECK_MSG(r != NULL, "redis: %s", side->errstr))
                return NULL;
        if (!HW_CHECK_MSG(r->type != REDIS_REPLY_ERROR, "redis %s: %s", fmt,
                          r->str)) {
                freeReplyObject(r);
                return NULL;
        }
        return r;
}

/* A command whose reply is not needed. */
static void run(const char *fmt, ...) {
        va_list ap;
        redisReply *r;

        va_start(ap, fmt);
        r = redisvCommand(side, fmt, ap);
        va_end(ap);
        HW_CHECK_MSG(r != NULL && r->type != REDIS_REPLY_ERROR, "redis %s: %s",
                     fmt, r ? r->str : side->errstr);
        if (r)
                freeReplyObject(r);
}

/* GET key into out ("(nil)" when absent). */
static const char *get(const char *key, char *out, size_t size) {
        redisReply *r = cmd("GET %s", key);
        snprintf(out, size, "%s",
                 !r                              ? "(error)"
                 : r->type == REDIS_REPLY_STRING ? r->str
                                                 : "(nil)");
        if (r)
                freeReplyObject(r);
        return out;
}

/* HGET key field into out ("(nil)" when absent). */
static const char *hget(const char *key, const char *field, char *out,
                        size_t size) {
        redisReply *r = cmd("HGET %s %s", key, field);
        snprintf(out, size, "%s",
                 !r                              ? "(error)"
                 : r->type == REDIS_REPLY_STRING ? r->str
                                                 : "(nil)");
        if (r)
                freeReplyObject(r);
        return out;
}

/* What a day's bucket log counts for name ("<family> <field>"): the sum
 * of its records, "(nil)" with none, "(bad log)" when not a log. */
typedef struct log_sum_s {
        const char *name;
        int64_t sum;
        int found;
} log_sum_t;

static int log_sum_record(void *ctx, const char *name, size_t nlen,
                          int64_t delta) {
        log_sum_t *ls = ctx;
        if (strlen(ls->name) == nlen && !memcmp(ls->name, name, nlen)) {
                ls->sum += delta;
                ls->found = 1;
        }
        return 0;
}

static const char *bucket(const char *key, const char *name, char *out,
                          size_t size) {
        redisReply *r = cmd("GET %s", key);
        log_sum_t ls = {name, 0, 0};
        if (!r || r->type != REDIS_REPLY_STRING)
                snprintf(out, size, "%s", !r ? "(error)" : "(nil)");
        else if (hw_plan_log_each(r->str, r->len, log_sum_record, &ls))
                snprintf(out, size, "(bad log)");
        else if (!ls.found)
                snprintf(out, size, "(nil)");
        else
                snprintf(out, size, "%" PRId64, ls.sum);
        if (r)
                freeReplyObject(r);
        return out;
}

#define CHECK_BUCKET(key, name, want)                                          \
        do {                                                                   \
                char buf_[256];                                                \
                HW_CONTEXT("bucket log %s, %s", key, name);                    \
                HW_CHECK_STR(bucket(key, name, buf_, sizeof(buf_)), want);     \
                HW_CONTEXT("%s", "");                                          \
        } while (0)
#define CHECK_GET(key, want)                                                   \
        do {                                                                   \
                char buf_[256];                                                \
                HW_CONTEXT("GET %s", key);                                     \
                HW_CHECK_STR(get(key, buf_, sizeof(buf_)), want);              \
                HW_CONTEXT("%s", "");                                          \
        } while (0)
#define CHECK_HGET(key, field, want)                                           \
        do {                                                                   \
                char buf_[256];                                                \
                HW_CONTEXT("HGET %s %s", key, field);                          \
                HW_CHECK_STR(hget(key, field, buf_, sizeof(buf_)), want);      \
                HW_CONTEXT("%s", "");                                          \
        } while (0)

/* ---- Snapshots: every key in the database and its DUMP ---- */

typedef struct snapshot_s {
        size_t n;
        char **keys;
        char **dumps;
        size_t *dump_lens;
} snapshot_t;

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snapshot_free(snapshot_t *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->keys[i]);
                free(s->dumps[i]);
        }
        free(s->keys);
        free(s->dumps);
        free(s->dump_lens);
        memset(s, 0, sizeof(*s));
}

static int snapshot_take(snapshot_t *s) {
        char cursor[32] = "0";
        size_t cap = 0;

        memset(s, 0, sizeof(*s));
        do {
                redisReply *r = cmd("SCAN %s COUNT 1000", cursor);
                if (!r)
                        return 0;
                if (!HW_CHECK(r->type == REDIS_REPLY_ARRAY &&
                              r->elements == 2)) {
                        freeReplyObject(r);
                        return 0;
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                for (size_t i = 0; i < r->element[1]->elements; i++) {
                        if (s->n == cap) {
                                cap = cap ? 2 * cap : 64;
                                s->keys = realloc(s->keys,
                                                  cap * sizeof(*s->keys));
                                if (!s->keys)
                                        abort();
                        }
                        s->keys[s->n++] =
                                strdup(r->element[1]->element[i]->str);
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0") != 0);
        if (s->n)
                qsort(s->keys, s->n, sizeof(*s->keys), cmp_str);
        s->dumps = calloc(s->n + 1, sizeof(*s->dumps));
        s->dump_lens = calloc(s->n + 1, sizeof(*s->dump_lens));
        if (!s->dumps || !s->dump_lens)
                abort();
        for (size_t i = 0; i < s->n; i++) {
                redisReply *r = cmd("DUMP %s", s->keys[i]);
                if (!r)
                        return 0;
                if (r->type == REDIS_REPLY_STRING) {
                        s->dumps[i] = malloc(r->len + 1);
                        if (!s->dumps[i])
                                abort();
                        memcpy(s->dumps[i], r->str, r->len);
                        s->dump_lens[i] = r->len;
                }
                freeReplyObject(r);
        }
        return 1;
}

/* Checks that Redis holds exactly what `before` recorded. */
static void check_unchanged(const snapshot_t *before, const char *what) {
        snapshot_t after;
        size_t i = 0, j = 0;
        int same = 1;

        if (!snapshot_take(&after))
                return;
        while (i < before->n || j < after.n) {
                int c = i == before->n ? 1
                        : j == after.n ? -1
                                       : strcmp(before->keys[i], after.keys[j]);
                if (c < 0) {
                        HW_CHECK_MSG(0, "%s: %s was deleted", what,
                                     before->keys[i]);
                        same = 0;
                        i++;
                } else if (c > 0) {
                        HW_CHECK_MSG(0, "%s: %s was created", what,
                                     after.keys[j]);
                        same = 0;
                        j++;
                } else {
                        int eq = before->dump_lens[i] == after.dump_lens[j] &&
                                 (before->dump_lens[i] == 0 ||
                                  memcmp(before->dumps[i], after.dumps[j],
                                         before->dump_lens[i]) == 0);
                        if (!eq) {
                                HW_CHECK_MSG(0, "%s: %s was changed", what,
                                             before->keys[i]);
                                same = 0;
                        }
                        i++;
                        j++;
                }
        }
        HW_CHECK_MSG(same, "%s: every key as before (%zu keys)", what,
                     before->n);
        snapshot_free(&after);
}

/* ---- Steps ---- */

static void begin(void) {
        HW_CHECK_EQ_INT(hw_store_begin(store, errstr, sizeof(errstr)), HW_OK);
}

/* Builds the plan of the deltas for the day after a step from watermark
 * `stored` (what the store read, or another value). */
static void plan_for(int64_t stored) {
        int64_t day = hw_plan_day_after(stored, deltas.watermark);
        const hw_plan_slide_t *slide;
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, &plan, &slide, errstr,
                                            sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_plan_build_slide(&plan, &plan_conf, &deltas, day,
                                            slide, errstr, sizeof(errstr)),
                        HW_OK);
}

/* Applies the deltas and plan with partition t/0 expecting `expected` and
 * storing `next`. Returns the error; *outcome is set on HW_OK. */
static hw_err_t apply(int64_t expected, int64_t next,
                      hw_store_outcome_t *outcome) {
        hw_store_offset_t off = {"t", 0, expected, next};
        errstr[0] = '\0';
        *outcome = (hw_store_outcome_t)-1;
        return hw_store_apply(store, &off, 1, &deltas, &plan, outcome, errstr,
                              sizeof(errstr));
}

/* Applies the step from offset expected to next and checks it was
 * applied; Redis then holds next. */
static void apply_ok(int64_t expected, int64_t next) {
        hw_store_outcome_t outcome;
        hw_err_t err = apply(expected, next, &outcome);
        if (!HW_CHECK_EQ_INT(err, HW_OK))
                fprintf(stderr, "    errstr: %s\n", errstr);
        HW_CHECK_EQ_INT(outcome, HW_STORE_APPLIED);
        stored_offset = next;
}

/* One event of the flow into country `field` at time ms, as a batch would
 * record it: a windowed counter of its day and its id. */
static void event(const char *id, int64_t ms, const char *field) {
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, ms, id), HW_OK);
        HW_CHECK_EQ_INT(
                hw_deltas_window(&deltas, "flow:in", field, hw_time_day(ms), 1),
                HW_OK);
}

static void offset_now(char *out, size_t size) {
        if (stored_offset < 0)
                snprintf(out, size, "(nil)");
        else
                snprintf(out, size, "%" PRId64, stored_offset);
}

/* 1. A step on an empty store is applied: the offset, the watermark, the
 * all-time and window counters and the day's bucket are written. */
static void test_applied(void) {
        begin();
        HW_CHECK_EQ_INT(hw_store_watermark(store), -1);
        hw_deltas_clear(&deltas);
        event("e1", W1, "FR");
        HW_CHECK_EQ_INT(deltas.watermark, W1);
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, W1 / DAY);
        apply_ok(-1, 5);

        CHECK_GET("st:offset:g:t:0", "5");
        CHECK_GET("st:watermark", "1749981600000");
        CHECK_HGET("st:flow:all:in", "FR", "1");
        CHECK_HGET("st:flow:7d:in", "FR", "1");
        CHECK_HGET("st:flow:30d:in", "FR", "1");
        CHECK_HGET("st:flow:90d:in", "FR", "1");
        CHECK_HGET("st:flow:365d:in", "FR", "1");
        CHECK_BUCKET("st:b:20250615", "flow:in FR", "1");
        {
                redisReply *r = cmd("SISMEMBER st:seen:20250615 e1");
                HW_CHECK(r && r->type == REDIS_REPLY_INTEGER &&
                         r->integer == 1);
                if (r)
                        freeReplyObject(r);
        }
}

/* 2. A step that expects another stored offset than Redis holds is fenced
 * and writes nothing. */
static void test_fenced_offsets(void) {
        hw_store_outcome_t outcome;
        snapshot_t before;
        hw_err_t err;

        begin();
        hw_deltas_clear(&deltas);
        event("e2", W1, "FR");
        plan_for(hw_store_watermark(store));
        if (!snapshot_take(&before))
                return;
        err = apply(3, 8, &outcome);
        HW_CHECK_EQ_INT(err, HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_FENCED);
        HW_CHECK_CONTAINS(errstr, "st:offset:g:t:0");
        HW_CHECK_CONTAINS(errstr, "\"5\"");
        check_unchanged(&before, "fenced by offsets");
        snapshot_free(&before);
        CHECK_GET("st:offset:g:t:0", "5");
        CHECK_HGET("st:flow:all:in", "FR", "1");
}

/* 3. A step whose batch began before the epoch moved (a replay's swap) is
 * fenced and writes nothing; begun again, the same batch is applied. */
static void test_fenced_epoch(void) {
        hw_store_outcome_t outcome;
        snapshot_t before;
        hw_err_t err;

        begin();
        hw_deltas_clear(&deltas);
        event("e3", W1, "FR");
        plan_for(hw_store_watermark(store));
        run("INCR st:epoch");
        if (!snapshot_take(&before))
                return;
        err = apply(5, 8, &outcome);
        HW_CHECK_EQ_INT(err, HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_FENCED);
        HW_CHECK_CONTAINS(errstr, "st:epoch");
        check_unchanged(&before, "fenced by the epoch");
        snapshot_free(&before);

        /* Begun again (the new epoch read), the batch applies. */
        begin();
        plan_for(hw_store_watermark(store));
        apply_ok(5, 8);
        CHECK_GET("st:offset:g:t:0", "8");
        CHECK_GET("st:epoch", "1");
        CHECK_HGET("st:flow:all:in", "FR", "2");
        CHECK_HGET("st:flow:7d:in", "FR", "2");
        CHECK_BUCKET("st:b:20250615", "flow:in FR", "2");
}

/* 4. Another consumer moves the watermark two days on after this batch
 * began: the plan made for the day read is stale and writes nothing; made
 * again for the new day, it counts an event 3 days behind the new
 * watermark in the 7-day window and one 8 days behind only in longer ones. */
static void test_stale(void) {
        const int64_t a = W2 - 3 * DAY, b = W2 - 8 * DAY;
        hw_store_outcome_t outcome;
        snapshot_t before;
        int64_t read;
        hw_err_t err;
        char buf[64];

        begin();
        read = hw_store_watermark(store);
        HW_CHECK_EQ_INT(read, W1);
        run("SET st:watermark %" PRId64, W2);
        hw_deltas_clear(&deltas);
        event("e4a", a, "PL");
        event("e4b", b, "PL");
        HW_CHECK_EQ_INT(deltas.watermark, a);
        plan_for(read);
        HW_CHECK_EQ_INT(plan.day, W1 / DAY);
        if (!snapshot_take(&before))
                return;
        err = apply(8, 12, &outcome);
        HW_CHECK_EQ_INT(err, HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_STALE);
        HW_CHECK_CONTAINS(errstr, "st:watermark");
        check_unchanged(&before, "stale watermark day");
        snapshot_free(&before);
        HW_CHECK_EQ_INT(hw_store_watermark(store), W2);

        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, W2 / DAY);
        apply_ok(8, 12);

        snprintf(buf, sizeof(buf), "%" PRId64, W2);
        CHECK_GET("st:watermark", buf); /* the events are older: it stays */
        CHECK_GET("st:offset:g:t:0", "12");
        CHECK_HGET("st:flow:all:in", "PL", "2");
        CHECK_HGET("st:flow:7d:in", "PL", "1");  /* only e4a (D - 3) */
        CHECK_HGET("st:flow:30d:in", "PL", "2"); /* both */
        CHECK_HGET("st:flow:90d:in", "PL", "2");
        CHECK_HGET("st:flow:365d:in", "PL", "2");
        CHECK_BUCKET("st:b:20250614", "flow:in PL", "1");
        CHECK_BUCKET("st:b:20250609", "flow:in PL", "1");
        /* The earlier steps' counts are untouched. */
        CHECK_HGET("st:flow:all:in", "FR", "2");
        CHECK_HGET("st:flow:7d:in", "FR", "2");
}

/* A step Redis refuses: an error naming `want`, and nothing written. */
static void check_refused(const char *want, const char *what) {
        hw_store_outcome_t outcome;
        snapshot_t before;
        hw_err_t err;
        char off[32];

        if (!snapshot_take(&before))
                return;
        err = apply(stored_offset, stored_offset + 1, &outcome);
        HW_CHECK_EQ_INT(err, HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, want);
        check_unchanged(&before, what);
        snapshot_free(&before);
        offset_now(off, sizeof(off));
        CHECK_GET("st:offset:g:t:0", off);
}

/* 5. A sorted set the step ranks in holds a string: WRONGTYPE, and none of
 * the step's other writes (offsets, counters, ids) happen. The same for a
 * key the step only writes. */
static void test_refused_wrongtype(void) {
        run("SET st:labs x");
        begin();
        hw_deltas_clear(&deltas);
        event("e5", W2, "FR");
        HW_CHECK_EQ_INT(hw_deltas_rank(&deltas, "labs", "some-lab", 1), HW_OK);
        plan_for(hw_store_watermark(store));
        check_refused("WRONGTYPE", "WRONGTYPE refused");
        CHECK_GET("st:labs", "x");
        run("DEL st:labs");

        /* A key the step writes without reading it (the day's set of
         * applied ids) is of another type: caught by the step's type
         * checks, before any write. */
        run("SET st:seen:20250617 x");
        begin();
        hw_deltas_clear(&deltas);
        event("e5", W2, "FR");
        plan_for(hw_store_watermark(store));
        check_refused("WRONGTYPE", "WRONGTYPE (unread key) refused");
        HW_CHECK_CONTAINS(errstr, "st:seen:20250617");
        CHECK_GET("st:seen:20250617", "x");
        run("DEL st:seen:20250617");
}

/* 6. A counter the step adds to holds a non-number: refused, nothing
 * written; with the counter repaired, the same batch applies. */
static void test_refused_not_a_number(void) {
        run("HSET st:flow:all:in FR many");
        begin();
        hw_deltas_clear(&deltas);
        event("e6", W2, "FR");
        plan_for(hw_store_watermark(store));
        check_refused("not a number", "non-number refused");
        CHECK_HGET("st:flow:all:in", "FR", "many");

        run("HSET st:flow:all:in FR 2");
        begin();
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_GET("st:offset:g:t:0", "13");
        CHECK_HGET("st:flow:all:in", "FR", "3");
        CHECK_HGET("st:flow:7d:in", "FR", "3");
        CHECK_BUCKET("st:b:20250617", "flow:in FR", "1");
}

/* ---- The slide: bucket logs read when the watermark's day moves ---- */

/* The day number of 2025-06-<d> (W1's day is the 15th). */
static int64_t june(int d) {
        return W1 / DAY - 15 + d;
}

/* Noon of 2025-06-<d>, plus ms. */
static int64_t june_noon(int d, int64_t ms) {
        return june(d) * DAY + DAY / 2 + ms;
}

/* What another consumer's step counting delta of flow into field on a
 * day every window holds does to them: flow:<W>:in's field += delta. */
static void other_counts(const char *field, int delta) {
        static const char *const windows[] = {"7d", "30d", "90d", "365d",
                                              "all"};
        for (size_t i = 0; i < sizeof(windows) / sizeof(*windows); i++)
                run("HINCRBY st:flow:%s:in %s %d", windows[i], field, delta);
}

/* Applies a plan expected stale: nothing written. */
static void check_stale(const char *what) {
        hw_store_outcome_t outcome;
        snapshot_t before;
        hw_err_t err;

        if (!snapshot_take(&before))
                return;
        err = apply(stored_offset, stored_offset + 1, &outcome);
        HW_CHECK_EQ_INT(err, HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_STALE);
        check_unchanged(&before, what);
        snapshot_free(&before);
}

/* 7. Another consumer appends to a log the slide read (a day leaving
 * 7d) between the read and the step: stale, nothing written. Read and
 * planned again, 7d loses the log's whole count, appended record
 * included, and the log is replaced by its sums. */
static void test_stale_log(void) {
        char buf[64];

        /* SE on 06-10, 06-12 (twice) and 06-16; the day stays 06-17. */
        begin();
        hw_deltas_clear(&deltas);
        event("s1", june_noon(12, 0), "SE");
        event("s2", june_noon(12, 1000), "SE");
        event("s3", june_noon(16, 0), "SE");
        event("s4", june_noon(10, 0), "SE");
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(17));
        HW_CHECK_EQ_INT(plan.n_compacted, 0);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:7d:in", "SE", "3"); /* after 06-10 */
        CHECK_HGET("st:flow:30d:in", "SE", "4");
        CHECK_GET("st:b:20250612", "10:flow:in SE=2\n");

        /* An event of 06-20 moves the day from 06-17: 06-11 .. 06-13
         * leave 7d (06-12 has a log). */
        begin();
        hw_deltas_clear(&deltas);
        event("s5", june_noon(20, 0), "SE");
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(20));
        /* Another consumer's step: 5 more SE on 06-12, in every window. */
        run("APPEND st:b:20250612 %s", "10:flow:in SE=5\n");
        other_counts("SE", 5);
        check_stale("stale: a leaving log appended to");
        HW_CHECK_EQ_INT(hw_store_watermark(store), W2);
        CHECK_GET("st:b:20250612", "10:flow:in SE=2\n10:flow:in SE=5\n");
        CHECK_HGET("st:flow:7d:in", "SE", "8");

        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(20));
        apply_ok(stored_offset, stored_offset + 1);
        snprintf(buf, sizeof(buf), "%" PRId64, june_noon(20, 0));
        CHECK_GET("st:watermark", buf);
        /* 7d: 06-16 and 06-20; 06-12's 2 + 5 left it. */
        CHECK_HGET("st:flow:7d:in", "SE", "2");
        CHECK_HGET("st:flow:30d:in", "SE", "10");
        CHECK_HGET("st:flow:90d:in", "SE", "10");
        CHECK_HGET("st:flow:365d:in", "SE", "10");
        CHECK_HGET("st:flow:all:in", "SE", "10");
        /* Days after 06-13 stay in 7d: PL of 06-14, FR of 06-15, 06-17. */
        CHECK_HGET("st:flow:7d:in", "PL", "1");
        CHECK_HGET("st:flow:7d:in", "FR", "3");
        /* The leaving log of two records is summed (16 bytes, not 32);
         * those of one record stay as they are. */
        CHECK_GET("st:b:20250612", "10:flow:in SE=7\n");
        CHECK_GET("st:b:20250610", "10:flow:in SE=1\n");
        CHECK_GET("st:b:20250609", "10:flow:in PL=1\n");
        CHECK_BUCKET("st:b:20250620", "flow:in SE", "1");
}

/* 8. Another consumer writes the log of a day the slide's range holds
 * and it had none for (06-18, leaving 7d) between the read and the
 * step: stale, nothing written. Read and planned again, its count leaves
 * 7d too. */
static void test_stale_new_day(void) {
        begin();
        hw_deltas_clear(&deltas);
        event("s6", june_noon(25, 0), "SE");
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(25));
        run("ZADD st:b:days %" PRId64 " 20250618", june(18));
        run("SET st:b:20250618 %s", "10:flow:in SE=9\n");
        other_counts("SE", 9);
        check_stale("stale: a new day in the slide's range");
        CHECK_HGET("st:flow:7d:in", "SE", "11");

        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
        /* 7d holds 06-19 .. 06-25: SE of 06-20 and 06-25; 06-16's 1 and
         * 06-18's 9 left, and FR (06-15, 06-17) and PL (06-14) are 0:
         * gone. */
        CHECK_HGET("st:flow:7d:in", "SE", "2");
        CHECK_HGET("st:flow:7d:in", "FR", "(nil)");
        CHECK_HGET("st:flow:7d:in", "PL", "(nil)");
        CHECK_HGET("st:flow:30d:in", "SE", "20");
        CHECK_HGET("st:flow:30d:in", "FR", "3");
        CHECK_HGET("st:flow:30d:in", "PL", "2");
        CHECK_HGET("st:flow:all:in", "SE", "20");
        /* 06-15's two records of FR (tests 1 and 3), summed. */
        CHECK_GET("st:b:20250615", "10:flow:in FR=2\n");
        CHECK_GET("st:b:20250618", "10:flow:in SE=9\n");
}

/* 9. A log in the slide's range that is not a string (06-19, a hash):
 * reading the slide is refused naming it (so is the whole step), and
 * nothing is written; a log that is a string when read and a hash at
 * the step: the step is refused naming it, nothing written. */
static void test_refused_log_type(void) {
        hw_store_offset_t off;
        const hw_plan_slide_t *slide;
        hw_store_outcome_t outcome;
        snapshot_t before;
        char buf[64];

        run("ZADD st:b:days %" PRId64 " 20250619", june(19));
        run("HSET st:b:20250619 %s 1", "flow:in IS");
        begin();
        hw_deltas_clear(&deltas);
        event("s7", june_noon(27, 0), "SE");
        if (!snapshot_take(&before))
                return;
        HW_CHECK_EQ_INT(hw_store_read_slide(store, june(27), &plan, &slide,
                                            errstr, sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "GET st:b:20250619");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        off = (hw_store_offset_t){"t", 0, stored_offset, stored_offset + 1};
        HW_CHECK_EQ_INT(hw_store_step(store, &off, 1, &deltas, &plan, &outcome,
                                      errstr, sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "st:b:20250619");
        check_unchanged(&before, "leaving log a hash");
        snapshot_free(&before);

        run("DEL st:b:20250619");
        run("SET st:b:20250619 %s", "10:flow:in IS=1\n");
        begin();
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(27));
        run("DEL st:b:20250619");
        run("HSET st:b:20250619 %s 1", "flow:in IS");
        check_refused("st:b:20250619 is not a bucket log",
                      "leaving log a hash at the step");

        run("DEL st:b:20250619");
        run("ZREM st:b:days 20250619");
        snprintf(buf, sizeof(buf), "%" PRId64, june_noon(25, 0));
        CHECK_GET("st:watermark", buf);
}

/* 10. A log written by several steps (NO, DK, NO, NO on 06-22): the step
 * that moves the day so it leaves 7d replaces it with its sums, names in
 * the order they first appear, and the windows are right. */
static void test_compacted_log(void) {
        static const char *const fields[] = {"NO", "DK", "NO", "NO"};
        char id[16];

        for (int i = 0; i < 4; i++) {
                begin();
                hw_deltas_clear(&deltas);
                snprintf(id, sizeof(id), "c%d", i);
                event(id, june_noon(22, i), fields[i]);
                plan_for(hw_store_watermark(store));
                HW_CHECK_EQ_INT(plan.day, june(25));
                HW_CHECK_EQ_INT(plan.n_compacted, 0);
                apply_ok(stored_offset, stored_offset + 1);
        }
        CHECK_GET("st:b:20250622", "10:flow:in NO=1\n10:flow:in DK=1\n"
                                   "10:flow:in NO=1\n10:flow:in NO=1\n");
        CHECK_HGET("st:flow:7d:in", "NO", "3");
        CHECK_HGET("st:flow:7d:in", "DK", "1");

        /* 06-29: 06-19 .. 06-22 leave 7d. */
        begin();
        hw_deltas_clear(&deltas);
        event("c4", june_noon(29, 0), "SE");
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(29));
        HW_CHECK_EQ_INT(plan.n_compacted, 1);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_GET("st:b:20250622", "10:flow:in NO=3\n10:flow:in DK=1\n");
        CHECK_BUCKET("st:b:20250622", "flow:in NO", "3");
        CHECK_HGET("st:flow:7d:in", "NO", "(nil)");
        CHECK_HGET("st:flow:7d:in", "DK", "(nil)");
        CHECK_HGET("st:flow:30d:in", "NO", "3");
        CHECK_HGET("st:flow:30d:in", "DK", "1");
        CHECK_HGET("st:flow:all:in", "NO", "3");
        /* 7d: SE of 06-25 and 06-29; 06-20's left. */
        CHECK_HGET("st:flow:7d:in", "SE", "2");
        CHECK_HGET("st:flow:30d:in", "SE", "21");
        CHECK_GET("st:b:20250620", "10:flow:in SE=1\n");
}

/* 11. A log compacted and appended back to the length the slide read
 * (another consumer's compaction, then a step of its own) between the
 * read and the step: its generation (b:gen) tells, so the step is stale
 * and writes nothing; read and planned again, the log's whole count
 * leaves 7d, and its compaction keeps the record appended after the
 * other's. */
static void test_stale_compacted_log(void) {
        static const char *const ids[] = {"g1", "g2"};

        /* FI on 07-01 in two steps: a log of two records (32 bytes). */
        for (int i = 0; i < 2; i++) {
                begin();
                hw_deltas_clear(&deltas);
                event(ids[i], june_noon(31, i), "FI");
                plan_for(hw_store_watermark(store));
                apply_ok(stored_offset, stored_offset + 1);
        }
        CHECK_GET("st:b:20250701", "10:flow:in FI=1\n10:flow:in FI=1\n");
        CHECK_HGET("st:flow:7d:in", "FI", "2");

        /* 07-09: 07-01 leaves 7d. */
        begin();
        hw_deltas_clear(&deltas);
        event("g3", june_noon(39, 0), "FI");
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.day, june(39));
        /* The other consumer: compaction (16 bytes, generation 1), then a
         * record of its own (32 bytes again). */
        run("SET st:b:20250701 %s", "10:flow:in FI=2\n");
        run("HINCRBY st:b:gen 20250701 1");
        run("APPEND st:b:20250701 %s", "10:flow:in FI=1\n");
        other_counts("FI", 1);
        check_stale("stale: a leaving log compacted and appended back");
        CHECK_GET("st:b:20250701", "10:flow:in FI=2\n10:flow:in FI=1\n");

        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:7d:in", "FI", "1");  /* 07-09 only */
        CHECK_HGET("st:flow:30d:in", "FI", "4"); /* 3 on 07-01, 1 on 07-09 */
        CHECK_GET("st:b:20250701", "10:flow:in FI=3\n");
        CHECK_HGET("st:b:gen", "20250701", "2");
}

/* 12. A step only sent (hw_store_step_send): no other command goes to
 * the store until its outcome is read; read, it is applied as a waited
 * step is. One whose reads find the offsets moved is fenced at once,
 * nothing sent. */
static void test_sent_step(void) {
        hw_store_offset_t off = {"t", 0, stored_offset, stored_offset + 1};
        hw_store_outcome_t outcome = (hw_store_outcome_t)-1;
        char want[32];

        begin();
        hw_deltas_clear(&deltas);
        event("s1", june_noon(40, 0), "MT");
        HW_CHECK_EQ_INT(hw_store_step_send(store, &off, 1, &deltas, &plan,
                                           &outcome, errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_PENDING);
        HW_CHECK(hw_store_step_pending(store));
        /* Its reply would be taken for theirs. */
        HW_CHECK_EQ_INT(hw_store_begin(store, errstr, sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "reply is unread");
        for (int ms = 0; ms < 5000 && !hw_store_step_ready(store); ms++)
                usleep(1000);
        HW_CHECK(hw_store_step_ready(store));
        HW_CHECK_EQ_INT(
                hw_store_step_finish(store, &outcome, errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_APPLIED);
        HW_CHECK(!hw_store_step_pending(store));
        stored_offset++;
        snprintf(want, sizeof(want), "%" PRId64, stored_offset);
        CHECK_GET("st:offset:g:t:0", want);
        CHECK_HGET("st:flow:all:in", "MT", "1");
        CHECK_HGET("st:flow:7d:in", "MT", "1");
        HW_CHECK_EQ_INT(
                hw_store_step_finish(store, &outcome, errstr, sizeof(errstr)),
                HW_ERR_INTERNAL);

        begin();
        hw_deltas_clear(&deltas);
        event("s2", june_noon(40, 1), "MT");
        off.expected = stored_offset - 1;
        off.next = stored_offset + 5;
        HW_CHECK_EQ_INT(hw_store_step_send(store, &off, 1, &deltas, &plan,
                                           &outcome, errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_FENCED);
        HW_CHECK(!hw_store_step_pending(store));
        CHECK_GET("st:offset:g:t:0", want);
        CHECK_HGET("st:flow:all:in", "MT", "1");
}

/* A hire of the raid rule's: from org into lab "msl" on day (noon), as
 * the hire processor records it (its count in the lab's hires and the
 * event behind it). */
static void raid_hire(const char *id, const char *org, int64_t day) {
        int64_t ms = day * DAY + DAY / 2;
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, ms, id), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&deltas, "lab:msl:hires", org, day, 1),
                        HW_OK);
        HW_CHECK_EQ_INT(
                hw_deltas_evidence(&deltas, "lab:msl:hires", org, day, id),
                HW_OK);
}

/* A step of four hires from org into msl on days D - 3 .. D, ids
 * <prefix>0 .. <prefix>3, applied. */
static void four_hires(const char *prefix, const char *org, int64_t D) {
        char id[64];
        begin();
        hw_deltas_clear(&deltas);
        for (int k = 0; k < 4; k++) {
                snprintf(id, sizeof(id), "%s%d", prefix, k);
                raid_hire(id, org, D - 3 + k);
        }
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
}

/* How many entries of st:alerts have alert_id id. */
static int alerts_with(const char *id) {
        redisReply *r = cmd("XRANGE st:alerts - +");
        int n = 0;
        for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
             i++) {
                const redisReply *f = r->element[i]->element[1];
                for (size_t k = 0; k + 1 < f->elements; k += 2)
                        n += !strcmp(f->element[k]->str, "alert_id") &&
                             !strcmp(f->element[k + 1]->str, id);
        }
        if (r)
                freeReplyObject(r);
        return n;
}

/* 13. Raids, judged in C on the raid index (st:raid, a field a pair) and
 * the days of the raids raised (st:alert:raid). A store connecting to a
 * Redis whose alert:ids has raid ids but no alert:raid (alerts an earlier
 * layout wrote) gathers their days; four hires of a pair near a raid
 * raised there raise nothing, four of another pair raise one, recorded.
 * A pair's index that is not one refuses the step, naming it, and
 * nothing is written. */
static void test_raids(void) {
        hw_store_t *second;
        int64_t D;
        char ymd[9], id[64], want[128];

        begin();
        D = hw_time_day(hw_store_watermark(store));
        hw_time_ymd(D - 10, ymd);
        snprintf(id, sizeof(id), "raid:apple:msl:%s", ymd);
        run("SADD st:alert:ids %s mega_offer:x raid:not-an-id", id);
        run("DEL st:alert:raid");
        second = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        if (!HW_CHECK(second != NULL))
                return;
        HW_CHECK_EQ_INT(hw_store_connect(second, errstr, sizeof(errstr)),
                        HW_OK);
        hw_store_destroy(second);
        snprintf(want, sizeof(want), "%" PRId64, D - 10);
        CHECK_HGET("st:alert:raid", "msl:apple", want);

        four_hires("ra", "Apple", D);
        snprintf(want, sizeof(want),
                 "%" PRId64 " 3:ra0\n%" PRId64 " 3:ra1\n%" PRId64
                 " 3:ra2\n%" PRId64 " 3:ra3\n",
                 D - 3, D - 2, D - 1, D);
        CHECK_HGET("st:raid", "msl:apple", want);
        hw_time_ymd(D, ymd);
        snprintf(id, sizeof(id), "raid:apple:msl:%s", ymd);
        HW_CHECK_EQ_INT(alerts_with(id), 0);

        four_hires("rg", "Google", D);
        snprintf(id, sizeof(id), "raid:google:msl:%s", ymd);
        HW_CHECK_EQ_INT(alerts_with(id), 1);
        snprintf(want, sizeof(want), "%" PRId64, D);
        CHECK_HGET("st:alert:raid", "msl:google", want);
        snprintf(want, sizeof(want), "%" PRId64, D - 10);
        CHECK_HGET("st:alert:raid", "msl:apple", want);

        run("HSET st:raid msl:apple garbage");
        begin();
        hw_deltas_clear(&deltas);
        raid_hire("ra9", "Apple", D);
        plan_for(hw_store_watermark(store));
        check_refused("st:raid field msl:apple is not a raid index",
                      "a raid index that is not one refused");
        CHECK_HGET("st:raid", "msl:apple", "garbage");
        run("HDEL st:raid msl:apple");
        begin();
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
        snprintf(want, sizeof(want), "%" PRId64 " 3:ra9\n", D);
        CHECK_HGET("st:raid", "msl:apple", want);
}

int main(int argc, char **argv) {
        char url[128];
        int port;

        if (argc != 2 || (port = atoi(argv[1])) <= 0) {
                fprintf(stderr, "usage: %s REDIS_PORT\n", argv[0]);
                return 2;
        }
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
        if (hw_config_init(&conf) ||
            hw_config_set(&conf, "prefix", "st:", errstr, sizeof(errstr)) ||
            hw_config_set(&conf, "redis.url", url, errstr, sizeof(errstr)) ||
            hw_config_validate(&conf, errstr, sizeof(errstr))) {
                fprintf(stderr, "config: %s\n", errstr);
                return 1;
        }
        store = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        if (!store) {
                fprintf(stderr, "hw_store_new: %s\n", errstr);
                return 1;
        }
        if (hw_store_connect(store, errstr, sizeof(errstr))) {
                fprintf(stderr, "hw_store_connect: %s\n", errstr);
                return 1;
        }
        side = redisConnect("127.0.0.1", port);
        if (!side || side->err) {
                fprintf(stderr, "redisConnect: %s\n",
                        side ? side->errstr : "out of memory");
                return 1;
        }
        hw_deltas_init(&deltas);
        hw_plan_init(&plan);
        hw_store_plan_conf(store, &plan_conf);

        /* In order: each case starts from the state the previous left. */
        HW_RUN(test_applied);
        HW_RUN(test_fenced_offsets);
        HW_RUN(test_fenced_epoch);
        HW_RUN(test_stale);
        HW_RUN(test_refused_wrongtype);
        HW_RUN(test_refused_not_a_number);
        HW_RUN(test_stale_log);
        HW_RUN(test_stale_new_day);
        HW_RUN(test_refused_log_type);
        HW_RUN(test_compacted_log);
        HW_RUN(test_stale_compacted_log);
        HW_RUN(test_sent_step);
        HW_RUN(test_raids);

        hw_plan_release(&plan);
        hw_deltas_release(&deltas);
        redisFree(side);
        hw_store_destroy(store);
        hw_config_release(&conf);
        return hw_test_summary();
}
