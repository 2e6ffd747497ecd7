/*
 * What hirewire-query writes for people and spreadsheets, from the query
 * tool's own code (hw_query_lib), no Redis needed: dollar amounts and
 * percentages as the tables show them, text made safe for a terminal,
 * CSV quoting, aligned tables, and the flags' values it accepts (windows,
 * groups, --top, --count) with the reason it gives for one it refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_test.h"
#include "output.h"
#include "query.h"
#include "table.h"

/* Writes what f does to a memory stream into out (size bytes). */
#define CAPTURE(out, size, f)                                                  \
        do {                                                                   \
                FILE *stream_ = fmemopen(out, size, "w");                      \
                if (stream_) {                                                 \
                        f;                                                     \
                        fclose(stream_);                                       \
                }                                                              \
        } while (0)

static void test_money(void) {
        static const struct {
                int64_t usd;
                const char *shown;
        } cases[] = {
                {0, "$0"},
                {999, "$999"},
                {1000, "$1k"},
                {1500, "$1.5k"},
                {900000, "$900k"},
                {99949, "$99.9k"},
                {99950, "$100k"},
                {12500000, "$12.5M"},
                {350000000, "$350M"},
                {999960000, "$1B"}, /* not "$1000M" */
                {1200000000, "$1.2B"},
                {3000000000000, "$3T"},
                {-2500000, "-$2.5M"},
                {-999, "-$999"},
        };
        char out[32];

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                HW_CONTEXT("usd %" PRId64, cases[i].usd);
                hw_table_money(cases[i].usd, out, sizeof(out));
                HW_CHECK_STR(out, cases[i].shown);
        }
}

static void test_percent(void) {
        char out[32];

        hw_table_percent(1, 3, out, sizeof(out));
        HW_CHECK_STR(out, "33.3%");
        hw_table_percent(9, 22, out, sizeof(out));
        HW_CHECK_STR(out, "40.9%");
        hw_table_percent(5, 0, out, sizeof(out)); /* no members at all */
        HW_CHECK_STR(out, "-");
}

/* Text for a terminal: controls as '?', bytes that are not UTF-8 as
 * U+FFFD, everything else as it is. */
static void test_text(void) {
        static const struct {
                const char *in, *shown;
        } cases[] = {
                {"Tsinghua 清华大学", "Tsinghua 清华大学"},
                {"a\x1b[2Jb", "a?[2Jb"},
                {"bell\a tab\t nl\n cr\r del\x7f", "bell? tab? nl? cr? del?"},
                {"csi \xc2\x9b"
                 "1m nel \xc2\x85",
                 "csi ?1m nel ?"},
                {"nbsp \xc2\xa0 kept", "nbsp \xc2\xa0 kept"},
                {"lone \x9b byte", "lone \xef\xbf\xbd byte"},
                {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
                {"surrogate \xed\xa0\x80",
                 "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
                {"beyond \xf4\x90\x80\x80", "beyond \xef\xbf\xbd\xef\xbf\xbd"
                                            "\xef\xbf\xbd\xef\xbf\xbd"},
                {"cut \xe6\x97", "cut \xef\xbf\xbd\xef\xbf\xbd"},
                {"emoji \xf0\x9f\x98\x80", "emoji \xf0\x9f\x98\x80"},
                {"", ""},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                char *t = hw_table_text(cases[i].in);
                HW_CONTEXT("case %zu", i);
                if (HW_CHECK(t != NULL))
                        HW_CHECK_STR(t, cases[i].shown);
                free(t);
        }
        /* --json keeps the control characters (JSON escapes them) but
         * not the bytes that are not UTF-8. */
        {
                json_t *j = hw_qout_jstr("a\x1b\x9b");
                if (HW_CHECK(j != NULL))
                        HW_CHECK_STR(json_string_value(j), "a\x1b\xef\xbf\xbd");
                json_decref(j);
        }
        {
                char shown[64];
                HW_CHECK_STR(
                        hw_qdb_show("x\x1b\x9by", 40, shown, sizeof(shown)),
                        "x<U+001B><0x9B>y");
                HW_CHECK_STR(hw_qdb_show("abcdef", 3, shown, sizeof(shown)),
                             "abc");
        }
}

static void test_csv(void) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"plain", "plain"},
                {"a,b", "\"a,b\""},
                {"say \"hi\"", "\"say \"\"hi\"\"\""},
                {"two\nlines", "\"two\nlines\""},
                {"", ""},
        };
        char out[64];

        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                memset(out, 0, sizeof(out));
                CAPTURE(out, sizeof(out), hw_csv_field(stream_, cases[i].in));
                HW_CHECK_STR(out, cases[i].out);
        }
}

