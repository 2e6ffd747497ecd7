/* Unit tests of the raid index and judgment (processors/hw_raid.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_raid.h"
#include "hw_test.h"

#define H(d, s) ((hw_raid_hire_t){(d), (s), sizeof(s) - 1})

/* The index value of list[0..n) as a NUL-terminated string (static). */
static const char *encoded(const hw_raid_hire_t *list, size_t n) {
        static char text[4096];
        hw_buf_t b;
        hw_buf_init(&b);
        text[0] = '\0';
        if (!hw_raid_encode(list, n, &b) && b.len < sizeof(text)) {
                memcpy(text, b.data, b.len);
                text[b.len] = '\0';
        }
        hw_buf_release(&b);
        return text;
}

static void test_encode_decode(void) {
        hw_raid_hire_t in[] = {H(20179, "h1"), H(20181, "id with\nnewline"),
                               H(-3, "before 1970")};
        const char *v = encoded(in, 3);
        hw_arena_t a;
        hw_raid_hire_t *out;
        size_t n = 99;

        HW_CHECK_STR(v, "20179 2:h1\n20181 15:id with\nnewline\n"
                        "-3 11:before 1970\n");
        hw_arena_init(&a);
        if (HW_CHECK_EQ_INT(hw_raid_decode(v, strlen(v), 2, &a, &out, &n), 0) &&
            HW_CHECK_EQ_INT(n, 3)) {
                HW_CHECK_EQ_INT(out[1].day, 20181);
                HW_CHECK_EQ_INT(out[1].len, 15);
                HW_CHECK_MEM(out[1].id, "id with\nnewline", 15);
                HW_CHECK_EQ_INT(out[2].day, -3);
                /* Room for two more: adding them stays in the array. */
                hw_raid_add(out, &n, H(20200, "h9"));
                hw_raid_add(out, &n, H(20201, "h8"));
                HW_CHECK_EQ_INT(n, 5);
        }
        HW_CHECK_EQ_INT(hw_raid_decode("", 0, 0, &a, &out, &n), 0);
        HW_CHECK_EQ_INT(n, 0);
        hw_arena_release(&a);
        /* Runs of one day and one id length, and changes of either. */
        {
                hw_raid_hire_t run[] = {H(7, "ab"), H(7, "cd"), H(7, "efg"),
                                        H(7, "hi"), H(8, "jk"), H(8, "lm")};
                HW_CHECK_STR(encoded(run, 6), "7 2:ab\n7 2:cd\n7 3:efg\n"
                                              "7 2:hi\n8 2:jk\n8 2:lm\n");
        }
}

static void test_decode_rejects(void) {
        static const char *const bad[] = {
                "20179 2:h1",   /* no newline */
                "20179 3:h1\n", /* length past the end */
                "20179 1:h1\n", /* length short of the newline */
                "x 2:h1\n",     /* no day */
                "20179 :h1\n",  /* no length */
                "20179 2h1\n",  /* no colon */
                "20179:2:h1\n", /* no space */
                "2017900000000000000000 2:h1\n", /* day too long */
                "20179 -1:h1\n",                 /* negative length */
        };
        hw_arena_t a;
        hw_arena_init(&a);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                hw_raid_hire_t *out;
                size_t n;
                HW_CONTEXT("value %zu: %s", i, bad[i]);
                errno = 0;
                HW_CHECK_EQ_INT(
                        hw_raid_decode(bad[i], strlen(bad[i]), 0, &a, &out, &n),
                        -1);
                HW_CHECK_EQ_INT(errno, EINVAL);
        }
        hw_arena_release(&a);
}

static void test_add_moves_and_settle(void) {
        hw_raid_hire_t l[8] = {H(10, "b"), H(12, "a"), H(5, "old")};
        size_t n = 3;

        HW_CHECK_EQ_INT(hw_raid_add(l, &n, H(11, "a")), 1); /* moved */
        HW_CHECK_EQ_INT(hw_raid_add(l, &n, H(10, "a0")), 0);
        HW_CHECK_EQ_INT(n, 4);
        n = hw_raid_settle(l, n, 0, 5); /* day 5 left the window */
        HW_CHECK_EQ_INT(n, 3);
        HW_CHECK_STR(encoded(l, n), "10 2:a0\n10 1:b\n11 1:a\n");
}

/* A sorted index and a few hires after it: each goes where it belongs;
 * many: sorted all the same. */
