/*
 * hirewire-produce: publishes hire and offer events to Kafka.
 *
 * Events come from NDJSON files (or stdin) or from the synthetic generator.
 * Each is validated by the same rules as the consumer, encoded with the
 * current schema in the Confluent framing (with the Schema Registry's id
 * under <topic>-value when schema.registry.url is set), and produced with
 * key person_id by an idempotent producer. The program waits for every
 * delivery report.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "generate.h"
#include "hw_archive.h"
#include "hw_codec.h"
#include "hw_config.h"
#include "hw_json.h"
#include "hw_kafka.h"
#include "hw_log.h"
#include "hw_time.h"
#include "hw_validate.h"

#define FAILED_NAMED_MAX 100 /* failed event_ids logged one by one */

typedef struct produce_opts_s {
        hw_config_t conf;      /* -c FILE, -s, and the flags below */
        hw_kafka_opts_t kafka; /* these three point into conf */
        const char *hires_topic;
        const char *offers_topic;
        const char *topic; /* overrides both topics when set */
        int strict;
        int dry_run;
        int generate;
        int from_archive; /* FILEs are archive (Avro container) files */
        uint64_t gen_count;
        uint64_t seed;
        double rate;   /* events/s, 0 = as fast as possible */
        int span_days; /* generated events cover these days */
        int timeout_s; /* delivery timeout */
} produce_opts_t;

static const produce_opts_t produce_defaults = {
        .seed = 1,
        .timeout_s = 30,
        .span_days = HW_GEN_SPAN_DAYS_DEFAULT,
};

/* Delivery outcome counters, updated by the delivery report callback. */
typedef struct produce_stats_s {
        uint64_t lines;
        uint64_t valid;
        uint64_t invalid;
        uint64_t enqueued;
        uint64_t delivered;
        uint64_t failed;
        uint64_t failed_unavailable; /* timed out or no broker reachable */
} produce_stats_t;

typedef struct producer_s {
        const produce_opts_t *opts;
        rd_kafka_t *rk;
        hw_codec_t *codec;
        hw_registry_t *registry; /* schema.registry.url, or NULL */
        int registry_down;       /* stopped: the registry did not answer */
        hw_event_t ev;
        hw_buf_t payload;
        hw_buf_t json;
        produce_stats_t stats;
        struct timespec started;
} producer_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static void usage(FILE *out) {
        fprintf(out,
                "Usage: hirewire-produce [OPTIONS] [FILE...]\n"
                "       hirewire-produce [OPTIONS] --generate N [--seed S] "
                "[--rate R]\n"
                "       hirewire-produce [OPTIONS] --from-archive FILE...\n"
                "\n"
                "Publishes hire and offer events to Kafka (Avro, Confluent "
                "framing, key person_id).\n"
                "FILEs hold NDJSON, one event per line with \"type\": "
                "\"hire\" | \"offer\";\n"
                "without FILE (or with -) stdin is read.\n"
                "\n"
                "  -b, --brokers LIST        Kafka bootstrap servers\n"
                "      --bootstrap-file FILE read the bootstrap list from "
                "FILE\n"
                "  -X key=value              any librdkafka property "
                "(repeatable)\n"
                "  -c, --config FILE         hirewire config file (brokers, "
                "kafka.*, topics,\n"
                "                            schema.registry.*)\n"
                "  -s, --set key=value       a config key, e.g. "
                "schema.registry.url=URL\n"
                "      --topic T             publish every event to T\n"
                "      --hires-topic T       topic for hires (default "
                "talent.hires)\n"
                "      --offers-topic T      topic for offers (default "
                "talent.offers)\n"
                "      --strict              send nothing if any line is "
                "invalid\n"
                "      --dry-run             validate and print the events "
                "as NDJSON; send nothing\n"
                "      --generate N          publish N synthetic events\n"
                "      --from-archive        FILEs are archive files "
                "(hirewire-consumer\n"
                "                            --archive-dir): republish "
                "their events in order\n"
                "      --seed S              generator seed (default 1)\n"
                "      --rate R              at most R events per second\n"
                "      --span-days D         generated events cover the D days "
                "before\n"
                "                            2025-10-01 (default 1004)\n"
                "      --timeout SEC         delivery timeout (default 30)\n"
                "      --log-level LEVEL     debug, info, warn, error "
                "(default info)\n"
                "  -h, --help                this help\n"
                "      --version             print the version\n"
                "\n"
                "Exit status: 0 all delivered, 65 invalid input lines (the "
                "valid ones are sent\n"
                "unless --strict) or an input file that cannot be read "
                "(nothing is sent),\n"
                "69 brokers unreachable, 2 usage error, 1 other "
                "failures.\n");
}

