/*
 * Where the config's keys come from: the `key = value` file (-c), and the
 * command-line flags every program shares (-b, -X, -s, --bootstrap-file).
 */
#include "hw_config_int.h"

/* ------------------------------------------------------------------ */
/* Config file                                                         */
/* ------------------------------------------------------------------ */

/*
 * Removes the quotes of a "..." value in place; inside, \" and \\ stand for
 * " and \ (any other backslash is kept). Returns NULL or what is wrong.
 */
static const char *unquote(char *v) {
        char *r = v + 1, *w = v;
        for (;;) {
                if (!*r)
                        return "unterminated quote";
                if (*r == '\\' && (r[1] == '"' || r[1] == '\\')) {
                        *w++ = r[1];
                        r += 2;
                        continue;
                }
                if (*r == '"')
                        break;
                *w++ = *r++;
        }
        if (r[1] != '\0')
                return "text after the closing quote";
        *w = '\0';
        return NULL;
}

hw_err_t hw_config_load_file(hw_config_t *c, const char *path, char *errstr,
                             size_t size) {
        FILE *fp = fopen(path, "r");
        hw_err_t err;

        if (!fp)
                return hw_fail(HW_ERR_IO, errstr, size,
                               "cannot open config file %s: %s", path,
                               strerror(errno));
        err = hw_config_load_stream(c, fp, path, errstr, size);
        fclose(fp);
        return err;
}

hw_err_t hw_config_load_stream(hw_config_t *c, FILE *fp, const char *path,
                               char *errstr, size_t size) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        unsigned long lineno = 0;
        hw_err_t err = HW_OK;

        while ((len = getline(&line, &cap, fp)) >= 0) {
                char *s = line, *eq, *key, *value;
                const char *why;
                char serr[512];

                lineno++;
                if (memchr(line, '\0', (size_t)len)) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: NUL byte in line", path, lineno);
                        break;
                }
                if (lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
                        s += 3; /* UTF-8 byte order mark */
                s = hw_conf_trim(s);
                if (!*s || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: expected \"key = value\"", path,
                                      lineno);
                        break;
                }
                *eq = '\0';
                key = hw_conf_trim(s);
                value = hw_conf_trim(eq + 1);
                if (!*key) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: no key before '='", path,
                                      lineno);
                        break;
                }
                if (*value == '"' && (why = unquote(value)) != NULL) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "%s:%lu: %.*s%s: %s", path, lineno,
                                      SHOWN(key), why);
                        break;
                }
                err = hw_config_set(c, key, value, serr, sizeof(serr));
                if (err) {
                        hw_fail(err, errstr, size, "%s:%lu: %s", path, lineno,
                                serr);
                        break;
                }
        }
        if (!err && ferror(fp))
                err = hw_fail(HW_ERR_IO, errstr, size,
                              "%s: read error after line %lu", path, lineno);
        if (line)
                hw_wipe(line, cap); /* it may have held a password */
        free(line);
        return err;
}

hw_err_t hw_config_load_args(hw_config_t *c, int argc, char **argv,
                             const char **path, char *errstr, size_t size) {
        *path = NULL;
        for (int i = 1; i < argc; i++) {
                if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
                    i + 1 < argc)
                        *path = argv[++i];
                else if (!strncmp(argv[i], "--config=", 9))
                        *path = argv[i] + 9;
                else if (!strcmp(argv[i], "--"))
                        break;
        }
        return *path ? hw_config_load_file(c, *path, errstr, size) : HW_OK;
}

hw_config_flag_t hw_config_common_flag(hw_config_t *c, int opt, const char *arg,
                                       const hw_config_prog_t *prog,
                                       char *errstr, size_t size) {
        hw_err_t err;

        switch (opt) {
        case 'b':
                err = hw_config_set(c, "brokers", arg, errstr, size);
                break;
        case HW_OPT_BOOTSTRAP_FILE:
                err = hw_config_set(c, "bootstrap.file", arg, errstr, size);
                break;
        case HW_OPT_LOG_LEVEL:
                err = hw_config_set(c, "log.level", arg, errstr, size);
                break;
        case 'X':
        case 's':
                err = hw_config_set_pair(c, opt == 'X' ? "-X" : "--set",
                                         opt == 'X' ? "kafka." : "", arg,
                                         errstr, size);
                break;
        case 'c':
                return HW_CONFIG_FLAG_TAKEN;
        case 'h':
                prog->usage(stdout);
                return HW_CONFIG_FLAG_EXIT;
        case HW_OPT_VERSION:
                printf("%s %s\n", prog->name, HW_VERSION);
                return HW_CONFIG_FLAG_EXIT;
        default:
                return HW_CONFIG_FLAG_OTHER;
        }
        return err ? HW_CONFIG_FLAG_BAD : HW_CONFIG_FLAG_TAKEN;
}

void hw_config_usage_kafka(FILE *out, int col) {
        static const char *const flags[][2] = {
                {"  -b, --brokers LIST", "Kafka bootstrap servers"},
                {"      --bootstrap-file FILE",
                 "read the bootstrap list from FILE"},
                {"  -X key=value", "any librdkafka property (repeatable)"},
        };

        for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
                fprintf(out, "%-*s%s\n", col, flags[i][0], flags[i][1]);
}

int hw_config_getopt(hw_config_t *c, int argc, char **argv,
                     const struct option *longopts,
                     const hw_config_prog_t *prog) {
        char errstr[512];
        int opt;

        while ((opt = getopt_long(argc, argv, HW_COMMON_SHORTOPTS, longopts,
                                  NULL)) != -1) {
                switch (hw_config_common_flag(c, opt, optarg, prog, errstr,
                                              sizeof(errstr))) {
                case HW_CONFIG_FLAG_OTHER:
                        if (opt == '?') {
                                /* getopt_long said what it is. */
                                prog->usage(stderr);
                                return HW_CONFIG_OPT_BAD;
                        }
                        return opt;
                case HW_CONFIG_FLAG_TAKEN:
                        break;
                case HW_CONFIG_FLAG_EXIT:
                        exit(HW_EXIT_OK);
                case HW_CONFIG_FLAG_BAD:
                        fprintf(stderr, "%s: %s\n", prog->name, errstr);
                        return HW_CONFIG_OPT_BAD;
                }
        }
        return -1;
}

hw_err_t hw_config_set_pair(hw_config_t *c, const char *flag,
                            const char *key_prefix, const char *pair,
                            char *errstr, size_t size) {
        const char *eq = strchr(pair, '=');
        char key[256];

        if (!eq || eq == pair)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s %.*s%s: expected key=value", flag,
                               SHOWN(eq ? "=..." : pair));
        if (snprintf(key, sizeof(key), "%s%.*s", key_prefix, (int)(eq - pair),
                     pair) >= (int)sizeof(key))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s: key longer than %zu bytes", flag,
                               sizeof(key) - 1);
        return hw_config_set(c, key, eq + 1, errstr, size);
}
