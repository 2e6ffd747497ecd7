#include "hw_avro_schema.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_map.h"

/* The named types a schema text defines, by full name. */
typedef struct names_s {
        hw_map_t seen;
        const char *dup; /* the full name defined twice (in seen's arena) */
        int nomem;
} names_t;

static int is_definition(const char *type) {
        return !strcmp(type, "record") || !strcmp(type, "enum") ||
               !strcmp(type, "fixed");
}

/*
 * Records the full name ns.name (name alone without ns); its namespace
 * part, for a record's fields, into *space (in the map's arena). Returns
 * -1 when it was defined before (names->dup) or out of memory.
 */
static int define(names_t *names, const char *ns, const char *name,
                  const char **space) {
        size_t n_ns = ns ? strlen(ns) : 0, n_name = strlen(name);
        size_t len = n_ns + (ns ? 1 : 0) + n_name;
        char *full = malloc(len + 1);
        hw_map_entry_t *e;
        int created = 0;

        if (!full) {
                names->nomem = 1;
                return -1;
        }
        snprintf(full, len + 1, "%s%s%s", ns ? ns : "", ns ? "." : "", name);
        e = hw_map_upsert(&names->seen, full, len, &created);
        free(full);
        if (!e) {
                names->nomem = 1;
                return -1;
        }
        if (!created) {
                names->dup = e->key;
                return -1;
        }
        /* The namespace is the full name up to its last dot. */
        name = strrchr(e->key, '.');
        *space = name ? hw_map_strdup(&names->seen, e->key,
                                      (size_t)(name - e->key))
                      : NULL;
        if (name && !*space) {
                names->nomem = 1;
                return -1;
        }
        return 0;
}

/*
 * Walks the type json as Avro C's parser does, recording each named type
 * it defines under its full name: a dotted name is full already;
 * otherwise the type's own "namespace" or else the enclosing record's
 * (ns) qualifies it. Returns -1 at the first full name defined twice or
 * when out of memory. Avro C recurses as deep as the JSON nests, and
 * jansson bounds that, so this does too.
 */
static int walk_type(json_t *json, const char *ns, names_t *names) {
        const char *type, *name, *own_ns, *space;
        json_t *v;
        size_t i;

        if (json_is_array(json)) {
                json_array_foreach(json, i, v) {
                        if (walk_type(v, ns, names))
                                return -1;
                }
                return 0;
        }
        if (!json_is_object(json) ||
            !(type = json_string_value(json_object_get(json, "type"))))
                return 0;
        if (!strcmp(type, "array"))
                return walk_type(json_object_get(json, "items"), ns, names);
        if (!strcmp(type, "map"))
                return walk_type(json_object_get(json, "values"), ns, names);
        if (!is_definition(type) ||
            !(name = json_string_value(json_object_get(json, "name"))))
                return 0;
        own_ns = json_string_value(json_object_get(json, "namespace"));
        if (strchr(name, '.'))
                own_ns = NULL;
        else if (!own_ns)
                own_ns = ns;
        if (define(names, own_ns, name, &space))
                return -1;
        if (strcmp(type, "record"))
                return 0;
        json_array_foreach(json_object_get(json, "fields"), i, v) {
                if (walk_type(json_object_get(v, "type"), space, names))
                        return -1;
        }
        return 0;
}

hw_err_t hw_avro_schema_parse(const char *json, size_t len,
                              avro_schema_t *schema, char *errstr,
                              size_t size) {
        names_t names = {.dup = NULL, .nomem = 0};
        hw_err_t err = HW_OK;
        json_error_t jerr;
        json_t *root;

        *schema = NULL;
        root = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
        if (!root)
                return hw_fail(HW_ERR_DECODE, errstr, size,
                               "not JSON: %s (line %d)", jerr.text, jerr.line);
        hw_map_init(&names.seen);
        if (walk_type(root, NULL, &names)) {
                err = names.nomem ? hw_fail(HW_ERR_NOMEM, errstr, size,
                                            "out of memory")
                                  : hw_fail(HW_ERR_DECODE, errstr, size,
                                            "named type %s is defined twice",
                                            names.dup);
        }
        hw_map_release(&names.seen);
        json_decref(root);
        if (!err && avro_schema_from_json_length(json, len, schema)) {
                *schema = NULL;
                err = hw_fail(HW_ERR_DECODE, errstr, size, "%s",
                              avro_strerror());
        }
        return err;
}
