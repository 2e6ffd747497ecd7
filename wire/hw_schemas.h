/* The local schema registry, compiled in from schemas/registry.json by the
 * build (hw_schemas_gen.c). Internal to the codec. */
#ifndef HW_SCHEMAS_H
#define HW_SCHEMAS_H

#include <stddef.h>

typedef struct hw_schema_def_s {
        int id;
        const char *subject; /* "hirewire.HireEvent" */
        int version;
        int current;      /* the version producers write */
        const char *json; /* the .avsc text */
} hw_schema_def_t;

extern const hw_schema_def_t hw_schema_defs[];
extern const size_t hw_schema_def_count;

#endif
