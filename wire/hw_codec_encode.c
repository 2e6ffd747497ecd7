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

hw_err_t hw_codec_encode_alert(hw_codec_t *c, const hw_alert_t *a,
                               hw_buf_t *out, char *errstr, size_t size) {
        hw_codec_schema_t *s = hw_codec_find_schema(c, c->current[0]);
        avro_value_t v, item;
        int rc = 0;

        avro_value_reset(&s->value);
        rc |= avro_value_get_by_name(&s->value, "alert_id", &v, NULL) ||
              set_string(&v, a->alert_id);
        rc |= avro_value_get_by_name(&s->value, "rule", &v, NULL) ||
              set_string(&v, a->rule);
        rc |= avro_value_get_by_name(&s->value, "severity", &v, NULL) ||
              avro_value_set_enum(&v, (int)a->severity);
        rc |= avro_value_get_by_name(&s->value, "raised_at", &v, NULL) ||
              avro_value_set_long(&v, a->raised_at);
        rc |= avro_value_get_by_name(&s->value, "event_time", &v, NULL) ||
              avro_value_set_long(&v, a->event_time);
        rc |= avro_value_get_by_name(&s->value, "subject", &v, NULL) ||
              set_string(&v, a->subject);
        rc |= avro_value_get_by_name(&s->value, "summary", &v, NULL) ||
              set_string(&v, a->summary);
        rc |= avro_value_get_by_name(&s->value, "event_ids", &v, NULL);
        for (size_t i = 0; !rc && i < a->n_event_ids; i++)
                rc |= avro_value_append(&v, &item, NULL) ||
                      set_string(&item, a->event_ids[i]);
        rc |= avro_value_get_by_name(&s->value, "attributes", &v, NULL);
        for (size_t i = 0; !rc && i < a->n_attributes; i++)
                rc |= avro_value_add(&v, a->attributes[i].key, &item, NULL,
                                     NULL) ||
                      set_string(&item, a->attributes[i].value);
        if (rc)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "cannot build alert: %s", avro_strerror());
        return write_framed(c, s, out, errstr, size);
}
