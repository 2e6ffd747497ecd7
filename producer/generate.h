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

/* Creates a generator for `count` events. NULL when out of memory. */
hw_gen_t *hw_gen_new(uint64_t seed, uint64_t count);

/* Destroys it; accepts NULL. */
void hw_gen_destroy(hw_gen_t *gen);

/* Fills ev with the next event. Returns 1 when ev was filled, 0 when all
 * `count` events were given, -1 when out of memory. */
int hw_gen_next(hw_gen_t *gen, hw_event_t *ev);

#endif
