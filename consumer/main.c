/*
 * hirewire-consumer's main: the run's state, the command line, the
 * processors' config (a replay's staging prefix), the codec, metrics,
 * store and registry, Redis and the alert schema reached, Kafka, then the
 * replay or the live loop; everything released at the end.
 */
#include "consumer.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* The run's state before the command line is read: the batches and the
 * tables of partitions and alerts. -1 when out of memory. */
static int init(consumer_t *c) {
        hw_batch_cache_init(&c->cache);
        hw_batch_init(&c->batches[0], &c->cache);
        hw_batch_init(&c->batches[1], &c->cache);
        hw_buf_init(&c->payload);
        c->batch = &c->batches[0];
        c->unjudged = 1; /* what was applied before this start, maybe */
        c->assigned = calloc(MAX_PARTITIONS, sizeof(*c->assigned));
        c->targets = calloc(MAX_PARTITIONS, sizeof(*c->targets));
        c->ends = calloc(MAX_PARTITIONS, sizeof(*c->ends));
        c->relay = calloc(RELAY_BATCH, sizeof(*c->relay));
        if (!c->assigned || !c->targets || !c->ends || !c->relay)
                return -1;
        for (size_t i = 0; i < RELAY_BATCH; i++)
                hw_alert_init(&c->relay[i].alert);
        return 0;
}

/* What the config asks of the processors; for a replay, the staging
 * prefix: counters go there, alerts (when raised) to the live ones, so
 * ids raised before stay raised. -1 when out of memory. */
static int configure(consumer_t *c) {
        char staging[300];

        c->proc.mega_threshold_usd = c->conf.mega_threshold_usd;
        c->proc.alert_mega_offer = c->conf.alert_mega_offer;
        c->proc.alert_mega_usd = c->conf.alert_mega_offer_usd;
        c->proc.alert_top_tier_move = c->conf.alert_top_tier_move;
        c->proc.alert_raid = c->conf.alert_raid;
        c->proc.alert_brain_drain = c->conf.alert_brain_drain;
        if (!c->replay)
                return 0;
        c->live_prefix = strdup(c->conf.prefix);
        if (!c->live_prefix ||
            !hw_keys_replay_prefix(staging, sizeof(staging), c->conf.prefix) ||
            (!c->conf.alerts_prefix &&
             !(c->conf.alerts_prefix = strdup(c->conf.prefix))))
                return -1;
        free(c->conf.prefix);
        return (c->conf.prefix = strdup(staging)) ? 0 : -1;
}

/* The codec, the metrics (served unless "off"), the store and the Schema
 * Registry client. An exit status. */
static int open_parts(consumer_t *c) {
        char errstr[512], bound[128];

        c->codec = hw_codec_new(errstr, sizeof(errstr));
        c->metrics = hw_metrics_new();
        c->store =
                hw_store_new(&c->conf, c->conf.group, errstr, sizeof(errstr));
        if (!c->codec || !c->metrics || !c->store) {
                HW_ERROR("consumer", "%s", errstr);
                return HW_EXIT_FAILURE;
        }
        hw_codec_set_max_message(c->codec, c->conf.max_message_bytes);
        c->registry_backoff = BACKOFF_MIN_MS;
        if (c->conf.registry_url) {
                hw_registry_conf_t rc_conf = hw_config_registry(&c->conf);
                c->registry = hw_registry_new(&rc_conf, errstr, sizeof(errstr));
                if (!c->registry) {
                        HW_ERROR("consumer", "%s", errstr);
                        return HW_EXIT_USAGE;
                }
                if (hw_codec_use_registry(c->codec, c->registry,
                                          (size_t)c->conf.registry_cache_max)) {
                        HW_ERROR("consumer", "out of memory");
                        return HW_EXIT_FAILURE;
                }
        }
        hw_metrics_set_ready(c->metrics, 0, "starting");
        hw_store_set_raise_alerts(c->store, !c->replay || c->replay_alerts);
        hw_metrics_set_version(c->metrics, HW_VERSION);
        if (!strcmp(c->conf.metrics_addr, "off"))
                return HW_EXIT_OK;
        if (!hw_metrics_serve(c->metrics, c->conf.metrics_addr, bound,
                              sizeof(bound), errstr, sizeof(errstr))) {
                HW_INFO("consumer", "metrics at http://%s/metrics", bound);
        } else if (c->replay) {
                /* A replay beside a live consumer on this host finds the
                 * address taken: it rebuilds anyway. */
                HW_WARN("consumer",
                        "metrics: %s; the replay goes on without them "
                        "(--metrics-addr picks another address)",
                        errstr);
        } else {
                HW_ERROR("consumer", "metrics: %s", errstr);
                return HW_EXIT_UNAVAILABLE; /* the address is valid */
        }
        return HW_EXIT_OK;
}

