#include "hw_map.h"

#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_err.h"

/* A 64-bit hash of len bytes, eight at a time (a multiply and a shift
 * per word, then a finaliser that spreads every bit over the low ones
 * the slots use). Byte by byte, as FNV-1a was, it cost more than the
 * probe for names of 20 to 40 bytes. */
static uint64_t hash_bytes(const char *s, size_t len) {
        const uint64_t k = UINT64_C(0xff51afd7ed558ccd);
        const char *end = s + len;
        uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len, w;

        for (; end - s >= 8; s += 8) {
                memcpy(&w, s, 8);
                h = (h ^ w) * k;
                h ^= h >> 32;
        }
        if (s < end) {
                /* The tail in whole loads (memcpy of a variable length is
                 * a call): of a key of 8 bytes or more, its last 8 (read
                 * again in part); of a shorter one, 4, 2 and 1 bytes. */
                if (len >= 8) {
                        memcpy(&w, end - 8, 8);
                } else {
                        uint32_t x4 = 0;
                        uint16_t x2 = 0;
                        unsigned shift = 0;
                        w = 0;
                        if (end - s >= 4) {
                                memcpy(&x4, s, 4);
                                w = x4;
                                s += 4;
                                shift = 32;
                        }
                        if (end - s >= 2) {
                                memcpy(&x2, s, 2);
                                w |= (uint64_t)x2 << shift;
                                s += 2;
                                shift += 16;
                        }
                        if (s < end)
                                w |= (uint64_t)(unsigned char)*s << shift;
                }
                h = (h ^ w) * k;
                h ^= h >> 32;
        }
        h ^= h >> 33;
        h *= UINT64_C(0xc4ceb9fe1a85ec53);
        h ^= h >> 33;
        return h;
}

void hw_map_init(hw_map_t *m) {
        memset(m, 0, sizeof(*m));
        hw_arena_init(&m->arena);
}

void hw_map_release(hw_map_t *m) {
        free(m->entries);
        free(m->slots);
        hw_arena_release(&m->arena);
        hw_map_init(m);
}

void hw_map_clear(hw_map_t *m) {
        m->count = 0;
        if (m->slots)
                memset(m->slots, 0, m->n_slots * sizeof(*m->slots));
        hw_arena_reset(&m->arena);
}

static size_t probe(const hw_map_t *m, const char *key, size_t len,
                    uint64_t h) {
        size_t mask = m->n_slots - 1, i = (size_t)h & mask;
        for (;;) {
                uint32_t s = m->slots[i];
                if (!s)
                        return i;
                const hw_map_entry_t *e = &m->entries[s - 1];
                if (e->hash == h && e->len == len && !memcmp(e->key, key, len))
                        return i;
                i = (i + 1) & mask;
        }
}

hw_map_entry_t *hw_map_find(const hw_map_t *m, const char *key, size_t len) {
        if (!m->n_slots)
                return NULL;
        uint32_t s = m->slots[probe(m, key, len, hash_bytes(key, len))];
        return s ? &m->entries[s - 1] : NULL;
}

/* Keeps the load factor under 1/2. */
static int grow(hw_map_t *m) {
        size_t mask;

        if (hw_slots_double((void **)&m->slots, &m->n_slots, sizeof(*m->slots)))
                return -1;
        mask = m->n_slots - 1;
        for (size_t i = 0; i < m->count; i++) {
                size_t j = (size_t)m->entries[i].hash & mask;
                while (m->slots[j])
                        j = (j + 1) & mask;
                m->slots[j] = (uint32_t)(i + 1);
        }
        return 0;
}

hw_map_entry_t *hw_map_upsert(hw_map_t *m, const char *key, size_t len,
                              int *created) {
        uint64_t h = hash_bytes(key, len);
        size_t slot;
        hw_map_entry_t *e;
        char *copy;

        *created = 0;
        if ((m->count + 1) * 2 > m->n_slots && grow(m))
                return NULL;
        slot = probe(m, key, len, h);
        if (m->slots[slot])
                return &m->entries[m->slots[slot] - 1];
        HW_ASSERT(m->count < UINT32_MAX); /* slots hold index + 1 */
        if (m->count == m->cap) {
                size_t cap = m->cap ? m->cap * 2 : 64;
                hw_map_entry_t *ne = realloc(m->entries, cap * sizeof(*ne));
                if (!ne)
                        return NULL;
                m->entries = ne;
                m->cap = cap;
        }
        copy = hw_arena_strndup(&m->arena, key, len);
        if (!copy)
                return NULL;
        e = &m->entries[m->count];
        memset(e, 0, sizeof(*e));
        e->key = copy;
        e->len = len;
        e->hash = h;
        m->slots[slot] = (uint32_t)++m->count;
        *created = 1;
        return e;
}

const char *hw_map_strdup(hw_map_t *m, const char *s, size_t len) {
        return hw_arena_strndup(&m->arena, s, len);
}
