/*
 * hirewire-consumer's loop (main.c starts it): reads hire and offer events from Kafka, validates them,
 * dead-letters the bad ones and keeps lab composition, country flows and
 * offer counters in Redis, exactly once (SPEC §4, docs/redis-keys.md).
 *
 * Flow: poll messages into a batch (decoded, or kept as rejects) until it
 * holds batch.max.events or is batch.max.ms old; then deliver the rejects to
 * the DLQ, run the processors and apply everything, with the partitions'
 * next offsets, in one atomic Redis step that first checks the offsets the
 * batch started from. Partitions are read from the offsets Redis holds;
 * offsets are committed to Kafka after each step only for lag tooling.
 */

#include "consumer.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

volatile sig_atomic_t hw_consumer_stop_requested;

static volatile sig_atomic_t stop_signal; /* the signal that stopped us */

/* SIGTERM or SIGINT: the run stops after the batch it is in. */
void hw_consumer_on_signal(int sig) {
        stop_signal = sig;
        hw_consumer_stop_requested = 1;
}

/* The consumer's last line: its exit status, and why. */
void hw_consumer_say_exit(int rc) {
        const char *why = rc == HW_EXIT_USAGE         ? "usage or configuration"
                          : rc == HW_EXIT_UNAVAILABLE ? "unavailable"
                                                      : "failed";
        if (rc == HW_EXIT_OK)
                HW_INFO("consumer", "exiting with status 0: %s",
                        stop_signal == SIGTERM ? "stopped by SIGTERM"
                        : stop_signal          ? "stopped by a signal"
                                               : "done");
        else
                HW_ERROR("consumer", "exiting with status %d (%s)%s%s", rc, why,
                         *hw_log_last_error() ? ": " : "", hw_log_last_error());
}

/* Stops after an error the consumer cannot get past by retrying: the batch
 * in hand is not applied (it is read again by whoever runs next) and the
 * exit code is 1, so a supervisor restarts it and an operator sees it. */
static void fail_stop(consumer_t *c) {
        c->failed = HW_EXIT_FAILURE;
        hw_consumer_stop_requested = 1;
}

int64_t hw_consumer_mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a warning last given at `warned` (0: never) may be given again
 * now: a repeated warning comes once a minute at most. */
int hw_consumer_warn_due(int64_t warned, int64_t now) {
        return !warned || now - warned >= WARN_EVERY_MS;
}

/* Whether this run ends by itself (--until-caught-up, --replay): such a
 * run gives up on an outage after outage.wait.ms, the service waits. */
static int batch_mode(const consumer_t *c) {
        return c->replay || c->until_caught_up;
}

/* Whether service's failure was Redis refusing the credentials. */
static int refused_credentials(const consumer_t *c, const char *service) {
        return !strcmp(service, "Redis") &&
               hw_store_refused_credentials(c->store);
}

/*
 * Notes a failure of `service` (errstr says what failed). The service waits
 * for it to answer, warning at once and then once a minute (credentials
 * refused too: a rotated secret may reach Redis before the consumer). A
 * batch mode gives up once the outage has lasted outage.wait.ms, or at
 * once on refused credentials: returns 1 having said so, and the run exits
 * 69. Nothing is lost either way: offsets move only with applied steps.
 */
