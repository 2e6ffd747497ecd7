#include "hw_metrics.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hw_log.h"

/* Partitions tracked by the lag gauge; more are dropped (with one warning). */
#define HW_LAG_MAX 4096
/* The HTTP side: few scrapers, none may hold a connection long, and one
 * client (an address) holds at most a few of them, so a client that opens
 * connections and sends nothing cannot keep the liveness probe out. */
#define HW_METRICS_MAX_CONNECTIONS 32u
#define HW_METRICS_PER_CLIENT 4u
#define HW_METRICS_TIMEOUT_S 3u
/* libmicrohttpd's complaints (a client over its limit, ...) are logged at
 * most once this often, with how many were left out. */
#define HW_METRICS_LOG_EVERY_S 10

#define HW_REJECT_CLASSES 5               /* HW_ERR_BAD_FRAMING.. */
#define HW_REJECT_OTHER HW_REJECT_CLASSES /* index of "other" */

/* Upper bounds of hirewire_batch_flush_seconds; +Inf comes after them.
 * The text is written as is, so a bound reads the same in every scrape. */
static const char *const flush_le_text[] = {
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
        "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
static const double flush_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                  0.25,  0.5,    1,     2.5,  5,     10};
#define HW_FLUSH_BOUNDS (sizeof(flush_le) / sizeof(flush_le[0]))

_Static_assert(sizeof(flush_le_text) / sizeof(flush_le_text[0]) ==
                       HW_FLUSH_BOUNDS,
               "flush bucket bounds and their text differ in length");

/* Name and help of each plain counter, in hw_counter_t order. */
static const struct {
        const char *name;
        const char *help;
} counter_defs[HW_M_COUNTER_COUNT] = {
        [HW_M_CONSUMED] = {"hirewire_messages_consumed_total",
                           "Messages read from Kafka."},
        [HW_M_APPLIED] = {"hirewire_events_applied_total",
                          "Events applied to Redis."},
        [HW_M_DUPLICATES] = {"hirewire_events_duplicate_total",
                             "Events skipped because their event_id was "
                             "seen before."},
        [HW_M_REPEATED] = {"hirewire_hires_repeated_total",
                           "Hires of a person already in the lab."},
        [HW_M_DLQ_PRODUCED] = {"hirewire_dlq_produced_total",
                               "Rejected messages delivered to the dead "
                               "letter queue."},
        [HW_M_BATCHES] = {"hirewire_batches_total",
                          "Batches applied to Redis atomically."},
        [HW_M_FENCED] = {"hirewire_batches_fenced_total",
                         "Batches dropped because another consumer moved "
                         "the offsets."},
        [HW_M_REDIS_ERRORS] = {"hirewire_redis_errors_total",
                               "Failed Redis round trips (retried)."},
        [HW_M_REGISTRY_REQUESTS] = {"hirewire_schema_registry_requests_total",
                                    "Requests to the Schema Registry (writer "
                                    "schemas not in the cache)."},
        [HW_M_REGISTRY_ERRORS] = {"hirewire_schema_registry_errors_total",
                                  "Schema Registry requests that got no "
                                  "usable answer (retried)."},
        [HW_M_ALERTS_RAISED] = {"hirewire_alerts_raised_total",
                                "Alerts written to the alert stream."},
        [HW_M_ALERTS_RELAYED] = {"hirewire_alerts_relayed_total",
                                 "Alerts Kafka confirmed on the alerts "
                                 "topic."},
        [HW_M_WEBHOOK_DELIVERED] = {"hirewire_webhook_deliveries_total",
                                    "Alerts POSTed to the webhook with a 2xx "
                                    "answer."},
        [HW_M_WEBHOOK_FAILED] = {"hirewire_webhook_failures_total",
                                 "Webhook POSTs without a 2xx answer "
                                 "(retried)."},
};

/* The lag of one partition. */
typedef struct hw_lag_entry_s {
        char *topic;
        int partition;
        int64_t lag;
} hw_lag_entry_t;

struct hw_metrics_s {
        /* Lock-free: the consumer thread adds, the HTTP thread reads. */
        _Atomic uint64_t counters[HW_M_COUNTER_COUNT];
        _Atomic uint64_t rejected[HW_REJECT_CLASSES + 1];

