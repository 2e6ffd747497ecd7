/* Integration tests of the store's atomic step: applied, fenced, refused. */
/*
 * The Redis store's atomic step (store/hw_store.h, store/hw_store.lua)
 * through its C API, against a real redis-server (tests/store_step.sh
 * starts it and passes its port): the step applies a batch, its fences
 * (stored offsets, epoch, the watermark's day) refuse a step and write
 * nothing, and a step Redis refuses (a key of another type, a counter
 * that is not a number) writes nothing either. Every "nothing changed"
 * compares a snapshot of every key (SCAN + DUMP) before and after the
 * step. The first of three programs on one Redis (store_fixtures.h):
 * test_store_slide and test_store_raids follow.
 *
 *   test_store_step PORT
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

static void run_all(void) {
        HW_RUN(test_applied);
        HW_RUN(test_fenced_offsets);
        HW_RUN(test_fenced_epoch);
        HW_RUN(test_stale);
        HW_RUN(test_refused_wrongtype);
        HW_RUN(test_refused_not_a_number);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, run_all);
}
