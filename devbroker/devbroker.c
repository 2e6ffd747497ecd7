/*
 * hirewire-devbroker: a local Kafka for the demo and the tests (SPEC §5).
 *
 * Runs librdkafka's mock cluster (rdkafka_mock.h) inside a hosting producer
 * handle: a real Kafka-protocol broker set on 127.0.0.1 with random ports,
 * which kcat, Python clients and our programs talk to over TCP. The topics
 * are created up front, then the bootstrap list is printed on stdout and,
 * with --bootstrap-file, written atomically to a file, so a script can wait
 * for that file to appear. Runs until SIGTERM or SIGINT.
 *
 * The mock cluster keeps messages in memory, at most about 5 MiB (or 100k
 * message sets) per partition; older ones are dropped like retention.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING: librdkafka's log levels */
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h> /* htonl */
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "control.h"
#include "hw_err.h"
#include "hw_log.h"

#ifndef HW_VERSION
#define HW_VERSION "0.0.0"
#endif

#define DEVBROKER_PROG "hirewire-devbroker"
#define DEVBROKER_COMPONENT "devbroker"
#define DEVBROKER_MAX_BROKERS 16
#define DEVBROKER_MAX_PARTITIONS 1024
#define DEVBROKER_TOPIC_MAX_LEN 249 /* Kafka's limit (KAFKA-3219) */
#define DEVBROKER_POLL_MS 100       /* bounds the reaction time to a signal */

static const char *const devbroker_default_topics[] = {
        "talent.hires", "talent.offers", "talent.alerts", "talent.dlq"};

/* Command-line configuration. Topic names point into argv (or the defaults
 * above); only the topics array itself is owned. */
typedef struct devbroker_conf_s {
        int brokers;
        int partitions;
        const char *bootstrap_file;
        const char *control_file; /* --control FIFO, or NULL */
        const char **topics;
        size_t topic_cnt;
} devbroker_conf_t;

static const devbroker_conf_t devbroker_conf_defaults = {
        .brokers = 1,
        .partitions = 4,
        .bootstrap_file = NULL,
        .control_file = NULL,
        .topics = NULL,
        .topic_cnt = 0,
};

/* What is running; devbroker_release() undoes whatever is set. */
typedef struct devbroker_s {
        rd_kafka_t *rk;                    /* hosting handle */
        rd_kafka_mock_cluster_t *mcluster; /* lives on rk: destroy it first */
        const char *bootstrap_file;        /* set once we wrote it */
} devbroker_t;

/* The only global state: the signal that asked us to stop (0 = run). */
static volatile sig_atomic_t devbroker_stop_signal = 0;

static void devbroker_on_signal(int sig) {
        devbroker_stop_signal = sig;
}

static void devbroker_usage(FILE *fp) {
        fprintf(fp,
                "Usage: " DEVBROKER_PROG " [OPTION]...\n"
                "Run a local Kafka (librdkafka mock cluster) on 127.0.0.1 "
                "until SIGTERM or SIGINT.\n"
                "\n"
                "  --brokers N           number of brokers, 1..%d "
                "(default %d)\n"
                "  --partitions P        partitions per topic, 1..%d "
                "(default %d)\n"
                "  --topic NAME          topic to create (repeatable; default:"
                "\n"
                "                        talent.hires talent.offers "
                "talent.alerts talent.dlq)\n"
                "  --bootstrap-file F    write the bootstrap list to F once "
                "the topics exist\n"
                "                        (atomically; removed on exit)\n"
                "  --control FIFO        create FIFO and apply the fault "
                "commands written to it:\n"
                "                        down ID | up ID | rtt ID MS | leader "
                "TOPIC PART ID |\n"
                "                        errors APIKEY COUNT ERR | clear "
                "APIKEY (devbroker/control.h)\n"
                "  -h, --help            show this help and exit\n"
                "      --version         show the version and exit\n"
                "\n"
                "The bootstrap list is also printed on stdout. Replication "
                "factor is min(3, brokers).\n"
                "Exit status: 0 after a signal, 2 on a usage error, 69 if "
                "the cluster cannot start,\n"
                "1 if the bootstrap file or the control FIFO cannot be "
                "created.\n",
                DEVBROKER_MAX_BROKERS, devbroker_conf_defaults.brokers,
                DEVBROKER_MAX_PARTITIONS, devbroker_conf_defaults.partitions);
}

/* Prints a usage error (which names the flag) and a hint on stderr; the
 * caller exits HW_EXIT_USAGE. */
