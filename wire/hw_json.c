#include "hw_json.h"

#include "hw_time.h"
#include "hw_validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *json_type_name(const json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number with a fraction";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
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
                        char shown[160];
                        if (hw_time_parse_iso(json_string_value(v),
                                              hw_event_long(ev, f)))
                                return hw_fail(
                                        HW_ERR_INVALID_FIELD, errstr, size,
                                        "%s: \"%s\" is not an ISO 8601 time "
                                        "with a zone (e.g. "
                                        "2025-06-15T10:00:00Z)",
                                        f->name,
                                        hw_show_text(json_string_value(v),
                                                     json_string_length(v),
                                                     shown, sizeof(shown)));
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
                if (sym < 0) {
                        char shown[160];
                        return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                                       "%s: \"%s\" is not one of %s", f->name,
                                       hw_show_text(json_string_value(v),
                                                    json_string_length(v),
                                                    shown, sizeof(shown)),
                                       f->kind == HW_FIELD_TIER
                                               ? "S, A, B, UNRATED"
                                               : "EXTENDED, ACCEPTED, "
                                                 "DECLINED, WITHDRAWN");
                }
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

/* hw_json_parse_event, leaving what parsed in ev when a field is bad;
 * *n_bad counts the problems, bit i of *bad marks field i of the type's
 * table as one of them. */
static hw_err_t parse_event(const char *text, size_t len, hw_event_t *ev,
                            char *errstr, size_t size, size_t *n_bad,
                            uint64_t *bad) {
        json_error_t jerr;
        json_t *root, *v;
        const char *key;
        hw_event_type_t type;
        const hw_field_t *fields;
        size_t n;
        hw_err_t err = HW_OK;

        char shown[200], why[512];

        *n_bad = 0;
        *bad = 0;
        hw_event_reset(ev, HW_EVENT_NONE);
        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return hw_fail(HW_ERR_DECODE, errstr, size,
                               "not valid JSON: %s (column %d)",
                               hw_show_text(jerr.text, strlen(jerr.text), shown,
                                            sizeof(shown)),
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
                              hw_show_text(json_string_value(v),
                                           json_string_length(v), shown,
                                           sizeof(shown)));
                goto cleanup;
        }
        hw_event_reset(ev, type);
        fields = hw_event_fields(type, &n);

        /* Every field's problem, not only the first. */
        errstr[0] = '\0';
        json_object_foreach(root, key, v) {
                const hw_field_t *f;
                if (!strcmp(key, "type"))
                        continue;
                f = hw_event_field(type, key);
                if (!f) {
                        hw_problem_add(errstr, size, n_bad,
                                       "%s: not a field of %s %s event",
                                       hw_show_text(key, strlen(key), shown,
                                                    sizeof(shown)),
                                       type == HW_EVENT_OFFER ? "an" : "a",
                                       hw_event_type_name(type));
                        continue;
                }
                if ((err = parse_field(ev, f, v, why, sizeof(why)))) {
                        if (err != HW_ERR_INVALID_FIELD) {
                                hw_fail(err, errstr, size, "%s", why);
                                goto cleanup;
                        }
                        hw_problem_add(errstr, size, n_bad, "%s", why);
                        if (f >= fields && f < fields + n && f - fields < 64)
                                *bad |= UINT64_C(1) << (f - fields);
                }
        }

        /* Fields without a default must be present. */
        for (size_t i = 0; i < n; i++) {
                hw_field_kind_t k = fields[i].kind;
                if ((k == HW_FIELD_STRING || k == HW_FIELD_TIMESTAMP ||
                     k == HW_FIELD_LONG || k == HW_FIELD_STATUS) &&
                    !json_object_get(root, fields[i].name)) {
                        hw_problem_add(errstr, size, n_bad, "%s: missing",
                                       fields[i].name);
                        if (i < 64)
                                *bad |= UINT64_C(1) << i;
                }
        }
        err = *n_bad ? HW_ERR_INVALID_FIELD : HW_OK;

cleanup:
        json_decref(root);
        return err;
}

hw_err_t hw_json_parse_event(const char *text, size_t len, hw_event_t *ev,
                             char *errstr, size_t size) {
        size_t n_bad;
        uint64_t bad;
        hw_err_t err = parse_event(text, len, ev, errstr, size, &n_bad, &bad);
        if (err)
                hw_event_reset(ev, HW_EVENT_NONE);
        return err;
}

hw_err_t hw_json_check_event(const char *text, size_t len, hw_event_t *ev,
                             int64_t now_ms, char *errstr, size_t size) {
        char more[512];
        size_t n_bad;
        uint64_t bad;
        hw_err_t err = parse_event(text, len, ev, errstr, size, &n_bad, &bad);

        /* What parsed is checked by the rules too, but for the fields
         * already named (a bad type leaves one unset: not "missing"). */
        if (err == HW_ERR_INVALID_FIELD && ev->type != HW_EVENT_NONE) {
                if (hw_validate_event_skip(ev, now_ms, bad, more, sizeof(more)))
                        hw_problem_add(errstr, size, &n_bad, "%s", more);
        } else if (!err) {
                err = hw_validate_event(ev, now_ms, errstr, size);
        }
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
