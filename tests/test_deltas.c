/* Unit tests of the delta set: seen ids, clearing, limits, empty names. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_deltas.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_map.h"
#include "hw_proc.h"
#include "hw_test.h"
#include "hw_time.h"
#include "proc_fixtures.h"

/* The seen entry "yyyymmdd\0event_id" or NULL. */
static const hw_map_entry_t *seen_get(const hw_deltas_t *d, const char *ymd,
                                      const char *id) {
        char buf[200];
        size_t n = strlen(id);
        memcpy(buf, ymd, 8);
        buf[8] = '\0';
        memcpy(buf + 9, id, n + 1);
        return hw_map_find(&d->seen, buf, 9 + n);
}

/* 11. hw_deltas_seen: ids keyed by event day, watermark = the largest
 * occurred_at whatever the order; hw_deltas_clear resets everything. */
static void test_seen_and_clear(void) {
        hw_deltas_t d;
        const hw_map_entry_t *e;
        hw_event_t ev;

        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(d.watermark, -1);
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T16_FIRST, "ev-b"), HW_OK);
        HW_CHECK_EQ_INT(d.watermark, T16_FIRST);
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T15_LAST, "ev-a"), HW_OK);
        HW_CHECK_EQ_INT(d.watermark, T16_FIRST); /* not the last one */
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T15_START, "ev-c"), HW_OK);
        HW_CHECK_EQ_INT(d.watermark, T16_FIRST);
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T16_10, "ev-d"), HW_OK);
        HW_CHECK_EQ_INT(d.watermark, T16_10);
        HW_CHECK_EQ_INT(d.seen.count, 4);

        e = seen_get(&d, "20250616", "ev-b");
        if (HW_CHECK(e != NULL))
                HW_CHECK_EQ_INT(e->aux, DAY16);
        e = seen_get(&d, "20250615", "ev-a");
        if (HW_CHECK(e != NULL))
                HW_CHECK_EQ_INT(e->aux, DAY15);
        e = seen_get(&d, "20250615", "ev-c");
        if (HW_CHECK(e != NULL))
                HW_CHECK_EQ_INT(e->aux, DAY15);
        e = seen_get(&d, "20250616", "ev-d");
        if (HW_CHECK(e != NULL))
                HW_CHECK_EQ_INT(e->aux, DAY16);
        HW_CHECK_NULL(seen_get(&d, "20250616", "ev-a"));
        HW_CHECK_NULL(seen_get(&d, "20250615", "ev-b"));

        /* The same id twice on its day is one entry. */
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T15_LAST, "ev-a"), HW_OK);
        HW_CHECK_EQ_INT(d.seen.count, 4);
        HW_CHECK_EQ_INT(d.watermark, T16_10);
        /* Seen ids are not counters nor persons. */
        HW_CHECK_EQ_INT(count_entries(&d), 0);
        HW_CHECK_EQ_INT(count_persons(&d), 0);

        /* Fill counters and persons, then clear everything. */
        base_hire(&ev);
        RUN_HIRE(&ev, &nobody, NULL, &d);
        HW_CHECK_EQ_INT(count_entries(&d), 9);
        HW_CHECK_EQ_INT(count_persons(&d), 1);
        hw_deltas_clear(&d);
        HW_CHECK_EQ_INT(count_entries(&d), 0);
        HW_CHECK_EQ_INT(count_persons(&d), 0);
        HW_CHECK_EQ_INT(d.seen.count, 0);
        HW_CHECK_EQ_INT(d.watermark, -1);
        HW_CHECK_NULL(seen_get(&d, "20250616", "ev-b"));
        HW_CHECK_NULL(person_get(&d, "p-bowen"));
        HW_CHECK(!delta_has(&d, HW_DELTA_GAUGE,
                            "lab:meta-superintelligence-labs", "members",
                            NULL));

        /* Reuse after clear starts from zero, not from the old values. */
        RUN_HIRE(&ev, &nobody, NULL, &d);
        HW_CHECK_EQ_INT(count_entries(&d), 9);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE,
                                  "lab:meta-superintelligence-labs", "members",
                                  NULL),
                        1);
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T15_START, "ev-c"), HW_OK);
        HW_CHECK_EQ_INT(d.watermark, T15_START);
        HW_CHECK_EQ_INT(d.seen.count, 1);
        CHECK_PERSON(person_get(&d, "p-bowen"), "Meta Superintelligence Labs",
                     "OpenAI", "CN", "Tsinghua University", "S", T16_10,
                     "hire-0001");

        /* Many entries, to cross map growth, then clear and refill. */
        for (int round = 0; round < 2; round++) {
                char id[32];
                hw_deltas_clear(&d);
                int failed = 0;
                for (int i = 0; i < 500; i++) {
                        snprintf(id, sizeof(id), "ev-%03d", i);
                        failed += hw_deltas_seen(&d,
                                                 T15_START +
                                                         (int64_t)i * HW_DAY_MS,
                                                 id) != HW_OK;
                }
                HW_CHECK_EQ_INT(failed, 0);
                HW_CHECK_EQ_INT(d.seen.count, 500);
                HW_CHECK_EQ_INT(d.watermark, T15_START + 499 * HW_DAY_MS);
                /* ev-016 is 16 days after 2025-06-15: 2025-07-01. */
                e = seen_get(&d, "20250701", "ev-016");
                if (HW_CHECK(e != NULL))
                        HW_CHECK_EQ_INT(e->aux, DAY15 + 16);
        }

        hw_deltas_release(&d);
        /* Release twice (after init) and release of an unused set. */
        hw_deltas_init(&d);
        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* The adders refuse names too long for an entry instead of truncating
 * them into another key. */
