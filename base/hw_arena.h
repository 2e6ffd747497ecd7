/*
 * A bump allocator for the strings of one event. Blocks never move, so
 * pointers handed out stay valid until hw_arena_reset() or hw_arena_release().
 * Reset keeps the first block, so decoding message after message allocates
 * nothing once the arena has grown to the size of a typical event.
 */
#ifndef HW_ARENA_H
#define HW_ARENA_H

#include <stddef.h>

typedef struct hw_arena_block_s hw_arena_block_t;

typedef struct hw_arena_s {
        hw_arena_block_t *head; /* block being filled; older blocks follow */
} hw_arena_t;

/* Prepares caller storage; allocates nothing. */
void hw_arena_init(hw_arena_t *arena);

/* Frees every block. The arena may be reused after hw_arena_init(). */
void hw_arena_release(hw_arena_t *arena);

/* Forgets every allocation, keeping one block for reuse. */
void hw_arena_reset(hw_arena_t *arena);

/* Returns n bytes aligned for any scalar, or NULL when out of memory. */
void *hw_arena_alloc(hw_arena_t *arena, size_t n);

/* Copies len bytes of s and a terminating NUL; NULL when out of memory. */
char *hw_arena_strndup(hw_arena_t *arena, const char *s, size_t len);

#endif
