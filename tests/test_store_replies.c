/* Integration tests of the store's reads on damaged keys. */
/*
 * The store's reads outside the atomic step (store/store_reads.c), its
 * check of the layout when connecting, and a rebuild's clear
 * (store/hw_rebuild.h), against a real redis-server whose keys were
 * damaged by hand (tests/store_damaged.sh, after test_store_damaged):
 * a person's record that is not one is a new person, never half of one;
 * keys of another type are errors naming the command and WRONGTYPE, after
 * which the store reads on; a day index holding something else than days
 * is an error naming it; counters in an older layout are refused at
 * connect, naming the command that rebuilds them. The alerts stream read
 * back: JSON of any form read to the same alert, entries that are not
 * one reported damaged. A store whose Redis is not there: every call an
 * error naming the address.
 *
 *   test_store_replies PORT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_person_record.h"
#include "hw_rebuild.h"
#include "hw_store.h"
#include "hw_test.h"
#include "hw_time.h"
#include "store_fixtures.h"

/* HSETs person id's record under st:persons:<its bucket>. */
static void put_person(const char *id, const char *record, size_t len) {
        redisReply *r =
                redisCommand(side, "HSET st:persons:%u %s %b",
                             hw_person_bucket(id, strlen(id)), id, record, len);
        HW_CHECK(r && r->type == REDIS_REPLY_INTEGER);
        freeReplyObject(r);
}

/* 1. Records that are not a person's record (too few parts, a length
 * past the end, bytes after the seventh part, an empty lab, a time that
 * is not digits or too long, a length of more than 10 digits) are read
 * as a person not known, never as part of one; whole records beside
 * them in the same buckets are read. */
static void test_persons_damaged(void) {
        static const char *const bad[] = {
                "garbage",
                "3:msl",
                "3:msl5:Apple2:US7:unknown1:S13:1749981600000",
                "3:msl5:Apple2:US7:unknown1:S13:17499816000002:e1x",
                "3:msl5:Apple2:US7:unknown1:S13:17499816000009:e1",
                "0:5:Apple2:US7:unknown1:S13:17499816000002:e1",
                "3:msl5:Apple2:US7:unknown1:S13:17499816O00002:e1",
                "3:msl5:Apple2:US7:unknown1:S20:174998160000000000002:e1",
                "3:msl5:Apple2:US7:unknown1:S0:2:e1",
                "00000000003:msl5:Apple2:US7:unknown1:S13:17499816000002:e1",
                "3:msl5:Apple2:US7:unknown1:S13:17499816000002;e1",
                "3;msl5:Apple2:US7:unknown1:S13:17499816000002:e1"};
        enum { N = sizeof(bad) / sizeof(*bad) };
        const char *ids[N + 1];
        char names[N][16];
        hw_person_t out[N + 1];
        hw_person_t good = {"Meta Superintelligence Labs",
                            "Apple",
                            "US",
                            "unknown",
                            "S",
                            W1,
                            "e:1"};
        hw_arena_t arena;
        const char *rec;
        size_t len;

        hw_arena_init(&arena);
        rec = hw_person_pack(&arena, &good, &len);
        if (!HW_CHECK(rec != NULL))
                return;
        for (size_t i = 0; i < N; i++) {
                snprintf(names[i], sizeof(names[i]), "p%zu", i);
                ids[i] = names[i];
                put_person(ids[i], bad[i], strlen(bad[i]));
        }
        ids[N] = "whole";
        put_person("whole", rec, len);
        HW_CHECK_EQ_INT(hw_store_get_persons(store, ids, N + 1, out, &arena,
                                             errstr, sizeof(errstr)),
                        HW_OK);
        for (size_t i = 0; i < N; i++) {
                HW_CONTEXT("record \"%s\"", bad[i]);
                HW_CHECK_NULL(out[i].lab);
                HW_CHECK_NULL(out[i].event_id);
                HW_CONTEXT("%s", "");
        }
        HW_CHECK_STR(out[N].lab, "Meta Superintelligence Labs");
        HW_CHECK_STR(out[N].origin, "Apple");
        HW_CHECK_STR(out[N].tier, "S");
        HW_CHECK_EQ_INT(out[N].at, W1);
        HW_CHECK_STR(out[N].event_id, "e:1");
        hw_arena_release(&arena);
}