        /* Everything below is guarded by lock. */
        pthread_mutex_t lock;
        uint64_t flush_buckets[HW_FLUSH_BOUNDS + 1]; /* not cumulative */
        uint64_t flush_count;
        double flush_sum;
        hw_lag_entry_t *lags; /* sorted by (topic, partition) */
        size_t n_lags, cap_lags;
        int lag_full_warned;
        int ready;
        char why[256];
        char version[64];
        time_t started;      /* when the registry was made: start-up */
        int starting;        /* MHD_start_daemon is running */
        char start_err[256]; /* its last log message */
        time_t logged;       /* when libmicrohttpd's last line was */
        uint64_t unlogged;   /* its lines left out since */

        /* Owned by the thread that calls serve and destroy. */
        struct MHD_Daemon *daemon;
        char bound[INET_ADDRSTRLEN + 8];
};

hw_metrics_t *hw_metrics_new(void) {
        hw_metrics_t *m = calloc(1, sizeof(*m));
        size_t i;

        if (!m)
                return NULL;
        for (i = 0; i < HW_M_COUNTER_COUNT; i++)
                atomic_init(&m->counters[i], 0);
        for (i = 0; i <= HW_REJECT_CLASSES; i++)
                atomic_init(&m->rejected[i], 0);
        if (pthread_mutex_init(&m->lock, NULL) != 0) {
                free(m);
                return NULL;
        }
        snprintf(m->why, sizeof(m->why), "starting");
        snprintf(m->version, sizeof(m->version), "unknown");
        m->started = time(NULL);
        return m;
}

void hw_metrics_destroy(hw_metrics_t *m) {
        if (!m)
                return;
        /* Stop first: once MHD_stop_daemon returns, no handler runs. */
        if (m->daemon)
                MHD_stop_daemon(m->daemon);
        for (size_t i = 0; i < m->n_lags; i++)
                free(m->lags[i].topic);
        free(m->lags);
        pthread_mutex_destroy(&m->lock);
        free(m);
}

void hw_metrics_add(hw_metrics_t *m, hw_counter_t counter, uint64_t n) {
        if (!m || (unsigned)counter >= HW_M_COUNTER_COUNT)
                return;
        atomic_fetch_add_explicit(&m->counters[counter], n,
                                  memory_order_relaxed);
}

void hw_metrics_rejected(hw_metrics_t *m, const char *error_class) {
        int i = HW_REJECT_OTHER;

        if (!m)
                return;
        if (error_class) {
                for (int c = 0; c < HW_REJECT_CLASSES; c++) {
                        if (!strcmp(error_class,
                                    hw_err_name((hw_err_t)(HW_ERR_BAD_FRAMING +
                                                           c)))) {
                                i = c;
                                break;
                        }
                }
        }
        atomic_fetch_add_explicit(&m->rejected[i], 1, memory_order_relaxed);
}

void hw_metrics_observe_flush(hw_metrics_t *m, double seconds) {
        size_t i = 0;

        /* A NaN would poison the sum forever; a negative duration can only
         * come from a clock step and counts as 0. */
        if (!m || isnan(seconds))
                return;
        if (seconds < 0)
                seconds = 0;
        while (i < HW_FLUSH_BOUNDS && seconds > flush_le[i])
                i++;
        pthread_mutex_lock(&m->lock);
        m->flush_buckets[i]++;
        m->flush_count++;
        m->flush_sum += seconds;
        pthread_mutex_unlock(&m->lock);
}

/* Orders lag entries by topic, then partition. */
static int lag_cmp(const char *topic, int partition, const hw_lag_entry_t *e) {
        int c = strcmp(topic, e->topic);
        if (c)
                return c;
        return (partition > e->partition) - (partition < e->partition);
}

/* Index of (topic, partition) in m->lags, or where it would go (*found 0).
 * Called with m->lock held. */
static size_t lag_find(const hw_metrics_t *m, const char *topic, int partition,
                       int *found) {
        size_t lo = 0, hi = m->n_lags;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = lag_cmp(topic, partition, &m->lags[mid]);
                if (c == 0) {
                        *found = 1;
                        return mid;
                }
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        *found = 0;
        return lo;
}

