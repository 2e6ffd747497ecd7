/* Unit tests of the config file reader and the shipped sample config. */
#include "config_fixtures.h"

/* ------------------------------------------------------------------ */
/* Config files                                                        */
/* ------------------------------------------------------------------ */

static void test_load_file(void) {
        hw_config_t c;
        const char *path = write_temp(
                "\xEF\xBB\xBF# a comment\n"
                "\n"
                "   # an indented comment\n"
                "group=g1\n"
                "  prefix   =   \"hw2:\"   \n"
                "topic.hires = h1\r\n"
                "windows = \"30d, 7d\"\n"
                "redis.password = \" pass#word \\\"quoted\\\" \\\\ \\n \"\n"
                "redis.url = redis://:p#w@r1:6390/3\n"
                "kafka.client.id = hirewire-test\n"
                "metrics.addr = off\n"
                "log.level = warn\n"
                "batch.max.events = 7\n"
                "\t\n"
                "bootstrap.file = \"/tmp/a b.txt\"\n"
                "# the last line has no newline\n"
                "seen.days = 9");
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_load_file(&c, path, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_STR(c.group, "g1");
        HW_CHECK_STR(c.prefix, "hw2:");
        HW_CHECK_STR(c.topic_hires, "h1");
        HW_CHECK_EQ_INT(c.n_windows, 2);
        HW_CHECK_EQ_INT(c.windows[0], 7);
        HW_CHECK_EQ_INT(c.windows[1], 30);
        HW_CHECK_STR(c.redis_password, " pass#word \"quoted\" \\ \\n ");
        HW_CHECK_STR(c.redis_url, "redis://:p#w@r1:6390/3");
        HW_CHECK_EQ_INT(c.kafka.n_props, 1);
        HW_CHECK_STR(c.kafka.props[0], "client.id=hirewire-test");
        HW_CHECK_STR(c.metrics_addr, "off");
        HW_CHECK_EQ_INT(c.log_level, HW_LOG_WARN);
        HW_CHECK_EQ_INT(c.batch_max_events, 7);
        HW_CHECK_STR(c.kafka.bootstrap_file, "/tmp/a b.txt");
        HW_CHECK_EQ_INT(c.seen_days, 9);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);
        hw_config_release(&c);
}

/* Loads text as a config file; expects HW_ERR_ARG with errstr starting
 * "PATH:LINE: " and containing want. */
static void expect_file_error(const char *text, int line, const char *want) {
        hw_config_t c;
        char prefix[300];
        const char *path = write_temp(text);
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        HW_CONTEXT("file text: %s", text);
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
        CHECK_ERR(hw_config_load_file(&c, path, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_MSG(!strncmp(errstr, prefix, strlen(prefix)),
                     "errstr \"%s\" does not start with \"%s\"", errstr,
                     prefix);
        HW_CHECK_CONTAINS(errstr, want);
        HW_CONTEXT("%s", "");
        hw_config_release(&c);
}

static void test_load_file_errors(void) {
        hw_config_t c;

        expect_file_error("# ok\ngroup = a\nthis line has no equals sign\n", 3,
                          "key = value");
        expect_file_error("\n\n\n\nbatch.max.ms = 0\n", 5,
                          "batch.max.ms: 0 is out of range");
        expect_file_error("group = a\nnope = 1\n", 2, "unknown key \"nope\"");
        expect_file_error("= value\n", 1, "no key");
        expect_file_error("prefix = \"hw:\n", 1, "prefix: unterminated quote");
        expect_file_error("prefix = \"hw:\" x\n", 1,
                          "prefix: text after the closing quote");
        expect_file_error("prefix = \" hw:\"\n", 1, "prefix: ");
        /* A long key on such a line is shown cut to 80 bytes. */
        {
                char text[400];
                snprintf(text, sizeof(text), "%0200d = \"x\n", 0);
                expect_file_error(text, 1, "00000000...: unterminated quote");
        }
        expect_file_error("windows = 7d,30x\n", 1, "windows: \"30x\"");
        expect_file_error("group = a\r\nlog.level = loud\r\n", 2,
                          "log.level: \"loud\"");
        /* A secret on a bad line is not echoed. */
        expect_file_error("redis.url = redis://:Sekrit99@host:0\n", 1,
                          "redis.url: ");
        CHECK_NOT_CONTAINS(errstr, "Sekrit99");
        expect_file_error("Sekrit99\n", 1, "key = value");
        CHECK_NOT_CONTAINS(errstr, "Sekrit99");

        /* A missing file is an I/O error naming it. */
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_load_file(&c, "/nonexistent/hirewire.conf", errstr,
                                      sizeof(errstr)),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "/nonexistent/hirewire.conf");
        hw_config_release(&c);
}

/* The shipped sample sets exactly the defaults and lists every key. */
static void test_sample_conf(void) {
        static const char *const keys[] = {
                "brokers",
                "bootstrap.file",
                "kafka.",
                "group",
                "topic.hires",
                "topic.offers",
                "topic.dlq",
                "topic.alerts",
                "redis.url",
                "redis.password",
                "prefix",
                "windows",
                "mega.threshold.usd",
                "max.message.bytes",
                "batch.max.events",
                "batch.max.ms",
                "outage.wait.ms",
                "dedup.days",
                "metrics.addr",
                "country.bases.file",
                "country.groups.file",
                "log.level",
        };
        char path[1024], text[16384];
        hw_config_t c;
        FILE *fp;
        size_t n;

        src_path("deploy/config/hirewire.conf", path, sizeof(path));
        HW_CONTEXT("%s", path);
        fp = fopen(path, "r");
        if (!HW_CHECK(fp != NULL))
                return;
        n = fread(text, 1, sizeof(text) - 1, fp);
        text[n] = '\0';
        fclose(fp);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                char line[128];
                snprintf(line, sizeof(line), "\n%s", keys[i]);
                if (!strstr(text, line)) /* maybe commented out */
                        snprintf(line, sizeof(line), "\n#%s", keys[i]);
                HW_CHECK_MSG(strstr(text, line) != NULL,
                             "key %s is missing from the sample config",
                             keys[i]);
        }
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_load_file(&c, path, errstr, sizeof(errstr)), HW_OK);
        /* The sample sets every default, and names the shipped country
         * files relative to itself. */
        HW_CHECK_STR(c.bases_file, "talent-bases.csv");
        HW_CHECK_STR(c.groups_file, "country-groups.csv");
        free(c.bases_file);
        free(c.groups_file);
        c.bases_file = c.groups_file = NULL;
        check_defaults(&c);
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);
        hw_config_release(&c);
}

static void run_all(void) {
        HW_RUN(test_load_file);
        HW_RUN(test_load_file_errors);
        HW_RUN(test_sample_conf);
}

int main(void) {
        return config_main(run_all);
}
