/*
 * The codec's schemas: the local registry's, parsed once with the defaults
 * that resolve older writers; those of a Schema Registry, fetched and
 * cached by id; and the Confluent header that names a message's writer
 * schema. Decoding is in hw_codec_decode.c, encoding in hw_codec_encode.c.
 */
#include "hw_codec_int.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "hw_avro_schema.h"

/* How long an id the Schema Registry does not know is answered from the
 * cache (a message with a made-up id costs one request a minute). */
#define MISSING_TTL_MS 60000

static const hw_schema_def_t *find_def(int id) {
        for (size_t i = 0; i < hw_schema_def_count; i++)
                if (hw_schema_defs[i].id == id)
                        return &hw_schema_defs[i];
        return NULL;
}

static int kind_of_subject(const char *subject);

void hw_codec_set_frame_id(hw_buf_t *framed, int32_t id) {
        framed->data[1] = (char)(id >> 24);
        framed->data[2] = (char)(id >> 16);
        framed->data[3] = (char)(id >> 8);
        framed->data[4] = (char)id;
}

int hw_codec_current_schema(hw_schema_kind_t kind) {
        for (size_t i = 0; i < hw_schema_def_count; i++)
                if (hw_schema_defs[i].current &&
                    kind_of_subject(hw_schema_defs[i].subject) == (int)kind)
                        return hw_schema_defs[i].id;
        return 0;
}

const char *hw_codec_schema_json(int id) {
        const hw_schema_def_t *d = find_def(id);
        return d ? d->json : NULL;
}

const char *hw_codec_schema_subject(int id) {
        const hw_schema_def_t *d = find_def(id);
        return d ? d->subject : NULL;
}

int hw_codec_schema_version(int id) {
        const hw_schema_def_t *d = find_def(id);
        return d ? d->version : 0;
}

hw_codec_schema_t *hw_codec_find_schema(hw_codec_t *c, int id) {
        for (size_t i = 0; i < c->n_schemas; i++)
                if (c->schemas[i].id == id)
                        return &c->schemas[i];
        return NULL;
}

static int kind_of_subject(const char *subject) {
        if (!strcmp(subject, "hirewire.HireEvent"))
                return HW_SCHEMA_KIND_HIRE;
        if (!strcmp(subject, "hirewire.OfferEvent"))
                return HW_SCHEMA_KIND_OFFER;
        if (!strcmp(subject, "hirewire.Alert"))
                return HW_SCHEMA_KIND_ALERT;
        return -1;
}

/* The Avro type a model field kind needs in a writer schema. */
static int field_type_ok(avro_schema_t fs, hw_field_kind_t kind) {
        avro_schema_t branch;

        switch (kind) {
        case HW_FIELD_STRING:
                return is_avro_string(fs);
        case HW_FIELD_TIMESTAMP:
        case HW_FIELD_LONG:
                return is_avro_int64(fs);
        case HW_FIELD_TIER:
        case HW_FIELD_STATUS:
                return is_avro_enum(fs);
        case HW_FIELD_OPT_STRING:
        case HW_FIELD_OPT_LONG:
                if (!is_avro_union(fs) || avro_schema_union_size(fs) != 2 ||
                    !is_avro_null(avro_schema_union_branch(fs, 0)))
                        return 0;
                branch = avro_schema_union_branch(fs, 1);
                return kind == HW_FIELD_OPT_STRING ? is_avro_string(branch)
                                                   : is_avro_int64(branch);
        }
        return 0;
}

