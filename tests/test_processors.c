/*
 * Unit tests for the pure processors (processors/hw_proc.c) and the delta
 * set they write (processors/hw_deltas.c): what one decoded hire, plus the
 * person's current place, adds to a batch (SPEC §4, docs/redis-keys.md,
 * "How events count"). Several events in one batch, day boundaries and
 * slugs in keys are in test_aggregate.c, offers and the alert rules in
 * test_offers.c, seen ids, limits and empty names in test_deltas.c; the
 * helpers in proc_fixtures.c.
 *
 * Every expected delta below is written out by hand from the docs, never
 * computed by the code under test, and each test checks the exact and
 * complete set of entries an event produces (CHECK_EXACT: every expected
 * entry with its value, and no other entry), so an extra or a missing
 * counter fails as surely as a wrong value.
 *
 * Times are hand-computed epoch milliseconds; test_time_constants checks
 * them against the ISO parser so a typo in a constant cannot pass silently.
 */
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

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

/* The hand-computed constants agree with the ISO parser and the day
 * helpers (a sanity check of this file, not of the processors). */
static void test_time_constants(void) {
        static const struct {
                const char *iso;
                int64_t ms, day;
                const char *ymd;
        } t[] = {
                {"2025-06-15T00:00:00Z", T15_START, DAY15, "20250615"},
                {"2025-06-15T23:59:59.999Z", T15_LAST, DAY15, "20250615"},
                {"2025-06-16T00:00:00.000Z", T16_FIRST, DAY16, "20250616"},
                {"2025-06-16T10:00:00Z", T16_10, DAY16, "20250616"},
                {"2025-05-01T00:00:00Z", T_MAY1, 20209, "20250501"},
                {"2024-02-29T12:00:00Z", T_LEAP, DAY_LEAP, "20240229"},
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                int64_t ms = -1;
                char ymd[9];
                HW_CONTEXT("%s", t[i].iso);
                HW_CHECK_EQ_INT(hw_time_parse_iso(t[i].iso, &ms), 0);
                HW_CHECK_EQ_INT(ms, t[i].ms);
                HW_CHECK_EQ_INT(hw_time_day(t[i].ms), t[i].day);
                hw_time_ymd(t[i].day, ymd);
                HW_CHECK_STR(ymd, t[i].ymd);
        }
        HW_CONTEXT("%s", "");
        HW_CHECK_EQ_INT(T16_FIRST - T15_LAST, 1);
        HW_CHECK_EQ_INT(T16_FIRST - T15_START, HW_DAY_MS);
}

/* 1. A hire of an unknown person: a move, with every gauge, the name, the
 * ranking and both windows; no flows (US -> US); the person recorded. */
static void test_hire_unknown_person(void) {
        static const exp_t want[] = {
                EG("lab:meta-superintelligence-labs", "members", 1),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "OpenAI", 1),
                EG("lab:meta-superintelligence-labs:nationality", "CN", 1),
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "Tsinghua University", 1),
                EG("lab:meta-superintelligence-labs:tier", "S", 1),
                EZ("labs", "meta-superintelligence-labs", 1),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250616", DAY16, 1),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;
        hw_person_t next;

        memset(&next, 0, sizeof(next));
        base_hire(&ev);
        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(d.watermark, -1);
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &nobody, &next, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want);
        /* No flow family at all. */
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:in", "US", "20250616"));
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:out", "US", "20250616"));
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_WINDOW, "flow:pair", "US>US",
                                  "20250616"),
                        0);

        /* `next` is the new place. */
        CHECK_PERSON(&next, "Meta Superintelligence Labs", "OpenAI", "CN",
                     "Tsinghua University", "S", T16_10, "hire-0001");

        /* The person is recorded under person_id, with copied strings. */
        HW_CHECK_EQ_INT(count_persons(&d), 1);
        const hw_person_t *p = person_get(&d, "p-bowen");
        CHECK_PERSON(p, "Meta Superintelligence Labs", "OpenAI", "CN",
                     "Tsinghua University", "S", T16_10, "hire-0001");
        if (p) {
                HW_CHECK(p->lab != ev.to_lab);
                HW_CHECK(p->event_id != ev.event_id);
        }
        /* The processor does not record the event as seen (the caller
         * does) nor move the watermark. */
        HW_CHECK_EQ_INT(d.seen.count, 0);
        HW_CHECK_EQ_INT(d.watermark, -1);

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* Entries as hw_deltas_find and hw_deltas_get read them back: interned
 * key and field names, the day of a window, the value of a SET. */