static void test_settle_sorted_prefix(void) {
        hw_raid_hire_t l[32] = {H(3, "c"), H(5, "a"), H(5, "c"),  H(9, "z"),
                                H(5, "b"), H(1, "x"), H(10, "y"), H(2, "w")};
        size_t n = hw_raid_settle(l, 8, 4, 1); /* day 1 leaves */
        HW_CHECK_EQ_INT(n, 7);
        HW_CHECK_STR(encoded(l, n), "2 1:w\n3 1:c\n5 1:a\n5 1:b\n5 1:c\n"
                                    "9 1:z\n10 1:y\n");
        /* 20 appended in reverse after 2 sorted. */
        static const char *const ids[] = {"a", "b", "c", "d", "e", "f", "g",
                                          "h", "i", "j", "k", "l", "m", "n",
                                          "o", "p", "q", "r", "s", "t"};
        l[0] = H(0, "0");
        l[1] = H(100, "z");
        for (int k = 0; k < 20; k++)
                l[2 + k] = (hw_raid_hire_t){60 - k, ids[k], 1};
        n = hw_raid_settle(l, 22, 2, -1);
        HW_CHECK_EQ_INT(n, 22);
        for (size_t k = 1; k < n; k++)
                HW_CHECK(l[k - 1].day <= l[k].day);
        HW_CHECK_EQ_INT(l[21].day, 100);
}

/* hw_raid_add_all leaves what hw_raid_add one hire at a time does:
 * random lists of ids that share endings, hires already in the list
 * (which take their new day), hires added twice, few and many at once;
 * and settling many new ones (sorted apart, then merged) orders them as
 * sorting the whole list does. */