void hw_metrics_set_lag(hw_metrics_t *m, const char *topic, int partition,
                        int64_t lag) {
        int found, warn = 0;
        size_t i;

        if (!m || !topic)
                return;
        pthread_mutex_lock(&m->lock);
        i = lag_find(m, topic, partition, &found);
        if (found) {
                if (lag >= 0) {
                        m->lags[i].lag = lag;
                } else {
                        free(m->lags[i].topic);
                        memmove(&m->lags[i], &m->lags[i + 1],
                                (m->n_lags - i - 1) * sizeof(m->lags[0]));
                        m->n_lags--;
                }
        } else if (lag >= 0) {
                if (m->n_lags == HW_LAG_MAX) {
                        warn = !m->lag_full_warned;
                        m->lag_full_warned = 1;
                        goto unlock;
                }
                if (m->n_lags == m->cap_lags) {
                        size_t cap = m->cap_lags ? m->cap_lags * 2 : 16;
                        hw_lag_entry_t *p;
                        if (cap > HW_LAG_MAX)
                                cap = HW_LAG_MAX;
                        p = realloc(m->lags, cap * sizeof(*p));
                        if (!p)
                                goto unlock; /* can't fail: the gauge
                                              * misses one partition */
                        m->lags = p;
                        m->cap_lags = cap;
                }
                char *copy = strdup(topic);
                if (!copy)
                        goto unlock;
                memmove(&m->lags[i + 1], &m->lags[i],
                        (m->n_lags - i) * sizeof(m->lags[0]));
                m->lags[i].topic = copy;
                m->lags[i].partition = partition;
                m->lags[i].lag = lag;
                m->n_lags++;
        }
unlock:
        pthread_mutex_unlock(&m->lock);
        if (warn)
                HW_WARN("metrics",
                        "more than %d partitions: hirewire_consumer_lag "
                        "leaves out the rest",
                        HW_LAG_MAX);
}

void hw_metrics_set_version(hw_metrics_t *m, const char *version) {
        if (!m || !version)
                return;
        pthread_mutex_lock(&m->lock);
        snprintf(m->version, sizeof(m->version), "%s", version);
        pthread_mutex_unlock(&m->lock);
}

void hw_metrics_set_ready(hw_metrics_t *m, int ready, const char *why) {
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        m->ready = ready != 0;
        snprintf(m->why, sizeof(m->why), "%s",
                 ready ? "" : (why && *why ? why : "unknown"));
        pthread_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------ */
/* Exposition                                                          */
/* ------------------------------------------------------------------ */

/* Writes a sample value in the shortest form that reads back exactly. */
static void format_double(double v, char *out, size_t size) {
        if (isnan(v)) {
                snprintf(out, size, "NaN");
        } else if (isinf(v)) {
                snprintf(out, size, "%s", v > 0 ? "+Inf" : "-Inf");
        } else {
                snprintf(out, size, "%.15g", v);
                if (strtod(out, NULL) != v)
                        snprintf(out, size, "%.17g", v);
        }
}

/* Appends a label value escaped per the text format: \\, \" and \n. */
static int append_label_value(hw_buf_t *out, const char *s) {
        const char *run = s;
        int bad = 0;

        for (; *s; s++) {
                const char *esc = *s == '\\'   ? "\\\\"
                                  : *s == '"'  ? "\\\""
                                  : *s == '\n' ? "\\n"
                                               : NULL;
                if (!esc)
                        continue;
                bad |= hw_buf_append(out, run, (size_t)(s - run));
                bad |= hw_buf_append(out, esc, 2);
                run = s + 1;
        }
        bad |= hw_buf_append(out, run, (size_t)(s - run));
        return bad;
}

static int append_family(hw_buf_t *out, const char *name, const char *type,
                         const char *help) {
        return hw_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                             name, type);
}

static int append_counter(hw_buf_t *out, const hw_metrics_t *m,
                          hw_counter_t c) {
        uint64_t v =
                atomic_load_explicit(&m->counters[c], memory_order_relaxed);
        return append_family(out, counter_defs[c].name, "counter",
                             counter_defs[c].help) |
               hw_buf_printf(out, "%s %" PRIu64 "\n", counter_defs[c].name, v);
}

/* The process metrics every Prometheus client exports: CPU (getrusage),
 * resident memory (/proc/self/statm), open descriptors (/proc/self/fd)
 * and the start time. */