static void test_entry_format(void) {
        hw_event_t ev;
        hw_deltas_t d;
        const hw_deltas_entry_t *e;
        hw_delta_t x;

        base_hire(&ev);
        hw_deltas_init(&d);
        RUN_HIRE(&ev, &nobody, NULL, &d);

        e = hw_deltas_find(&d, HW_DELTA_WINDOW,
                           "lab:meta-superintelligence-labs:hires", "OpenAI",
                           DAY16, NULL);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(e->v.i, 1);
                HW_CHECK_EQ_INT(e->aux, DAY16);
                hw_deltas_get(&d, (size_t)(e - d.counters.entries), &x);
                HW_CHECK_EQ_INT(x.kind, HW_DELTA_WINDOW);
                HW_CHECK_STR(x.key, "lab:meta-superintelligence-labs:hires");
                HW_CHECK_EQ_INT(x.key_len, strlen(x.key));
                HW_CHECK_STR(x.field, "OpenAI");
                HW_CHECK_EQ_INT(x.field_len, 6);
                HW_CHECK_EQ_INT(x.day, DAY16);
                HW_CHECK_EQ_INT(x.delta, 1);
        }
        /* Another day of the same (family, field) is another entry. */
        HW_CHECK_NULL(hw_deltas_find(&d, HW_DELTA_WINDOW,
                                     "lab:meta-superintelligence-labs:hires",
                                     "OpenAI", DAY15, NULL));
        e = hw_deltas_find(&d, HW_DELTA_GAUGE,
                           "lab:meta-superintelligence-labs", "members", 0,
                           NULL);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(e->v.i, 1);
                hw_deltas_get(&d, (size_t)(e - d.counters.entries), &x);
                HW_CHECK_EQ_INT(x.kind, HW_DELTA_GAUGE);
                HW_CHECK_STR(x.key, "lab:meta-superintelligence-labs");
                HW_CHECK_STR(x.field, "members");
                HW_CHECK_EQ_INT(x.day, 0);
        }
        /* The same names as another kind are another entry. */
        HW_CHECK_NULL(hw_deltas_find(&d, HW_DELTA_RANK,
                                     "lab:meta-superintelligence-labs",
                                     "members", 0, NULL));
        e = hw_deltas_find(&d, HW_DELTA_RANK, "labs",
                           "meta-superintelligence-labs", 0, NULL);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(e->v.i, 1);
                hw_deltas_get(&d, (size_t)(e - d.counters.entries), &x);
                HW_CHECK_EQ_INT(x.kind, HW_DELTA_RANK);
        }
        e = hw_deltas_find(&d, HW_DELTA_SET, "lab:meta-superintelligence-labs",
                           "name", 0, NULL);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_STR(e->v.p, "Meta Superintelligence Labs");
                hw_deltas_get(&d, (size_t)(e - d.counters.entries), &x);
                HW_CHECK_EQ_INT(x.kind, HW_DELTA_SET);
                HW_CHECK_STR(x.value, "Meta Superintelligence Labs");
                HW_CHECK_STR(x.field, "name");
        }
        /* The lookup helpers agree with the raw map. */
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE,
                                  "lab:meta-superintelligence-labs", "members",
                                  NULL),
                        1);
        HW_CHECK_EQ_INT(
                delta_get(&d, HW_DELTA_GAUGE, "lab:nope", "members", NULL), 0);
        HW_CHECK_STR(set_get(&d, "lab:meta-superintelligence-labs", "name"),
                     "Meta Superintelligence Labs");
        HW_CHECK_NULL(set_get(&d, "lab:nope", "name"));

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 2. Missing nationality and alma_mater count as "unknown"; the tier
 * symbols. */
