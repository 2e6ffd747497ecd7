/* Unit tests of the offer processor and the single-event alert rules. */
/*
 * Offers and their mega threshold, several offers in one batch, and the
 * alerts one event raises. Every expected delta is written out by hand
 * (CHECK_EXACT: exactly those entries, no other).
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
/* 8. Offers: one counter per status in the offering org's offers family;
 * EXTENDED also adds its value and, at or above the threshold, mega. */
static void test_offers(void) {
        static const exp_t want_at[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "extended_usd", "20250616",
                   DAY16, 100000000),
                EW("org:meta-platforms-inc:offers", "mega", "20250616", DAY16,
                   1),
        };
        static const exp_t want_below[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "extended_usd", "20250616",
                   DAY16, 99999999),
        };
        static const exp_t want_accepted[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                EW("org:meta-platforms-inc:offers", "accepted", "20250616",
                   DAY16, 1),
        };
        static const exp_t want_declined[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                EW("org:meta-platforms-inc:offers", "declined", "20250616",
                   DAY16, 1),
        };
        static const exp_t want_withdrawn[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                EW("org:meta-platforms-inc:offers", "withdrawn", "20250616",
                   DAY16, 1),
        };
        static const exp_t want_zero[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;

        hw_deltas_init(&d);

        HW_CONTEXT("%s", "EXTENDED exactly at the threshold");
        base_offer(&ev, HW_OFFER_EXTENDED, MEGA);
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_at);
        HW_CHECK_EQ_INT(count_persons(&d), 0);

        HW_CONTEXT("%s", "EXTENDED one dollar below");
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_EXTENDED, MEGA - 1);
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_below);

        HW_CONTEXT("%s", "ACCEPTED, huge: no mega, no extended_usd");
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_ACCEPTED, INT64_C(1500000000));
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_accepted);

        HW_CONTEXT("%s", "DECLINED, huge");
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_DECLINED, INT64_C(1500000000));
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_declined);

        HW_CONTEXT("%s", "WITHDRAWN, huge");
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_WITHDRAWN, INT64_C(1500000000));
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_withdrawn);

        HW_CONTEXT("%s", "EXTENDED with value 0: no extended_usd entry");
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_EXTENDED, 0);
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_zero);

        HW_CONTEXT("%s", "");
        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 8b. The threshold comes from hw_proc_conf_t. */
