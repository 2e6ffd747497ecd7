/*
 * The walk of an Avro body against its writer schema (hw_avro_walk.h):
 * pure, it reads only the bytes it is given and allocates nothing.
 */
#include "hw_avro_walk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"

/* One type of the schema. Children (a record's fields, a union's
 * branches, an array's items, a map's values, a link's target) are node
 * indexes kids[first .. first + count). */
typedef struct walk_node_s {
        avro_type_t type;
        int64_t n; /* record fields, union branches, enum symbols, fixed
                      size */
        size_t first;
        avro_schema_t schema; /* named types: to find them again through a
                                 link; records: to name a failing field */
} walk_node_t;

struct hw_avro_prog_s {
        walk_node_t *nodes;
        size_t n_nodes, nodes_cap;
        size_t *kids;
        size_t n_kids, kids_cap;
};

/* The node of schema s, compiling it (and what it holds) when it has none
 * yet; a named type reached again through a link is compiled once. -1
 * when out of memory. */
static long compile(hw_avro_prog_t *p, avro_schema_t s) {
        size_t self, n_kids = 0, *kids;
        walk_node_t node = {avro_typeof(s), 0, 0, NULL};

        if (is_avro_named_type(s)) {
                for (size_t i = 0; i < p->n_nodes; i++)
                        if (p->nodes[i].schema == s)
                                return (long)i;
                node.schema = s;
        }
        switch (node.type) {
        case AVRO_FIXED:
                node.n = avro_schema_fixed_size(s);
                break;
        case AVRO_ENUM:
                node.n = avro_schema_enum_number_of_symbols(s);
                break;
        case AVRO_UNION:
                n_kids = avro_schema_union_size(s);
                break;
        case AVRO_RECORD:
                n_kids = avro_schema_record_size(s);
                break;
        case AVRO_ARRAY:
        case AVRO_MAP:
        case AVRO_LINK:
                n_kids = 1;
                break;
        default:
                break;
        }
        if (node.type == AVRO_UNION || node.type == AVRO_RECORD)
                node.n = (int64_t)n_kids;
        if (hw_grow((void **)&p->nodes, &p->nodes_cap, p->n_nodes + 1,
                    sizeof(*p->nodes)))
                return -1;
        self = p->n_nodes++;
        p->nodes[self] = node; /* found from here on, children to come */
        if (!n_kids)
                return (long)self;
        /* The children first, then their indexes side by side. */
        if (!(kids = malloc(n_kids * sizeof(*kids))))
                return -1;
        for (size_t i = 0; i < n_kids; i++) {
                avro_schema_t k =
                        node.type == AVRO_UNION
                                ? avro_schema_union_branch(s, (int)i)
                        : node.type == AVRO_RECORD
                                ? avro_schema_record_field_get_by_index(s,
                                                                        (int)i)
                        : node.type == AVRO_ARRAY ? avro_schema_array_items(s)
                        : node.type == AVRO_MAP   ? avro_schema_map_values(s)
                                                  : avro_schema_link_target(s);
                long at = compile(p, k);
                if (at < 0) {
                        free(kids);
                        return -1;
                }
                kids[i] = (size_t)at;
        }
        if (hw_grow((void **)&p->kids, &p->kids_cap, p->n_kids + n_kids,
                    sizeof(*p->kids))) {
                free(kids);
                return -1;
        }
        p->nodes[self].first = p->n_kids;
        memcpy(p->kids + p->n_kids, kids, n_kids * sizeof(*kids));
        p->n_kids += n_kids;
        free(kids);
        return (long)self;
}

void hw_avro_prog_free(hw_avro_prog_t *prog) {
        if (!prog)
                return;
        free(prog->nodes);
        free(prog->kids);
        free(prog);
}

hw_err_t hw_avro_prog_new(avro_schema_t schema, hw_avro_prog_t **out) {
        hw_avro_prog_t *p = calloc(1, sizeof(*p));

        *out = NULL;
        if (!p || compile(p, schema) != 0) {
                hw_avro_prog_free(p);
                return HW_ERR_NOMEM;
        }
        *out = p;
        return HW_OK;
}

typedef struct avro_walk_s {
        const hw_avro_prog_t *prog;
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

static hw_err_t walk_value(avro_walk_t *w, size_t at, int depth) {
        const walk_node_t *s = &w->prog->nodes[at];
        const size_t *kids = w->prog->kids + s->first;
        int64_t n;
        hw_err_t err;

        if (depth > 32)
                return walk_fail(w, "schema nested too deeply");
        switch (s->type) {
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
                return walk_skip(w, s->n, "fixed");
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
                if (n < 0 || n >= s->n)
                        return walk_fail(w, "enum index out of range");
                if (noted(w, depth))
                        noted(w, depth)->num = n;
                return HW_OK;
        case AVRO_UNION:
                if ((err = walk_long(w, &n)))
                        return err;
                if (n < 0 || n >= s->n)
                        return walk_fail(w, "union branch out of range");
                if (depth == 1 && noted(w, depth))
                        noted(w, depth)->branch = n;
                return walk_value(w, kids[n], depth + 1);
        case AVRO_RECORD:
                for (size_t i = 0; i < (size_t)s->n; i++) {
                        if (depth == 0) {
                                w->top = s->schema;
                                w->cur = i;
                                if (w->fields && i < w->n_fields)
                                        w->fields[i] =
                                                (hw_avro_field_t){-1, NULL, 0};
                        }
                        if ((err = walk_value(w, kids[i], depth + 1)))
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
                                if (s->type == AVRO_MAP &&
                                    ((err = walk_long(w, &klen)) ||
                                     (err = walk_skip(w, klen, "map key"))))
                                        return err;
                                if ((err = walk_value(w, kids[0], depth + 1)))
                                        return err;
                        }
                }
        case AVRO_LINK:
                return walk_value(w, kids[0], depth + 1);
        }
        return walk_fail(w, "unsupported schema type");
}

hw_err_t hw_avro_walk_prog(const hw_avro_prog_t *prog, const char *label,
                           const unsigned char *body, size_t len,
                           hw_avro_field_t *fields, size_t n_fields,
                           char *errstr, size_t size) {
        avro_walk_t w = {prog,   body, body + len, NULL,
                         errstr, size, fields,     fields ? n_fields : 0,
                         0};
        hw_err_t err;

        if ((err = walk_value(&w, 0, 0)))
                return err;
        if (w.p != w.end)
                return hw_fail(HW_ERR_DECODE, errstr, size,
                               "%td trailing bytes after the %s record",
                               w.end - w.p, label);
        return HW_OK;
}

hw_err_t hw_avro_walk(avro_schema_t schema, const char *label,
                      const unsigned char *body, size_t len,
                      hw_avro_field_t *fields, size_t n_fields, char *errstr,
                      size_t size) {
        hw_avro_prog_t *prog;
        hw_err_t err;

        if (hw_avro_prog_new(schema, &prog))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        err = hw_avro_walk_prog(prog, label, body, len, fields, n_fields,
                                errstr, size);
        hw_avro_prog_free(prog);
        return err;
}
