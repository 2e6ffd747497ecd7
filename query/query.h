/*
 * hirewire-query: the commands (commands.c) and what main (query.c) hands
 * them: the parsed command line and a connected Redis reader.
 *
 * Each command prints its result on stdout (a table, or one JSON document
 * with --json) and its problems on stderr, and returns the process exit
 * code: 0 ok, 1 not found / no data / a Redis error reply, 69 Redis
 * unavailable (HW_EXIT_*).
 */
#ifndef HW_QUERY_H
#define HW_QUERY_H

#include "hw_config.h"
#include "qdb.h"

#define HW_QUERY_PROG "hirewire-query"

typedef struct hw_query_s {
        hw_config_t conf; /* redis.url, redis.password, prefix */
        hw_qdb_t *db;
        int json;           /* --json */
        int csv;            /* --csv */
        int csv_tables;     /* tables printed so far as CSV */
        const char *window; /* --window, NULL = the command's default */
        const char *group;  /* --group, NULL = oecd when it exists */
        long top;           /* --top, -1 = the command's default, 0 = all */
        long count;         /* --count (alerts) */
        int follow;         /* --follow (alerts) */
        char *arg;          /* lab or timeline NAME, person ID (the words
                                   joined), or NULL */
} hw_query_t;

/* The days of window w ("30d": 30), 0 for "all", -1 when it is neither
 * (1 to 3650 days). */
long hw_query_window_days(const char *w);

/* `lab NAME|SLUG`: members and composition of one lab, hires by origin. */
int hw_query_lab(hw_query_t *q);

/* `labs`: labs ranked by members. */
int hw_query_labs(hw_query_t *q);

/* `flows`: per country in/out/net/index (and rank in a group). */
int hw_query_flows(hw_query_t *q);

/* `offers`: per organisation offer counters of a window. */
int hw_query_offers(hw_query_t *q);

/* `timeline NAME|SLUG`: hires into the lab and out of the organisation
 * per day of a window, from the daily buckets. */
int hw_query_timeline(hw_query_t *q);

/* `person ID`: where a person is, since when, from which event (the
 * person registry). */
int hw_query_person(hw_query_t *q);

/* `status`: each group's stored offsets against Kafka's end offsets
 * (with --brokers or --bootstrap-file), the watermark, the last step. */
int hw_query_status(hw_query_t *q);

/* `dlq`: the latest --count rejected messages of the DLQ topic, with
 * their class, reason and source (needs Kafka). */
int hw_query_dlq(hw_query_t *q);

/* `alerts`: the last alerts of the stream; --follow waits for more until
 * SIGINT/SIGTERM (exit 0). */
int hw_query_alerts(hw_query_t *q);

#endif
