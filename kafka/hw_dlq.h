/*
 * The dead-letter record (SPEC §3): a rejected message produced to the
 * DLQ topic unchanged, key and value, with headers saying why and where
 * it came from (hw.error, hw.reason, hw.src.topic, hw.src.partition,
 * hw.src.offset; hw.value.omitted instead of a value over the topic's
 * size limit).
 */
#ifndef HW_DLQ_H
#define HW_DLQ_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/*
 * Produces the dead-letter record of m to topic with producer p (waiting
 * out a full queue), opaque as the message's private pointer for the
 * delivery report. error names the rejection class, reason says what is
 * wrong. A value over max_bytes is left out. Returns librdkafka's error
 * (0 when queued).
 */
rd_kafka_resp_err_t hw_dlq_produce(rd_kafka_t *p, const char *topic,
                                   const rd_kafka_message_t *m,
                                   const char *error, const char *reason,
                                   size_t max_bytes, void *opaque);

#endif