/* 2. A bucket of persons of another type: an error naming the read and
 * WRONGTYPE (the persons of the other buckets are not read as new); the
 * next read, the key repaired, works on the same store. */
static void test_persons_wrongtype(void) {
        const char *ids[] = {"whole", "p0"};
        unsigned b = hw_person_bucket("p0", 2);
        hw_person_t out[2];
        hw_arena_t arena;
        char key[64];

        hw_arena_init(&arena);
        snprintf(key, sizeof(key), "st:persons:%u", b);
        HW_CHECK(b != hw_person_bucket("whole", 5));
        run("DEL %s", key);
        run("SET %s x", key);
        HW_CHECK_EQ_INT(hw_store_get_persons(store, ids, 2, out, &arena, errstr,
                                             sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "HMGET persons");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        run("DEL %s", key);
        HW_CHECK_EQ_INT(hw_store_get_persons(store, ids, 2, out, &arena, errstr,
                                             sizeof(errstr)),
                        HW_OK);
        HW_CHECK_STR(out[0].lab, "Meta Superintelligence Labs");
        HW_CHECK_NULL(out[1].lab);
        hw_arena_release(&arena);
}

/* 3. Offsets: a key of another type is an error naming the read (the
 * replies of the other partitions' reads are not taken for the next
 * reads' after it); a topic whose offset key cannot be formed has no
 * offset stored, and a step storing one is refused naming the topic. */
static void test_offsets(void) {
        int32_t parts[] = {0, 1};
        int64_t out[2] = {5, 5};
        char topic[700];
        hw_store_offset_t off;
        hw_store_outcome_t outcome;

        run("DEL st:offset:g:u:0");
        run("HSET st:offset:g:u:0 a b");
        run("SET st:offset:g:u:1 41");
        HW_CHECK_EQ_INT(hw_store_get_offsets(store, "u", parts, 2, out, errstr,
                                             sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "GET offset");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        run("DEL st:offset:g:u:0");
        HW_CHECK_EQ_INT(hw_store_get_offsets(store, "u", parts, 2, out, errstr,
                                             sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(out[0], -1);
        HW_CHECK_EQ_INT(out[1], 41);
        run("DEL st:offset:g:u:1");
        HW_CHECK_EQ_INT(hw_store_get_offsets(store, "u", parts, 2, out, errstr,
                                             sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(out[0], -1);
        HW_CHECK_EQ_INT(out[1], -1);

        memset(topic, 't', sizeof(topic) - 1);
        topic[sizeof(topic) - 1] = '\0';
        HW_CHECK_EQ_INT(hw_store_get_offsets(store, topic, parts, 1, out,
                                             errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(out[0], -1);
        begin();
        hw_deltas_clear(&deltas);
        event("o1", june_noon(15, 0), "FR");
        plan_for(hw_store_watermark(store));
        off = (hw_store_offset_t){topic, 0, -1, 1};
        HW_CHECK_EQ_INT(hw_store_apply(store, &off, 1, &deltas, &plan, &outcome,
                                       errstr, sizeof(errstr)),
                        HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "the offset key of ttt");
}

/* 4. The applied ids of a day of another type: an error naming the read
 * and WRONGTYPE, the store reading on after it (the other days' replies
 * were not left behind on the connection); repaired, the ids are told. */
static void test_seen_wrongtype(void) {
        const char *ids[] = {"a", "b", "c"};
        int64_t days[] = {june(3), june(2), june(3)};
        unsigned char out[3] = {9, 9, 9};

        run("DEL st:seen:20250602 st:seen:20250603");
        run("SET st:seen:20250602 x");
        run("SADD st:seen:20250603 c");
        HW_CHECK_EQ_INT(hw_store_check_seen(store, days, ids, 3, out, errstr,
                                            sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "SMISMEMBER");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        HW_CHECK_EQ_INT(hw_store_ping(store, errstr, sizeof(errstr)), HW_OK);
        run("DEL st:seen:20250602");
        run("SADD st:seen:20250602 b");
        HW_CHECK_EQ_INT(hw_store_check_seen(store, days, ids, 3, out, errstr,
                                            sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(out[0], 0);
        HW_CHECK_EQ_INT(out[1], 1);
        HW_CHECK_EQ_INT(out[2], 1);
        run("DEL st:seen:20250602 st:seen:20250603");
}

/* 5. The index of the days with bucket logs holding a member that is not
 * a yyyymmdd day: reading the slide is an error naming it; of another
 * type, an error naming the read; so are the logs' generations (b:gen)
 * of another type. */
static void test_slide_days_damaged(void) {
        const hw_plan_slide_t *slide;
        redisReply *r;
        int64_t day;
        int kept;

        begin();
        HW_CHECK(hw_store_watermark(store) >= 0);
        day = hw_time_day(hw_store_watermark(store)) + 3;
        run("ZADD st:b:days %" PRId64 " 2025061", day - 40);
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, NULL, &slide, errstr,
                                            sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr,
                          "st:b:days holds 2025061, not a yyyymmdd day");
        run("ZREM st:b:days 2025061");
        run("RENAME st:b:days st:b:days.kept");
        run("SET st:b:days x");
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, NULL, &slide, errstr,
                                            sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "ZRANGEBYSCORE b:days");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        run("DEL st:b:days");
        run("RENAME st:b:days.kept st:b:days");
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, NULL, &slide, errstr,
                                            sizeof(errstr)),
                        HW_OK);
        /* The logs' generations of another type: an error naming the
         * read, after the logs themselves were read; the store reads on. */
        HW_CHECK(slide->n_leaving > 0);
        r = cmd("EXISTS st:b:gen");
        kept = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
        if (kept)
                run("RENAME st:b:gen st:b:gen.kept");
        run("SET st:b:gen x");
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, NULL, &slide, errstr,
                                            sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "HMGET b:gen");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        run("DEL st:b:gen");
        if (kept)
                run("RENAME st:b:gen.kept st:b:gen");
        HW_CHECK_EQ_INT(hw_store_read_slide(store, day, NULL, &slide, errstr,
                                            sizeof(errstr)),
                        HW_OK);
}

/* 6. The alerts: a reader's place and the stream of another type are
 * errors naming the read; a place set replaces whatever was there. */
static void test_alert_keys_wrongtype(void) {
        hw_store_alert_t a[2];
        char id[64];
        size_t n = 9;

        hw_alert_init(&a[0].alert);
        hw_alert_init(&a[1].alert);
        run("DEL st:alerts:webhook");
        run("HSET st:alerts:webhook a b");
        HW_CHECK_EQ_INT(
                hw_store_get_alert_position(store, HW_KEY_ALERTS_WEBHOOK, id,
                                            sizeof(id), errstr, sizeof(errstr)),
                HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "GET alerts position");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        HW_CHECK_EQ_INT(
                hw_store_set_alert_position(store, HW_KEY_ALERTS_WEBHOOK,
                                            "12-3", errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_EQ_INT(
                hw_store_get_alert_position(store, HW_KEY_ALERTS_WEBHOOK, id,
                                            sizeof(id), errstr, sizeof(errstr)),
                HW_OK);
        HW_CHECK_STR(id, "12-3");
        run("DEL st:alerts:webhook");

        run("RENAME st:alerts st:alerts.kept");
        run("SET st:alerts x");
        HW_CHECK_EQ_INT(hw_store_read_alerts(store, "0-0", a, 2, &n, errstr,
                                             sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "XRANGE alerts");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        HW_CHECK_EQ_INT(n, 0);
        run("DEL st:alerts");
        run("RENAME st:alerts.kept st:alerts");
        hw_alert_release(&a[0].alert);
        hw_alert_release(&a[1].alert);
}

/* Connects a new store to the test's Redis: its error, errstr set. */
static hw_err_t connect_new(void) {
        hw_store_t *s = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        hw_err_t err;

        if (!HW_CHECK(s != NULL))
                return HW_ERR_INTERNAL;
        err = hw_store_connect(s, errstr, sizeof(errstr));
        hw_store_destroy(s);
        return err;
}

/* 6b. The days of the raids raised gathered from alert:ids when a store
 * connects (alerts an earlier layout wrote): alert:ids of another type
 * refuses the connection, naming SSCAN and WRONGTYPE, and nothing is
 * gathered; repaired, the next connection gathers its raid. Under an
 * alerts prefix of its own, so the other cases' alerts stay as they are. */
static void test_raid_gather_wrongtype(void) {
        static char alerts_prefix[] = "sx:";
        hw_config_t c = conf;
        redisReply *r;
        hw_store_t *s;
        char want[32];
        int64_t day;

        c.alerts_prefix = alerts_prefix;
        run("DEL sx:alert:ids sx:alert:raid");
        run("SET sx:alert:ids raid:apple:msl:20250615");
        s = hw_store_new(&c, "g", errstr, sizeof(errstr));
        if (!HW_CHECK(s != NULL))
                return;
        HW_CHECK_EQ_INT(hw_store_connect(s, errstr, sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "SSCAN");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
        r = cmd("EXISTS sx:alert:raid");
        HW_CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0);
        freeReplyObject(r);
        run("DEL sx:alert:ids");
        run("SADD sx:alert:ids raid:apple:msl:20250615");
        HW_CHECK_EQ_INT(hw_store_connect(s, errstr, sizeof(errstr)), HW_OK);
        hw_store_destroy(s);
        HW_CHECK(!hw_time_parse_iso("2025-06-15", &day));
        snprintf(want, sizeof(want), "%" PRId64, hw_time_day(day));
        CHECK_HGET("sx:alert:raid", "msl:apple", want);
        run("DEL sx:alert:ids sx:alert:raid");
}

/* 7. Counters in an older layout (another <prefix>layout, none beside a
 * watermark, the first day's bucket a set or a hash) are refused when a
 * store connects, naming what is there and the replay that rebuilds
 * them; a day index of another type is not taken for an old layout. */
static void test_layout(void) {
        char ymd[9], key[32];
        redisReply *r = cmd("ZRANGE st:b:days 0 0");

        if (!HW_CHECK(r && r->elements == 1)) {
                freeReplyObject(r);
                return;
        }
        snprintf(ymd, sizeof(ymd), "%s", r->element[0]->str);
        freeReplyObject(r);
        snprintf(key, sizeof(key), "st:b:%s", ymd);

        run("SET st:layout 4");
        HW_CHECK_EQ_INT(connect_new(), HW_ERR_ARG);
        HW_CHECK_CONTAINS(
                errstr, "st:layout is 4, this version writes " HW_STORE_LAYOUT);
        HW_CHECK_CONTAINS(errstr, "--replay --from earliest");
        run("DEL st:layout");
        HW_CHECK_EQ_INT(connect_new(), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "st:layout is none");
        run("SET st:layout " HW_STORE_LAYOUT);

        run("RENAME %s %s.kept", key, key);
        run("SADD %s flow:in", key);
        HW_CHECK_EQ_INT(connect_new(), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is a set of families, not a bucket log");
        HW_CHECK_CONTAINS(errstr, key);
        run("DEL %s", key);
        run("HSET %s flow:in:FR 1", key);
        HW_CHECK_EQ_INT(connect_new(), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "is a hash, not a bucket log");
        run("DEL %s", key);
        run("RENAME %s.kept %s", key, key);
        HW_CHECK_EQ_INT(connect_new(), HW_OK);

        run("RENAME st:b:days st:b:days.kept");
        run("SET st:b:days x");
        HW_CHECK_EQ_INT(connect_new(), HW_OK);
        run("DEL st:b:days");
        run("RENAME st:b:days.kept st:b:days");
}

/* 8. A command of a rebuild Redis refuses: an error naming it. */
static void test_argv_refused(void) {
        const char *argv[] = {"HGET", "st:watermark", "x"};
        redisReply *r = (redisReply *)1;

        HW_CHECK_EQ_INT(hw_store_argv(store, 3, argv, NULL, &r, "the check",
                                      errstr, sizeof(errstr)),
                        HW_ERR_INTERNAL);
        HW_CHECK_NULL(r);
        HW_CHECK_CONTAINS(errstr, "the check");
        HW_CHECK_CONTAINS(errstr, "WRONGTYPE");
}

/* 9. A rebuild's clear deletes the keys under its prefix taken literally:
 * glob characters in it match only themselves. */
static void test_clear_literal_prefix(void) {
        size_t n = 0;
        redisReply *r;

        run("MSET r*[x]?\\:a 1 r*[x]?\\:b 2 rab[x]?\\:a 3 rx[x]c\\:a 4 "
            "r*[x]?\\ 5");
        HW_CHECK_EQ_INT(hw_rebuild_clear(store, "r*[x]?\\:", &n, errstr,
                                         sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(n, 2);
        r = cmd("EXISTS r*[x]?\\:a r*[x]?\\:b rab[x]?\\:a rx[x]c\\:a "
                "r*[x]?\\");
        HW_CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 3);
        freeReplyObject(r);
        run("DEL rab[x]?\\:a rx[x]c\\:a r*[x]?\\");
}

/* XADDs an entry with id `id` to st:alerts: the alert fields of a whole
 * one, but for `skip` (NULL: none), then `extra` (name, value) pairs. */
static void put_alert(const char *id, const char *skip,
                      const char *const *extra, size_t n_extra) {
        static const char *const whole[][2] = {
                {"alert_id", "mega_offer:e1"}, {"rule", "mega_offer"},
                {"severity", "WARN"},          {"subject", "Meta"},
                {"summary", "a $200M offer"},  {"event_time", "1749981600000"},
                {"raised_at", "1749981600500"}};
        const char *argv[64];
        size_t argc = 0;
        redisReply *r;

        argv[argc++] = "XADD";
        argv[argc++] = "st:alerts";
        argv[argc++] = id;
        for (size_t i = 0; i < sizeof(whole) / sizeof(*whole); i++)
                if (!skip || strcmp(skip, whole[i][0])) {
                        argv[argc++] = whole[i][0];
                        argv[argc++] = whole[i][1];
                }
        for (size_t i = 0; i < 2 * n_extra; i++)
                argv[argc++] = extra[i];
        r = redisCommandArgv(side, (int)argc, argv, NULL);
        HW_CHECK_MSG(r && r->type == REDIS_REPLY_STRING, "XADD %s: %s", id,
                     r ? r->str : side->errstr);
        freeReplyObject(r);
}

/* An alert's event ids and attributes as text: "ids a,b attrs k=v,x=y". */
static const char *alert_lists(const hw_alert_t *a, char *out, size_t size) {
        size_t n = (size_t)snprintf(out, size, "ids");
        for (size_t i = 0; i < a->n_event_ids && n < size; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : " ",
                                      a->event_ids[i]);
        if (n < size)
                n += (size_t)snprintf(out + n, size - n, " attrs");
        for (size_t i = 0; i < a->n_attributes && n < size; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%s=%s",
                                      i ? "," : " ", a->attributes[i].key,
                                      a->attributes[i].value);
        return out;
}

/* 10. The alerts stream read back for the relay and the webhook, with
 * entries written by hand: the JSON hirewire writes (read without a
 * parser), any other JSON of the same meaning (escapes, spaces, a key
 * given twice, more ids than the plain reader takes) read to the same
 * alert, and entries that are not an alert (a field missing, event ids
 * not an array of strings, attributes not an object of strings, text
 * that is not JSON or not UTF-8) reported damaged (no alert id) with
 * their stream id kept, so the relay moves past them. */
static void test_alerts_read_back(void) {
        static const struct {
                const char *ids, *attrs; /* NULL: no such field */
                const char *skip;        /* a field left out */
                const char *want;        /* NULL: damaged */
        } cases[] = {
                {"[\"e1\",\"e2\"]", "{\"lab\":\"msl\",\"org\":\"Apple\"}", NULL,
                 "ids e1,e2 attrs lab=msl,org=Apple"},
                {"[]", "{}", NULL, "ids attrs"},
                {"[\"e1\"]", NULL, NULL, "ids e1 attrs"},
                {"[\"a\\\"b\",\"c\\\\d\"]", "{\"k\":\"\\u00e9\"}", NULL,
                 "ids a\"b,c\\d attrs k=\xc3\xa9"},
                {"[ \"e1\" , \"e2\" ]", "{ \"k\" : \"v\" }", NULL,
                 "ids e1,e2 attrs k=v"},
                {"[\"e1\"]", "{\"k\":\"1\",\"k\":\"2\"}", NULL,
                 "ids e1 attrs k=2"},
                {"[\"e1\"]", "{\"k\":\"v\"}", "summary", NULL},
                {"[\"e1\"]", "{\"k\":\"v\"}", "alert_id", NULL},
                {NULL, "{\"k\":\"v\"}", NULL, NULL},
                {"{\"e1\":\"e2\"}", "{}", NULL, NULL},
                {"[\"e1\",7]", "{}", NULL, NULL},
                {"[\"e1\"", "{}", NULL, NULL},
                {"[\"e1\"]", "[\"k\",\"v\"]", NULL, NULL},
                {"[\"e1\"]", "{\"k\":1}", NULL, NULL},
                {"[\"e1\"]", "{\"k\"}", NULL, NULL},
                {"[\"e1\"]", "{\"k\":\"v\"", NULL, NULL},
                {"[\"\xff\"]", "{}", NULL, NULL},
                {"[\"a\tb\"]", "{}", NULL, NULL},
                {"not json", "{}", NULL, NULL},
        };
        enum { N = sizeof(cases) / sizeof(*cases) };
        hw_store_alert_t out[N + 2];
        char ids[1024], want[1024], got[1024], id[32];
        size_t n = 0;

        run("RENAME st:alerts st:alerts.kept");
        for (size_t i = 0; i < N; i++) {
                const char *extra[4];
                size_t n_extra = 0;
                if (cases[i].ids) {
                        extra[2 * n_extra] = "event_ids";
                        extra[2 * n_extra++ + 1] = cases[i].ids;
                }
                if (cases[i].attrs) {
                        extra[2 * n_extra] = "attributes";
                        extra[2 * n_extra++ + 1] = cases[i].attrs;
                }
                snprintf(id, sizeof(id), "1-%zu", i + 1);
                put_alert(id, cases[i].skip, extra, n_extra);
        }
        /* 65 ids: more than the plain reader takes, all read. */
        {
                const char *extra[2] = {"event_ids", ids};
                size_t at = (size_t)snprintf(ids, sizeof(ids), "[");
                want[0] = '\0';
                for (int i = 0; i < 65; i++) {
                        at += (size_t)snprintf(ids + at, sizeof(ids) - at,
                                               "%s\"e%d\"", i ? "," : "", i);
                        snprintf(want + strlen(want),
                                 sizeof(want) - strlen(want), "%se%d",
                                 i ? "," : "ids ", i);
                }
                snprintf(ids + at, sizeof(ids) - at, "]");
                snprintf(want + strlen(want), sizeof(want) - strlen(want),
                         " attrs");
                put_alert("2-1", NULL, extra, 1);
        }
        for (size_t i = 0; i < N + 2; i++)
                hw_alert_init(&out[i].alert);
        HW_CHECK_EQ_INT(hw_store_read_alerts(store, "0-0", out, N + 2, &n,
                                             errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(n, N + 1);
        for (size_t i = 0; i < N && i < n; i++) {
                const hw_alert_t *a = &out[i].alert;
                HW_CONTEXT("entry %zu: event_ids %s, attributes %s", i + 1,
                           cases[i].ids ? cases[i].ids : "(none)",
                           cases[i].attrs ? cases[i].attrs : "(none)");
                snprintf(id, sizeof(id), "1-%zu", i + 1);
                HW_CHECK_STR(out[i].id, id);
                if (!cases[i].want) {
                        HW_CHECK_NULL(a->alert_id);
                        HW_CONTEXT("%s", "");
                        continue;
                }
                HW_CHECK_STR(a->alert_id, "mega_offer:e1");
                HW_CHECK_STR(a->rule, "mega_offer");
                HW_CHECK_EQ_INT(a->severity, HW_SEVERITY_WARN);
                HW_CHECK_STR(a->subject, "Meta");
                HW_CHECK_STR(a->summary, "a $200M offer");
                HW_CHECK_EQ_INT(a->event_time, INT64_C(1749981600000));
                HW_CHECK_EQ_INT(a->raised_at, INT64_C(1749981600500));
                HW_CHECK_STR(alert_lists(a, got, sizeof(got)), cases[i].want);
                HW_CONTEXT("%s", "");
        }
        if (HW_CHECK(n == N + 1)) {
                HW_CHECK_STR(out[N].id, "2-1");
                HW_CHECK_STR(alert_lists(&out[N].alert, got, sizeof(got)),
                             want);
        }
        /* Read on from the last entry: nothing after it. */
        HW_CHECK_EQ_INT(hw_store_read_alerts(store, "2-1", out, N + 2, &n,
                                             errstr, sizeof(errstr)),
                        HW_OK);
        HW_CHECK_EQ_INT(n, 0);
        for (size_t i = 0; i < N + 2; i++)
                hw_alert_release(&out[i].alert);
        run("DEL st:alerts");
        run("RENAME st:alerts.kept st:alerts");
}

/* 11. A store whose Redis is not there: every read, the step and a
 * rebuild's command are HW_ERR_SERVICE naming the address it could not
 * connect to (not the credentials), and write nothing to their outputs
 * but "none"; nothing is pending. */
static void test_redis_down(void) {
        hw_config_t dc;
        hw_store_t *s;
        char url[64], want[96], id[64] = "x";
        const char *ids[] = {"p0"}, *argv[] = {"PING"};
        int64_t days[] = {june(15)}, offs[1] = {7};
        int32_t parts[] = {0};
        unsigned char seen[1] = {9};
        hw_person_t persons[1];
        hw_store_alert_t alert;
        hw_store_outcome_t outcome;
        hw_store_offset_t off = {"t", 0, -1, 1};
        const hw_plan_slide_t *slide;
        redisReply *r = (redisReply *)1;
        hw_arena_t arena;
        size_t n = 9;
        int port = hw_test_closed_port();

        if (!HW_CHECK(port > 0))
                return;
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
        snprintf(want, sizeof(want), "cannot connect to Redis at 127.0.0.1:%d",
                 port);
        if (!HW_CHECK_EQ_INT(hw_config_init(&dc), HW_OK))
                return;
        HW_CHECK_EQ_INT(
                hw_config_set(&dc, "prefix", "st:", errstr, sizeof(errstr)) ||
                        hw_config_set(&dc, "redis.url", url, errstr,
                                      sizeof(errstr)) ||
                        hw_config_validate(&dc, errstr, sizeof(errstr)),
                HW_OK);
        s = hw_store_new(&dc, "g", errstr, sizeof(errstr));
        if (!HW_CHECK(s != NULL)) {
                hw_config_release(&dc);
                return;
        }
        hw_arena_init(&arena);
        hw_alert_init(&alert.alert);
#define DOWN(call)                                                             \
        do {                                                                   \
                HW_CONTEXT("%s", #call);                                       \
                errstr[0] = '\0';                                              \
                HW_CHECK_EQ_INT(call, HW_ERR_SERVICE);                         \
                HW_CHECK_CONTAINS(errstr, want);                               \
                HW_CHECK(!hw_store_refused_credentials(s));                    \
                HW_CHECK(!hw_store_step_pending(s));                           \
                HW_CONTEXT("%s", "");                                          \
        } while (0)
        DOWN(hw_store_connect(s, errstr, sizeof(errstr)));
        DOWN(hw_store_ping(s, errstr, sizeof(errstr)));
        DOWN(hw_store_begin(s, errstr, sizeof(errstr)));
        HW_CHECK_EQ_INT(hw_store_watermark(s), -1);
        DOWN(hw_store_read_slide(s, june(15), NULL, &slide, errstr,
                                 sizeof(errstr)));
        DOWN(hw_store_get_offsets(s, "t", parts, 1, offs, errstr,
                                  sizeof(errstr)));
        HW_CHECK_EQ_INT(offs[0], 7);
        DOWN(hw_store_get_persons(s, ids, 1, persons, &arena, errstr,
                                  sizeof(errstr)));
        DOWN(hw_store_check_seen(s, days, ids, 1, seen, errstr,
                                 sizeof(errstr)));
        HW_CHECK_EQ_INT(seen[0], 9);
        DOWN(hw_store_read_alerts(s, "0-0", &alert, 1, &n, errstr,
                                  sizeof(errstr)));
        HW_CHECK_EQ_INT(n, 0);
        DOWN(hw_store_get_alert_position(s, HW_KEY_ALERTS_WEBHOOK, id,
                                         sizeof(id), errstr, sizeof(errstr)));
        HW_CHECK_STR(id, "x");
        DOWN(hw_store_set_alert_position(s, HW_KEY_ALERTS_WEBHOOK, "1-1",
                                         errstr, sizeof(errstr)));
        DOWN(hw_store_argv(s, 1, argv, NULL, &r, "PING", errstr,
                           sizeof(errstr)));
        HW_CHECK_NULL(r);
        DOWN(hw_store_apply(s, &off, 1, &deltas, &plan, &outcome, errstr,
                            sizeof(errstr)));
        DOWN(hw_store_step(s, &off, 1, &deltas, &plan, &outcome, errstr,
                           sizeof(errstr)));
        DOWN(hw_store_step_send(s, &off, 1, &deltas, &plan, &outcome, errstr,
                                sizeof(errstr)));
#undef DOWN
        /* Nothing sent: ready at once, and nothing to finish. */
        HW_CHECK(hw_store_step_ready(s));
        HW_CHECK_EQ_INT(
                hw_store_step_finish(s, &outcome, errstr, sizeof(errstr)),
                HW_ERR_INTERNAL);
        HW_CHECK_CONTAINS(errstr, "no atomic step is waiting for its reply");
        hw_alert_release(&alert.alert);
        hw_arena_release(&arena);
        hw_store_destroy(s);
        hw_config_release(&dc);
}

static void run_all(void) {
        HW_RUN(test_persons_damaged);
        HW_RUN(test_persons_wrongtype);
        HW_RUN(test_offsets);
        HW_RUN(test_seen_wrongtype);
        HW_RUN(test_slide_days_damaged);
        HW_RUN(test_alert_keys_wrongtype);
        HW_RUN(test_raid_gather_wrongtype);
        HW_RUN(test_layout);
        HW_RUN(test_argv_refused);
        HW_RUN(test_clear_literal_prefix);
        HW_RUN(test_alerts_read_back);
        HW_RUN(test_redis_down);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, run_all);
}
