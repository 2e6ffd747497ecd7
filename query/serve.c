/*
 * hirewire-query serve: the report page live over HTTP, and the documents
 * of --json as a read-only API, from Redis as it is at each request.
 *
 *   /                  the report page (window, group, lab=NAME...), with
 *                      a script that keeps it live
 *   /api/labs          `labs --json` (top)
 *   /api/lab/NAME      `lab NAME --json` (window, top)
 *   /api/flows         `flows --json` (window, group, top)
 *   /api/offers        `offers --json` (window, top)
 *   /api/alerts        `alerts --json` (count)
 *   /api/moves         who hires from whom (window, top)
 *   /api/report        the document the page is drawn from
 *   /api/events        new alerts as server-sent events (`alert`, its
 *                      `alerts --json` object), `update` when the
 *                      counters moved; Last-Event-ID resumes
 *   /healthz           200 while Redis answers, else 503
 *
 * GET and HEAD only (405 otherwise); a parameter the endpoint does not
 * take, or a bad value, is a 400 that says why; a lab not there 404;
 * Redis unreachable 503. Each connection has a thread and each request
 * its own Redis connection, so a slow client or a held event stream
 * holds nothing else up; connections are limited in all and per client,
 * and an unfinished request is dropped after a few seconds.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/random.h>

#include "commands.h"
#include "page.h"
#include "serve.h"

#define SERVE_MAX_CONNECTIONS 64u
#define SERVE_PER_CLIENT 16u
#define SERVE_TIMEOUT_S 10u
#define SERVE_REDIS_TIMEOUT_MS 5000

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define APP_JSON "application/json; charset=utf-8"
#define TEXT_HTML "text/html; charset=utf-8"

static atomic_int stopping;

/* What an endpoint takes. */
enum {
        P_WINDOW = 1,
        P_GROUP = 2,
        P_TOP = 4,
        P_COUNT = 8,
        P_LAB = 16,
};

typedef enum kind_e { K_PAGE, K_JSON, K_EVENTS, K_HEALTH } kind_t;

typedef struct hw_serve_route_s {
        const char *path;
        kind_t kind;
        json_t *(*doc)(hw_query_t *q, hw_qerr_t *e);
        unsigned params;
        int named;    /* the path is a prefix: a name follows it */
        int defaults; /* window, group and labs default to serve's flags */
} route_t;

static const route_t routes[] = {
        {"/", K_PAGE, hw_qdoc_report, P_WINDOW | P_GROUP | P_LAB, 0, 1},
        {"/api/labs", K_JSON, hw_qdoc_labs, P_TOP, 0, 0},
        {"/api/lab/", K_JSON, hw_qdoc_lab, P_WINDOW | P_TOP, 1, 0},
        {"/api/flows", K_JSON, hw_qdoc_flows, P_WINDOW | P_GROUP | P_TOP, 0, 0},
        {"/api/offers", K_JSON, hw_qdoc_offers, P_WINDOW | P_TOP, 0, 0},
        {"/api/alerts", K_JSON, hw_qdoc_alerts, P_COUNT, 0, 0},
        {"/api/moves", K_JSON, hw_qdoc_moves, P_WINDOW | P_TOP, 0, 0},
        {"/api/report", K_JSON, hw_qdoc_report, P_WINDOW | P_GROUP | P_LAB, 0,
         1},
        {"/api/events", K_EVENTS, NULL, 0, 0, 0},
        {"/healthz", K_HEALTH, NULL, 0, 0, 0},
};

static const char *const param_names[] = {"window", "group", "top", "count",
                                          "lab"};

typedef hw_serve_request_t request_t;

/* ------------------------------------------------------------------ */
/* Responses                                                           */
/* ------------------------------------------------------------------ */

