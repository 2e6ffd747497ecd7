/* Fixtures shared by the processor unit tests (proc_fixtures.h). */
#include "proc_fixtures.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hw_test.h"
#include "hw_time.h"

const hw_proc_conf_t g_conf = {.mega_threshold_usd = MEGA};

/* ------------------------------------------------------------------ */
/* Helpers: looking deltas up                                          */
/* ------------------------------------------------------------------ */

/* The counters entry (kind, key, field[, ymd]) or NULL. ymd NULL means a
 * non-windowed entry; found by walking the entries and reading each back
 * with hw_deltas_get, not by rebuilding the map key. */
const hw_deltas_entry_t *find_delta(const hw_deltas_t *d, char kind,
                                    const char *key, const char *field,
                                    const char *ymd) {
        for (size_t i = 0; i < d->counters.count; i++) {
                hw_delta_t e;
                char day[9];
                hw_deltas_get(d, i, &e);
                if ((e.kind == HW_DELTA_WINDOW) != (ymd != NULL))
                        continue;
                if ((char)e.kind != kind || strcmp(e.key, key) ||
                    strcmp(e.field, field))
                        continue;
                if (ymd) {
                        hw_time_ymd(e.day, day);
                        if (strcmp(day, ymd))
                                continue;
                }
                return &d->counters.entries[i];
        }
        return NULL;
}

/* The value of a counter delta, 0 if absent. */
int64_t delta_get(const hw_deltas_t *d, char kind, const char *key,
                  const char *field, const char *ymd) {
        const hw_deltas_entry_t *e = find_delta(d, kind, key, field, ymd);
        return e ? e->v.i : 0;
}

/* True when the entry exists (even with value 0). */
int delta_has(const hw_deltas_t *d, char kind, const char *key,
              const char *field, const char *ymd) {
        return find_delta(d, kind, key, field, ymd) != NULL;
}

/* The value of a SET entry, NULL if absent. */
const char *set_get(const hw_deltas_t *d, const char *key, const char *field) {
        const hw_deltas_entry_t *e =
                find_delta(d, HW_DELTA_SET, key, field, NULL);
        return e ? e->v.p : NULL;
}

/* The number of counters entries (all kinds). */
size_t count_entries(const hw_deltas_t *d) {
        return d->counters.count;
}

size_t count_persons(const hw_deltas_t *d) {
        return d->persons.count;
}

/* Prints every entry, for a failure. */
void dump_deltas(const hw_deltas_t *d) {
        fprintf(stderr, "    deltas (%zu entries):\n", d->counters.count);
        for (size_t i = 0; i < d->counters.count; i++) {
                hw_delta_t e;
                char day[9];
                hw_deltas_get(d, i, &e);
                fprintf(stderr, "      %c | %s | %s", (char)e.kind, e.key,
                        e.field);
                if (e.kind == HW_DELTA_WINDOW || e.kind == HW_DELTA_EVIDENCE) {
                        hw_time_ymd(e.day, day);
                        fprintf(stderr, " | %s (day %" PRId64 ")%s%s", day,
                                e.day, e.event_id ? " | " : "",
                                e.event_id ? e.event_id : "");
                }
                if (e.kind == HW_DELTA_SET)
                        fprintf(stderr, " := \"%s\"\n",
                                e.value ? e.value : "NULL");
                else
                        fprintf(stderr, " = %" PRId64 "\n", e.delta);
        }
}

/* Checks that d holds exactly the n expected entries: each present with
 * its value (windows also with the day number in aux), and nothing else. */
int check_exact_(const hw_deltas_t *d, const exp_t *x, size_t n,
                 const char *file, int line) {
        int ok = 1;
        for (size_t i = 0; i < n; i++) {
                const hw_deltas_entry_t *e = find_delta(d, x[i].kind, x[i].key,
                                                        x[i].field, x[i].ymd);
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

/* The person recorded in d for id, or NULL. */
const hw_person_t *person_get(const hw_deltas_t *d, const char *id) {
        const hw_map_entry_t *e = hw_map_find(&d->persons, id, strlen(id));
        return e ? e->v.p : NULL;
}

int check_person_(const hw_person_t *p, const char *lab, const char *origin,
                  const char *nat, const char *alma, const char *tier,
                  int64_t at, const char *event_id, const char *file,
                  int line) {
        int ok = hw_test_report(p != NULL, file, line, "person present");
        if (!ok)
                return 0;
        ok &= hw_test_check_str(p->lab, lab, file, line, "lab", "expected");
        ok &= hw_test_check_str(p->origin, origin, file, line, "origin",
                                "expected");
        ok &= hw_test_check_str(p->nationality, nat, file, line, "nationality",
                                "expected");
        ok &= hw_test_check_str(p->alma_mater, alma, file, line, "alma_mater",
                                "expected");
        ok &= hw_test_check_str(p->tier, tier, file, line, "tier", "expected");
        ok &= hw_test_check_int(p->at, at, 1, file, line, "at", "expected");
        ok &= hw_test_check_str(p->event_id, event_id, file, line, "event_id",
                                "expected");
        return ok;
}

/* ------------------------------------------------------------------ */
/* Helpers: events                                                     */
/* ------------------------------------------------------------------ */

/* The hire of test 1: p-bowen, OpenAI -> Meta Superintelligence Labs,
 * US -> US, CN, Tsinghua, tier S, 2025-06-16T10:00:00Z. Strings are
 * literals (the arena stays empty). */
void base_hire(hw_event_t *ev) {
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

void base_offer(hw_event_t *ev, hw_offer_status_t status, int64_t total) {
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

const hw_person_t nobody = {NULL, NULL, NULL, NULL, NULL, 0, NULL};

/* Runs hw_proc_hire, checking it returns HW_OK; returns the outcome. */
hw_hire_outcome_t run_hire_(const hw_event_t *ev, const hw_person_t *cur,
                            hw_person_t *next, hw_deltas_t *d, const char *file,
                            int line) {
        hw_hire_outcome_t outcome = OUTCOME_UNSET;
        hw_person_t scratch;
        hw_err_t err = hw_proc_hire(&g_conf, ev, cur, next ? next : &scratch,
                                    &outcome, d);
        hw_test_check_int(err, HW_OK, 1, file, line, "hw_proc_hire", "HW_OK");
        return outcome;
}

void run_offer_(const hw_proc_conf_t *conf, const hw_event_t *ev,
                hw_deltas_t *d, const char *file, int line) {
        hw_test_check_int(hw_proc_offer(conf, ev, d), HW_OK, 1, file, line,
                          "hw_proc_offer", "HW_OK");
}
