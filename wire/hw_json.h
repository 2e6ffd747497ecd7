/*
 * NDJSON form of events: the producer's input and the form printed by
 * `hirewire-produce --dry-run`. One JSON object per event with "type"
 * ("hire" | "offer") and the fields of the current schema; timestamps are
 * ISO 8601 strings or integer milliseconds; enums are their symbols.
 */
#ifndef HW_JSON_H
#define HW_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "hw_buf.h"
#include "hw_err.h"
#include "hw_event.h"

/*
 * Parses one JSON object into ev (reset first). Checks structure and types
 * only; the caller runs hw_validate_event() for the semantic rules.
 * Returns HW_ERR_DECODE for text that is not a JSON object and
 * HW_ERR_INVALID_FIELD for a missing, unknown or mistyped field, with errstr
 * naming it.
 */
hw_err_t hw_json_parse_event(const char *text, size_t len, hw_event_t *ev,
                             char *errstr, size_t errstr_size);

/* hw_json_parse_event, then the rules of hw_validate_event, with every
 * problem of the line in errstr ("; " between them): each bad field once,
 * the fields that parsed checked too. */
hw_err_t hw_json_check_event(const char *text, size_t len, hw_event_t *ev,
                             int64_t now_ms, char *errstr, size_t errstr_size);

/* Appends ev as one JSON object (no newline) to out; -1 when out of
 * memory. Timestamps are written as ISO 8601 UTC. */
int hw_json_write_event(const hw_event_t *ev, hw_buf_t *out);

#endif
