/* UTC time helpers: ISO 8601 text, days since the epoch. */
#ifndef HW_TIME_H
#define HW_TIME_H

#include <stddef.h>
#include <stdint.h>

#define HW_DAY_MS INT64_C(86400000)

/*
 * Parses an ISO 8601 date-time with a zone ("2025-06-15T10:00:00Z",
 * "2025-06-15T12:00:00.250+02:00") or a date ("2025-06-15", midnight UTC)
 * into ms since the epoch. Returns 0, or -1 if s is not such a time.
 */
int hw_time_parse_iso(const char *s, int64_t *ms);

/* Formats ms as "2025-06-15T10:00:00Z" (".250Z" when ms are not zero) into
 * out (at least 32 bytes). */
void hw_time_format_iso(int64_t ms, char *out, size_t out_size);

/* The UTC day of ms: days since 1970-01-01 (floor). */
int64_t hw_time_day(int64_t ms);

/* Writes a day number as "yyyymmdd" (NUL-terminated, 9 bytes). */
void hw_time_ymd(int64_t day, char out[9]);

/* The month of a day number, counted as year * 12 + month - 1 (January
 * 1970 is 23640). */
int64_t hw_time_month(int64_t day);

/* The day number of the first day of a month (as hw_time_month counts
 * it). */
int64_t hw_time_month_first(int64_t month);

/* The next retry delay: twice ms, capped at cap. */
static inline int hw_backoff_next(int ms, int cap) {
        return ms > cap / 2 ? cap : ms * 2;
}

#endif