static void test_hire_unknown_fields(void) {
        static const exp_t want[] = {
                EG("lab:meta-superintelligence-labs", "members", 1),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "OpenAI", 1),
                EG("lab:meta-superintelligence-labs:nationality", "unknown", 1),
                EG("lab:meta-superintelligence-labs:alma_mater", "unknown", 1),
                EG("lab:meta-superintelligence-labs:tier", "UNRATED", 1),
                EZ("labs", "meta-superintelligence-labs", 1),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250616", DAY16, 1),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 1),
        };
        static const struct {
                hw_tier_t tier;
                const char *name;
        } tiers[] = {{HW_TIER_S, "S"},
                     {HW_TIER_A, "A"},
                     {HW_TIER_B, "B"},
                     {HW_TIER_UNRATED, "UNRATED"}};
        hw_event_t ev;
        hw_deltas_t d;
        hw_person_t next;

        base_hire(&ev);
        ev.nationality = NULL;
        ev.alma_mater = NULL;
        ev.tier = HW_TIER_UNRATED;
        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &nobody, &next, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want);
        CHECK_PERSON(&next, "Meta Superintelligence Labs", "OpenAI", "unknown",
                     "unknown", "UNRATED", T16_10, "hire-0001");
        CHECK_PERSON(person_get(&d, "p-bowen"), "Meta Superintelligence Labs",
                     "OpenAI", "unknown", "unknown", "UNRATED", T16_10,
                     "hire-0001");

        for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
                HW_CONTEXT("tier %s", tiers[i].name);
                hw_deltas_clear(&d);
                ev.tier = tiers[i].tier;
                RUN_HIRE(&ev, &nobody, &next, &d);
                HW_CHECK_EQ_INT(
                        delta_get(&d, HW_DELTA_GAUGE,
                                  "lab:meta-superintelligence-labs:tier",
                                  tiers[i].name, NULL),
                        1);
                HW_CHECK_EQ_INT(count_entries(&d), 9);
                HW_CHECK_STR(next.tier, tiers[i].name);
        }
        HW_CONTEXT("%s", "");

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 3. A cross-border hire counts in flow:in, flow:out and flow:pair. */
static void test_hire_cross_border(void) {
        static const exp_t want[] = {
                EG("lab:meta-superintelligence-labs", "members", 1),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "Samsung", 1),
                EG("lab:meta-superintelligence-labs:nationality", "KR", 1),
                EG("lab:meta-superintelligence-labs:alma_mater", "KAIST", 1),
                EG("lab:meta-superintelligence-labs:tier", "A", 1),
                EZ("labs", "meta-superintelligence-labs", 1),
                EW("lab:meta-superintelligence-labs:hires", "Samsung",
                   "20250616", DAY16, 1),
                EW("org:samsung:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 1),
                EW("flow:in", "US", "20250616", DAY16, 1),
                EW("flow:out", "KR", "20250616", DAY16, 1),
                EW("flow:pair", "KR>US", "20250616", DAY16, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;

        base_hire(&ev);
        ev.person_id = "p-kim";
        ev.from_org = "Samsung";
        ev.from_country = "KR";
        ev.to_country = "US";
        ev.nationality = "KR";
        ev.alma_mater = "KAIST";
        ev.tier = HW_TIER_A;
        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &nobody, NULL, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want);
        /* Not the other direction. */
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:in", "KR", "20250616"));
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:out", "US", "20250616"));
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:pair", "US>KR",
                            "20250616"));

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 4. A departure: the old lab's gauges go down by what the recorded
 * arrival added (its origin, nationality, alma_mater, tier), not by the
 * new event's values; the new lab's go up. */
static void test_hire_departure(void) {
        static const exp_t want[] = {
                EG("lab:google-deepmind", "members", -1),
                EG("lab:google-deepmind:origin", "Anthropic", -1),
                EG("lab:google-deepmind:nationality", "KR", -1),
                EG("lab:google-deepmind:alma_mater", "KAIST", -1),
                EG("lab:google-deepmind:tier", "A", -1),
                EZ("labs", "google-deepmind", -1),
                EG("lab:meta-superintelligence-labs", "members", 1),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "Google", 1),
                EG("lab:meta-superintelligence-labs:nationality", "unknown", 1),
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "Seoul National University", 1),
                EG("lab:meta-superintelligence-labs:tier", "S", 1),
                EZ("labs", "meta-superintelligence-labs", 1),
                EW("lab:meta-superintelligence-labs:hires", "Google",
                   "20250616", DAY16, 1),
                EW("org:google:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 1),
                EW("flow:in", "US", "20250616", DAY16, 1),
                EW("flow:out", "GB", "20250616", DAY16, 1),
                EW("flow:pair", "GB>US", "20250616", DAY16, 1),
        };
        const hw_person_t cur = {
                .lab = "Google DeepMind",
                .origin = "Anthropic",
                .nationality = "KR",
                .alma_mater = "KAIST",
                .tier = "A",
                .at = T_MAY1,
                .event_id = "hire-old",
        };
        hw_event_t ev;
        hw_deltas_t d;
        hw_person_t next;

        base_hire(&ev);
        ev.event_id = "hire-0002";
        ev.from_org = "Google";
        ev.from_lab = "Google DeepMind";
        ev.from_country = "GB";
        ev.to_country = "US";
        ev.nationality = NULL;
        ev.alma_mater = "Seoul National University";
        ev.tier = HW_TIER_S;
        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &cur, &next, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want);
        /* The lab left gets no name. */
        HW_CHECK_NULL(set_get(&d, "lab:google-deepmind", "name"));
        CHECK_PERSON(&next, "Meta Superintelligence Labs", "Google", "unknown",
                     "Seoul National University", "S", T16_10, "hire-0002");
        HW_CHECK_EQ_INT(count_persons(&d), 1);
        CHECK_PERSON(person_get(&d, "p-bowen"), "Meta Superintelligence Labs",
                     "Google", "unknown", "Seoul National University", "S",
                     T16_10, "hire-0002");

        /* A hire at exactly the recorded time is not older: still a move. */
        HW_CONTEXT("%s", "hire at the recorded move's time");
        hw_deltas_clear(&d);
        {
                hw_person_t same = cur;
                same.at = T16_10;
                HW_CHECK_EQ_INT(RUN_HIRE(&ev, &same, &next, &d), HW_HIRE_MOVE);
                CHECK_EXACT(&d, want);
        }
        HW_CONTEXT("%s", "");

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 5. A repeated announcement (same lab by slug) changes nothing and
 * records nobody, even when older than the recorded move. */
