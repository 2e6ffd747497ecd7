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

#include <jansson.h>

#include "hw_config.h"
#include "qdb.h"

#define HW_QUERY_PROG "hirewire-query"
#define HW_SERVE_ADDR_DEFAULT "127.0.0.1:8080"
#define HW_QUERY_MAX_LABS 8 /* report and serve: --lab */

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
        const char *html;   /* report --html FILE */
        const char **labs;  /* report --lab NAME..., n_labs of them */
        size_t n_labs;
        const char *addr; /* serve --addr, NULL = HW_SERVE_ADDR_DEFAULT */
} hw_query_t;

/*
 * Why a document could not be built: the exit code the command line gives
 * for it (1: not found, no data, a Redis error reply, out of memory; 2: a
 * window or group Redis holds nothing for; 69: Redis unavailable), whether
 * what was asked for is missing from Redis (a lab, any data under the
 * prefix), and the message a person reads (without the program's name).
 */
typedef struct hw_qerr_s {
        int exit;
        int missing;
        char msg[512];
} hw_qerr_t;

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

/* `report --html FILE`: the report page (report.c) of the labs, flows,
 * offers and alerts of a window, written to FILE. */
int hw_query_report(hw_query_t *q);

/* `serve`: the report page live, and the documents of --json over HTTP
 * (serve.c), until SIGINT/SIGTERM (exit 0). */
int hw_query_serve(hw_query_t *q);

/*
 * The JSON documents of the commands, as --json prints them, for the
 * command line and the HTTP API alike. Each reads Redis through q (its
 * window, group, top and count as the command's flags set them) and
 * returns a new document for the caller to json_decref, or NULL with e
 * filled.
 */
json_t *hw_qdoc_lab(hw_query_t *q, hw_qerr_t *e); /* the lab named q->arg */
json_t *hw_qdoc_labs(hw_query_t *q, hw_qerr_t *e);
json_t *hw_qdoc_flows(hw_query_t *q, hw_qerr_t *e);
json_t *hw_qdoc_offers(hw_query_t *q, hw_qerr_t *e);
json_t *hw_qdoc_alerts(hw_query_t *q, hw_qerr_t *e);

/* One alert of the stream as `alerts --json` shows it: its stream id, its
 * fields (times as integers, event_ids and attributes as the JSON they
 * hold). NULL when out of memory. */
json_t *hw_qdoc_alert(const char *id, const redisReply *fields);

/*
 * The `timeline --json` documents of n labs (slugs) over window (a number
 * of days), reading each day's bucket log once for them all: an array of
 * n documents in the order of slugs. NULL with e filled on failure.
 */
json_t *hw_qdoc_timelines(hw_query_t *q, const char *window,
                          const char *const *slugs, size_t n, hw_qerr_t *e);

/*
 * Who hires from whom in q->window: every (organisation, lab) pair of the
 * labs that have members, with its hires into the lab in the window,
 * most first: {"window", "moves": [{"from", "lab", "slug", "hires"}]}.
 */
json_t *hw_qdoc_moves(hw_query_t *q, hw_qerr_t *e);

/*
 * The report document: what the report page (page.h) is drawn from, for
 * q->window (default 365d), q->group and the labs q->labs (default the 3
 * largest): {window, window_days, watermark, as_of, prefix, labs,
 * lab_details (each lab's document with its "timeline"), moves, flows
 * (or {window, error} when the window has none), offers, alerts (those
 * with event time in the window, of the newest alerts_read)}.
 */
json_t *hw_qdoc_report(hw_query_t *q, hw_qerr_t *e);

/* Whether a name is a group as the consumer accepts it (1-32 of a-z 0-9
 * _ -): 1 or 0. */
int hw_query_valid_group(const char *g);

/* Sets q's window, group, top or count (name) to value as the flag of
 * that name does: 0, or -1 with why it cannot in why ("window \"7x\":
 * expected a window like 30d or all"). value is kept, not copied. */
int hw_query_set(hw_query_t *q, const char *name, const char *value, char *why,
                 size_t size);

/* Parses a whole number in [min, max] into *out; -1 if s is not one. */
int hw_query_parse_long(const char *s, long min, long max, long *out);

#endif
