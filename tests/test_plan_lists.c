/* Unit tests of the plan's lists: bucket days, raids, drains, seen ids. */
#include "plan_fixtures.h"

/* ------------------------------------------------------------------ */
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

/* The seen ids of a day in the order they were applied, the days in
 * ascending order: days close together (counted into place) and days
 * further apart than a counting sort spans (compared). */
static void check_seen_order(int64_t far) {
        hw_plan_conf_t conf = conf_std();
        const int64_t D = dday();
        const int64_t at[] = {D, D - far, D - 9, D, D - far, D - 9, D};
        const char *const id[] = {"o-1", "o-2", "o-3", "o-4",
                                  "o-5", "o-6", "o-7"};
        const int64_t want_day[] = {D - far, D - 9, D};
        const char *const want[] = {"o-2", "o-5", "o-3", "o-6",
                                    "o-1", "o-4", "o-7"};
        hw_deltas_t d;
        hw_plan_t p;
        size_t k = 0;

        conf.seen_days = (int)far + 1;
        hw_deltas_init(&d);
        hw_plan_init(&p);
        for (size_t i = 0; i < 7; i++)
                OK(hw_deltas_seen(&d, at[i] * HW_DAY_MS, id[i]));
        if (OK(build(&p, &conf, &d, D)) && HW_CHECK_EQ_INT(p.n_seen, 3))
                for (size_t i = 0; i < 3; i++) {
                        HW_CHECK_EQ_INT(p.seen[i].day, want_day[i]);
                        for (size_t j = 0; j < p.seen[i].n && k < 7; j++)
                                HW_CHECK_STR(p.names[p.seen[i].first + j],
                                             want[k++]);
                }
        HW_CHECK_EQ_INT(k, 7);
        release(&p);
        hw_deltas_release(&d);
}

static void test_seen_order(void) {
        check_seen_order(40);
        check_seen_order(5000);
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

int main(void) {
        HW_RUN_ISOLATED(test_days);
        HW_RUN_ISOLATED(test_raids);
        HW_RUN_ISOLATED(test_drains);
        HW_RUN_ISOLATED(test_seen);
        HW_RUN_ISOLATED(test_seen_order);
        return hw_test_summary();
}