/* Parses a non-negative integer option value. */
static int parse_u64(const char *s, uint64_t *out) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-')
                return -1;
        *out = v;
        return 0;
}

static int parse_args(int argc, char **argv, produce_opts_t *o) {
        enum {
                OPT_TOPIC = HW_OPT_FIRST,
                OPT_HIRES_TOPIC,
                OPT_OFFERS_TOPIC,
                OPT_STRICT,
                OPT_DRY_RUN,
                OPT_GENERATE,
                OPT_FROM_ARCHIVE,
                OPT_SEED,
                OPT_RATE,
                OPT_SPAN,
                OPT_TIMEOUT,
                OPT_LOG_LEVEL,
                OPT_VERSION,
        };
        static const struct option longopts[] = {
                HW_COMMON_LONGOPTS,
                {"topic", required_argument, NULL, OPT_TOPIC},
                {"hires-topic", required_argument, NULL, OPT_HIRES_TOPIC},
                {"offers-topic", required_argument, NULL, OPT_OFFERS_TOPIC},
                {"strict", no_argument, NULL, OPT_STRICT},
                {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                {"generate", required_argument, NULL, OPT_GENERATE},
                {"from-archive", no_argument, NULL, OPT_FROM_ARCHIVE},
                {"seed", required_argument, NULL, OPT_SEED},
                {"rate", required_argument, NULL, OPT_RATE},
                {"span-days", required_argument, NULL, OPT_SPAN},
                {"timeout", required_argument, NULL, OPT_TIMEOUT},
                {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {NULL, 0, NULL, 0},
        };
        char errstr[512];
        const char *config_file;
        uint64_t u;
        int c;
        char *end;

        if (hw_config_load_args(&o->conf, argc, argv, &config_file, errstr,
                                sizeof(errstr)))
                goto bad_config;
        while ((c = getopt_long(argc, argv, HW_COMMON_SHORTOPTS "h", longopts,
                                NULL)) != -1) {
                int common = hw_config_common_flag(&o->conf, c, optarg, errstr,
                                                   sizeof(errstr));
                if (common < 0)
                        goto bad_config;
                if (common)
                        continue;
                switch (c) {
                case OPT_TOPIC:
                        o->topic = optarg;
                        break;
                case OPT_HIRES_TOPIC:
                        if (hw_config_set(&o->conf, "topic.hires", optarg,
                                          errstr, sizeof(errstr)))
                                goto bad_config;
                        break;
                case OPT_OFFERS_TOPIC:
                        if (hw_config_set(&o->conf, "topic.offers", optarg,
                                          errstr, sizeof(errstr)))
                                goto bad_config;
                        break;
                case OPT_STRICT:
                        o->strict = 1;
                        break;
                case OPT_DRY_RUN:
                        o->dry_run = 1;
                        break;
                case OPT_GENERATE:
                        if (parse_u64(optarg, &o->gen_count))
                                goto bad_value;
                        o->generate = 1;
                        break;
                case OPT_FROM_ARCHIVE:
                        o->from_archive = 1;
                        break;
                case OPT_SEED:
                        if (parse_u64(optarg, &o->seed))
                                goto bad_value;
                        break;
                case OPT_RATE:
                        errno = 0;
                        o->rate = strtod(optarg, &end);
                        if (errno || end == optarg || *end || !(o->rate > 0))
                                goto bad_value;
                        break;
                case OPT_SPAN:
                        if (parse_u64(optarg, &u) || u == 0 || u > 9000)
                                goto bad_value;
                        o->span_days = (int)u;
                        break;
                case OPT_TIMEOUT:
                        if (parse_u64(optarg, &u) || u == 0 || u > 86400)
                                goto bad_value;
                        o->timeout_s = (int)u;
                        break;
                case OPT_LOG_LEVEL:
                        if (hw_log_level_parse(optarg) < 0)
                                goto bad_value;
                        if (hw_config_set(&o->conf, "log.level", optarg, errstr,
                                          sizeof(errstr)))
                                goto bad_config;
                        break;
                case 'h':
                        usage(stdout);
                        exit(HW_EXIT_OK);
                case OPT_VERSION:
                        printf("hirewire-produce %s\n", HW_VERSION);
                        exit(HW_EXIT_OK);
                default:
                        usage(stderr);
                        return HW_EXIT_USAGE;
                }
                continue;
        bad_value:
                fprintf(stderr, "hirewire-produce: invalid value for %s: %s\n",
                        argv[optind - 1], optarg);
                return HW_EXIT_USAGE;
        }
        o->kafka = o->conf.kafka;
        o->hires_topic = o->conf.topic_hires;
        o->offers_topic = o->conf.topic_offers;
        if (o->from_archive && (o->generate || optind >= argc)) {
                fprintf(stderr, "hirewire-produce: --from-archive takes "
                                "archive FILEs, and no --generate\n");
                return HW_EXIT_USAGE;
        }
        if (o->generate && optind < argc) {
                fprintf(stderr, "hirewire-produce: --generate takes no FILE "
                                "arguments\n");
                return HW_EXIT_USAGE;
        }
        return HW_EXIT_OK;
bad_config:
        fprintf(stderr, "hirewire-produce: %s\n", errstr);
        return HW_EXIT_USAGE;
}

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
        while (!stop_requested &&
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
                if (err != HW_ERR_SERVICE || stop_requested ||
                    mono_ms() >= give_up) {
                        HW_ERROR("producer", "%s; stopped before event_id %s",
                                 errstr, ev->event_id);
                        p->registry_down = err == HW_ERR_SERVICE;
                        return -1;
                }
                HW_LOG_KV(HW_LOG_WARN, "producer", errstr, "retry_in_ms=%d",
                          backoff);
                for (int64_t until = mono_ms() + backoff;
                     mono_ms() < until && !stop_requested;)
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
static int emit_event(producer_t *p);

/* An archive record: validated as the consumer does, then sent. */
typedef struct archive_input_s {
        producer_t *p;
        const char *name;
        int failed;
} archive_input_t;

static int on_archive_record(void *ctx, const void *framed, size_t len,
                             uint64_t record) {
        archive_input_t *in = ctx;
        producer_t *p = in->p;
        char errstr[512];

        p->stats.lines++;
        if (hw_codec_decode(p->codec, framed, len, hw_now_ms(), &p->ev, errstr,
                            sizeof(errstr))) {
                p->stats.invalid++;
                HW_ERROR("producer",
                         "%s: record %" PRIu64 ": invalid event: %s", in->name,
                         record, errstr);
                return 0;
        }
        p->stats.valid++;
        if (emit_event(p)) {
                in->failed = 1;
                return -1;
        }
        return stop_requested;
}

/* Republishes the events of archive files, file by file, in order. A file
 * that is not a readable archive is reported and counted invalid (exit
 * 65); the others are still sent. */
static int read_archives(producer_t *p, char **files, int n) {
        for (int i = 0; i < n && !stop_requested; i++) {
                archive_input_t in = {p, files[i], 0};
                char errstr[512];
                hw_err_t err = hw_archive_read(files[i], on_archive_record, &in,
                                               errstr, sizeof(errstr));
                if (err == HW_ERR_IO || err == HW_ERR_NOMEM) {
                        HW_ERROR("producer", "%s", errstr);
                        return -1;
                }
                if (err) {
                        HW_ERROR("producer", "invalid archive: %s", errstr);
                        p->stats.invalid++;
                }
                if (in.failed)
                        return -1;
        }
        return 0;
}

/* Sends or prints the valid event in p->ev. */
static int emit_event(producer_t *p) {
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

/* Parses and validates one NDJSON line into p->ev. Returns 1 if valid,
 * 0 if reported as invalid. */
static int check_line(producer_t *p, const char *name, uint64_t lineno,
                      const char *line, size_t len, int64_t now) {
        char errstr[512];

        if (hw_json_check_event(line, len, &p->ev, now, errstr,
                                sizeof(errstr))) {
                p->stats.invalid++;
                HW_ERROR("producer", "%s:%" PRIu64 ": invalid event: %s", name,
                         lineno, errstr);
                return 0;
        }
        p->stats.valid++;
        return 1;
}

static int blank(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
                        return 0;
        return 1;
}

/*
 * Reads NDJSON from fp. Valid lines are emitted, or with --strict kept in
 * `held` (newline-separated) to be emitted once every input has been read.
 * Returns -1 on a fatal error.
 */
static int read_input(producer_t *p, FILE *fp, const char *name,
                      hw_buf_t *held) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        uint64_t lineno = 0;
        int rc = 0;

        while (!stop_requested && (len = getline(&line, &cap, fp)) != -1) {
                char *text = line;
                lineno++;
                /* A UTF-8 byte order mark opening the input (editors on
                 * some systems write one): not part of the first line. */
                if (lineno == 1 && len >= 3 &&
                    !memcmp(line, "\xEF\xBB\xBF", 3)) {
                        text += 3;
                        len -= 3;
                }
                if (blank(text, (size_t)len))
                        continue;
                p->stats.lines++;
                if (!check_line(p, name, lineno, text, (size_t)len,
                                hw_now_ms()))
                        continue;
                if (held) {
                        if (hw_buf_append(held, text, (size_t)len) ||
                            (text[len - 1] != '\n' &&
                             hw_buf_append(held, "\n", 1))) {
                                rc = -1;
                                break;
                        }
                } else if (emit_event(p)) {
                        rc = -1;
                        break;
                }
        }
        if (ferror(fp)) {
                HW_ERROR("producer", "cannot read %s: %s", name,
                         strerror(errno));
                rc = -1;
        }
        free(line);
        return rc;
}

/* Emits the lines --strict held back; they were all valid. */
static int emit_held(producer_t *p, const hw_buf_t *held) {
        char errstr[512];
        size_t off = 0;

        while (off < held->len && !stop_requested) {
                const char *line = held->data + off;
                const char *nl = memchr(line, '\n', held->len - off);
                size_t len = (size_t)(nl - line);
                off += len + 1;
                if (hw_json_parse_event(line, len, &p->ev, errstr,
                                        sizeof(errstr)) ||
                    emit_event(p))
                        return -1;
        }
        return 0;
}

static int run_generator(producer_t *p) {
        hw_gen_t *gen = hw_gen_new(p->opts->seed, p->opts->gen_count,
                                   p->opts->span_days);
        char errstr[512];
        int rc = 0, more;

        if (!gen)
                return -1;
        while (!stop_requested && (more = hw_gen_next(gen, &p->ev)) == 1) {
                p->stats.lines++;
                if (hw_validate_event(&p->ev, hw_now_ms(), errstr,
                                      sizeof(errstr))) {
                        /* The generator must only make valid events. */
                        HW_ERROR("producer",
                                 "generated event %s is invalid: "
                                 "%s",
                                 p->ev.event_id, errstr);
                        rc = -1;
                        break;
                }
                p->stats.valid++;
                if (emit_event(p)) {
                        rc = -1;
                        break;
                }
        }
        if (more < 0)
                rc = -1;
        hw_gen_destroy(gen);
        return rc;
}

/* Creates the idempotent producer. */
static hw_err_t producer_connect(producer_t *p, char *errstr, size_t size) {
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
        p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, size);
        if (!p->rk) {
                rd_kafka_conf_destroy(conf);
                return HW_ERR_SERVICE;
        }
        conf = NULL; /* now owned by rk */
        return HW_OK;
}

/* Waits for every delivery report, up to the delivery timeout plus a
 * margin; whatever is still queued then is purged and reported failed. */
static void producer_drain(producer_t *p) {
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

int main(int argc, char **argv) {
        produce_opts_t opts = produce_defaults;
        producer_t p;
        char errstr[512];
        hw_buf_t held;
        FILE **inputs = NULL;
        int n_inputs, rc, failed = 0;
        struct sigaction sa = {.sa_handler = on_signal};

        if (hw_config_init(&opts.conf)) {
                fprintf(stderr, "hirewire-produce: out of memory\n");
                return HW_EXIT_FAILURE;
        }
        if ((rc = parse_args(argc, argv, &opts)) != HW_EXIT_OK) {
                hw_config_release(&opts.conf);
                return rc;
        }
        hw_log_set_level((hw_log_level_t)opts.conf.log_level);

        memset(&p, 0, sizeof(p));
        p.opts = &opts;
        hw_event_init(&p.ev);
        hw_buf_init(&p.payload);
        hw_buf_init(&p.json);
        hw_buf_init(&held);

        /* Open every input first: a missing file sends nothing. */
        n_inputs = opts.generate || opts.from_archive
                           ? 0
                           : (optind < argc ? argc - optind : 1);
        for (int i = optind; opts.from_archive && i < argc; i++) {
                if (access(argv[i], R_OK)) {
                        fprintf(stderr,
                                "hirewire-produce: cannot open %s: "
                                "%s\n",
                                argv[i], strerror(errno));
                        rc = HW_EXIT_DATAERR;
                        goto cleanup;
                }
        }
        inputs = calloc((size_t)n_inputs + 1, sizeof(*inputs));
        for (int i = 0; i < n_inputs; i++) {
                const char *name = optind < argc ? argv[optind + i] : "-";
                inputs[i] = strcmp(name, "-") ? fopen(name, "r") : stdin;
                if (!inputs[i]) {
                        fprintf(stderr,
                                "hirewire-produce: cannot open %s: "
                                "%s\n",
                                name, strerror(errno));
                        rc = HW_EXIT_DATAERR;
                        goto cleanup;
                }
        }

        p.codec = hw_codec_new(errstr, sizeof(errstr));
        if (!p.codec) {
                HW_ERROR("producer", "%s", errstr);
                rc = HW_EXIT_FAILURE;
                goto cleanup;
        }
        if (!opts.dry_run && opts.conf.registry_url) {
                hw_registry_conf_t rconf = hw_config_registry(&opts.conf);
                p.registry = hw_registry_new(&rconf, errstr, sizeof(errstr));
                if (!p.registry) {
                        HW_ERROR("producer", "%s", errstr);
                        rc = HW_EXIT_USAGE;
                        goto cleanup;
                }
        }
        if (!opts.dry_run) {
                hw_err_t err = producer_connect(&p, errstr, sizeof(errstr));
                if (err) {
                        HW_ERROR("producer", "%s", errstr);
                        rc = err == HW_ERR_ARG ? HW_EXIT_USAGE
                                               : HW_EXIT_FAILURE;
                        goto cleanup;
                }
        }
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE,
               SIG_IGN); /* a closed connection is an error, not a death */
        clock_gettime(CLOCK_MONOTONIC, &p.started);

        if (opts.generate) {
                failed = run_generator(&p);
        } else if (opts.from_archive) {
                failed = read_archives(&p, argv + optind, argc - optind);
        } else {
                for (int i = 0; i < n_inputs && !failed; i++)
                        failed = read_input(&p, inputs[i],
                                            optind < argc ? argv[optind + i]
                                                          : "stdin",
                                            opts.strict ? &held : NULL);
                if (!failed && opts.strict) {
                        if (p.stats.invalid)
                                HW_ERROR("producer",
                                         "--strict: %" PRIu64 " invalid "
                                         "lines, nothing sent",
                                         p.stats.invalid);
                        else
                                failed = emit_held(&p, &held);
                }
        }

        if (p.rk)
                producer_drain(&p);
        if (stop_requested)
                HW_WARN("producer", "interrupted: stopped reading input");

        HW_LOG_KV(HW_LOG_INFO, "producer",
                  opts.dry_run ? "dry run done" : "done",
                  "lines=%" PRIu64 " valid=%" PRIu64 " invalid=%" PRIu64
                  " %s=%" PRIu64 " failed=%" PRIu64,
                  p.stats.lines, p.stats.valid, p.stats.invalid,
                  opts.dry_run ? "printed" : "delivered",
                  opts.dry_run ? p.stats.enqueued : p.stats.delivered,
                  p.stats.failed);
        if (p.stats.failed > FAILED_NAMED_MAX)
                HW_ERROR("producer",
                         "%" PRIu64 " more failed deliveries not named above",
                         p.stats.failed - FAILED_NAMED_MAX);

        if (p.stats.failed)
                rc = p.stats.delivered == 0 && p.stats.failed_unavailable ==
                                                       p.stats.failed
                             ? HW_EXIT_UNAVAILABLE
                             : HW_EXIT_FAILURE;
        else if (p.registry_down)
                rc = HW_EXIT_UNAVAILABLE;
        else if (failed || stop_requested)
                rc = HW_EXIT_FAILURE;
        else if (p.stats.invalid)
                rc = HW_EXIT_DATAERR;
        else
                rc = HW_EXIT_OK;

cleanup:
        for (int i = 0; inputs && i < n_inputs; i++)
                if (inputs[i] && inputs[i] != stdin)
                        fclose(inputs[i]);
        free(inputs);
        if (p.rk)
                rd_kafka_destroy(p.rk);
        hw_codec_destroy(p.codec);
        hw_registry_destroy(p.registry);
        hw_config_release(&opts.conf);
        hw_event_release(&p.ev);
        hw_buf_release(&p.payload);
        hw_buf_release(&p.json);
        hw_buf_release(&held);
        return rc;
}