static void devbroker_usage_error(const char *fmt, ...)
        __attribute__((format(printf, 1, 2)));

static void devbroker_usage_error(const char *fmt, ...) {
        va_list ap;

        fputs(DEVBROKER_PROG ": ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry '" DEVBROKER_PROG " --help' for more information.\n",
              stderr);
}

/* Parses a decimal int in [lo, hi] into *out.
 * Returns 0, or -1 after printing an error that names the flag. */
static int devbroker_parse_int(const char *flag, const char *arg, int lo,
                               int hi, int *out) {
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno || end == arg || *end != '\0' || v < lo || v > hi) {
                devbroker_usage_error("%s wants an integer in %d..%d, got '%s'",
                                      flag, lo, hi, arg);
                return -1;
        }
        *out = (int)v;
        return 0;
}

/* True if name is a legal Kafka topic name: 1..249 of [A-Za-z0-9._-],
 * and neither "." nor "..". */
static int devbroker_topic_valid(const char *name) {
        size_t len = strlen(name);

        if (len == 0 || len > DEVBROKER_TOPIC_MAX_LEN || !strcmp(name, ".") ||
            !strcmp(name, ".."))
                return 0;
        for (const char *p = name; *p; p++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return 0;
        }
        return 1;
}

/* Adds a topic unless it is already listed (a repeated --topic is harmless).
 * Returns 0, or -1 when out of memory. */
static int devbroker_topic_add(devbroker_conf_t *conf, const char *name) {
        const char **topics;

        for (size_t i = 0; i < conf->topic_cnt; i++)
                if (!strcmp(conf->topics[i], name))
                        return 0;

        topics = realloc(conf->topics,
                         (conf->topic_cnt + 1) * sizeof(*conf->topics));
        if (!topics)
                return -1;
        conf->topics = topics;
        conf->topics[conf->topic_cnt++] = name;
        return 0;
}

/* Parses argv into conf (which must hold the defaults).
 * Returns -1 to go on, or the exit code when the process should stop here
 * (help and version: 0; bad flags: HW_EXIT_USAGE). On return conf->topics
 * may be allocated either way; devbroker_conf_release() frees it. */
static int devbroker_parse_args(int argc, char **argv, devbroker_conf_t *conf) {
        enum {
                OPT_BROKERS = 1000,
                OPT_PARTITIONS,
                OPT_TOPIC,
                OPT_BOOTSTRAP_FILE,
                OPT_CONTROL,
                OPT_VERSION
        };
        static const struct option long_opts[] = {
                {"brokers", required_argument, NULL, OPT_BROKERS},
                {"partitions", required_argument, NULL, OPT_PARTITIONS},
                {"topic", required_argument, NULL, OPT_TOPIC},
                {"bootstrap-file", required_argument, NULL, OPT_BOOTSTRAP_FILE},
                {"control", required_argument, NULL, OPT_CONTROL},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION},
                {NULL, 0, NULL, 0}};
        int opt;

        while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
                switch (opt) {
                case OPT_BROKERS:
                        if (devbroker_parse_int("--brokers", optarg, 1,
                                                DEVBROKER_MAX_BROKERS,
                                                &conf->brokers))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_PARTITIONS:
                        if (devbroker_parse_int("--partitions", optarg, 1,
                                                DEVBROKER_MAX_PARTITIONS,
                                                &conf->partitions))
                                return HW_EXIT_USAGE;
                        break;
                case OPT_TOPIC:
                        if (!devbroker_topic_valid(optarg)) {
                                devbroker_usage_error(
                                        "--topic: '%s' is not a valid topic "
                                        "name "
                                        "(1..249 of [A-Za-z0-9._-])",
                                        optarg);
                                return HW_EXIT_USAGE;
                        }
                        if (devbroker_topic_add(conf, optarg)) {
                                fprintf(stderr,
                                        DEVBROKER_PROG ": out of memory\n");
                                return HW_EXIT_FAILURE;
                        }
                        break;
                case OPT_BOOTSTRAP_FILE:
                        if (!*optarg) {
                                devbroker_usage_error(
                                        "--bootstrap-file: the file name is "
                                        "empty");
                                return HW_EXIT_USAGE;
                        }
                        conf->bootstrap_file = optarg;
                        break;
                case OPT_CONTROL:
                        if (!*optarg) {
                                devbroker_usage_error(
                                        "--control: the file name is empty");
                                return HW_EXIT_USAGE;
                        }
                        conf->control_file = optarg;
                        break;
                case 'h':
                        devbroker_usage(stdout);
                        return HW_EXIT_OK;
                case OPT_VERSION:
                        printf(DEVBROKER_PROG " %s\n", HW_VERSION);
                        return HW_EXIT_OK;
                default:
                        /* getopt_long already named the bad flag. */
                        fprintf(stderr, "Try '" DEVBROKER_PROG " --help' for "
                                        "more information.\n");
                        return HW_EXIT_USAGE;
                }
        }

        if (optind < argc) {
                devbroker_usage_error("unexpected argument '%s'", argv[optind]);
                return HW_EXIT_USAGE;
        }

        if (conf->topic_cnt == 0) {
                /* The defaults are static strings, never freed one by one. */
                size_t n = sizeof(devbroker_default_topics) /
                           sizeof(devbroker_default_topics[0]);
                for (size_t i = 0; i < n; i++) {
                        if (devbroker_topic_add(conf,
                                                devbroker_default_topics[i])) {
                                fprintf(stderr,
                                        DEVBROKER_PROG ": out of memory\n");
                                return HW_EXIT_FAILURE;
                        }
                }
        }
        return -1;
}

