/*
 * Unit tests for the pure processors (processors/hw_proc.c) and the delta
 * set they write (processors/hw_deltas.c): what one decoded event, plus the
 * person's current place, adds to a batch (SPEC §4, docs/redis-keys.md,
 * "How events count").
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
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw_deltas.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_map.h"
#include "hw_proc.h"
#include "hw_test.h"
#include "hw_time.h"

/* 2025-06-15T00:00:00Z: day 20254 (2025-01-01 is day 20089, + 165). */
#define T15_START INT64_C(1749945600000)
#define DAY15 20254
/* 2025-06-15T23:59:59.999Z: the last ms of day 20254. */
#define T15_LAST INT64_C(1750031999999)
/* 2025-06-16T00:00:00.000Z: the first ms of day 20255. */
#define T16_FIRST INT64_C(1750032000000)
#define DAY16 20255
/* 2025-06-16T10:00:00Z. */
#define T16_10 INT64_C(1750068000000)
/* 2025-05-01T00:00:00Z: day 20209. */
#define T_MAY1 INT64_C(1746057600000)
/* 2024-02-29T12:00:00Z: day 19782 (2024-01-01 is day 19723, + 59). */
#define T_LEAP INT64_C(1709208000000)
#define DAY_LEAP 19782

#define MEGA INT64_C(100000000)

static const hw_proc_conf_t g_conf = {.mega_threshold_usd = MEGA};

/* ------------------------------------------------------------------ */
/* Helpers: looking deltas up                                          */
/* ------------------------------------------------------------------ */

/* The counters entry (kind, key, field[, ymd]) or NULL. ymd NULL means a
 * non-windowed entry (three parts); found by walking the entries and
 * splitting each with hw_deltas_parts, not by rebuilding the map key. */
static const hw_map_entry_t *find_delta(const hw_deltas_t *d, char kind,
                                        const char *key, const char *field,
                                        const char *ymd) {
        for (size_t i = 0; i < d->counters.count; i++) {
                const hw_map_entry_t *e = &d->counters.entries[i];
                const char *parts[4] = {NULL, NULL, NULL, NULL};
                int n = hw_deltas_parts(e, parts);
                if (n != (ymd ? 4 : 3))
                        continue;
                if (parts[0][0] != kind || parts[0][1] != '\0' ||
                    strcmp(parts[1], key) || strcmp(parts[2], field))
                        continue;
                if (ymd && strcmp(parts[3], ymd))
                        continue;
                return e;
        }
        return NULL;
}

/* The value of a counter delta, 0 if absent. */
static int64_t delta_get(const hw_deltas_t *d, char kind, const char *key,
                         const char *field, const char *ymd) {
        const hw_map_entry_t *e = find_delta(d, kind, key, field, ymd);
        return e ? e->v.i : 0;
}

/* True when the entry exists (even with value 0). */
static int delta_has(const hw_deltas_t *d, char kind, const char *key,
                     const char *field, const char *ymd) {
        return find_delta(d, kind, key, field, ymd) != NULL;
}

/* The value of a SET entry, NULL if absent. */
static const char *set_get(const hw_deltas_t *d, const char *key,
                           const char *field) {
        const hw_map_entry_t *e = find_delta(d, HW_DELTA_SET, key, field,
                                             NULL);
        return e ? e->v.p : NULL;
}

/* The number of counters entries (all kinds). */
static size_t count_entries(const hw_deltas_t *d) {
        return d->counters.count;
}

static size_t count_persons(const hw_deltas_t *d) {
        return d->persons.count;
}

