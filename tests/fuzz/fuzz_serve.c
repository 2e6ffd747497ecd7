/*
 * libFuzzer target: the request line of `hirewire-query serve`, its path
 * and query string, through libmicrohttpd (which splits and unescapes the
 * parameters, as it does for the server) into hw_serve_parse_request.
 *
 * The input is the request target of "GET <input> HTTP/1.0", with the
 * bytes a request line cannot hold (controls, space, DEL) percent-encoded
 * so that they reach the parser too. Each request goes to a libmicrohttpd
 * server without a listening socket over a socket pair, run in this thread
 * until it has answered and closed the connection.
 *
 * A parsed request must be either refused (404 with no route, 400 with a
 * reason) or hold only what the command line's flags could set: a known
 * route, a window and group of the accepted forms, top and count in their
 * ranges, at most HW_QUERY_MAX_LABS labs, no Redis connection. A refusal
 * is answered as the server answers it (hw_serve_error: the reason as
 * JSON, whatever bytes it quotes).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw_buf.h"
#include "query.h"
#include "serve.h"

#define MAX_RUNS 1000 /* MHD_run rounds a request may take */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hw_query_t base; /* what `serve` was started with */
static int closed;      /* connections MHD has closed */

_Noreturn static void fail(const char *what, const char *detail) {
        fprintf(stderr, "fuzz_serve: %s: %s\n", what, detail);
        abort();
}

/* Checks what a request was parsed into. */
static void check(const hw_serve_request_t *r) {
        const hw_query_t *q = &r->q;

        if (r->status) {
                if ((r->status != 400 && r->status != 404) || !r->reason[0])
                        fail("a refusal that is not 400 or 404 with a reason",
                             r->reason);
                return;
        }
        if (!r->route)
                fail("accepted without a route", "");
        if (q->db)
                fail("a Redis connection from parsing", "");
        if (q->window && hw_query_window_days(q->window) < 0)
                fail("a window not of the accepted forms", q->window);
        if (q->group && !hw_query_valid_group(q->group))
                fail("a group not of the accepted forms", q->group);
        if (q->top < -1 || q->count < 1 || q->count > 10000)
                fail("top or count out of range", "");
        if (q->n_labs > HW_QUERY_MAX_LABS)
                fail("more labs than HW_QUERY_MAX_LABS", "");
        for (size_t i = 0; i < q->n_labs; i++)
                if (!q->labs[i] || !q->labs[i][0])
                        fail("an empty lab", "");
        if (q->arg && !q->arg[0])
                fail("an empty lab name accepted", "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
        static char ok[] = "ok\n";
        struct MHD_Response *resp;
        hw_serve_request_t r;
        enum MHD_Result ret;

        (void)cls;
        (void)method;
        (void)version;
        (void)upload;
        (void)upload_size;
        (void)con_cls;
        hw_serve_parse_request(&r, &base, conn, url);
        check(&r);
        if (r.status)
                return hw_serve_error(conn, r.status, r.reason);
        resp = MHD_create_response_from_buffer(sizeof(ok) - 1, ok,
                                               MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return MHD_NO;
        ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ret;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        (void)cls;
        (void)conn;
        (void)socket_context;
        if (code == MHD_CONNECTION_NOTIFY_CLOSED)
                closed++;
}

static struct MHD_Daemon *start(void) {
        static const char *labs[] = {"meta-superintelligence-labs"};
        struct MHD_Daemon *d;

        if (hw_config_init(&base.conf))
                fail("hw_config_init", "out of memory");
        base.top = -1;
        base.count = 20;
        base.window = "30d";
        base.labs = labs;
        base.n_labs = 1;
        d = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
                             on_request, NULL, MHD_OPTION_NOTIFY_CONNECTION,
                             on_connection, NULL, MHD_OPTION_END);
        if (!d)
                fail("MHD_start_daemon", "cannot start");
        return d;
}

/* "GET <data, controls percent-encoded> HTTP/1.0\r\n\r\n" into out. */
static int request_line(const uint8_t *data, size_t size, hw_buf_t *out) {
        static const char hex[] = "0123456789ABCDEF";
        int bad = hw_buf_append(out, "GET ", 4);

        for (size_t i = 0; !bad && i < size; i++) {
                char esc[3] = {'%', hex[data[i] >> 4], hex[data[i] & 15]};
                bad = data[i] <= 0x20 || data[i] == 0x7f
                              ? hw_buf_append(out, esc, 3)
                              : hw_buf_append(out, (const char *)&data[i], 1);
        }
        return bad || hw_buf_append(out, " HTTP/1.0\r\n\r\n", 14);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct MHD_Daemon *d;
        struct sockaddr_in peer = {.sin_family = AF_INET};
        int sv[2], was_closed = closed;
        char reply[4096];
        hw_buf_t req;
        size_t sent = 0;

        if (!d)
                d = start();
        hw_buf_init(&req);
        if (request_line(data, size, &req) ||
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
                hw_buf_release(&req);
                return 0;
        }
        peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (MHD_add_connection(d, sv[1], (struct sockaddr *)&peer,
                               sizeof(peer)) != MHD_YES)
                fail("MHD_add_connection", "refused");
        /* MHD owns sv[1] now. The request is sent while MHD reads it, and
         * its answer read, until MHD closes the connection. */
        for (int round = 0; closed == was_closed; round++) {
                if (round == MAX_RUNS)
                        fail("a request MHD did not finish", "");
                if (sent < req.len) {
                        ssize_t n = send(sv[0], req.data + sent, req.len - sent,
                                         MSG_DONTWAIT);
                        if (n > 0)
                                sent += (size_t)n;
                }
                MHD_run(d);
                while (recv(sv[0], reply, sizeof(reply), MSG_DONTWAIT) > 0)
                        ;
        }
        close(sv[0]);
        hw_buf_release(&req);
        return 0;
}
