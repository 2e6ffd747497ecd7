/*
 * The Redis side of a rebuild (hirewire-consumer --replay): a replay builds
 * every key under a staging prefix with the ordinary atomic step, then
 * either swaps it in (one script: live keys out, staging keys renamed in,
 * offsets set, epoch incremented) or compares it with the live keys.
 * Alert keys of the live prefix are never touched. See docs/operations.md.
 */
#ifndef HW_REBUILD_H
#define HW_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "hw_err.h"
#include "hw_store.h"

/* The staging prefix of a live prefix: "replay:" + live. */
void hw_rebuild_staging_prefix(const char *live, char *out, size_t size);

/* The key a replay of a live prefix holds while it runs, its pid in it:
 * "replay:lock:" + live (expires 60 s after the replay stops refreshing
 * it). */
void hw_rebuild_lock_key(const char *live, char *out, size_t size);

/* Deletes every key under prefix (SCAN + UNLINK); *n = how many. */
hw_err_t hw_rebuild_clear(hw_store_t *s, const char *prefix, size_t *n,
                          char *errstr, size_t errstr_size);

/* One partition's offset after the rebuild: key suffix
 * "offset:<group>:<topic>:<partition>" and the next offset. */
typedef struct hw_rebuild_offset_s {
        char suffix[400];
        int64_t next;
} hw_rebuild_offset_t;

/* The swap (store/hw_swap.lua). *deleted, *renamed: keys; *epoch: the live
 * prefix's new epoch. */
hw_err_t hw_rebuild_swap(hw_store_t *s, const char *live, const char *staging,
                         const char *alerts_prefix,
                         const hw_rebuild_offset_t *offsets, size_t n,
                         int64_t *deleted, int64_t *renamed, int64_t *epoch,
                         char *errstr, size_t errstr_size);

/* A difference: key (without prefix), field, live and rebuilt values
 * ("" when missing). Return non-zero to stop. */
typedef int (*hw_rebuild_diff_fn)(void *ctx, const char *key, const char *field,
                                  const char *live, const char *rebuilt);

/* Compares every key under live and staging (store/hw_diff.lua), in key
 * order, leaving out offsets, the epoch and the alert keys. Calls fn for
 * each difference; *n = how many. */
hw_err_t hw_rebuild_diff(hw_store_t *s, const char *live, const char *staging,
                         const char *alerts_prefix, hw_rebuild_diff_fn fn,
                         void *ctx, size_t *n, char *errstr,
                         size_t errstr_size);

#endif