/* Prints every entry, for a failure. */
static void dump_deltas(const hw_deltas_t *d) {
        fprintf(stderr, "    deltas (%zu entries):\n", d->counters.count);
        for (size_t i = 0; i < d->counters.count; i++) {
                const hw_map_entry_t *e = &d->counters.entries[i];
                const char *parts[4] = {"", "", "", ""};
                int n = hw_deltas_parts(e, parts);
                fprintf(stderr, "      %s | %s | %s", parts[0], parts[1],
                        n > 2 ? parts[2] : "?");
                if (n == 4)
                        fprintf(stderr, " | %s (aux %" PRId64 ")", parts[3],
                                e->aux);
                if (parts[0][0] == HW_DELTA_SET)
                        fprintf(stderr, " := \"%s\"\n",
                                e->v.p ? (const char *)e->v.p : "NULL");
                else
                        fprintf(stderr, " = %" PRId64 "\n", e->v.i);
        }
}

/* One expected entry. */
typedef struct exp_s {
        char kind;
        const char *key, *field, *ymd; /* ymd only for windows */
        int64_t day;                   /* windows: the aux day number */
        int64_t v;                     /* counters */
        const char *s;                 /* SET value */
} exp_t;

#define EW(key, field, ymd, day, v) {HW_DELTA_WINDOW, key, field, ymd, day, v, NULL}
#define EG(key, field, v) {HW_DELTA_GAUGE, key, field, NULL, 0, v, NULL}
#define EZ(key, member, v) {HW_DELTA_RANK, key, member, NULL, 0, v, NULL}
#define ES(key, field, s) {HW_DELTA_SET, key, field, NULL, 0, 0, s}

/* Checks that d holds exactly the n expected entries: each present with
 * its value (windows also with the day number in aux), and nothing else. */
static int check_exact_(const hw_deltas_t *d, const exp_t *x, size_t n,
                        const char *file, int line) {
        int ok = 1;
        for (size_t i = 0; i < n; i++) {
                const hw_map_entry_t *e =
                        find_delta(d, x[i].kind, x[i].key, x[i].field,
                                   x[i].ymd);
                char what[700];
                snprintf(what, sizeof(what), "%c | %s | %s%s%s", x[i].kind,
                         x[i].key, x[i].field, x[i].ymd ? " | " : "",
                         x[i].ymd ? x[i].ymd : "");
                if (!hw_test_report(e != NULL, file, line,
                                    "expected delta present: %s", what)) {
                        ok = 0;
                        continue;
                }
                if (x[i].kind == HW_DELTA_SET) {
                        ok &= hw_test_check_str(e->v.p, x[i].s, file, line,
                                                what, "expected value");
                        continue;
                }
                ok &= hw_test_report(e->v.i == x[i].v, file, line,
                                     "%s = %" PRId64 ", expected %" PRId64,
                                     what, e->v.i, x[i].v);
                if (x[i].kind == HW_DELTA_WINDOW)
                        ok &= hw_test_report(e->aux == x[i].day, file, line,
                                             "%s: day number %" PRId64
                                             ", expected %" PRId64,
                                             what, e->aux, x[i].day);
        }
        ok &= hw_test_report(d->counters.count == n, file, line,
                             "%zu entries, expected exactly %zu",
                             d->counters.count, n);
        if (!ok)
                dump_deltas(d);
        return ok;
}
#define CHECK_EXACT(d, arr)                                                    \
        check_exact_((d), (arr), sizeof(arr) / sizeof((arr)[0]), __FILE__,    \
                     __LINE__)
#define CHECK_EMPTY(d) check_exact_((d), NULL, 0, __FILE__, __LINE__)

/* The person recorded in d for id, or NULL. */
static const hw_person_t *person_get(const hw_deltas_t *d, const char *id) {
        const hw_map_entry_t *e = hw_map_find(&d->persons, id, strlen(id));
        return e ? e->v.p : NULL;
}

