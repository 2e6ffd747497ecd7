/* Unit tests of the stable orders by integer key (base/hw_order.c). */
#include <stdlib.h>

#include "hw_order.h"
#include "hw_test.h"

/* Whether order[0..n) is a permutation of 0..n-1 that puts keys in
 * ascending order and equal keys in index order. */
static int stable_sorted(const int64_t *keys, const size_t *order, size_t n) {
        unsigned char *seen = calloc(n + 1, 1);
        int ok = seen != NULL;

        for (size_t k = 0; ok && k < n; k++) {
                if (order[k] >= n || seen[order[k]])
                        ok = 0;
                else
                        seen[order[k]] = 1;
                if (ok && k > 0) {
                        int64_t a = keys[order[k - 1]], b = keys[order[k]];
                        ok = a < b || (a == b && order[k - 1] < order[k]);
                }
        }
        free(seen);
        return ok;
}

/* Keys drawn from spans narrow (counted) and wide (merge-sorted), with
 * many equal keys: every order is the stable one. */
static void test_random(void) {
        static const int64_t spans[] = {1,     7,     400,     5000,
                                        65535, 65536, 1000000, INT64_MAX};
        enum { N = 20000 };
        int64_t *keys = malloc(N * sizeof(*keys));
        size_t *order = malloc(N * sizeof(*order));
        uint64_t seed = 12345;

        HW_CHECK(keys && order);
        for (size_t s = 0; keys && order && s < sizeof(spans) / sizeof(*spans);
             s++) {
                for (size_t n = 1; n <= N; n *= 7) {
                        for (size_t i = 0; i < n; i++) {
                                seed = seed * 6364136223846793005u +
                                       1442695040888963407u;
                                keys[i] =
                                        -20000 + (int64_t)((seed >> 1) %
                                                           (uint64_t)spans[s]);
                        }
                        HW_CONTEXT("span %lld, n %zu", (long long)spans[s], n);
                        HW_CHECK_EQ_INT(hw_order_by_key(keys, n, order), 0);
                        HW_CHECK(stable_sorted(keys, order, n));
                }
        }
        free(keys);
        free(order);
}

/* The extremes of int64 together (their difference overflows a signed
 * subtraction), nothing to order, and one key. */
static void test_edges(void) {
        int64_t keys[] = {INT64_MAX, 0, INT64_MIN, -1, INT64_MAX, INT64_MIN};
        size_t order[6] = {99, 99, 99, 99, 99, 99};
        size_t want[] = {2, 5, 3, 1, 0, 4};

        HW_CHECK_EQ_INT(hw_order_by_key(keys, 6, order), 0);
        for (size_t i = 0; i < 6; i++)
                HW_CHECK_EQ_INT(order[i], want[i]);
        order[0] = 99;
        HW_CHECK_EQ_INT(hw_order_by_key(keys, 0, order), 0);
        HW_CHECK_EQ_INT(order[0], 99);
        HW_CHECK_EQ_INT(hw_order_by_key(keys + 1, 1, order), 0);
        HW_CHECK_EQ_INT(order[0], 0);
}

int main(void) {
        HW_RUN(test_random);
        HW_RUN(test_edges);
        return hw_test_summary();
}
