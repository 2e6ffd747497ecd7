/*
 * base/hw_time.c: the ISO 8601 times hirewire reads (NDJSON occurred_at,
 * replay --from, archive days) and writes. Every form the parser takes
 * gives the instant it names, zone offsets and fractions included; every
 * malformed or out-of-range field is refused rather than read as some
 * other time; formatting and day numbers floor correctly before 1970.
 */
#include <stdint.h>
#include <string.h>

#include "hw_test.h"
#include "hw_time.h"

/* 2025-06-15T10:00:00Z */
#define T0 INT64_C(1749981600000)

static void test_accepted(void) {
        static const struct {
                const char *s;
                int64_t ms;
        } ok[] = {
                {"2025-06-15T10:00:00Z", T0},
                {"2025-06-15t10:00:00z", T0},
                {"2025-06-15 10:00:00Z", T0},
                {"2025-06-15T10:00Z", T0},
                {"2025-06-15T12:00:00+02:00", T0},
                {"2025-06-15T12:00:00+0200", T0},
                {"2025-06-15T05:30:00-04:30", T0},
                {"2025-06-15T10:00:00.250Z", T0 + 250},
                {"2025-06-15T10:00:00,5Z", T0 + 500},
                {"2025-06-15T10:00:00.0071234Z", T0 + 7},
                {"2025-06-15", T0 - 10 * 3600 * 1000},
                {"2024-02-29T00:00:00Z", INT64_C(1709164800000)},
                {"2000-02-29", INT64_C(951782400000)},
                {"1969-12-31T23:59:59.999Z", -1},
                {"1600-03-01", INT64_C(-11670912000000)},
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                int64_t ms = 0;
                HW_CONTEXT("\"%s\"", ok[i].s);
                if (HW_CHECK_EQ_INT(hw_time_parse_iso(ok[i].s, &ms), 0))
                        HW_CHECK_EQ_INT(ms, ok[i].ms);
        }
}

static void test_refused(void) {
        static const char *bad[] = {
                "",
                "2025",
                "25-06-15",
                "2025/06/15",
                "2025-6-15",
                "2025-06-1",
                "2025-00-10",
                "2025-13-10",
                "2025-06-00",
                "2025-06-31",
                "2025-02-29",
                "1900-02-29",
                "2025-06-15X10:00:00Z",
                "2025-06-15T1:00:00Z",
                "2025-06-15T10-00-00Z",
                "2025-06-15T10:0Z",
                "2025-06-15T10:00:5Z",
                "2025-06-15T10:00:00.Z",
                "2025-06-15T24:00:00Z",
                "2025-06-15T10:60:00Z",
                "2025-06-15T10:00:60Z",
                "2025-06-15T10:00:00",
                "2025-06-15T10:00:00 Z",
                "2025-06-15T10:00:00+2",
                "2025-06-15T10:00:00+02:0",
                "2025-06-15T10:00:00+24:00",
                "2025-06-15T10:00:00+02:60",
                "2025-06-15T10:00:00Zulu",
                "2025-06-15T10:00:00+02:00 ",
                "2025-06-15T",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int64_t ms = 42;
                HW_CONTEXT("\"%s\"", bad[i]);
                HW_CHECK_EQ_INT(hw_time_parse_iso(bad[i], &ms), -1);
                HW_CHECK_EQ_INT(ms, 42); /* untouched */
        }
}

static void test_format_and_days(void) {
        char out[40], ymd[9];
        int64_t back = 0;
        static const int64_t round[] = {T0,
                                        T0 + 250,
                                        -1,
                                        0,
                                        INT64_C(-11670912000001),
                                        INT64_C(253402300799999)};

        for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
                hw_time_format_iso(round[i], out, sizeof(out));
                HW_CONTEXT("%" PRId64 " as \"%s\"", round[i], out);
                if (HW_CHECK_EQ_INT(hw_time_parse_iso(out, &back), 0))
                        HW_CHECK_EQ_INT(back, round[i]);
        }
        hw_time_format_iso(-1, out, sizeof(out));
        HW_CHECK_STR(out, "1969-12-31T23:59:59.999Z");
        hw_time_format_iso(T0, out, sizeof(out));
        HW_CHECK_STR(out, "2025-06-15T10:00:00Z");

        HW_CHECK_EQ_INT(hw_time_day(0), 0);
        HW_CHECK_EQ_INT(hw_time_day(-1), -1);
        HW_CHECK_EQ_INT(hw_time_day(-HW_DAY_MS), -1);
        HW_CHECK_EQ_INT(hw_time_day(-HW_DAY_MS - 1), -2);
        HW_CHECK_EQ_INT(hw_time_day(T0), 20254);
        hw_time_ymd(20254, ymd);
        HW_CHECK_STR(ymd, "20250615");
        hw_time_ymd(-1, ymd);
        HW_CHECK_STR(ymd, "19691231");
        hw_time_ymd(-719528, ymd); /* 0000-01-01 */
        HW_CHECK_STR(ymd, "00000101");
        hw_time_ymd(2932896, ymd); /* 9999-12-31 */
        HW_CHECK_STR(ymd, "99991231");
        /* Outside the years validation lets in: still 8 characters. */
        hw_time_ymd(2932897, ymd); /* 10000-01-01 */
        HW_CHECK_EQ_INT(strlen(ymd), 8);
        hw_time_ymd(-719529, ymd); /* -0001-12-31 */
        HW_CHECK_EQ_INT(strlen(ymd), 8);
}

static void test_backoff(void) {
        HW_CHECK_EQ_INT(hw_backoff_next(100, 5000), 200);
        HW_CHECK_EQ_INT(hw_backoff_next(4000, 5000), 5000);
        HW_CHECK_EQ_INT(hw_backoff_next(5000, 5000), 5000);
}

int main(void) {
        HW_RUN(test_accepted);
        HW_RUN(test_refused);
        HW_RUN(test_format_and_days);
        HW_RUN(test_backoff);
        return hw_test_summary();
}