static int by_day_then_id(const void *a, const void *b) {
        const hw_raid_hire_t *x = a, *y = b;
        int c;
        if (x->day != y->day)
                return x->day < y->day ? -1 : 1;
        c = memcmp(x->id, y->id, x->len < y->len ? x->len : y->len);
        return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void test_add_all_as_one_by_one(void) {
        enum { IDS = 300 };
        static char names[IDS][24];
        hw_raid_hire_t one[700], all[700], adds[300];
        unsigned seed = 7;
        int same = 1, moved_same = 1, merged = 1;

        for (int i = 0; i < IDS; i++) /* "e-0001-x": shared tails too */
                snprintf(names[i], sizeof(names[i]), "e-%04d-%c", i,
                         'x' + i % 3);
        for (int round = 0; round < 200; round++) {
                size_t n = 0, n1, n2, k;
                int m1 = 0, m2;
                seed = seed * 1103515245u + 12345u;
                k = (seed >> 8) % (round % 2 ? 300 : 12);
                for (size_t j = 0; j < (seed >> 4) % 300; j++) {
                        seed = seed * 1103515245u + 12345u;
                        const char *id = names[(seed >> 8) % IDS];
                        all[n++] = (hw_raid_hire_t){(int64_t)(seed >> 20) % 50,
                                                    id, strlen(id)};
                }
                for (size_t a = 0; a < k; a++) {
                        seed = seed * 1103515245u + 12345u;
                        const char *id = names[(seed >> 8) % IDS];
                        adds[a] = (hw_raid_hire_t){(int64_t)(seed >> 20) % 50 +
                                                           50,
                                                   id, strlen(id)};
                }
                memcpy(one, all, n * sizeof(*one));
                n1 = n2 = n;
                for (size_t a = 0; a < k; a++)
                        m1 |= hw_raid_add(one, &n1, adds[a]);
                m2 = hw_raid_add_all(all, &n2, adds, k);
                same &= n1 == n2 && !memcmp(one, all, n1 * sizeof(*one));
                moved_same &= m1 == m2;
                /* Settle the list with the appended ones after its first
                 * half (sorted first, as a decoded index is). */
                qsort(one, n1 / 2, sizeof(*one), by_day_then_id);
                memcpy(all, one, n1 * sizeof(*one));
                n2 = n1;
                n1 = hw_raid_settle(one, n1, n1 / 2, 10);
                qsort(all, n2, sizeof(*all), by_day_then_id);
                k = n2;
                n2 = 0;
                for (size_t j = 0; j < k; j++)
                        if (all[j].day > 10)
                                all[n2++] = all[j];
                merged &= n1 == n2 && !memcmp(one, all, n1 * sizeof(*one));
        }
        HW_CHECK(same);
        HW_CHECK(moved_same);
        HW_CHECK(merged);
}

typedef struct seen_s {
        hw_raid_cross_t x[8];
        int n;
} seen_t;

static int collect(void *ctx, const hw_raid_cross_t *x) {
        seen_t *s = ctx;
        if (s->n < 8)
                s->x[s->n++] = *x;
        return 0;
}

static void test_judge(void) {
        /* 3 hires in a 30-day window, count 3: crosses on day 120 (the
         * third within (90, 120]); day 121 has 4, but 3 already over
         * (91, 120], so no crossing; day 200 is alone. */
        hw_raid_hire_t l[] = {H(95, "a"), H(100, "b"), H(120, "c"), H(121, "d"),
                              H(200, "e")};
        seen_t s = {0};

        HW_CHECK_EQ_INT(hw_raid_judge(l, 5, 0, 0, 30, 3, collect, &s), 0);
        if (HW_CHECK_EQ_INT(s.n, 1)) {
                HW_CHECK_EQ_INT(s.x[0].day, 120);
                HW_CHECK_EQ_INT(s.x[0].hires, 3);
                HW_CHECK_EQ_INT(s.x[0].first, 0);
        }
        /* Days before lo are not judged (the batch's hires are later). */
        s.n = 0;
        hw_raid_judge(l, 5, 121, 0, 30, 3, collect, &s);
        HW_CHECK_EQ_INT(s.n, 0);
        /* Nor days whose window reaches past the oldest day kept. */
        s.n = 0;
        hw_raid_judge(l, 5, 0, 90, 30, 3, collect, &s);
        HW_CHECK_EQ_INT(s.n, 0);
        /* Fewer hires than the count: nothing. */
        s.n = 0;
        hw_raid_judge(l, 2, 0, 0, 30, 3, collect, &s);
        HW_CHECK_EQ_INT(s.n, 0);
        /* Two separate episodes. */
        {
                hw_raid_hire_t m[] = {H(10, "a"), H(11, "b"), H(300, "c"),
                                      H(301, "d")};
                s.n = 0;
                hw_raid_judge(m, 4, 0, -100, 30, 2, collect, &s);
                if (HW_CHECK_EQ_INT(s.n, 2)) {
                        HW_CHECK_EQ_INT(s.x[0].day, 11);
                        HW_CHECK_EQ_INT(s.x[1].day, 301);
                        HW_CHECK_EQ_INT(s.x[1].first, 2);
                }
        }
}

static void test_raised_days(void) {
        int64_t d[4];
        hw_buf_t b;

        HW_CHECK_EQ_INT(hw_raid_days_decode("20266,20301", 11, d, 4), 2);
        HW_CHECK_EQ_INT(d[1], 20301);
        HW_CHECK_EQ_INT(hw_raid_days_decode("", 0, d, 4), 0);
        HW_CHECK_EQ_INT(hw_raid_days_decode("1,", 2, d, 4), -1);
        HW_CHECK_EQ_INT(hw_raid_days_decode(",1", 2, d, 4), -1);
        HW_CHECK_EQ_INT(hw_raid_days_decode("1;2", 3, d, 4), -1);
        HW_CHECK_EQ_INT(hw_raid_days_decode("1,2,3,4,5", 9, d, 4), -1);
        d[0] = 100;
        d[1] = 200;
        HW_CHECK(hw_raid_near(d, 2, 129, 30));
        HW_CHECK(!hw_raid_near(d, 2, 130, 30));
        HW_CHECK(hw_raid_near(d, 2, 171, 30));
        HW_CHECK(!hw_raid_near(d, 2, 170, 30));
        HW_CHECK(!hw_raid_near(d, 0, 100, 30));
        hw_buf_init(&b);
        HW_CHECK_EQ_INT(hw_raid_days_encode(d, 0, &b), 0);
        HW_CHECK_EQ_INT(b.len, 0);
        HW_CHECK_EQ_INT(hw_raid_days_encode(d, 2, &b), 0);
        HW_CHECK_EQ_INT(b.len, 7);
        HW_CHECK_MEM(b.data, "100,200", 7);
        hw_buf_release(&b);
}

int main(void) {
        HW_RUN(test_encode_decode);
        HW_RUN(test_decode_rejects);
        HW_RUN(test_add_moves_and_settle);
        HW_RUN(test_settle_sorted_prefix);
        HW_RUN(test_add_all_as_one_by_one);
        HW_RUN(test_judge);
        HW_RUN(test_raised_days);
        return hw_test_summary();
}
