/* Unit tests of the bucket logs' compaction and the plan's log cache. */
#include "plan_fixtures.h"

/* ------------------------------------------------------------------ */
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

/* The bucket day entry of day in p's days, or NULL. */
static const hw_plan_day_t *day_of(const hw_plan_t *p, int64_t day) {
        return find_day(p->days, p->n_days, day);
}

/* 19. What an applied step appended to a log the plan holds joins the
 * cache when the log's length after it (APPEND's reply) is the cached
 * part and the appended text: the next slide reads nothing of it and
 * takes out of the window what the whole log counts. With any other
 * length (another consumer appended too), or a day the plan does not
 * hold, the cache is as it was. */
static void test_slide_appended(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        char t7[128] = "", errstr[256];
        const hw_plan_day_t *dd;
        hw_plan_log_t lg;
        hw_plan_slide_t slide;
        hw_deltas_t d, none;
        hw_plan_t p;
        size_t held;

        hw_deltas_init(&d);
        hw_deltas_init(&none);
        hw_plan_init(&p);
        put_rec(t7, sizeof(t7), "flow:in", "FR", 3);

        /* D - 7 leaves 7d (read whole, now held) in the step whose batch
         * counts 2 more FR, 1 DE on D - 7 and 1 FR on D - 6. */
        OK(hw_deltas_window(&d, "flow:in", "FR", D - 7, 2));
        OK(hw_deltas_window(&d, "flow:in", "DE", D - 7, 1));
        OK(hw_deltas_window(&d, "flow:in", "FR", D - 6, 1));
        lg = log_from(D - 7, t7, 0, 2);
        slide = (hw_plan_slide_t){D - 1, &lg, 1, NULL, 0, "3"};
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        dd = day_of(&p, D - 7);
        if (!HW_CHECK(dd != NULL) || !HW_CHECK(day_of(&p, D - 6) != NULL))
                goto out;
        HW_CHECK_EQ_INT(dd->n_recs, 2);
        check_known(&p, "3", D - 7, 1, 2, strlen(t7));

        /* Another length: another consumer's records are in it too. */
        hw_plan_log_appended(&p, dd, strlen(t7) + dd->len + 16);
        check_known(&p, "3", D - 7, 1, 2, strlen(t7));
        /* The day the plan does not hold stays unknown. */
        hw_plan_log_appended(&p, day_of(&p, D - 6), day_of(&p, D - 6)->len);
        check_known(&p, "3", D - 6, 0, 0, 0);
        /* The step's records right after the part held: held too. */
        held = strlen(t7) + dd->len;
        hw_plan_log_appended(&p, dd, held);
        check_known(&p, "3", D - 7, 1, 2, held);

        /* On to D + 23 (D - 7 leaves 30d): nothing after the part held
         * is read, and what leaves counts the whole log. */
        lg = log_from(D - 7, "", held, 2);
        slide = (hw_plan_slide_t){D, &lg, 1, NULL, 0, "3"};
        if (!OK(build_slide(&p, &conf, &none, D + 23, &slide, errstr,
                            sizeof(errstr))))
                goto out;
        CHECK_CHANGE(&p, "flow:30d:in", "FR", -5);
        CHECK_CHANGE(&p, "flow:30d:in", "DE", -1);
        HW_CHECK_EQ_INT(p.n_changes, 2);
        check_known(&p, "3", D - 7, 1, 2, held);
out:
        release(&p);
        hw_deltas_release(&d);
        hw_deltas_release(&none);
}

int main(void) {
        HW_RUN_ISOLATED(test_slide_compact);
        HW_RUN_ISOLATED(test_slide_cached);
        HW_RUN_ISOLATED(test_slide_appended);
        return hw_test_summary();
}