static void test_too_long(void) {
        char big[1100];
        hw_deltas_t d;

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        hw_deltas_init(&d);
        HW_CHECK_NE_INT(hw_deltas_gauge(&d, big, "members", 1), HW_OK);
        HW_CHECK_NE_INT(hw_deltas_window(&d, "flow:in", big, DAY16, 1), HW_OK);
        HW_CHECK_NE_INT(hw_deltas_set(&d, big, "name", "x"), HW_OK);
        HW_CHECK_NE_INT(hw_deltas_seen(&d, T16_10, big), HW_OK);
        HW_CHECK_EQ_INT(count_entries(&d), 0);
        HW_CHECK_EQ_INT(d.seen.count, 0);
        HW_CHECK_EQ_INT(d.watermark, -1);
        /* A 128-byte event_id (the schema's maximum) fits. */
        big[128] = '\0';
        HW_CHECK_EQ_INT(hw_deltas_seen(&d, T16_10, big), HW_OK);
        HW_CHECK_EQ_INT(d.seen.count, 1);
        hw_deltas_release(&d);
}

/* An empty key or field is a name like another: the entry reads back
 * with it (no valid event produces one: alma_mater has min_len 1, names
 * must slug to something, but nothing may be lost on the way). */
static void test_parts_empty_last(void) {
        hw_deltas_t d;
        const hw_deltas_entry_t *e;
        hw_delta_t x;

        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(hw_deltas_gauge(&d, "lab:z", "", 1), HW_OK);
        e = hw_deltas_find(&d, HW_DELTA_GAUGE, "lab:z", "", 0, NULL);
        if (HW_CHECK(e != NULL)) {
                hw_deltas_get(&d, 0, &x);
                HW_CHECK_EQ_INT(x.kind, HW_DELTA_GAUGE);
                HW_CHECK_STR(x.key, "lab:z");
                HW_CHECK_STR(x.field, "");
                HW_CHECK_EQ_INT(x.field_len, 0);
                HW_CHECK_EQ_INT(x.delta, 1);
        }
        hw_deltas_clear(&d);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "", "US", DAY16, 1), HW_OK);
        e = hw_deltas_find(&d, HW_DELTA_WINDOW, "", "US", DAY16, NULL);
        if (HW_CHECK(e != NULL)) {
                hw_deltas_get(&d, 0, &x);
                HW_CHECK_STR(x.key, "");
                HW_CHECK_EQ_INT(x.key_len, 0);
                HW_CHECK_STR(x.field, "US");
                HW_CHECK_EQ_INT(x.day, DAY16);
        }
        hw_deltas_release(&d);
}

/* Names of one or two capital letters are interned through their own
 * slots: the same name as through the map, the same string back, none
 * kept past a clear (the names start again from 0). */
static void test_short_names(void) {
        static const char *const names[] = {"US", "S",  "USA", "us", "U",
                                            "ZZ", "AA", "A",   "Z",  "U1",
                                            "",   "@A", "A[",  "FR"};
        const size_t n = sizeof(names) / sizeof(*names);
        int64_t first[sizeof(names) / sizeof(*names)];
        hw_deltas_t d;

        hw_deltas_init(&d);
        for (int round = 0; round < 2; round++) {
                for (size_t i = 0; i < n; i++) {
                        size_t len;
                        int64_t id = hw_deltas_intern(&d, names[i],
                                                      strlen(names[i]));
                        HW_CHECK(id >= 0);
                        if (round == 0) {
                                first[i] = id;
                                /* Each new name gets the next index. */
                                HW_CHECK_EQ_INT(id, (int64_t)i);
                        } else {
                                HW_CHECK_EQ_INT(id, first[i]);
                        }
                        HW_CHECK_STR(hw_deltas_str(&d, (hw_name_t)id, &len),
                                     names[i]);
                        HW_CHECK_EQ_INT(len, strlen(names[i]));
                }
        }
        HW_CHECK_EQ_INT(d.names.count, n);
        /* After a clear the slots are empty again: "FR" is name 0. */
        hw_deltas_clear(&d);
        HW_CHECK_EQ_INT(hw_deltas_intern(&d, "FR", 2), 0);
        HW_CHECK_EQ_INT(hw_deltas_intern(&d, "US", 2), 1);
        HW_CHECK_EQ_INT(hw_deltas_intern(&d, "FR", 2), 0);
        HW_CHECK_EQ_INT(d.names.count, 2);
        hw_deltas_release(&d);
        /* And after a release, when the set is used again. */
        HW_CHECK_EQ_INT(hw_deltas_intern(&d, "US", 2), 0);
        HW_CHECK_EQ_INT(d.names.count, 1);
        hw_deltas_release(&d);
}

int main(void) {
        HW_RUN_ISOLATED(test_seen_and_clear);
        HW_RUN_ISOLATED(test_short_names);
        HW_RUN_ISOLATED(test_too_long);
        HW_RUN_ISOLATED(test_parts_empty_last);
        return hw_test_summary();
}