/* Reads the defaults of the current schema of `type` from its JSON. */
static hw_err_t load_defaults(hw_codec_t *c, hw_event_type_t type,
                              const char *json, char *errstr, size_t size) {
        json_error_t jerr;
        json_t *root = json_loads(json, 0, &jerr), *fields;
        size_t n, i, k;
        const hw_field_t *mf = hw_event_fields(type, &n);
        hw_err_t err = HW_OK;

        if (!root)
                return hw_fail(HW_ERR_INTERNAL, errstr, size, "schema JSON: %s",
                               jerr.text);
        fields = json_object_get(root, "fields");
        for (i = 0; i < n; i++) {
                hw_field_default_t *d = &c->defaults[type][i];
                d->is_null = -1; /* no default */
                for (k = 0; k < json_array_size(fields); k++) {
                        json_t *fj = json_array_get(fields, k);
                        json_t *dv = json_object_get(fj, "default");
                        const char *name =
                                json_string_value(json_object_get(fj, "name"));
                        if (!name || strcmp(name, mf[i].name))
                                continue;
                        if (!dv)
                                break;
                        if (json_is_null(dv)) {
                                d->is_null = 1;
                        } else if (json_is_string(dv)) {
                                int sym =
                                        mf[i].kind == HW_FIELD_TIER
                                                ? hw_tier_parse(
                                                          json_string_value(dv))
                                                : hw_offer_status_parse(
                                                          json_string_value(
                                                                  dv));
                                if (sym < 0) {
                                        err = hw_fail(HW_ERR_INTERNAL, errstr,
                                                      size,
                                                      "field %s: default "
                                                      "\"%s\" is not a symbol",
                                                      mf[i].name,
                                                      json_string_value(dv));
                                        goto cleanup;
                                }
                                d->is_null = 0;
                                d->symbol = sym;
                        }
                        break;
                }
        }
cleanup:
        json_decref(root);
        return err;
}

/* Maps each model field of `type` to its index in writer schema s. */
static hw_err_t map_fields(hw_codec_t *c, hw_codec_schema_t *s, char *errstr,
                           size_t size) {
        size_t n;
        hw_event_type_t type = (hw_event_type_t)s->kind;
        const hw_field_t *mf = hw_event_fields(type, &n);

        if (n > HW_MAX_FIELDS)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "too many fields");
        for (size_t i = 0; i < n; i++) {
                int idx = avro_schema_record_field_get_index(s->schema,
                                                             mf[i].name);
                s->field_index[i] = idx;
                if (idx < 0) {
                        if (c->defaults[type][i].is_null < 0)
                                return hw_fail(
                                        HW_ERR_INTERNAL, errstr, size,
                                        "%s lacks field %s, which has no "
                                        "default in the current schema",
                                        s->label, mf[i].name);
                        continue;
                }
                if (!field_type_ok(avro_schema_record_field_get_by_index(
                                           s->schema, idx),
                                   mf[i].kind))
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "%s: field %s has a type the event "
                                       "model cannot hold",
                                       s->label, mf[i].name);
        }
        return HW_OK;
}

/* Frees what schema_load made of s (and a missing entry's reason). */
static void schema_release(hw_codec_schema_t *s) {
        if (s->iface) {
                avro_value_decref(&s->value);
                avro_value_iface_decref(s->iface);
        }
        hw_avro_prog_free(s->prog);
        if (s->schema)
                avro_schema_decref(s->schema);
        free(s->missing);
        s->iface = NULL;
        s->prog = NULL;
        s->schema = NULL;
        s->missing = NULL;
}

/* The record's full name ("hirewire.HireEvent") into out. */
static void full_name(avro_schema_t schema, char *out, size_t size) {
        const char *ns = avro_schema_namespace(schema);
        snprintf(out, size, "%s%s%s", ns ? ns : "", ns ? "." : "",
                 avro_schema_type_name(schema));
}

/*
 * Parses json as writer schema `id` into s (s->label set by the caller),
 * finds what it holds from the record's name, creates its value and maps
 * the event fields. On failure s holds nothing and errstr names the
 * schema and the fault (HW_ERR_INTERNAL, HW_ERR_NOMEM).
 */
