/*
 * hirewire-consumer's partitions: what it is assigned, from which offsets
 * (Redis's) it reads them, where each stands (its end, a replay's target).
 */
#include "consumer.h"

/* Messages come in runs from one partition: the one found last is
 * looked at first. */
assigned_t *hw_consumer_find_assigned(consumer_t *c, const char *topic,
                                      int32_t partition) {
        size_t last = c->last_assigned;

        if (last < c->n_assigned && c->assigned[last].partition == partition &&
            !strcmp(c->assigned[last].topic, topic))
                return &c->assigned[last];
        for (size_t i = 0; i < c->n_assigned; i++)
                if (c->assigned[i].partition == partition &&
                    !strcmp(c->assigned[i].topic, topic)) {
                        c->last_assigned = i;
                        return &c->assigned[i];
                }
        return NULL;
}

/* Kafka reported the end of a partition: everything before it was taken
 * (an end reported before a seek back to Redis's offsets is older than the
 * position; one before the seek back to a message not taken is ignored). */
void hw_consumer_partition_eof(consumer_t *c, const rd_kafka_message_t *m) {
        assigned_t *a = hw_consumer_find_assigned(
                c, rd_kafka_topic_name(m->rkt), m->partition);
        if (a && a->at_eof >= 0 && m->offset >= a->position)
                a->at_eof = 1;
        HW_DEBUG("consumer", "end of %s/%" PRId32 " at offset %" PRId64 "%s",
                 rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                 a && a->at_eof == 1 ? "" : " (before the position: ignored)");
}

/* Whether the batch being flushed takes this consumer to the end of every
 * partition it reads: a replay to its end offsets, a live consumer to the
 * end Kafka last reported on each (or, with --until-caught-up, the group
 * to the end offsets seen at start). Only such a step judges brain_drain. */
int hw_consumer_read_to_end(const consumer_t *c) {
        if (c->caught_up)
                return 1;
        if (!c->n_assigned)
                return 0;
        for (size_t i = 0; i < c->n_assigned; i++) {
                const assigned_t *a = &c->assigned[i];
                if (a->target ? a->position < a->target->end : a->at_eof < 1)
                        return 0;
        }
        return 1;
}

/* Tells the store where the next step leaves this consumer: at the end or
 * not, and, for a live consumer, each of its partitions (all of them once
 * the group caught up), so that the step judges brain_drain only when no
 * member of the group is behind. */
void hw_consumer_set_ends(consumer_t *c, int at_end) {
        size_t n = 0;

        if (c->caught_up) {
                for (size_t i = 0; i < c->n_targets; i++)
                        c->ends[n++] =
                                (hw_store_end_t){c->targets[i].topic,
                                                 c->targets[i].partition, 1};
        } else if (!c->replay) {
                for (size_t i = 0; i < c->n_assigned; i++)
                        c->ends[n++] = (hw_store_end_t){
                                c->assigned[i].topic, c->assigned[i].partition,
                                c->assigned[i].at_eof == 1};
        }
        hw_store_set_ends(c->store, at_end, c->ends, n);
}

/* Reads the stored offsets of every partition in `parts` from Redis,
 * retrying while Redis is unavailable (until a stop is requested). */
static hw_err_t read_offsets(consumer_t *c,
                             rd_kafka_topic_partition_list_t *parts,
                             int64_t *out) {
        char errstr[512];
        int backoff = BACKOFF_MIN_MS;

        for (;;) {
                hw_err_t err = HW_OK;
                for (int i = 0; i < parts->cnt && !err; i++)
                        err = hw_store_get_offsets(
                                c->store, parts->elems[i].topic,
                                &parts->elems[i].partition, 1, &out[i], errstr,
                                sizeof(errstr));
                if (!err) {
                        hw_consumer_outage_over(&c->outage, "Redis");
                        return HW_OK;
                }
                hw_metrics_add(c->metrics, HW_M_REDIS_ERRORS, 1);
                hw_metrics_set_ready(c->metrics, 0, errstr);
                if (hw_consumer_stop_requested ||
                    hw_consumer_outage_wait(c, &c->outage, "Redis", errstr))
                        return err;
                hw_consumer_sleep_ms(backoff);
                backoff = hw_backoff_next(backoff, BACKOFF_MAX_MS);
        }
}

/* Partitions are read from the offsets stored in Redis, which move in the
 * same atomic step as the counters; a partition with none stored is read
 * from the beginning. */
