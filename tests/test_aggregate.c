/* Unit tests of what several events add up to in one batch, and slugs. */
/*
 * Aggregation, counters back to zero, two moves of one person, day
 * boundaries and slugs in keys (test_processors.c has the single hires).
 * Every expected delta is written out by hand (CHECK_EXACT: exactly
 * those entries, no other).
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
/* 9. Aggregation of hires: same lab, org and day add up in one entry;
 * different days make separate window entries. */
static void test_aggregate_hires(void) {
        static const exp_t want_same_day[] = {
                EG("lab:meta-superintelligence-labs", "members", 2),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "OpenAI", 2),
                EG("lab:meta-superintelligence-labs:nationality", "CN", 2),
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "Tsinghua University", 2),
                EG("lab:meta-superintelligence-labs:tier", "S", 2),
                EZ("labs", "meta-superintelligence-labs", 2),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250616", DAY16, 2),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 2),
        };
        static const exp_t want_two_days[] = {
                EG("lab:meta-superintelligence-labs", "members", 2),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "OpenAI", 2),
                EG("lab:meta-superintelligence-labs:nationality", "CN", 2),
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "Tsinghua University", 2),
                EG("lab:meta-superintelligence-labs:tier", "S", 2),
                EZ("labs", "meta-superintelligence-labs", 2),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250616", DAY16, 1),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 1),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250615", DAY15, 1),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250615", DAY15, 1),
        };
        hw_event_t a, b;
        hw_deltas_t d;

        base_hire(&a);
        base_hire(&b);
        b.event_id = "hire-0002";
        b.person_id = "p-other";
        b.occurred_at = T16_FIRST; /* same day as a (10:00) */
        hw_deltas_init(&d);
        HW_CONTEXT("%s", "same day");
        HW_CHECK_EQ_INT(RUN_HIRE(&a, &nobody, NULL, &d), HW_HIRE_MOVE);
        HW_CHECK_EQ_INT(RUN_HIRE(&b, &nobody, NULL, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want_same_day);
        HW_CHECK_EQ_INT(count_persons(&d), 2);
        CHECK_PERSON(person_get(&d, "p-bowen"), "Meta Superintelligence Labs",
                     "OpenAI", "CN", "Tsinghua University", "S", T16_10,
                     "hire-0001");
        CHECK_PERSON(person_get(&d, "p-other"), "Meta Superintelligence Labs",
                     "OpenAI", "CN", "Tsinghua University", "S", T16_FIRST,
                     "hire-0002");

        HW_CONTEXT("%s", "different days");
        hw_deltas_clear(&d);
        b.occurred_at = T15_LAST;
        RUN_HIRE(&a, &nobody, NULL, &d);
        RUN_HIRE(&b, &nobody, NULL, &d);
        CHECK_EXACT(&d, want_two_days);
        HW_CONTEXT("%s", "");

        hw_deltas_release(&d);
        hw_event_release(&a);
        hw_event_release(&b);
}

/* 9b. A +1 and a -1 on the same gauge leave the entry in place with value
 * 0 (it is kept, not removed). The store must (and hw_store.lua does)
 * skip zero deltas: a 0 must never create a field or a key. */
