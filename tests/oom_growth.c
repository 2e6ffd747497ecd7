/*
 * Insertions into hirewire's maps, arenas and id maps, counted as
 * allocations (oom_fixtures.h) while hw_oom_growth is set, so that each
 * fails in turn whether or not it would allocate: structures kept from
 * batch to batch (the processors' deltas, the plan) find most of their
 * memory there already, and only the insertions that grow them would
 * otherwise fail. A test program links this file and is linked with
 *     -Wl,--wrap=hw_map_upsert,--wrap=hw_arena_alloc,--wrap=hw_idmap_add
 * (HW_OOM_GROWTH in tests/CMakeLists.txt).
 */
#include "hw_arena.h"
#include "hw_idmap.h"
#include "hw_map.h"
#include "oom_fixtures.h"

int hw_oom_growth;

hw_map_entry_t *__real_hw_map_upsert(hw_map_t *m, const char *key, size_t len,
                                     int *created);
hw_map_entry_t *__wrap_hw_map_upsert(hw_map_t *m, const char *key, size_t len,
                                     int *created);
void *__real_hw_arena_alloc(hw_arena_t *arena, size_t n);
void *__wrap_hw_arena_alloc(hw_arena_t *arena, size_t n);
int64_t __real_hw_idmap_add(hw_idmap_t *m, hw_idkey_t key, int *created);
int64_t __wrap_hw_idmap_add(hw_idmap_t *m, hw_idkey_t key, int *created);

hw_map_entry_t *__wrap_hw_map_upsert(hw_map_t *m, const char *key, size_t len,
                                     int *created) {
        if (hw_oom_growth && hw_oom_fail_here())
                return NULL;
        return __real_hw_map_upsert(m, key, len, created);
}

void *__wrap_hw_arena_alloc(hw_arena_t *arena, size_t n) {
        if (hw_oom_growth && hw_oom_fail_here())
                return NULL;
        return __real_hw_arena_alloc(arena, n);
}

int64_t __wrap_hw_idmap_add(hw_idmap_t *m, hw_idkey_t key, int *created) {
        if (hw_oom_growth && hw_oom_fail_here())
                return -1;
        return __real_hw_idmap_add(m, key, created);
}
