/*
 * hirewire-consumer's command line: --help, the flags, the config file
 * they name.
 */
#include "consumer.h"

void hw_consumer_usage(FILE *out) {
        fprintf(out,
                "Usage: hirewire-consumer [OPTIONS]\n"
                "\n"
                "Consumes hire and offer events and keeps hirewire's counters "
                "in Redis.\n"
                "\n");
        hw_config_usage_kafka(out, 30);
        fprintf(out,
                "      --redis URL             redis://[:password@]host:port"
                "[/db] (password also\n"
                "                              from REDIS_PASSWORD), or "
                "through Redis Sentinel\n"
                "                              redis-sentinel://[:password@]"
                "host:port\n"
                "                              [,host:port...][/db]#master\n"
                "  -c, --config FILE           config file (see "
                "deploy/config/hirewire.conf)\n"
                "  -s, --set key=value         set a config key (repeatable)\n"
                "      --group G               consumer group (default "
                "hirewire)\n"
                "      --prefix P              Redis key prefix "
                "(default " HW_KEY_PREFIX_DEFAULT ")\n"
                "      --metrics-addr ADDR     host:port for /metrics and "
                "/healthz (default\n"
                "                              127.0.0.1:9464; port 0 picks "
                "one; off disables)\n"
                "      --until-caught-up       exit once every partition "
                "reached the end it had\n"
                "                              at start\n"
                "      --archive-dir DIR       append every valid event to "
                "Avro files in DIR\n"
                "                              (one per topic per UTC day, "
                "deflate)\n"
                "      --replay                rebuild every key from Kafka "
                "into a staging prefix,\n"
                "                              then swap it in (offsets "
                "included)\n"
                "      --from earliest|TIME    where the replay starts "
                "(default earliest: the\n"
                "                              whole retained stream). TIME "
                "(ISO 8601, e.g.\n"
                "                              2025-06-01T00:00:00Z) is a "
                "Kafka message time,\n"
                "                              not occurred_at: the rebuild "
                "leaves out every\n"
                "                              message published before it\n"
                "      --yes                   with --replay: swap even if "
                "the rebuild leaves\n"
                "                              out events the live state "
                "counted (--from TIME)\n"
                "      --diff                  with --replay: print what "
                "would change (key,\n"
                "                              field, live, rebuilt) and "
                "swap nothing; exit 1\n"
                "                              when anything differs, 0 "
                "when nothing does\n"
                "      --alerts                with --replay: raise alerts "
                "never raised before\n"
                "      --log-level LEVEL       debug, info, warn, error\n"
                "  -h, --help                  this help\n"
                "      --version               print the version\n"
                "\n"
                "A replay never swaps in a rebuild that holds no event.\n"
                "\n"
                "Exit status: 0 on success (SIGTERM included), 2 usage or "
                "configuration error,\n"
                "69 Kafka or Redis unavailable, 1 other failures (a replay "
                "that swapped\n"
                "nothing, --diff with differences).\n");
}

/* Applies a config key, exiting the parse with a usage error. */
static int set_key(consumer_t *c, const char *key, const char *value) {
        char errstr[512];
        if (hw_config_set(&c->conf, key, value, errstr, sizeof(errstr))) {
                fprintf(stderr, "hirewire-consumer: %s\n", errstr);
                return -1;
        }
        return 0;
}

/* Makes a relative data-file path relative to the config file's folder. */
static int resolve_path(char **path, const char *cfg) {
        char dir[PATH_MAX], joined[PATH_MAX * 2], *copy;
        if (!*path || (*path)[0] == '/')
                return 0;
        snprintf(dir, sizeof(dir), "%s", cfg);
        snprintf(joined, sizeof(joined), "%s/%s", dirname(dir), *path);
        copy = strdup(joined);
        if (!copy)
                return -1;
        free(*path);
        *path = copy;
        return 0;
}

/* Finds a data file the config does not name: $HIREWIRE_CONFIG_DIR, the
 * deploy/config/ folder of the source tree (the build sits in it), then
 * /etc/hirewire. Returns a malloc'ed path or NULL. */
static char *find_data_file(const char *name) {
        char exe[PATH_MAX], path[PATH_MAX * 2];
        const char *env = getenv("HIREWIRE_CONFIG_DIR");
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        const char *dirs[4] = {env, NULL, "/etc/hirewire", NULL};
        char up[PATH_MAX];

        if (n > 0) {
                exe[n] = '\0';
                snprintf(up, sizeof(up), "%s/../deploy/config", dirname(exe));
                dirs[1] = up;
        }
        for (int i = 0; i < 3; i++) {
                if (!dirs[i])
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
                if (access(path, R_OK) == 0)
                        return strdup(path);
        }
        return NULL;
}

