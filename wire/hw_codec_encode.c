/*
 * Encoding: an event with the schema of its type (or an older one of it),
 * an alert with the Alert schema, each into a Confluent-framed buffer.
 */
#include "hw_codec_int.h"

/* Sizes the value, frames it with schema id and writes it into out. */
static hw_err_t write_framed(hw_codec_t *c, hw_codec_schema_t *s, hw_buf_t *out,
                             char *errstr, size_t size) {
        size_t body;

        if (avro_value_sizeof(&s->value, &body))
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "cannot size %s: %s", s->label, avro_strerror());
        out->len = 0;
        if (hw_buf_reserve(out, body + 5))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        out->data[0] = 0;
        hw_codec_set_frame_id(out, s->id);
        avro_writer_memory_set_dest(c->writer, out->data + 5, (int64_t)body);
        if (avro_value_write(c->writer, &s->value))
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "cannot encode %s: %s", s->label,
                               avro_strerror());
        out->len = body + 5;
        return HW_OK;
}

static int set_string(avro_value_t *v, const char *s) {
        return avro_value_set_string_len(v, s, strlen(s) + 1);
}

hw_err_t hw_codec_encode(hw_codec_t *c, const hw_event_t *ev, int schema_id,
                         hw_buf_t *out, char *errstr, size_t size) {
        hw_codec_schema_t *s;
        const hw_field_t *mf;
        size_t n;
        int rc = 0;

        if (ev->type != HW_EVENT_HIRE && ev->type != HW_EVENT_OFFER)
                return hw_fail(HW_ERR_ARG, errstr, size, "event has no type");
        if (!schema_id)
                schema_id = c->current[ev->type];
        s = hw_codec_find_schema(c, schema_id);
        if (!s || (int)s->kind != (int)ev->type)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "schema id %d is not a %s schema", schema_id,
                               hw_event_type_name(ev->type));

        mf = hw_event_fields(ev->type, &n);
        avro_value_reset(&s->value);
        for (size_t i = 0; i < n && !rc; i++) {
                const hw_field_t *f = &mf[i];
                hw_event_t *mev = (hw_event_t *)ev; /* read through accessors */
                avro_value_t fv, branch;

                if (s->field_index[i] < 0)
                        continue; /* this older writer has no such field */
                avro_value_get_by_index(&s->value, (size_t)s->field_index[i],
                                        &fv, NULL);
                switch (f->kind) {
                case HW_FIELD_STRING: {
                        const char *str = hw_event_str_get(ev, f);
                        rc = set_string(&fv, str ? str : "");
                        break;
                }
                case HW_FIELD_OPT_STRING: {
                        const char *str = hw_event_str_get(ev, f);
                        rc = avro_value_set_branch(&fv, str ? 1 : 0, &branch);
                        rc = rc    ? rc
                             : str ? set_string(&branch, str)
                                   : avro_value_set_null(&branch);
                        break;
                }
                case HW_FIELD_TIMESTAMP:
                case HW_FIELD_LONG:
                        rc = avro_value_set_long(&fv, *hw_event_long(mev, f));
                        break;
                case HW_FIELD_OPT_LONG: {
                        const hw_opt_long_t *o = hw_event_opt_long(mev, f);
                        rc = avro_value_set_branch(&fv, o->present, &branch);
                        rc = rc ? rc
                             : o->present
                                     ? avro_value_set_long(&branch, o->value)
                                     : avro_value_set_null(&branch);
                        break;
                }
                case HW_FIELD_TIER:
                case HW_FIELD_STATUS:
                        rc = avro_value_set_enum(&fv, *hw_event_enum(mev, f));
                        break;
                }
                if (rc)
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "cannot set %s: %s", f->name,
                                       avro_strerror());
        }
        return write_framed(c, s, out, errstr, size);
}

/* Avro's binary encoding, written directly: an alert is encoded for
 * every one relayed, and building it as an Avro C value cost about ten
 * times the bytes' own writing. */

/* Room for a zig-zag varint of any long. */
#define VARINT_MAX 10

