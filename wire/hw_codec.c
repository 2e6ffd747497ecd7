#include "hw_codec.h"

#include <avro.h>
#include <errno.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_avro_walk.h"
#include "hw_registry.h"
#include "hw_schemas.h"
#include "hw_validate.h"

#define HW_MAX_FIELDS 32
/* How long an id the Schema Registry does not know is answered from the
 * cache (a message with a made-up id costs one request a minute). */
#define MISSING_TTL_MS 60000

/* One writer schema, parsed, with a reusable value: from the local
 * registry, or fetched from the Schema Registry into the codec's cache. */
typedef struct hw_codec_schema_s {
        const hw_schema_def_t *def; /* local registry entry, else NULL */
        int32_t id;                 /* the id messages carry */
        char label[96];             /* "hirewire.HireEvent v2" for messages */
        hw_schema_kind_t kind;
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t value;
        /* For events: the writer's field index of each model field
         * (hw_event_fields order), or -1 when this writer lacks it and the
         * current schema's default applies. */
        int field_index[HW_MAX_FIELDS];
        /* Schema Registry cache entries only. */
        uint64_t used;         /* tick of the last use, for eviction */
        char *missing;         /* an id the registry lacks: why, else NULL */
        int64_t missing_until; /* ms: ask again after this */
} hw_codec_schema_t;

/* Default of a model field, from the current (reader) schema. */
typedef struct hw_field_default_s {
        int is_null;
        int symbol; /* enum index for enum defaults */
} hw_field_default_t;

struct hw_codec_s {
        hw_codec_schema_t *schemas;
        size_t n_schemas;
        hw_field_default_t defaults[3][HW_MAX_FIELDS]; /* by event type */
        int current[3]; /* current schema id by kind */
        avro_reader_t reader;
        avro_writer_t writer;
        size_t max_message;
        /* With a Schema Registry: its schemas by id, at most cache_max. */
        hw_registry_t *registry;
        hw_codec_schema_t *cache;
        size_t n_cache, cache_max;
        uint64_t tick;
};

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

static hw_codec_schema_t *find_schema(hw_codec_t *c, int id) {
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
        if (s->schema)
                avro_schema_decref(s->schema);
        free(s->missing);
        s->iface = NULL;
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
        char name[256];
        int kind;
        hw_err_t err;

        s->id = id;
        if (avro_schema_from_json_length(json, strlen(json), &s->schema)) {
                s->schema = NULL;
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "%s does not parse: %s", s->label,
                               avro_strerror());
        }
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
        if (!s->def && kind == HW_SCHEMA_KIND_ALERT &&
            !avro_schema_equal(s->schema,
                               find_schema(c, c->current[0])->schema)) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "%s is not the Alert schema this version "
                              "reads",
                              s->label);
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
        s->missing_until = now_ms + MISSING_TTL_MS;
        if (!s->missing) /* not remembered: asked again next time */
                s->missing_until = now_ms;
        return HW_ERR_UNKNOWN_SCHEMA;
}

/* Checks the 5-byte header and finds the writer schema (now_ms: the clock
 * for the Schema Registry cache). */
static hw_err_t read_header(hw_codec_t *c, const unsigned char *p, size_t len,
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
        *out = id <= INT32_MAX && !c->registry ? find_schema(c, (int)id) : NULL;
        if (!*out)
                return hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                               "schema id %u is not in the registry", id);
        return HW_OK;
}

#define WALK_FIELDS_MAX 64

/* Walks the Avro body against the writer schema (noting the top-level
 * values in fields, when given) and checks that nothing trails it. */
static hw_err_t walk_body(hw_codec_schema_t *s, const unsigned char *body,
                          size_t len, hw_avro_field_t *fields, char *errstr,
                          size_t size) {
        return hw_avro_walk(s->schema, s->label, body, len, fields,
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

/* Copies a string field into the event, refusing NUL bytes. */
static hw_err_t take_string(hw_event_t *ev, const hw_field_t *f,
                            const hw_avro_field_t *v, char *errstr,
                            size_t size) {
        size_t n = (size_t)v->num;

        if (memchr(v->str, '\0', n))
                return hw_fail(HW_ERR_INVALID_FIELD, errstr, size,
                               "%s: contains a NUL byte", f->name);
        if (hw_event_set_str(ev, f, (const char *)v->str, n))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        return HW_OK;
}

/* Fills ev from the walked writer values, resolving fields the writer
 * lacks to the current schema's defaults. map_fields checked that every
 * mapped field has the type of the event field (a union is
 * ["null", type]). */
static hw_err_t fill_event(hw_codec_t *c, hw_codec_schema_t *s,
                           const hw_avro_field_t *fields, hw_event_t *ev,
                           char *errstr, size_t size) {
        size_t n;
        hw_event_type_t type = (hw_event_type_t)s->kind;
        const hw_field_t *mf = hw_event_fields(type, &n);
        hw_err_t err;

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
                        if ((err = take_string(ev, f, v, errstr, size)))
                                return err;
                        break;
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
        return HW_OK;
}

hw_err_t hw_codec_decode(hw_codec_t *c, const void *data, size_t len,
                         int64_t now_ms, hw_event_t *ev, char *errstr,
                         size_t size) {
        const unsigned char *p = data;
        hw_avro_field_t fields[WALK_FIELDS_MAX];
        hw_codec_schema_t *s;
        hw_err_t err;

        hw_event_reset(ev, HW_EVENT_NONE);
        if ((err = read_header(c, p, len, now_ms, &s, errstr, size)))
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
            (err = fill_event(c, s, fields, ev, errstr, size)) ||
            (err = hw_validate_event(ev, now_ms, errstr, size))) {
                hw_event_reset(ev, HW_EVENT_NONE);
                return err;
        }
        return HW_OK;
}

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
        s = find_schema(c, schema_id);
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
        hw_codec_schema_t *s = find_schema(c, c->current[0]);
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
        if ((err = read_header(c, data, len, INT64_MAX, &s, errstr, size)))
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