/* Kafka's usual replication factor, capped by the broker count. */
static int devbroker_replication_factor(const devbroker_conf_t *conf) {
        return conf->brokers < 3 ? conf->brokers : 3;
}

/* Frees what devbroker_parse_args() allocated. Can't fail. */
static void devbroker_conf_release(devbroker_conf_t *conf) {
        free(conf->topics);
        conf->topics = NULL;
        conf->topic_cnt = 0;
}

/* Joins the topic names with commas into buf, ending in "..." when they do
 * not fit. Can't fail. */
static void devbroker_topics_join(const devbroker_conf_t *conf, char *buf,
                                  size_t size) {
        size_t n = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < conf->topic_cnt; i++) {
                int r = snprintf(buf + n, size - n, "%s%s", i ? "," : "",
                                 conf->topics[i]);
                if (r < 0 || (size_t)r >= size - n) {
                        if (size > 4)
                                strcpy(buf + size - 4, "...");
                        return;
                }
                n += (size_t)r;
        }
}

/* A librdkafka message repeated within this many seconds is counted, not
 * logged again. */
#define DEVBROKER_LOG_REPEAT_S 10

/* The last message librdkafka logged, and how often it came again since. */
static struct {
        pthread_mutex_t lock;
        char text[512];
        int level;
        unsigned long repeated;
        time_t at;
} devbroker_last_log = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void devbroker_log_text(int level, const char *text) {
        if (level <= LOG_ERR)
                HW_ERROR(DEVBROKER_COMPONENT, "%s", text);
        else
                HW_WARN(DEVBROKER_COMPONENT, "%s", text);
}

/* Logs how often the last message came again unlogged (lock held). */
static void devbroker_log_repeats(void) {
        char text[600];

        if (!devbroker_last_log.repeated)
                return;
        snprintf(text, sizeof(text), "%s (%lu times more)",
                 devbroker_last_log.text, devbroker_last_log.repeated);
        devbroker_log_text(devbroker_last_log.level, text);
        devbroker_last_log.repeated = 0;
}

/* librdkafka log callback, called from librdkafka's threads: routes warnings
 * and errors to our logfmt log (log_level keeps the rest from being made).
 * A message repeated at once is logged once per DEVBROKER_LOG_REPEAT_S with
 * its count: the mock cluster retries a failed accept() (out of file
 * descriptors) as fast as it can, and logs each failure. */
static void devbroker_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                             const char *buf) {
        time_t now = time(NULL);
        char text[512];

        (void)rk;
        if (level > LOG_WARNING)
                return;
        snprintf(text, sizeof(text), "librdkafka %s: %s", fac, buf);
        pthread_mutex_lock(&devbroker_last_log.lock);
        if (!strcmp(text, devbroker_last_log.text) &&
            now - devbroker_last_log.at < DEVBROKER_LOG_REPEAT_S) {
                devbroker_last_log.repeated++;
        } else {
                devbroker_log_repeats();
                devbroker_log_text(level, text);
                memcpy(devbroker_last_log.text, text, sizeof(text));
                devbroker_last_log.level = level;
                devbroker_last_log.at = now;
        }
        pthread_mutex_unlock(&devbroker_last_log.lock);
}

