/*
 * hirewire-produce: publishes hire and offer events to Kafka.
 *
 * Events come from NDJSON files (or stdin), archive files or the synthetic
 * generator (produce_input.c). Each is validated by the same rules as the
 * consumer, encoded with the current schema in the Confluent framing (with
 * the Schema Registry's id under <topic>-value when schema.registry.url is
 * set), and produced with key person_id by an idempotent producer
 * (produce_send.c). The program waits for every delivery report. This file
 * holds the command line and main.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generate.h"
#include "hw_log.h"
#include "produce_int.h"

static const produce_opts_t produce_defaults = {
        .seed = 1,
        .timeout_s = 30,
        .span_days = HW_GEN_SPAN_DAYS_DEFAULT,
};

volatile sig_atomic_t hw_produce_stop_requested;

static void on_signal(int sig) {
        (void)sig;
        hw_produce_stop_requested = 1;
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
                "\n");
        hw_config_usage_kafka(out, 28);
        fprintf(out,
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

/* The long name of option c (for messages: argv[optind - 1] is the
 * value when it was given as a separate argument). */
static const char *opt_name(const struct option *opts, int c) {
        for (; opts->name; opts++)
                if (opts->val == c)
                        return opts->name;
        return "?";
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
                {NULL, 0, NULL, 0},
        };
        static const hw_config_prog_t prog = {"hirewire-produce", usage};
        char errstr[512];
        const char *config_file, *why;
        uint64_t u;
        int c;
        char *end;

        if (hw_config_load_args(&o->conf, argc, argv, &config_file, errstr,
                                sizeof(errstr)))
                goto bad_config;
        while ((c = hw_config_getopt(&o->conf, argc, argv, longopts, &prog)) !=
               -1) {
                switch (c) {
                case OPT_TOPIC:
                        /* Checked as topic.hires is: Kafka refuses the
                         * names it does not allow only at delivery. */
                        if ((why = hw_config_topic_problem(optarg))) {
                                fprintf(stderr,
                                        "hirewire-produce: --topic: %s\n", why);
                                return HW_EXIT_USAGE;
                        }
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
                default: /* HW_CONFIG_OPT_BAD: said why */
                        return HW_EXIT_USAGE;
                }
                continue;
        bad_value:
                fprintf(stderr,
                        "hirewire-produce: invalid value for --%s: %s\n",
                        opt_name(longopts, c), optarg);
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
        if (!opts.dry_run && hw_produce_connect(&p, errstr, sizeof(errstr))) {
                HW_ERROR("producer", "%s", errstr); /* settings: usage */
                rc = HW_EXIT_USAGE;
                goto cleanup;
        }
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE,
               SIG_IGN); /* a closed connection is an error, not a death */
        clock_gettime(CLOCK_MONOTONIC, &p.started);

        if (opts.generate) {
                failed = hw_produce_run_generator(&p);
        } else if (opts.from_archive) {
                failed = hw_produce_read_archives(&p, argv + optind,
                                                  argc - optind);
        } else {
                for (int i = 0; i < n_inputs && !failed; i++)
                        failed = hw_produce_read_input(
                                &p, inputs[i],
                                optind < argc ? argv[optind + i] : "stdin",
                                opts.strict ? &held : NULL);
                if (!failed && opts.strict) {
                        if (p.stats.invalid)
                                HW_ERROR("producer",
                                         "--strict: %" PRIu64 " invalid "
                                         "lines, nothing sent",
                                         p.stats.invalid);
                        else
                                failed = hw_produce_emit_held(&p, &held);
                }
        }

        if (p.rk)
                hw_produce_drain(&p);
        if (hw_produce_stop_requested)
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
        else if (failed || hw_produce_stop_requested)
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
