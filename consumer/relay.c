/*
 * hirewire-consumer's alert relay: the hw:alerts stream to the alerts
 * topic, moved on only once Kafka confirmed delivery.
 */
#include "consumer.h"

/* The Schema Registry's id of the Alert schema for topic.alerts (asked
 * once, then cached), or 0 without a registry. */
hw_err_t hw_consumer_alert_schema_id(consumer_t *c, int32_t *id, char *errstr,
                                     size_t size) {
        *id = 0;
        if (!c->registry)
                return HW_OK;
        return hw_registry_topic_id(c->registry, c->conf.topic_alerts,
                                    hw_codec_schema_json(HW_SCHEMA_ALERT_V1),
                                    id, errstr, size);
}

/*
 * The alert outbox: relays the hw:alerts stream entries after the relayed
 * position to the alerts topic (Avro Alert, key alert_id). It does not
 * wait: the entries produced are in flight until a later call sees every
 * delivery confirmed and only then moves the position (so counting never
 * waits for Kafka). A crash or a failed delivery sends some alerts again
 * (same alert_id); none is lost. With `wait`, it blocks until what is in
 * flight is confirmed (used before exiting). Returns -1 when Kafka or Redis
 * failed (a later call retries).
 */
int hw_consumer_relay_alerts(consumer_t *c, int wait) {
        char last[48], errstr[512];
        size_t n;
        int32_t wire_id;

        if (!c->conf.alerts_relay)
                return 0;
        if (c->relay_pending[0]) {
                rd_kafka_poll(c->dlq, 0);
                for (int64_t deadline = hw_consumer_mono_ms() + 30000;
                     wait && rd_kafka_outq_len(c->dlq) > 0 &&
                     hw_consumer_mono_ms() < deadline;)
                        rd_kafka_flush(c->dlq, 100);
                if (rd_kafka_outq_len(c->dlq) > 0 && !c->relay_failed)
                        return 0; /* still in flight */
                if (c->relay_failed || rd_kafka_outq_len(c->dlq) > 0) {
                        c->relay_pending[0] = '\0';
                        snprintf(errstr, sizeof(errstr),
                                 "alerts topic %s unavailable",
                                 c->conf.topic_alerts);
                        goto fail;
                }
                if (hw_store_set_alert_position(c->store, HW_KEY_ALERTS_RELAYED,
                                                c->relay_pending, errstr,
                                                sizeof(errstr)))
                        goto fail;
                c->relay_pending[0] = '\0';
        }
        if (hw_store_get_alert_position(c->store, HW_KEY_ALERTS_RELAYED, last,
                                        sizeof(last), errstr, sizeof(errstr)) ||
            hw_store_read_alerts(c->store, last, c->relay, RELAY_BATCH, &n,
                                 errstr, sizeof(errstr)))
                goto fail;
        if (!n)
                return 0;
        if (hw_consumer_alert_schema_id(c, &wire_id, errstr, sizeof(errstr)))
                goto fail;
        c->relay_failed = 0;
        for (size_t i = 0; i < n; i++) {
                const hw_alert_t *a = &c->relay[i].alert;
                rd_kafka_resp_err_t err;
                if (!a->alert_id)
                        continue; /* damaged entry: skipped */
                if (hw_codec_encode_alert(c->codec, a, &c->payload, errstr,
                                          sizeof(errstr))) {
                        HW_WARN("consumer", "alert %s: %s", a->alert_id,
                                errstr);
                        continue;
                }
                if (wire_id)
                        hw_codec_set_frame_id(&c->payload, wire_id);
                do {
                        err = rd_kafka_producev(
                                c->dlq, RD_KAFKA_V_TOPIC(c->conf.topic_alerts),
                                RD_KAFKA_V_KEY(a->alert_id,
                                               strlen(a->alert_id)),
                                RD_KAFKA_V_VALUE(c->payload.data,
                                                 c->payload.len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_OPAQUE(&hw_consumer_alert_mark),
                                RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(c->dlq, 50);
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                if (err)
                        c->relay_failed++;
        }
        snprintf(c->relay_pending, sizeof(c->relay_pending), "%s",
                 c->relay[n - 1].id);
        /* Produced (copied): their strings go, not kept for the next
         * read (a thousand arenas, 2 MiB once a step raised many). */
        for (size_t i = 0; i < n; i++)
                hw_alert_release(&c->relay[i].alert);
        return wait ? hw_consumer_relay_alerts(c, 1) : 0;
fail:
        /* Once a minute, as the outages' own warnings. */
        if (hw_consumer_warn_due(c->relay_warned, hw_consumer_mono_ms())) {
                HW_WARN("consumer", "alert relay: %s; retrying later", errstr);
                c->relay_warned = hw_consumer_mono_ms();
        }
        return -1;
}
