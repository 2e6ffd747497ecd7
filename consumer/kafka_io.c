/*
 * hirewire-consumer's Kafka side: the consumer and DLQ producer set up,
 * the subscription, librdkafka's errors (an all-brokers-down outage), and
 * the commits made after each step for lag tooling (offsets themselves
 * live in Redis).
 */
#include "consumer.h"

/* librdkafka's errors (called from the polling thread): logged, and a
 * broker's connection failing (or "all brokers are down") makes the next
 * hw_consumer_kafka_down_check ask whether any broker is left. librdkafka
 * says "all brokers are down" only when its brokers are seen down at the
 * same moment, which a cluster going down all at once does not always
 * show; a lost connection is always reported. */
static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                           void *opaque) {
        consumer_t *c = opaque;
        (void)rk;
        HW_LOG(err == RD_KAFKA_RESP_ERR__FATAL ? HW_LOG_ERROR : HW_LOG_WARN,
               "kafka", "%s: %s", rd_kafka_err2name(err), reason);
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
            err == RD_KAFKA_RESP_ERR__TRANSPORT ||
            err == RD_KAFKA_RESP_ERR__RESOLVE)
                c->brokers_doubted = 1;
}

/* After a broker's connection failed: a metadata request (at most one a
 * second, 500 ms each) asks whether any broker answers. None does: a
 * Kafka outage, warned once a minute (and given up after outage.wait.ms
 * in batch modes), probed again until a broker answers. */
void hw_consumer_kafka_down_check(consumer_t *c, int64_t now) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;

        if (!c->brokers_doubted || now - c->brokers_probed < 1000)
                return;
        c->brokers_probed = now;
        err = rd_kafka_metadata(c->rk, 0, NULL, &md, 500);
        if (md)
                rd_kafka_metadata_destroy(md);
        if (!err) {
                c->brokers_doubted = 0;
                hw_consumer_outage_over(&c->kafka_outage, "Kafka");
                return;
        }
        hw_consumer_outage_wait(
                c, &c->kafka_outage, "Kafka",
                "all brokers are down (no broker answers a metadata "
                "request)");
}

/* The outcome of a commit to Kafka. During a rebalance commits fail as a
 * matter of course; other failures are reported at most once a minute
 * (hw_consumer_report_commits): lag tools then show stale lag, counting is unaffected. */
static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque) {
        consumer_t *c = opaque;
        (void)rk;
        (void)offsets;
        if (!err || err == RD_KAFKA_RESP_ERR__NO_OFFSET)
                return;
        if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
            err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
            err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID) {
                HW_DEBUG("consumer", "offset commit to Kafka: %s",
                         rd_kafka_err2str(err));
                return;
        }
        c->commit_failed++;
        c->commit_err = err;
}

/* Says, at most once a minute, that commits to Kafka failed (and why). */
void hw_consumer_report_commits(consumer_t *c, int64_t now) {
        if (!c->commit_failed ||
            !hw_consumer_warn_due(c->commit_warned_ms, now))
                return;
        {
                char msg[512];
                snprintf(msg, sizeof(msg),
                         "offset commits to Kafka failed (%s); lag tools "
                         "show older offsets, counting is unaffected "
                         "(offsets live in Redis)",
                         rd_kafka_err2str(c->commit_err));
                HW_LOG_KV(HW_LOG_WARN, "consumer", msg, "failures=%d",
                          c->commit_failed);
        }
        c->commit_failed = 0;
        c->commit_warned_ms = now;
}

/* Commits the batch's next offsets to Kafka (for lag tooling only). */
void hw_consumer_commit_to_kafka(consumer_t *c, const hw_batch_t *b) {
        rd_kafka_topic_partition_list_t *list;

        if (!b->n_parts)
                return;
        list = rd_kafka_topic_partition_list_new((int)b->n_parts);
        for (size_t i = 0; i < b->n_parts; i++)
                rd_kafka_topic_partition_list_add(list, b->parts[i].topic,
                                                  b->parts[i].partition)
                        ->offset = b->parts[i].next;
        rd_kafka_commit(c->rk, list, 1);
        rd_kafka_topic_partition_list_destroy(list);
}