static int append_process(hw_buf_t *out, time_t started) {
        struct rusage ru;
        double cpu = 0;
        long pages = 0, page = sysconf(_SC_PAGESIZE);
        FILE *f;
        char num[40];
        int bad = 0;

        if (!getrusage(RUSAGE_SELF, &ru))
                cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        if ((f = fopen("/proc/self/statm", "r"))) {
                long size;
                if (fscanf(f, "%ld %ld", &size, &pages) != 2)
                        pages = 0;
                fclose(f);
        }
        format_double(cpu, num, sizeof(num));
        bad |= append_family(out, "process_cpu_seconds_total", "counter",
                             "Total user and system CPU time spent in "
                             "seconds.");
        bad |= hw_buf_printf(out, "process_cpu_seconds_total %s\n", num);
        bad |= append_family(out, "process_resident_memory_bytes", "gauge",
                             "Resident memory size in bytes.");
        bad |= hw_buf_printf(out, "process_resident_memory_bytes %ld\n",
                             pages * (page > 0 ? page : 4096));
        bad |= append_family(out, "process_start_time_seconds", "gauge",
                             "Start time of the process since unix epoch in "
                             "seconds.");
        bad |= hw_buf_printf(out, "process_start_time_seconds %lld\n",
                             (long long)started);
        return bad;
}

hw_err_t hw_metrics_render(hw_metrics_t *m, hw_buf_t *out) {
        uint64_t buckets[HW_FLUSH_BOUNDS + 1], count, cumulative = 0;
        double sum;
        int ready, bad = 0;
        char version[64];
        char num[40];
        size_t i;

        if (!out)
                return HW_ERR_ARG;
        out->len = 0;
        if (!m)
                return HW_ERR_ARG;

        bad |= append_counter(out, m, HW_M_CONSUMED);
        bad |= append_counter(out, m, HW_M_APPLIED);

        bad |= append_family(out, "hirewire_events_rejected_total", "counter",
                             "Messages rejected, by hw.error class.");
        for (i = 0; i <= HW_REJECT_CLASSES; i++) {
                const char *name =
                        i == HW_REJECT_OTHER
                                ? "other"
                                : hw_err_name((hw_err_t)(HW_ERR_BAD_FRAMING +
                                                         (int)i));
                bad |= hw_buf_printf(
                        out,
                        "hirewire_events_rejected_total{class=\"%s\"} %" PRIu64
                        "\n",
                        name,
                        atomic_load_explicit(&m->rejected[i],
                                             memory_order_relaxed));
        }
        for (i = HW_M_DUPLICATES; i < HW_M_COUNTER_COUNT; i++)
                bad |= append_counter(out, m, (hw_counter_t)i);

        /* One snapshot, so the buckets, sum and count agree. */
        pthread_mutex_lock(&m->lock);
        memcpy(buckets, m->flush_buckets, sizeof(buckets));
        count = m->flush_count;
        sum = m->flush_sum;
        pthread_mutex_unlock(&m->lock);

        bad |= append_family(out, "hirewire_batch_flush_seconds", "histogram",
                             "Time to flush one batch to Redis.");
        for (i = 0; i <= HW_FLUSH_BOUNDS; i++) {
                cumulative += buckets[i];
                bad |= hw_buf_printf(out,
                                     "hirewire_batch_flush_seconds_bucket{le="
                                     "\"%s\"} %" PRIu64 "\n",
                                     i < HW_FLUSH_BOUNDS ? flush_le_text[i]
                                                         : "+Inf",
                                     cumulative);
        }
        format_double(sum, num, sizeof(num));
        bad |= hw_buf_printf(out,
                             "hirewire_batch_flush_seconds_sum %s\n"
                             "hirewire_batch_flush_seconds_count %" PRIu64 "\n",
                             num, count);

        bad |= append_family(out, "hirewire_consumer_lag", "gauge",
                             "Messages between the high watermark and the "
                             "consumer position, by partition.");
        pthread_mutex_lock(&m->lock);
        for (i = 0; i < m->n_lags; i++) {
                const hw_lag_entry_t *e = &m->lags[i];
                bad |= hw_buf_printf(out, "hirewire_consumer_lag{topic=\"");
                bad |= append_label_value(out, e->topic);
                bad |= hw_buf_printf(out, "\",partition=\"%d\"} %" PRId64 "\n",
                                     e->partition, e->lag);
        }
        ready = m->ready;
        snprintf(version, sizeof(version), "%s", m->version);
        pthread_mutex_unlock(&m->lock);

        bad |= append_family(out, "hirewire_ready", "gauge",
                             "1 while assigned partitions are served and "
                             "Redis answers, else 0.");
        bad |= hw_buf_printf(out, "hirewire_ready %d\n", ready);

        bad |= append_family(out, "hirewire_build_info", "gauge",
                             "Always 1; the version is its label.");
        bad |= hw_buf_printf(out, "hirewire_build_info{version=\"");
        bad |= append_label_value(out, version);
        bad |= hw_buf_printf(out, "\"} 1\n");
        bad |= append_process(out, m->started);

        if (bad) {
                out->len = 0;
                if (out->data)
                        out->data[0] = '\0';
                return HW_ERR_NOMEM;
        }
        return HW_OK;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
                               const char *body, size_t len,
                               const char *content_type, int allow_header) {
        struct MHD_Response *r;
        enum MHD_Result ret;

        r = MHD_create_response_from_buffer(len, (void *)body,
                                            MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO; /* MHD closes the connection */
        if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    content_type) != MHD_YES ||
            (allow_header && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW,
                                                     "GET, HEAD") != MHD_YES)) {
                MHD_destroy_response(r);
                return MHD_NO;
        }
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static enum MHD_Result
handle_request(void *cls, struct MHD_Connection *conn, const char *url,
               const char *method, const char *version, const char *upload_data,
               size_t *upload_data_size, void **con_cls) {
        hw_metrics_t *m = cls;
        int is_metrics = !strcmp(url, "/metrics");
        int is_health = !strcmp(url, "/healthz");

        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)con_cls;

        /* Every answer is queued on the first call: no request body is
         * ever wanted, and MHD closes a connection whose body is left. */
        if (!is_metrics && !is_health) {
                static const char msg[] = "not found\n";
                return respond(conn, MHD_HTTP_NOT_FOUND, msg, sizeof(msg) - 1,
                               TEXT_PLAIN, 0);
        }
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
            strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
                static const char msg[] = "method not allowed\n";
                return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, msg,
                               sizeof(msg) - 1, TEXT_PLAIN, 1);
        }

        if (is_health) {
                char body[300];
                int ready, n;
                pthread_mutex_lock(&m->lock);
                ready = m->ready;
                n = ready ? snprintf(body, sizeof(body), "ok\n")
                          : snprintf(body, sizeof(body), "not ready: %s\n",
                                     m->why);
                pthread_mutex_unlock(&m->lock);
                if (n < 0)
                        n = 0;
                if ((size_t)n >= sizeof(body))
                        n = (int)sizeof(body) - 1;
                return respond(conn,
                               ready ? MHD_HTTP_OK
                                     : MHD_HTTP_SERVICE_UNAVAILABLE,
                               body, (size_t)n, TEXT_PLAIN, 0);
        }

        hw_buf_t buf;
        enum MHD_Result ret;
        hw_buf_init(&buf);
        if (hw_metrics_render(m, &buf) != HW_OK) {
                static const char msg[] = "out of memory\n";
                hw_buf_release(&buf);
                return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, msg,
                               sizeof(msg) - 1, TEXT_PLAIN, 0);
        }
        ret = respond(conn, MHD_HTTP_OK, buf.data, buf.len,
                      "text/plain; version=0.0.4; charset=utf-8", 0);
        hw_buf_release(&buf);
        return ret;
}