int hw_consumer_outage_wait(consumer_t *c, outage_t *o, const char *service,
                            const char *errstr) {
        int64_t now = hw_consumer_mono_ms();

        if (!o->since) {
                o->since = now;
                o->warned = 0;
                o->failures = 0;
        }
        o->failures++;
        if (batch_mode(c) && refused_credentials(c, service)) {
                HW_ERROR("consumer",
                         "%s refused the credentials: %s; check the "
                         "user:password of --redis (or redis.url), "
                         "REDIS_PASSWORD or redis.password",
                         service, errstr);
        } else if (batch_mode(c) && now - o->since >= c->conf.outage_wait_ms) {
                HW_ERROR("consumer",
                         "%s unavailable for %" PRId64 " s (outage.wait.ms="
                         "%d): %s; giving up (what was not applied is read "
                         "again by the next run)",
                         service, (now - o->since) / 1000,
                         c->conf.outage_wait_ms, errstr);
        } else {
                if (hw_consumer_warn_due(o->warned, now)) {
                        char msg[768];
                        snprintf(msg, sizeof(msg),
                                 "%s unavailable: %s; retrying %s", service,
                                 errstr,
                                 batch_mode(c) ? "for up to outage.wait.ms"
                                               : "until it answers, with a "
                                                 "warning a minute");
                        HW_LOG_KV(HW_LOG_WARN, "consumer", msg,
                                  "failures=%" PRIu64, o->failures);
                        o->warned = now;
                }
                return 0;
        }
        c->failed = HW_EXIT_UNAVAILABLE;
        hw_consumer_stop_requested = 1;
        return 1;
}

/* The service answered: ends an outage (saying how long it lasted). */
void hw_consumer_outage_over(outage_t *o, const char *service) {
        if (o->since) {
                char msg[128];
                snprintf(msg, sizeof(msg), "%s answers again", service);
                HW_LOG_KV(HW_LOG_INFO, "consumer", msg,
                          "after_ms=%" PRId64 " failures=%" PRIu64,
                          hw_consumer_mono_ms() - o->since, o->failures);
        }
        o->since = 0;
}

void hw_consumer_sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* What is left of a step after its outcome: nothing (applied, dropped or
 * given up: the batch can be cleared), or to try it again. */
enum { STEP_DONE, STEP_RETRY };

/* A batch's step applied: its positions, figures, Kafka commit, alerts. */
static void step_applied(consumer_t *c, const hw_batch_t *b, int at_end,
                         int64_t t0) {
        const hw_batch_stats_t *st = &b->stats;

        hw_metrics_observe_flush(c->metrics,
                                 (double)(hw_consumer_mono_ms() - t0) / 1000.0);
        hw_metrics_add(c->metrics, HW_M_APPLIED, st->applied);
        hw_metrics_add(c->metrics, HW_M_DUPLICATES, st->duplicates);
        hw_metrics_add(c->metrics, HW_M_REPEATED, st->repeated);
        hw_metrics_add(c->metrics, HW_M_BATCHES, 1);
        for (size_t i = 0; i < b->n_parts; i++) {
                assigned_t *a = hw_consumer_find_assigned(
                        c, b->parts[i].topic, b->parts[i].partition);
                if (a)
                        a->stored = b->parts[i].next;
                if (a && a->target)
                        a->target->done = b->parts[i].next;
        }
        c->unjudged = !at_end;
        c->total_applied += st->applied;
        c->total_duplicates += st->duplicates;
        c->total_alerts += st->alerts;
        hw_metrics_add(c->metrics, HW_M_ALERTS_RAISED, st->alerts);
        HW_DEBUG("consumer",
                 "batch applied: messages=%zu applied=%" PRIu64
                 " duplicates=%" PRIu64 " rejected=%zu at_end=%d keys=%zu "
                 "changes=%zu persons_read=%" PRIu64,
                 b->n_messages, st->applied, st->duplicates, b->n_rejects,
                 at_end, c->cache.plan.n_keys, c->cache.plan.n_changes,
                 c->cache.person_reads);
        if (!c->replay) {
                hw_consumer_commit_to_kafka(c, b);
                hw_metrics_set_ready(c->metrics, c->n_assigned > 0,
                                     "no partitions assigned");
                hw_consumer_relay_alerts(c, 0);
        }
}

/* Settles a step's outcome (err, outcome; service is what err was
 * about): bookkeeping when applied, a stop or a re-seek when it must not
 * be tried again, else a backoff before it is. */
