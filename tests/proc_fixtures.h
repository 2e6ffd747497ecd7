/*
 * Fixtures shared by hirewire's processor unit tests (test_processors.c,
 * test_aggregate.c, test_offers.c, test_deltas.c): hand-computed times,
 * sample events, and checks that a delta set holds exactly the expected
 * entries.
 */
#ifndef HW_TEST_PROC_FIXTURES_H
#define HW_TEST_PROC_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "hw_deltas.h"
#include "hw_event.h"
#include "hw_map.h"
#include "hw_proc.h"

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

/* The processors' settings of every test (mega threshold MEGA). */
extern const hw_proc_conf_t g_conf;
/* The place of a person never seen. */
extern const hw_person_t nobody;

/* One expected entry. */
typedef struct exp_s {
        char kind;
        const char *key, *field, *ymd; /* ymd only for windows */
        int64_t day;                   /* windows: the aux day number */
        int64_t v;                     /* counters */
        const char *s;                 /* SET value */
} exp_t;

#define EW(key, field, ymd, day, v)                                            \
        { HW_DELTA_WINDOW, key, field, ymd, day, v, NULL }
#define EG(key, field, v)                                                      \
        { HW_DELTA_GAUGE, key, field, NULL, 0, v, NULL }
#define EZ(key, member, v)                                                     \
        { HW_DELTA_RANK, key, member, NULL, 0, v, NULL }
#define ES(key, field, s)                                                      \
        { HW_DELTA_SET, key, field, NULL, 0, 0, s }

/* Looking deltas up: an entry found by splitting each with
 * hw_deltas_get (never by rebuilding its map key), its value, whether it
 * exists, a SET's value, the numbers of entries and persons, and a dump
 * for failures. */
const hw_deltas_entry_t *find_delta(const hw_deltas_t *d, char kind,
                                    const char *key, const char *field,
                                    const char *ymd);
int64_t delta_get(const hw_deltas_t *d, char kind, const char *key,
                  const char *field, const char *ymd);
int delta_has(const hw_deltas_t *d, char kind, const char *key,
              const char *field, const char *ymd);
const char *set_get(const hw_deltas_t *d, const char *key, const char *field);
size_t count_entries(const hw_deltas_t *d);
size_t count_persons(const hw_deltas_t *d);
void dump_deltas(const hw_deltas_t *d);
/* Checks (file and line of the caller) that d holds exactly the expected
 * entries, and a person's recorded place. */
int check_exact_(const hw_deltas_t *d, const exp_t *x, size_t n,
                 const char *file, int line);
const hw_person_t *person_get(const hw_deltas_t *d, const char *id);
int check_person_(const hw_person_t *p, const char *lab, const char *origin,
                  const char *nat, const char *alma, const char *tier,
                  int64_t at, const char *event_id, const char *file, int line);
/* The sample hire (p-bowen, OpenAI -> MSL) and offer of the tests; runs
 * of the processors that check they return HW_OK. */
void base_hire(hw_event_t *ev);
void base_offer(hw_event_t *ev, hw_offer_status_t status, int64_t total);
hw_hire_outcome_t run_hire_(const hw_event_t *ev, const hw_person_t *cur,
                            hw_person_t *next, hw_deltas_t *d, const char *file,
                            int line);
void run_offer_(const hw_proc_conf_t *conf, const hw_event_t *ev,
                hw_deltas_t *d, const char *file, int line);

#define CHECK_EXACT(d, arr)                                                    \
        check_exact_((d), (arr), sizeof(arr) / sizeof((arr)[0]), __FILE__,     \
                     __LINE__)
#define CHECK_EMPTY(d) check_exact_((d), NULL, 0, __FILE__, __LINE__)
#define CHECK_PERSON(p, lab, origin, nat, alma, tier, at, id)                  \
        check_person_((p), (lab), (origin), (nat), (alma), (tier), (at), (id), \
                      __FILE__, __LINE__)
#define OUTCOME_UNSET ((hw_hire_outcome_t)77)
#define RUN_HIRE(ev, cur, next, d)                                             \
        run_hire_((ev), (cur), (next), (d), __FILE__, __LINE__)
#define RUN_OFFER(conf, ev, d) run_offer_((conf), (ev), (d), __FILE__, __LINE__)

#endif
