/* Integration tests of the atomic step on damaged keys. */
/*
 * The store's atomic step (store/hw_store.h) against a real redis-server
 * (tests/store_damaged.sh starts it and passes its port) whose keys were
 * damaged by hand: a counter whose value is not one HINCRBY takes, a
 * counter that would overflow, a watermark or <prefix>steps that is not a
 * number, a raid's raised days that are not a list of days, alert keys of
 * another type. Each step is refused with an error naming the key and
 * what is wrong with it, and writes nothing (a snapshot of every key,
 * SCAN + DUMP, before and after); with the key repaired, the same batch
 * applies. Also: a step that finds another consumer's turn waits for it,
 * one whose slide read other days than Redis holds now is stale, and one
 * whose offset or watermark was deleted by hand is fenced or stale.
 *
 *   test_store_damaged PORT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_alert.h"
#include "hw_deltas.h"
#include "hw_plan.h"
#include "hw_store.h"
#include "hw_test.h"
#include "hw_time.h"
#include "store_fixtures.h"

/* A batch of one event into FR on 2025-06-<d> (noon), planned for the
 * watermark the store read. */
static void batch_fr(const char *id, int d) {
        begin();
        hw_deltas_clear(&deltas);
        event(id, june_noon(d, 0), "FR");
        plan_for(hw_store_watermark(store));
}

/* 1. A first step writes the state the cases below damage. */
static void test_first(void) {
        batch_fr("d0", 15);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "1");
}

/* 2. A counter the step adds to whose value is not a decimal integer as
 * Redis's HINCRBY reads it (a leading zero, "-0", a sign alone or '+',
 * an exponent, a space, out of int64, empty) is refused, naming the key,
 * field and value; a negative value is a number. */
static void test_counter_not_a_number(void) {
        static const char *const bad[] = {"007",
                                          "-0",
                                          "-",
                                          "+5",
                                          "1e3",
                                          " 5",
                                          "5 ",
                                          "-07",
                                          "12a",
                                          "99999999999999999999",
                                          "123456789012345678901",
                                          ""};
        char want[128];

        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                HW_CONTEXT("value \"%s\"", bad[i]);
                run("HSET st:flow:all:in FR %s", bad[i]);
                batch_fr("d1", 15);
                snprintf(want, sizeof(want),
                         "st:flow:all:in FR holds \"%s\", not a number",
                         bad[i]);
                check_refused(want, "a counter that is not a number");
                CHECK_HGET("st:flow:all:in", "FR", bad[i]);
                HW_CONTEXT("%s", "");
        }
        run("HSET st:flow:all:in FR -5");
        batch_fr("d1", 15);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "-4");
        CHECK_HGET("st:flow:7d:in", "FR", "2");
}

/* 3. A counter at INT64_MAX the step adds 1 to would overflow: refused,
 * nothing written. */
static void test_counter_overflow(void) {
        run("HSET st:flow:all:in FR 9223372036854775807");
        batch_fr("d2", 15);
        check_refused("st:flow:all:in FR would overflow",
                      "a counter that would overflow");
        CHECK_HGET("st:flow:all:in", "FR", "9223372036854775807");
        run("HSET st:flow:all:in FR 9223372036854775806");
        batch_fr("d2", 15);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "9223372036854775807");
        /* Steps of this consumer with no other step between them: from
         * the third on it knows the values its last one left and reads
         * none; the one that would overflow is refused all the same. */
        run("HSET st:flow:all:in FR 9223372036854775805");
        batch_fr("d2b", 15);
        apply_ok(stored_offset, stored_offset + 1);
        batch_fr("d2c", 15);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "9223372036854775807");
        batch_fr("d2d", 15);
        check_refused("st:flow:all:in FR would overflow",
                      "a counter this consumer left at its largest");
        run("HSET st:flow:all:in FR 2");
}

/* 4. A watermark that is not a number: refused, nothing written. */
static void test_watermark_not_a_number(void) {
        char wm[64];

        get("st:watermark", wm, sizeof(wm));
        run("SET st:watermark 17499816OO000");
        batch_fr("d3", 15);
        check_refused("st:watermark is not a number",
                      "a watermark that is not a number");
        CHECK_GET("st:watermark", "17499816OO000");
        run("SET st:watermark %s", wm);
        batch_fr("d3", 15);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_GET("st:watermark", wm);
        CHECK_HGET("st:flow:all:in", "FR", "3");
}

