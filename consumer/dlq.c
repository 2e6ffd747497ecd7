/*
 * hirewire-consumer's dead-letter queue: a batch's rejected messages
 * delivered (each record is kafka/hw_dlq.c's), and the warnings that say
 * how many.
 */
#include "consumer.h"
#include "hw_dlq.h"

/* Marks relayed alerts among the producer's messages. */
char hw_consumer_alert_mark;

void hw_consumer_dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                           void *opaque) {
        consumer_t *c = opaque;
        (void)rk;
        if (m->_private == &hw_consumer_alert_mark) {
                if (m->err) {
                        c->relay_failed++;
                        HW_WARN("consumer", "alert delivery failed: %s",
                                rd_kafka_err2str(m->err));
                } else {
                        hw_metrics_add(c->metrics, HW_M_ALERTS_RELAYED, 1);
                }
                return;
        }
        if (m->err) {
                c->dlq_failed++;
                HW_WARN("consumer", "DLQ delivery failed: %s",
                        rd_kafka_err2str(m->err));
        } else {
                hw_metrics_add(c->metrics, HW_M_DLQ_PRODUCED, 1);
        }
}

/* Delivers the batch's rejected messages to the DLQ, unchanged, with the
 * SPEC headers; waits for every delivery. Returns -1 if any failed. */
int hw_consumer_deliver_rejects(consumer_t *c, hw_batch_t *b) {
        int64_t deadline;

        /* A replay reads what the live consumer already dead-lettered. */
        if (!b->n_rejects || c->replay)
                return 0;
        c->dlq_failed = 0;
        for (size_t i = 0; i < b->n_rejects; i++) {
                const hw_batch_reject_t *r = &b->rejects[i];
                rd_kafka_resp_err_t err =
                        hw_dlq_produce(c->dlq, c->conf.topic_dlq, r->msg,
                                       hw_err_name(r->error), r->reason,
                                       c->conf.dlq_max_message_bytes, NULL);
                if (err) {
                        HW_WARN("consumer", "cannot produce to DLQ: %s",
                                rd_kafka_err2str(err));
                        c->dlq_failed++;
                }
        }
        deadline = hw_consumer_mono_ms() + 30000;
        while (rd_kafka_outq_len(c->dlq) > 0 &&
               hw_consumer_mono_ms() < deadline)
                rd_kafka_flush(c->dlq, 100);
        return c->dlq_failed || rd_kafka_outq_len(c->dlq) > 0 ? -1 : 0;
}

/* One warning per rejection class with messages not reported yet, at most
 * once a minute per class (all of them when `all`, at exit): how many,
 * and the first one's place and reason. */
void hw_consumer_report_rejects(consumer_t *c, int all) {
        int64_t now = hw_consumer_mono_ms();
        for (int k = 1; k < REJECT_CLASSES; k++) {
                rejects_seen_t *r = &c->rejects[k];
                if (!r->pending ||
                    (!all && !hw_consumer_warn_due(r->warned_ms, now)))
                        continue;
                HW_LOG_KV(HW_LOG_WARN, "consumer",
                          "rejected messages sent to the dead-letter topic",
                          "class=%s count=%" PRIu64 " total=%" PRIu64
                          " topic=%s example=\"%s\"",
                          hw_err_name((hw_err_t)k), r->pending, r->total,
                          c->conf.topic_dlq, r->example);
                r->pending = 0;
                r->warned_ms = now;
        }
}
