/*
 * The semantic rules of SPEC §3, shared by the producer (before sending) and
 * the consumer (after decoding), so both accept exactly the same events.
 */
#ifndef HW_VALIDATE_H
#define HW_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "hw_err.h"
#include "hw_event.h"

/* 2000-01-01T00:00:00Z in ms: the earliest valid occurred_at. */
#define HW_TIME_MIN_MS INT64_C(946684800000)
/* How far in the future occurred_at may be. */
#define HW_TIME_FUTURE_MS INT64_C(86400000)
/* Largest money amount in USD. */
#define HW_MONEY_MAX INT64_C(1000000000000)

/*
 * Checks every rule for ev against the clock value now_ms. Returns HW_OK or
 * HW_ERR_INVALID_FIELD with errstr naming every bad field and why, "; "
 * between them ("to_country: \"XX\" is not an assigned ISO 3166-1 alpha-2
 * code").
 */
hw_err_t hw_validate_event(const hw_event_t *ev, int64_t now_ms, char *errstr,
                           size_t errstr_size);

/* hw_validate_event, leaving out field i of the type's table (and the
 * rules that read it) for every bit i set in skip: fields whose problem
 * is already reported. */
hw_err_t hw_validate_event_skip(const hw_event_t *ev, int64_t now_ms,
                                uint64_t skip, char *errstr,
                                size_t errstr_size);

/* Writes s[0..len) for an error message into out (size bytes, always
 * terminated): every invisible or control character (C0 and C1 controls,
 * no-break, zero-width and other format spaces, joiners, directional marks,
 * the byte order mark, variation selectors) as <U+XXXX>, and a byte that
 * is not UTF-8 as <0xNN>, so a reader sees what is there. Returns out. */
const char *hw_show_text(const char *s, size_t len, char *out, size_t size);

/* Adds a problem to errstr: the first as is, the next ones after "; "
 * (*n counts them; what does not fit is cut). */
void hw_problem_add(char *errstr, size_t size, size_t *n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* True if s[0..len) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
int hw_utf8_valid(const char *s, size_t len);

/* True if code is an assigned ISO 3166-1 alpha-2 code in upper case. */
int hw_country_valid(const char *code);

/* Number of assigned codes in the table (for tests). */
size_t hw_country_count(void);

/* Current time in ms since the epoch (CLOCK_REALTIME). */
int64_t hw_now_ms(void);

#endif