/* librdkafka error callback, served by rd_kafka_poll() in the main loop. */
static void devbroker_error_cb(rd_kafka_t *rk, int err, const char *reason,
                               void *opaque) {
        (void)rk;
        (void)opaque;
        HW_ERROR(DEVBROKER_COMPONENT, "librdkafka error %s: %s",
                 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Creates the hosting producer handle. It never produces and has no
 * bootstrap.servers of its own; the mock cluster only needs it for its
 * threads, timers and logging. Returns NULL and fills errstr on failure. */
static rd_kafka_t *devbroker_rk_new(char *errstr, size_t errstr_size) {
        static const char *const props[][2] = {
                {"client.id", DEVBROKER_PROG},
                /* syslog levels: build warnings and errors only. */
                {"log_level", "4"},
                {"log.connection.close", "false"},
        };
        char cerr[512];
        rd_kafka_conf_t *rconf = rd_kafka_conf_new();
        rd_kafka_t *rk;

        for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
                if (rd_kafka_conf_set(rconf, props[i][0], props[i][1], cerr,
                                      sizeof(cerr)) != RD_KAFKA_CONF_OK) {
                        hw_fail(HW_ERR_INTERNAL, errstr, errstr_size,
                                "cannot set %s: %s", props[i][0], cerr);
                        rd_kafka_conf_destroy(rconf);
                        return NULL;
                }
        }
        rd_kafka_conf_set_log_cb(rconf, devbroker_log_cb);
        rd_kafka_conf_set_error_cb(rconf, devbroker_error_cb);

        rk = rd_kafka_new(RD_KAFKA_PRODUCER, rconf, cerr, sizeof(cerr));
        if (!rk) {
                hw_fail(HW_ERR_SERVICE, errstr, errstr_size,
                        "cannot create the hosting Kafka handle: %s", cerr);
                rd_kafka_conf_destroy(rconf);
                return NULL;
        }
        rconf = NULL; /* now owned by rk */
        return rk;
}

/* Writes content and a newline to path atomically: path.tmp, fsync, rename.
 * On failure the temporary file is removed, path is untouched, and
 * HW_ERR_IO or HW_ERR_NOMEM is returned with errstr filled. */
static hw_err_t devbroker_write_file(const char *path, const char *content,
                                     char *errstr, size_t errstr_size) {
        size_t len = strlen(path) + sizeof(".tmp");
        char *tmp = malloc(len);
        hw_err_t err = HW_OK;
        FILE *fp = NULL;

        if (!tmp)
                return hw_fail(HW_ERR_NOMEM, errstr, errstr_size,
                               "out of memory");
        snprintf(tmp, len, "%s.tmp", path);

        if (!(fp = fopen(tmp, "w"))) {
                err = hw_fail(HW_ERR_IO, errstr, errstr_size,
                              "cannot create %s: %s", tmp, strerror(errno));
                goto cleanup;
        }
        if (fprintf(fp, "%s\n", content) < 0 || fflush(fp) != 0 ||
            fsync(fileno(fp)) != 0) {
                err = hw_fail(HW_ERR_IO, errstr, errstr_size,
                              "cannot write %s: %s", tmp, strerror(errno));
                fclose(fp);
                unlink(tmp);
                goto cleanup;
        }
        if (fclose(fp) != 0) {
                err = hw_fail(HW_ERR_IO, errstr, errstr_size,
                              "cannot write %s: %s", tmp, strerror(errno));
                unlink(tmp);
                goto cleanup;
        }
        if (rename(tmp, path) != 0) {
                err = hw_fail(HW_ERR_IO, errstr, errstr_size,
                              "cannot rename %s to %s: %s", tmp, path,
                              strerror(errno));
                unlink(tmp);
                goto cleanup;
        }

cleanup:
        free(tmp);
        return err;
}

/* Checks that the cluster's sockets can be opened: one listener per broker
 * on 127.0.0.1 plus its wake-up pipes. rd_kafka_mock_cluster_new() in
 * librdkafka 2.0.2 does not return NULL when a listener fails: its cleanup
 * path trips an assert and aborts the process. Returns HW_OK, or
 * HW_ERR_SERVICE with errstr filled. Not race-free, but catches the usual
 * causes (file descriptor limit, no loopback). */
static hw_err_t devbroker_preflight(int brokers, char *errstr,
                                    size_t errstr_size) {
        int fds[4 + DEVBROKER_MAX_BROKERS]; /* two pipes, then listeners */
        int n = 0;
        hw_err_t err = HW_OK;

        for (n = 0; n < 4; n += 2) {
                if (pipe(fds + n) != 0) {
                        err = hw_fail(HW_ERR_SERVICE, errstr, errstr_size,
                                      "cannot create a pipe: %s",
                                      strerror(errno));
                        goto cleanup;
                }
        }

        for (int i = 0; i < brokers; i++) {
                struct sockaddr_in sin = {.sin_family = AF_INET};
                int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (s == -1) {
                        err = hw_fail(HW_ERR_SERVICE, errstr, errstr_size,
                                      "cannot create a socket: %s",
                                      strerror(errno));
                        goto cleanup;
                }
                fds[n++] = s;
                sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
                    listen(s, 1) != 0) {
                        err = hw_fail(HW_ERR_SERVICE, errstr, errstr_size,
                                      "cannot listen on 127.0.0.1: %s",
                                      strerror(errno));
                        goto cleanup;
                }
        }

cleanup:
        while (n > 0)
                close(fds[--n]);
        return err;
}