static int step_settle(consumer_t *c, hw_batch_t *b, hw_err_t err,
                       hw_store_outcome_t outcome, const char *service,
                       const char *errstr, int final, int at_end, int64_t t0,
                       int *backoff) {
        if (!err)
                hw_consumer_outage_over(&c->outage, service);
        if (!err && outcome == HW_STORE_APPLIED) {
                step_applied(c, b, at_end, t0);
                return STEP_DONE;
        }
        if (!err && c->replay) {
                HW_ERROR("consumer",
                         "replay: staging keys changed under it "
                         "(%s); is another replay running?",
                         errstr);
                fail_stop(c);
                return STEP_DONE;
        }
        if (!err) { /* fenced */
                hw_metrics_add(c->metrics, HW_M_FENCED, 1);
                HW_WARN("consumer",
                        "batch dropped: %s, not what it started from (moved "
                        "by another consumer or a replay, or lost with a "
                        "failed Redis primary); reading from Redis's offsets",
                        errstr);
                if (!final)
                        hw_consumer_reseek(c);
                return STEP_DONE;
        }
        hw_metrics_add(c->metrics, HW_M_REDIS_ERRORS, 1);
        hw_metrics_set_ready(c->metrics, 0, errstr);
        if (err != HW_ERR_SERVICE) {
                HW_ERROR("consumer", "batch failed: %s", errstr);
                fail_stop(c); /* read again after a restart */
                return STEP_DONE;
        }
        /* One grace for the whole stop, whatever is left to apply. */
        if (hw_consumer_stop_requested && !c->stop_give_up)
                c->stop_give_up = hw_consumer_mono_ms() + STOP_GRACE_MS;
        if (c->stop_give_up && hw_consumer_mono_ms() > c->stop_give_up) {
                HW_ERROR("consumer",
                         "giving up the last batch (%s); it will "
                         "be read again",
                         errstr);
                return STEP_DONE;
        }
        if (hw_consumer_outage_wait(c, &c->outage, service, errstr))
                return STEP_DONE; /* read again by the next run */
        hw_consumer_sleep_ms(*backoff);
        *backoff = hw_backoff_next(*backoff, BACKOFF_MAX_MS);
        return STEP_RETRY;
}

/* Runs b's step: DLQ, then the atomic step, retrying with capped backoff
 * while Redis or the DLQ is unavailable. After a stop request it gives up
 * once STOP_GRACE_MS have passed since the request (nothing is lost: the
 * offsets did not move). With
 * defer, it returns once the step is sent (c->pending = b). Returns
 * whether the step applied (or was sent). */
static int step_batch(consumer_t *c, hw_batch_t *b, int final, int at_end,
                      int defer) {
        int applied = 0, backoff = BACKOFF_MIN_MS;
        char errstr[512];

        for (;;) {
                hw_store_outcome_t outcome = HW_STORE_APPLIED;
                int64_t t0 = hw_consumer_mono_ms();
                hw_err_t err = HW_OK;
                const char *service = "Redis";

                if (c->archive &&
                    hw_archive_sync(c->archive, errstr, sizeof(errstr))) {
                        /* Retried: offsets never move past an event that
                         * is not on disk. */
                        err = HW_ERR_SERVICE;
                        service = "the archive";
                } else if (hw_consumer_deliver_rejects(c, b)) {
                        service = "Kafka";
                        err = hw_fail(HW_ERR_SERVICE, errstr, sizeof(errstr),
                                      "dead-letter topic %s unavailable",
                                      c->conf.topic_dlq);
                } else {
                        err = hw_batch_flush(b, c->store, &c->proc, defer,
                                             &outcome, errstr, sizeof(errstr));
                }
                if (!err && outcome == HW_STORE_PENDING) {
                        /* One step in flight at a time (finish_pending
                         * read the last one's outcome first). */
                        HW_ASSERT(!c->pending);
                        c->pending = b;
                        c->pending_at_end = at_end;
                        c->pending_final = final;
                        c->pending_t0 = t0;
                        return 1;
                }
                applied = !err && outcome == HW_STORE_APPLIED;
                if (step_settle(c, b, err, outcome, service, errstr, final,
                                at_end, t0, &backoff) == STEP_DONE)
                        break;
        }
        /* Positions move past the batch only now. */
        hw_batch_clear(b);
        return applied;
}

/* Reads the outcome of the step sent last, if any. When it is not
 * applied in the end, the batch read since is dropped too (it follows
 * that step in its partitions) and they are read again from Redis's
 * offsets. */
