#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw_log.h"

#define COMPONENT "devbroker"

hw_err_t devbroker_control_open(devbroker_control_t *c, const char *path,
                                const char **topics, size_t n_topics,
                                char *errstr, size_t size) {
        memset(c, 0, sizeof(*c));
        c->fd = c->keep = -1;
        c->topics = topics;
        c->n_topics = n_topics;
        unlink(path);
        if (mkfifo(path, 0600))
                return hw_fail(HW_ERR_IO, errstr, size,
                               "cannot create the control FIFO %s: %s", path,
                               strerror(errno));
        c->path = path;
        c->fd = open(path, O_RDONLY | O_NONBLOCK);
        c->keep = c->fd >= 0 ? open(path, O_WRONLY) : -1;
        if (c->fd < 0 || c->keep < 0)
                return hw_fail(HW_ERR_IO, errstr, size, "cannot open %s: %s",
                               path, strerror(errno));
        return HW_OK;
}

static int known_topic(const devbroker_control_t *c, const char *topic) {
        for (size_t i = 0; i < c->n_topics; i++)
                if (!strcmp(c->topics[i], topic))
                        return 1;
        return 0;
}

/* Whether a is a Kafka API key the errors and clear commands take. */
static int api_key(int a) {
        return a >= 0 && a < 100;
}

/* Applies one command line. */
static void apply(const devbroker_control_t *c, rd_kafka_mock_cluster_t *m,
                  char *line) {
        char topic[256];
        int a, b, n = 0;
        long err;
        rd_kafka_resp_err_t rc = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (sscanf(line, "down %d %n", &a, &n) == 1 && !line[n]) {
                rc = rd_kafka_mock_broker_set_down(m, a);
        } else if (sscanf(line, "up %d %n", &a, &n) == 1 && !line[n]) {
                rc = rd_kafka_mock_broker_set_up(m, a);
        } else if (sscanf(line, "rtt %d %d %n", &a, &b, &n) == 2 && !line[n] &&
                   b >= 0) {
                rc = rd_kafka_mock_broker_set_rtt(m, a, b);
        } else if (sscanf(line, "leader %255s %d %d %n", topic, &a, &b, &n) ==
                           3 &&
                   !line[n]) {
                rc = known_topic(c, topic)
                             ? rd_kafka_mock_partition_set_leader(m, topic, a,
                                                                  b)
                             : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        } else if (sscanf(line, "errors %d %d %ld %n", &a, &b, &err, &n) == 3 &&
                   !line[n] && api_key(a) && b > 0 && b <= 10000) {
                rd_kafka_resp_err_t *errs = malloc((size_t)b * sizeof(*errs));
                if (!errs) {
                        HW_ERROR(COMPONENT, "control: out of memory");
                        return;
                }
                for (int i = 0; i < b; i++)
                        errs[i] = (rd_kafka_resp_err_t)err;
                rd_kafka_mock_push_request_errors_array(m, (int16_t)a,
                                                        (size_t)b, errs);
                free(errs);
        } else if (sscanf(line, "clear %d %n", &a, &n) == 1 && !line[n] &&
                   api_key(a)) {
                rd_kafka_mock_clear_request_errors(m, (int16_t)a);
        } else {
                HW_WARN(COMPONENT, "control: unknown command \"%s\"", line);
                return;
        }
        if (rc)
                HW_WARN(COMPONENT, "control: \"%s\" failed: %s", line,
                        rd_kafka_err2str(rc));
        else
                HW_INFO(COMPONENT, "control: applied \"%s\"", line);
}

void devbroker_control_serve(devbroker_control_t *c,
                             rd_kafka_mock_cluster_t *mcluster,
                             int timeout_ms) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        char buf[512];
        ssize_t got;

        if (c->fd < 0 || poll(&pfd, 1, timeout_ms) <= 0)
                return;
        while ((got = read(c->fd, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < got; i++) {
                        if (buf[i] == '\n') {
                                c->line[c->len] = '\0';
                                /* A cut line could read as another valid
                                 * command ("down 1" of "down 1 ... 2"). */
                                if (c->overlong)
                                        HW_WARN(COMPONENT,
                                                "control: refused a command "
                                                "longer than %zu bytes",
                                                sizeof(c->line) - 1);
                                else if (c->len)
                                        apply(c, mcluster, c->line);
                                c->len = 0;
                                c->overlong = 0;
                        } else if (c->len + 1 < sizeof(c->line)) {
                                c->line[c->len++] = buf[i];
                        } else {
                                c->overlong = 1;
                        }
                }
        }
}

void devbroker_control_close(devbroker_control_t *c) {
        if (c->fd >= 0)
                close(c->fd);
        if (c->keep >= 0)
                close(c->keep);
        if (c->path)
                unlink(c->path);
        c->fd = c->keep = -1;
        c->path = NULL;
}
