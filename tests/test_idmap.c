/* Unit tests of the index map (base/hw_idmap.c). */
#include "hw_idmap.h"
#include "hw_test.h"

/* Indexes follow the order keys are added; a key added again keeps its
 * index; both words and every bit of them tell keys apart. */
static void test_indexes(void) {
        hw_idmap_t m;
        int created = -1;

        hw_idmap_init(&m);
        HW_CHECK_EQ_INT(hw_idmap_find(&m, hw_idkey2(1, 2)), -1);
        HW_CHECK_EQ_INT(hw_idmap_add(&m, hw_idkey2(1, 2), &created), 0);
        HW_CHECK_EQ_INT(created, 1);
        HW_CHECK_EQ_INT(hw_idmap_add(&m, hw_idkey2(2, 1), &created), 1);
        HW_CHECK_EQ_INT(created, 1);
        HW_CHECK_EQ_INT(hw_idmap_add(&m, hw_idkey2(1, 2), &created), 0);
        HW_CHECK_EQ_INT(created, 0);
        HW_CHECK_EQ_INT(
                hw_idmap_add(&m, (hw_idkey_t){hw_idkey2(1, 2).a, 7}, &created),
                2);
        HW_CHECK_EQ_INT(hw_idmap_add(&m, (hw_idkey_t){0, 0}, &created), 3);
        HW_CHECK_EQ_INT(hw_idmap_add(&m, (hw_idkey_t){UINT64_MAX, 0}, &created),
                        4);
        HW_CHECK_EQ_INT(m.count, 5);
        HW_CHECK_EQ_INT(hw_idmap_find(&m, hw_idkey2(2, 1)), 1);
        HW_CHECK_EQ_INT(hw_idmap_find(&m, (hw_idkey_t){0, 0}), 3);
        HW_CHECK_EQ_INT(hw_idmap_find(&m, (hw_idkey_t){0, 1}), -1);
        HW_CHECK(m.keys[1].a == hw_idkey2(2, 1).a && m.keys[2].b == 7);
        hw_idmap_release(&m);
        HW_CHECK_EQ_INT(m.count, 0);
        HW_CHECK_EQ_INT(hw_idmap_find(&m, hw_idkey2(1, 2)), -1);
}

/* Many keys: the map grows and every key keeps its index; keys that
 * differ in one high bit, or only in the second word, all stay apart. */
static void test_growth(void) {
        enum { N = 100000 };
        hw_idmap_t m;
        int created, ok = 1;

        hw_idmap_init(&m);
        for (uint32_t i = 0; i < N; i++) {
                hw_idkey_t k = {(uint64_t)i << 40, i % 3};
                ok &= hw_idmap_add(&m, k, &created) == (int64_t)i && created;
        }
        HW_CHECK(ok);
        HW_CHECK_EQ_INT(m.count, N);
        HW_CHECK(m.n_slots >= 2 * m.count);
        for (uint32_t i = 0; i < N; i++) {
                hw_idkey_t k = {(uint64_t)i << 40, i % 3};
                hw_idkey_t other = {(uint64_t)i << 40, i % 3 + 3};
                ok &= hw_idmap_find(&m, k) == (int64_t)i;
                ok &= hw_idmap_find(&m, other) == -1;
        }
        HW_CHECK(ok);
        hw_idmap_release(&m);
}

/* Clearing forgets every key but keeps the memory: indexes start at 0
 * again. */
static void test_clear(void) {
        hw_idmap_t m;
        int created;
        size_t slots;

        hw_idmap_init(&m);
        hw_idmap_clear(&m); /* a map never used */
        for (uint32_t i = 0; i < 1000; i++)
                hw_idmap_add(&m, hw_idkey2(i, i), &created);
        slots = m.n_slots;
        hw_idmap_clear(&m);
        HW_CHECK_EQ_INT(m.count, 0);
        HW_CHECK_EQ_INT(m.n_slots, slots);
        HW_CHECK_EQ_INT(hw_idmap_find(&m, hw_idkey2(5, 5)), -1);
        HW_CHECK_EQ_INT(hw_idmap_add(&m, hw_idkey2(999, 999), &created), 0);
        HW_CHECK_EQ_INT(created, 1);
        hw_idmap_release(&m);
}

int main(void) {
        HW_RUN(test_indexes);
        HW_RUN(test_growth);
        HW_RUN(test_clear);
        return hw_test_summary();
}