static void test_hire_repeated(void) {
        const hw_person_t cur = {
                .lab = "Meta Superintelligence Labs",
                .origin = "OpenAI",
                .nationality = "CN",
                .alma_mater = "Tsinghua University",
                .tier = "S",
                .at = T15_START,
                .event_id = "hire-0001",
        };
        static const struct {
                const char *to_org, *to_lab;
                int64_t at;
                const char *what;
        } cases[] = {
                {"Meta", "Meta Superintelligence Labs", T16_10, "same name"},
                {"Meta", "meta superintelligence labs", T16_10, "lower case"},
                {"Meta", "Meta-Superintelligence-Labs!", T16_10, "punctuation"},
                {"Meta", "meta superintelligence labs", T_MAY1,
                 "older than the recorded move"},
                {"Meta Superintelligence Labs", NULL, T16_10,
                 "lab from to_org"},
        };
        hw_event_t ev;
        hw_deltas_t d;

        base_hire(&ev);
        hw_deltas_init(&d);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                HW_CONTEXT("%s", cases[i].what);
                hw_deltas_clear(&d);
                ev.to_org = cases[i].to_org;
                ev.to_lab = cases[i].to_lab;
                ev.occurred_at = cases[i].at;
                /* Different attributes must not matter either. */
                ev.from_country = "KR";
                ev.nationality = "KR";
                HW_CHECK_EQ_INT(RUN_HIRE(&ev, &cur, NULL, &d),
                                HW_HIRE_REPEATED);
                CHECK_EMPTY(&d);
                HW_CHECK_EQ_INT(count_persons(&d), 0);
                HW_CHECK_EQ_INT(d.seen.count, 0);
        }
        HW_CONTEXT("%s", "");

        /* xAI recorded; a hire into to_org "XAI" without a lab. */
        {
                hw_person_t x = cur;
                x.lab = "xAI";
                hw_deltas_clear(&d);
                ev.to_org = "XAI";
                ev.to_lab = NULL;
                ev.occurred_at = T16_10;
                HW_CHECK_EQ_INT(RUN_HIRE(&ev, &x, NULL, &d), HW_HIRE_REPEATED);
                CHECK_EMPTY(&d);
                HW_CHECK_EQ_INT(count_persons(&d), 0);
        }

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 6. A late announcement (older than the recorded move, into another lab):
 * windows and flows of its own day, no gauges, no name, nobody recorded. */
