/*
 * Out of memory while the plan is built (oom_fixtures.h): the plan of a
 * step that slides the windows over bucket logs, some read before and
 * cached, and compacts others, built with its first allocation failing,
 * then its second, and so on. The plan lives from step to step in the
 * consumer (its keys, slots, (family, field) sums and cached logs), so a
 * build that fails must say so (HW_ERR_NOMEM, never a log "not in the
 * format") and leave the plan fit for the next: built again, it is what
 * a plan that never failed is, and so is the plan of the step after.
 */
#include "oom_fixtures.h"
#include "plan_fixtures.h"

#define EPOCH "7/1"
#define N_LOGS 13
#define MAX_LOGS 256

/* Redis's bucket logs as the steps leave them: b:<yyyymmdd> and its
 * generation (b:gen). */
typedef struct redis_log_s {
        int64_t day;
        char text[4096];
        size_t len;
        int64_t gen;
} redis_log_t;

/* The logs as the test starts: each day's records, some names twice
 * (compaction sums them), lab hires among them (one of a day leaving the
 * largest window). */
static redis_log_t g_start[N_LOGS];
static size_t g_n_start;

static void start_logs(int64_t D) {
        static const int ago[] = {1,  3,  6,  7,  8,   29, 31,
                                  33, 35, 89, 95, 365, 366};
        memset(g_start, 0, sizeof(g_start));
        for (size_t i = 0; i < N_LOGS; i++) {
                redis_log_t *lg = &g_start[i];
                lg->day = D - ago[i];
                lg->gen = (int64_t)i % 3;
                for (int r = 0; r < 24; r++)
                        put_rec(lg->text, sizeof(lg->text),
                                r % 3 ? "flow:in" : FAM,
                                fmt("%s %d", r % 2 ? "Open AI" : "XX",
                                    (r + (int)i) % 4),
                                r - 5);
                put_rec(lg->text, sizeof(lg->text), "lab:meta:hires",
                        "Google DeepMind", 2);
                lg->len = strlen(lg->text);
        }
        g_n_start = N_LOGS;
}

/* One test run's world: the plan, the deltas of three steps, and Redis's
 * logs. */
typedef struct world_s {
        hw_plan_conf_t conf;
        hw_plan_t p;
        hw_deltas_t d[3];
        int64_t day[4]; /* the watermark's day before step 1, after each */
        redis_log_t logs[MAX_LOGS];
        size_t n_logs;
        hw_plan_log_t read[MAX_LOGS]; /* what the last slide read */
        hw_plan_slide_t slide;
        char *want[3]; /* the plans of a world that never failed */
        int verbose;
} world_t;

static redis_log_t *log_of_day(world_t *w, int64_t day) {
        for (size_t i = 0; i < w->n_logs; i++)
                if (w->logs[i].day == day)
                        return &w->logs[i];
        return NULL;
}

/*
 * The slide of step k as the store reads it (store/store_reads.c): the
 * logs of days in (before - largest, after - smallest], and those to
 * compact; of a log whose first bytes the plan holds, only what follows.
 */
static const hw_plan_slide_t *read_slide(world_t *w, int k) {
        int64_t before = w->day[k], after = w->day[k + 1];
        int64_t largest = w->conf.windows[w->conf.n_windows - 1];
        size_t n = 0, n_leaving;

        for (size_t i = 0; i < w->n_logs; i++)
                if (w->logs[i].day > before - largest &&
                    w->logs[i].day <= after - w->conf.windows[0])
                        w->read[n++] = log_of(w->logs[i].day, "");
        n_leaving = n;
        /* Logs "appended much to" (step 1): those of the last days. */
        for (size_t i = 0; i < w->n_logs && k == 1; i++)
                if (w->logs[i].day > after - w->conf.windows[0])
                        w->read[n++] = log_of(w->logs[i].day, "");
        for (size_t i = 0; i < n; i++) {
                hw_plan_log_t *lg = &w->read[i];
                const redis_log_t *r = log_of_day(w, lg->day);
                if (hw_plan_log_known(&w->p, EPOCH, lg->day, &lg->gen,
                                      &lg->from) &&
                    lg->gen == r->gen && lg->from <= r->len) {
                        lg->text = r->text + lg->from;
                } else {
                        lg->from = 0;
                        lg->text = r->text;
                }
                lg->len = r->len;
                lg->gen = r->gen;
        }
        w->slide = (hw_plan_slide_t){before,        w->read,
                                     n_leaving,     w->read + n_leaving,
                                     n - n_leaving, EPOCH};
        return &w->slide;
}

/* What the step of plan p does to the logs once applied: appends its
 * records, replaces the logs it compacts (one generation on) and tells
 * the plan. */
static void apply_logs(world_t *w) {
        hw_plan_t *p = &w->p;
        for (size_t i = 0; i < p->n_compacted; i++) {
                redis_log_t *r = log_of_day(w, p->compacted[i].day);
                if (!HW_CHECK(r && r->len == p->compacted[i].was &&
                              r->gen == p->compacted[i].gen))
                        return;
                memcpy(r->text, p->compacted[i].text, p->compacted[i].len);
                r->len = p->compacted[i].len;
                r->gen++;
                hw_plan_log_compacted(p, &p->compacted[i]);
        }
        for (size_t i = 0; i < p->n_days; i++) {
                redis_log_t *r = log_of_day(w, p->days[i].day);
                if (!r) {
                        if (!HW_CHECK(w->n_logs < MAX_LOGS))
                                return;
                        r = &w->logs[w->n_logs++];
                        memset(r, 0, sizeof(*r));
                        r->day = p->days[i].day;
                }
                if (!HW_CHECK(r->len + p->days[i].len < sizeof(r->text)))
                        return;
                memcpy(r->text + r->len, p->days[i].text, p->days[i].len);
                r->len += p->days[i].len;
        }
}

