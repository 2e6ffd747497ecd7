/*
 * hirewire-query: reads the counters hirewire-consumer keeps in Redis
 * (SPEC §4, docs/redis-keys.md) for people and scripts: a lab's
 * composition, the labs ranking, country flows, offers and alerts. Aligned
 * tables by default, one JSON document with --json.
 *
 * Options may come before or after the command; the words after `lab` are
 * joined with spaces, so `hirewire-query lab Meta Superintelligence Labs`
 * needs no quotes.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_config.h"
#include "hw_err.h"
#include "hw_keys.h"
#include "output.h"
#include "query.h"

#define MAX_TOP 1000000L
#define MAX_COUNT 10000L

static void usage(FILE *out) {
        fprintf(out,
                "Usage: hirewire-query [OPTIONS] COMMAND [ARGS]\n"
                "\n"
                "Reads hirewire's counters from Redis.\n"
                "\n"
                "Commands:\n"
                "  lab NAME|SLUG [--window W] [--top N]\n"
                "                       a lab's members by origin, "
                "nationality, school and tier\n"
                "                       (share of members), and its hires by "
                "origin in W\n"
                "                       (default 30d) and all time (top N "
                "origins, default 10)\n"
                "  labs [--top N]       labs ranked by members, with their "
                "share of all members\n"
                "  flows [--window W] [--group G] [--top N]\n"
                "                       per country: hires in, out, net and "
                "the flow index (net\n"
                "                       per 10,000 talent) in W (default "
                "365d), with the rank by\n"
                "                       index within group G (default oecd "
                "when present)\n"
                "  offers [--window W] [--top N]\n"
                "                       per organisation: offers extended, "
                "accepted, declined,\n"
                "                       withdrawn, extended value and mega "
                "offers in W (default\n"
                "                       365d), largest extended value first\n"
                "  alerts [--count N] [--follow]\n"
                "                       the last N alerts raised (default "
                "20), by event time;\n"
                "                       --follow then prints new ones as "
                "they are raised (until\n"
                "                       Ctrl-C)\n"
                "  timeline NAME|SLUG [--window W]\n"
                "                       hires into the lab and out of the "
                "organisation NAME per\n"
                "                       day of event time in W (default 30d, "
                "at most the largest\n"
                "                       window: the daily buckets' reach)\n"
                "  person ID            where a person is (lab, since when, "
                "from which org and\n"
                "                       event), as the person registry "
                "holds them\n"
                "  status               the watermark, the last atomic step, "
                "the layout (and\n"
                "                       whether this version needs a "
                "rebuild), a replay running\n"
                "                       and, per consumer group and "
                "partition, the offset\n"
                "                       stored in Redis and whether its "
                "last step was at the\n"
                "                       end; with Kafka (--brokers, "
                "--bootstrap-file) also the\n"
                "                       end offset and the lag\n"
                "  report --html FILE [--window W] [--group G] [--lab "
                "NAME]...\n"
                "                       one self-contained HTML page (no "
                "script, nothing loaded\n"
                "                       from the network) with charts of the "
                "labs ranking, the\n"
                "                       composition and hires per day of "
                "each lab NAME (default\n"
                "                       the 3 largest), who hires from whom, "
                "country flows (net\n"
                "                       and index, ranks in G, Korea "
                "marked), offers and the\n"
                "                       alerts, in W (default 365d); with "
                "--json also the\n"
                "                       document it is drawn from\n"
                "  serve [--addr HOST:PORT] [--window W] [--group G] [--lab "
                "NAME]...\n"
                "                       the report page live over HTTP "
                "(default " HW_SERVE_ADDR_DEFAULT ";\n"
                "                       port 0 picks a free port) with "
                "the JSON of --json at\n"
                "                       /api/labs, /api/lab/NAME, /api/flows, "
                "/api/offers,\n"
                "                       /api/alerts, /api/moves, /api/report "
                "and new alerts\n"
                "                       as server-sent events at "
                "/api/events; GET only, until\n"
                "                       Ctrl-C\n"
                "  dlq [--count N]      the last N rejected messages of the "
                "DLQ topic (default\n"
                "                       20), oldest first: time, class "
                "(hw.error), reason, source\n"
                "                       topic/partition@offset, DLQ "
                "partition@offset (needs Kafka)\n"
                "\n"
                "Options:\n"
                "      --redis URL      redis://[:password@]host:port[/db] "
                "(default\n"
                "                       redis://127.0.0.1:6379; password also "
                "from REDIS_PASSWORD)\n"
                "                       or, through Redis Sentinel, "
                "redis-sentinel://[:password@]\n"
                "                       host:port[,host:port...][/db]#master\n"
                "      --prefix P       Redis key prefix "
                "(default " HW_KEY_PREFIX_DEFAULT ")\n"
                "  -b, --brokers LIST   Kafka bootstrap servers (status, "
                "dlq)\n"
                "      --bootstrap-file FILE\n"
                "                       read the bootstrap list from FILE\n"
                "  -c, --config FILE    read redis.url, redis.password and "
                "prefix (and\n"
                "                       brokers, bootstrap.file, topic.dlq) "
                "from a hirewire\n"
                "                       config file (flags override it)\n"
                "      --json           one JSON document on stdout (alerts "
                "--follow: one JSON\n"
                "                       object per line)\n"
                "      --csv            the tables as CSV (a header row, "
                "fields quoted as RFC\n"
                "                       4180 says, dollars and ranks as "
                "plain numbers; lab:\n"
                "                       one table per section, set apart by "
                "an empty line);\n"
                "                       alerts: one row per alert\n"
                "  -h, --help           this help\n"
                "      --version        print the version\n"
                "\n"
                "W is a window: 7d, 30d, 90d, 365d (or another configured Nd) "
                "or all.\n"
                "--top 0 shows every row.\n"
                "\n"
                "Exit status: 0 on success (also when there are no alerts), "
                "1 when the lab,\n"
                "org or person is not found, Redis holds no hirewire data "
                "under the prefix,\n"
                "Redis answers with an error or holds a value that is not "
                "what hirewire\n"
                "writes; 2 usage error (also a window or group Redis holds "
                "nothing for);\n"
                "69 Redis or Kafka unavailable.\n");
}

static int usage_error(const char *fmt, const char *arg) {
        fprintf(stderr, HW_QUERY_PROG ": ");
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
        usage(stderr);
        return HW_EXIT_USAGE;
}

/* The exit code of a config that cannot be read or applied, after saying
 * why: a usage error, unless memory ran out. */