/* Redis must answer before partitions are taken; then the registry's
 * answer for the alert schema, asked now: settings it refuses
 * (credentials, a subject without the schema) will not fix themselves, so
 * say so and stop; an outage is waited for later, message by message.
 * An exit status. */
static int reach_services(consumer_t *c) {
        char errstr[512];
        hw_err_t err;

        for (int backoff = BACKOFF_MIN_MS;
             (err = hw_store_connect(c->store, errstr, sizeof(errstr)));) {
                /* Redis answering with an error (a db it does not
                 * have) is not Redis unavailable. */
                if (err != HW_ERR_SERVICE || hw_consumer_stop_requested) {
                        HW_ERROR("consumer", "%s", errstr);
                        return err == HW_ERR_ARG       ? HW_EXIT_USAGE
                               : err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE
                                                       : HW_EXIT_FAILURE;
                }
                if (hw_consumer_outage_wait(c, &c->outage, "Redis", errstr))
                        return c->failed;
                hw_consumer_sleep_ms(backoff);
                backoff = hw_backoff_next(backoff, BACKOFF_MAX_MS);
        }
        hw_consumer_outage_over(&c->outage, "Redis");
        if (c->registry && c->conf.alerts_relay) {
                int32_t id;
                err = hw_consumer_alert_schema_id(c, &id, errstr,
                                                  sizeof(errstr));
                if (err == HW_ERR_ARG ||
                    (err && strstr(errstr, "refused the credentials"))) {
                        HW_ERROR("consumer", "%s", errstr);
                        return err == HW_ERR_ARG ? HW_EXIT_USAGE
                                                 : HW_EXIT_UNAVAILABLE;
                }
                if (err)
                        HW_WARN("consumer",
                                "%s; going on (messages wait for "
                                "the registry)",
                                errstr);
        }
        return HW_EXIT_OK;
}

/* The Kafka consumer and DLQ producer: a replay reads outside the group
 * (it never joins it, never commits). An exit status. */
static int open_kafka(consumer_t *c) {
        char errstr[512], group_id[300];
        hw_err_t err;

        snprintf(group_id, sizeof(group_id), "%s.replay", c->conf.group);
        if ((err = hw_consumer_setup_kafka(c,
                                           c->replay ? group_id : c->conf.group,
                                           errstr, sizeof(errstr)))) {
                HW_ERROR("consumer", "%s", errstr);
                return err == HW_ERR_ARG ? HW_EXIT_USAGE : HW_EXIT_UNAVAILABLE;
        }
        return HW_EXIT_OK;
}

/* A live (or --until-caught-up) run: joins the group, starts the webhook
 * and the archive, and runs the loop. An exit status. */
