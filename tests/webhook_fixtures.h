/*
 * What the webhook's integration tests share (test_webhook.c,
 * test_webhook_faults.c): a side connection to the test's redis-server
 * (its port in argv[1]; tests/outbox_webhook.sh starts it), an HTTP
 * server inside the program (libmicrohttpd) whose answers each case
 * scripts and which records every request, captures of what the program
 * writes (stdout and the log), alerts added to a stream as the atomic
 * step writes them, the position the webhook keeps in Redis, its config,
 * its counters, and the set-ups and teardowns the cases repeat. Each case
 * has its own key prefix.
 */
#ifndef HW_TEST_WEBHOOK_FIXTURES_H
#define HW_TEST_WEBHOOK_FIXTURES_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hw_config.h"
#include "hw_metrics.h"
#include "hw_test.h"
#include "hw_webhook.h"

struct MHD_Daemon;

extern int redis_port;
extern redisContext *side; /* the test's own connection */
extern char errstr[1024];

/* ---- Time ---- */

/* The monotonic clock in ms. */
int64_t now_ms(void);
/* Sleeps ms milliseconds. */
void sleep_ms(int ms);

/* Evaluates cond every 20 ms until it holds or ms have passed. */
#define WAIT_FOR(cond, ms)                                                     \
        for (int64_t until_ = now_ms() + (ms); !(cond) && now_ms() < until_;)  \
        sleep_ms(20)

/* ---- The HTTP server ---- */

/* How the server answers one request. */
typedef struct reply_s {
        unsigned status; /* 0: close the connection without an answer */
        int delay_ms;    /* before answering */
} reply_t;

#define MAX_SCRIPT 16
#define MAX_REQUESTS 256
#define ANSWER_BODY "ANSWER-BODY-OF-THE-WEBHOOK-SERVER"

typedef struct request_s {
        char method[16];
        char path[64];
        char content_type[64];
        char user_agent[64];
        char *body;    /* NUL-terminated */
        int64_t at_ms; /* when it had arrived whole */
} request_t;

typedef struct server_s {
        struct MHD_Daemon *d;
        int port;
        pthread_mutex_t lock;
        reply_t script[MAX_SCRIPT]; /* the answers to the first requests */
        size_t n_script;
        reply_t rest; /* the answer to the others */
        request_t req[MAX_REQUESTS];
        size_t n; /* requests received */
} server_t;

extern server_t srv;

/* Starts the server on 127.0.0.1:port (0: a free one) with the answers of
 * script, then 200 at once. Returns 0, or -1 after a failed check. */
int server_start(int port, const reply_t *script, size_t n);
/* Stops the server (if started) and forgets its requests. */
void server_stop(void);
/* How many requests the server has received. */
size_t requests(void);
/* The alert_id of request i's body ("" when it is not an alert). */
const char *posted_id(size_t i, char *out, size_t size);
/* A socket that listens and never accepts: a connection to it waits for
 * an answer that never comes. Its port in *port. */
int silent_listener(int *port);
/* Accepts and closes the connections waiting on a listening socket. */
void drain(int fd);

/* ---- What the program writes: stderr (the log) and stdout ---- */

typedef struct capture_s {
        int fd;    /* 1 or 2 */
        int saved; /* the original, restored at the end */
        char path[64];
} capture_t;

/* Sends what is written to fd (1 or 2) into a file until capture_end. */
void capture_begin(capture_t *c, int fd);
/* Restores the stream and returns what was written meanwhile (to free);
 * the log is also copied to the real stderr. */
char *capture_end(capture_t *c);
/* How many times needle occurs in hay. */
int occurrences(const char *hay, const char *needle);

/* ---- Redis, the config, the webhook ---- */

/* Runs a command on the side connection; 0, or -1 after a failed check. */
int run(const char *fmt, ...);
/* Adds an alert to <prefix>alerts as the atomic step writes it; its
 * stream id into id. */
void add_alert(const char *prefix, const char *alert_id, const char *severity,
               char *id, size_t size);
/* The webhook's position in <prefix>alerts ("(nil)" when none). */
const char *position(const char *prefix, char *out, size_t size);
/* Whether the webhook's position in <prefix>alerts is id. */
int at_position(const char *prefix, const char *id);
/* A config for the webhook: keys under prefix, POSTs to url. */
int conf_for(hw_config_t *c, const char *prefix, const char *url,
             const char *timeout_ms, const char *min_ms, const char *max_ms);
/* The URL the webhook POSTs to on 127.0.0.1:port. */
void url_of(char *out, size_t size, int port);
/* A counter of m as /metrics shows it (-1 when missing). */
long long counter(hw_metrics_t *m, const char *name);

#define DELIVERED(m) counter((m), "hirewire_webhook_deliveries_total")
#define FAILED(m) counter((m), "hirewire_webhook_failures_total")

/* Starts the webhook of c counting into m (may be NULL); NULL after a
 * failed check. */
hw_webhook_t *start(const hw_config_t *c, hw_metrics_t *m);
/* Every field of request i's body equals what the stream holds for the
 * alert add_alert added; the method, path and headers are the webhook's. */
void check_body(size_t i, const char *alert_id, const char *severity);

/* ---- Set-ups and teardowns the cases share ---- */

/* Starts the server with the answers of script (as server_start) and
 * fills c (as conf_for) for keys under prefix and POSTs to the server.
 * Returns 0, or -1 after a failed check. */
int serve(hw_config_t *c, const char *prefix, const reply_t *script, size_t n,
          const char *timeout_ms, const char *min_ms, const char *max_ms);
/* Starts the webhook of c counting into m with the log captured, waits
 * (up to ms) until its position in <prefix>alerts is id, stops it and
 * returns the log (to free). */
char *deliver(const hw_config_t *c, hw_metrics_t *m, const char *prefix,
              const char *id, int ms);
/* Frees what a case used: logged and m (either may be NULL), the server
 * (a no-op when it is not running) and c. */
void finish(char *logged, hw_config_t *c, hw_metrics_t *m);

/* Connects to the Redis of argv[1] (the usage is "PROG REDIS_PORT"), runs
 * the cases, frees it all and returns the exit status of the run. */
int webhook_main(int argc, char **argv, void (*cases)(void));

#endif
