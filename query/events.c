/*
 * GET /api/events of `hirewire-query serve`: new alerts as server-sent
 * events, read from the alert stream with XREAD BLOCK on the request's own
 * Redis connection (its thread may wait; no other request does).
 *
 *   id: <stream id>            (what Last-Event-ID resumes from)
 *   event: alert
 *   data: <the alert as `alerts --json` shows it, on one line>
 *
 *   event: update              (the counters moved: hw:steps changed)
 *   data: {"steps":N}
 *
 * When Redis goes away the stream ends; the browser's EventSource comes
 * back with Last-Event-ID, and misses no alert the stream still holds.
 */
#include "commands.h"
#include "hw_validate.h"
#include "serve.h"

#define EVENTS_BLOCK_MS 1000 /* how often a stream looks around */
#define EVENTS_PING_MS                                                         \
        5000             /* a comment line when nothing happened:
                             * before the connection timeout (serve.c) */
#define EVENTS_BATCH 100 /* alerts read at a time */

typedef struct events_s {
        hw_query_t q; /* its own connection */
        char key[KEY_MAX], steps_key[KEY_MAX];
        char last_id[64];
        int64_t steps;
        hw_buf_t pending; /* to send, from `sent` on */
        size_t sent;
        int64_t last_write_ms;
} events_t;

static void events_free(void *cls) {
        events_t *ev = cls;
        hw_qdb_destroy(ev->q.db);
        hw_buf_release(&ev->pending);
        free(ev);
}

/* A stream id as Redis writes it: <ms>-<seq>. */
static int stream_id_ok(const char *s) {
        size_t digits = strspn(s, "0123456789");
        return digits > 0 && digits < 21 && s[digits] == '-' &&
               strspn(s + digits + 1, "0123456789") == strlen(s + digits + 1) &&
               s[digits + 1] && strlen(s) < 64;
}

/* The counter of atomic steps into *steps (0 when none). */
static hw_err_t read_steps(events_t *ev, int64_t *steps, char *errstr,
                           size_t size) {
        redisReply *r;
        hw_err_t err = hw_qdb_command(ev->q.db, &r, errstr, size, "GET %s",
                                      ev->steps_key);
        if (err)
                return err;
        *steps = 0;
        if (r->type == REDIS_REPLY_STRING)
                hw_qdb_parse_int(r->str, steps);
        freeReplyObject(r);
        return HW_OK;
}

/* Where the stream starts: after Last-Event-ID when given, else after the
 * newest alert now. */
static hw_err_t start_at(events_t *ev, const char *last_event_id, char *errstr,
                         size_t size) {
        redisReply *r;
        hw_err_t err;

        if (last_event_id && stream_id_ok(last_event_id)) {
                snprintf(ev->last_id, sizeof(ev->last_id), "%s", last_event_id);
                return HW_OK;
        }
        snprintf(ev->last_id, sizeof(ev->last_id), "0-0");
        if ((err = hw_qdb_command(ev->q.db, &r, errstr, size,
                                  "XREVRANGE %s + - COUNT 1", ev->key)))
                return err;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_ARRAY &&
            r->element[0]->elements == 2 &&
            r->element[0]->element[0]->type == REDIS_REPLY_STRING)
                snprintf(ev->last_id, sizeof(ev->last_id), "%s",
                         r->element[0]->element[0]->str);
        freeReplyObject(r);
        return HW_OK;
}

/* Appends an alert entry as an `alert` event; -1 when out of memory. */
static int add_alert(events_t *ev, const redisReply *e) {
        json_t *o;
        char *text;
        size_t len;
        int bad;

        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
            e->element[0]->type != REDIS_REPLY_STRING ||
            e->element[1]->type != REDIS_REPLY_ARRAY)
                return 0;
        snprintf(ev->last_id, sizeof(ev->last_id), "%s", e->element[0]->str);
        if (!(o = hw_qdoc_alert(e->element[0]->str, e->element[1])))
                return -1;
        /* Compact: no line break in it but the one it ends with. */
        text = hw_qout_jdump(o, JSON_COMPACT, &len);
        json_decref(o);
        if (!text)
                return -1;
        bad = hw_buf_printf(&ev->pending, "id: %s\nevent: alert\ndata: %s\n",
                            ev->last_id, text);
        free(text);
        return bad;
}

/* Waits up to EVENTS_BLOCK_MS for new alerts and looks at the steps;
 * what there is to say goes to pending. */
