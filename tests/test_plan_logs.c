/*
 * Unit tests for the bucket logs of the plan (processors/hw_plan_logs.c):
 * the record format (hw_plan_log_each) and hw_plan_build_slide: what the
 * days that leave a window take out of it as the watermark's day moves one
 * day or several, merged with the batch's own changes, the raid keys
 * pruned, the logs compacted, a log not in the format refused, no slide
 * without a day before the step, and the logs' cache.
 */
#include "plan_fixtures.h"

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
        HW_RUN_ISOLATED(test_log_each);
        HW_RUN_ISOLATED(test_slide_one_day);
        HW_RUN_ISOLATED(test_slide_jump);
        HW_RUN_ISOLATED(test_slide_compact);
        HW_RUN_ISOLATED(test_slide_bad_log);
        HW_RUN_ISOLATED(test_slide_none);
        HW_RUN_ISOLATED(test_slide_cached);
        return hw_test_summary();
}
