/* Integration tests of the store's slide as the watermark's day moves. */
/*
 * Against a real redis-server, after test_store_step on the same Redis
 * (store_fixtures.h): a bucket log the slide read that changed, or a day
 * that appeared in its range, before the step makes it stale (nothing
 * written); a log that is not a string is refused, naming it; a leaving
 * log is replaced by its sums, and so is one a consumer appended much
 * to, unless another wrote to it since the slide read it.
 *
 *   test_store_slide PORT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_deltas.h"
#include "hw_plan.h"
#include "hw_store.h"
#include "hw_test.h"
#include "hw_time.h"
#include "store_fixtures.h"

/* ---- The slide: bucket logs read when the watermark's day moves ---- */

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

/* ---- Compaction of the logs a consumer appended much to ---- */

#define BIG_NAMES 160

/* A step on 07-09 (the day stays) counting 1 of each of BIG_NAMES long
 * origins of lab zz: about 35 KiB appended to its log. */
static void big_step(int k) {
        char id[16], org[256];

        begin();
        hw_deltas_clear(&deltas);
        snprintf(id, sizeof(id), "big%d", k);
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, june_noon(39, k), id), HW_OK);
        for (int i = 0; i < BIG_NAMES; i++) {
                snprintf(org, sizeof(org), "%0200d", i);
                HW_CHECK_EQ_INT(hw_deltas_window(&deltas, "lab:zz:origin", org,
                                                 june(39), 1),
                                HW_OK);
        }
        plan_for(hw_store_watermark(store));
        HW_CHECK_EQ_INT(plan.n_compacted, 0);
        apply_ok(stored_offset, stored_offset + 1);
}

/* A step on 07-09 counting 1 of origin "small", planned; whether the plan
 * compacts the day's log (read with the slide) is returned. */
static size_t small_plan(int k) {
        char id[16];

        begin();
        hw_deltas_clear(&deltas);
        snprintf(id, sizeof(id), "small%d", k);
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, june_noon(39, 100 + k), id),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&deltas, "lab:zz:origin", "small",
                                         june(39), 1),
                        HW_OK);
        plan_for(hw_store_watermark(store));
        return plan.n_compacted;
}

static long long log_len(void) {
        redisReply *r = cmd("STRLEN st:b:20250709");
        long long n = r ? r->integer : -1;
        freeReplyObject(r);
        return n;
}

/* 12. A log this consumer appended over 64 KiB to since it last
 * compacted it (07-09, still in every window) is compacted by its next
 * step: replaced by its sums, one generation on. Another consumer's
 * record appended to it between the read and the step, or its
 * compaction (the generation moved), is never lost: that step applies
 * without compacting the log, and a later compaction sums the record
 * in. */
static void test_compact_appended(void) {
        char name[256], want[32];
        long long len;

        /* Appended to, then compacted by someone else: not compacted. */
        big_step(0);
        big_step(1);
        HW_CHECK(log_len() > 65536);
        HW_CHECK_EQ_INT(small_plan(0), 1);
        run("APPEND st:b:20250709 %s", "19:lab:zz:origin other=1\n");
        len = log_len();
        apply_ok(stored_offset, stored_offset + 1);
        HW_CHECK(log_len() > len);
        CHECK_BUCKET("st:b:20250709", "lab:zz:origin other", "1");
        CHECK_BUCKET("st:b:20250709", "lab:zz:origin small", "1");
        CHECK_HGET("st:b:gen", "20250709", "(nil)");

        big_step(2);
        big_step(3);
        HW_CHECK_EQ_INT(small_plan(1), 1);
        run("HINCRBY st:b:gen 20250709 1");
        len = log_len();
        apply_ok(stored_offset, stored_offset + 1);
        HW_CHECK(log_len() > len);
        CHECK_HGET("st:b:gen", "20250709", "1");

        /* Nothing in between: compacted, every count kept. */
        big_step(4);
        big_step(5);
        HW_CHECK_EQ_INT(small_plan(2), 1);
        apply_ok(stored_offset, stored_offset + 1);
        len = log_len();
        HW_CHECK(len > 0 && len < 40000);
        CHECK_HGET("st:b:gen", "20250709", "2");
        CHECK_BUCKET("st:b:20250709", "lab:zz:origin other", "1");
        CHECK_BUCKET("st:b:20250709", "lab:zz:origin small", "3");
        snprintf(name, sizeof(name), "lab:zz:origin %0200d", BIG_NAMES - 1);
        CHECK_BUCKET("st:b:20250709", name, "6");
        snprintf(want, sizeof(want), "%d", 6);
        CHECK_HGET("st:lab:zz:origin:7d", name + 14, want);
        CHECK_HGET("st:lab:zz:origin:all", "small", "3");
}

static void run_all(void) {
        HW_RUN(test_stale_log);
        HW_RUN(test_stale_new_day);
        HW_RUN(test_refused_log_type);
        HW_RUN(test_compacted_log);
        HW_RUN(test_stale_compacted_log);
        HW_RUN(test_compact_appended);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, run_all);
}
