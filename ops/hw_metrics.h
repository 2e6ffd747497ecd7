/*
 * Prometheus metrics and health of hirewire-consumer, served over HTTP
 * (libmicrohttpd, its own thread):
 *   GET /metrics  text exposition format 0.0.4
 *   GET /healthz  200 "ok" while ready, else 503 with the reason
 * Counters are updated lock-free from the consumer thread.
 */
#ifndef HW_METRICS_H
#define HW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hw_buf.h"
#include "hw_err.h"

typedef enum hw_counter_e {
        HW_M_CONSUMED = 0, /* messages read from Kafka */
        HW_M_APPLIED,      /* events applied to Redis */
        HW_M_DUPLICATES,   /* events skipped: event_id seen before */
        HW_M_REPEATED,     /* hires of a person already in the lab */
        HW_M_DLQ_PRODUCED, /* rejected messages delivered to the DLQ */
        HW_M_BATCHES,      /* atomic steps applied */
        HW_M_FENCED, /* batches dropped: offsets moved by another consumer */
        HW_M_REDIS_ERRORS,      /* failed Redis round trips (retried) */
        HW_M_REGISTRY_REQUESTS, /* requests to the Schema Registry */
        HW_M_REGISTRY_ERRORS,   /* of which unanswered (retried) */
        HW_M_ALERTS_RAISED,     /* alerts written to the stream */
        HW_M_ALERTS_RELAYED,    /* alerts Kafka confirmed on the alerts topic */
        HW_M_WEBHOOK_DELIVERED, /* alerts the webhook answered 2xx */
        HW_M_WEBHOOK_FAILED,    /* webhook POSTs that failed (retried) */
        HW_M_COUNTER_COUNT
} hw_counter_t;

typedef struct hw_metrics_s hw_metrics_t;

/* Creates the registry (nothing is served yet). NULL when out of memory. */
hw_metrics_t *hw_metrics_new(void);

/* Stops serving and frees; accepts NULL. */
void hw_metrics_destroy(hw_metrics_t *m);

/* Adds n to a counter. Thread-safe; can't fail. */
void hw_metrics_add(hw_metrics_t *m, hw_counter_t counter, uint64_t n);

/* Counts one rejected message of class `error_class` (the hw.error value,
 * e.g. "invalid_field"). Thread-safe. */
void hw_metrics_rejected(hw_metrics_t *m, const char *error_class);

/* Records the duration of one batch flush into the histogram
 * hirewire_batch_flush_seconds. Thread-safe. */
void hw_metrics_observe_flush(hw_metrics_t *m, double seconds);

/* Sets the lag (high watermark - position) of one partition; lag < 0
 * removes the partition (e.g. after revocation). Thread-safe. */
void hw_metrics_set_lag(hw_metrics_t *m, const char *topic, int partition,
                        int64_t lag);

/* Sets the version hirewire_build_info reports (copied; default
 * "unknown"). */
void hw_metrics_set_version(hw_metrics_t *m, const char *version);

/* Sets readiness for /healthz; `why` (copied) explains a not-ready state. */
void hw_metrics_set_ready(hw_metrics_t *m, int ready, const char *why);

/* Writes the exposition text into out (replacing its content). Returns
 * HW_OK, or HW_ERR_NOMEM with out emptied. */
hw_err_t hw_metrics_render(hw_metrics_t *m, hw_buf_t *out);

/*
 * Starts serving on addr ("127.0.0.1:9464"; port 0 picks a free port).
 * ("off" is the caller's business: it is not an address.)
 * The address actually bound is written to bound (e.g. "127.0.0.1:40123").
 * Returns HW_ERR_ARG for a malformed address, HW_ERR_IO when it cannot bind.
 */
hw_err_t hw_metrics_serve(hw_metrics_t *m, const char *addr, char *bound,
                          size_t bound_size, char *errstr, size_t errstr_size);

#endif
