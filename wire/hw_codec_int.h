/*
 * What the files of the codec share (wire/): its state, its schemas, and
 * how a message's writer schema is found. hw_codec.c holds the schemas
 * and the header; hw_codec_decode.c decoding; hw_codec_encode.c encoding.
 * Not for use outside wire/: hw_codec.h is the codec's interface.
 */
#ifndef HW_CODEC_INT_H
#define HW_CODEC_INT_H

#include "hw_codec.h"

#include <avro.h>
#include <string.h>

#include "hw_avro_walk.h"
#include "hw_schemas.h"

#define HW_MAX_FIELDS 32
/* Fields a writer schema of an event may have: decoding walks them all
 * (hw_avro_walk) into a table this long. */
#define HW_WRITER_FIELDS_MAX 64

/* One writer schema, parsed, with a reusable value: from the local
 * registry, or fetched from the Schema Registry into the codec's cache. */
typedef struct hw_codec_schema_s {
        const hw_schema_def_t *def; /* local registry entry, else NULL */
        int32_t id;                 /* the id messages carry */
        char label[96];             /* "hirewire.HireEvent v2" for messages */
        hw_schema_kind_t kind;
        avro_schema_t schema;
        hw_avro_prog_t *prog; /* schema compiled for the walk */
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

/* The codec's schema with local id `id`, or NULL. */
hw_codec_schema_t *hw_codec_find_schema(hw_codec_t *c, int id);

/*
 * Checks the 5-byte header (and the size limit) and finds the writer
 * schema (now_ms: the clock for the Schema Registry cache). On failure the
 * rejection class: HW_ERR_TOO_LARGE, HW_ERR_BAD_FRAMING,
 * HW_ERR_UNKNOWN_SCHEMA, or HW_ERR_SERVICE / HW_ERR_NOMEM from the Schema
 * Registry.
 */
hw_err_t hw_codec_read_header(hw_codec_t *c, const unsigned char *p, size_t len,
                              int64_t now_ms, hw_codec_schema_t **out,
                              char *errstr, size_t size);

#endif