static void test_aggregate_to_zero(void) {
        /* Person A joins lab X; person B, recorded in X with the same
         * attributes, leaves X for Y: X's gauges net to 0. */
        static const exp_t want[] = {
                EG("lab:x-lab", "members", 0),
                ES("lab:x-lab", "name", "X Lab"),
                EG("lab:x-lab:origin", "OpenAI", 0),
                EG("lab:x-lab:nationality", "CN", 0),
                EG("lab:x-lab:alma_mater", "Tsinghua University", 0),
                EG("lab:x-lab:tier", "S", 0),
                EZ("labs", "x-lab", 0),
                EW("lab:x-lab:hires", "OpenAI", "20250616", DAY16, 1),
                EW("org:openai:losses", "x-lab", "20250616", DAY16, 1),
                EG("lab:y-lab", "members", 1),
                ES("lab:y-lab", "name", "Y Lab"),
                EG("lab:y-lab:origin", "Google", 1),
                EG("lab:y-lab:nationality", "CN", 1),
                EG("lab:y-lab:alma_mater", "Tsinghua University", 1),
                EG("lab:y-lab:tier", "S", 1),
                EZ("labs", "y-lab", 1),
                EW("lab:y-lab:hires", "Google", "20250616", DAY16, 1),
                EW("org:google:losses", "y-lab", "20250616", DAY16, 1),
        };
        const hw_person_t b_cur = {
                .lab = "X Lab",
                .origin = "OpenAI",
                .nationality = "CN",
                .alma_mater = "Tsinghua University",
                .tier = "S",
                .at = T_MAY1,
                .event_id = "hire-b-old",
        };
        hw_event_t a, b;
        hw_deltas_t d;

        base_hire(&a);
        a.to_org = "X Lab";
        a.to_lab = NULL;
        base_hire(&b);
        b.event_id = "hire-b";
        b.person_id = "p-b";
        b.from_org = "Google";
        b.to_org = "Y Lab";
        b.to_lab = NULL;
        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(RUN_HIRE(&a, &nobody, NULL, &d), HW_HIRE_MOVE);
        HW_CHECK_EQ_INT(RUN_HIRE(&b, &b_cur, NULL, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want);
        HW_CHECK(delta_has(&d, HW_DELTA_GAUGE, "lab:x-lab", "members", NULL));
        HW_CHECK(delta_has(&d, HW_DELTA_RANK, "labs", "x-lab", NULL));

        /* The same through the adders directly; a 0 delta adds nothing. */
        hw_deltas_clear(&d);
        HW_CHECK_EQ_INT(hw_deltas_gauge(&d, "lab:z", "members", 1), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_gauge(&d, "lab:z", "members", -1), HW_OK);
        HW_CHECK(delta_has(&d, HW_DELTA_GAUGE, "lab:z", "members", NULL));
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:z", "members", NULL),
                        0);
        HW_CHECK_EQ_INT(count_entries(&d), 1);
        HW_CHECK_EQ_INT(hw_deltas_gauge(&d, "lab:q", "members", 0), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_rank(&d, "labs", "q", 0), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", DAY16, 0), HW_OK);
        HW_CHECK_EQ_INT(count_entries(&d), 1);
        /* Kinds are distinct entries even with the same key and field. */
        HW_CHECK_EQ_INT(hw_deltas_rank(&d, "lab:z", "members", 5), HW_OK);
        HW_CHECK_EQ_INT(count_entries(&d), 2);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_RANK, "lab:z", "members", NULL),
                        5);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:z", "members", NULL),
                        0);
        /* A later SET of the same field replaces the value. */
        HW_CHECK_EQ_INT(hw_deltas_set(&d, "lab:z", "name", "Z one"), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_set(&d, "lab:z", "name", "Z two"), HW_OK);
        HW_CHECK_STR(set_get(&d, "lab:z", "name"), "Z two");
        HW_CHECK_EQ_INT(count_entries(&d), 3);

        hw_deltas_release(&d);
        hw_event_release(&a);
        hw_event_release(&b);
}

/* 9c. One person moving twice in one batch, the second move starting from
 * the place the batch recorded (as consumer/batch.c does): the first lab
 * nets to 0, the person ends in the second. */