/* 5. <prefix>steps, which every step increments, holding a non-number or
 * INT64_MAX: refused before any write. (Its INCR fails inside the
 * transaction, and Redis applied every other write of it: the step was
 * reported refused with all its counters written.) */
static void test_steps_not_a_number(void) {
        char steps[64], want[64];
        long long n;

        get("st:steps", steps, sizeof(steps));
        n = strtoll(steps, NULL, 10);
        HW_CHECK(n > 0);
        run("SET st:steps many");
        batch_fr("d4", 15);
        check_refused("st:steps holds \"many\", not a number it can "
                      "increment",
                      "a step counter that is not a number");
        CHECK_GET("st:steps", "many");
        run("SET st:steps 9223372036854775807");
        batch_fr("d4", 15);
        check_refused("st:steps holds \"9223372036854775807\", not a "
                      "number it can increment",
                      "a step counter that cannot be incremented");
        CHECK_HGET("st:flow:all:in", "FR", "3");
        run("SET st:steps %lld", n);
        batch_fr("d4", 15);
        apply_ok(stored_offset, stored_offset + 1);
        snprintf(want, sizeof(want), "%lld", n + 1);
        CHECK_GET("st:steps", want);
        CHECK_HGET("st:flow:all:in", "FR", "4");
}

/* 6. Keys of the alerts the step writes, of another type: refused,
 * naming the key and both types. */
static void test_alert_keys_wrongtype(void) {
        static const char *const keys[][3] = {
                {"st:alert:ids", "SET st:alert:ids x", "a string, not a set"},
                {"st:alerts", "HSET st:alerts a b", "a hash, not a stream"},
                {"st:alert:drain", "SADD st:alert:drain x",
                 "a set, not a hash"},
                {"st:b:gen", "SET st:b:gen 1", "a string, not a hash"},
                {"st:seen:days", "SADD st:seen:days 1", "a set, not a zset"},
                {"st:watermark", NULL, NULL}};
        char want[160];

        for (size_t i = 0; keys[i][1]; i++) {
                HW_CONTEXT("%s", keys[i][0]);
                run("DEL %s", keys[i][0]);
                run(keys[i][1]);
                batch_fr("d5", 15);
                snprintf(want, sizeof(want),
                         "WRONGTYPE hirewire store: %s is %s", keys[i][0],
                         keys[i][2]);
                check_refused(want, "an alert key of another type");
                run("DEL %s", keys[i][0]);
                HW_CONTEXT("%s", "");
        }
        batch_fr("d5", 15);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "5");
}

/* A hire from org into lab "msl" on day (noon), as the hire processor
 * records it for the raid rule. */
static void raid_hire(const char *id, const char *org, int64_t day) {
        int64_t ms = day * DAY + DAY / 2;
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, ms, id), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&deltas, "lab:msl:hires", org, day, 1),
                        HW_OK);
        HW_CHECK_EQ_INT(
                hw_deltas_evidence(&deltas, "lab:msl:hires", org, day, id),
                HW_OK);
}

/* 7. The days of a pair's raids raised (alert:raid) that are not a list
 * of days: refused, naming the field; the lab's record of another type
 * too. Repaired, the batch applies. */
static void test_raised_damaged(void) {
        int64_t D = june(15);

        run("HSET st:alert:raid msl:meta 20250,x");
        begin();
        hw_deltas_clear(&deltas);
        raid_hire("r1", "Meta", D);
        plan_for(hw_store_watermark(store));
        check_refused("st:alert:raid field msl:meta is not a list of days",
                      "raised days that are not a list");
        run("HSET st:alert:raid msl:meta %" PRId64, D - 100);

        run("SET st:lab:msl x");
        begin();
        plan_for(hw_store_watermark(store));
        check_refused("st:lab:msl is a string, not a hash",
                      "a lab of another type");
        run("DEL st:lab:msl");

        begin();
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
        {
                char want[64], ymd[9], month[32];
                snprintf(want, sizeof(want), "%" PRId64 " 2:r1\n", D);
                hw_time_ymd(D, ymd);
                snprintf(month, sizeof(month), "st:raid:%.6s", ymd);
                CHECK_HGET(month, "msl:meta", want);
        }
}