static hw_err_t schema_load(hw_codec_t *c, hw_codec_schema_t *s,
                            const char *json, int32_t id, char *errstr,
                            size_t size) {
        char name[256], why[256];
        int kind;
        hw_err_t err;

        s->id = id;
        if (hw_avro_schema_parse(json, strlen(json), &s->schema, why,
                                 sizeof(why)))
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "%s does not parse: %s", s->label, why);
        if (!is_avro_record(s->schema)) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s is a %s, not a record", s->label,
                              avro_schema_type_name(s->schema));
                goto fail;
        }
        full_name(s->schema, name, sizeof(name));
        if ((kind = kind_of_subject(name)) < 0) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s is record %s, not a hirewire event", s->label,
                              name);
                goto fail;
        }
        s->kind = (hw_schema_kind_t)kind;
        /* Refused here, with the schema, so that its messages are
         * unknown_schema like those of any writer this version cannot
         * read. */
        if (kind != HW_SCHEMA_KIND_ALERT &&
            avro_schema_record_size(s->schema) > HW_WRITER_FIELDS_MAX) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s: %s has %zu fields, more than the %d a "
                              "writer may have",
                              s->label, name,
                              avro_schema_record_size(s->schema),
                              HW_WRITER_FIELDS_MAX);
                goto fail;
        }
        if (!s->def && kind == HW_SCHEMA_KIND_ALERT &&
            !avro_schema_equal(
                    s->schema,
                    hw_codec_find_schema(c, c->current[0])->schema)) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s is not the Alert schema this version "
                              "reads",
                              s->label);
                goto fail;
        }
        if (hw_avro_prog_new(s->schema, &s->prog)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto fail;
        }
        s->iface = avro_generic_class_from_schema(s->schema);
        if (!s->iface || avro_generic_value_new(s->iface, &s->value)) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s: cannot create value: %s", s->label,
                              avro_strerror());
                if (s->iface) {
                        avro_value_iface_decref(s->iface);
                        s->iface = NULL;
                }
                goto fail;
        }
        if (s->kind != HW_SCHEMA_KIND_ALERT &&
            (err = map_fields(c, s, errstr, size)))
                goto fail;
        return HW_OK;
fail:
        schema_release(s);
        return err;
}

hw_codec_t *hw_codec_new(char *errstr, size_t size) {
        hw_codec_t *c;
        size_t i;

        c = calloc(1, sizeof(*c));
        if (!c)
                goto nomem;
        c->max_message = HW_CODEC_MAX_MESSAGE_DEFAULT;
        c->schemas = calloc(hw_schema_def_count, sizeof(*c->schemas));
        c->reader = avro_reader_memory("", 0);
        c->writer = avro_writer_memory("", 0);
        if (!c->schemas || !c->reader || !c->writer)
                goto nomem;

        /* Current schemas first: their defaults resolve older writers. */
        for (i = 0; i < hw_schema_def_count; i++) {
                const hw_schema_def_t *d = &hw_schema_defs[i];
                int kind = kind_of_subject(d->subject);
                if (kind < 0) {
                        hw_fail(HW_ERR_INTERNAL, errstr, size,
                                "schema id %d: unknown subject %s", d->id,
                                d->subject);
                        goto fail;
                }
                if (d->current) {
                        c->current[kind == HW_SCHEMA_KIND_ALERT ? 0 : kind] =
                                d->id;
                        if (kind != HW_SCHEMA_KIND_ALERT &&
                            load_defaults(c, (hw_event_type_t)kind, d->json,
                                          errstr, size))
                                goto fail;
                }
        }

        for (i = 0; i < hw_schema_def_count; i++) {
                const hw_schema_def_t *d = &hw_schema_defs[i];
                hw_codec_schema_t *s = &c->schemas[c->n_schemas];

                s->def = d;
                snprintf(s->label, sizeof(s->label), "%s v%d", d->subject,
                         d->version);
                if (schema_load(c, s, d->json, d->id, errstr, size))
                        goto fail;
                c->n_schemas++;
        }
        return c;

nomem:
        hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory creating codec");
fail:
        hw_codec_destroy(c);
        return NULL;
}

void hw_codec_destroy(hw_codec_t *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_schemas; i++)
                schema_release(&c->schemas[i]);
        for (size_t i = 0; i < c->n_cache; i++)
                schema_release(&c->cache[i]);
        free(c->schemas);
        free(c->cache);
        if (c->reader)
                avro_reader_free(c->reader);
        if (c->writer)
                avro_writer_free(c->writer);
        free(c);
}

void hw_codec_set_max_message(hw_codec_t *c, size_t max_bytes) {
        c->max_message = max_bytes;
}

hw_err_t hw_codec_use_registry(hw_codec_t *c, hw_registry_t *registry,
                               size_t cache_max) {
        hw_codec_schema_t *cache;

        if (!cache_max)
                cache_max = 1;
        cache = calloc(cache_max, sizeof(*cache));
        if (!cache)
                return HW_ERR_NOMEM;
        for (size_t i = 0; i < c->n_cache; i++)
                schema_release(&c->cache[i]);
        free(c->cache);
        c->cache = cache;
        c->cache_max = cache_max;
        c->n_cache = 0;
        c->registry = registry;
        return HW_OK;
}