static void test_two_moves_one_batch(void) {
        static const exp_t want[] = {
                EG("lab:anthropic", "members", 0),
                ES("lab:anthropic", "name", "Anthropic"),
                EG("lab:anthropic:origin", "OpenAI", 0),
                EG("lab:anthropic:nationality", "CN", 0),
                EG("lab:anthropic:alma_mater", "Tsinghua University", 0),
                EG("lab:anthropic:tier", "S", 0),
                EZ("labs", "anthropic", 0),
                EW("lab:anthropic:hires", "OpenAI", "20250615", DAY15, 1),
                EW("org:openai:losses", "anthropic", "20250615", DAY15, 1),
                EG("lab:meta-superintelligence-labs", "members", 1),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "Anthropic", 1),
                EG("lab:meta-superintelligence-labs:nationality", "CN", 1),
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "Tsinghua University", 1),
                EG("lab:meta-superintelligence-labs:tier", "S", 1),
                EZ("labs", "meta-superintelligence-labs", 1),
                EW("lab:meta-superintelligence-labs:hires", "Anthropic",
                   "20250616", DAY16, 1),
                EW("org:anthropic:losses", "meta-superintelligence-labs",
                   "20250616", DAY16, 1),
        };
        hw_event_t a, b;
        hw_deltas_t d;
        const hw_person_t *cur;

        base_hire(&a);
        a.event_id = "hire-a";
        a.to_org = "Anthropic";
        a.to_lab = NULL;
        a.occurred_at = T15_START;
        base_hire(&b);
        b.event_id = "hire-b";
        b.from_org = "Anthropic";
        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(RUN_HIRE(&a, &nobody, NULL, &d), HW_HIRE_MOVE);
        cur = person_get(&d, "p-bowen");
        CHECK_PERSON(cur, "Anthropic", "OpenAI", "CN", "Tsinghua University",
                     "S", T15_START, "hire-a");
        if (!cur)
                goto out;
        HW_CHECK_EQ_INT(RUN_HIRE(&b, cur, NULL, &d), HW_HIRE_MOVE);
        CHECK_EXACT(&d, want);
        HW_CHECK_EQ_INT(count_persons(&d), 1);
        CHECK_PERSON(person_get(&d, "p-bowen"), "Meta Superintelligence Labs",
                     "Anthropic", "CN", "Tsinghua University", "S", T16_10,
                     "hire-b");
out:
        hw_deltas_release(&d);
        hw_event_release(&a);
        hw_event_release(&b);
}

/* 10. Day boundaries: the last ms of a day and the first ms of the next
 * land in different buckets, with the day number in aux. */
static void test_day_boundaries(void) {
        static const exp_t want[] = {
                ES("org:openai", "name", "OpenAI"),
                EG("lab:meta-superintelligence-labs", "members", 2),
                ES("lab:meta-superintelligence-labs", "name",
                   "Meta Superintelligence Labs"),
                EG("lab:meta-superintelligence-labs:origin", "OpenAI", 2),
                EG("lab:meta-superintelligence-labs:nationality", "CN", 2),
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "Tsinghua University", 2),
                EG("lab:meta-superintelligence-labs:tier", "S", 2),
                EZ("labs", "meta-superintelligence-labs", 2),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250615", 20254, 1),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250615", 20254, 1),
                EW("lab:meta-superintelligence-labs:hires", "OpenAI",
                   "20250616", 20255, 1),
                EW("org:openai:losses", "meta-superintelligence-labs",
                   "20250616", 20255, 1),
                EW("org:openai:offers", "declined", "20250615", 20254, 1),
                EW("org:openai:offers", "declined", "20250616", 20255, 1),
        };
        static const exp_t want_leap[] = {
                ES("org:openai", "name", "OpenAI"),
                EW("org:openai:offers", "withdrawn", "20240229", DAY_LEAP, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;

        hw_deltas_init(&d);
        base_hire(&ev);
        ev.person_id = "p-late-night";
        ev.occurred_at = T15_LAST; /* 2025-06-15T23:59:59.999Z */
        RUN_HIRE(&ev, &nobody, NULL, &d);
        ev.person_id = "p-midnight";
        ev.occurred_at = T16_FIRST; /* 2025-06-16T00:00:00.000Z */
        RUN_HIRE(&ev, &nobody, NULL, &d);
        hw_event_release(&ev);
        base_offer(&ev, HW_OFFER_DECLINED, 5);
        ev.offering_org = "OpenAI";
        ev.occurred_at = T15_LAST;
        RUN_OFFER(&g_conf, &ev, &d);
        ev.occurred_at = T16_FIRST;
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want);

        HW_CONTEXT("%s", "leap day");
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_WITHDRAWN, 5);
        ev.offering_org = "OpenAI";
        ev.occurred_at = T_LEAP;
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_leap);
        HW_CONTEXT("%s", "");

        /* The window adder straight: day number in, yyyymmdd in the key. */
        hw_deltas_clear(&d);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", 20254, 3), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", 20255, 4), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", 0, 1), HW_OK);
        HW_CHECK_EQ_INT(
                delta_get(&d, HW_DELTA_WINDOW, "flow:in", "US", "20250615"), 3);
        HW_CHECK_EQ_INT(
                delta_get(&d, HW_DELTA_WINDOW, "flow:in", "US", "20250616"), 4);
        HW_CHECK_EQ_INT(
                delta_get(&d, HW_DELTA_WINDOW, "flow:in", "US", "19700101"), 1);
        HW_CHECK_EQ_INT(count_entries(&d), 3);

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 12. Slugs in keys: org slugs in org: keys, lab slugs in lab: keys and in
 * the losses field, display names elsewhere. */
