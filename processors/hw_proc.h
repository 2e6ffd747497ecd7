/*
 * The processors: pure functions from a decoded event (plus the state they
 * need, a person's current place) to counter deltas. No Redis, no Kafka,
 * no clock. SPEC §4 and docs/redis-keys.md describe what they count.
 */
#ifndef HW_PROC_H
#define HW_PROC_H

#include <stdint.h>

#include "hw_deltas.h"
#include "hw_err.h"
#include "hw_event.h"

typedef struct hw_proc_conf_s {
        int64_t mega_threshold_usd; /* EXTENDED offers at or above it count as mega */
        /* Alert rules decided by one event alone (SPEC §4 "Alerts"). */
        int alert_mega_offer; /* EXTENDED/ACCEPTED offer >= alert_mega_usd */
        int64_t alert_mega_usd;
        int alert_top_tier_move; /* tier S hire that moves the person */
        /* Rules the store decides from counters: record the hires behind
         * them (hw_deltas_evidence) so their alerts can name the events. */
        int alert_raid;        /* hires into a lab, by origin org */
        int alert_brain_drain; /* cross-border hires, by from_country */
} hw_proc_conf_t;

typedef enum hw_hire_outcome_e {
        HW_HIRE_MOVE = 0, /* the person left their lab and joined this one */
        HW_HIRE_REPEATED, /* already in that lab: nothing counted */
        HW_HIRE_LATE,     /* older than the person's recorded move:
                                   counted in windows and flows, no move */
} hw_hire_outcome_t;

/*
 * Applies a hire. `cur` is the person's place before it (lab NULL when not
 * known); on HW_HIRE_MOVE `next` is set to the new place (its strings point
 * into ev) and recorded in d. Windowed counters (hires, losses, flows) and
 * gauges (lab composition, labs ranking) go to d, and a top_tier_move
 * alert when the rule is on and a tier S person moves. Returns HW_OK or
 * HW_ERR_NOMEM; on error d may hold part of the event's deltas, so the
 * caller drops the whole batch.
 */
hw_err_t hw_proc_hire(const hw_proc_conf_t *conf, const hw_event_t *ev,
                      const hw_person_t *cur, hw_person_t *next,
                      hw_hire_outcome_t *outcome, hw_deltas_t *d);

/* Applies an offer: its organisation's offer counters by status, EXTENDED
 * value and mega count, and a mega_offer alert when the rule is on.
 * Returns HW_OK or HW_ERR_NOMEM. */
hw_err_t hw_proc_offer(const hw_proc_conf_t *conf, const hw_event_t *ev,
                       hw_deltas_t *d);

/* The person's place as a hire that moves them records it. */
void hw_proc_person_of(const hw_event_t *ev, hw_person_t *p);

#endif