static int check_person_(const hw_person_t *p, const char *lab,
                         const char *origin, const char *nat,
                         const char *alma, const char *tier, int64_t at,
                         const char *event_id, const char *file, int line) {
        int ok = hw_test_report(p != NULL, file, line, "person present");
        if (!ok)
                return 0;
        ok &= hw_test_check_str(p->lab, lab, file, line, "lab", "expected");
        ok &= hw_test_check_str(p->origin, origin, file, line, "origin",
                                "expected");
        ok &= hw_test_check_str(p->nationality, nat, file, line,
                                "nationality", "expected");
        ok &= hw_test_check_str(p->alma_mater, alma, file, line,
                                "alma_mater", "expected");
        ok &= hw_test_check_str(p->tier, tier, file, line, "tier",
                                "expected");
        ok &= hw_test_check_int(p->at, at, 1, file, line, "at", "expected");
        ok &= hw_test_check_str(p->event_id, event_id, file, line,
                                "event_id", "expected");
        return ok;
}
#define CHECK_PERSON(p, lab, origin, nat, alma, tier, at, id)                  \
        check_person_((p), (lab), (origin), (nat), (alma), (tier), (at),      \
                      (id), __FILE__, __LINE__)

/* ------------------------------------------------------------------ */
/* Helpers: events                                                     */
/* ------------------------------------------------------------------ */

/* The hire of test 1: p-bowen, OpenAI -> Meta Superintelligence Labs,
 * US -> US, CN, Tsinghua, tier S, 2025-06-16T10:00:00Z. Strings are
 * literals (the arena stays empty). */
static void base_hire(hw_event_t *ev) {
        hw_event_init(ev);
        ev->type = HW_EVENT_HIRE;
        ev->event_id = "hire-0001";
        ev->occurred_at = T16_10;
        ev->person_id = "p-bowen";
        ev->person_name = "Bowen Zhang";
        ev->from_org = "OpenAI";
        ev->from_lab = NULL;
        ev->to_org = "Meta";
        ev->to_lab = "Meta Superintelligence Labs";
        ev->from_country = "US";
        ev->to_country = "US";
        ev->nationality = "CN";
        ev->alma_mater = "Tsinghua University";
        ev->tier = HW_TIER_S;
}

static void base_offer(hw_event_t *ev, hw_offer_status_t status,
                       int64_t total) {
        hw_event_init(ev);
        ev->type = HW_EVENT_OFFER;
        ev->event_id = "offer-0001";
        ev->occurred_at = T16_10;
        ev->person_id = "p-offer";
        ev->offering_org = "Meta Platforms, Inc.";
        ev->offering_lab = "Meta Superintelligence Labs";
        ev->current_org = "OpenAI";
        ev->from_country = "US";
        ev->to_country = "US";
        ev->status = status;
        ev->total_value_usd = total;
        ev->tier = HW_TIER_A;
}

static const hw_person_t nobody = {NULL, NULL, NULL, NULL, NULL, 0, NULL};

#define OUTCOME_UNSET ((hw_hire_outcome_t)77)

/* Runs hw_proc_hire, checking it returns HW_OK; returns the outcome. */
static hw_hire_outcome_t run_hire_(const hw_event_t *ev,
                                   const hw_person_t *cur, hw_person_t *next,
                                   hw_deltas_t *d, const char *file,
                                   int line) {
        hw_hire_outcome_t outcome = OUTCOME_UNSET;
        hw_person_t scratch;
        hw_err_t err = hw_proc_hire(&g_conf, ev, cur, next ? next : &scratch,
                                    &outcome, d);
        hw_test_check_int(err, HW_OK, 1, file, line, "hw_proc_hire",
                          "HW_OK");
        return outcome;
}
#define RUN_HIRE(ev, cur, next, d)                                             \
        run_hire_((ev), (cur), (next), (d), __FILE__, __LINE__)

static void run_offer_(const hw_proc_conf_t *conf, const hw_event_t *ev,
                       hw_deltas_t *d, const char *file, int line) {
        hw_test_check_int(hw_proc_offer(conf, ev, d), HW_OK, 1, file, line,
                          "hw_proc_offer", "HW_OK");
}
#define RUN_OFFER(conf, ev, d) run_offer_((conf), (ev), (d), __FILE__, __LINE__)

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
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:out", "US",
                            "20250616"));
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

