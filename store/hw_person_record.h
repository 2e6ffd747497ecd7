/*
 * The person registry's record (docs/redis-keys.md): a person is field
 * <person_id> of the hash persons:<n>, n = the 32-bit FNV-1a hash of the
 * id modulo HW_PERSON_BUCKETS, its value seven parts (lab, origin,
 * nationality, alma_mater, tier, at, event_id) each written
 * "<length>:<bytes>", so any bytes may appear in them. Written by the
 * consumer's step, read by it and by hirewire-query.
 */
#ifndef HW_PERSON_RECORD_H
#define HW_PERSON_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "hw_arena.h"
#include "hw_deltas.h"

#define HW_PERSON_BUCKETS 256

/* The bucket n of persons:<n> holding the person. */
unsigned hw_person_bucket(const char *id, size_t len);

/* The person's record, in the arena (*len: its length); NULL when out of
 * memory. */
const char *hw_person_pack(hw_arena_t *a, const hw_person_t *p, size_t *len);

/* Reads a record into *p (strings copied into the arena). -1 when it is not
 * one, -2 when out of memory. */
int hw_person_unpack(hw_arena_t *a, const char *text, size_t len,
                     hw_person_t *p);

#endif
