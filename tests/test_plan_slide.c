/* Unit tests of the slide: what days leaving a window take out of it. */
/*
 * hw_plan_build_slide as the watermark's day moves one day or several,
 * merged with the batch's own changes, and no slide without a day before
 * the step.
 */
#include "plan_fixtures.h"

/* 13. One day on (D - 1 to D): a day d leaves window N iff d = D - N. */
static void test_slide_one_day(void) {
        const hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
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
        /* D - 365 leaves 365d, the largest. */
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
                if (o == 17) /* leaves nothing */
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

        /* A log of a day that leaves no window on the way makes no
         * change, whatever it holds. */
        slide = (hw_plan_slide_t){D - JUMP, &logs[3], 1,
                                  NULL,     0,        NULL}; /* D-17 */
        HW_CHECK_EQ_INT(logs[3].day, D - 17);
        if (!OK(build_slide(&p, &conf, &d, D, &slide, errstr, sizeof(errstr))))
                goto out;
        HW_CHECK_EQ_INT(p.n_keys, 0);
        HW_CHECK_EQ_INT(p.n_changes, 0);
out:
        release(&p);
        hw_deltas_release(&d);
}

/* 17. No slide: slide NULL, no day before the step (slide->day -1), no
 * day after it (D -1), or the same day before and after: the plan is
 * hw_plan_build's, whatever logs the slide holds. */

/* Builds d for day with slide into p and checks its dump is want, with
 * nothing compacted. */
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
                HW_CHECK_EQ_INT(p->n_compacted, 0);
                free(got);
        }
        HW_CONTEXT("%s", "");
}

static void test_slide_none(void) {
        const hw_plan_conf_t conf = conf_std();
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

int main(void) {
        HW_RUN_ISOLATED(test_slide_one_day);
        HW_RUN_ISOLATED(test_slide_jump);
        HW_RUN_ISOLATED(test_slide_none);
        return hw_test_summary();
}
