/* The config tests' shared helpers (config_fixtures.h). */
#include "config_fixtures.h"

char errstr[1024];

int check_err_(hw_err_t got, hw_err_t want, const char *file, int line) {
        return hw_test_report(got == want, file, line,
                              "error %s (%d), expected %s (%d); errstr: %s",
                              hw_err_name(got), (int)got, hw_err_name(want),
                              (int)want, got ? errstr : "-");
}

/* The source tree: $HW_SRC_DIR, else the parent of this file's folder. */
void src_path(const char *rel, char *out, size_t size) {
        const char *env = getenv("HW_SRC_DIR");
        if (env && *env) {
                snprintf(out, size, "%s/%s", env, rel);
        } else {
                const char *slash = strrchr(__FILE__, '/');
                if (slash)
                        snprintf(out, size, "%.*s/../%s",
                                 (int)(slash - __FILE__), __FILE__, rel);
                else
                        snprintf(out, size, "../%s", rel);
        }
}

/* Temp files made by write_temp(), removed at exit. */
static char g_temps[64][256];
static size_t g_n_temps;

/* Writes text to a new temp file; returns its path (valid until exit). */
const char *write_temp(const char *text) {
        const char *dir = getenv("TMPDIR");
        char *path;
        FILE *fp;
        int fd;

        if (g_n_temps == sizeof(g_temps) / sizeof(g_temps[0])) {
                fprintf(stderr, "test: too many temp files\n");
                exit(2);
        }
        path = g_temps[g_n_temps];
        snprintf(path, sizeof(g_temps[0]), "%s/hw_test_config_XXXXXX",
                 dir && *dir ? dir : "/tmp");
        fd = mkstemp(path);
        if (fd < 0 || !(fp = fdopen(fd, "w"))) {
                perror("test: mkstemp");
                exit(2);
        }
        fputs(text, fp);
        fclose(fp);
        g_n_temps++;
        return path;
}

void remove_temps(void) {
        for (size_t i = 0; i < g_n_temps; i++)
                unlink(g_temps[i]);
        g_n_temps = 0;
}

int group_index(const hw_config_t *c, const char *name) {
        for (size_t i = 0; i < c->n_groups; i++)
                if (!strcmp(c->group_names[i], name))
                        return (int)i;
        return -1;
}

size_t group_size(const hw_config_t *c, int g) {
        size_t n = 0;
        for (size_t i = 0; i < c->n_countries; i++)
                if (c->countries[i].groups & (UINT32_C(1) << g))
                        n++;
        return n;
}

/* Checks that c holds every default of hw_config_init. */
void check_defaults(const hw_config_t *c) {
        HW_CHECK_STR(c->group, "hirewire");
        HW_CHECK_STR(c->topic_hires, "talent.hires");
        HW_CHECK_STR(c->topic_offers, "talent.offers");
        HW_CHECK_STR(c->topic_dlq, "talent.dlq");
        HW_CHECK_STR(c->topic_alerts, "talent.alerts");
        HW_CHECK_STR(c->redis_url, "redis://127.0.0.1:6379");
        HW_CHECK_NULL(c->redis_password);
        HW_CHECK_STR(c->prefix, "hw:");
        HW_CHECK_EQ_INT(c->n_windows, 4);
        HW_CHECK_EQ_INT(c->windows[0], 7);
        HW_CHECK_EQ_INT(c->windows[1], 30);
        HW_CHECK_EQ_INT(c->windows[2], 90);
        HW_CHECK_EQ_INT(c->windows[3], 365);
        HW_CHECK_EQ_INT(c->mega_threshold_usd, 100000000);
        HW_CHECK_EQ_INT(c->max_message_bytes, 65536);
        HW_CHECK_EQ_INT(c->batch_max_events, 10000);
        HW_CHECK_EQ_INT(c->batch_max_ms, 10);
        HW_CHECK_EQ_INT(c->outage_wait_ms, 60000);
        HW_CHECK_EQ_INT(c->seen_days, 365);
        HW_CHECK_STR(c->metrics_addr, "127.0.0.1:9464");
        HW_CHECK_EQ_INT(c->log_level, HW_LOG_INFO);
        HW_CHECK_NULL(c->bases_file);
        HW_CHECK_NULL(c->groups_file);
        HW_CHECK_EQ_INT(c->n_groups, 0);
        HW_CHECK_EQ_INT(c->n_countries, 0);
        HW_CHECK_NULL(c->kafka.brokers);
        HW_CHECK_NULL(c->kafka.bootstrap_file);
        HW_CHECK_EQ_INT(c->kafka.n_props, 0);
}

int config_main(void (*run)(void)) {
        int rc;

        run();
        rc = hw_test_summary();
        remove_temps();
        return rc;
}
