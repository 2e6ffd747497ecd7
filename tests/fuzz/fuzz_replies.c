/*
 * libFuzzer target: Redis replies as `hirewire-query` reads them (query/).
 * The input is a first byte that picks what reads, then what a Redis
 * server sends back (RESP bytes, replies one after the other):
 *
 *   bits 0-3   0 (and 10-15): each reply alone, built by hiredis'
 *              reader, through the readers of values: hw_qdoc_alert (a
 *              stream entry's fields, [id, fields] pairs too),
 *              hw_person_unpack (a person record), hw_plan_log_each (a
 *              bucket log), hw_qdb_parse_int;
 *              1-9: a document of the query tool read from a Redis in
 *              this process that answers every command with the next
 *              reply (the connection's PING first), then closes: labs,
 *              lab, flows, offers, alerts, moves, timelines of two labs,
 *              the report (and its page), and the readers of qdb.c
 *   bits 4-5   the window: the command's default, 30d, all, 365d
 *   bit 6      the group oecd (else the default)
 *   bit 7      --top 0 (all rows)
 *
 * Any replies must give a document or an error, never a crash, a leak or
 * an allocation beyond the limit. hiredis (0.14) allocates an array's
 * elements from its declared count before they arrive, as it does for
 * any server, so the replies are cut before the first array that
 * declares more than MAX_ELEMENTS (more than the input could hold).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hw_arena.h"
#include "hw_buf.h"
#include "hw_person_record.h"
#include "hw_plan.h"
#include "page.h"
#include "qdb.h"
#include "query.h"

#define MAX_ELEMENTS 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Noreturn static void fail(const char *what, const char *detail) {
        fprintf(stderr, "fuzz_replies: %s: %s\n", what, detail);
        abort();
}

/* ------------------------------------------------------------------ */
/* How much of the input a client may be sent                          */
/* ------------------------------------------------------------------ */

static int scan_token;

static void *scan_string(const redisReadTask *t, char *s, size_t len) {
        (void)t;
        (void)s;
        (void)len;
        return &scan_token;
}

static void *scan_array(const redisReadTask *t, int elements) {
        (void)t;
        return elements > MAX_ELEMENTS ? NULL : &scan_token;
}

static void *scan_integer(const redisReadTask *t, long long v) {
        (void)t;
        (void)v;
        return &scan_token;
}

static void *scan_nil(const redisReadTask *t) {
        (void)t;
        return &scan_token;
}

static void scan_free(void *obj) {
        (void)obj;
}

/* The bytes of data a client may read: all of them, unless an array
 * declares more than MAX_ELEMENTS; then the replies before it. */
static size_t sendable(const uint8_t *data, size_t size) {
        static redisReplyObjectFunctions fn = {
                scan_string, scan_array, scan_integer, scan_nil, scan_free};
        redisReader *r = redisReaderCreateWithFunctions(&fn);
        size_t whole = 0;
        void *reply;

        if (!r)
                return 0;
        if (redisReaderFeed(r, (const char *)data, size) != REDIS_OK) {
                redisReaderFree(r);
                return 0;
        }
        for (;;) {
                if (redisReaderGetReply(r, &reply) != REDIS_OK) {
                        /* A protocol error is the client's to find; a
                         * refused array is cut off. */
                        if (r->err != REDIS_ERR_OOM)
                                whole = size;
                        break;
                }
                if (!reply) { /* the rest is part of a reply, or nothing */
                        whole = size;
                        break;
                }
                whole = size - (r->len - r->pos); /* the reader drops
                                                    * what it has read */
        }
        redisReaderFree(r);
        return whole;
}

/* ------------------------------------------------------------------ */
/* Each reply alone                                                    */
/* ------------------------------------------------------------------ */

static int count_record(void *ctx, const char *name, size_t nlen,
                        int64_t delta) {
        (void)name;
        (void)nlen;
        (void)delta;
        ++*(size_t *)ctx;
        return 0;
}

/* A stream entry's fields (and its id, when given) as `alerts --json`. */
static void read_alert(const char *id, const redisReply *fields) {
        json_t *o = hw_qdoc_alert(id, fields);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

        if (o && !text)
                fail("hw_qdoc_alert", "a document json_dumps cannot write");
        free(text);
        json_decref(o);
}