/* 8. A batch's alert with alert:ids of another type is refused; one
 * already in alert:ids is not added to the stream again. */
static void test_batch_alert(void) {
        hw_alert_t a;
        const char *ids[] = {"m1"};
        char before[32], after[32];
        redisReply *r;

        hw_alert_init(&a);
        a.alert_id = "mega_offer:m1";
        a.rule = "mega_offer";
        a.severity = HW_SEVERITY_CRITICAL;
        a.subject = "x";
        a.summary = "a $200M offer";
        a.event_time = june_noon(15, 0);
        a.event_ids = ids;
        a.n_event_ids = 1;

        run("SET st:alert:ids mega_offer:m1");
        batch_fr("d8", 15);
        HW_CHECK_EQ_INT(hw_deltas_alert(&deltas, &a), HW_OK);
        check_refused("st:alert:ids is a string, not a set",
                      "alert ids of another type");
        run("DEL st:alert:ids");

        run("SADD st:alert:ids mega_offer:m1");
        r = cmd("XLEN st:alerts");
        snprintf(before, sizeof(before), "%lld", r ? r->integer : -1);
        freeReplyObject(r);
        batch_fr("d8", 15);
        HW_CHECK_EQ_INT(hw_deltas_alert(&deltas, &a), HW_OK);
        apply_ok(stored_offset, stored_offset + 1);
        HW_CHECK_EQ_INT(hw_store_alerts_added(store), 0);
        r = cmd("XLEN st:alerts");
        snprintf(after, sizeof(after), "%lld", r ? r->integer : -1);
        freeReplyObject(r);
        HW_CHECK_STR(after, before);

        run("SREM st:alert:ids mega_offer:m1");
        batch_fr("d9", 15);
        HW_CHECK_EQ_INT(hw_deltas_alert(&deltas, &a), HW_OK);
        apply_ok(stored_offset, stored_offset + 1);
        HW_CHECK_EQ_INT(hw_store_alerts_added(store), 1);
        r = cmd("SISMEMBER st:alert:ids mega_offer:m1");
        HW_CHECK(r && r->integer == 1);
        freeReplyObject(r);
}

/* 9. The stream is trimmed to alerts.stream.maxlen but never past what
 * the relay has delivered (alerts:relayed): with that position not a
 * stream id (set by hand), the step still applies, and nothing the relay
 * may not have delivered is trimmed. */
static void test_reader_position_damaged(void) {
        hw_alert_t a;
        const char *ids[] = {"m2"};
        long long before = -1;
        redisReply *r;

        hw_alert_init(&a);
        a.alert_id = "mega_offer:m2";
        a.rule = "mega_offer";
        a.severity = HW_SEVERITY_CRITICAL;
        a.subject = "x";
        a.summary = "a $300M offer";
        a.event_time = june_noon(15, 0);
        a.event_ids = ids;
        a.n_event_ids = 1;

        r = cmd("XLEN st:alerts");
        if (r)
                before = r->integer;
        freeReplyObject(r);
        HW_CHECK(before >= 1);
        conf.alerts_maxlen = 1;
        run("SET st:alerts:relayed not-a-stream-id");
        batch_fr("d10", 15);
        HW_CHECK_EQ_INT(hw_deltas_alert(&deltas, &a), HW_OK);
        apply_ok(stored_offset, stored_offset + 1);
        HW_CHECK_EQ_INT(hw_store_alerts_added(store), 1);
        CHECK_HGET("st:flow:all:in", "FR", "8");
        r = cmd("XLEN st:alerts");
        HW_CHECK(r && r->integer == before + 1);
        freeReplyObject(r);
        r = cmd("SISMEMBER st:alert:ids mega_offer:m2");
        HW_CHECK(r && r->integer == 1);
        freeReplyObject(r);

        /* With the position a real one (the newest entry), the stream is
         * trimmed to the entries after it at most... */
        {
                char last[64] = "";
                r = cmd("XREVRANGE st:alerts + - COUNT 1");
                if (r && r->elements)
                        snprintf(last, sizeof(last), "%s",
                                 r->element[0]->element[0]->str);
                freeReplyObject(r);
                run("SET st:alerts:relayed %s", last);
        }
        a.alert_id = "mega_offer:m3";
        batch_fr("d11", 15);
        HW_CHECK_EQ_INT(hw_deltas_alert(&deltas, &a), HW_OK);
        apply_ok(stored_offset, stored_offset + 1);
        r = cmd("XLEN st:alerts");
        HW_CHECK(r && r->integer == 1);
        freeReplyObject(r);
        conf.alerts_maxlen = 10000;
        run("DEL st:alerts:relayed");
}

