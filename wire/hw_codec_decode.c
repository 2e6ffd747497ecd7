/*
 * Decoding: a framed hire or offer walked straight from its bytes into an
 * event (fields the writer lacks get the current schema's defaults) and
 * validated; a framed alert checked, then read with Avro C.
 */
#include "hw_codec_int.h"

#include <stdint.h>

#include "hw_validate.h"

#define WALK_FIELDS_MAX HW_WRITER_FIELDS_MAX

/* Walks the Avro body against the writer schema (noting the top-level
 * values in fields, when given) and checks that nothing trails it. */
static hw_err_t walk_body(hw_codec_schema_t *s, const unsigned char *body,
                          size_t len, hw_avro_field_t *fields, char *errstr,
                          size_t size) {
        return hw_avro_walk_prog(s->prog, s->label, body, len, fields,
                                 fields ? WALK_FIELDS_MAX : 0, errstr, size);
}

/* Checks the Avro body, then decodes it into s->value with Avro C (for
 * alerts). */
static hw_err_t read_body(hw_codec_t *c, hw_codec_schema_t *s,
                          const unsigned char *body, size_t len, char *errstr,
                          size_t size) {
        hw_err_t err;

        if ((err = walk_body(s, body, len, NULL, errstr, size)))
                return err;
        avro_reader_memory_set_source(c->reader, (const char *)body,
                                      (int64_t)len);
        if (avro_value_read(c->reader, &s->value))
                return hw_fail(HW_ERR_DECODE, errstr, size,
                               "%s body does not decode: %s", s->label,
                               avro_strerror());
        return HW_OK;
}

/* The walked value of event field i, NULL for none (a null, or a field
 * the writer lacks). */
static const hw_avro_field_t *string_value(const hw_codec_schema_t *s,
                                           const hw_avro_field_t *fields,
                                           const hw_field_t *f, size_t i) {
        const hw_avro_field_t *v;

        if ((f->kind != HW_FIELD_STRING && f->kind != HW_FIELD_OPT_STRING) ||
            s->field_index[i] < 0)
                return NULL;
        v = &fields[s->field_index[i]];
        return f->kind == HW_FIELD_OPT_STRING && v->branch == 0 ? NULL : v;
}

/* Copies the event's strings into one allocation of strings, each
 * NUL-terminated, refusing NUL bytes in them. */
static hw_err_t take_strings(hw_codec_schema_t *s, const hw_field_t *mf,
                             size_t n, const hw_avro_field_t *fields,
                             hw_event_t *ev, hw_arena_t *strings, char *errstr,
                             size_t size) {
        size_t total = 0;
        char *at;

        for (size_t i = 0; i < n; i++) {
                const hw_avro_field_t *v = string_value(s, fields, &mf[i], i);
                if (!v)
                        continue;
                if (memchr(v->str, '\0', (size_t)v->num))
                        return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                                       "%s: contains a NUL byte", mf[i].name);
                total += (size_t)v->num + 1;
        }
        if (!total)
                return HW_OK;
        if (!(at = hw_arena_alloc(strings, total)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const hw_avro_field_t *v = string_value(s, fields, &mf[i], i);
                if (!v)
                        continue;
                memcpy(at, v->str, (size_t)v->num);
                at[v->num] = '\0';
                *hw_event_str(ev, &mf[i]) = at;
                at += v->num + 1;
        }
        return HW_OK;
}

/* Fills ev from the walked writer values, resolving fields the writer
 * lacks to the current schema's defaults. map_fields checked that every
 * mapped field has the type of the event field (a union is
 * ["null", type]). */
static hw_err_t fill_event(hw_codec_t *c, hw_codec_schema_t *s,
                           const hw_avro_field_t *fields, hw_event_t *ev,
                           hw_arena_t *strings, char *errstr, size_t size) {
        size_t n;
        hw_event_type_t type = (hw_event_type_t)s->kind;
        const hw_field_t *mf = hw_event_fields(type, &n);

        hw_event_reset(ev, type);
        ev->schema_id = s->id;
        for (size_t i = 0; i < n; i++) {
                const hw_field_t *f = &mf[i];
                const hw_avro_field_t *v;

                if (s->field_index[i] < 0) {
                        const hw_field_default_t *d = &c->defaults[type][i];
                        if (f->kind == HW_FIELD_TIER ||
                            f->kind == HW_FIELD_STATUS)
                                *hw_event_enum(ev, f) = d->symbol;
                        /* null defaults: the reset already left NULL/absent */
                        continue;
                }
                v = &fields[s->field_index[i]];
                if ((f->kind == HW_FIELD_OPT_STRING ||
                     f->kind == HW_FIELD_OPT_LONG) &&
                    v->branch == 0)
                        continue; /* null */
                switch (f->kind) {
                case HW_FIELD_STRING:
                case HW_FIELD_OPT_STRING:
                        break; /* take_strings */
                case HW_FIELD_TIMESTAMP:
                case HW_FIELD_LONG:
                        *hw_event_long(ev, f) = v->num;
                        break;
                case HW_FIELD_OPT_LONG:
                        hw_event_opt_long(ev, f)->present = 1;
                        hw_event_opt_long(ev, f)->value = v->num;
                        break;
                case HW_FIELD_TIER:
                case HW_FIELD_STATUS:
                        *hw_event_enum(ev, f) = (int)v->num;
                        break;
                }
        }
        return take_strings(s, mf, n, fields, ev, strings, errstr, size);
}