static void read_values(const redisReply *r, int depth) {
        if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
                hw_arena_t arena;
                hw_person_t p;
                size_t records = 0;
                int64_t n;

                hw_arena_init(&arena);
                if (!hw_person_unpack(&arena, r->str, r->len, &p) &&
                    (!p.lab || !p.origin || !p.event_id))
                        fail("hw_person_unpack", "a record without its lab, "
                                                 "origin or event");
                hw_arena_release(&arena);
                hw_plan_log_each(r->str, r->len, count_record, &records);
                hw_qdb_parse_int(r->str, &n);
        } else if (r->type == REDIS_REPLY_ARRAY) {
                read_alert("0-1", r);
                if (r->elements == 2 &&
                    r->element[0]->type == REDIS_REPLY_STRING &&
                    r->element[1]->type == REDIS_REPLY_ARRAY)
                        read_alert(r->element[0]->str, r->element[1]);
                for (size_t i = 0; depth < 8 && i < r->elements; i++)
                        read_values(r->element[i], depth + 1);
        }
}

static void read_alone(const uint8_t *data, size_t size) {
        redisReader *reader = redisReaderCreate();
        void *reply;

        if (!reader)
                return;
        if (redisReaderFeed(reader, (const char *)data, size) == REDIS_OK)
                while (redisReaderGetReply(reader, &reply) == REDIS_OK &&
                       reply) {
                        read_values(reply, 0);
                        freeReplyObject(reply);
                }
        redisReaderFree(reader);
}

/* ------------------------------------------------------------------ */
/* A Redis in this process                                             */
/* ------------------------------------------------------------------ */

/* What the server sends on its next connection, and how many it has
 * finished with. */
static pthread_mutex_t server_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t server_done = PTHREAD_COND_INITIALIZER;
static hw_buf_t server_replies;
static unsigned long server_served;

/* Sends the replies to a connection while reading (and dropping) the
 * commands, then says it is done and waits for the client to close. */
static void serve_one(int fd, const char *data, size_t len) {
        size_t sent = 0;
        char drain[4096];

        if (!len)
                shutdown(fd, SHUT_WR);
        for (;;) {
                struct pollfd p = {fd, POLLIN | (sent < len ? POLLOUT : 0), 0};
                ssize_t n;

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        break;
                if (sent < len && (p.revents & POLLOUT)) {
                        n = send(fd, data + sent, len - sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                        if (n < 0 && errno != EAGAIN && errno != EINTR)
                                break;
                        if (n > 0 && (sent += (size_t)n) == len)
                                shutdown(fd, SHUT_WR);
                }
                if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                        n = recv(fd, drain, sizeof(drain), MSG_DONTWAIT);
                        if (n == 0 ||
                            (n < 0 && errno != EAGAIN && errno != EINTR))
                                break;
                }
        }
}

static void *server_main(void *arg) {
        int listener = *(int *)arg;

        for (;;) {
                int fd = accept(listener, NULL, NULL);
                if (fd < 0)
                        continue;
                pthread_mutex_lock(&server_lock);
                serve_one(fd, server_replies.data, server_replies.len);
                close(fd);
                server_served++;
                pthread_cond_broadcast(&server_done);
                pthread_mutex_unlock(&server_lock);
        }
        return NULL;
}

/* Starts the server on a free loopback port; its URL into url. */
static void start_server(char *url, size_t size) {
        static int listener;
        struct sockaddr_in sin = {.sin_family = AF_INET};
        socklen_t len = sizeof(sin);
        pthread_t t;

        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        listener = socket(AF_INET, SOCK_STREAM, 0);
        if (listener < 0 || bind(listener, (struct sockaddr *)&sin, len) ||
            listen(listener, 4) ||
            getsockname(listener, (struct sockaddr *)&sin, &len) ||
            pthread_create(&t, NULL, server_main, &listener))
                fail("the Redis server", strerror(errno));
        pthread_detach(t); /* it serves until the process ends */
        hw_buf_init(&server_replies);
        snprintf(url, size, "redis://127.0.0.1:%u", ntohs(sin.sin_port));
}

/* ------------------------------------------------------------------ */
/* The documents                                                       */
/* ------------------------------------------------------------------ */

static void check_doc(json_t *doc, const hw_qerr_t *e, const char *what) {
        char *text;

        if (!doc) {
                if (!e->msg[0] || !e->exit)
                        fail(what, "no document, and no error");
                return;
        }
        if (!(text = json_dumps(doc, JSON_INDENT(2))))
                fail(what, "a document json_dumps cannot write");
        free(text);
}

