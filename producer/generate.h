/*
 * Synthetic hire and offer events for demos, tests and benchmarks.
 *
 * The stream is a function of (seed, count) only: no clock, no global
 * random state, so the same seed always gives the same events. It models
 * the organisations and labs of SPEC §6 plus a long tail, tiers and money
 * by tier, cross-border moves, people leaving labs they joined earlier, and
 * offers going from EXTENDED to ACCEPTED (followed by the hire), DECLINED
 * or WITHDRAWN.
 */
#ifndef HW_GENERATE_H
#define HW_GENERATE_H

#include <stdint.h>

#include "hw_event.h"

typedef struct hw_gen_s hw_gen_t;

/* The default span: 2023-01-01 to 2025-10-01. */
#define HW_GEN_SPAN_DAYS_DEFAULT 1004

/* Creates a generator for `count` events spread evenly over the span_days
 * (>= 1) days before 2025-10-01. NULL when out of memory. */
hw_gen_t *hw_gen_new(uint64_t seed, uint64_t count, int span_days);

/* Destroys it; accepts NULL. */
void hw_gen_destroy(hw_gen_t *gen);

/* Fills ev with the next event. Returns 1 when ev was filled, 0 when all
 * `count` events were given, -1 when out of memory. */
int hw_gen_next(hw_gen_t *gen, hw_event_t *ev);

#endif