void hw_consumer_finish_pending(consumer_t *c) {
        hw_batch_t *b = c->pending;
        hw_store_outcome_t outcome;
        int applied, backoff = BACKOFF_MIN_MS;
        char errstr[512];
        hw_err_t err;

        if (!b)
                return;
        c->pending = NULL;
        err = hw_batch_finish(b, c->store, &outcome, errstr, sizeof(errstr));
        applied = !err && outcome == HW_STORE_APPLIED;
        if (step_settle(c, b, err, outcome, "Redis", errstr, c->pending_final,
                        c->pending_at_end, c->pending_t0,
                        &backoff) == STEP_RETRY)
                applied = step_batch(c, b, c->pending_final, c->pending_at_end,
                                     0);
        else
                hw_batch_clear(b);
        if (!applied && c->batch->n_messages) {
                HW_LOG_KV(HW_LOG_INFO, "consumer",
                          "messages read behind a step that did not apply "
                          "are read again",
                          "messages=%zu", c->batch->n_messages);
                hw_batch_clear(c->batch);
                if (!c->failed && !hw_consumer_stop_requested)
                        hw_consumer_reseek(c);
        }
}

/*
 * A backlog's batches are full and each holds its events, deltas and
 * plan: the heap grows to what they need and stays there once they are
 * freed (a heap only shrinks from its top). When the consumer is back at
 * the end of every partition it reads, after full batches, the pages no
 * longer used are given back, so a consumer that caught up
 * after an outage or a restart holds what a live stream needs, not the
 * peak of its backlog.
 */
static void give_back(consumer_t *c, int full, int at_end) {
        if (full)
                c->full_batches++;
        if (!at_end || !c->full_batches || c->pending)
                return;
        HW_DEBUG("consumer",
                 "read a backlog of %u full batches: its memory given back",
                 c->full_batches);
        c->full_batches = 0;
        /* Both batches are empty here (neither has a step in flight):
         * what they kept for the next batch of that size goes. */
        for (int i = 0; i < 2; i++) {
                hw_batch_release(&c->batches[i]);
                hw_batch_init(&c->batches[i], &c->cache);
        }
#ifdef __GLIBC__
        malloc_trim(0);
#endif
}

/* Flushes the batch (after the one sent before it), waiting for its
 * step; with defer, only sending it: the next batch is read while Redis
 * applies it (finish_pending reads its outcome, at the latest before the
 * next step). */
static void flush_batch_as(consumer_t *c, int final, int defer) {
        hw_batch_t *b;
        int at_end, full;

        hw_consumer_finish_pending(c);
        b = c->batch;
        at_end = hw_consumer_read_to_end(c);
        /* No messages: a step only to judge brain_drain, once the end is
         * reached after steps that did not reach it. After a failure,
         * nothing more: what was not applied is read again. */
        if (c->failed || (!b->n_messages && !(at_end && c->unjudged))) {
                hw_batch_clear(b);
                return;
        }
        /* Each partition's offset in Redis as the steps before left it. */
        for (size_t i = 0; i < b->n_parts; i++) {
                const assigned_t *a = hw_consumer_find_assigned(
                        c, b->parts[i].topic, b->parts[i].partition);
                if (a)
                        b->parts[i].expected = a->stored;
        }
        hw_consumer_set_ends(c, at_end);
        full = (int)b->n_messages >= c->conf.batch_max_events;
        step_batch(c, b, final, at_end, defer);
        if (!final)
                give_back(c, full, at_end);
        if (c->pending == b)
                c->batch =
                        b == &c->batches[0] ? &c->batches[1] : &c->batches[0];
}

void hw_consumer_flush_batch(consumer_t *c, int final) {
        flush_batch_as(c, final, 0);
}

/* Runs the processors over the events the batch holds, once it holds
 * PART_EVENTS, and only while no step waits for its reply: its reads
 * would queue behind that step on the connection. Until the reply is in,
 * the events are kept and read on (Redis applies the step meanwhile); the
 * main loop takes the reply as soon as it is in, the batch's flush at the
 * latest. A Redis failure leaves them for the step (its retries wait for
 * Redis). */