int hw_serve_headers(struct MHD_Response *r, const char *type,
                     const char *csp) {
        const char *const headers[][2] = {
                {"Content-Type", type},
                {"Cache-Control", "no-store"},
                {"X-Content-Type-Options", "nosniff"},
                {"Referrer-Policy", "no-referrer"},
                {"Content-Security-Policy", csp},
        };
        for (size_t i = 0; i < sizeof(headers) / sizeof(*headers); i++)
                if (MHD_add_response_header(r, headers[i][0], headers[i][1]) !=
                    MHD_YES)
                        return -1;
        return 0;
}

/* Queues a response with the headers every answer has; takes body (a
 * malloc'd buffer, or NULL for none). */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
                               const char *type, char *body, size_t len,
                               const char *csp) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
                body ? len : 0, body ? body : (void *)"",
                body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret;

        if (!r) {
                free(body);
                return MHD_NO; /* MHD closes the connection */
        }
        if (hw_serve_headers(r, type, csp) ||
            (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
             MHD_add_response_header(r, "Allow", "GET, HEAD") != MHD_YES)) {
                MHD_destroy_response(r);
                return MHD_NO;
        }
        ret = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return ret;
}

/* A JSON document as `--json` prints it (indented, a newline after);
 * takes doc. */
static enum MHD_Result respond_json(struct MHD_Connection *conn,
                                    unsigned status, json_t *doc) {
        size_t len = 0;
        char *body = doc ? hw_qout_jdump(doc, JSON_INDENT(2), &len) : NULL;

        json_decref(doc);
        if (!body)
                return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT_PLAIN,
                               strdup("out of memory\n"), 14, HW_CSP_NONE);
        return respond(conn, status, APP_JSON, body, len, HW_CSP_NONE);
}

enum MHD_Result hw_serve_error(struct MHD_Connection *conn, unsigned status,
                               const char *reason) {
        json_t *doc = json_object();
        if (hw_qout_jset(doc, "error", hw_qout_jstr(reason)) ||
            hw_qout_jset(doc, "status", json_integer(status))) {
                json_decref(doc);
                doc = NULL;
        }
        return respond_json(conn, status, doc);
}

