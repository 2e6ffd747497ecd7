/* Unit tests of the byte buffer's writers (base/hw_buf.c): numbers in
 * decimal, and strings as JSON, each held against an independent writer
 * (printf; Jansson, whose text the alert stream held before). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_test.h"

/* hw_decimal(v) is printf's %" PRId64 " of v. */
static int same_decimal(int64_t v) {
        char got[24], want[24];
        size_t n = hw_decimal(got, v);
        int w = snprintf(want, sizeof(want), "%" PRId64, v);
        return n == (size_t)w && !memcmp(got, want, n);
}

/* Every length of number, both signs, the ends of int64_t, and the
 * neighbours of every power of ten. */
static void test_decimal(void) {
        int64_t p = 1;
        int ok = 1;
        uint64_t x = 88172645463325252u;

        HW_CHECK(same_decimal(0));
        HW_CHECK(same_decimal(INT64_MAX));
        HW_CHECK(same_decimal(INT64_MIN));
        HW_CHECK(same_decimal(INT64_MIN + 1));
        for (int i = 0; i < 19; i++) {
                for (int64_t d = -1; d <= 1; d++)
                        ok &= same_decimal(p + d) && same_decimal(-(p + d));
                if (i < 18)
                        p *= 10; /* 10^18 is the last power of ten */
        }
        HW_CHECK(ok);
        for (int i = 0; i < 100000; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ok &= same_decimal((int64_t)x) &&
                      same_decimal((int64_t)(x >> (x % 64)));
        }
        HW_CHECK(ok);
}

/* hw_buf_json_string(s) is Jansson's compact text of the string s. */
static int same_json(const char *s, size_t len) {
        json_t *j = json_stringn(s, len);
        char want[2048];
        size_t n;
        hw_buf_t b;
        int same;

        if (!j)
                return 0; /* not UTF-8: the inputs below all are */
        n = json_dumpb(j, want, sizeof(want), JSON_ENCODE_ANY | JSON_COMPACT);
        json_decref(j);
        hw_buf_init(&b);
        same = !hw_buf_json_string(&b, s, len) && n < sizeof(want) &&
               b.len == n && !memcmp(b.data, want, n);
        if (!same)
                fprintf(stderr, "json of \"%.*s\": got %.*s, want %.*s\n",
                        (int)len, s, (int)b.len, b.data ? b.data : "", (int)n,
                        want);
        hw_buf_release(&b);
        return same;
}

/* Each byte below 0x80 alone and between letters, multi-byte UTF-8 (two,
 * three and four bytes), the empty string, and random mixes of them. */
static void test_json_string(void) {
        static const char *const utf8[] = {"é", "€",  "한국", "𝄞",  "\x7f",
                                           "/", "\"", "\\",   "\n", "\x1b[2J"};
        char s[600];
        int ok = 1;
        unsigned r = 12345;
        hw_buf_t b;

        HW_CHECK(same_json("", 0));
        for (int c = 1; c < 0x80; c++) {
                s[0] = (char)c;
                ok &= same_json(s, 1);
                snprintf(s, sizeof(s), "a%cb", c);
                ok &= same_json(s, 3);
        }
        HW_CHECK(ok);
        s[0] = 'x';
        s[1] = '\0';
        s[2] = 'y';
        HW_CHECK(same_json(s, 3)); /* a NUL inside, as \u0000 */
        for (int i = 0; i < 2000; i++) {
                size_t n = 0;
                int parts = (int)((r = r * 1103515245 + 12345) >> 16) % 40;
                for (int k = 0; k < parts; k++) {
                        const char *p =
                                utf8[((r = r * 1103515245 + 12345) >> 16) %
                                     (sizeof(utf8) / sizeof(utf8[0]))];
                        memcpy(s + n, p, strlen(p));
                        n += strlen(p);
                }
                ok &= same_json(s, n);
        }
        HW_CHECK(ok);

        /* It appends: what the buffer held stays before it. */
        hw_buf_init(&b);
        HW_CHECK(!hw_buf_append(&b, "[", 1));
        HW_CHECK(!hw_buf_json_string(&b, "a\"b", 3));
        HW_CHECK_EQ_INT(b.len, 7);
        HW_CHECK(!memcmp(b.data, "[\"a\\\"b\"", 7));
        hw_buf_release(&b);
}

int main(void) {
        HW_RUN(test_decimal);
        HW_RUN(test_json_string);
        return hw_test_summary();
}