static void process_part(consumer_t *c) {
        hw_batch_t *b = c->batch;
        char errstr[512];
        hw_err_t err;

        if (b->n_events < PART_EVENTS || b->process_failed || c->failed ||
            c->pending)
                return;
        err = hw_batch_process(b, c->store, &c->proc, errstr, sizeof(errstr));
        if (err == HW_ERR_SERVICE) {
                b->process_failed = 1;
                HW_DEBUG("consumer", "events left for the step: %s", errstr);
        } else if (err) {
                HW_ERROR("consumer", "batch failed: %s", errstr);
                fail_stop(c); /* read again after a restart */
        }
}

/* Appends the valid event just decoded from m to the archive (once per
 * message: a message re-read after a crash or a fenced batch is there
 * already). Returns -1 on failure: the consumer stops, offsets unmoved. */
static int archive_event(consumer_t *c, const rd_kafka_message_t *m,
                         const hw_event_t *ev) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        char errstr[512];

        if (hw_archive_has(c->archive, topic, m->partition, m->offset))
                return 0;
        if (hw_codec_encode(c->codec, ev, 0, &c->payload, errstr,
                            sizeof(errstr)) ||
            hw_archive_append(c->archive, topic, m->partition, m->offset,
                              rd_kafka_message_timestamp(m, NULL), ev->type,
                              c->payload.data + 5, c->payload.len - 5, errstr,
                              sizeof(errstr))) {
                HW_ERROR("consumer", "archive: %s", errstr);
                return -1;
        }
        return 0;
}

/* A member of the group with no partitions says so after ASSIGN_WAIT_MS,
 * then once a minute, with the likely cause; and when they come. */
static void say_unassigned(consumer_t *c, int64_t now) {
        if (c->n_assigned) {
                if (c->unassigned_warned)
                        HW_LOG_KV(HW_LOG_INFO, "consumer",
                                  "partitions assigned after a wait",
                                  "waited_s=%" PRId64,
                                  (now - c->unassigned_since) / 1000);
                c->unassigned_since = c->unassigned_warned = 0;
                return;
        }
        if (!c->unassigned_since)
                c->unassigned_since = now;
        if (now - c->unassigned_since < ASSIGN_WAIT_MS ||
            !hw_consumer_warn_due(c->unassigned_warned, now))
                return;
        HW_LOG_KV(HW_LOG_WARN, "consumer",
                  "no partitions assigned yet: the group is rebalancing, or "
                  "other members hold every partition. A member that died "
                  "without leaving holds its partitions until its "
                  "session.timeout.ms (45 s by default) has passed; a "
                  "consumer restarted with the same group.instance.id "
                  "(static membership: -X group.instance.id=NAME, e.g. the "
                  "pod name) takes them back without that wait",
                  "waited_s=%" PRId64 " group=\"%s\"",
                  (now - c->unassigned_since) / 1000, c->conf.group);
        c->unassigned_warned = now;
}

/* The closing line of a run that ends by itself: what it did, in how long. */
void hw_consumer_say_summary(consumer_t *c, const char *what) {
        char by_class[400] = "";
        size_t n = 0;
        uint64_t rejected = 0;
        double secs = (double)(hw_consumer_mono_ms() - c->started_ms) / 1000.0;

        for (int k = 1; k < REJECT_CLASSES; k++) {
                if (!c->rejects[k].total || n >= sizeof(by_class))
                        continue;
                rejected += c->rejects[k].total;
                n += (size_t)snprintf(by_class + n, sizeof(by_class) - n,
                                      " rejected_%s=%" PRIu64,
                                      hw_err_name((hw_err_t)k),
                                      c->rejects[k].total);
        }
        HW_LOG_KV(HW_LOG_INFO, "consumer", what,
                  "applied=%" PRIu64 " duplicates=%" PRIu64 " rejected=%" PRIu64
                  "%s alerts=%" PRIu64 " seconds=%.2f events_per_s=%.0f",
                  c->total_applied, c->total_duplicates, rejected, by_class,
                  c->total_alerts, secs,
                  secs > 0 ? (double)(c->total_applied + c->total_duplicates) /
                                     secs
                           : 0.0);
}

