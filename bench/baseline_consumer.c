/*
 * The benchmark's baseline: a plain librdkafka consumer in a group that
 * only reads the hire and offer topics until every partition reached the
 * end offset it had at start, and counts the messages. Same group
 * machinery as hirewire-consumer, no decoding, no Redis. Prints the
 * messages read and the seconds from the first assignment of partitions
 * to the end (the group join left out: a fresh group waits about 3 s for
 * it, as long as reading takes at these sizes).
 *
 * usage: bench-baseline BOOTSTRAP GROUP TOPIC...
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARTS 4096

static double assigned_at; /* monotonic seconds; 0 until assigned */

static double mono_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
        (void)opaque;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                if (!assigned_at)
                        assigned_at = mono_s();
                rd_kafka_assign(rk, parts);
        } else {
                rd_kafka_assign(rk, NULL);
        }
}

typedef struct part_s {
        const char *topic;
        int32_t partition;
        int64_t end;
        int64_t next;
} part_t;

int main(int argc, char **argv) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        rd_kafka_topic_partition_list_t *topics;
        static part_t parts[MAX_PARTS];
        size_t n_parts = 0, done = 0;
        uint64_t count = 0;

        if (argc == 2 && !strcmp(argv[1], "--librdkafka-version")) {
                /* The release loaded, for the benchmark's header. */
                printf("%s\n", rd_kafka_version_str());
                rd_kafka_conf_destroy(conf);
                return 0;
        }
        if (argc < 4) {
                fprintf(stderr,
                        "usage: %s BOOTSTRAP GROUP TOPIC...\n"
                        "       %s --librdkafka-version\n",
                        argv[0], argv[0]);
                return 2;
        }
        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "group.id", argv[2], errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr,
                              sizeof(errstr)) ||
            rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "8192",
                              errstr, sizeof(errstr))) {
                fprintf(stderr, "%s\n", errstr);
                return 2;
        }
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "%s\n", errstr);
                return 1;
        }
        rd_kafka_poll_set_consumer(rk);
        topics = rd_kafka_topic_partition_list_new(argc - 3);
        for (int t = 3; t < argc; t++) {
                const struct rd_kafka_metadata *md;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[t], NULL);
                if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) ||
                    md->topic_cnt != 1) {
                        fprintf(stderr, "no metadata for %s\n", argv[t]);
                        return 1;
                }
                for (int p = 0;
                     p < md->topics[0].partition_cnt && n_parts < MAX_PARTS;
                     p++) {
                        int64_t lo, hi;
                        part_t *pt = &parts[n_parts++];
                        pt->topic = argv[t];
                        pt->partition = md->topics[0].partitions[p].id;
                        rd_kafka_query_watermark_offsets(
                                rk, argv[t], pt->partition, &lo, &hi, 10000);
                        pt->end = hi;
                        pt->next = lo;
                        if (pt->next >= pt->end)
                                done++;
                }
                rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
                rd_kafka_topic_partition_list_add(topics, argv[t],
                                                  RD_KAFKA_PARTITION_UA);
        }
        rd_kafka_subscribe(rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        while (done < n_parts) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (!m)
                        continue;
                if (!m->err) {
                        const char *topic = rd_kafka_topic_name(m->rkt);
                        count++;
                        for (size_t i = 0; i < n_parts; i++) {
                                part_t *pt = &parts[i];
                                if (pt->partition != m->partition ||
                                    strcmp(pt->topic, topic))
                                        continue;
                                if (pt->next < pt->end &&
                                    m->offset + 1 >= pt->end)
                                        done++;
                                pt->next = m->offset + 1;
                                break;
                        }
                }
                rd_kafka_message_destroy(m);
        }
        printf("%" PRIu64 " %.3f\n", count,
               assigned_at ? mono_s() - assigned_at : 0.0);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
}
