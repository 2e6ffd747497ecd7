/*
 * The alert stream read back (hw_store_read_alerts, what the relay and
 * the webhook send), through the store's C API against the test's Redis
 * (tests/store_step.sh runs it after the step programs, on the stream
 * they left): the event ids and attributes of an entry are the same
 * alert whether their JSON is the plain form hirewire writes or any
 * other JSON of the same strings (spaces, escapes, a key given twice),
 * and an entry whose JSON is not an array and an object of strings is
 * damaged (its alert_id NULL), never read as something else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixtures.h"

#define MAX 8

/* Appends an entry with those event_ids and attributes (attrs NULL: no
 * such field) to st:alerts; its stream id into id. */
static void add(const char *alert_id, const char *ids, const char *attrs,
                char *id, size_t size) {
        redisReply *r =
                attrs ? redisCommand(side,
                                     "XADD st:alerts * alert_id %s rule raid "
                                     "severity WARN subject s summary t "
                                     "event_time 1 raised_at 2 event_ids %s "
                                     "attributes %s",
                                     alert_id, ids, attrs)
                      : redisCommand(side,
                                     "XADD st:alerts * alert_id %s rule raid "
                                     "severity WARN subject s summary t "
                                     "event_time 1 raised_at 2 event_ids %s",
                                     alert_id, ids);
        HW_CHECK(r && r->type == REDIS_REPLY_STRING);
        snprintf(id, size, "%s", r && r->str ? r->str : "0-0");
        freeReplyObject(r);
}

/* The stream's last id ("0-0" for none). */
static void last_id(char *out, size_t size) {
        redisReply *r = cmd("XREVRANGE st:alerts + - COUNT 1");
        snprintf(out, size, "%s",
                 r && r->elements ? r->element[0]->element[0]->str : "0-0");
        freeReplyObject(r);
}

/* The one alert read after id `after`, as "ids|k=v,k=v", or "(damaged)". */
static void read_one(const char *after, char *out, size_t size) {
        hw_store_alert_t a[MAX];
        size_t n = 0, o = 0;

        for (int i = 0; i < MAX; i++)
                hw_alert_init(&a[i].alert);
        snprintf(out, size, "(not read)");
        if (HW_CHECK_EQ_INT(hw_store_read_alerts(store, after, a, MAX, &n,
                                                 errstr, sizeof(errstr)),
                            HW_OK) &&
            HW_CHECK_EQ_INT(n, 1)) {
                const hw_alert_t *x = &a[0].alert;
                if (!x->alert_id) {
                        snprintf(out, size, "(damaged)");
                } else {
                        out[0] = '\0';
                        for (size_t i = 0; i < x->n_event_ids; i++)
                                o += (size_t)snprintf(out + o, size - o, "%s%s",
                                                      i ? " " : "",
                                                      x->event_ids[i]);
                        o += (size_t)snprintf(out + o, size - o, "|");
                        for (size_t i = 0; i < x->n_attributes; i++)
                                o += (size_t)snprintf(out + o, size - o,
                                                      "%s%s=%s", i ? "," : "",
                                                      x->attributes[i].key,
                                                      x->attributes[i].value);
                }
        }
        for (int i = 0; i < MAX; i++)
                hw_alert_release(&a[i].alert);
}

static void check_(const char *ids, const char *attrs, const char *want,
                   int line) {
        char before[64], id[64], got[512];

        last_id(before, sizeof(before));
        add("a", ids, attrs, id, sizeof(id));
        read_one(before, got, sizeof(got));
        HW_CONTEXT("event_ids %s attributes %s (line %d)", ids,
                   attrs ? attrs : "(none)", line);
        HW_CHECK_STR(got, want);
        HW_CONTEXT("%s", "");
}
#define CHECK(ids, attrs, want) check_((ids), (attrs), (want), __LINE__)

/* The forms hirewire writes, and the same strings written otherwise. */
static void test_same_alert(void) {
        CHECK("[\"e1\",\"e2\"]", "{\"lab\":\"Meta\",\"org\":\"Open AI\"}",
              "e1 e2|lab=Meta,org=Open AI");
        CHECK("[ \"e1\" , \"e2\" ]",
              "{ \"lab\" : \"Meta\", \"org\":\"Open AI\" }",
              "e1 e2|lab=Meta,org=Open AI");
        CHECK("[]", "{}", "|");
        CHECK("[\"e\"]", NULL, "e|");
        CHECK("[\"한국\",\"Université\"]", "{\"lab\":\"浙江大学\"}",
              "한국 Université|lab=浙江大学");
        CHECK("[\"a\\\"b\",\"c\\\\d\",\"\\u00e9\",\"x\\/y\"]",
              "{\"k\\n\":\"v\\t\"}", "a\"b c\\d é x/y|k\n=v\t");
        CHECK("[\"e\"]", "{\"k\":\"1\",\"j\":\"2\",\"k\":\"3\"}", "e|k=3,j=2");
        CHECK("[\"\"]", "{\"\":\"\"}", "|=");
}

/* JSON that is not an array and an object of strings. */
static void test_damaged(void) {
        static const char *const ids[] = {
                "[\"a\",]",   "[\"a\"",        "\"a\"",
                "[1]",        "[\"a\" \"b\"]", "[\"a\x01\"]",
                "[\"\xff\"]", "{\"a\":\"b\"}", "",
                "[\"a\"]]",   "[\"a\\u0000\"]"};
        static const char *const attrs[] = {"{\"k\"}",         "{\"k\":\"v\",}",
                                            "{\"k\":1}",       "[\"k\",\"v\"]",
                                            "{\"k\",\"v\"}",   "{\"k\":\"v\"",
                                            "{\"k\":\"\xc3\"}"};

        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
                CHECK(ids[i], "{}", "(damaged)");
        for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
                CHECK("[\"e\"]", attrs[i], "(damaged)");
}

static void cases(void) {
        HW_RUN(test_same_alert);
        HW_RUN(test_damaged);
}

int main(int argc, char **argv) {
        return store_main(argc, argv, cases);
}
