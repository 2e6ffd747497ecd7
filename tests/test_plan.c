/* Unit tests of the plan of an atomic step: its changes, and reuse. */
/*
 * Deltas built by hand with the hw_deltas_* adders, turned into the flat
 * list of Redis changes for a fixed watermark day D (processors/hw_plan.c),
 * and every change looked up by (key, field): the window fan-out and its
 * boundaries, the daily buckets (one hash per day, b:<yyyymmdd>, fields
 * "<family> <field>"), no watermark (D = -1), per-(key, field) sums and
 * the changes that cancel out, flow key names, sorted sets,
 * hw_plan_day_after, and reusing one plan for several builds. The plan's
 * lists (bucket days, raid pairs, drains, seen ids) are
 * test_plan_lists.c's; the bucket logs and the slide test_plan_logs.c's,
 * test_plan_slide.c's and test_plan_compact.c's.
 */

#include "plan_fixtures.h"

/* ------------------------------------------------------------------ */
/* 1. Fan-out: an event of day d counts in window N iff d > D - N, always
 * in all, and in its daily bucket iff d > D - 365 (the largest window). */

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

int main(void) {
        HW_RUN_ISOLATED(test_fanout);
        HW_RUN_ISOLATED(test_no_watermark);
        HW_RUN_ISOLATED(test_aggregation);
        HW_RUN_ISOLATED(test_key_names);
        HW_RUN_ISOLATED(test_ranks_zset);
        HW_RUN_ISOLATED(test_day_after);
        HW_RUN_ISOLATED(test_reuse);
        HW_RUN_ISOLATED(test_release_unbuilt);
        return hw_test_summary();
}