static int config_error(hw_err_t err, const char *errstr) {
        fprintf(stderr, HW_QUERY_PROG ": %s\n", errstr);
        return err == HW_ERR_NOMEM ? HW_EXIT_FAILURE : HW_EXIT_USAGE;
}

/* Applies a config key from a flag: HW_EXIT_OK or the exit code. */
static int set_key(hw_query_t *q, const char *key, const char *value) {
        char errstr[512];
        hw_err_t err =
                hw_config_set(&q->conf, key, value, errstr, sizeof(errstr));
        return err ? config_error(err, errstr) : HW_EXIT_OK;
}

int hw_query_parse_long(const char *s, long min, long max, long *out) {
        char *end;
        long v;
        if (*s < '0' || *s > '9')
                return -1;
        v = strtol(s, &end, 10);
        if (*end || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/* A window name: "all" or 1-3650 followed by 'd'. */
long hw_query_window_days(const char *w) {
        long days;
        size_t n = strlen(w);
        char num[8];
        if (!strcmp(w, HW_KEY_WINDOW_ALL))
                return 0;
        if (n < 2 || n > 5 || w[n - 1] != 'd')
                return -1;
        memcpy(num, w, n - 1);
        num[n - 1] = '\0';
        return hw_query_parse_long(num, 1, 3650, &days) == 0 ? days : -1;
}

int hw_query_set(hw_query_t *q, const char *name, const char *value, char *why,
                 size_t size) {
        /* The options that take a number: their range and what it is. */
        static const struct {
                const char *name;
                long min, max;
                const char *expected;
        } numbers[] = {
                {"top", 0, MAX_TOP, "a number of rows (0 = all)"},
                {"count", 1, MAX_COUNT, "a number from 1 to 10000"},
        };
        long n;

        if (!strcmp(name, "window") || !strcmp(name, "group")) {
                int window = name[0] == 'w';
                if (window ? hw_query_window_days(value) < 0
                           : !hw_query_valid_group(value)) {
                        snprintf(why, size, "%s \"%s\": expected %s", name,
                                 value,
                                 window ? "a window like 30d or all"
                                        : "a group name like oecd");
                        return -1;
                }
                *(window ? &q->window : &q->group) = value;
                return 0;
        }
        for (size_t i = 0; i < sizeof(numbers) / sizeof(*numbers); i++) {
                if (strcmp(name, numbers[i].name))
                        continue;
                if (hw_query_parse_long(value, numbers[i].min, numbers[i].max,
                                        &n)) {
                        snprintf(why, size, "%s \"%s\": expected %s", name,
                                 value, numbers[i].expected);
                        return -1;
                }
                *(i == 0 ? &q->top : &q->count) = n;
                return 0;
        }
        snprintf(why, size, "%s: not an option of a query", name);
        return -1;
}

int hw_query_valid_group(const char *g) {
        size_t n = strlen(g);
        if (n < 1 || n > 32)
                return 0;
        for (; *g; g++)
                if (!((*g >= 'a' && *g <= 'z') || (*g >= '0' && *g <= '9') ||
                      *g == '_' || *g == '-'))
                        return 0;
        return 1;
}

enum {
        OPT_REDIS = 256,
        OPT_PREFIX,
        OPT_JSON,
        OPT_CSV,
        OPT_WINDOW,
        OPT_GROUP,
        OPT_TOP,
        OPT_FOLLOW,
        OPT_COUNT,
        OPT_VERSION,
        OPT_BOOTSTRAP_FILE,
        OPT_HTML,
        OPT_LAB,
        OPT_ADDR,
};

/* Which command options a command takes. */
typedef struct command_s {
        const char *name;
        int (*run)(hw_query_t *q);
        int takes_arg; /* lab NAME, person ID */
        int window, group, top, follow, count;
        int kafka_only; /* reads Kafka, not Redis */
        int html, lab, addr;
} command_t;

static const command_t commands[] = {
        {"lab", hw_query_lab, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0},
        {"labs", hw_query_labs, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0},
        {"flows", hw_query_flows, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0},
        {"offers", hw_query_offers, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0},
        {"alerts", hw_query_alerts, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0},
        {"person", hw_query_person, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        {"timeline", hw_query_timeline, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0},
        {"status", hw_query_status, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
        {"dlq", hw_query_dlq, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0},
        {"report", hw_query_report, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0},
        {"serve", hw_query_serve, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1},
};

/*
 * Parses the command line into q. Returns HW_EXIT_OK and sets *cmd, or an
 * exit code (after printing why; -1 = --help/--version printed, exit 0).
 */
static int parse_args(hw_query_t *q, int argc, char **argv,
                      const command_t **cmd) {
        static const struct option longopts[] = {
                {"redis", required_argument, NULL, OPT_REDIS},
                {"prefix", required_argument, NULL, OPT_PREFIX},
                {"config", required_argument, NULL, 'c'},
                {"json", no_argument, NULL, OPT_JSON},
                {"csv", no_argument, NULL, OPT_CSV},
                {"window", required_argument, NULL, OPT_WINDOW},
                {"group", required_argument, NULL, OPT_GROUP},
                {"top", required_argument, NULL, OPT_TOP},
                {"follow", no_argument, NULL, OPT_FOLLOW},
                {"count", required_argument, NULL, OPT_COUNT},
                {"brokers", required_argument, NULL, 'b'},
                {"bootstrap-file", required_argument, NULL, OPT_BOOTSTRAP_FILE},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {"html", required_argument, NULL, OPT_HTML},
                {"lab", required_argument, NULL, OPT_LAB},
                {"addr", required_argument, NULL, OPT_ADDR},
                {NULL, 0, NULL, 0},
        };
        const char *config_file = NULL;
        int seen_window = 0, seen_group = 0, seen_top = 0, seen_follow = 0,
            seen_count = 0, seen_html = 0, seen_addr = 0;
        char errstr[512], why[512];
        size_t len = 0;
        int opt, longindex = 0, rc;
        hw_err_t err;

        /* The config file first, wherever it is, so flags override it. */
        if ((err = hw_config_load_args(&q->conf, argc, argv, &config_file,
                                       errstr, sizeof(errstr))))
                return config_error(err, errstr);

        opterr = 0; /* we say what is wrong ourselves */
        while ((opt = getopt_long(argc, argv, ":b:c:h", longopts,
                                  &longindex)) != -1) {
                switch (opt) {
                case 'c':
                        break; /* loaded above */
                case 'b':
                        if ((rc = set_key(q, "brokers", optarg)))
                                return rc;
                        break;
                case OPT_BOOTSTRAP_FILE:
                        if ((rc = set_key(q, "bootstrap.file", optarg)))
                                return rc;
                        break;
                case OPT_REDIS:
                        if ((rc = set_key(q, "redis.url", optarg)))
                                return rc;
                        break;
                case OPT_PREFIX:
                        if ((rc = set_key(q, "prefix", optarg)))
                                return rc;
                        break;
                case OPT_JSON:
                        q->json = 1;
                        break;
                case OPT_CSV:
                        q->csv = 1;
                        break;
                case OPT_WINDOW:
                case OPT_GROUP:
                case OPT_TOP:
                        if (hw_query_set(q, longopts[longindex].name, optarg,
                                         why, sizeof(why)))
                                return usage_error("--%s", why);
                        seen_window |= opt == OPT_WINDOW;
                        seen_group |= opt == OPT_GROUP;
                        seen_top |= opt == OPT_TOP;
                        break;
                case OPT_FOLLOW:
                        q->follow = 1;
                        seen_follow = 1;
                        break;
                case OPT_COUNT:
                        if (hw_query_set(q, "count", optarg, why, sizeof(why)))
                                return usage_error("--%s", why);
                        seen_count = 1;
                        break;
                case OPT_HTML:
                        q->html = optarg;
                        seen_html = 1;
                        break;
                case OPT_LAB:
                        if (!*optarg)
                                return usage_error("%s", "--lab needs a lab "
                                                         "name or slug");
                        if (q->n_labs == HW_QUERY_MAX_LABS)
                                return usage_error("--lab \"%s\": give up to "
                                                   "8 lab names",
                                                   optarg);
                        q->labs[q->n_labs++] = optarg;
                        break;
                case OPT_ADDR:
                        q->addr = optarg;
                        seen_addr = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return -1;
                case OPT_VERSION:
                        printf(HW_QUERY_PROG " %s\n", HW_VERSION);
                        return -1;
                case ':':
                        return usage_error("%s needs a value",
                                           argv[optind - 1]);
                default:
                        return usage_error("unknown option %s",
                                           argv[optind - 1]);
                }
        }
        if ((err = hw_config_validate(&q->conf, errstr, sizeof(errstr))))
                return config_error(err, errstr);

        if (optind >= argc)
                return usage_error("%s", "no command given");
        *cmd = NULL;
        for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
                if (!strcmp(argv[optind], commands[i].name))
                        *cmd = &commands[i];
        if (!*cmd)
                return usage_error("unknown command \"%s\"", argv[optind]);
        optind++;

        if ((*cmd)->takes_arg) {
                if (optind >= argc)
                        return usage_error(
                                !strcmp((*cmd)->name, "person")
                                        ? "%s needs a person_id"
                                : !strcmp((*cmd)->name, "timeline")
                                        ? "%s needs a lab or organisation "
                                          "name or slug"
                                        : "%s needs a lab name or slug",
                                (*cmd)->name);
                for (int i = optind; i < argc; i++)
                        len += strlen(argv[i]) + 1;
                if (!(q->arg = malloc(len)))
                        return hw_qout_fail(HW_ERR_NOMEM, "");
                q->arg[0] = '\0';
                for (int i = optind; i < argc; i++) {
                        if (i > optind)
                                strcat(q->arg, " ");
                        strcat(q->arg, argv[i]);
                }
        } else if (optind < argc) {
                fprintf(stderr, HW_QUERY_PROG ": %s: unexpected argument %s\n",
                        (*cmd)->name, argv[optind]);
                usage(stderr);
                return HW_EXIT_USAGE;
        }

        if (q->json && q->csv) {
                fprintf(stderr, HW_QUERY_PROG ": --json and --csv: give "
                                              "one\n");
                usage(stderr);
                return HW_EXIT_USAGE;
        }
        if ((seen_window && !(*cmd)->window) ||
            (seen_group && !(*cmd)->group) || (seen_top && !(*cmd)->top) ||
            (seen_follow && !(*cmd)->follow) ||
            (seen_count && !(*cmd)->count) || (seen_html && !(*cmd)->html) ||
            (q->n_labs && !(*cmd)->lab) || (seen_addr && !(*cmd)->addr)) {
                const char *which = seen_window && !(*cmd)->window ? "--window"
                                    : seen_group && !(*cmd)->group ? "--group"
                                    : seen_top && !(*cmd)->top     ? "--top"
                                    : seen_follow && !(*cmd)->follow
                                            ? "--follow"
                                    : seen_count && !(*cmd)->count ? "--count"
                                    : seen_html && !(*cmd)->html   ? "--html"
                                    : q->n_labs && !(*cmd)->lab    ? "--lab"
                                                                   : "--addr";
                fprintf(stderr, HW_QUERY_PROG ": %s does not apply to %s\n",
                        which, (*cmd)->name);
                usage(stderr);
                return HW_EXIT_USAGE;
        }
        if ((*cmd)->html && !q->html && !q->json) {
                fprintf(stderr, HW_QUERY_PROG ": report needs --html FILE "
                                              "(or --json)\n");
                usage(stderr);
                return HW_EXIT_USAGE;
        }
        return HW_EXIT_OK;
}

int main(int argc, char **argv) {
        const char *labs[HW_QUERY_MAX_LABS];
        hw_query_t q = {.top = -1, .count = 20, .labs = labs};
        const command_t *cmd = NULL;
        char errstr[512];
        hw_err_t err;
        int rc;

        /* A closed Redis connection or a reader gone from stdout is an
         * error to report (EPIPE), not a silent death. */
        signal(SIGPIPE, SIG_IGN);
        hw_qout_json_init();
        if (hw_config_init(&q.conf)) {
                fprintf(stderr, HW_QUERY_PROG ": out of memory\n");
                return HW_EXIT_FAILURE;
        }
        if ((rc = parse_args(&q, argc, argv, &cmd)) != HW_EXIT_OK) {
                if (rc < 0)
                        rc = HW_EXIT_OK;
                goto cleanup;
        }

        if (!(q.db = hw_qdb_new(&q.conf, &err, errstr, sizeof(errstr)))) {
                rc = config_error(err, errstr);
                goto cleanup;
        }
        /* serve connects for each request: it starts, and answers 503,
         * while Redis is away. */
        if (!cmd->kafka_only && cmd->run != hw_query_serve &&
            (err = hw_qdb_connect(q.db, errstr, sizeof(errstr)))) {
                fprintf(stderr, HW_QUERY_PROG ": %s\n", errstr);
                rc = err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE
                                           : HW_EXIT_FAILURE;
                goto cleanup;
        }
        rc = cmd->run(&q);
        if (fflush(stdout) != 0 && rc == HW_EXIT_OK) {
                perror(HW_QUERY_PROG ": writing the output");
                rc = HW_EXIT_FAILURE;
        }

cleanup:
        hw_qdb_destroy(q.db);
        hw_config_release(&q.conf);
        free(q.arg);
        return rc;
}