/* Takes one Kafka message into the batch. */
static void take_message(consumer_t *c, rd_kafka_message_t *m) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        assigned_t *a = hw_consumer_find_assigned(c, topic, m->partition);
        char errstr[512];
        hw_event_t *ev;
        hw_err_t err;

        hw_metrics_add(c->metrics, HW_M_CONSUMED, 1);
        if (!a || m->offset < a->position) {
                rd_kafka_message_destroy(m); /* stale: before a re-seek */
                return;
        }
        if (a->target &&
            (m->offset >= a->target->end || hw_replay_skip(a->target, m))) {
                /* After the replay's end, or before its --from time. */
                a->position = m->offset + 1;
                rd_kafka_message_destroy(m);
                return;
        }
        a->at_eof = 0;
        /* Decoded in the batch's place for it: kept if valid. */
        if (!(ev = hw_batch_next_event(c->batch))) {
                HW_ERROR("consumer", "out of memory");
                fail_stop(c);
                rd_kafka_message_destroy(m);
                return;
        }
        err = hw_codec_decode_in(c->codec, m->payload, m->len, hw_now_ms(), ev,
                                 &c->batch->arena, errstr, sizeof(errstr));
        if (err == HW_ERR_SERVICE && !c->conf.registry_outage_dlq) {
                /* Not taken: read again once the registry answers. */
                snprintf(c->registry_wait, sizeof(c->registry_wait), "%s",
                         errstr);
                c->registry_part = a;
                c->registry_offset = m->offset;
                rd_kafka_message_destroy(m);
                return;
        }
        if (err == HW_ERR_SERVICE) /* schema.registry.unavailable = dlq */
                err = HW_ERR_UNKNOWN_SCHEMA;
        a->position = m->offset + 1;
        if (!c->batch->n_messages)
                c->batch->started_ms = hw_consumer_mono_ms();
        if (hw_batch_track(c->batch, topic, m->partition, m->offset,
                           a->stored)) {
                HW_ERROR("consumer", "out of memory");
                fail_stop(c);
                rd_kafka_message_destroy(m);
                return;
        }
        if (!err && c->archive && archive_event(c, m, ev)) {
                fail_stop(c);
                rd_kafka_message_destroy(m);
                return;
        }
        if (!err) {
                hw_batch_keep_event(c->batch);
                rd_kafka_message_destroy(m);
                process_part(c);
                return;
        }
        hw_metrics_rejected(c->metrics, hw_err_name(err));
        HW_DEBUG("consumer", "rejected %s/%" PRId32 "@%" PRId64 ": %s: %s",
                 topic, m->partition, m->offset, hw_err_name(err), errstr);
        if (err < REJECT_CLASSES) {
                rejects_seen_t *r = &c->rejects[err];
                r->total++;
                if (!r->pending++) {
                        snprintf(r->example, sizeof(r->example),
                                 "%s/%" PRId32 "@%" PRId64 ": %s", topic,
                                 m->partition, m->offset, errstr);
                        /* A logfmt value in quotes: none inside it. */
                        for (char *p = r->example; *p; p++)
                                if (*p == '"' || *p == '\\' ||
                                    (unsigned char)*p < 0x20)
                                        *p = '\'';
                }
                hw_consumer_report_rejects(c, 0);
        }
        if (hw_batch_add_reject(c->batch, m, err, errstr)) {
                HW_ERROR("consumer", "out of memory");
                fail_stop(c);
                rd_kafka_message_destroy(m);
        }
}

/* Refreshes the lag gauges from librdkafka's cached high watermarks. */
static void update_lag(consumer_t *c) {
        for (size_t i = 0; i < c->n_assigned; i++) {
                int64_t lo, hi;
                assigned_t *a = &c->assigned[i];
                if (rd_kafka_get_watermark_offsets(
                            c->rk, a->topic, a->partition, &lo, &hi) == 0 &&
                    hi >= 0)
                        hw_metrics_set_lag(c->metrics, a->topic, a->partition,
                                           hi > a->position ? hi - a->position
                                                            : 0);
        }
}