hw_err_t hw_codec_decode(hw_codec_t *c, const void *data, size_t len,
                         int64_t now_ms, hw_event_t *ev, char *errstr,
                         size_t size) {
        return hw_codec_decode_in(c, data, len, now_ms, ev, &ev->arena, errstr,
                                  size);
}

hw_err_t hw_codec_decode_in(hw_codec_t *c, const void *data, size_t len,
                            int64_t now_ms, hw_event_t *ev, hw_arena_t *strings,
                            char *errstr, size_t size) {
        const unsigned char *p = data;
        hw_avro_field_t fields[WALK_FIELDS_MAX];
        hw_codec_schema_t *s;
        hw_err_t err;

        hw_event_reset(ev, HW_EVENT_NONE);
        if ((err = hw_codec_read_header(c, p, len, now_ms, &s, errstr, size)))
                return err;
        if (s->kind == HW_SCHEMA_KIND_ALERT)
                return hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                               "schema id %d (%s) is not a hire or offer "
                               "schema",
                               s->id, s->label);
        if (avro_schema_record_size(s->schema) > WALK_FIELDS_MAX)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "%s has too many fields", s->label);
        if ((err = walk_body(s, p + 5, len - 5, fields, errstr, size)) ||
            (err = fill_event(c, s, fields, ev, strings, errstr, size)) ||
            (err = hw_validate_event(ev, now_ms, errstr, size))) {
                hw_event_reset(ev, HW_EVENT_NONE);
                return err;
        }
        return HW_OK;
}

/* Copies an Avro string into the alert's arena. */
static const char *alert_string(hw_alert_t *a, avro_value_t *v) {
        const char *p;
        size_t n;
        if (avro_value_get_string(v, &p, &n))
                return NULL;
        return hw_alert_strdup(a, p, n ? n - 1 : 0);
}

static hw_err_t decode_alert(hw_codec_t *c, const void *data, size_t len,
                             hw_alert_t *a, char *errstr, size_t size) {
        hw_codec_schema_t *s;
        avro_value_t v, item;
        hw_err_t err;
        size_t n = 0;
        int sev = 0, fail = 0;

        hw_alert_reset(a);
        if ((err = hw_codec_read_header(c, data, len, INT64_MAX, &s, errstr,
                                        size)))
                return err;
        if (s->kind != HW_SCHEMA_KIND_ALERT)
                return hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                               "schema id %d (%s) is not an alert schema",
                               s->id, s->label);
        if ((err = read_body(c, s, (const unsigned char *)data + 5, len - 5,
                             errstr, size)))
                return err;

        avro_value_get_by_name(&s->value, "alert_id", &v, NULL);
        fail |= !(a->alert_id = alert_string(a, &v));
        avro_value_get_by_name(&s->value, "rule", &v, NULL);
        fail |= !(a->rule = alert_string(a, &v));
        avro_value_get_by_name(&s->value, "severity", &v, NULL);
        avro_value_get_enum(&v, &sev);
        a->severity = (hw_severity_t)sev;
        avro_value_get_by_name(&s->value, "raised_at", &v, NULL);
        avro_value_get_long(&v, &a->raised_at);
        avro_value_get_by_name(&s->value, "event_time", &v, NULL);
        avro_value_get_long(&v, &a->event_time);
        avro_value_get_by_name(&s->value, "subject", &v, NULL);
        fail |= !(a->subject = alert_string(a, &v));
        avro_value_get_by_name(&s->value, "summary", &v, NULL);
        fail |= !(a->summary = alert_string(a, &v));

        avro_value_get_by_name(&s->value, "event_ids", &v, NULL);
        avro_value_get_size(&v, &n);
        fail |= hw_alert_alloc_event_ids(a, n) != 0;
        for (size_t i = 0; !fail && i < n; i++) {
                avro_value_get_by_index(&v, i, &item, NULL);
                fail |= !(a->event_ids[i] = alert_string(a, &item));
        }
        avro_value_get_by_name(&s->value, "attributes", &v, NULL);
        avro_value_get_size(&v, &n);
        fail |= hw_alert_alloc_attributes(a, n) != 0;
        for (size_t i = 0; !fail && i < n; i++) {
                const char *key;
                avro_value_get_by_index(&v, i, &item, &key);
                fail |= !(a->attributes[i].key =
                                  hw_alert_strdup(a, key, strlen(key)));
                fail |= !(a->attributes[i].value = alert_string(a, &item));
        }
        if (fail)
                return hw_fail(HW_ERR_NOMEM, errstr, size,
                               "out of memory decoding alert");
        if ((unsigned)a->severity >= HW_SEVERITY_COUNT)
                return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                               "severity: enum index out of range");
        return HW_OK;
}

hw_err_t hw_codec_decode_alert(hw_codec_t *c, const void *data, size_t len,
                               hw_alert_t *a, char *errstr, size_t size) {
        hw_err_t err = decode_alert(c, data, len, a, errstr, size);
        if (err)
                hw_alert_reset(a);
        return err;
}
