/* Integration tests of the store across a lost Redis primary. */
/*
 * Against a real redis-server, after test_store_raids on the same Redis
 * (store_fixtures.h): what the plan read of a bucket log is not trusted
 * on a new connection, since the primary it reaches (a replica promoted
 * after a failover) may lack the last appends read, and hold others of
 * the same length in their place.
 *
 *   test_store_failover PORT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_deltas.h"
#include "hw_plan.h"
#include "hw_store.h"
#include "hw_test.h"
#include "hw_time.h"
#include "store_fixtures.h"

/* One step of one event (flow into field on june's day d). */
static void step_of(const char *id, int d, const char *field) {
        begin();
        hw_deltas_clear(&deltas);
        event(id, june_noon(d, 0), field);
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
}

/* An integer field of a hash (0 when absent). */
static int64_t hint(const char *key, const char *field) {
        char buf[64];
        hget(key, field, buf, sizeof(buf));
        return strcmp(buf, "(nil)") ? strtoll(buf, NULL, 10) : 0;
}

/* 12. Day X's log is read by the slide (IS), appended to (IS again) and
 * read on from where the first read ended. Then the primary is lost: the
 * new one lacks the second IS and holds NO instead, as long. A new
 * connection reads the log whole, so when X leaves 30d, what leaves is
 * IS and NO (without that, the plan's IS, IS). */
static void test_log_lost_with_primary(void) {
        static const char *const held[] = {"30d", "90d", "365d", "all"};
        char ymd[9], key[32];
        redisReply *r;
        int x;

        /* Past 30 days after the watermark the last program left: what
         * 30d counts when X leaves it is this test's only. */
        begin();
        x = (int)(hw_time_day(hw_store_watermark(store)) - june(0)) + 40;
        hw_time_ymd(june(x), ymd);
        snprintf(key, sizeof(key), "st:b:%s", ymd);
        step_of("f1", x, "IS");
        step_of("f2", x + 8, "SE"); /* the slide reads X's log */
        step_of("f3", x, "IS");     /* a late event: appended */
        step_of("f4", x + 9, "SE"); /* read on from its first end */
        CHECK_GET(key, "10:flow:in IS=1\n10:flow:in IS=1\n");

        /* The failover: the store's connection is gone, and the primary
         * after it has another second record (and counts it). */
        r = cmd("CLIENT KILL TYPE normal SKIPME yes");
        freeReplyObject(r);
        run("SET %s %s", key, "10:flow:in IS=1\n10:flow:in NO=1\n");
        for (size_t i = 0; i < sizeof(held) / sizeof(*held); i++) {
                run("HINCRBY st:flow:%s:in IS -1", held[i]);
                run("HINCRBY st:flow:%s:in NO 1", held[i]);
        }
        HW_CHECK_EQ_INT(hw_store_begin(store, errstr, sizeof(errstr)),
                        HW_ERR_SERVICE);
        HW_CHECK_EQ_INT(hint("st:flow:30d:in", "IS"), 1);
        HW_CHECK_EQ_INT(hint("st:flow:30d:in", "NO"), 1);

        step_of("f5", x + 31, "SE"); /* X leaves 30d */
        CHECK_HGET("st:flow:30d:in", "IS", "(nil)");
        CHECK_HGET("st:flow:30d:in", "NO", "(nil)");
}

static void run_all(void) {
        HW_RUN(test_log_lost_with_primary);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, run_all);
}
