/*
 * The raid index of one (lab, origin org) pair and the raid judgment on
 * it, as pure functions (docs/redis-keys.md, the raid rule in SPEC §6).
 *
 * A pair's index is one field of <prefix>raid ("<lab-slug>:<org-slug>"),
 * its value the pair's hires within the largest window, one record each,
 * sorted by day then event id:
 *
 *     <day> <length>:<event_id>\n
 *
 * day in days since 1970-01-01 (UTC), length the event id's in bytes.
 * The raids raised of a pair are one field of <alerts prefix>alert:raid,
 * the same name, its value their days, ascending, comma-separated.
 */
#ifndef HW_RAID_H
#define HW_RAID_H

#include <stddef.h>
#include <stdint.h>

#include "hw_arena.h"
#include "hw_buf.h"

/* A hire of a pair: its day and event id (not NUL-terminated). */
typedef struct hw_raid_hire_s {
        int64_t day;
        const char *id;
        size_t len;
} hw_raid_hire_t;

/* Parses a pair's index value into out (allocated in arena with room for
 * extra more hires; the ids point into v). *n: how many. -1 when v is not
 * an index value or out of memory (errno ENOMEM then, EINVAL else). */
int hw_raid_decode(const char *v, size_t len, size_t extra, hw_arena_t *arena,
                   hw_raid_hire_t **out, size_t *n);

/* Adds hire h to list[0..*n) (room for it is the caller's): a hire with
 * the same event id takes h's day instead (the index holds an event
 * once). Returns 1 when it did (the list may be out of order then), 0
 * when h was appended. */
int hw_raid_add(hw_raid_hire_t *list, size_t *n, hw_raid_hire_t h);

/* Adds adds[0..k) to list[0..*n) in turn as hw_raid_add does (room for
 * them is the caller's), reading the list once whatever k. Returns 1 when
 * a hire already there took a new day, else 0; -1 when out of memory
 * (nothing added then). */
int hw_raid_add_all(hw_raid_hire_t *list, size_t *n, const hw_raid_hire_t *adds,
                    size_t k);

/* Drops the hires of days <= oldest and sorts the rest by day, then event
 * id; list[0..sorted) is in that order already (a decoded index: the
 * batch's hires are appended after it). Returns how many are left. */
size_t hw_raid_settle(hw_raid_hire_t *list, size_t n, size_t sorted,
                      int64_t oldest);

/* Appends the index value of list[0..n) to out. -1 when out of memory. */
int hw_raid_encode(const hw_raid_hire_t *list, size_t n, hw_buf_t *out);

/* A raid: the pair's hires over (day - days, day] reach the count on day
 * and did not over (day - days - 1, day - 1]. hires: how many over the
 * first; list[first .. first + hires) are they. */
typedef struct hw_raid_cross_s {
        int64_t day, hires;
        size_t first;
} hw_raid_cross_t;

/* The raids of a pair's settled list (sorted, see hw_raid_settle): on
 * every day D with a hire, D >= lo, D - days > oldest. Calls fn for each,
 * in day order; stops with fn's nonzero return and returns it. */
int hw_raid_judge(const hw_raid_hire_t *list, size_t n, int64_t lo,
                  int64_t oldest, int64_t days, int64_t count,
                  int (*fn)(void *ctx, const hw_raid_cross_t *x), void *ctx);

/* Parses a pair's raised days (alert:raid) into out[0..cap); returns how
 * many, or -1 when v is not such a list or holds more than cap. */
int hw_raid_days_decode(const char *v, size_t len, int64_t *out, size_t cap);

/* Whether a raid on day was raised of the pair: one of days[0..n) is less
 * than window days from it. */
int hw_raid_near(const int64_t *days, size_t n, int64_t day, int64_t window);

/* Appends the raised-days value of days[0..n) (ascending) to out. -1
 * when out of memory. */
int hw_raid_days_encode(const int64_t *days, size_t n, hw_buf_t *out);

#endif
