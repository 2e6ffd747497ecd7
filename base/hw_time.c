#include "hw_time.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int64_t mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out) {
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char)(*p)[i]))
                        return -1;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *out = v;
        return 0;
}

int hw_time_parse_iso(const char *s, int64_t *ms) {
        static const int mdays[] = {31, 28, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
        int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, off = 0;
        const char *p = s;

        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
            *p++ != '-' || digits(&p, 2, &d))
                return -1;
        if (mo < 1 || mo > 12 || d < 1)
                return -1;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (d > mdays[mo - 1] + (mo == 2 && leap))
                return -1;
        if (*p) {
                if (*p != 'T' && *p != 't' && *p != ' ')
                        return -1;
                p++;
                if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
                        return -1;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &sec))
                                return -1;
                        if (*p == '.' || *p == ',') {
                                int scale = 100, n = 0;
                                p++;
                                while (isdigit((unsigned char)*p)) {
                                        frac_ms += (*p - '0') * scale;
                                        scale /= 10;
                                        p++;
                                        n++;
                                }
                                if (n == 0)
                                        return -1;
                        }
                }
                if (h > 23 || mi > 59 || sec > 59)
                        return -1;
                if (*p == 'Z' || *p == 'z') {
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int sign = *p++ == '-' ? -1 : 1, oh, om;
                        if (digits(&p, 2, &oh))
                                return -1;
                        if (*p == ':')
                                p++;
                        if (digits(&p, 2, &om) || oh > 23 || om > 59)
                                return -1;
                        off = sign * (oh * 60 + om);
                } else {
                        return -1; /* a local time without zone is ambiguous */
                }
                if (*p)
                        return -1;
        }
        *ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
                (int64_t)off * 60) *
               1000) +
              frac_ms;
        return 0;
}

void hw_time_format_iso(int64_t ms, char *out, size_t out_size) {
        /* Floor divisions, without negating (INT64_MIN has no negation). */
        int64_t rem = (ms % 1000 + 1000) % 1000;
        int64_t secs = ms / 1000 - (ms % 1000 < 0);
        int64_t sod = (secs % 86400 + 86400) % 86400;
        int64_t days = secs / 86400 - (secs % 86400 < 0);
        int y, m, d;

        civil_from_days(days, &y, &m, &d);
        if (rem)
                snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                         y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
                         (int)(sod % 60), (int)rem);
        else
                snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m,
                         d, (int)(sod / 3600), (int)(sod / 60 % 60),
                         (int)(sod % 60));
}

int64_t hw_time_day(int64_t ms) {
        return ms / HW_DAY_MS - (ms % HW_DAY_MS < 0);
}

int64_t hw_time_month(int64_t day) {
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        return (int64_t)y * 12 + m - 1;
}

int64_t hw_time_month_first(int64_t month) {
        /* Floor division: a month before year 0 is still one. */
        int64_t y = month / 12 - (month % 12 < 0);
        return days_from_civil(y, (int)(month - y * 12) + 1, 1);
}

void hw_time_ymd(int64_t day, char out[9]) {
        char tmp[48];
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        if (y < 0 || y > 9999) { /* outside what validation lets in */
                snprintf(tmp, sizeof(tmp), "%04d%02d%02d", y, m, d);
                memcpy(out, tmp, 8);
                out[8] = '\0';
                return;
        }
        /* On every event's path: digits by hand, not printf. */
        out[0] = (char)('0' + y / 1000);
        out[1] = (char)('0' + y / 100 % 10);
        out[2] = (char)('0' + y / 10 % 10);
        out[3] = (char)('0' + y % 10);
        out[4] = (char)('0' + m / 10);
        out[5] = (char)('0' + m % 10);
        out[6] = (char)('0' + d / 10);
        out[7] = (char)('0' + d % 10);
        out[8] = '\0';
}