/* A table: columns as wide as their widest cell in characters, numbers
 * right-aligned, no trailing spaces, cells made safe; and its CSV. */
static void test_table(void) {
        static const char *const headers[] = {"lab", "members", "note"};
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_LEFT};
        hw_table_t *t = hw_table_new(3, headers, aligns);
        char out[512];

        if (!HW_CHECK(t != NULL))
                return;
        HW_CHECK_EQ_INT(hw_table_set(t, 0, "no row yet"), -1);
        HW_CHECK_EQ_INT(hw_table_add_row(t), 0);
        HW_CHECK_EQ_INT(hw_table_set(t, 0, "%s", "清华大学"), 0);
        HW_CHECK_EQ_INT(hw_table_set(t, 1, "%d", 5), 0);
        HW_CHECK_EQ_INT(hw_table_set(t, 3, "x"), -1); /* no such column */
        HW_CHECK_EQ_INT(hw_table_add_row(t), 0);
        HW_CHECK_EQ_INT(hw_table_set(t, 0, "%s", "Meta\x1b[2J"), 0);
        HW_CHECK_EQ_INT(hw_table_set(t, 1, "%d", 22), 0);
        HW_CHECK_EQ_INT(hw_table_set(t, 2, "%s", "a, \"b\""), 0);
        HW_CHECK_EQ_INT((int)hw_table_rows(t), 2);
        memset(out, 0, sizeof(out));
        CAPTURE(out, sizeof(out),
                HW_CHECK_EQ_INT(hw_table_print(t, stream_, "> "), 0));
        /* Widths in code points: "清华大学" is 4 wide, "Meta?[2J" 8. */
        HW_CHECK_STR(out, "> lab       members  note\n"
                          "> 清华大学            5\n"
                          "> Meta?[2J       22  a, \"b\"\n");
        memset(out, 0, sizeof(out));
        CAPTURE(out, sizeof(out), hw_table_print_csv(t, stream_));
        HW_CHECK_STR(out, "lab,members,note\n"
                          "清华大学,5,\n"
                          "Meta?[2J,22,\"a, \"\"b\"\"\"\n");
        hw_table_destroy(t);
        hw_table_destroy(NULL);
}