static void test_offers_threshold_conf(void) {
        static const exp_t want_mega[] = {
                ES("org:anthropic", "name", "Anthropic"),
                EW("org:anthropic:offers", "extended", "20250615", DAY15, 1),
                EW("org:anthropic:offers", "extended_usd", "20250615", DAY15,
                   60000000),
                EW("org:anthropic:offers", "mega", "20250615", DAY15, 1),
        };
        static const exp_t want_plain[] = {
                ES("org:anthropic", "name", "Anthropic"),
                EW("org:anthropic:offers", "extended", "20250615", DAY15, 1),
                EW("org:anthropic:offers", "extended_usd", "20250615", DAY15,
                   60000000),
        };
        const hw_proc_conf_t low = {.mega_threshold_usd = 50000000};
        const hw_proc_conf_t exact = {.mega_threshold_usd = 60000000};
        const hw_proc_conf_t high = {.mega_threshold_usd = 60000001};
        hw_event_t ev;
        hw_deltas_t d;

        base_offer(&ev, HW_OFFER_EXTENDED, 60000000);
        ev.offering_org = "Anthropic";
        ev.offering_lab = NULL;
        ev.occurred_at = T15_START;
        hw_deltas_init(&d);

        HW_CONTEXT("%s", "threshold 50M");
        RUN_OFFER(&low, &ev, &d);
        CHECK_EXACT(&d, want_mega);
        HW_CONTEXT("%s", "threshold 60M (equal)");
        hw_deltas_clear(&d);
        RUN_OFFER(&exact, &ev, &d);
        CHECK_EXACT(&d, want_mega);
        HW_CONTEXT("%s", "threshold 60M + 1");
        hw_deltas_clear(&d);
        RUN_OFFER(&high, &ev, &d);
        CHECK_EXACT(&d, want_plain);
        HW_CONTEXT("%s", "default 100M");
        hw_deltas_clear(&d);
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want_plain);
        HW_CONTEXT("%s", "");

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* 8c. Offers aggregate per org, field and day. */
static void test_offers_aggregate(void) {
        static const exp_t want[] = {
                ES("org:meta-platforms-inc", "name", "Meta Platforms, Inc."),
                ES("org:openai", "name", "OpenAI"),
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 2),
                EW("org:meta-platforms-inc:offers", "extended_usd", "20250616",
                   DAY16, 250000000),
                EW("org:meta-platforms-inc:offers", "mega", "20250616", DAY16,
                   1),
                EW("org:meta-platforms-inc:offers", "accepted", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "declined", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "withdrawn", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "extended", "20250615",
                   DAY15, 1),
                EW("org:meta-platforms-inc:offers", "extended_usd", "20250615",
                   DAY15, 1000),
                EW("org:openai:offers", "accepted", "20250616", DAY16, 1),
        };
        hw_event_t ev;
        hw_deltas_t d;

        hw_deltas_init(&d);
        base_offer(&ev, HW_OFFER_EXTENDED, INT64_C(200000000));
        RUN_OFFER(&g_conf, &ev, &d);
        base_offer(&ev, HW_OFFER_EXTENDED, INT64_C(50000000));
        RUN_OFFER(&g_conf, &ev, &d);
        base_offer(&ev, HW_OFFER_ACCEPTED, INT64_C(200000000));
        RUN_OFFER(&g_conf, &ev, &d);
        base_offer(&ev, HW_OFFER_DECLINED, INT64_C(7));
        RUN_OFFER(&g_conf, &ev, &d);
        base_offer(&ev, HW_OFFER_WITHDRAWN, INT64_C(7));
        RUN_OFFER(&g_conf, &ev, &d);
        base_offer(&ev, HW_OFFER_EXTENDED, 1000);
        ev.occurred_at = T15_LAST;
        RUN_OFFER(&g_conf, &ev, &d);
        /* The key is the offering org, not the current org nor the lab. */
        base_offer(&ev, HW_OFFER_ACCEPTED, 1);
        ev.offering_org = "OpenAI";
        ev.current_org = "Meta";
        RUN_OFFER(&g_conf, &ev, &d);
        CHECK_EXACT(&d, want);

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

/* The single-event alert rules: ids, severities and when they fire. */
static const hw_alert_t *alert_get(const hw_deltas_t *d, const char *id) {
        const hw_map_entry_t *e = hw_map_find(&d->alerts, id, strlen(id));
        return e ? e->v.p : NULL;
}

