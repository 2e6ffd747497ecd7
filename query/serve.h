/*
 * What the two files of `hirewire-query serve` share: serve.c (the
 * server, its routes and answers) and events.c (the event stream of new
 * alerts).
 */
#ifndef HW_SERVE_H
#define HW_SERVE_H

#include <microhttpd.h>

#include "query.h"

#define HW_CSP_NONE "default-src 'none'; frame-ancestors 'none'"

/* A request as parsed: its route (an endpoint of serve.c), its query
 * (window, group, ... from the parameters), or why it is refused
 * (status, reason). */
typedef struct hw_serve_request_s {
        const struct hw_serve_route_s *route;
        hw_query_t q;
        const char *labs[HW_QUERY_MAX_LABS];
        char name[1024]; /* /api/lab/NAME */
        unsigned seen;
        unsigned status; /* 0 while acceptable */
        char reason[512];
} hw_serve_request_t;

/*
 * Parses a request for url (its path) and the query parameters of conn
 * into r: the route, the name of /api/lab/NAME, and q, which is base with
 * the parameters applied. q->arg and q->labs point into r (or to base's
 * labs when the route takes serve's and none is given), the values into
 * conn's, so r is used while conn's request lasts. r->status is 0 when
 * the request is acceptable, else 404 (no such route) or 400 (a parameter
 * the route does not take, given twice, empty or bad) with r->reason
 * saying why. Does not connect to Redis (q.db is NULL); cannot fail.
 */
void hw_serve_parse_request(hw_serve_request_t *r, const hw_query_t *base,
                            struct MHD_Connection *conn, const char *url);

/* Adds the headers every answer has (its type, no caching, no sniffing,
 * no referrer, the Content-Security-Policy csp). 0, or -1 when MHD cannot
 * (out of memory). */
int hw_serve_headers(struct MHD_Response *r, const char *type, const char *csp);

/* Queues {"error": reason, "status": status} with that status. */
enum MHD_Result hw_serve_error(struct MHD_Connection *conn, unsigned status,
                               const char *reason);

/* The HTTP status of a document that could not be built: 400 for a
 * usage error, 503 Redis unavailable, 404 missing, else 500. */
unsigned hw_serve_status(const hw_qerr_t *e);

/* Gives q a connected Redis reader of its own (q->db, destroyed by the
 * caller): 0, or -1 with e filled (Redis unreachable: exit 69, 503). */
int hw_serve_open_db(hw_query_t *q, hw_qerr_t *e);

/* Whether the server is stopping: an event stream then ends. */
int hw_serve_stopping(void);

/* Answers GET /api/events with the stream of alerts raised from now on
 * (or after the request's Last-Event-ID), `update` events when the
 * counters move and a comment line now and then; a HEAD with its
 * headers alone. Redis unreachable: 503. */
enum MHD_Result hw_serve_events(struct MHD_Connection *conn, hw_query_t *q,
                                int head);

#endif