/* The values the flags take, and why one is refused. */
static void test_flags(void) {
        static const struct {
                const char *w;
                long days;
        } windows[] = {
                {"7d", 7},   {"30d", 30},   {"3650d", 3650}, {"all", 0},
                {"0d", -1},  {"3651d", -1}, {"30", -1},      {"d", -1},
                {"+7d", -1}, {"7x", -1},    {"", -1},        {"123456d", -1},
        };
        const char *labs[HW_QUERY_MAX_LABS];
        hw_query_t q = {.top = -1, .count = 20, .labs = labs};
        char why[512];
        long v = 0;

        for (size_t i = 0; i < sizeof(windows) / sizeof(*windows); i++) {
                HW_CONTEXT("window \"%s\"", windows[i].w);
                HW_CHECK_EQ_INT(hw_query_window_days(windows[i].w),
                                windows[i].days);
        }
        HW_CONTEXT("%s", "");
        HW_CHECK_EQ_INT(hw_query_parse_long("42", 0, 100, &v), 0);
        HW_CHECK_EQ_INT(v, 42);
        HW_CHECK_EQ_INT(hw_query_parse_long("-1", -5, 5, &v), -1);
        HW_CHECK_EQ_INT(hw_query_parse_long("101", 0, 100, &v), -1);
        HW_CHECK_EQ_INT(hw_query_parse_long("4x", 0, 100, &v), -1);
        HW_CHECK_EQ_INT(hw_query_parse_long("", 0, 100, &v), -1);

        HW_CHECK(hw_query_valid_group("oecd"));
        HW_CHECK(hw_query_valid_group("g_20-x"));
        HW_CHECK(!hw_query_valid_group(""));
        HW_CHECK(!hw_query_valid_group("OECD"));
        HW_CHECK(!hw_query_valid_group("a b"));
        HW_CHECK(!hw_query_valid_group("abcdefghijabcdefghijabcdefghijabc"));

        HW_CHECK_EQ_INT(hw_query_set(&q, "window", "90d", why, sizeof(why)), 0);
        HW_CHECK_STR(q.window, "90d");
        HW_CHECK_EQ_INT(hw_query_set(&q, "group", "g20", why, sizeof(why)), 0);
        HW_CHECK_STR(q.group, "g20");
        HW_CHECK_EQ_INT(hw_query_set(&q, "top", "0", why, sizeof(why)), 0);
        HW_CHECK_EQ_INT(q.top, 0);
        HW_CHECK_EQ_INT(hw_query_set(&q, "count", "10000", why, sizeof(why)),
                        0);
        HW_CHECK_EQ_INT(q.count, 10000);
        HW_CHECK_EQ_INT(hw_query_set(&q, "window", "1y", why, sizeof(why)), -1);
        HW_CHECK_STR(why, "window \"1y\": expected a window like 30d or all");
        HW_CHECK_EQ_INT(hw_query_set(&q, "group", "G", why, sizeof(why)), -1);
        HW_CHECK_STR(why, "group \"G\": expected a group name like oecd");
        HW_CHECK_EQ_INT(hw_query_set(&q, "top", "x", why, sizeof(why)), -1);
        HW_CHECK_STR(why, "top \"x\": expected a number of rows (0 = all)");
        HW_CHECK_EQ_INT(hw_query_set(&q, "count", "0", why, sizeof(why)), -1);
        HW_CHECK_STR(why, "count \"0\": expected a number from 1 to 10000");
        HW_CHECK_EQ_INT(hw_query_set(&q, "lab", "x", why, sizeof(why)), -1);
        HW_CHECK_STR(why, "lab: not an option of a query");
        /* What was refused left the query as it was. */
        HW_CHECK_STR(q.window, "90d");
        HW_CHECK_EQ_INT(q.top, 0);

        /* --top: 0 all, the default when not given, never more than
         * there are. */
        HW_CHECK_EQ_INT((int)hw_qout_top_rows(0, 10, 25), 25);
        HW_CHECK_EQ_INT((int)hw_qout_top_rows(-1, 10, 25), 10);
        HW_CHECK_EQ_INT((int)hw_qout_top_rows(-1, 0, 25), 25);
        HW_CHECK_EQ_INT((int)hw_qout_top_rows(3, 10, 2), 2);
}

/* Items of a hash or sorted set: most first, ties by name in bytes. */
static void test_items(void) {
        hw_qitems_t l;
        int64_t v = 0;

        hw_qitems_init(&l);
        HW_CHECK_EQ_INT(hw_qitems_add(&l, "b", 2, 2), 0);
        HW_CHECK_EQ_INT(hw_qitems_add(&l, "a", 2, 2), 0);
        HW_CHECK_EQ_INT(hw_qitems_add(&l, "c", 5, 5), 0);
        hw_qitems_sort_count(&l);
        HW_CHECK_STR(l.items[0].name, "c");
        HW_CHECK_STR(l.items[1].name, "a");
        HW_CHECK_STR(l.items[2].name, "b");
        HW_CHECK_EQ_INT(hw_qitems_total(&l), 9);
        HW_CHECK(hw_qitems_find(&l, "a") == &l.items[1]);
        HW_CHECK(hw_qitems_find(&l, "z") == NULL);
        hw_qitems_release(&l);
        HW_CHECK_EQ_INT((int)l.n, 0);

        HW_CHECK_EQ_INT(hw_qdb_parse_int("-12", &v), 0);
        HW_CHECK_EQ_INT(v, -12);
        HW_CHECK_EQ_INT(hw_qdb_parse_int("", &v), -1);
        HW_CHECK_EQ_INT(hw_qdb_parse_int("-", &v), -1);
        HW_CHECK_EQ_INT(hw_qdb_parse_int("1.5", &v), -1);
        HW_CHECK_EQ_INT(hw_qdb_parse_int(" 1", &v), -1);
        HW_CHECK_EQ_INT(hw_qdb_parse_int("99999999999999999999", &v), -1);
}

int main(void) {
        hw_qout_json_init();
        HW_RUN(test_money);
        HW_RUN(test_percent);
        HW_RUN(test_text);
        HW_RUN(test_csv);
        HW_RUN(test_table);
        HW_RUN(test_flags);
        HW_RUN(test_items);
        return hw_test_summary();
}