unsigned hw_serve_status(const hw_qerr_t *e) {
        if (e->exit == HW_EXIT_USAGE)
                return MHD_HTTP_BAD_REQUEST;
        if (e->exit == HW_EXIT_UNAVAILABLE)
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        return e->missing ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* A fresh nonce for the page's script: 32 hex digits. -1 if the kernel
 * gives no random bytes. */
static int make_nonce(char out[33]) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                return -1;
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

/* The report page, or the page that says why there is none. */
static enum MHD_Result respond_page(struct MHD_Connection *conn,
                                    const json_t *doc, const hw_qerr_t *e) {
        char nonce[33], csp[256];
        hw_page_opts_t opts = {.nonce = nonce};
        unsigned status = doc ? MHD_HTTP_OK : hw_serve_status(e);
        hw_buf_t page;
        int bad;

        if (make_nonce(nonce))
                return hw_serve_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "no random bytes for the page");
        snprintf(csp, sizeof(csp),
                 "default-src 'none'; script-src 'nonce-%s'; style-src "
                 "'unsafe-inline'; connect-src 'self'; img-src data:; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors "
                 "'none'",
                 nonce);
        hw_buf_init(&page);
        bad = doc ? hw_page_render(doc, &opts, &page)
                  : hw_page_error(status == MHD_HTTP_SERVICE_UNAVAILABLE
                                          ? "hirewire: Redis is unavailable"
                                          : "hirewire: no report",
                                  e->msg, &opts, &page);
        if (bad) {
                hw_buf_release(&page);
                return hw_serve_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        }
        return respond(conn, status, TEXT_HTML, page.data, page.len, csp);
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* Refuses the request with a 400 and the reason (the first one kept);
 * MHD_NO, which stops the parameters' walk. */
static enum MHD_Result refuse(request_t *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static enum MHD_Result refuse(request_t *r, const char *fmt, ...) {
        va_list ap;
        if (!r->status) {
                r->status = MHD_HTTP_BAD_REQUEST;
                va_start(ap, fmt);
                vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
                va_end(ap);
        }
        return MHD_NO;
}

/* Takes one query parameter into the request's query. */
static enum MHD_Result take_param(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value) {
        request_t *r = cls;
        unsigned bit = 0;
        char why[512];

        (void)kind;
        for (size_t i = 0; i < sizeof(param_names) / sizeof(*param_names); i++)
                if (!strcmp(key, param_names[i]))
                        bit = 1u << i;
        if (!(bit & r->route->params))
                return refuse(r,
                              "unknown parameter \"%s\" (%s takes none "
                              "of that name)",
                              key, r->route->path);
        if (!value || !*value)
                return refuse(r, "parameter \"%s\" needs a value", key);
        if ((r->seen & bit) && bit != P_LAB)
                return refuse(r, "parameter \"%s\" given twice", key);
        r->seen |= bit;
        if (bit == P_LAB) {
                if (r->q.n_labs == HW_QUERY_MAX_LABS)
                        return refuse(r, "lab: give up to 8 labs");
                r->labs[r->q.n_labs++] = value;
        } else if (hw_query_set(&r->q, key, value, why, sizeof(why))) {
                return refuse(r, "%s", why);
        }
        return MHD_YES;
}

void hw_serve_parse_request(request_t *r, const hw_query_t *base,
                            struct MHD_Connection *conn, const char *url) {
        memset(r, 0, sizeof(*r));
        for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++)
                if (routes[i].named ? !strncmp(url, routes[i].path,
                                               strlen(routes[i].path))
                                    : !strcmp(url, routes[i].path))
                        r->route = &routes[i];
        if (!r->route) {
                r->status = MHD_HTTP_NOT_FOUND;
                snprintf(r->reason, sizeof(r->reason),
                         "no such page: see / and /api/labs, /api/lab/NAME, "
                         "/api/flows, /api/offers, /api/alerts, "
                         "/api/moves, /api/report, /api/events");
                return;
        }
        r->q = *base; /* the config; what the command line chose for / */
        r->q.db = NULL;
        r->q.json = 1;
        r->q.top = -1;
        r->q.count = 20;
        r->q.labs = r->labs;
        r->q.n_labs = 0;
        if (!r->route->defaults) {
                r->q.window = NULL;
                r->q.group = NULL;
        }
        if (r->route->named) {
                snprintf(r->name, sizeof(r->name), "%s",
                         url + strlen(r->route->path));
                r->q.arg = r->name;
                if (!r->name[0])
                        refuse(r, "give a lab's name or slug: %sNAME",
                               r->route->path);
        }
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, take_param, r);
        if (!r->q.n_labs && r->route->defaults) { /* serve --lab */
                r->q.labs = base->labs;
                r->q.n_labs = base->n_labs;
        }
}