static void read_document(hw_query_t *q, unsigned which) {
        static const char *slugs[] = {"meta-superintelligence-labs", "openai"};
        hw_qerr_t e = {0};
        json_t *doc = NULL;

        switch (which) {
        case 1:
                doc = hw_qdoc_labs(q, &e);
                break;
        case 2:
                q->arg = (char *)"Meta Superintelligence Labs";
                doc = hw_qdoc_lab(q, &e);
                break;
        case 3:
                doc = hw_qdoc_flows(q, &e);
                break;
        case 4:
                doc = hw_qdoc_offers(q, &e);
                break;
        case 5:
                doc = hw_qdoc_alerts(q, &e);
                break;
        case 6:
                doc = hw_qdoc_moves(q, &e);
                break;
        case 7:
                doc = hw_qdoc_timelines(q, q->window ? q->window : "30d", slugs,
                                        2, &e);
                if (!doc && e.exit == HW_EXIT_USAGE) /* "all": no days */
                        return;
                break;
        case 8: {
                hw_page_opts_t opts = {.nonce = "0123456789abcdef"};
                hw_buf_t page;

                doc = hw_qdoc_report(q, &e); /* the 3 largest labs */
                hw_buf_init(&page);
                if (doc && hw_page_render(doc, &opts, &page))
                        fail("hw_page_render", "out of memory");
                hw_buf_release(&page);
                break;
        }
        default: {
                char errstr[512];
                hw_qitems_t items;
                int exists;

                hw_qitems_init(&items);
                if (!hw_qdb_hash_counts(q->db, "hw:labs", &items, errstr,
                                        sizeof(errstr)) &&
                    !hw_qdb_zset(q->db, "hw:labs", &items, errstr,
                                 sizeof(errstr)) &&
                    !hw_qdb_exists(q->db, "hw:labs", &exists, errstr,
                                   sizeof(errstr))) {
                        hw_qitems_sort_count(&items);
                        hw_qitems_total(&items);
                }
                hw_qitems_release(&items);
                return;
        }
        }
        check_doc(doc, &e, "a document");
        json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static hw_query_t q0;
        static unsigned long connections;
        static const char *const windows[] = {NULL, "30d", "all", "365d"};
        hw_query_t q;
        char errstr[512];
        size_t len;
        unsigned which;
        hw_err_t err;

        if (!q0.conf.redis_url) {
                char url[64];
                signal(SIGPIPE, SIG_IGN); /* as hirewire-query's main */
                start_server(url, sizeof(url));
                if (hw_config_init(&q0.conf) ||
                    hw_config_set(&q0.conf, "redis.url", url, errstr,
                                  sizeof(errstr)))
                        fail("the config", errstr);
                q0.json = 1;
                q0.count = 20;
        }
        if (!size)
                return 0;
        which = data[0] & 15;
        len = sendable(data + 1, size - 1);
        if (which == 0 || which > 9) {
                read_alone(data + 1, len);
                return 0;
        }

        q = q0;
        q.window = windows[(data[0] >> 4) & 3];
        q.group = data[0] & 64 ? "oecd" : NULL;
        q.top = data[0] & 128 ? 0 : -1;
        pthread_mutex_lock(&server_lock);
        server_replies.len = 0;
        if (len && hw_buf_append(&server_replies, data + 1, len)) {
                pthread_mutex_unlock(&server_lock);
                return 0;
        }
        pthread_mutex_unlock(&server_lock);
        if (!(q.db = hw_qdb_new(&q.conf, &err, errstr, sizeof(errstr))))
                fail("hw_qdb_new", errstr);
        err = hw_qdb_connect(q.db, errstr, sizeof(errstr));
        if (err && !strncmp(errstr, "cannot connect", 14)) /* not a reply */
                fail("hw_qdb_connect", errstr);
        connections++;
        if (!err)
                read_document(&q, which);
        hw_qdb_destroy(q.db);
        /* The next input's replies wait for this connection's end. */
        pthread_mutex_lock(&server_lock);
        while (server_served < connections)
                pthread_cond_wait(&server_done, &server_lock);
        pthread_mutex_unlock(&server_lock);
        return 0;
}
