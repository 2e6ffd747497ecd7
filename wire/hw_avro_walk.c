/*
 * The walk of an Avro body against its writer schema (hw_avro_walk.h):
 * pure, it reads only the bytes it is given and allocates nothing.
 */
#include "hw_avro_walk.h"

#include <inttypes.h>
#include <stdio.h>

typedef struct avro_walk_s {
        const unsigned char *p, *end;
        avro_schema_t top; /* the top-level record whose field cur is
                              being read (named in errors only), or NULL */
        char *errstr;
        size_t errstr_size;
        hw_avro_field_t *fields; /* where to note top-level values, or NULL */
        size_t n_fields, cur;
} avro_walk_t;

/* The field a leaf value at this depth belongs to, or NULL: a top-level
 * field (depth 1) or the branch of a top-level union (depth 2). */
static hw_avro_field_t *noted(avro_walk_t *w, int depth) {
        if (!w->fields || w->cur >= w->n_fields || depth < 1 || depth > 2)
                return NULL;
        return &w->fields[w->cur];
}

static hw_err_t walk_fail(avro_walk_t *w, const char *what) {
        const char *field =
                w->top ? avro_schema_record_field_name(w->top, (int)w->cur)
                       : NULL;
        return hw_fail(HW_ERR_DECODE, w->errstr, w->errstr_size, "%s%s%s",
                       field ? field : "", field ? ": " : "", what);
}

/* Reads a zig-zag varint long. */
static hw_err_t walk_long(avro_walk_t *w, int64_t *out) {
        uint64_t v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
                if (w->p == w->end)
                        return walk_fail(w, "message ends inside a number");
                unsigned char b = *w->p++;
                if (shift == 63 && (b & 0x7E))
                        return walk_fail(w, "number does not fit in 64 bits");
                v |= (uint64_t)(b & 0x7F) << shift;
                if (!(b & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return HW_OK;
                }
        }
        return walk_fail(w, "number longer than 10 bytes");
}

/* Skips n bytes that must be in the message. */
static hw_err_t walk_skip(avro_walk_t *w, int64_t n, const char *what) {
        char why[96];
        if (n < 0 || n > w->end - w->p) {
                snprintf(why, sizeof(why),
                         "%s length %" PRId64 " is not within the %td bytes "
                         "left",
                         what, n, w->end - w->p);
                return walk_fail(w, why);
        }
        w->p += n;
        return HW_OK;
}

static hw_err_t walk_value(avro_walk_t *w, avro_schema_t s, int depth) {
        int64_t n;
        hw_err_t err;

        if (depth > 32)
                return walk_fail(w, "schema nested too deeply");
        switch (avro_typeof(s)) {
        case AVRO_NULL:
                return HW_OK;
        case AVRO_BOOLEAN:
                if (w->p == w->end || *w->p > 1)
                        return walk_fail(w, "bad boolean");
                w->p++;
                return HW_OK;
        case AVRO_INT32:
        case AVRO_INT64:
                if ((err = walk_long(w, &n)))
                        return err;
                if (noted(w, depth))
                        noted(w, depth)->num = n;
                return HW_OK;
        case AVRO_FLOAT:
                return walk_skip(w, 4, "float");
        case AVRO_DOUBLE:
                return walk_skip(w, 8, "double");
        case AVRO_FIXED:
                return walk_skip(w, avro_schema_fixed_size(s), "fixed");
        case AVRO_STRING:
        case AVRO_BYTES:
                if ((err = walk_long(w, &n)))
                        return err;
                if (noted(w, depth)) {
                        noted(w, depth)->str = w->p;
                        noted(w, depth)->num = n;
                }
                return walk_skip(w, n, "string");
        case AVRO_ENUM:
                if ((err = walk_long(w, &n)))
                        return err;
                if (n < 0 || n >= avro_schema_enum_number_of_symbols(s))
                        return walk_fail(w, "enum index out of range");
                if (noted(w, depth))
                        noted(w, depth)->num = n;
                return HW_OK;
        case AVRO_UNION:
                if ((err = walk_long(w, &n)))
                        return err;
                if (n < 0 || (uint64_t)n >= avro_schema_union_size(s))
                        return walk_fail(w, "union branch out of range");
                if (depth == 1 && noted(w, depth))
                        noted(w, depth)->branch = n;
                return walk_value(w, avro_schema_union_branch(s, (int)n),
                                  depth + 1);
        case AVRO_RECORD:
                for (size_t i = 0; i < avro_schema_record_size(s); i++) {
                        if (depth == 0) {
                                w->top = s;
                                w->cur = i;
                                if (w->fields && i < w->n_fields)
                                        w->fields[i] =
                                                (hw_avro_field_t){-1, NULL, 0};
                        }
                        if ((err = walk_value(
                                     w,
                                     avro_schema_record_field_get_by_index(
                                             s, (int)i),
                                     depth + 1)))
                                return err;
                }
                return HW_OK;
        case AVRO_ARRAY:
        case AVRO_MAP:
                /* Blocks: count (negative: followed by a byte size), items,
                 * until a zero count. Each item takes at least one byte for
                 * these schemas' item types, which bounds the loop. */
                for (;;) {
                        if ((err = walk_long(w, &n)))
                                return err;
                        if (n == 0)
                                return HW_OK;
                        if (n < 0) {
                                int64_t bytes;
                                if (n == INT64_MIN)
                                        return walk_fail(w, "bad block count");
                                n = -n;
                                if ((err = walk_long(w, &bytes)))
                                        return err;
                                if (bytes < 0 || bytes > w->end - w->p)
                                        return walk_fail(w, "block size is "
                                                            "not within the "
                                                            "message");
                        }
                        if (n > w->end - w->p)
                                return walk_fail(w, "block count is larger "
                                                    "than the bytes left");
                        for (int64_t i = 0; i < n; i++) {
                                int64_t klen;
                                if (avro_typeof(s) == AVRO_MAP &&
                                    ((err = walk_long(w, &klen)) ||
                                     (err = walk_skip(w, klen, "map key"))))
                                        return err;
                                if ((err = walk_value(
                                             w,
                                             avro_typeof(s) == AVRO_MAP
                                                     ? avro_schema_map_values(s)
                                                     : avro_schema_array_items(
                                                               s),
                                             depth + 1)))
                                        return err;
                        }
                }
        case AVRO_LINK:
                return walk_value(w, avro_schema_link_target(s), depth + 1);
        }
        return walk_fail(w, "unsupported schema type");
}

hw_err_t hw_avro_walk(avro_schema_t schema, const char *label,
                      const unsigned char *body, size_t len,
                      hw_avro_field_t *fields, size_t n_fields, char *errstr,
                      size_t size) {
        avro_walk_t w = {body,
                         body + len,
                         NULL,
                         errstr,
                         size,
                         fields,
                         fields ? n_fields : 0,
                         0};
        hw_err_t err;

        if ((err = walk_value(&w, schema, 0)))
                return err;
        if (w.p != w.end)
                return hw_fail(HW_ERR_DECODE, errstr, size,
                               "%td trailing bytes after the %s record",
                               w.end - w.p, label);
        return HW_OK;
}