size_t hw_codec_cached_schemas(const hw_codec_t *c) {
        return c->n_cache;
}

/* Empties a cache entry for reuse. */
static hw_codec_schema_t *cache_clear(hw_codec_schema_t *s) {
        schema_release(s);
        memset(s, 0, sizeof(*s));
        return s;
}

/* A free cache entry, evicting the least recently used one when full. */
static hw_codec_schema_t *cache_slot(hw_codec_t *c) {
        size_t lru = 0;

        if (c->n_cache < c->cache_max)
                return &c->cache[c->n_cache++];
        for (size_t i = 1; i < c->n_cache; i++)
                if (c->cache[i].used < c->cache[lru].used)
                        lru = i;
        return cache_clear(&c->cache[lru]);
}

/*
 * Finds writer schema id in the cache, else fetches it from the Schema
 * Registry and caches it. An id the registry lacks, or a schema this
 * version cannot read, is HW_ERR_UNKNOWN_SCHEMA and is remembered for
 * MISSING_TTL_MS; a registry that does not answer is HW_ERR_SERVICE and is
 * asked again next time.
 */
static hw_err_t registry_schema(hw_codec_t *c, int32_t id, int64_t now_ms,
                                hw_codec_schema_t **out, char *errstr,
                                size_t size) {
        hw_codec_schema_t *s = NULL;
        char *json = NULL;
        hw_err_t err;

        for (size_t i = 0; i < c->n_cache; i++)
                if (c->cache[i].id == id) {
                        s = &c->cache[i];
                        break;
                }
        if (s && (!s->missing || now_ms < s->missing_until)) {
                s->used = ++c->tick;
                if (s->missing)
                        return hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                                       "%s", s->missing);
                *out = s;
                return HW_OK;
        }
        err = hw_registry_schema(c->registry, id, &json, errstr, size);
        if (err == HW_ERR_SERVICE || err == HW_ERR_NOMEM)
                return err; /* an expired entry stays, to be asked again */
        s = s ? cache_clear(s) : cache_slot(c);
        s->id = id;
        s->used = ++c->tick;
        snprintf(s->label, sizeof(s->label), "schema id %" PRId32, id);
        if (!err && schema_load(c, s, json, id, errstr, size))
                err = HW_ERR_UNKNOWN_SCHEMA;
        free(json);
        if (!err) {
                full_name(s->schema, s->label, sizeof(s->label));
                snprintf(s->label + strlen(s->label),
                         sizeof(s->label) - strlen(s->label),
                         " (registry id %" PRId32 ")", id);
                *out = s;
                return HW_OK;
        }
        s->missing = strdup(errstr);
        /* Alerts are decoded without a clock (INT64_MAX): no overflow. */
        s->missing_until = now_ms > INT64_MAX - MISSING_TTL_MS
                                   ? INT64_MAX
                                   : now_ms + MISSING_TTL_MS;
        if (!s->missing) /* not remembered: asked again next time */
                s->missing_until = now_ms;
        return HW_ERR_UNKNOWN_SCHEMA;
}

/* Checks the 5-byte header and finds the writer schema (now_ms: the clock
 * for the Schema Registry cache). */
hw_err_t hw_codec_read_header(hw_codec_t *c, const unsigned char *p, size_t len,
                              int64_t now_ms, hw_codec_schema_t **out,
                              char *errstr, size_t size) {
        uint32_t id;

        if (len > c->max_message)
                return hw_fail(HW_ERR_TOO_LARGE, errstr, size,
                               "message is %zu bytes, the limit is %zu", len,
                               c->max_message);
        if (len < 5)
                return hw_fail(HW_ERR_BAD_FRAMING, errstr, size,
                               "message is %zu bytes, shorter than the 5-byte "
                               "Confluent header",
                               len);
        if (p[0] != 0)
                return hw_fail(HW_ERR_BAD_FRAMING, errstr, size,
                               "magic byte is 0x%02x, expected 0x00", p[0]);
        id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 |
             p[4];
        if (c->registry && id > 0 && id <= INT32_MAX)
                return registry_schema(c, (int32_t)id, now_ms, out, errstr,
                                       size);
        *out = id <= INT32_MAX && !c->registry
                       ? hw_codec_find_schema(c, (int)id)
                       : NULL;
        if (!*out)
                return hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                               "schema id %u is not in the registry", id);
        return HW_OK;
}
