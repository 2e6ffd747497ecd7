/*
 * The alert webhook: a thread that POSTs each alert of the hw:alerts
 * stream as JSON to a configured URL, in stream order, with a timeout and
 * retries with capped backoff (alerts.webhook.retry.min.ms doubling up to
 * .max.ms; Redis errors back off the same way). The answer's body is
 * ignored; a failure is logged with libcurl's reason or the HTTP status
 * (or "out of memory" when the alert's body cannot be made whole: no
 * POST then).
 * Its position in the stream is kept in Redis (hw:alerts:webhook) and
 * moves only after a 2xx answer, so every alert is delivered at least
 * once, also across restarts. It has its own Redis connection and never
 * blocks the consumer's counting.
 */
#ifndef HW_WEBHOOK_H
#define HW_WEBHOOK_H

#include <stddef.h>

#include "hw_config.h"
#include "hw_err.h"
#include "hw_metrics.h"

typedef struct hw_webhook_s hw_webhook_t;

/* Starts delivering to conf->alert_webhook_url (conf must outlive the
 * webhook), counting deliveries and failures in metrics (NULL: none).
 * Returns NULL with errstr set when the thread or the HTTP client cannot be
 * created. */
hw_webhook_t *hw_webhook_start(const hw_config_t *conf, const char *group,
                               hw_metrics_t *metrics, char *errstr,
                               size_t errstr_size);

/* Stops the thread: a delivery in progress finishes or times out first.
 * Accepts NULL. */
void hw_webhook_stop(hw_webhook_t *w);

#endif