/*
 * The bound of librdkafka's prefetch queue (its default is 64 MiB).
 * Before librdkafka 2.1 a queue at its bound stops fetching for a whole
 * second (fetch.queue.backoff.ms came in 2.1, set below to 20 ms): the
 * bound must then hold more than a second of what the consumer reads, or
 * it waits for messages each second. 8 MiB held about 0.9 s of a backlog
 * read at 65,000 events/s; 16 MiB took the same backlog in 3.5 s
 * instead of 4.6 s, for about 14 MiB more RSS. With the 20 ms backoff a
 * drained queue is fetched again at once, and a small bound costs no
 * time: librdkafka 2.6.1 read the same backlog as fast at 512 KiB as at
 * 16 MiB, with peak RSS 73 MiB at 2 MiB against 111 MiB at 16 MiB
 * (docs/scaling.md, "Memory").
 */
static const char *prefetch_kbytes(void) {
        return rd_kafka_version() >= 0x020100ff ? "2048" : "16384";
}

hw_err_t hw_consumer_setup_kafka(consumer_t *c, const char *group_id,
                                 char *errstr, size_t size) {
        rd_kafka_conf_t *conf;
        char max_bytes[32];

        /* The DLQ producer. */
        conf = hw_kafka_conf_new(&c->conf.kafka, errstr, size);
        if (!conf)
                return HW_ERR_ARG;
        /* Room for the largest dead letter and its headers. */
        snprintf(max_bytes, sizeof(max_bytes), "%zu",
                 c->conf.dlq_max_message_bytes + 65536 > 1000000
                         ? c->conf.dlq_max_message_bytes + 65536
                         : (size_t)1000000);
        if (hw_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "message.max.bytes", max_bytes, errstr,
                              size) ||
            hw_kafka_conf_apply_props(conf, &c->conf.kafka, errstr, size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, hw_consumer_dlq_dr_cb);
        rd_kafka_conf_set_opaque(conf, c);
        /* rd_kafka_new connects to nothing: it fails on settings that
         * conflict (-X acks=1 with idempotence), a usage error. */
        c->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, size);
        if (!c->dlq) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }

        /* The consumer: offsets come from Redis, never auto-committed. */
        conf = hw_kafka_conf_new(&c->conf.kafka, errstr, size);
        if (!conf)
                return HW_ERR_ARG;
        if (hw_kafka_conf_set(conf, "group.id", group_id, errstr, size) ||
            hw_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "enable.auto.offset.store", "false", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr,
                              size) ||
            hw_kafka_conf_set(conf, "queued.max.messages.kbytes",
                              prefetch_kbytes(), errstr, size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        /* Where the backoff can be set, a queue drained by a step is
         * filled again at once (older librdkafka: no such property). */
        {
                char ignored[256];
                rd_kafka_conf_set(conf, "fetch.queue.backoff.ms", "20", ignored,
                                  sizeof(ignored));
        }
        /* -X properties win over the settings above; not over the
         * end-of-partition events, which say when brain_drain is judged. */
        if (hw_kafka_conf_apply_props(conf, &c->conf.kafka, errstr, size) ||
            hw_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                              size)) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        rd_kafka_conf_set_rebalance_cb(conf, hw_consumer_rebalance_cb);
        rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
        rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
        rd_kafka_conf_set_opaque(conf, c);
        c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, size);
        if (!c->rk) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_ARG;
        }
        conf = NULL; /* now owned by rk */
        rd_kafka_poll_set_consumer(c->rk);
        return HW_OK;
}

/* Joins the group on the two event topics. */
hw_err_t hw_consumer_subscribe(consumer_t *c, char *errstr, size_t size) {
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;

        topics = rd_kafka_topic_partition_list_new(2);
        rd_kafka_topic_partition_list_add(topics, c->conf.topic_hires,
                                          RD_KAFKA_PARTITION_UA);
        rd_kafka_topic_partition_list_add(topics, c->conf.topic_offers,
                                          RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(c->rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "cannot subscribe: %s", rd_kafka_err2str(err));
        return HW_OK;
}