/* The raw entry format "kind\0key\0field[\0yyyymmdd]" and hw_deltas_parts. */
static void test_entry_format(void) {
        static const char wkey[] = "W\0"
                                   "lab:meta-superintelligence-labs:hires\0"
                                   "OpenAI\0"
                                   "20250616";
        static const char gkey[] = "G\0"
                                   "lab:meta-superintelligence-labs\0"
                                   "members";
        static const char zkey[] = "Z\0"
                                   "labs\0"
                                   "meta-superintelligence-labs";
        static const char skey[] = "S\0"
                                   "lab:meta-superintelligence-labs\0"
                                   "name";
        hw_event_t ev;
        hw_deltas_t d;
        const hw_map_entry_t *e;
        const char *parts[4];

        base_hire(&ev);
        hw_deltas_init(&d);
        RUN_HIRE(&ev, &nobody, NULL, &d);

        e = hw_map_find(&d.counters, wkey, sizeof(wkey) - 1);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(e->len, sizeof(wkey) - 1);
                HW_CHECK_MEM(e->key, wkey, sizeof(wkey));
                HW_CHECK_EQ_INT(e->v.i, 1);
                HW_CHECK_EQ_INT(e->aux, DAY16);
                HW_CHECK_EQ_INT(hw_deltas_parts(e, parts), 4);
                HW_CHECK_STR(parts[0], "W");
                HW_CHECK_STR(parts[1],
                             "lab:meta-superintelligence-labs:hires");
                HW_CHECK_STR(parts[2], "OpenAI");
                HW_CHECK_STR(parts[3], "20250616");
        }
        e = hw_map_find(&d.counters, gkey, sizeof(gkey) - 1);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(e->v.i, 1);
                HW_CHECK_EQ_INT(hw_deltas_parts(e, parts), 3);
                HW_CHECK_STR(parts[0], "G");
                HW_CHECK_STR(parts[1], "lab:meta-superintelligence-labs");
                HW_CHECK_STR(parts[2], "members");
        }
        e = hw_map_find(&d.counters, zkey, sizeof(zkey) - 1);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(e->v.i, 1);
                HW_CHECK_EQ_INT(hw_deltas_parts(e, parts), 3);
                HW_CHECK_STR(parts[0], "Z");
        }
        e = hw_map_find(&d.counters, skey, sizeof(skey) - 1);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_STR(e->v.p, "Meta Superintelligence Labs");
                HW_CHECK_EQ_INT(hw_deltas_parts(e, parts), 3);
                HW_CHECK_STR(parts[0], "S");
                HW_CHECK_STR(parts[2], "name");
        }
        /* The lookup helpers agree with the raw map. */
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE,
                                  "lab:meta-superintelligence-labs",
                                  "members", NULL),
                        1);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:nope", "members",
                                  NULL),
                        0);
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
                EG("lab:meta-superintelligence-labs:nationality", "unknown",
                   1),
                EG("lab:meta-superintelligence-labs:alma_mater", "unknown",
                   1),
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
        CHECK_PERSON(&next, "Meta Superintelligence Labs", "OpenAI",
                     "unknown", "unknown", "UNRATED", T16_10, "hire-0001");
        CHECK_PERSON(person_get(&d, "p-bowen"), "Meta Superintelligence Labs",
                     "OpenAI", "unknown", "unknown", "UNRATED", T16_10,
                     "hire-0001");

        for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
                HW_CONTEXT("tier %s", tiers[i].name);
                hw_deltas_clear(&d);
                ev.tier = tiers[i].tier;
                RUN_HIRE(&ev, &nobody, &next, &d);
                HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE,
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
                EG("lab:meta-superintelligence-labs:alma_mater",
                   "KAIST", 1),
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
        HW_CHECK(!delta_has(&d, HW_DELTA_WINDOW, "flow:out", "US",
                            "20250616"));
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
                EG("lab:meta-superintelligence-labs:nationality", "unknown",
                   1),
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
        CHECK_PERSON(&next, "Meta Superintelligence Labs", "Google",
                     "unknown", "Seoul National University", "S", T16_10,
                     "hire-0002");
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
                HW_CHECK_EQ_INT(RUN_HIRE(&ev, &same, &next, &d),
                                HW_HIRE_MOVE);
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
                {"Meta", "meta superintelligence labs", T16_10,
                 "lower case"},
                {"Meta", "Meta-Superintelligence-Labs!", T16_10,
                 "punctuation"},
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
                HW_CHECK_EQ_INT(RUN_HIRE(&ev, &x, NULL, &d),
                                HW_HIRE_REPEATED);
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

