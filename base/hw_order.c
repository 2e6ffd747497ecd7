/*
 * Stable orders by an integer key (hw_order.h).
 */
#include "hw_order.h"

#include <stdlib.h>
#include <string.h>

/* A key and its item, for the merge sort of wide spans. */
typedef struct keyed_s {
        int64_t key;
        size_t i;
} keyed_t;

static int by_key_then_index(const void *a, const void *b) {
        const keyed_t *x = a, *y = b;
        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return (x->i > y->i) - (x->i < y->i);
}

static int order_sorted(const int64_t *keys, size_t n, size_t *order) {
        keyed_t *k = malloc(n * sizeof(*k));
        if (!k)
                return -1;
        for (size_t i = 0; i < n; i++)
                k[i] = (keyed_t){keys[i], i};
        qsort(k, n, sizeof(*k), by_key_then_index);
        for (size_t i = 0; i < n; i++)
                order[i] = k[i].i;
        free(k);
        return 0;
}

int hw_order_by_key(const int64_t *keys, size_t n, size_t *order) {
        int64_t lo, hi;
        uint64_t span;
        size_t *at;

        if (!n)
                return 0;
        lo = hi = keys[0];
        for (size_t i = 1; i < n; i++) {
                lo = keys[i] < lo ? keys[i] : lo;
                hi = keys[i] > hi ? keys[i] : hi;
        }
        span = (uint64_t)hi - (uint64_t)lo; /* no overflow: wraps as unsigned */
        if (span >= HW_ORDER_COUNT_SPAN || span > 4 * (uint64_t)n + 64)
                return order_sorted(keys, n, order);
        at = calloc((size_t)span + 2, sizeof(*at));
        if (!at)
                return -1;
        for (size_t i = 0; i < n; i++)
                at[(uint64_t)keys[i] - (uint64_t)lo + 1]++;
        for (size_t k = 1; k <= span; k++)
                at[k] += at[k - 1];
        for (size_t i = 0; i < n; i++)
                order[at[(uint64_t)keys[i] - (uint64_t)lo]++] = i;
        free(at);
        return 0;
}