/* Starts the cluster and creates the topics. On failure db holds whatever
 * was started (devbroker_release() undoes it), errstr is filled, and
 * HW_ERR_SERVICE (the cluster cannot run) or another code is returned. */
static hw_err_t devbroker_start(devbroker_t *db, const devbroker_conf_t *conf,
                                char *errstr, size_t errstr_size) {
        int rf = devbroker_replication_factor(conf);
        hw_err_t err;

        if (!(db->rk = devbroker_rk_new(errstr, errstr_size)))
                return HW_ERR_SERVICE;

        if ((err = devbroker_preflight(conf->brokers, errstr, errstr_size)))
                return err;

        db->mcluster = rd_kafka_mock_cluster_new(db->rk, conf->brokers);
        if (!db->mcluster)
                return hw_fail(HW_ERR_SERVICE, errstr, errstr_size,
                               "cannot create a mock cluster of %d "
                               "broker(s) on 127.0.0.1 (no free port, or "
                               "out of file descriptors?)",
                               conf->brokers);

        for (size_t i = 0; i < conf->topic_cnt; i++) {
                rd_kafka_resp_err_t kerr = rd_kafka_mock_topic_create(
                        db->mcluster, conf->topics[i], conf->partitions, rf);
                if (kerr)
                        return hw_fail(HW_ERR_SERVICE, errstr, errstr_size,
                                       "cannot create topic %s with %d "
                                       "partition(s): %s",
                                       conf->topics[i], conf->partitions,
                                       rd_kafka_err2str(kerr));
        }
        return HW_OK;
}

/* Stops the cluster, destroys the handle and removes the bootstrap file if
 * we wrote it. Safe on a partly started db. Can't fail (a file that cannot
 * be removed is logged). */
static void devbroker_release(devbroker_t *db) {
        if (db->mcluster) {
                /* The cluster runs on rk's behalf: destroy it first. */
                rd_kafka_mock_cluster_destroy(db->mcluster);
                db->mcluster = NULL;
        }
        if (db->rk) {
                rd_kafka_destroy(db->rk);
                db->rk = NULL;
        }
        pthread_mutex_lock(&devbroker_last_log.lock);
        devbroker_log_repeats();
        pthread_mutex_unlock(&devbroker_last_log.lock);
        if (db->bootstrap_file) {
                if (unlink(db->bootstrap_file) != 0 && errno != ENOENT)
                        HW_WARN(DEVBROKER_COMPONENT, "cannot remove %s: %s",
                                db->bootstrap_file, strerror(errno));
                db->bootstrap_file = NULL;
        }
}

/* Installs the SIGINT/SIGTERM handlers and ignores SIGPIPE (a client that
 * disconnects mid-response must not kill the broker). Returns 0, or -1 with
 * errstr filled. */
static int devbroker_signals_install(char *errstr, size_t errstr_size) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = devbroker_on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        if (sigaction(SIGINT, &sa, NULL) != 0 ||
            sigaction(SIGTERM, &sa, NULL) != 0) {
                hw_fail(HW_ERR_INTERNAL, errstr, errstr_size,
                        "cannot install signal handlers: %s", strerror(errno));
                return -1;
        }

        sa.sa_handler = SIG_IGN;
        if (sigaction(SIGPIPE, &sa, NULL) != 0) {
                hw_fail(HW_ERR_INTERNAL, errstr, errstr_size,
                        "cannot ignore SIGPIPE: %s", strerror(errno));
                return -1;
        }
        return 0;
}

