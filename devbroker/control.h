/*
 * hirewire-devbroker --control FIFO: fault injection for tests, through the
 * mock cluster's own controls. The devbroker creates FIFO (a named pipe)
 * and applies each line written to it:
 *
 *   down BROKER|-1                 disconnect a broker (or all), refuse
 *                                  connections (no leader change)
 *   up BROKER|-1                   accept connections again
 *   rtt BROKER|-1 MS               delay every response by MS
 *   leader TOPIC PARTITION BROKER  move a partition's leadership (of a
 *                                  topic created at start: the mock
 *                                  cluster would create any other)
 *   errors APIKEY COUNT ERROR      fail the next COUNT requests of a Kafka
 *                                  API (1 = Fetch, 0 = Produce, ...) with
 *                                  ERROR (a Kafka error code, e.g. 6 =
 *                                  NOT_LEADER_FOR_PARTITION; -195 =
 *                                  disconnect the client)
 *   clear APIKEY                   drop the errors of that API not used
 *                                  yet (a test's next step starts clean)
 *
 * e.g. `echo 'down 1' > /tmp/ctl`. Each command applied (or refused) is
 * logged; a line longer than 1023 bytes is refused whole.
 */
#ifndef DEVBROKER_CONTROL_H
#define DEVBROKER_CONTROL_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "hw_err.h"

typedef struct devbroker_control_s {
        const char *path; /* the FIFO, removed on close */
        int fd;           /* read end, non-blocking; -1 = none */
        int keep;         /* a write end we hold so reads never see EOF */
        char line[1024];
        size_t len;
        int overlong;        /* the line being read outgrew `line`: refuse it */
        const char **topics; /* the topics created at start */
        size_t n_topics;
} devbroker_control_t;

/* Creates the FIFO at path and opens it; topics (n_topics, kept, not
 * copied) are those a leader move may name. */
hw_err_t devbroker_control_open(devbroker_control_t *c, const char *path,
                                const char **topics, size_t n_topics,
                                char *errstr, size_t errstr_size);

/* Waits up to timeout_ms for commands and applies the complete lines. */
void devbroker_control_serve(devbroker_control_t *c,
                             rd_kafka_mock_cluster_t *mcluster, int timeout_ms);

/* Closes and removes the FIFO; accepts a control never opened. */
void devbroker_control_close(devbroker_control_t *c);

#endif
