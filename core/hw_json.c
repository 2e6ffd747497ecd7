#include "hw_json.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
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
        int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
        int64_t rem = ms - secs * 1000;
        int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        int64_t sod = secs - days * 86400;
        int y, m, d;

        civil_from_days(days, &y, &m, &d);
        if (rem)
                snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                         y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
                         (int)(sod % 60), (int)rem);
        else
                snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y,
                         m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
                         (int)(sod % 60));
}

static const char *json_type_name(const json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number with a fraction";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
        }
        return "?";
}

/* Stores one JSON value in field f of ev. */
static hw_err_t parse_field(hw_event_t *ev, const hw_field_t *f, json_t *v,
                            char *errstr, size_t size) {
        int sym;

        switch (f->kind) {
        case HW_FIELD_OPT_STRING:
                if (json_is_null(v))
                        return HW_OK;
                /* fall through */
        case HW_FIELD_STRING:
                if (!json_is_string(v))
                        break;
                if (hw_event_set_str(ev, f, json_string_value(v),
                                     json_string_length(v)))
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
                return HW_OK;
        case HW_FIELD_TIMESTAMP:
                if (json_is_integer(v)) {
                        *hw_event_long(ev, f) = json_integer_value(v);
                        return HW_OK;
                }
                if (json_is_string(v)) {
                        if (hw_time_parse_iso(json_string_value(v),
                                              hw_event_long(ev, f)))
                                return hw_fail(
                                        HW_ERR_INVALID_FIELD, errstr, size,
                                        "%s: \"%s\" is not an ISO 8601 time "
                                        "with a zone (e.g. "
                                        "2025-06-15T10:00:00Z)",
                                        f->name, json_string_value(v));
                        return HW_OK;
                }
                return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                               "%s: is %s, expected an ISO 8601 string or "
                               "integer milliseconds",
                               f->name, json_type_name(v));
        case HW_FIELD_OPT_LONG:
                if (json_is_null(v))
                        return HW_OK;
                if (!json_is_integer(v))
                        break;
                hw_event_opt_long(ev, f)->present = 1;
                hw_event_opt_long(ev, f)->value = json_integer_value(v);
                return HW_OK;
        case HW_FIELD_LONG:
                if (!json_is_integer(v))
                        break;
                *hw_event_long(ev, f) = json_integer_value(v);
                return HW_OK;
        case HW_FIELD_TIER:
        case HW_FIELD_STATUS:
                if (!json_is_string(v))
                        break;
                sym = f->kind == HW_FIELD_TIER
                              ? hw_tier_parse(json_string_value(v))
                              : hw_offer_status_parse(json_string_value(v));
                if (sym < 0)
                        return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                                       "%s: \"%s\" is not one of %s", f->name,
                                       json_string_value(v),
                                       f->kind == HW_FIELD_TIER
                                               ? "S, A, B, UNRATED"
                                               : "EXTENDED, ACCEPTED, "
                                                 "DECLINED, WITHDRAWN");
                *hw_event_enum(ev, f) = sym;
                return HW_OK;
        }
        return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                       "%s: is %s, expected %s", f->name, json_type_name(v),
                       f->kind == HW_FIELD_OPT_STRING ? "a string or null"
                       : f->kind == HW_FIELD_OPT_LONG ? "an integer or null"
                       : f->kind == HW_FIELD_LONG     ? "an integer"
                       : f->kind == HW_FIELD_STRING   ? "a string"
                                                      : "an enum symbol");
}