void hw_consumer_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *parts,
                              void *opaque) {
        consumer_t *c = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                int64_t *stored =
                        calloc((size_t)parts->cnt + 1, sizeof(*stored));
                hw_consumer_finish_pending(
                        c); /* the offsets are read after it */
                if (!stored || read_offsets(c, parts, stored)) {
                        free(stored);
                        HW_ERROR("consumer", "cannot read offsets from Redis: "
                                             "not taking partitions");
                        rd_kafka_assign(rk, NULL);
                        return;
                }
                c->n_assigned = 0;
                for (int i = 0; i < parts->cnt && i < MAX_PARTITIONS; i++) {
                        rd_kafka_topic_partition_t *p = &parts->elems[i];
                        assigned_t *a = &c->assigned[c->n_assigned++];
                        snprintf(a->topic, sizeof(a->topic), "%s", p->topic);
                        a->partition = p->partition;
                        a->stored = stored[i];
                        a->position = stored[i] >= 0 ? stored[i] : 0;
                        a->at_eof = 0;
                        p->offset = stored[i] >= 0 ? stored[i]
                                                   : RD_KAFKA_OFFSET_BEGINNING;
                }
                free(stored);
                /* What the partitions' last owner applied may not have been
                 * judged yet. */
                c->unjudged = 1;
                HW_LOG_KV(HW_LOG_INFO, "consumer", "partitions assigned",
                          "partitions=%d", parts->cnt);
                rd_kafka_assign(rk, parts);
                hw_consumer_check_health(
                        c); /* ready unless Redis or the registry is not */
        } else {
                /* Finish what was read from these partitions first; if
                 * that fails the new owner reads it again. */
                hw_consumer_flush_batch(c, 1);
                for (size_t i = 0; i < c->n_assigned; i++)
                        hw_metrics_set_lag(c->metrics, c->assigned[i].topic,
                                           c->assigned[i].partition, -1);
                c->n_assigned = 0;
                HW_INFO("consumer", "partitions revoked: %s",
                        rd_kafka_err2str(err));
                rd_kafka_assign(rk, NULL);
                hw_metrics_set_ready(c->metrics, 0, "rebalancing");
        }
}

/* After another consumer moved our offsets: read from what Redis holds. */
void hw_consumer_reseek(consumer_t *c) {
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new((int)c->n_assigned);
        int64_t *stored = calloc(c->n_assigned + 1, sizeof(*stored));

        for (size_t i = 0; i < c->n_assigned; i++)
                rd_kafka_topic_partition_list_add(parts, c->assigned[i].topic,
                                                  c->assigned[i].partition);
        if (stored && !read_offsets(c, parts, stored)) {
                for (size_t i = 0; i < c->n_assigned; i++) {
                        c->assigned[i].stored = stored[i];
                        c->assigned[i].position =
                                stored[i] >= 0 ? stored[i] : 0;
                        c->assigned[i].at_eof = 0;
                        parts->elems[i].offset =
                                stored[i] >= 0 ? stored[i]
                                               : RD_KAFKA_OFFSET_BEGINNING;
                }
                rd_kafka_error_t *e =
                        rd_kafka_seek_partitions(c->rk, parts, 5000);
                if (e) {
                        HW_WARN("consumer", "seek failed: %s",
                                rd_kafka_error_string(e));
                        rd_kafka_error_destroy(e);
                }
        }
        free(stored);
        rd_kafka_topic_partition_list_destroy(parts);
}

/* Asks the partitions' leaders for one bound of every target (offset
 * RD_KAFKA_OFFSET_BEGINNING: the first offset held; RD_KAFKA_OFFSET_END:
 * the end), all in one query bounded by TARGETS_TIMEOUT_MS: a query per
 * partition can wait on a dead leader longer than its own timeout. */