int hw_serve_open_db(hw_query_t *q, hw_qerr_t *e) {
        char errstr[512];
        hw_err_t err;

        if (!(q->db = hw_qdb_new(&q->conf, &err, errstr, sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if ((err = hw_qdb_connect(q->db, errstr, sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        hw_qdb_set_timeout(q->db, SERVE_REDIS_TIMEOUT_MS);
        return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
        const hw_query_t *base = cls;
        request_t r;
        hw_qerr_t e = {0};
        json_t *doc = NULL;
        enum MHD_Result ret;
        int head = !strcmp(method, MHD_HTTP_METHOD_HEAD);

        (void)version;
        (void)upload;
        (void)upload_size;
        (void)con_cls;
        /* Every answer is queued on the first call: no request body is
         * ever wanted, and MHD closes a connection whose body is left. */
        if (strcmp(method, MHD_HTTP_METHOD_GET) && !head)
                return hw_serve_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                      "method not allowed: GET and HEAD only");
        hw_serve_parse_request(&r, base, conn, url);
        if (r.status)
                return hw_serve_error(conn, r.status, r.reason);
        if (r.route->kind == K_EVENTS)
                return hw_serve_events(conn, &r.q, head);
        if (hw_serve_open_db(&r.q, &e)) {
                ret = r.route->kind == K_PAGE
                              ? respond_page(conn, NULL, &e)
                              : hw_serve_error(conn, hw_serve_status(&e),
                                               e.msg);
        } else if (r.route->kind == K_HEALTH) {
                ret = respond(conn, MHD_HTTP_OK, TEXT_PLAIN, strdup("ok\n"), 3,
                              HW_CSP_NONE);
        } else {
                doc = r.route->doc(&r.q, &e);
                if (r.route->kind == K_PAGE)
                        ret = respond_page(conn, doc, &e);
                else if (doc)
                        ret = respond_json(conn, MHD_HTTP_OK, json_incref(doc));
                else
                        ret = hw_serve_error(conn, hw_serve_status(&e), e.msg);
        }
        json_decref(doc);
        hw_qdb_destroy(r.q.db);
        return ret;
}

/* ------------------------------------------------------------------ */
/* The server                                                          */
/* ------------------------------------------------------------------ */

/* Routes libmicrohttpd's messages to stderr, one line each. */
static void mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        size_t n;

        (void)cls;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        fprintf(stderr, HW_QUERY_PROG ": serve: %s\n", msg);
}

/* "HOST:PORT" (an IPv4 address, or localhost) into sin; -1 when it is
 * not one. */
static int parse_addr(const char *addr, struct sockaddr_in *sin) {
        const char *colon = strrchr(addr, ':');
        char host[64];
        long port;

        if (!colon || (size_t)(colon - addr) >= sizeof(host) ||
            hw_query_parse_long(colon + 1, 0, 65535, &port))
                return -1;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        memset(sin, 0, sizeof(*sin));
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (!strcmp(host, "localhost"))
                snprintf(host, sizeof(host), "127.0.0.1");
        return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

int hw_query_serve(hw_query_t *q) {
        /* What keeps a hostile client from starving the others:
         * connections in all and per client address, and how long a
         * request may take to arrive. */
        struct MHD_OptionItem limits[] = {
                {MHD_OPTION_CONNECTION_LIMIT, SERVE_MAX_CONNECTIONS, NULL},
                {MHD_OPTION_PER_IP_CONNECTION_LIMIT, SERVE_PER_CLIENT, NULL},
                {MHD_OPTION_CONNECTION_TIMEOUT, SERVE_TIMEOUT_S, NULL},
                {MHD_OPTION_END, 0, NULL},
        };
        const char *addr = q->addr ? q->addr : HW_SERVE_ADDR_DEFAULT;
        const union MHD_DaemonInfo *info;
        struct MHD_Daemon *d;
        struct sockaddr_in sin;
        char ip[INET_ADDRSTRLEN];
        sigset_t set;
        int sig;

        if (parse_addr(addr, &sin)) {
                fprintf(stderr,
                        HW_QUERY_PROG ": serve --addr \"%s\": expected "
                                      "HOST:PORT, HOST an IPv4 address or "
                                      "localhost\n",
                        addr);
                return HW_EXIT_USAGE;
        }
        /* The signals wait for sigwait below: every thread MHD starts
         * inherits the mask. */
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                                     MHD_USE_THREAD_PER_CONNECTION |
                                     MHD_USE_ERROR_LOG,
                             ntohs(sin.sin_port), NULL, NULL, on_request, q,
                             MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                             MHD_OPTION_ARRAY, limits, MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, HW_QUERY_PROG ": cannot serve on %s\n", addr);
                return HW_EXIT_UNAVAILABLE;
        }
        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
        fprintf(stderr,
                HW_QUERY_PROG ": serving http://%s:%u/ (Redis at %s, prefix "
                              "%s); Ctrl-C stops\n",
                ip, info ? info->port : ntohs(sin.sin_port), hw_qdb_addr(q->db),
                q->conf.prefix);
        while (sigwait(&set, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
                ;
        atomic_store(&stopping, 1);
        MHD_stop_daemon(d);
        return HW_EXIT_OK;
}

int hw_serve_stopping(void) {
        return atomic_load(&stopping);
}