/* 8. Offers: one counter per status in the offering org's offers family;
 * EXTENDED also adds its value and, at or above the threshold, mega. */
static void test_offers(void) {
        static const exp_t want_at[] = {
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "extended_usd",
                   "20250616", DAY16, 100000000),
                EW("org:meta-platforms-inc:offers", "mega", "20250616", DAY16,
                   1),
        };
        static const exp_t want_below[] = {
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 1),
                EW("org:meta-platforms-inc:offers", "extended_usd",
                   "20250616", DAY16, 99999999),
        };
        static const exp_t want_accepted[] = {
                EW("org:meta-platforms-inc:offers", "accepted", "20250616",
                   DAY16, 1),
        };
        static const exp_t want_declined[] = {
                EW("org:meta-platforms-inc:offers", "declined", "20250616",
                   DAY16, 1),
        };
        static const exp_t want_withdrawn[] = {
                EW("org:meta-platforms-inc:offers", "withdrawn", "20250616",
                   DAY16, 1),
        };
        static const exp_t want_zero[] = {
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
                EW("org:anthropic:offers", "extended", "20250615", DAY15, 1),
                EW("org:anthropic:offers", "extended_usd", "20250615", DAY15,
                   60000000),
                EW("org:anthropic:offers", "mega", "20250615", DAY15, 1),
        };
        static const exp_t want_plain[] = {
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
                EW("org:meta-platforms-inc:offers", "extended", "20250616",
                   DAY16, 2),
                EW("org:meta-platforms-inc:offers", "extended_usd",
                   "20250616", DAY16, 250000000),
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
                EW("org:meta-platforms-inc:offers", "extended_usd",
                   "20250615", DAY15, 1000),
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
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:z", "members",
                                  NULL),
                        0);
        HW_CHECK_EQ_INT(count_entries(&d), 1);
        HW_CHECK_EQ_INT(hw_deltas_gauge(&d, "lab:q", "members", 0), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_rank(&d, "labs", "q", 0), HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", DAY16, 0),
                        HW_OK);
        HW_CHECK_EQ_INT(count_entries(&d), 1);
        /* Kinds are distinct entries even with the same key and field. */
        HW_CHECK_EQ_INT(hw_deltas_rank(&d, "lab:z", "members", 5), HW_OK);
        HW_CHECK_EQ_INT(count_entries(&d), 2);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_RANK, "lab:z", "members",
                                  NULL),
                        5);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_GAUGE, "lab:z", "members",
                                  NULL),
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
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", 20254, 3),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", 20255, 4),
                        HW_OK);
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "flow:in", "US", 0, 1), HW_OK);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_WINDOW, "flow:in", "US",
                                  "20250615"),
                        3);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_WINDOW, "flow:in", "US",
                                  "20250616"),
                        4);
        HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_WINDOW, "flow:in", "US",
                                  "19700101"),
                        1);
        HW_CHECK_EQ_INT(count_entries(&d), 3);

        hw_deltas_release(&d);
        hw_event_release(&ev);
}

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
                                  "lab:meta-superintelligence-labs",
                                  "members", NULL),
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
                        failed += hw_deltas_seen(
                                          &d,
                                          T15_START + (int64_t)i * HW_DAY_MS,
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
                   "\xC3\x89" "cole Polytechnique", 1),
                EG("lab:google-deepmind:tier", "B", 1),
                EZ("labs", "google-deepmind", 1),
                EW("lab:google-deepmind:hires", "Mistral AI", "20250616",
                   DAY16, 1),
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
                EG("lab:z\xC3\xBCrich-ai-lab:alma_mater",
                   "Tsinghua University", 1),
                EG("lab:z\xC3\xBCrich-ai-lab:tier", "S", 1),
                EZ("labs", "z\xC3\xBCrich-ai-lab", 1),
                EW("lab:z\xC3\xBCrich-ai-lab:hires", "01.AI", "20250616",
                   DAY16, 1),
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
        ev.alma_mater = "\xC3\x89" "cole Polytechnique";
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
                HW_CHECK_EQ_INT(delta_get(&d, HW_DELTA_RANK, "labs",
                                          "meta-ai", NULL),
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

/* The adders refuse names too long for an entry instead of truncating
 * them into another key. */
static void test_too_long(void) {
        char big[1100];
        hw_deltas_t d;

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        hw_deltas_init(&d);
        HW_CHECK_NE_INT(hw_deltas_gauge(&d, big, "members", 1), HW_OK);
        HW_CHECK_NE_INT(hw_deltas_window(&d, "flow:in", big, DAY16, 1),
                        HW_OK);
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

/* hw_deltas_parts counts a trailing empty part: "G\0lab:z\0" with an
 * empty field is still kind, key and field (3 parts), and an empty key
 * too. Today it returns 2 for an empty field, leaving parts[2] unset for
 * the store's push_counters, which reads it unconditionally. No valid
 * event produces an empty field (alma_mater has min_len 1, names must
 * slug to something), so this is latent; the test pins the contract. */
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
        const hw_person_t in_msl = {"Meta Superintelligence Labs", "OpenAI",
                                    "CN", "x", "S", 1, "e0"};
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

static void test_parts_empty_last(void) {
        hw_deltas_t d;
        const char *parts[4] = {NULL, NULL, NULL, NULL};
        const hw_map_entry_t *e;
        static const char gkey[] = "G\0"
                                   "lab:z\0";
        static const char wkey[] = "W\0"
                                   "\0"
                                   "US\0"
                                   "20250616";

        hw_deltas_init(&d);
        HW_CHECK_EQ_INT(hw_deltas_gauge(&d, "lab:z", "", 1), HW_OK);
        e = hw_map_find(&d.counters, gkey, sizeof(gkey) - 1);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(hw_deltas_parts(e, parts), 3);
                HW_CHECK_STR(parts[0], "G");
                HW_CHECK_STR(parts[1], "lab:z");
                HW_CHECK_STR(parts[2], "");
        }
        hw_deltas_clear(&d);
        memset(parts, 0, sizeof(parts));
        HW_CHECK_EQ_INT(hw_deltas_window(&d, "", "US", DAY16, 1), HW_OK);
        e = hw_map_find(&d.counters, wkey, sizeof(wkey) - 1);
        if (HW_CHECK(e != NULL)) {
                HW_CHECK_EQ_INT(hw_deltas_parts(e, parts), 4);
                HW_CHECK_STR(parts[1], "");
                HW_CHECK_STR(parts[2], "US");
                HW_CHECK_STR(parts[3], "20250616");
        }
        hw_deltas_release(&d);
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
        HW_RUN_ISOLATED(test_offers);
        HW_RUN_ISOLATED(test_offers_threshold_conf);
        HW_RUN_ISOLATED(test_offers_aggregate);
        HW_RUN_ISOLATED(test_aggregate_hires);
        HW_RUN_ISOLATED(test_aggregate_to_zero);
        HW_RUN_ISOLATED(test_two_moves_one_batch);
        HW_RUN_ISOLATED(test_day_boundaries);
        HW_RUN_ISOLATED(test_seen_and_clear);
        HW_RUN_ISOLATED(test_slugs_in_keys);
        HW_RUN_ISOLATED(test_too_long);
        HW_RUN_ISOLATED(test_parts_empty_last);
        HW_RUN_ISOLATED(test_alert_rules);
        return hw_test_summary();
}