/* Every client connection holds a file descriptor: takes as many as the
 * hard limit allows (a soft limit of 1024 is soon reached by a test's
 * consumers and their restarts). Can't fail: the limit stays as it was. */
static void devbroker_raise_fd_limit(void) {
        struct rlimit rl;

        if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* Runs the local Kafka until SIGTERM or SIGINT. Exits 0 after a signal,
 * HW_EXIT_USAGE on bad flags, HW_EXIT_UNAVAILABLE when the cluster cannot
 * start, HW_EXIT_FAILURE otherwise. */
int main(int argc, char **argv) {
        devbroker_conf_t conf = devbroker_conf_defaults;
        devbroker_t db = {.rk = NULL, .mcluster = NULL, .bootstrap_file = NULL};
        devbroker_control_t ctl = {.fd = -1, .keep = -1};
        char errstr[512];
        char topics[512];
        sigset_t stop_set, old_set;
        const char *bootstraps;
        hw_err_t err;
        int exit_code;

        if ((exit_code = devbroker_parse_args(argc, argv, &conf)) >= 0)
                goto done;
        exit_code = HW_EXIT_FAILURE;
        devbroker_raise_fd_limit();

        if (devbroker_signals_install(errstr, sizeof(errstr))) {
                HW_ERROR(DEVBROKER_COMPONENT, "%s", errstr);
                goto done;
        }

        /* librdkafka's threads (the mock cluster's included) inherit this
         * mask, so SIGINT/SIGTERM are only ever handled by the main thread.
         * A signal that arrives meanwhile stays pending until the unblock. */
        sigemptyset(&stop_set);
        sigaddset(&stop_set, SIGINT);
        sigaddset(&stop_set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_set, &old_set);
        err = devbroker_start(&db, &conf, errstr, sizeof(errstr));
        pthread_sigmask(SIG_SETMASK, &old_set, NULL);

        if (err) {
                HW_ERROR(DEVBROKER_COMPONENT, "cannot start: %s", errstr);
                exit_code = err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE
                                                  : HW_EXIT_FAILURE;
                goto done;
        }

        bootstraps = rd_kafka_mock_cluster_bootstraps(db.mcluster);
        if (conf.control_file &&
            devbroker_control_open(&ctl, conf.control_file, conf.topics,
                                   conf.topic_cnt, errstr, sizeof(errstr))) {
                HW_ERROR(DEVBROKER_COMPONENT, "%s", errstr);
                goto done;
        }

        /* The file is the "ready" signal for scripts: write it last. */
        if (conf.bootstrap_file) {
                if (devbroker_write_file(conf.bootstrap_file, bootstraps,
                                         errstr, sizeof(errstr))) {
                        HW_ERROR(DEVBROKER_COMPONENT,
                                 "cannot write the bootstrap file: %s", errstr);
                        goto done;
                }
                db.bootstrap_file = conf.bootstrap_file;
        }

        devbroker_topics_join(&conf, topics, sizeof(topics));
        HW_INFO(DEVBROKER_COMPONENT,
                "started brokers=%d partitions=%d replication_factor=%d "
                "topics=%s bootstrap=%s bootstrap_file=%s",
                conf.brokers, conf.partitions,
                devbroker_replication_factor(&conf), topics, bootstraps,
                conf.bootstrap_file ? conf.bootstrap_file : "-");

        if (printf("%s\n", bootstraps) < 0 || fflush(stdout) != 0)
                HW_WARN(DEVBROKER_COMPONENT,
                        "cannot print the bootstrap list on stdout: %s",
                        strerror(errno));

        /* Polling the hosting handle is the nap: it also serves its queue
         * (error events would otherwise pile up over a long run). */
        while (!devbroker_stop_signal) {
                if (ctl.fd >= 0) {
                        devbroker_control_serve(&ctl, db.mcluster,
                                                DEVBROKER_POLL_MS);
                        rd_kafka_poll(db.rk, 0);
                } else {
                        rd_kafka_poll(db.rk, DEVBROKER_POLL_MS);
                }
        }

        HW_INFO(DEVBROKER_COMPONENT, "stopping on %s",
                devbroker_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
        exit_code = HW_EXIT_OK;

done:
        devbroker_control_close(&ctl);
        devbroker_release(&db);
        if (exit_code == HW_EXIT_OK && devbroker_stop_signal)
                HW_INFO(DEVBROKER_COMPONENT, "stopped");
        devbroker_conf_release(&conf);
        return exit_code;
}