static void test_slugs_in_keys(void) {
        static const exp_t want_meta_ai[] = {
                EG("lab:meta-ai", "members", 1),
                ES("lab:meta-ai", "name", "Meta  AI!!"),
                EG("lab:meta-ai:origin", "Google", 1),
                EG("lab:meta-ai:nationality", "CN", 1),
                EG("lab:meta-ai:alma_mater", "Tsinghua University", 1),
                EG("lab:meta-ai:tier", "S", 1),
                EZ("labs", "meta-ai", 1),
                EW("lab:meta-ai:hires", "Google", "20250616", DAY16, 1),
                EW("org:google:losses", "meta-ai", "20250616", DAY16, 1),
        };
        static const exp_t want_gdm[] = {
                EG("lab:google-deepmind", "members", 1),
                ES("lab:google-deepmind", "name", "Google DeepMind"),
                EG("lab:google-deepmind:origin", "Mistral AI", 1),
                EG("lab:google-deepmind:nationality", "FR", 1),
                EG("lab:google-deepmind:alma_mater",
                   "\xC3\x89"
                   "cole Polytechnique",
                   1),
                EG("lab:google-deepmind:tier", "B", 1),
                EZ("labs", "google-deepmind", 1),
                EW("lab:google-deepmind:hires", "Mistral AI", "20250616", DAY16,
                   1),
                EW("org:mistral-ai:losses", "google-deepmind", "20250616",
                   DAY16, 1),
                EW("flow:in", "GB", "20250616", DAY16, 1),
                EW("flow:out", "FR", "20250616", DAY16, 1),
                EW("flow:pair", "FR>GB", "20250616", DAY16, 1),
        };
        static const exp_t want_utf8[] = {
                EG("lab:z\xC3\xBCrich-ai-lab", "members", 1),
                ES("lab:z\xC3\xBCrich-ai-lab", "name",
                   "  --Z\xC3\xBCrich AI Lab--  "),
                EG("lab:z\xC3\xBCrich-ai-lab:origin", "01.AI", 1),
                EG("lab:z\xC3\xBCrich-ai-lab:nationality", "CN", 1),
                EG("lab:z\xC3\xBCrich-ai-lab:alma_mater", "Tsinghua University",
                   1),
                EG("lab:z\xC3\xBCrich-ai-lab:tier", "S", 1),
                EZ("labs", "z\xC3\xBCrich-ai-lab", 1),
                EW("lab:z\xC3\xBCrich-ai-lab:hires", "01.AI", "20250616", DAY16,
                   1),
                EW("org:01-ai:losses", "z\xC3\xBCrich-ai-lab", "20250616",
                   DAY16, 1),
                EW("flow:in", "CH", "20250616", DAY16, 1),
                EW("flow:out", "CN", "20250616", DAY16, 1),
                EW("flow:pair", "CN>CH", "20250616", DAY16, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;

        hw_deltas_init(&d);

        /* From org Google (lab Google DeepMind) into "Meta  AI!!": the
         * losses key is the org's slug, its field the lab's slug; hires
         * and origin use from_org as written, not from_lab. */
        HW_CONTEXT("%s", "Google -> Meta  AI!!");
        base_hire(&ev);
        ev.from_org = "Google";
        ev.from_lab = "Google DeepMind";
        ev.to_lab = "Meta  AI!!";
        RUN_HIRE(&ev, &nobody, NULL, &d);
        CHECK_EXACT(&d, want_meta_ai);
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "org:google-deepmind:losses",
                            "meta-ai", "20250616"));
        hw_event_release(&ev);

        HW_CONTEXT("%s", "Mistral AI -> Google DeepMind");
        hw_deltas_clear(&d);
        base_hire(&ev);
        ev.from_org = "Mistral AI";
        ev.to_org = "Google";
        ev.to_lab = "Google DeepMind";
        ev.from_country = "FR";
        ev.to_country = "GB";
        ev.nationality = "FR";
        ev.alma_mater = "\xC3\x89"
                        "cole Polytechnique";
        ev.tier = HW_TIER_B;
        RUN_HIRE(&ev, &nobody, NULL, &d);
        CHECK_EXACT(&d, want_gdm);
        hw_event_release(&ev);

        /* Leading/trailing punctuation trimmed, UTF-8 bytes kept, digits
         * kept. */
        HW_CONTEXT("%s", "01.AI -> Zurich AI Lab");
        hw_deltas_clear(&d);
        base_hire(&ev);
        ev.from_org = "01.AI";
        ev.to_org = "ETH";
        ev.to_lab = "  --Z\xC3\xBCrich AI Lab--  ";
        ev.from_country = "CN";
        ev.to_country = "CH";
        RUN_HIRE(&ev, &nobody, NULL, &d);
        CHECK_EXACT(&d, want_utf8);
        HW_CONTEXT("%s", "");

        /* The departure side uses the slug of the recorded display name. */
        {
                const hw_person_t cur = {
                        .lab = "Meta  AI!!",
                        .origin = "Google",
                        .nationality = "CN",
                        .alma_mater = "Tsinghua University",
                        .tier = "S",
                        .at = T_MAY1,
                        .event_id = "hire-old",
                };
                hw_event_release(&ev);
                hw_deltas_clear(&d);
                base_hire(&ev);
                ev.to_org = "xAI";
                ev.to_lab = NULL;
                HW_CHECK_EQ_INT(RUN_HIRE(&ev, &cur, NULL, &d), HW_HIRE_MOVE);
                HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:meta-ai",
                                          "members", NULL),
                                -1);
                HW_CHECK_EQ_INT(
                        delta_get(&d, HW_DELTA_RANK, "labs", "meta-ai", NULL),
                        -1);
                HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:xai",
                                          "members", NULL),
                                1);
                /* 6 down, 7 up (with name), 2 windows. */
                HW_CHECK_EQ_INT(count_entries(&d), 15);
        }

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

int main(void) {
        HW_RUN_ISOLATED(test_aggregate_hires);
        HW_RUN_ISOLATED(test_aggregate_to_zero);
        HW_RUN_ISOLATED(test_two_moves_one_batch);
        HW_RUN_ISOLATED(test_day_boundaries);
        HW_RUN_ISOLATED(test_slugs_in_keys);
        return hw_test_summary();
}