/* Routes libmicrohttpd's messages to hw_log; while the daemon starts they
 * are kept instead, to become the errstr of hw_metrics_serve. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        hw_metrics_t *m = cls;
        char msg[256];
        size_t n;

        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        pthread_mutex_lock(&m->lock);
        if (m->starting) {
                memcpy(m->start_err, msg, n + 1);
                pthread_mutex_unlock(&m->lock);
                return;
        }
        {
                time_t now = time(NULL);
                uint64_t left_out = m->unlogged;
                if (m->logged && now - m->logged < HW_METRICS_LOG_EVERY_S) {
                        m->unlogged++;
                        pthread_mutex_unlock(&m->lock);
                        return;
                }
                m->logged = now;
                m->unlogged = 0;
                pthread_mutex_unlock(&m->lock);
                if (left_out)
                        HW_WARN("metrics",
                                "libmicrohttpd: %s (and %" PRIu64
                                " more lines in the last %d s)",
                                msg, left_out, HW_METRICS_LOG_EVERY_S);
                else
                        HW_WARN("metrics", "libmicrohttpd: %s", msg);
        }
}

/* Parses "host:port" (IPv4 literal or a name with an IPv4 address). */
static hw_err_t parse_addr(const char *addr, struct sockaddr_in *sin,
                           char *errstr, size_t errstr_size) {
        const char *colon = strrchr(addr, ':'), *p;
        struct addrinfo hints, *res = NULL;
        char host[256];
        unsigned long port = 0;
        size_t host_len;
        int rc;

        if (!colon || colon == addr)
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "metrics address \"%s\" is not host:port", addr);
        host_len = (size_t)(colon - addr);
        if (host_len >= sizeof(host))
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "metrics address \"%s\": host name too long",
                               addr);
        memcpy(host, addr, host_len);
        host[host_len] = '\0';

        for (p = colon + 1; *p >= '0' && *p <= '9' && p - colon <= 5; p++)
                port = port * 10 + (unsigned long)(*p - '0');
        if (p == colon + 1 || *p != '\0' || port > 65535)
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "metrics address \"%s\": port must be 0 to "
                               "65535",
                               addr);

        memset(sin, 0, sizeof(*sin));
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
                return HW_OK;
        if (strchr(host, ':') || strchr(host, '[') || strchr(host, ' '))
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "metrics address \"%s\": host must be an "
                               "IPv4 address or a name",
                               addr);

        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        rc = getaddrinfo(host, NULL, &hints, &res);
        if (rc != 0 || !res)
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "metrics address \"%s\": cannot resolve "
                               "\"%s\": %s",
                               addr, host,
                               rc ? gai_strerror(rc) : "no address");
        sin->sin_addr = ((const struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
        return HW_OK;
}

hw_err_t hw_metrics_serve(hw_metrics_t *m, const char *addr, char *bound,
                          size_t bound_size, char *errstr, size_t errstr_size) {
        const union MHD_DaemonInfo *info;
        struct MHD_Daemon *d;
        struct sockaddr_in sin;
        char why[sizeof(m->start_err)], ip[INET_ADDRSTRLEN];
        hw_err_t err;

        if (bound && bound_size > 0)
                bound[0] = '\0';
        if (!m || !addr)
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "no metrics address");
        if (m->daemon)
                return hw_fail(HW_ERR_ARG, errstr, errstr_size,
                               "metrics are already served on %s", m->bound);
        err = parse_addr(addr, &sin, errstr, errstr_size);
        if (err)
                return err;

        pthread_mutex_lock(&m->lock);
        m->starting = 1;
        m->start_err[0] = '\0';
        pthread_mutex_unlock(&m->lock);

        /* The logger comes first so no start-up message goes to stderr
         * unformatted. MHD sets SO_REUSEADDR (a restart can bind while old
         * connections linger) but not SO_REUSEPORT, so a port another
         * process listens on fails here. */
        d = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                        MHD_USE_ERROR_LOG,
                ntohs(sin.sin_port), NULL, NULL, handle_request, m,
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m, MHD_OPTION_SOCK_ADDR,
                (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT,
                HW_METRICS_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                HW_METRICS_PER_CLIENT, MHD_OPTION_CONNECTION_TIMEOUT,
                HW_METRICS_TIMEOUT_S, MHD_OPTION_END);

        pthread_mutex_lock(&m->lock);
        m->starting = 0;
        memcpy(why, m->start_err, sizeof(why));
        pthread_mutex_unlock(&m->lock);

        if (!d)
                return hw_fail(HW_ERR_IO, errstr, errstr_size,
                               "cannot serve metrics on %s: %s", addr,
                               why[0] ? why : "libmicrohttpd failed to start");
        if (why[0])
                HW_WARN("metrics", "libmicrohttpd: %s", why);

        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        if (!info || info->port == 0) {
                MHD_stop_daemon(d);
                return hw_fail(HW_ERR_IO, errstr, errstr_size,
                               "cannot serve metrics on %s: bound port "
                               "unknown",
                               addr);
        }
        m->daemon = d;
        if (!inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip)))
                snprintf(ip, sizeof(ip), "?");
        snprintf(m->bound, sizeof(m->bound), "%s:%u", ip, (unsigned)info->port);
        if (bound && bound_size > 0)
                snprintf(bound, bound_size, "%s", m->bound);
        HW_INFO("metrics", "serving /metrics and /healthz on http://%s",
                m->bound);
        return HW_OK;
}
