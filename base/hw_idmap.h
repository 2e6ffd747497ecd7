/*
 * A hash map from a 128-bit key (two 64-bit words) to a dense index: the
 * n-th key added gets index n, so the caller keeps the values in arrays of
 * its own. A slot holds 32 bits of the key's hash beside the index, so a
 * lookup reads the slots (8 bytes each, a third of a slot holding the key)
 * and the one key whose hash bits match. hw_idmap_clear() keeps the
 * memory.
 */
#ifndef HW_IDMAP_H
#define HW_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hw_idkey_s {
        uint64_t a, b;
} hw_idkey_t;

typedef struct hw_idmap_slot_s {
        uint32_t tag;    /* the high 32 bits of the key's hash */
        uint32_t index1; /* index + 1; 0: empty */
} hw_idmap_slot_t;

typedef struct hw_idmap_s {
        hw_idmap_slot_t *slots;
        size_t n_slots;   /* power of two */
        hw_idkey_t *keys; /* by index */
        size_t count, cap;
} hw_idmap_t;

/* Prepares an empty map (caller storage); allocates nothing. */
void hw_idmap_init(hw_idmap_t *m);

/* Frees everything. */
void hw_idmap_release(hw_idmap_t *m);

/* Forgets every key, keeping memory for reuse. */
void hw_idmap_clear(hw_idmap_t *m);

/* The index of key, -1 when absent. */
int64_t hw_idmap_find(const hw_idmap_t *m, hw_idkey_t key);

/* The index of key, added (the next index, *created = 1) when absent; -1
 * when out of memory (the map is unchanged). */
int64_t hw_idmap_add(hw_idmap_t *m, hw_idkey_t key, int *created);

/* A key from two 32-bit numbers. */
static inline hw_idkey_t hw_idkey2(uint32_t x, uint32_t y) {
        hw_idkey_t k = {((uint64_t)x << 32) | y, 0};
        return k;
}

#endif