static hw_err_t query_bound(consumer_t *c, int64_t which, int64_t *out,
                            char *errstr, size_t size) {
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_t *list =
                hw_replay_offsets_at(c->rk, c->targets, c->n_targets, which,
                                     TARGETS_TIMEOUT_MS, &err);
        hw_err_t rc = HW_OK;

        if (err)
                rc = hw_fail(HW_ERR_SERVICE, errstr, size,
                             "cannot read the %s offsets: %s",
                             which == RD_KAFKA_OFFSET_END ? "end" : "first",
                             rd_kafka_err2str(err));
        for (int i = 0; !rc && i < list->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &list->elems[i];
                if (p->err || p->offset < 0)
                        rc = hw_fail(
                                HW_ERR_SERVICE, errstr, size,
                                "cannot read the %s offset of %s/%d: %s",
                                which == RD_KAFKA_OFFSET_END ? "end" : "first",
                                p->topic, (int)p->partition,
                                rd_kafka_err2str(
                                        p->err ? p->err
                                               : RD_KAFKA_RESP_ERR__NO_OFFSET));
                else
                        out[i] = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(list);
        return rc;
}

/* One try at the partitions of the two event topics and their first and
 * end offsets. */
static hw_err_t read_targets(consumer_t *c, char *errstr, size_t size) {
        const char *topics[2] = {c->conf.topic_hires, c->conf.topic_offers};
        int64_t *lo, *hi;
        hw_err_t err = HW_OK;

        c->n_targets = 0;
        for (int t = 0; t < 2; t++) {
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_topic_t *rkt =
                        rd_kafka_topic_new(c->rk, topics[t], NULL);
                rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 0, rkt, &md,
                                                          TARGETS_TIMEOUT_MS);
                rd_kafka_topic_destroy(rkt);
                if (e || md->topic_cnt != 1 || md->topics[0].err) {
                        err = hw_fail(
                                HW_ERR_SERVICE, errstr, size,
                                "no metadata for topic %s: %s", topics[t],
                                rd_kafka_err2str(e ? e : md->topics[0].err));
                        if (md)
                                rd_kafka_metadata_destroy(md);
                        return err;
                }
                for (int p = 0; p < md->topics[0].partition_cnt &&
                                c->n_targets < MAX_PARTITIONS;
                     p++) {
                        hw_target_t *tg = &c->targets[c->n_targets++];
                        snprintf(tg->topic, sizeof(tg->topic), "%s", topics[t]);
                        tg->partition = md->topics[0].partitions[p].id;
                }
                rd_kafka_metadata_destroy(md);
        }
        if (!c->n_targets)
                return HW_OK;
        lo = calloc(2 * c->n_targets, sizeof(*lo));
        if (!lo)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        hi = lo + c->n_targets;
        if (!(err = query_bound(c, RD_KAFKA_OFFSET_BEGINNING, lo, errstr,
                                size)) &&
            !(err = query_bound(c, RD_KAFKA_OFFSET_END, hi, errstr, size)))
                for (size_t i = 0; i < c->n_targets; i++) {
                        hw_target_t *tg = &c->targets[i];
                        tg->end = hi[i];
                        /* The first offset the broker still holds. */
                        tg->first = tg->start = tg->done = tg->kept_from =
                                lo[i] < hi[i] ? lo[i] : hi[i];
                        tg->from_ms = -1;
                }
        free(lo);
        return err;
}

/* Records the first and end offsets of every partition of the two event
 * topics, waiting out a Kafka outage (a leader that is down, no broker
 * answering) as long as outage.wait.ms allows. */
hw_err_t hw_consumer_find_targets(consumer_t *c) {
        char errstr[512];
        hw_err_t err;

        for (int backoff = BACKOFF_MIN_MS;
             (err = read_targets(c, errstr, sizeof(errstr)));) {
                if (err != HW_ERR_SERVICE || hw_consumer_stop_requested) {
                        HW_ERROR("consumer", "%s", errstr);
                        return err;
                }
                if (hw_consumer_outage_wait(c, &c->kafka_outage, "Kafka",
                                            errstr))
                        return err;
                hw_consumer_sleep_ms(backoff);
                backoff = hw_backoff_next(backoff, BACKOFF_MAX_MS);
        }
        hw_consumer_outage_over(&c->kafka_outage, "Kafka");
        return HW_OK;
}

/* True once Redis's offsets (this group's, whichever consumer stored
 * them) reached every target. */
int hw_consumer_caught_up(consumer_t *c) {
        char errstr[512];
        for (size_t i = 0; i < c->n_targets; i++) {
                int64_t stored;
                /* Nothing left to read (retention may have deleted it). */
                if (c->targets[i].start >= c->targets[i].end)
                        continue;
                if (hw_store_get_offsets(c->store, c->targets[i].topic,
                                         &c->targets[i].partition, 1, &stored,
                                         errstr, sizeof(errstr))) {
                        hw_consumer_outage_wait(c, &c->outage, "Redis", errstr);
                        return 0;
                }
                hw_consumer_outage_over(&c->outage, "Redis");
                if (stored < c->targets[i].end)
                        return 0;
        }
        return 1;
}