int hw_consumer_parse_args(consumer_t *c, int argc, char **argv) {
        enum {
                OPT_REDIS = HW_OPT_FIRST,
                OPT_GROUP,
                OPT_PREFIX,
                OPT_METRICS,
                OPT_UNTIL,
                OPT_REPLAY,
                OPT_FROM,
                OPT_DIFF,
                OPT_ALERTS,
                OPT_YES,
                OPT_ARCHIVE,
        };
        static const struct option longopts[] = {
                HW_COMMON_LONGOPTS,
                {"redis", required_argument, NULL, OPT_REDIS},
                {"group", required_argument, NULL, OPT_GROUP},
                {"prefix", required_argument, NULL, OPT_PREFIX},
                {"metrics-addr", required_argument, NULL, OPT_METRICS},
                {"until-caught-up", no_argument, NULL, OPT_UNTIL},
                {"replay", no_argument, NULL, OPT_REPLAY},
                {"from", required_argument, NULL, OPT_FROM},
                {"diff", no_argument, NULL, OPT_DIFF},
                {"alerts", no_argument, NULL, OPT_ALERTS},
                {"yes", no_argument, NULL, OPT_YES},
                {"archive-dir", required_argument, NULL, OPT_ARCHIVE},
                {NULL, 0, NULL, 0},
        };
        static const hw_config_prog_t prog = {"hirewire-consumer",
                                              hw_consumer_usage};
        char errstr[512];
        const char *config_file = NULL;
        int opt;

        /* The config file first, whatever its place on the command line,
         * so that flags override it. */
        if (hw_config_load_args(&c->conf, argc, argv, &config_file, errstr,
                                sizeof(errstr))) {
                fprintf(stderr, "hirewire-consumer: %s\n", errstr);
                return HW_EXIT_USAGE;
        }
        if (config_file && (resolve_path(&c->conf.bases_file, config_file) ||
                            resolve_path(&c->conf.groups_file, config_file)))
                return HW_EXIT_FAILURE;

        while ((opt = hw_config_getopt(&c->conf, argc, argv, longopts,
                                       &prog)) != -1) {
                switch (opt) {
                case OPT_REDIS:
                        if (set_key(c, "redis.url", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_GROUP:
                        if (set_key(c, "group", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_PREFIX:
                        if (set_key(c, "prefix", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_METRICS:
                        if (set_key(c, "metrics.addr", optarg))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_UNTIL:
                        c->until_caught_up = 1;
                        break;
                case OPT_REPLAY:
                        c->replay = 1;
                        break;
                case OPT_FROM:
                        c->replay_from = optarg;
                        break;
                case OPT_DIFF:
                        c->replay_diff = 1;
                        break;
                case OPT_ALERTS:
                        c->replay_alerts = 1;
                        break;
                case OPT_YES:
                        c->replay_yes = 1;
                        break;
                case OPT_ARCHIVE:
                        if (set_key(c, "archive.dir", optarg))
                                return HW_EXIT_USAGE;
                        break;
                default: /* HW_CONFIG_OPT_BAD: said why */
                        return HW_EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "hirewire-consumer: unexpected argument %s\n",
                        argv[optind]);
                return HW_EXIT_USAGE;
        }
        if (!c->replay && (c->replay_from || c->replay_diff ||
                           c->replay_alerts || c->replay_yes)) {
                fprintf(stderr, "hirewire-consumer: --from, --diff, "
                                "--alerts and --yes go with --replay\n");
                return HW_EXIT_USAGE;
        }
        if (c->replay && c->conf.archive_dir) {
                fprintf(stderr, "hirewire-consumer: a replay reads what the "
                                "live consumer archived already: drop "
                                "--archive-dir\n");
                return HW_EXIT_USAGE;
        }
        if (c->replay && c->replay_diff && c->replay_alerts) {
                fprintf(stderr, "hirewire-consumer: --diff changes nothing, "
                                "so it raises no alerts: drop --alerts\n");
                return HW_EXIT_USAGE;
        }
        /* Each file the config does not name is looked for on its own:
         * bases of one's own still rank countries in the shipped groups. */
        if (!c->conf.bases_file)
                c->conf.bases_file = find_data_file("talent-bases.csv");
        if (!c->conf.groups_file)
                c->conf.groups_file = find_data_file("country-groups.csv");
        if (hw_config_validate(&c->conf, errstr, sizeof(errstr)) ||
            hw_config_load_countries(&c->conf, errstr, sizeof(errstr))) {
                fprintf(stderr, "hirewire-consumer: %s\n", errstr);
                return HW_EXIT_USAGE;
        }
        hw_log_set_level((hw_log_level_t)c->conf.log_level);
        if (c->conf.alert_brain_drain) {
                size_t w = 0;
                while (w < c->conf.n_windows &&
                       c->conf.windows[w] != c->conf.alert_drain_days)
                        w++;
                if (w == c->conf.n_windows) {
                        HW_WARN("consumer",
                                "alerts.brain_drain.days: %dd is "
                                "not one of the windows; the "
                                "brain_drain rule is off",
                                c->conf.alert_drain_days);
                        c->conf.alert_brain_drain = 0;
                }
        }
        if (!c->conf.n_countries)
                HW_WARN("consumer", "no country talent bases configured: the "
                                    "flow index sets stay empty");
        return HW_EXIT_OK;
}
