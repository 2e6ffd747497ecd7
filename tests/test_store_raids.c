/* Integration tests of a step only sent, read later, and of raids. */
/*
 * Against a real redis-server, after test_store_step and test_store_slide
 * on the same Redis (store_fixtures.h).
 *
 *   test_store_raids PORT
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

/* 12. A step only sent (hw_store_step_send): no other command goes to
 * the store until its outcome is read; read, it is applied as a waited
 * step is. One whose reads find the offsets moved is fenced at once,
 * nothing sent. */
static void test_sent_step(void) {
        hw_store_offset_t off = {"t", 0, stored_offset, stored_offset + 1};
        hw_store_outcome_t outcome = (hw_store_outcome_t)-1;
        char want[32];

        begin();
        hw_deltas_clear(&deltas);
        event("s1", june_noon(40, 0), "MT");
        HW_CHECK_EQ_INT(hw_store_step_send(store, &off, 1, &deltas, &plan,
                                           &outcome, errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_PENDING);
        HW_CHECK(hw_store_step_pending(store));
        /* Its reply would be taken for theirs. */
        HW_CHECK_EQ_INT(hw_store_begin(store, errstr, sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "reply is unread");
        for (int ms = 0; ms < 5000 && !hw_store_step_ready(store); ms++)
                usleep(1000);
        HW_CHECK(hw_store_step_ready(store));
        HW_CHECK_EQ_INT(
                hw_store_step_finish(store, &outcome, errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_APPLIED);
        HW_CHECK(!hw_store_step_pending(store));
        stored_offset++;
        snprintf(want, sizeof(want), "%" PRId64, stored_offset);
        CHECK_GET("st:offset:g:t:0", want);
        CHECK_HGET("st:flow:all:in", "MT", "1");
        CHECK_HGET("st:flow:7d:in", "MT", "1");
        HW_CHECK_EQ_INT(
                hw_store_step_finish(store, &outcome, errstr, sizeof(errstr)),
                HW_ERR_INTERNAL);

        begin();
        hw_deltas_clear(&deltas);
        event("s2", june_noon(40, 1), "MT");
        off.expected = stored_offset - 1;
        off.next = stored_offset + 5;
        HW_CHECK_EQ_INT(hw_store_step_send(store, &off, 1, &deltas, &plan,
                                           &outcome, errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_FENCED);
        HW_CHECK(!hw_store_step_pending(store));
        CHECK_GET("st:offset:g:t:0", want);
        CHECK_HGET("st:flow:all:in", "MT", "1");
}

/* A hire of the raid rule's: from org into lab "msl" on day (noon), as
 * the hire processor records it (its count in the lab's hires and the
 * event behind it). */
static void raid_hire(const char *id, const char *org, int64_t day) {
        int64_t ms = day * DAY + DAY / 2;
        HW_CHECK_EQ_INT(hw_deltas_seen(&deltas, ms, id), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&deltas, "lab:msl:hires", org, day, 1),
                        HW_OK);
        HW_CHECK_EQ_INT(
                hw_deltas_evidence(&deltas, "lab:msl:hires", org, day, id),
                HW_OK);
}

/* A step of four hires from org into msl on days D - 3 .. D, ids
 * <prefix>0 .. <prefix>3, applied. */
static void four_hires(const char *prefix, const char *org, int64_t D) {
        char id[64];
        begin();
        hw_deltas_clear(&deltas);
        for (int k = 0; k < 4; k++) {
                snprintf(id, sizeof(id), "%s%d", prefix, k);
                raid_hire(id, org, D - 3 + k);
        }
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
}

/* The key of the raid index's month of day: st:raid:<yyyymm>. */
static const char *raid_key(char out[32], int64_t day) {
        char ymd[9];
        hw_time_ymd(day, ymd);
        snprintf(out, 32, "st:raid:%.6s", ymd);
        return out;
}

/* A pair's field of each month of the raid index from the month of day
 * first to that of day last, one after the other, into out ("(nil)" when
 * none has it). */
static const char *raid_of(const char *pair, int64_t first, int64_t last,
                           char *out, size_t size) {
        size_t at = 0;
        out[0] = '\0';
        for (int64_t m = hw_time_month(first); m <= hw_time_month(last); m++) {
                char key[32], v[512];
                hget(raid_key(key, hw_time_month_first(m)), pair, v, sizeof(v));
                if (strcmp(v, "(nil)") && at < size)
                        at += (size_t)snprintf(out + at, size - at, "%s", v);
        }
        return at ? out : "(nil)";
}

#define CHECK_RAID(pair, first, last, want)                                    \
        do {                                                                   \
                char buf_[1024];                                               \
                HW_CONTEXT("raid index of %s", pair);                          \
                HW_CHECK_STR(raid_of(pair, first, last, buf_, sizeof(buf_)),   \
                             want);                                            \
                HW_CONTEXT("%s", "");                                          \
        } while (0)

/* The number of fields of hash key. */
static long long hlen(const char *key) {
        redisReply *r = cmd("HLEN %s", key);
        long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
        if (r)
                freeReplyObject(r);
        return n;
}

/* How many entries of st:alerts have alert_id id. */
static int alerts_with(const char *id) {
        redisReply *r = cmd("XRANGE st:alerts - +");
        int n = 0;
        for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements;
             i++) {
                const redisReply *f = r->element[i]->element[1];
                for (size_t k = 0; k + 1 < f->elements; k += 2)
                        n += !strcmp(f->element[k]->str, "alert_id") &&
                             !strcmp(f->element[k + 1]->str, id);
        }
        if (r)
                freeReplyObject(r);
        return n;
}

/* The step planned, only sent, then read: applied. */
static void send_ok(void) {
        hw_store_offset_t off = {"t", 0, stored_offset, stored_offset + 1};
        hw_store_outcome_t outcome;
        HW_CHECK_EQ_INT(hw_store_step_send(store, &off, 1, &deltas, &plan,
                                           &outcome, errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_PENDING);
        for (int ms = 0; ms < 5000 && !hw_store_step_ready(store); ms++)
                usleep(1000);
        HW_CHECK_EQ_INT(
                hw_store_step_finish(store, &outcome, errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_APPLIED);
        stored_offset++;
}

/* A step planned on what the store knew, found stale: st:steps moved
 * since its last. Nothing is written. */
static void apply_stale(void) {
        hw_store_outcome_t outcome;
        char off[32];
        HW_CHECK_EQ_INT(apply(stored_offset, stored_offset + 1, &outcome),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_STORE_STALE);
        HW_CHECK_CONTAINS(errstr, "another step applied since");
        offset_now(off, sizeof(off));
        CHECK_GET("st:offset:g:t:0", off);
}

/* 13. Raids, judged in C on the raid index (st:raid:<yyyymm>, a field a
 * pair) and
 * the days of the raids raised (st:alert:raid). A store connecting to a
 * Redis whose alert:ids has raid ids but no alert:raid (alerts an earlier
 * layout wrote) gathers their days, in order, per pair, skipping ids that
 * only look like raids; four hires of a pair near a raid
 * raised there raise nothing, four of another pair raise one, recorded.
 * A pair's index that is not one refuses the step, naming it, and
 * nothing is written. */
static void test_raids(void) {
        hw_store_t *second;
        int64_t D;
        char ymd[9], id[64], want[128], month[32];

        begin();
        D = hw_time_day(hw_store_watermark(store));
        raid_key(month, D);
        hw_time_ymd(D - 10, ymd);
        snprintf(id, sizeof(id), "raid:apple:msl:%s", ymd);
        run("SADD st:alert:ids %s mega_offer:x raid:not-an-id", id);
        /* Another day of that pair, a raid of another pair, and ids that
         * only look like raids (a date that is not one, no org, no lab,
         * no separator at all, none before the date, an empty lab, an
         * org and lab longer than a field of alert:raid holds). */
        hw_time_ymd(D - 40, ymd);
        snprintf(id, sizeof(id), "raid:apple:msl:%s", ymd);
        run("SADD st:alert:ids %s raid:apple:msl:2025xx01 raid::msl:20250101 "
            "raid:apple:20250101 raid:applemsl20250101 "
            "raid:apple:msl-20250101 raid:apple::20250101",
            id);
        {
                char longid[700];
                snprintf(longid, sizeof(longid), "raid:%0600d:msl:20250101", 0);
                run("SADD st:alert:ids %s", longid);
        }
        hw_time_ymd(D - 5, ymd);
        snprintf(id, sizeof(id), "raid:google:openai:%s", ymd);
        run("SADD st:alert:ids %s", id);
        run("DEL st:alert:raid");
        second = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        if (!HW_CHECK(second != NULL))
                return;
        HW_CHECK_EQ_INT(hw_store_connect(second, errstr, sizeof(errstr)),
                        HW_OK);
        hw_store_destroy(second);
        snprintf(want, sizeof(want), "%" PRId64 ",%" PRId64, D - 40, D - 10);
        CHECK_HGET("st:alert:raid", "msl:apple", want);
        snprintf(want, sizeof(want), "%" PRId64, D - 5);
        CHECK_HGET("st:alert:raid", "openai:google", want);
        HW_CHECK_EQ_INT(hlen("st:alert:raid"), 2);

        four_hires("ra", "Apple", D);
        snprintf(want, sizeof(want),
                 "%" PRId64 " 3:ra0\n%" PRId64 " 3:ra1\n%" PRId64
                 " 3:ra2\n%" PRId64 " 3:ra3\n",
                 D - 3, D - 2, D - 1, D);
        CHECK_RAID("msl:apple", D - 3, D, want);
        hw_time_ymd(D, ymd);
        snprintf(id, sizeof(id), "raid:apple:msl:%s", ymd);
        HW_CHECK_EQ_INT(alerts_with(id), 0);

        four_hires("rg", "Google", D);
        snprintf(id, sizeof(id), "raid:google:msl:%s", ymd);
        HW_CHECK_EQ_INT(alerts_with(id), 1);
        snprintf(want, sizeof(want), "%" PRId64, D);
        CHECK_HGET("st:alert:raid", "msl:google", want);
        snprintf(want, sizeof(want), "%" PRId64 ",%" PRId64, D - 40, D - 10);
        CHECK_HGET("st:alert:raid", "msl:apple", want);

        /* Damaged by another writer, which moves st:steps as every
         * writer of the internal keys must (docs/redis-keys.md): a store
         * takes what it knows of the index only while st:steps is as its
         * own last step left it. */
        run("HSET %s msl:apple garbage", month);
        run("INCR st:steps");
        begin();
        hw_deltas_clear(&deltas);
        raid_hire("ra9", "Apple", D);
        plan_for(hw_store_watermark(store));
        apply_stale();
        begin();
        plan_for(hw_store_watermark(store));
        snprintf(want, sizeof(want), "%s field msl:apple is not a raid index",
                 month);
        check_refused(want, "a raid index that is not one refused");
        CHECK_HGET(month, "msl:apple", "garbage");
        run("HDEL %s msl:apple", month);
        begin();
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
        snprintf(want, sizeof(want), "%" PRId64 " 3:ra9\n", D);
        CHECK_HGET(month, "msl:apple", want);
}

/* A step of one hire from org into msl on day, applied. */
static void hire_step(const char *id, const char *org, int64_t day) {
        begin();
        hw_deltas_clear(&deltas);
        raid_hire(id, org, day);
        plan_for(hw_store_watermark(store));
        apply_ok(stored_offset, stored_offset + 1);
}

/* 14. The raid index of the pairs a store's own steps wrote is taken as
 * they left it while no other step applied since; a step of another
 * store in between (st:steps moved) makes the next step planned on it
 * stale, and the one after reads it again. The index holds every hire,
 * each store's, in order. */
static void test_raid_known(void) {
        hw_store_t *mine = store, *other;
        int64_t D;
        char want[256];

        begin();
        D = hw_time_day(hw_store_watermark(store));
        four_hires("ka", "Anthropic", D);
        hire_step("kb", "Anthropic", D);
        hire_step("kc", "Anthropic", D - 2);
        snprintf(want, sizeof(want),
                 "%" PRId64 " 3:ka0\n%" PRId64 " 3:ka1\n%" PRId64
                 " 2:kc\n%" PRId64 " 3:ka2\n%" PRId64 " 3:ka3\n%" PRId64
                 " 2:kb\n",
                 D - 3, D - 2, D - 2, D - 1, D, D);
        CHECK_RAID("msl:anthropic", D - 3, D, want);

        other = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        if (!HW_CHECK(other != NULL))
                return;
        store = other;
        hire_step("kd", "Anthropic", D - 1);
        store = mine;
        /* Planned on the index as its own step left it: stale. */
        begin();
        hw_deltas_clear(&deltas);
        raid_hire("ke", "Anthropic", D);
        plan_for(hw_store_watermark(store));
        apply_stale();
        /* Read again, by a step only sent: what it keeps of the index
         * outlives its replies. */
        begin();
        plan_for(hw_store_watermark(store));
        send_ok();
        hire_step("kf", "Anthropic", D);
        hw_store_destroy(other);
        snprintf(want, sizeof(want),
                 "%" PRId64 " 3:ka0\n%" PRId64 " 3:ka1\n%" PRId64
                 " 2:kc\n%" PRId64 " 3:ka2\n%" PRId64 " 2:kd\n%" PRId64
                 " 3:ka3\n%" PRId64 " 2:kb\n%" PRId64 " 2:ke\n%" PRId64
                 " 2:kf\n",
                 D - 3, D - 2, D - 2, D - 1, D - 1, D, D, D, D);
        CHECK_RAID("msl:anthropic", D - 3, D, want);
}

/* Whether key exists. */
static int exists(const char *key) {
        redisReply *r = cmd("EXISTS %s", key);
        int n = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
        if (r)
                freeReplyObject(r);
        return n;
}

/* 15. The raid index is a hash a month. A pair's hires of the last two
 * days of a month and the first of the next go to each month's hash; a
 * store that does not know the pair reads it from both, and its fourth
 * hire raises the raid (counted with the month before). A step that
 * moves the watermark's day so far that both months left the largest
 * window deletes them. */
static void test_raid_months(void) {
        hw_store_t *mine = store, *other;
        int64_t D, first;
        char prev[32], cur[32], want[256], ymd[9], id[64];

        begin();
        D = hw_time_day(hw_store_watermark(store));
        first = hw_time_month_first(hw_time_month(D));
        raid_key(prev, first - 1);
        raid_key(cur, first);
        hire_step("m1", "Cohere", first - 2);
        hire_step("m2", "Cohere", first - 1);
        hire_step("m3", "Cohere", first);
        snprintf(want, sizeof(want), "%" PRId64 " 2:m1\n%" PRId64 " 2:m2\n",
                 first - 2, first - 1);
        CHECK_HGET(prev, "msl:cohere", want);
        snprintf(want, sizeof(want), "%" PRId64 " 2:m3\n", first);
        CHECK_HGET(cur, "msl:cohere", want);
        hw_time_ymd(first, ymd);
        snprintf(id, sizeof(id), "raid:cohere:msl:%s", ymd);
        HW_CHECK_EQ_INT(alerts_with(id), 0);

        other = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        if (!HW_CHECK(other != NULL))
                return;
        store = other;
        hire_step("m4", "Cohere", first);
        HW_CHECK_EQ_INT(alerts_with(id), 1);
        snprintf(want, sizeof(want), "%" PRId64 " 2:m3\n%" PRId64 " 2:m4\n",
                 first, first);
        CHECK_HGET(cur, "msl:cohere", want);
        snprintf(want, sizeof(want),
                 "%" PRId64 " 2:m1\n%" PRId64 " 2:m2\n%" PRId64
                 " 2:m3\n%" PRId64 " 2:m4\n",
                 first - 2, first - 1, first, first);
        CHECK_RAID("msl:cohere", first - 2, first, want);

        /* Past the largest window (365 days) from the end of the month
         * after: both months go. */
        hire_step("m5", "Cohere", first + 31 + 366);
        store = mine;
        hw_store_destroy(other);
        HW_CHECK_EQ_INT(exists(prev), 0);
        HW_CHECK_EQ_INT(exists(cur), 0);
        raid_key(cur, first + 31 + 366);
        snprintf(want, sizeof(want), "%" PRId64 " 2:m5\n", first + 31 + 366);
        CHECK_HGET(cur, "msl:cohere", want);
}

static void run_all(void) {
        HW_RUN(test_sent_step);
        HW_RUN(test_raids);
        HW_RUN(test_raid_known);
        HW_RUN(test_raid_months);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, run_all);
}