/* Writes v as Avro writes a long (zig-zag, then base-128, low group
 * first); returns the end. */
static char *put_long(char *out, int64_t v) {
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        while (z >= 0x80) {
                *out++ = (char)(z | 0x80);
                z >>= 7;
        }
        *out++ = (char)z;
        return out;
}

/* Writes s as an Avro string (its length, then its bytes; NULL as ""). */
static char *put_string(char *out, const char *s) {
        size_t len = s ? strlen(s) : 0;
        out = put_long(out, (int64_t)len);
        if (len)
                memcpy(out, s, len);
        return out + len;
}

/* The bytes put_string writes at most for s. */
static size_t string_room(const char *s) {
        return VARINT_MAX + (s ? strlen(s) : 0);
}

/* Whether attribute i repeats the key of one before it (a map holds a
 * key once: the first place keeps it, with the last value given). */
static int repeated_key(const hw_alert_t *a, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (!strcmp(a->attributes[j].key, a->attributes[i].key))
                        return 1;
        return 0;
}

/* The value of attribute i's key that counts: the last one given. */
static const char *last_value(const hw_alert_t *a, size_t i) {
        const char *v = a->attributes[i].value;
        for (size_t j = i + 1; j < a->n_attributes; j++)
                if (!strcmp(a->attributes[j].key, a->attributes[i].key))
                        v = a->attributes[j].value;
        return v;
}

/*
 * The Alert schema (schemas/Alert.v1.avsc), field by field: alert_id,
 * rule (strings), severity (enum: its index), raised_at, event_time
 * (longs), subject, summary (strings), event_ids (array of strings) and
 * attributes (map of strings), each array or map as one block of its
 * count and items, then the 0 that ends it (none for an empty one).
 */
hw_err_t hw_codec_encode_alert(hw_codec_t *c, const hw_alert_t *a,
                               hw_buf_t *out, char *errstr, size_t size) {
        hw_codec_schema_t *s = hw_codec_find_schema(c, c->current[0]);
        size_t room = 5 + 6 * VARINT_MAX, n_keys = 0;
        char *at;

        if (!s || s->kind != HW_SCHEMA_KIND_ALERT)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "no alert schema to encode with");
        if ((int)a->severity < 0 || a->severity >= HW_SEVERITY_COUNT)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "cannot build alert: severity %d is not one "
                               "of the schema's",
                               (int)a->severity);
        room += string_room(a->alert_id) + string_room(a->rule) +
                string_room(a->subject) + string_room(a->summary);
        for (size_t i = 0; i < a->n_event_ids; i++)
                room += string_room(a->event_ids[i]);
        for (size_t i = 0; i < a->n_attributes; i++)
                if (!repeated_key(a, i)) {
                        room += string_room(a->attributes[i].key) +
                                string_room(last_value(a, i));
                        n_keys++;
                }
        out->len = 0;
        if (hw_buf_reserve(out, room))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        out->data[0] = 0;
        hw_codec_set_frame_id(out, s->id);
        at = out->data + 5;
        at = put_string(at, a->alert_id);
        at = put_string(at, a->rule);
        at = put_long(at, (int64_t)a->severity);
        at = put_long(at, a->raised_at);
        at = put_long(at, a->event_time);
        at = put_string(at, a->subject);
        at = put_string(at, a->summary);
        if (a->n_event_ids) {
                at = put_long(at, (int64_t)a->n_event_ids);
                for (size_t i = 0; i < a->n_event_ids; i++)
                        at = put_string(at, a->event_ids[i]);
        }
        at = put_long(at, 0);
        if (n_keys) {
                at = put_long(at, (int64_t)n_keys);
                for (size_t i = 0; i < a->n_attributes; i++)
                        if (!repeated_key(a, i)) {
                                at = put_string(at, a->attributes[i].key);
                                at = put_string(at, last_value(a, i));
                        }
        }
        at = put_long(at, 0);
        out->len = (size_t)(at - out->data);
        return HW_OK;
}
