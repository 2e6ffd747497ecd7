#include "hw_dlq.h"

#include <inttypes.h>
#include <stdio.h>

rd_kafka_resp_err_t hw_dlq_produce(rd_kafka_t *p, const char *topic,
                                   const rd_kafka_message_t *m,
                                   const char *error, const char *reason,
                                   size_t max_bytes, void *opaque) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(6);
        char part[16], off[24], omitted[96];
        /* Too large for the DLQ topic: the headers say where the message
         * is and how big it was, without its bytes. */
        int omit = m->len > max_bytes;
        rd_kafka_resp_err_t err;

        snprintf(part, sizeof(part), "%" PRId32, m->partition);
        snprintf(off, sizeof(off), "%" PRId64, m->offset);
        rd_kafka_header_add(h, "hw.error", -1, error, -1);
        rd_kafka_header_add(h, "hw.reason", -1, reason, -1);
        rd_kafka_header_add(h, "hw.src.topic", -1, rd_kafka_topic_name(m->rkt),
                            -1);
        rd_kafka_header_add(h, "hw.src.partition", -1, part, -1);
        rd_kafka_header_add(h, "hw.src.offset", -1, off, -1);
        if (omit) {
                snprintf(omitted, sizeof(omitted),
                         "%zu bytes, over dlq.max.message.bytes", m->len);
                rd_kafka_header_add(h, "hw.value.omitted", -1, omitted, -1);
        }
        do {
                err = rd_kafka_producev(
                        p, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_KEY(m->key, m->key_len),
                        /* Parenthesised: the macro casts its argument. */
                        RD_KAFKA_V_VALUE((omit ? NULL : m->payload),
                                         (omit ? 0 : m->len)),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(opaque),
                        RD_KAFKA_V_END);
                if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(p, 50);
        } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        if (err) /* the headers are the message's only once queued */
                rd_kafka_headers_destroy(h);
        return err;
}