static hw_err_t poll_once(events_t *ev, char *errstr, size_t size) {
        redisReply *r, *entries;
        int64_t steps;
        hw_err_t err;

        if ((err = hw_qdb_command(ev->q.db, &r, errstr, size,
                                  "XREAD COUNT %d BLOCK %d STREAMS %s %s",
                                  EVENTS_BATCH, EVENTS_BLOCK_MS, ev->key,
                                  ev->last_id)))
                return err;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
            r->element[0]->type == REDIS_REPLY_ARRAY &&
            r->element[0]->elements == 2) {
                entries = r->element[0]->element[1];
                for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY &&
                                   i < entries->elements;
                     i++)
                        if (add_alert(ev, entries->element[i])) {
                                freeReplyObject(r);
                                return hw_fail(HW_ERR_NOMEM, errstr, size,
                                               "out of memory");
                        }
        }
        freeReplyObject(r);
        if ((err = read_steps(ev, &steps, errstr, size)))
                return err;
        if (steps != ev->steps &&
            hw_buf_printf(&ev->pending,
                          "event: update\ndata: {\"steps\":%" PRId64 "}\n\n",
                          steps))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        ev->steps = steps;
        return HW_OK;
}

/* MHD asks for the next bytes of the stream: waits for some, a second at
 * a time, until the server stops or Redis fails (the stream ends). */
static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max) {
        events_t *ev = cls;
        char errstr[512];
        size_t n;

        (void)pos;
        while (ev->sent == ev->pending.len) {
                ev->sent = ev->pending.len = 0;
                if (hw_serve_stopping())
                        return MHD_CONTENT_READER_END_OF_STREAM;
                if (poll_once(ev, errstr, sizeof(errstr)))
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                if (!ev->pending.len &&
                    hw_now_ms() - ev->last_write_ms >= EVENTS_PING_MS &&
                    hw_buf_printf(&ev->pending, ": waiting for alerts\n\n"))
                        return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        n = ev->pending.len - ev->sent < max ? ev->pending.len - ev->sent : max;
        memcpy(buf, ev->pending.data + ev->sent, n);
        ev->sent += n;
        ev->last_write_ms = hw_now_ms();
        return (ssize_t)n;
}

enum MHD_Result hw_serve_events(struct MHD_Connection *conn, hw_query_t *q,
                                int head) {
        events_t *ev = calloc(1, sizeof(*ev));
        struct MHD_Response *r = NULL;
        char errstr[512];
        enum MHD_Result ret;
        hw_qerr_t e = {0};
        hw_err_t err;

        if (!ev)
                return hw_serve_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        ev->q = *q;
        hw_buf_init(&ev->pending);
        if (hw_serve_open_db(&ev->q, &e)) {
                events_free(ev);
                return hw_serve_error(conn, hw_serve_status(&e), e.msg);
        }
        /* XREAD BLOCK holds its reply back for up to EVENTS_BLOCK_MS. */
        hw_qdb_set_timeout(ev->q.db, EVENTS_BLOCK_MS + 10000);
        hw_keys_name(ev->key, sizeof(ev->key),
                     hw_config_alerts_prefix(&ev->q.conf), HW_KEY_ALERTS);
        hw_keys_name(ev->steps_key, sizeof(ev->steps_key), ev->q.conf.prefix,
                     HW_KEY_STEPS);
        if ((err = start_at(ev,
                            MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                        "Last-Event-ID"),
                            errstr, sizeof(errstr))) ||
            (err = read_steps(ev, &ev->steps, errstr, sizeof(errstr)))) {
                events_free(ev);
                hw_qerr_from(&e, err, errstr);
                return hw_serve_error(conn, hw_serve_status(&e), e.msg);
        }
        /* The first bytes go out at once: the client knows it is on, and
         * how soon to come back when the stream ends. */
        ev->last_write_ms = hw_now_ms();
        if (hw_buf_printf(&ev->pending, "retry: 2000\n: alerts after %s\n\n",
                          ev->last_id) ||
            !(r = head ? MHD_create_response_from_buffer(0, (void *)"",
                                                         MHD_RESPMEM_PERSISTENT)
                       : MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
                                                           4096, events_read,
                                                           ev, events_free)) ||
            hw_serve_headers(r, "text/event-stream; charset=utf-8",
                             HW_CSP_NONE)) {
                if (r)
                        MHD_destroy_response(r); /* frees ev when it has it */
                if (!r || head)
                        events_free(ev);
                return hw_serve_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        }
        if (head)
                events_free(ev);
        ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
}