/* Readiness between batches: Redis must answer (an idle consumer would
 * otherwise not notice an outage), the Schema Registry must have answered
 * its last request, and partitions must be assigned. */
void hw_consumer_check_health(consumer_t *c) {
        char errstr[512];

        if (c->registry) {
                hw_registry_stats_t now = hw_registry_stats(c->registry);
                hw_metrics_add(c->metrics, HW_M_REGISTRY_REQUESTS,
                               now.requests - c->registry_seen.requests);
                hw_metrics_add(c->metrics, HW_M_REGISTRY_ERRORS,
                               now.errors - c->registry_seen.errors);
                c->registry_seen = now;
                if (!hw_registry_reachable(c->registry)) {
                        hw_metrics_set_ready(c->metrics, 0,
                                             "schema registry unavailable");
                        return;
                }
        }
        if (hw_store_ping(c->store, errstr, sizeof(errstr))) {
                hw_metrics_set_ready(c->metrics, 0, errstr);
                return;
        }
        hw_metrics_set_ready(c->metrics, c->n_assigned > 0,
                             "no partitions assigned");
}

/*
 * The Schema Registry did not answer for a message's writer schema: its
 * partition goes back to that message (librdkafka drops what it fetched
 * after it), so nothing after it is taken first; other partitions go on.
 * Reports not ready and waits with capped backoff before reading on.
 */
