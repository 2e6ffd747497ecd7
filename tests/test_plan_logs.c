/* Unit tests of the bucket log's record format, and logs refused. */
/*
 * hw_plan_log_each over well-formed and malformed logs
 * (processors/hw_plan_logs.c), and hw_plan_build_slide refusing a log not
 * in the format. The slide itself is test_plan_slide.c's, compaction and
 * the logs' cache test_plan_compact.c's.
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

int main(void) {
        HW_RUN_ISOLATED(test_log_each);
        HW_RUN_ISOLATED(test_slide_bad_log);
        return hw_test_summary();
}
