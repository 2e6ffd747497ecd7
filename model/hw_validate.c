#include "hw_validate.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ISO 3166-1 alpha-2 officially assigned codes (249), sorted. */
static const char assigned_codes[][3] = {
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT",
        "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI",
        "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY",
        "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
        "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
        "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK",
        "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
        "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
        "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR",
        "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
        "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS",
        "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
        "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW",
        "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
        "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
        "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
        "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
        "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF",
        "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
        "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
        "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

#define N_CODES (sizeof(assigned_codes) / sizeof(assigned_codes[0]))

/* The codes as a bit a code: bit L2 of assigned[L1] (letters from 'A'),
 * made from the list once. */
static uint32_t assigned[26];
static pthread_once_t assigned_once = PTHREAD_ONCE_INIT;

static void make_assigned(void) {
        for (size_t i = 0; i < N_CODES; i++)
                assigned[assigned_codes[i][0] - 'A'] |=
                        UINT32_C(1) << (assigned_codes[i][1] - 'A');
}

/* Every event has up to three codes: a bit each, not a search. */
int hw_country_valid(const char *code) {
        if (!code || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' ||
            code[1] > 'Z' || code[2])
                return 0;
        pthread_once(&assigned_once, make_assigned);
        return (int)(assigned[code[0] - 'A'] >> (code[1] - 'A') & 1);
}

size_t hw_country_count(void) {
        return N_CODES;
}

int hw_utf8_valid(const char *str, size_t len) {
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < len) {
                unsigned char c = s[i];
                size_t n;
                uint32_t cp;

                if (c < 0x80) {
                        i++;
                        continue;
                } else if (c >= 0xC2 && c <= 0xDF) {
                        n = 1;
                        cp = c & 0x1F;
                } else if (c >= 0xE0 && c <= 0xEF) {
                        n = 2;
                        cp = c & 0x0F;
                } else if (c >= 0xF0 && c <= 0xF4) {
                        n = 3;
                        cp = c & 0x07;
                } else {
                        return 0; /* continuation byte, C0/C1 or > F4 */
                }
                if (len - i <= n)
                        return 0;
                for (size_t k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xC0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (s[i + k] & 0x3F);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return 0;
                i += n + 1;
        }
        return 1;
}

/* Whether a code point shows as nothing (or as a blank that is not a
 * plain space) where it stands. */
static int invisible(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD ||
               cp == 0x34F || cp == 0x61C || cp == 0x115F || cp == 0x1160 ||
               cp == 0x17B4 || cp == 0x17B5 || (cp >= 0x180B && cp <= 0x180F) ||
               (cp >= 0x2000 && cp <= 0x200F) ||
               (cp >= 0x2028 && cp <= 0x202F) ||
               (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0x3164 ||
               (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || cp == 0xFFA0 ||
               (cp >= 0xFFF0 && cp <= 0xFFFB) ||
               (cp >= 0xE0000 && cp <= 0xE0FFF);
}

const char *hw_show_text(const char *s, size_t len, char *out, size_t size) {
        size_t o = 0;

        if (!size)
                return out;
        for (size_t i = 0; i < len && o + 1 < size;) {
                const unsigned char *u = (const unsigned char *)s + i;
                size_t n = u[0] < 0x80   ? 1
                           : u[0] < 0xC2 ? 0
                           : u[0] < 0xE0 ? 2
                           : u[0] < 0xF0 ? 3
                           : u[0] < 0xF5 ? 4
                                         : 0;
                uint32_t cp = 0;
                char tmp[16];
                int w;

                if (n && i + n <= len && hw_utf8_valid(s + i, n)) {
                        cp = n == 1 ? u[0]
                                    : (uint32_t)(u[0] & (0xFF >> (n + 1)));
                        for (size_t k = 1; k < n; k++)
                                cp = (cp << 6) | (u[k] & 0x3F);
                } else {
                        n = 0;
                }
                if (!n)
                        w = snprintf(tmp, sizeof(tmp), "<0x%02X>", u[0]);
                else if (invisible(cp))
                        w = snprintf(tmp, sizeof(tmp), "<U+%04X>", cp);
                else
                        w = 0;
                if (w) {
                        if (o + (size_t)w >= size)
                                break;
                        memcpy(out + o, tmp, (size_t)w);
                        o += (size_t)w;
                        i += n ? n : 1;
                        continue;
                }
                if (o + n >= size)
                        break;
                memcpy(out + o, s + i, n);
                o += n;
                i += n;
        }
        out[o] = '\0';
        return out;
}

void hw_problem_add(char *errstr, size_t size, size_t *n, const char *fmt,
                    ...) {
        size_t at = *n ? strnlen(errstr, size) : 0;
        va_list ap;

        if (!size)
                return;
        if (*n && at + 2 < size) {
                memcpy(errstr + at, "; ", 3);
                at += 2;
        }
        if (at + 1 < size) {
                va_start(ap, fmt);
                vsnprintf(errstr + at, size - at, fmt, ap);
                va_end(ap);
        }
        (*n)++;
}

int64_t hw_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Adds "<field>: <why>" to the event's problems. */
typedef struct problems_s {
        char *errstr;
        size_t size, n;
} problems_t;

__attribute__((format(printf, 3, 4))) static void
invalid(problems_t *p, const hw_field_t *f, const char *fmt, ...) {
        char why[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        hw_problem_add(p->errstr, p->size, &p->n, "%s: %s", f->name, why);
}

/* The byte offset of the first control character (C0, DEL or C1: what
 * a terminal or a log may act on) in valid UTF-8 s, -1 for none; *cp is
 * its code point. */
static long control_at(const char *s, size_t len, unsigned *cp) {
        const unsigned char *u = (const unsigned char *)s;
        for (size_t i = 0; i < len; i++) {
                if (u[i] < 0x20 || u[i] == 0x7F) {
                        *cp = u[i];
                        return (long)i;
                }
                /* C1: U+0080..U+009F, C2 80..C2 9F in UTF-8. */
                if (u[i] == 0xC2 && i + 1 < len && u[i + 1] < 0xA0) {
                        *cp = u[i + 1];
                        return (long)i;
                }
        }
        return -1;
}

/* Whether s holds printable ASCII alone (0x20 to 0x7E): valid UTF-8 with
 * no control character. Eight bytes at a time: a byte is out when its
 * top bit is set, it is below 0x20, or it is 0x7F (the usual word tests
 * for "a byte below n" and "a byte equal to v", exact as a yes or no). */
static int word_printable(uint64_t w) {
        const uint64_t ones = UINT64_C(0x0101010101010101);
        const uint64_t tops = UINT64_C(0x8080808080808080);
        uint64_t del = w ^ (ones * 0x7F);

        return !((w & tops) || ((w - ones * 0x20) & ~w & tops) ||
                 ((del - ones) & ~del & tops));
}

static int printable_ascii(const char *s, size_t len) {
        size_t i = 0;
        uint64_t w;

        for (; i + 8 <= len; i += 8) {
                memcpy(&w, s + i, 8);
                if (!word_printable(w))
                        return 0;
        }
        if (i < len && len >= 8) {
                /* The tail as the last 8 bytes, read again in part. */
                memcpy(&w, s + len - 8, 8);
                return word_printable(w);
        }
        for (; i < len; i++)
                if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7F)
                        return 0;
        return 1;
}

static void validate_string(problems_t *p, const hw_field_t *f, const char *s) {
        size_t len = strlen(s);
        char shown[160];
        unsigned cp;
        long at = -1;
        int ascii = printable_ascii(s, len);

        if (!ascii && !hw_utf8_valid(s, len)) {
                invalid(p, f, "is not valid UTF-8 (\"%s\")",
                        hw_show_text(s, len, shown, sizeof(shown)));
        } else if (!ascii && (at = control_at(s, len, &cp)) >= 0) {
                invalid(p, f,
                        "holds control character U+%04X at byte %ld: names "
                        "and fields are text (\"%s\")",
                        cp, at, hw_show_text(s, len, shown, sizeof(shown)));
        } else if (len < f->min_len) {
                invalid(p, f, "is %zu bytes, must be at least %zu", len,
                        f->min_len);
        } else if (len > f->max_len && len <= 80) {
                invalid(p, f, "\"%s\" is %zu bytes, must be at most %zu",
                        hw_show_text(s, len, shown, sizeof(shown)), len,
                        f->max_len);
        } else if (len > f->max_len) {
                invalid(p, f, "is %zu bytes, must be at most %zu", len,
                        f->max_len);
        } else if ((f->rules & HW_RULE_COUNTRY) && !hw_country_valid(s)) {
                invalid(p, f,
                        "\"%s\" is not an assigned ISO 3166-1 alpha-2 code "
                        "in upper case",
                        hw_show_text(s, len, shown, sizeof(shown)));
        } else if ((f->rules & HW_RULE_NAME) && hw_slug_empty(s)) {
                invalid(p, f,
                        "has no letter or digit to name it by "
                        "(\"%s\")",
                        hw_show_text(s, len, shown, sizeof(shown)));
        }
}

hw_err_t hw_validate_event(const hw_event_t *ev, int64_t now_ms, char *errstr,
                           size_t errstr_size) {
        return hw_validate_event_skip(ev, now_ms, 0, errstr, errstr_size);
}

hw_err_t hw_validate_event_skip(const hw_event_t *ev, int64_t now_ms,
                                uint64_t skip, char *errstr,
                                size_t errstr_size) {
        size_t n;
        const hw_field_t *fields = hw_event_fields(ev->type, &n);
        hw_event_t *mev = (hw_event_t *)ev; /* accessors only read here */
        problems_t p = {errstr, errstr_size, 0};

        if (!fields)
                return hw_fail(HW_ERR_INVALID_FIELD, errstr, errstr_size,
                               "type: not a hire or an offer");

        for (size_t i = 0; i < n; i++) {
                const hw_field_t *f = &fields[i];
                int64_t v;
                if (i < 64 && (skip >> i & 1))
                        continue;
                switch (f->kind) {
                case HW_FIELD_STRING:
                case HW_FIELD_OPT_STRING: {
                        const char *s = hw_event_str_get(ev, f);
                        if (!s) {
                                if (f->kind == HW_FIELD_STRING)
                                        invalid(&p, f, "is missing");
                                break;
                        }
                        validate_string(&p, f, s);
                        break;
                }
                case HW_FIELD_TIMESTAMP:
                        v = *hw_event_long(mev, f);
                        if (v < HW_TIME_MIN_MS)
                                invalid(&p, f,
                                        "%" PRId64 " ms is before 2000-01-01",
                                        v);
                        else if (v > now_ms + HW_TIME_FUTURE_MS)
                                invalid(&p, f,
                                        "%" PRId64 " ms is more than 24 h in "
                                        "the future",
                                        v);
                        break;
                case HW_FIELD_LONG:
                case HW_FIELD_OPT_LONG:
                        if (f->kind == HW_FIELD_OPT_LONG) {
                                const hw_opt_long_t *o =
                                        hw_event_opt_long(mev, f);
                                if (!o->present)
                                        break;
                                v = o->value;
                        } else {
                                v = *hw_event_long(mev, f);
                        }
                        if ((f->rules & HW_RULE_MONEY) &&
                            (v < 0 || v > HW_MONEY_MAX))
                                invalid(&p, f,
                                        "%" PRId64 " is outside 0 .. 10^12 USD",
                                        v);
                        break;
                case HW_FIELD_TIER:
                        if ((unsigned)*hw_event_enum(mev, f) >= HW_TIER_COUNT)
                                invalid(&p, f, "enum index out of range");
                        break;
                case HW_FIELD_STATUS:
                        if ((unsigned)*hw_event_enum(mev, f) >=
                            HW_OFFER_STATUS_COUNT)
                                invalid(&p, f, "enum index out of range");
                        break;
                }
        }

        if (ev->type == HW_EVENT_HIRE && ev->from_org && ev->to_org &&
            !strcmp(ev->from_org, ev->to_org) &&
            ((!ev->from_lab && !ev->to_lab) ||
             (ev->from_lab && ev->to_lab && !strcmp(ev->from_lab, ev->to_lab))))
                hw_problem_add(errstr, errstr_size, &p.n,
                               "to_org: a hire must move the person: from "
                               "(org, lab) equals to (org, lab) (\"%s\")",
                               ev->to_lab ? ev->to_lab : ev->to_org);
        return p.n ? HW_ERR_INVALID_FIELD : HW_OK;
}
