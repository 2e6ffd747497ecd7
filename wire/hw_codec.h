/*
 * Confluent-framed Avro codec for hirewire events and alerts.
 *
 * Wire format: byte 0 = 0x00, bytes 1-4 = schema id (big-endian), then the
 * Avro binary body. Schemas come from the local registry compiled in from
 * schemas/ (ids 1-4), or, for decoding, from a Schema Registry
 * (hw_codec_use_registry). A codec parses its schemas and creates its Avro
 * values once; decoding and encoding then reuse them, so a codec is not
 * thread-safe: use one per thread.
 */
#ifndef HW_CODEC_H
#define HW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "hw_alert.h"
#include "hw_buf.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_registry.h"

#define HW_SCHEMA_HIRE_V1 1
#define HW_SCHEMA_HIRE_V2 2
#define HW_SCHEMA_OFFER_V1 3
#define HW_SCHEMA_ALERT_V1 4

/* Default largest message the consumer accepts (SPEC §3). */
#define HW_CODEC_MAX_MESSAGE_DEFAULT (64 * 1024)

typedef struct hw_codec_s hw_codec_t;

/* What a registered schema holds. */
typedef enum hw_schema_kind_e {
        HW_SCHEMA_KIND_HIRE = HW_EVENT_HIRE,
        HW_SCHEMA_KIND_OFFER = HW_EVENT_OFFER,
        HW_SCHEMA_KIND_ALERT,
} hw_schema_kind_t;

/*
 * Creates a codec with every schema of the local registry. Returns NULL and
 * fills errstr if a schema does not parse or the current schemas cannot read
 * an older version (a reader field missing from a writer has no default).
 */
hw_codec_t *hw_codec_new(char *errstr, size_t errstr_size);

/* Destroys the codec; accepts NULL. */
void hw_codec_destroy(hw_codec_t *codec);

/* Sets the size limit checked by hw_codec_decode (bytes, framing included). */
void hw_codec_set_max_message(hw_codec_t *codec, size_t max_bytes);

/*
 * Decodes with the writer schemas of a Schema Registry (registry is not
 * owned and must outlive the codec's decoding) instead of the local
 * registry: each id is fetched once and cached, at most cache_max schemas,
 * the least recently used evicted first. An id the registry lacks is
 * remembered for a minute. Encoding still frames the local ids (see
 * hw_codec_set_frame_id). Returns HW_ERR_NOMEM, the codec unchanged.
 */
hw_err_t hw_codec_use_registry(hw_codec_t *codec, hw_registry_t *registry,
                               size_t cache_max);

/* Schema Registry entries in the cache (known and missing ids). */
size_t hw_codec_cached_schemas(const hw_codec_t *codec);

/*
 * Decodes a framed hire or offer into ev (which is reset first) and
 * validates it against the clock value now_ms. Older writer schemas are
 * resolved to the current one: a v1 hire reads with v2's defaults.
 * On failure returns the rejection class (HW_ERR_TOO_LARGE,
 * HW_ERR_BAD_FRAMING, HW_ERR_UNKNOWN_SCHEMA, HW_ERR_DECODE,
 * HW_ERR_INVALID_FIELD) with errstr naming the field or byte at fault;
 * ev then holds no valid event. With a Schema Registry, HW_ERR_SERVICE
 * means it could not be asked for the writer schema: the message is not
 * bad, and may be decoded later. No allocation is larger than the message.
 */
hw_err_t hw_codec_decode(hw_codec_t *codec, const void *data, size_t len,
                         int64_t now_ms, hw_event_t *ev, char *errstr,
                         size_t errstr_size);

/* The same, with ev's strings in strings (an arena that outlives ev's
 * own, e.g. a batch's) instead of ev's arena: the event can then be
 * kept by copying it, strings not copied. What a rejected message's
 * strings took stays in strings until it is reset. */
hw_err_t hw_codec_decode_in(hw_codec_t *codec, const void *data, size_t len,
                            int64_t now_ms, hw_event_t *ev, hw_arena_t *strings,
                            char *errstr, size_t errstr_size);

/*
 * Encodes ev with schema_id (0 = the current schema of its type) into out,
 * replacing its content. Encoding does not validate; callers validate
 * first. Returns HW_ERR_ARG for a schema of another type.
 */
hw_err_t hw_codec_encode(hw_codec_t *codec, const hw_event_t *ev, int schema_id,
                         hw_buf_t *out, char *errstr, size_t errstr_size);

/* Encodes an alert with schema id 4 into out. */
hw_err_t hw_codec_encode_alert(hw_codec_t *codec, const hw_alert_t *alert,
                               hw_buf_t *out, char *errstr, size_t errstr_size);

/* Decodes a framed alert into alert (reset first). Errors as for
 * hw_codec_decode; only structural checks are made. */
hw_err_t hw_codec_decode_alert(hw_codec_t *codec, const void *data, size_t len,
                               hw_alert_t *alert, char *errstr,
                               size_t errstr_size);

/* Replaces the schema id in the header of a framed message (5 bytes or
 * more), e.g. with the Schema Registry's id of the schema it was encoded
 * with. */
void hw_codec_set_frame_id(hw_buf_t *framed, int32_t id);

/* The local id of the schema encoding writes for kind. */
int hw_codec_current_schema(hw_schema_kind_t kind);

/* Schema JSON, subject ("hirewire.HireEvent") and version of a registry id;
 * NULL / 0 when the id is unknown. */
const char *hw_codec_schema_json(int schema_id);
const char *hw_codec_schema_subject(int schema_id);
int hw_codec_schema_version(int schema_id);

#endif