static void wait_for_registry(consumer_t *c) {
        assigned_t *a = c->registry_part;
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_error_t *e;

        {
                char msg[768];
                snprintf(msg, sizeof(msg), "%s; reading the partition again",
                         c->registry_wait);
                HW_LOG_KV(HW_LOG_WARN, "consumer", msg,
                          "topic=%s partition=%" PRId32 " offset=%" PRId64
                          " in_ms=%d",
                          a->topic, a->partition, c->registry_offset,
                          c->registry_backoff);
        }
        rd_kafka_topic_partition_list_add(parts, a->topic, a->partition)
                ->offset = c->registry_offset;
        a->position = c->registry_offset;
        a->at_eof = -1;
        if ((e = rd_kafka_seek_partitions(c->rk, parts, 5000))) {
                /* Then read from Redis's offsets, as after fencing. */
                HW_WARN("consumer", "seek failed: %s",
                        rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                hw_consumer_flush_batch(c, 0);
                hw_consumer_reseek(c);
        }
        rd_kafka_topic_partition_list_destroy(parts);
        hw_metrics_set_ready(c->metrics, 0, c->registry_wait);
        for (int slept = 0;
             slept < c->registry_backoff && !hw_consumer_stop_requested;
             slept += 50)
                hw_consumer_sleep_ms(50);
        c->registry_backoff =
                hw_backoff_next(c->registry_backoff, BACKOFF_MAX_MS);
        c->registry_wait[0] = '\0';
}

/* The main loop: poll, batch, flush; until stopped or caught up. */
int hw_consumer_run(consumer_t *c) {
        int64_t last_check = 0;

        while (!hw_consumer_stop_requested) {
                int64_t now = hw_consumer_mono_ms();
                int wait = 100;
                rd_kafka_message_t *m;

                if (c->batch->n_messages) {
                        int64_t left = c->batch->started_ms +
                                       c->conf.batch_max_ms - now;
                        wait = left <= 0 ? 0 : left < 100 ? (int)left : 100;
                }
                m = rd_kafka_consumer_poll(c->rk, wait);
                if (m) {
                        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                hw_consumer_partition_eof(c, m);
                                rd_kafka_message_destroy(m);
                        } else if (m->err) {
                                snprintf(c->kafka_error, sizeof(c->kafka_error),
                                         "%s", rd_kafka_message_errstr(m));
                                hw_consumer_outage_wait(c, &c->kafka_outage,
                                                        "Kafka",
                                                        c->kafka_error);
                                rd_kafka_message_destroy(m);
                        } else {
                                c->brokers_doubted = 0;
                                hw_consumer_outage_over(&c->kafka_outage,
                                                        "Kafka");
                                take_message(c, m);
                        }
                }
                hw_consumer_kafka_down_check(c, hw_consumer_mono_ms());
                /* librdkafka may report a fetch Kafka refused once, then
                 * fetch nothing more: a batch run gives up on that outage
                 * after outage.wait.ms all the same, not only when another
                 * error comes. */
                if (batch_mode(c) && c->kafka_outage.since &&
                    !c->brokers_doubted &&
                    now - c->kafka_outage.since >= c->conf.outage_wait_ms)
                        hw_consumer_outage_wait(c, &c->kafka_outage, "Kafka",
                                                c->kafka_error);
                /* The last step's reply, once Redis sent it (or while
                 * there is nothing else to do). */
                if (c->pending && (!m || (++c->pending_polls % 128 == 0 &&
                                          hw_store_step_ready(c->store))))
                        hw_consumer_finish_pending(c);
                if (!c->batch->n_messages && c->unjudged && !c->pending)
                        hw_consumer_flush_batch(c,
                                                0); /* if the end was reached */
                if (c->registry_wait[0])
                        wait_for_registry(c);
                else if (c->registry && hw_registry_reachable(c->registry))
                        c->registry_backoff = BACKOFF_MIN_MS;
                now = hw_consumer_mono_ms();
                /* A batch closes when full, or when it is batch.max.ms old
                 * and nothing more is waiting (a busy consumer keeps
                 * filling it, up to ten times that age). A full batch's
                 * step is only sent: the next is read while Redis applies
                 * it. */
                if (c->batch->n_messages &&
                    ((int)c->batch->n_messages >= c->conf.batch_max_events ||
                     (now - c->batch->started_ms >= c->conf.batch_max_ms &&
                      (!m || now - c->batch->started_ms >=
                                     10 * (int64_t)c->conf.batch_max_ms))))
                        flush_batch_as(c, 0,
                                       (int)c->batch->n_messages >=
                                               c->conf.batch_max_events);
                /* What follows uses Redis: it waits for no step's reply. */
                if (c->pending)
                        continue;
                if (c->replay) {
                        if (now - c->last_lag_ms >= 500) {
                                hw_consumer_report_rejects(c, 0);
                                hw_consumer_replay_tick(c);
                                c->last_lag_ms = now;
                        }
                        if (!c->batch->n_messages &&
                            hw_replay_complete(c->targets, c->n_targets))
                                break;
                        continue;
                }
                if (now - c->last_lag_ms >= 1000) {
                        update_lag(c);
                        hw_consumer_check_health(c);
                        hw_consumer_report_commits(c, now);
                        hw_consumer_report_rejects(c, 0);
                        say_unassigned(c, now);
                        hw_consumer_relay_alerts(
                                c, 0); /* confirmations, leftovers */
                        c->last_lag_ms = now;
                }
                if (c->until_caught_up && !c->batch->n_messages &&
                    now - last_check >= 200) {
                        last_check = now;
                        if (hw_consumer_caught_up(c)) {
                                HW_INFO("consumer", "caught up with the end "
                                                    "offsets seen at start");
                                c->caught_up = 1;
                                break;
                        }
                }
        }
        hw_consumer_flush_batch(c, 1);
        /* Everything, before leaving; during a Kafka outage what was not
         * delivered is relayed by the next run. */
        if (!c->replay)
                hw_consumer_relay_alerts(c, !c->kafka_outage.since);
        hw_consumer_report_rejects(c, 1);
        if (c->until_caught_up || c->replay)
                hw_consumer_say_summary(
                        c, c->failed      ? "stopped by a failure"
                           : c->caught_up ? "caught up"
                           : c->replay && hw_replay_complete(c->targets,
                                                             c->n_targets)
                                   ? "replay read to its end"
                                   : "stopped before the end");
        return c->failed ? c->failed : HW_EXIT_OK;
}
