/*
 * An alert raised by a rule (Avro hirewire.Alert v1). Strings and arrays are
 * owned by the alert's arena.
 */
#ifndef HW_ALERT_H
#define HW_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "hw_arena.h"

typedef enum hw_severity_e {
        HW_SEVERITY_INFO = 0,
        HW_SEVERITY_WARN,
        HW_SEVERITY_CRITICAL,
        HW_SEVERITY_COUNT
} hw_severity_t;

typedef struct hw_alert_attr_s {
        const char *key;
        const char *value;
} hw_alert_attr_t;

typedef struct hw_alert_s {
        const char *alert_id;
        const char *rule;
        hw_severity_t severity;
        int64_t raised_at;  /* ms */
        int64_t event_time; /* ms */
        const char *subject;
        const char *summary;
        const char **event_ids;
        size_t n_event_ids;
        hw_alert_attr_t *attributes;
        size_t n_attributes;
        hw_arena_t arena;
} hw_alert_t;

/* Prepares an empty alert (caller storage). */
void hw_alert_init(hw_alert_t *alert);

/* Empties the alert, keeping arena memory for reuse. */
void hw_alert_reset(hw_alert_t *alert);

/* Frees the alert's memory. */
void hw_alert_release(hw_alert_t *alert);

/* Copies s into the alert's arena; NULL when out of memory. */
const char *hw_alert_strdup(hw_alert_t *alert, const char *s, size_t len);

/* Allocates room for n event ids / n attributes (zeroed); -1 when out of
 * memory. */
int hw_alert_alloc_event_ids(hw_alert_t *alert, size_t n);
int hw_alert_alloc_attributes(hw_alert_t *alert, size_t n);

const char *hw_severity_name(hw_severity_t severity);
/* -1 for an unknown name. */
int hw_severity_parse(const char *name);

#endif