static int consume(consumer_t *c) {
        char errstr[512];

        if (c->until_caught_up) {
                if (hw_consumer_find_targets(c))
                        return HW_EXIT_UNAVAILABLE;
                /* Nothing to do: no need to join (and churn) the group. */
                if (hw_consumer_caught_up(c)) {
                        HW_INFO("consumer", "already caught up with the end "
                                            "offsets");
                        c->caught_up = 1;
                        hw_consumer_flush_batch(c,
                                                1); /* judges what is applied */
                        hw_consumer_relay_alerts(c, 1);
                        hw_consumer_say_summary(c, "caught up");
                        return HW_EXIT_OK;
                }
        }
        if (hw_consumer_subscribe(c, errstr, sizeof(errstr))) {
                HW_ERROR("consumer", "%s", errstr);
                return HW_EXIT_UNAVAILABLE;
        }
        if (c->conf.alert_webhook_url) {
                c->webhook =
                        hw_webhook_start(&c->conf, c->conf.group, c->metrics,
                                         errstr, sizeof(errstr));
                if (!c->webhook) {
                        HW_ERROR("consumer", "webhook: %s", errstr);
                        return HW_EXIT_FAILURE;
                }
        }
        if (c->conf.archive_dir) {
                c->archive = hw_archive_open(c->conf.archive_dir, errstr,
                                             sizeof(errstr));
                if (!c->archive) {
                        HW_ERROR("consumer", "archive: %s", errstr);
                        return HW_EXIT_FAILURE;
                }
                hw_archive_set_block_size(c->archive,
                                          c->conf.max_message_bytes + 1024);
                HW_INFO("consumer", "archiving valid events in %s",
                        c->conf.archive_dir);
        }
        HW_INFO("consumer", "consuming %s and %s as group %s into prefix %s",
                c->conf.topic_hires, c->conf.topic_offers, c->conf.group,
                c->conf.prefix);
        return hw_consumer_run(c);
}

/* Closes and frees everything the run holds. */
static void release(consumer_t *c) {
        hw_webhook_stop(c->webhook);
        if (c->rk) {
                rd_kafka_consumer_close(c->rk);
                rd_kafka_destroy(c->rk);
        }
        if (c->dlq) {
                rd_kafka_flush(c->dlq, 5000);
                rd_kafka_destroy(c->dlq);
        }
        hw_archive_close(c->archive);
        hw_batch_release(&c->batches[0]);
        hw_batch_release(&c->batches[1]);
        hw_batch_cache_release(&c->cache);
        hw_store_destroy(c->store);
        hw_codec_destroy(c->codec);
        hw_registry_destroy(c->registry);
        hw_metrics_destroy(c->metrics);
        hw_config_release(&c->conf);
        free(c->assigned);
        free(c->targets);
        free(c->ends);
        for (size_t i = 0; c->relay && i < RELAY_BATCH; i++)
                hw_alert_release(&c->relay[i].alert);
        free(c->relay);
        free(c->live_prefix);
        hw_buf_release(&c->payload);
        free(c);
}

int main(int argc, char **argv) {
        consumer_t *c = calloc(1, sizeof(*c));
        struct sigaction sa = {.sa_handler = hw_consumer_on_signal};
        int rc = HW_EXIT_FAILURE;

#ifdef __GLIBC__
        /* glibc gives each thread that allocates (librdkafka's broker
         * threads) an arena of its own, up to eight per core, each
         * keeping the pages its thread freed. One arena holds the same
         * work in the least memory, at no cost in CPU measured (with
         * two, which threads shared the main thread's arena varied from
         * run to run, and so did the peak, by up to 20 MiB).
         * MALLOC_ARENA_MAX, when set, wins. */
        if (!getenv("MALLOC_ARENA_MAX"))
                mallopt(M_ARENA_MAX, 1);
#endif
        if (!c || hw_config_init(&c->conf))
                return HW_EXIT_FAILURE;
        if (init(c) ||
            (rc = hw_consumer_parse_args(c, argc, argv)) != HW_EXIT_OK)
                goto done;
        rc = HW_EXIT_FAILURE;
        c->started_ms = hw_consumer_mono_ms();
        if (configure(c))
                goto done;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* A write to a connection Redis (or a webhook) closed must fail
         * with EPIPE, to be retried, not kill the process. */
        signal(SIGPIPE, SIG_IGN);
        if ((rc = open_parts(c)) == HW_EXIT_OK &&
            (rc = reach_services(c)) == HW_EXIT_OK &&
            (rc = open_kafka(c)) == HW_EXIT_OK)
                rc = c->replay ? hw_consumer_run_replay(c) : consume(c);
done:
        release(c);
        hw_consumer_say_exit(rc);
        return rc;
}