static void test_hire_late(void) {
        static const exp_t want_same_day[] = {
                EW("lab:anthropic:hires", "OpenAI", "20250616", DAY16, 1),
                EW("org:openai:losses", "anthropic", "20250616", DAY16, 1),
                EW("flow:in", "US", "20250616", DAY16, 1),
                EW("flow:out", "CA", "20250616", DAY16, 1),
                EW("flow:pair", "CA>US", "20250616", DAY16, 1),
        };
        static const exp_t want_old_day[] = {
                EW("lab:anthropic:hires", "OpenAI", "20250501", 20209, 1),
                EW("org:openai:losses", "anthropic", "20250501", 20209, 1),
                EW("flow:in", "US", "20250501", 20209, 1),
                EW("flow:out", "CA", "20250501", 20209, 1),
                EW("flow:pair", "CA>US", "20250501", 20209, 1),
        };
        static const exp_t want_domestic[] = {
                EW("lab:anthropic:hires", "OpenAI", "20250501", 20209, 1),
                EW("org:openai:losses", "anthropic", "20250501", 20209, 1),
        };
        const hw_person_t cur = {
                .lab = "Google DeepMind",
                .origin = "Google",
                .nationality = "CA",
                .alma_mater = "University of Toronto",
                .tier = "A",
                .at = T16_10,
                .event_id = "hire-latest",
        };
        hw_event_t ev;
        hw_deltas_t d;

        base_hire(&ev);
        ev.event_id = "hire-late";
        ev.to_org = "Anthropic";
        ev.to_lab = NULL;
        ev.from_country = "CA";
        ev.to_country = "US";
        ev.nationality = "CA";
        ev.occurred_at = T16_10 - 1; /* 1 ms older, same day */
        hw_deltas_init(&d);
        HW_CONTEXT("%s", "1 ms older");
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &cur, NULL, &d), HW_HIRE_LATE);
        CHECK_EXACT(&d, want_same_day);
        HW_CHECK_EQ_INT(count_persons(&d), 0);
        HW_CHECK_NULL(set_get(&d, "lab:anthropic", "name"));
        HW_CHECK(!delta_has(&d, HW_DELTA_GAUGE, "lab:google-deepmind",
                            "members", NULL));

        HW_CONTEXT("%s", "weeks older: counted on its own day");
        hw_deltas_clear(&d);
        ev.occurred_at = T_MAY1;
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &cur, NULL, &d), HW_HIRE_LATE);
        CHECK_EXACT(&d, want_old_day);
        HW_CHECK_EQ_INT(count_persons(&d), 0);

        HW_CONTEXT("%s", "domestic late hire: no flows");
        hw_deltas_clear(&d);
        ev.from_country = "US";
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &cur, NULL, &d), HW_HIRE_LATE);
        CHECK_EXACT(&d, want_domestic);
        HW_CONTEXT("%s", "");

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 7. The lab is to_lab when set, else to_org. */
static void test_hire_lab_choice(void) {
        static const exp_t want_xai[] = {
                EG("lab:xai", "members", 1),
                ES("lab:xai", "name", "xAI"),
                EG("lab:xai:origin", "OpenAI", 1),
                EG("lab:xai:nationality", "CN", 1),
                EG("lab:xai:alma_mater", "Tsinghua University", 1),
                EG("lab:xai:tier", "S", 1),
                EZ("labs", "xai", 1),
                EW("lab:xai:hires", "OpenAI", "20250616", DAY16, 1),
                EW("org:openai:losses", "xai", "20250616", DAY16, 1),
        };
        static const exp_t want_fair[] = {
                EG("lab:fair", "members", 1),
                ES("lab:fair", "name", "FAIR"),
                EG("lab:fair:origin", "OpenAI", 1),
                EG("lab:fair:nationality", "CN", 1),
                EG("lab:fair:alma_mater", "Tsinghua University", 1),
                EG("lab:fair:tier", "S", 1),
                EZ("labs", "fair", 1),
                EW("lab:fair:hires", "OpenAI", "20250616", DAY16, 1),
                EW("org:openai:losses", "fair", "20250616", DAY16, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;
        hw_person_t next;

        base_hire(&ev);
        ev.to_org = "xAI";
        ev.to_lab = NULL;
        hw_deltas_init(&d);
        HW_CONTEXT("%s", "to_lab NULL, to_org xAI");
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &nobody, &next, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want_xai);
        HW_CHECK_STR(next.lab, "xAI");
        CHECK_PERSON(person_get(&d, "p-bowen"), "xAI", "OpenAI", "CN",
                     "Tsinghua University", "S", T16_10, "hire-0001");

        HW_CONTEXT("%s", "to_lab FAIR wins over to_org Meta");
        hw_deltas_clear(&d);
        ev.to_org = "Meta";
        ev.to_lab = "FAIR";
        HW_CHECK_EQ_INT(RUN_HIRE(&ev, &nobody, &next, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want_fair);
        HW_CHECK_STR(next.lab, "FAIR");
        HW_CONTEXT("%s", "");

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

int main(void) {
        HW_RUN_ISOLATED(test_time_constants);
        HW_RUN_ISOLATED(test_hire_unknown_person);
        HW_RUN_ISOLATED(test_entry_format);
        HW_RUN_ISOLATED(test_hire_unknown_fields);
        HW_RUN_ISOLATED(test_hire_cross_border);
        HW_RUN_ISOLATED(test_hire_departure);
        HW_RUN_ISOLATED(test_hire_repeated);
        HW_RUN_ISOLATED(test_hire_late);
        HW_RUN_ISOLATED(test_hire_lab_choice);
        return hw_test_summary();
}