/* Everything the plan says, dump() and more: the logs it compacts, each
 * change's slot and the generation. Caller frees. */
static char *plan_text(const hw_plan_t *p) {
        char *base = dump(p), *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!base || !f)
                abort();
        fputs(base, f);
        free(base);
        for (size_t i = 0; i < p->n_compacted; i++)
                fprintf(f, "compacted %.8s was %zu gen %" PRId64 ":\n%.*s",
                        p->compacted[i].ymd, p->compacted[i].was,
                        p->compacted[i].gen, (int)p->compacted[i].len,
                        p->compacted[i].text);
        for (size_t i = 0; i < p->n_days; i++)
                fprintf(f, "log %.8s:\n%.*s", p->days[i].ymd,
                        (int)p->days[i].len, p->days[i].text);
        for (size_t i = 0; i < p->n_changes; i++)
                fprintf(f, "slot %.*s %zu\n", (int)p->changes[i].len,
                        p->changes[i].field, p->changes[i].slot);
        fprintf(f, "generation %" PRIu64 " slots %zu\n", p->generation,
                p->n_slots);
        if (fclose(f))
                abort();
        return buf;
}

/* Builds the plan of step k (0, 1, 2) from the slide Redis holds now. */
static hw_err_t build_step(world_t *w, int k, char *errstr, size_t size) {
        const hw_plan_slide_t *sl = read_slide(w, k);
        return hw_plan_build_slide(&w->p, &w->conf, &w->d[k], w->day[k + 1], sl,
                                   errstr, size);
}

/* Checks the plan just built is step k's of a world that never failed,
 * then applies it to the logs. */
static void check_step(world_t *w, int k) {
        char *got = plan_text(&w->p);
        HW_CONTEXT("the plan of step %d", k + 1);
        if (!HW_CHECK(strcmp(got, w->want[k]) == 0) && w->verbose)
                fprintf(stderr, "    got:\n%s\n    wanted:\n%s\n", got,
                        w->want[k]);
        free(got);
        apply_logs(w);
}

/* The world before step 1 (step 0 applied): the same in every run. */
static void world_setup(void *ctx) {
        world_t *w = ctx;
        const int64_t D = dday();
        char errstr[256];

        hw_plan_init(&w->p);
        memcpy(w->logs, g_start, sizeof(g_start));
        w->n_logs = g_n_start;
        for (int k = 0; k < 3; k++)
                hw_deltas_init(&w->d[k]);
        /* Step 0: some of everything on D. Step 1 moves the day by 5
         * (logs leave 7d, 30d and 90d; those of step 0 are read on from
         * where it left them), with more names than the plan had. Step
         * 2 moves it by 300: days leave 365d too. */
        add_everything(&w->d[0], D);
        add_everything(&w->d[1], D + 5);
        for (int i = 0; i < 150; i++)
                OK(hw_deltas_window(&w->d[1], fmt("lab:l%03d:hires", i % 40),
                                    fmt("Org %d", i), D + 5 - i % 100, 1));
        add_everything(&w->d[2], D + 305);
        w->day[0] = D - 1;
        w->day[1] = D;
        w->day[2] = D + 5;
        w->day[3] = D + 305;
        if (!OK(build_step(w, 0, errstr, sizeof(errstr))))
                return;
        apply_logs(w);
}

static hw_err_t world_run(void *ctx, char *errstr, size_t size) {
        return build_step(ctx, 1, errstr, size);
}

/* The plan of step 1 (built again after a failure) is right, and so is
 * step 2's after it. */
static void world_check(void *ctx, hw_err_t err, unsigned long failed,
                        const char *errstr) {
        world_t *w = ctx;
        char again[256];
        (void)failed;
        (void)errstr;
        if (err && !OK(build_step(w, 1, again, sizeof(again))))
                return;
        check_step(w, 1);
        if (OK(build_step(w, 2, again, sizeof(again))))
                check_step(w, 2);
}

static void world_teardown(void *ctx) {
        world_t *w = ctx;
        hw_plan_release(&w->p);
        for (int k = 0; k < 3; k++)
                hw_deltas_release(&w->d[k]);
}

/* 1. The plan of a step that slides and compacts, with its allocations
 * failing in turn. */
static void test_plan_slide(void) {
        static world_t w;
        hw_oom_case_t oc = HW_OOM_CASE("building the plan", &w, world);
        char errstr[256];

        memset(&w, 0, sizeof(w));
        w.conf = conf_std();
        start_logs(dday());
        /* A world that never fails: the plans to compare with. */
        world_setup(&w);
        for (int k = 1; k < 3; k++) {
                if (!OK(build_step(&w, k, errstr, sizeof(errstr))))
                        return;
                w.want[k] = plan_text(&w.p);
                apply_logs(&w);
        }
        world_teardown(&w);
        /* Step 1 reads a log in part, slides and compacts; step 2 takes
         * a day out of the largest window. */
        HW_CHECK_CONTAINS(w.want[1], "compacted ");
        HW_CHECK_CONTAINS(w.want[2], "key lab:meta:hires:365d zset=0\n");
        w.verbose = 1;
        HW_CHECK(hw_oom_loop(&oc) > 50);
        /* Each insertion into the plan's maps, arenas and id maps failing
         * in turn, whether or not it would allocate: the plan keeps its
         * structures from step to step, so most insertions find their
         * memory there. */
        hw_oom_growth = 1;
        HW_CHECK(hw_oom_loop(&oc) > 100);
        hw_oom_growth = 0;
        for (int k = 1; k < 3; k++)
                free(w.want[k]);
}

int main(void) {
        HW_RUN_ISOLATED(test_plan_slide);
        return hw_test_summary();
}