hw_err_t hw_json_parse_event(const char *text, size_t len, hw_event_t *ev,
                             char *errstr, size_t size) {
        json_error_t jerr;
        json_t *root, *v;
        const char *key;
        hw_event_type_t type;
        const hw_field_t *fields;
        size_t n;
        hw_err_t err = HW_OK;

        hw_event_reset(ev, HW_EVENT_NONE);
        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return hw_fail(HW_ERR_DECODE, errstr, size,
                               "not valid JSON: %s (column %d)", jerr.text,
                               jerr.column);
        if (!json_is_object(root)) {
                err = hw_fail(HW_ERR_DECODE, errstr, size,
                              "expected a JSON object, got %s",
                              json_type_name(root));
                goto cleanup;
        }
        v = json_object_get(root, "type");
        if (!json_is_string(v)) {
                err = hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                              "type: %s, expected \"hire\" or \"offer\"",
                              v ? "not a string" : "missing");
                goto cleanup;
        }
        type = hw_event_type_parse(json_string_value(v));
        if (type == HW_EVENT_NONE) {
                err = hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                              "type: \"%s\" is not \"hire\" or \"offer\"",
                              json_string_value(v));
                goto cleanup;
        }
        hw_event_reset(ev, type);

        json_object_foreach(root, key, v) {
                const hw_field_t *f;
                if (!strcmp(key, "type"))
                        continue;
                f = hw_event_field(type, key);
                if (!f) {
                        err = hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                                      "%s: not a field of a %s event", key,
                                      hw_event_type_name(type));
                        goto cleanup;
                }
                if ((err = parse_field(ev, f, v, errstr, size)))
                        goto cleanup;
        }

        /* Fields without a default must be present. */
        fields = hw_event_fields(type, &n);
        for (size_t i = 0; i < n; i++) {
                hw_field_kind_t k = fields[i].kind;
                if ((k == HW_FIELD_STRING || k == HW_FIELD_TIMESTAMP ||
                     k == HW_FIELD_LONG || k == HW_FIELD_STATUS) &&
                    !json_object_get(root, fields[i].name)) {
                        err = hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                                      "%s: missing", fields[i].name);
                        goto cleanup;
                }
        }

cleanup:
        json_decref(root);
        if (err)
                hw_event_reset(ev, HW_EVENT_NONE);
        return err;
}

int hw_json_write_event(const hw_event_t *ev, hw_buf_t *out) {
        size_t n;
        const hw_field_t *fields = hw_event_fields(ev->type, &n);
        hw_event_t *mev = (hw_event_t *)ev; /* read through accessors */
        json_t *root = json_object();
        char ts[40];
        char *text;
        int rc = -1;

        if (!root)
                return -1;
        json_object_set_new(root, "type",
                            json_string(hw_event_type_name(ev->type)));
        for (size_t i = 0; i < n; i++) {
                const hw_field_t *f = &fields[i];
                json_t *v = NULL;
                const char *s;

                switch (f->kind) {
                case HW_FIELD_STRING:
                case HW_FIELD_OPT_STRING:
                        s = hw_event_str_get(ev, f);
                        v = s ? json_string(s) : json_null();
                        break;
                case HW_FIELD_TIMESTAMP:
                        hw_time_format_iso(*hw_event_long(mev, f), ts,
                                           sizeof(ts));
                        v = json_string(ts);
                        break;
                case HW_FIELD_LONG:
                        v = json_integer(*hw_event_long(mev, f));
                        break;
                case HW_FIELD_OPT_LONG:
                        v = hw_event_opt_long(mev, f)->present
                                    ? json_integer(
                                              hw_event_opt_long(mev, f)->value)
                                    : json_null();
                        break;
                case HW_FIELD_TIER:
                        v = json_string(hw_tier_name(*hw_event_enum(mev, f)));
                        break;
                case HW_FIELD_STATUS:
                        v = json_string(
                                hw_offer_status_name(*hw_event_enum(mev, f)));
                        break;
                }
                if (!v || json_object_set_new(root, f->name, v))
                        goto cleanup;
        }
        text = json_dumps(root, JSON_COMPACT);
        if (text) {
                rc = hw_buf_append(out, text, strlen(text));
                free(text);
        }
cleanup:
        json_decref(root);
        return rc;
}
