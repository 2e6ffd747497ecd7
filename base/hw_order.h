/*
 * Stable orders by an integer key: the permutation that puts n items in
 * ascending key order, items of equal keys in the order they came. By
 * counting when the keys span little (days of a batch, buckets, group
 * indexes), by merge sort otherwise.
 */
#ifndef HW_ORDER_H
#define HW_ORDER_H

#include <stddef.h>
#include <stdint.h>

/* Key spans counted (wider ones are merge-sorted). */
#define HW_ORDER_COUNT_SPAN 65536

/* order[0..n): the indexes of keys[0..n) in ascending key order, equal
 * keys in index order. -1 when out of memory (order untouched then). */
int hw_order_by_key(const int64_t *keys, size_t n, size_t *order);

#endif
