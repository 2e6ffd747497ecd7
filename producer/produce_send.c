/*
 * hirewire-produce's output: each valid event encoded, framed with the
 * Schema Registry's id when there is one, paced and handed to the
 * idempotent producer (or printed as NDJSON with --dry-run); the delivery
 * reports counted; the queue drained at the end.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw_json.h"
#include "hw_log.h"
#include "hw_time.h"
#include "produce_int.h"

/* Delivery report: counts the outcome and names a failed event_id. The
 * opaque is the event_id, copied at produce time. */
static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                      void *opaque) {
        producer_t *p = opaque;
        char *event_id = m->_private;
        (void)rk;

        if (!m->err) {
                p->stats.delivered++;
        } else {
                p->stats.failed++;
                if (m->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT ||
                    m->err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                    m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                    m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
                    m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
                        p->stats.failed_unavailable++;
                if (p->stats.failed <= FAILED_NAMED_MAX)
                        HW_ERROR("producer",
                                 "delivery failed for event_id %s to %s: %s",
                                 event_id, rd_kafka_topic_name(m->rkt),
                                 rd_kafka_err2str(m->err));
        }
        free(event_id);
}

/* Sleeps so that the n-th event is not sent before n / rate seconds. */
static void pace(producer_t *p) {
        struct timespec now, due;
        double at;

        if (p->opts->rate <= 0)
                return;
        at = (double)p->stats.enqueued / p->opts->rate;
        due.tv_sec = p->started.tv_sec + (time_t)at;
        due.tv_nsec =
                p->started.tv_nsec + (long)((at - (double)(time_t)at) * 1e9);
        if (due.tv_nsec >= 1000000000L) {
                due.tv_sec++;
                due.tv_nsec -= 1000000000L;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        while (!hw_produce_stop_requested &&
               (now.tv_sec < due.tv_sec ||
                (now.tv_sec == due.tv_sec && now.tv_nsec < due.tv_nsec))) {
                rd_kafka_poll(p->rk, 0);
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
                clock_gettime(CLOCK_MONOTONIC, &now);
        }
}

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Frames p->payload with the Schema Registry's id of the schema it was
 * encoded with, under the subject <topic>-value (asked once per topic and
 * schema). While the registry does not answer, retries with capped
 * backoff up to the delivery timeout, serving delivery reports. Returns -1
 * when the registry refuses the schema, or never answered
 * (p->registry_down): the caller stops reading input.
 */
static int frame_for_registry(producer_t *p, const char *topic) {
        const hw_event_t *ev = &p->ev;
        int local = hw_codec_current_schema((hw_schema_kind_t)ev->type);
        int64_t give_up = mono_ms() + (int64_t)p->opts->timeout_s * 1000;
        int backoff = 100;
        char errstr[512];
        int32_t id;

        for (;;) {
                hw_err_t err = hw_registry_topic_id(
                        p->registry, topic, hw_codec_schema_json(local), &id,
                        errstr, sizeof(errstr));
                if (!err) {
                        hw_codec_set_frame_id(&p->payload, id);
                        return 0;
                }
                if (err != HW_ERR_SERVICE || hw_produce_stop_requested ||
                    mono_ms() >= give_up) {
                        HW_ERROR("producer", "%s; stopped before event_id %s",
                                 errstr, ev->event_id);
                        p->registry_down = err == HW_ERR_SERVICE;
                        return -1;
                }
                HW_LOG_KV(HW_LOG_WARN, "producer", errstr, "retry_in_ms=%d",
                          backoff);
                for (int64_t until = mono_ms() + backoff;
                     mono_ms() < until && !hw_produce_stop_requested;)
                        rd_kafka_poll(p->rk, 50);
                backoff = hw_backoff_next(backoff, 5000);
        }
}

/* Encodes p->ev and hands it to librdkafka, waiting while its queue is
 * full. Returns -1 on a fatal produce error. */
static int send_event(producer_t *p) {
        const hw_event_t *ev = &p->ev;
        const char *topic = p->opts->topic              ? p->opts->topic
                            : ev->type == HW_EVENT_HIRE ? p->opts->hires_topic
                                                        : p->opts->offers_topic;
        char errstr[512];
        char *event_id;
        rd_kafka_resp_err_t err;

        if (hw_codec_encode(p->codec, ev, 0, &p->payload, errstr,
                            sizeof(errstr))) {
                HW_ERROR("producer", "cannot encode event_id %s: %s",
                         ev->event_id, errstr);
                return -1;
        }
        if (p->registry && frame_for_registry(p, topic))
                return -1;
        pace(p);
        event_id = strdup(ev->event_id);
        if (!event_id)
                return -1;
        for (;;) {
                err = rd_kafka_producev(
                        p->rk, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_KEY(ev->person_id, strlen(ev->person_id)),
                        RD_KAFKA_V_VALUE(p->payload.data, p->payload.len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_OPAQUE(event_id), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(p->rk, 50);
        }
        if (err) {
                HW_ERROR("producer", "cannot produce event_id %s to %s: %s",
                         event_id, topic, rd_kafka_err2str(err));
                free(event_id);
                return -1;
        }
        p->stats.enqueued++;
        rd_kafka_poll(p->rk, 0);
        return 0;
}

/* Sends or prints the valid event in p->ev. */
int hw_produce_emit_event(producer_t *p) {
        if (p->opts->dry_run) {
                p->json.len = 0;
                if (hw_json_write_event(&p->ev, &p->json) ||
                    hw_buf_append(&p->json, "\n", 1))
                        return -1;
                fwrite(p->json.data, 1, p->json.len, stdout);
                p->stats.enqueued++;
                return 0;
        }
        return send_event(p);
}

/* Creates the idempotent producer. */
hw_err_t hw_produce_connect(producer_t *p, char *errstr, size_t size) {
        char timeout[32];
        rd_kafka_conf_t *conf =
                hw_kafka_conf_new(&p->opts->kafka, errstr, size);
        if (!conf)
                return HW_ERR_ARG;
        snprintf(timeout, sizeof(timeout), "%d", p->opts->timeout_s * 1000);
        /* Defaults first, then -X again so that the user's properties win. */
        if (hw_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "message.timeout.ms", timeout, errstr,
                              size) ||
            hw_kafka_conf_set(conf, "linger.ms", "5", errstr, size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        if (hw_kafka_conf_apply_props(conf, &p->opts->kafka, errstr, size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        rd_kafka_conf_set_opaque(conf, p);
        /* rd_kafka_new connects to nothing: it fails on settings that
         * conflict (-X acks=1 with idempotence), a usage error. */
        p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, size);
        if (!p->rk) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        conf = NULL; /* now owned by rk */
        return HW_OK;
}

/* Waits for every delivery report, up to the delivery timeout plus a
 * margin; whatever is still queued then is purged and reported failed. */
void hw_produce_drain(producer_t *p) {
        int waited_ms = 0, limit_ms = p->opts->timeout_s * 1000 + 5000;

        while (rd_kafka_outq_len(p->rk) > 0 && waited_ms < limit_ms) {
                rd_kafka_flush(p->rk, 200);
                waited_ms += 200;
        }
        if (rd_kafka_outq_len(p->rk) > 0) {
                rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE |
                                              RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_poll(p->rk, 500);
        }
}