static void test_alert_rules(void) {
        const hw_proc_conf_t on = {.mega_threshold_usd = MEGA,
                                   .alert_mega_offer = 1,
                                   .alert_mega_usd = MEGA,
                                   .alert_top_tier_move = 1};
        const hw_proc_conf_t off = {.mega_threshold_usd = MEGA};
        const hw_person_t in_msl = {"Meta Superintelligence Labs",
                                    "OpenAI",
                                    "CN",
                                    "x",
                                    "S",
                                    1,
                                    "e0"};
        const hw_alert_t *a;
        hw_hire_outcome_t outcome;
        hw_person_t next;
        hw_deltas_t d;
        hw_event_t ev;

        hw_deltas_init(&d);

        /* mega_offer: EXTENDED and ACCEPTED at the threshold fire. */
        base_offer(&ev, HW_OFFER_EXTENDED, MEGA);
        HW_CHECK_EQ_INT(hw_proc_offer(&on, &ev, &d), HW_OK);
        a = alert_get(&d, "mega_offer:offer-0001");
        if (HW_CHECK(a != NULL)) {
                HW_CHECK_STR(a->rule, "mega_offer");
                HW_CHECK_EQ_INT(a->severity, HW_SEVERITY_CRITICAL);
                HW_CHECK_EQ_INT(a->event_time, T16_10);
                HW_CHECK_EQ_INT(a->n_event_ids, 1);
                HW_CHECK_STR(a->event_ids[0], "offer-0001");
                HW_CHECK(strstr(a->summary, "$100M") != NULL);
        }
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_ACCEPTED, MEGA * 2);
        HW_CHECK_EQ_INT(hw_proc_offer(&on, &ev, &d), HW_OK);
        HW_CHECK(alert_get(&d, "mega_offer:offer-0001") != NULL);
        /* ... below it, DECLINED, WITHDRAWN, or the rule off: none. */
        hw_deltas_clear(&d);
        base_offer(&ev, HW_OFFER_EXTENDED, MEGA - 1);
        HW_CHECK_EQ_INT(hw_proc_offer(&on, &ev, &d), HW_OK);
        base_offer(&ev, HW_OFFER_DECLINED, MEGA * 3);
        HW_CHECK_EQ_INT(hw_proc_offer(&on, &ev, &d), HW_OK);
        base_offer(&ev, HW_OFFER_WITHDRAWN, MEGA * 3);
        HW_CHECK_EQ_INT(hw_proc_offer(&on, &ev, &d), HW_OK);
        base_offer(&ev, HW_OFFER_EXTENDED, MEGA * 3);
        HW_CHECK_EQ_INT(hw_proc_offer(&off, &ev, &d), HW_OK);
        HW_CHECK_EQ_INT(d.alerts.count, 0);

        /* top_tier_move: a tier S move fires, with the person as subject. */
        hw_deltas_clear(&d);
        base_hire(&ev);
        HW_CHECK_EQ_INT(hw_proc_hire(&on, &ev, &nobody, &next, &outcome, &d),
                        HW_OK);
        a = alert_get(&d, "top_tier_move:hire-0001");
        if (HW_CHECK(a != NULL)) {
                HW_CHECK_EQ_INT(a->severity, HW_SEVERITY_WARN);
                HW_CHECK_STR(a->subject, "Bowen Zhang");
                HW_CHECK(strstr(a->summary, "Meta Superintelligence Labs") !=
                         NULL);
        }
        /* ... a repeated announcement, a tier A move, or the rule off:
         * none. */
        hw_deltas_clear(&d);
        HW_CHECK_EQ_INT(hw_proc_hire(&on, &ev, &in_msl, &next, &outcome, &d),
                        HW_OK);
        HW_CHECK_EQ_INT(outcome, HW_HIRE_REPEATED);
        ev.tier = HW_TIER_A;
        HW_CHECK_EQ_INT(hw_proc_hire(&on, &ev, &nobody, &next, &outcome, &d),
                        HW_OK);
        ev.tier = HW_TIER_S;
        HW_CHECK_EQ_INT(hw_proc_hire(&off, &ev, &nobody, &next, &outcome, &d),
                        HW_OK);
        HW_CHECK_EQ_INT(d.alerts.count, 0);
        hw_deltas_release(&d);
}

/* 8e. A mega_offer summary gives the value as people read it, at any
 * configured threshold: billions with a decimal, millions, thousands,
 * dollars. */
static void test_alert_amounts(void) {
        static const struct {
                int64_t usd;
                const char *shown;
        } amounts[] = {
                {INT64_C(1500000000), "$1.5B"}, {INT64_C(210000000), "$210M"},
                {INT64_C(250000), "$250k"},     {INT64_C(1000), "$1k"},
                {INT64_C(900), "$900"},
        };
        const hw_proc_conf_t low = {.mega_threshold_usd = 500,
                                    .alert_mega_offer = 1,
                                    .alert_mega_usd = 500};
        hw_deltas_t d;
        hw_event_t ev;

        hw_deltas_init(&d);
        for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
                const hw_alert_t *a;
                HW_CONTEXT("%" PRId64 " USD", amounts[i].usd);
                hw_deltas_clear(&d);
                base_offer(&ev, HW_OFFER_EXTENDED, amounts[i].usd);
                HW_CHECK_EQ_INT(hw_proc_offer(&low, &ev, &d), HW_OK);
                a = alert_get(&d, "mega_offer:offer-0001");
                if (HW_CHECK(a != NULL))
                        HW_CHECK_CONTAINS(a->summary, amounts[i].shown);
        }
        hw_deltas_release(&d);
}

int main(void) {
        HW_RUN_ISOLATED(test_offers);
        HW_RUN_ISOLATED(test_offers_threshold_conf);
        HW_RUN_ISOLATED(test_offers_aggregate);
        HW_RUN_ISOLATED(test_alert_rules);
        HW_RUN_ISOLATED(test_alert_amounts);
        return hw_test_summary();
}