/* 10. A bucket log's generation (<prefix>b:gen) that is not a number:
 * the step whose slide reads that log is refused before any write, naming
 * the field (a compaction's HINCRBY of it would fail inside the
 * transaction, the rest of it applied); repaired, the step applies. */
static void test_generation_damaged(void) {
        run("HSET st:b:gen 20250615 old");
        batch_fr("d12", 30); /* the 15th leaves the 7-day window */
        check_refused("st:b:gen field 20250615 holds \"old\", not a "
                      "generation number",
                      "a bucket log generation that is not a number");
        CHECK_HGET("st:b:gen", "20250615", "old");
        run("HSET st:b:gen 20250615 9223372036854775807");
        batch_fr("d12", 30);
        check_refused("st:b:gen field 20250615 holds "
                      "\"9223372036854775807\"",
                      "a bucket log generation that cannot be incremented");
        run("HDEL st:b:gen 20250615");
        batch_fr("d12", 30);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "10");
}

/* A step that must not apply: HW_OK with outcome `want`, errstr saying
 * what moved (`says`), and nothing written. */
static void check_not_applied(hw_store_outcome_t want, const char *says,
                              const char *what) {
        hw_store_outcome_t outcome;
        snapshot_t before;

        if (!snapshot_take(&before))
                return;
        HW_CHECK_EQ_INT(apply(stored_offset, stored_offset + 1, &outcome),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, want);
        HW_CHECK_CONTAINS(errstr, says);
        check_unchanged(&before, what);
        snapshot_free(&before);
}

/* 11. Fences moved by hand between a batch's reads and its step: its
 * offset deleted (fenced: the offset is not the one the batch read
 * from), the watermark deleted (stale: the day is not the plan's), a
 * day of the slide's range replaced by another (stale: the logs read
 * are not the range's). Nothing is written; restored, the batch
 * applies. */
static void test_fences_moved(void) {
        char off[32], wm[64];

        batch_fr("d13", 30);
        offset_now(off, sizeof(off));
        run("DEL st:offset:g:t:0");
        check_not_applied(HW_STORE_FENCED, "st:offset:g:t:0 holds \"\"",
                          "an offset deleted");
        run("SET st:offset:g:t:0 %s", off);

        get("st:watermark", wm, sizeof(wm));
        run("DEL st:watermark");
        check_not_applied(HW_STORE_STALE, "st:watermark holds \"\"",
                          "a watermark deleted");
        run("SET st:watermark %s", wm);
        batch_fr("d13", 30);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "11");

        /* 07-08: 06-30 leaves 7d; the index says 06-29 instead. */
        batch_fr("d14", 38);
        HW_CHECK_EQ_INT(plan.day, june(38));
        run("ZREM st:b:days 20250630");
        run("ZADD st:b:days %" PRId64 " 20250629", june(29));
        check_not_applied(HW_STORE_STALE,
                          "st:b:days has other days in the slide's range",
                          "a day of the slide's range replaced");
        run("ZREM st:b:days 20250629");
        run("ZADD st:b:days %" PRId64 " 20250630", june(30));
        batch_fr("d14", 38);
        apply_ok(stored_offset, stored_offset + 1);
        CHECK_HGET("st:flow:all:in", "FR", "12");
        CHECK_HGET("st:flow:7d:in", "FR", "1");
}

static void run_all(void) {
        HW_RUN(test_first);
        HW_RUN(test_counter_not_a_number);
        HW_RUN(test_counter_overflow);
        HW_RUN(test_watermark_not_a_number);
        HW_RUN(test_steps_not_a_number);
        HW_RUN(test_alert_keys_wrongtype);
        HW_RUN(test_raised_damaged);
        HW_RUN(test_batch_alert);
        HW_RUN(test_reader_position_damaged);
        HW_RUN(test_generation_damaged);
        HW_RUN(test_fences_moved);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, run_all);
}
