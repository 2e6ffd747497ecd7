#include "hw_idmap.h"

#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_err.h"

/* Mixes the two words (a multiply-xorshift finaliser of each). */
static uint64_t hash_key(hw_idkey_t k) {
        uint64_t h = k.a * UINT64_C(0x9e3779b97f4a7c15) ^ k.b;
        h ^= h >> 32;
        h *= UINT64_C(0xd6e8feb86659fd93);
        h ^= h >> 32;
        return h;
}

static int same(hw_idkey_t x, hw_idkey_t y) {
        return x.a == y.a && x.b == y.b;
}

void hw_idmap_init(hw_idmap_t *m) {
        memset(m, 0, sizeof(*m));
}

void hw_idmap_release(hw_idmap_t *m) {
        free(m->slots);
        free(m->keys);
        hw_idmap_init(m);
}

void hw_idmap_clear(hw_idmap_t *m) {
        m->count = 0;
        if (m->slots)
                memset(m->slots, 0, m->n_slots * sizeof(*m->slots));
}

/* The slot of key (whose hash is h), or the empty slot where it would
 * go. */
static size_t probe(const hw_idmap_t *m, hw_idkey_t key, uint64_t h) {
        size_t mask = m->n_slots - 1, i = (size_t)h & mask;
        uint32_t tag = (uint32_t)(h >> 32);
        while (m->slots[i].index1 &&
               (m->slots[i].tag != tag ||
                !same(m->keys[m->slots[i].index1 - 1], key)))
                i = (i + 1) & mask;
        return i;
}

int64_t hw_idmap_find(const hw_idmap_t *m, hw_idkey_t key) {
        size_t i;
        if (!m->n_slots)
                return -1;
        i = probe(m, key, hash_key(key));
        return m->slots[i].index1 ? (int64_t)m->slots[i].index1 - 1 : -1;
}

/* Keeps the load factor under 1/2. */
static int grow(hw_idmap_t *m) {
        if (hw_slots_double((void **)&m->slots, &m->n_slots, sizeof(*m->slots)))
                return -1;
        for (size_t i = 0; i < m->count; i++) {
                /* Keys are distinct: the first empty slot is theirs. */
                uint64_t h = hash_key(m->keys[i]);
                size_t mask = m->n_slots - 1, j = (size_t)h & mask;
                while (m->slots[j].index1)
                        j = (j + 1) & mask;
                m->slots[j].tag = (uint32_t)(h >> 32);
                m->slots[j].index1 = (uint32_t)(i + 1);
        }
        return 0;
}

int64_t hw_idmap_add(hw_idmap_t *m, hw_idkey_t key, int *created) {
        size_t i;
        uint64_t h = hash_key(key);

        *created = 0;
        if ((m->count + 1) * 2 > m->n_slots && grow(m))
                return -1;
        i = probe(m, key, h);
        if (m->slots[i].index1)
                return (int64_t)m->slots[i].index1 - 1;
        HW_ASSERT(m->count < UINT32_MAX); /* slots hold index + 1 */
        if (m->count == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 64;
                hw_idkey_t *keys = realloc(m->keys, cap * sizeof(*keys));
                if (!keys)
                        return -1;
                m->keys = keys;
                m->cap = cap;
        }
        m->keys[m->count] = key;
        m->slots[i].tag = (uint32_t)(h >> 32);
        m->slots[i].index1 = (uint32_t)++m->count;
        *created = 1;
        return (int64_t)m->count - 1;
}
