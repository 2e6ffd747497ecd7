/*
 * A hash map from byte-string keys to a small value, keeping insertion
 * order (so iteration, and what is built from it, is deterministic).
 * Keys are copied into the map's arena. hw_map_clear() keeps the memory for
 * the next batch.
 */
#ifndef HW_MAP_H
#define HW_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "hw_arena.h"

typedef struct hw_map_entry_s {
        const char *key; /* NUL-terminated copy; may contain NULs */
        size_t len;
        uint64_t hash;
        union {
                int64_t i;
                const void *p;
        } v;
        int64_t aux; /* a second value for the caller */
} hw_map_entry_t;

typedef struct hw_map_s {
        hw_map_entry_t *entries; /* insertion order */
        size_t count, cap;
        uint32_t *slots; /* index + 1 into entries; 0 = empty */
        size_t n_slots;  /* power of two */
        hw_arena_t arena;
} hw_map_t;

/* Prepares an empty map (caller storage); allocates nothing. */
void hw_map_init(hw_map_t *m);

/* Frees everything. */
void hw_map_release(hw_map_t *m);

/* Forgets every entry, keeping memory for reuse. */
void hw_map_clear(hw_map_t *m);

/* The entry for key, or NULL. */
hw_map_entry_t *hw_map_find(const hw_map_t *m, const char *key, size_t len);

/* The entry for key, created zeroed (with *created = 1) if absent. NULL
 * when out of memory (the map is unchanged). Entry pointers are valid until
 * the next upsert. */
hw_map_entry_t *hw_map_upsert(hw_map_t *m, const char *key, size_t len,
                              int *created);

/* Copies a string into the map's arena (for values); NULL when out of
 * memory. */
const char *hw_map_strdup(hw_map_t *m, const char *s, size_t len);

#endif
