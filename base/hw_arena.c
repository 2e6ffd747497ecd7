#include "hw_arena.h"

#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer the block a reset keeps is poisoned until handed
 * out again: what points into an arena past its reset is reported, as
 * what points into a freed block is. */
#if defined(__SANITIZE_ADDRESS__)
#define HW_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HW_ARENA_ASAN 1
#endif
#endif
#ifdef HW_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define HW_ARENA_BLOCK_MIN 4096
#define HW_ARENA_BLOCK_MAX (256 * 1024)

struct hw_arena_block_s {
        hw_arena_block_t *next;
        size_t size;
        size_t used;
        max_align_t data[]; /* size bytes */
};

void hw_arena_init(hw_arena_t *arena) {
        arena->head = NULL;
}

void hw_arena_release(hw_arena_t *arena) {
        hw_arena_block_t *b = arena->head;
        while (b) {
                hw_arena_block_t *next = b->next;
                UNPOISON(b->data, b->size);
                free(b);
                b = next;
        }
        arena->head = NULL;
}

void hw_arena_reset(hw_arena_t *arena) {
        hw_arena_block_t *keep = arena->head, *b;
        if (!keep)
                return;
        /* Keep the largest block: it is the one that fits a typical event. */
        for (b = keep->next; b; b = b->next)
                if (b->size > keep->size)
                        keep = b;
        b = arena->head;
        while (b) {
                hw_arena_block_t *next = b->next;
                if (b != keep)
                        free(b);
                b = next;
        }
        keep->next = NULL;
        keep->used = 0;
        POISON(keep->data, keep->size);
        arena->head = keep;
}

void *hw_arena_alloc(hw_arena_t *arena, size_t n) {
        const size_t align = sizeof(max_align_t);
        hw_arena_block_t *b = arena->head;
        size_t need = (n + align - 1) & ~(align - 1);

        if (need < n)
                return NULL; /* overflow */
        if (!b || b->size - b->used < need) {
                size_t size =
                        need > HW_ARENA_BLOCK_MIN ? need : HW_ARENA_BLOCK_MIN;
                if (b && b->size * 2 > size && b->size * 2 > b->size)
                        size = b->size * 2;
                /* Doubling stops at HW_ARENA_BLOCK_MAX: a block larger
                 * than that is only as large as what it holds. */
                if (size > HW_ARENA_BLOCK_MAX)
                        size = need > HW_ARENA_BLOCK_MAX ? need
                                                         : HW_ARENA_BLOCK_MAX;
                b = malloc(sizeof(*b) + size);
                if (!b)
                        return NULL;
                b->size = size;
                b->used = 0;
                b->next = arena->head;
                arena->head = b;
        }
        void *p = (char *)b->data + b->used;
        b->used += need;
        UNPOISON(p, need);
        return p;
}

char *hw_arena_strndup(hw_arena_t *arena, const char *s, size_t len) {
        char *p = hw_arena_alloc(arena, len + 1);
        if (!p)
                return NULL;
        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}
