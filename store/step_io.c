/*
 * The atomic step's commands and replies: RESP written by hand into one
 * buffer, written to the socket as it is, and the replies built in an
 * arena in hiredis's layout.
 */
#include "hw_store_int.h"

/* Appends one argument (copied into the scratch arena when `copy`). */
static int push(hw_store_t *s, const char *p, size_t len) {
        if (s->argc == s->argcap) {
                size_t cap = s->argcap ? s->argcap * 2 : 1024;
                const char **a = realloc(s->argv, cap * sizeof(*a));
                size_t *l;
                if (!a)
                        return -1;
                s->argv = a;
                l = realloc(s->argvlen, cap * sizeof(*l));
                if (!l)
                        return -1;
                s->argvlen = l;
                s->argcap = cap;
        }
        s->argv[s->argc] = p;
        s->argvlen[s->argc++] = len;
        return 0;
}

int hw_step_push_str(hw_store_t *s, const char *str) {
        return push(s, str, strlen(str));
}

/* Pushes v in decimal (written straight into the scratch arena). */
int hw_step_push_int(hw_store_t *s, int64_t v) {
        char *out = hw_arena_alloc(&s->scratch, 24);
        size_t n;

        if (!out)
                return -1;
        n = hw_decimal(out, v);
        out[n] = '\0';
        return push(s, out, n);
}

/* Pushes len bytes of p, copied into the scratch arena. */
int hw_step_push_copy(hw_store_t *s, const char *p, size_t len) {
        const char *copy = hw_arena_strndup(&s->scratch, p, len);
        return copy ? push(s, copy, len) : -1;
}

int hw_step_push_double(hw_store_t *s, double v) {
        char buf[40];
        int n = snprintf(buf, sizeof(buf), "%.17g", v);
        return hw_step_push_copy(s, buf, (size_t)n);
}

/* JSON text of an array of strings or an object of string values, as
 * Jansson writes it compact ([] and {} when empty), built in t: open,
 * then items or members, then close. */
int hw_step_json_open(hw_buf_t *t, char open) {
        t->len = 0;
        return hw_buf_append(t, &open, 1);
}

int hw_step_json_item(hw_buf_t *t, const char *s, size_t len) {
        return (t->len > 1 && hw_buf_append(t, ",", 1)) ||
                               hw_buf_json_string(t, s, len)
                       ? -1
                       : 0;
}

int hw_step_json_member(hw_buf_t *t, const char *key, const char *value) {
        return hw_step_json_item(t, key, strlen(key)) ||
                               hw_buf_append(t, ":", 1) ||
                               hw_buf_json_string(t, value, strlen(value))
                       ? -1
                       : 0;
}

int hw_step_json_close(hw_buf_t *t, char close) {
        return hw_buf_append(t, &close, 1);
}

/* Pushes plan->evs[first .. first+n) as a JSON array of event ids. */
int hw_step_push_ids_json(hw_store_t *s, const hw_plan_t *plan, size_t first,
                          size_t n) {
        hw_buf_t *t = &s->json_ids;
        int rc = hw_step_json_open(t, '[');
        for (size_t i = 0; !rc && i < n; i++) {
                const char *id = plan->evs[first + i].event_id;
                rc = hw_step_json_item(t, id, strlen(id));
        }
        return rc || hw_step_json_close(t, ']')
                       ? -1
                       : hw_step_push_copy(s, t->data, t->len);
}

/*
 * ---- The atomic step ----
 *
 * Round trip 1 WATCHes the fences (the epoch, the step's offsets, the
 * watermark, and when the day moves b:days, seen:days and every bucket
 * log the slide read) and reads them, with the type of every key the step
 * writes and the current value of every counter field it adds to. The
 * consumer checks them: another consumer's step (the epoch, an offset:
 * fenced; the watermark's day or a log the slide read: stale) or a key
 * Redis would refuse (refused: nothing is written). Round trip 2 is one
 * MULTI/EXEC: the writes as native commands, then the judgments
 * (store/hw_store.lua). A watched key written in between makes EXEC apply
 * nothing: stale, read and planned again.
 */

/* Appends "<c><n>\r\n" at p; returns the end. */
static char *put_len(char *p, char c, size_t n) {
        *p++ = c;
        p += hw_decimal(p, (int64_t)n);
        *p++ = '\r';
        *p++ = '\n';
        return p;
}

/* RESP, written straight into a buffer kept from step to step. Each
 * returns -1 when out of memory. A command's header: */
int hw_step_resp_cmd(hw_buf_t *b, size_t argc) {
        if (hw_buf_reserve(b, 24))
                return -1;
        b->len = (size_t)(put_len(b->data + b->len, '*', argc) - b->data);
        return 0;
}

/* One argument, the bytes of a then those of p. */
int hw_step_resp_arg2(hw_buf_t *b, const char *a, size_t la, const char *p,
                      size_t len) {
        char *o;
        if (hw_buf_reserve(b, la + len + 26))
                return -1;
        o = put_len(b->data + b->len, '$', la + len);
        if (la)
                memcpy(o, a, la);
        if (len)
                memcpy(o + la, p, len);
        o += la + len;
        *o++ = '\r';
        *o++ = '\n';
        b->len = (size_t)(o - b->data);
        return 0;
}

int hw_step_resp_arg(hw_buf_t *b, const char *p, size_t len) {
        return hw_step_resp_arg2(b, NULL, 0, p, len);
}

int hw_step_resp_str(hw_buf_t *b, const char *p) {
        return hw_step_resp_arg(b, p, strlen(p));
}

int hw_step_resp_int(hw_buf_t *b, int64_t v) {
        char t[24];
        return hw_step_resp_arg(b, t, hw_decimal(t, v));
}

/* A key: the prefix, then key (a name of hw_keys.h, len bytes). */
int hw_step_resp_key(hw_store_t *s, hw_buf_t *b, const char *key, size_t len) {
        return hw_step_resp_arg2(b, s->conf->prefix, strlen(s->conf->prefix),
                                 key, len);
}

/* The same for a fixed name (HW_KEY_*). */
int hw_step_resp_name(hw_store_t *s, hw_buf_t *b, const char *name) {
        return hw_step_resp_key(s, b, name, strlen(name));
}

/* RESP of the alerts prefix's key AP<name> (HW_KEY_ALERT*). */
int hw_step_resp_alert_key(hw_store_t *s, hw_buf_t *b, const char *name) {
        const char *ap = hw_config_alerts_prefix(s->conf);
        return hw_step_resp_arg2(b, ap, strlen(ap), name, strlen(name));
}

/*
 * The step's replies are built in reply_arena by these, in hiredis's
 * redisReply layout (so they are read as any reply), instead of one
 * allocation per reply and per element: a round trip can bring tens of
 * thousands of values.
 */
static void *arena_reply(const redisReadTask *task, int type) {
        redisReply *r = hw_arena_alloc(task->privdata, sizeof(*r));
        if (!r)
                return NULL;
        memset(r, 0, sizeof(*r));
        r->type = type;
        if (task->parent) {
                redisReply *parent = task->parent->obj;
                parent->element[task->idx] = r;
        }
        return r;
}

static void *arena_string(const redisReadTask *task, char *str, size_t len) {
        char *copy = hw_arena_strndup(task->privdata, str, len);
        redisReply *r = copy ? arena_reply(task, task->type) : NULL;
        if (r) {
                r->str = copy;
                r->len = len;
        }
        return r;
}

#if HIREDIS_MAJOR >= 1

static void *arena_array(const redisReadTask *task, size_t elements) {
#else

static void *arena_array(const redisReadTask *task, int elements) {
#endif
        size_t n = (size_t)elements;
        redisReply **e =
                n ? hw_arena_alloc(task->privdata, n * sizeof(*e)) : NULL;
        redisReply *r = !n || e ? arena_reply(task, REDIS_REPLY_ARRAY) : NULL;
        if (r) {
                if (n)
                        memset(e, 0, n * sizeof(*e));
                r->elements = n;
                r->element = e;
        }
        return r;
}

static void *arena_integer(const redisReadTask *task, long long value) {
        redisReply *r = arena_reply(task, REDIS_REPLY_INTEGER);
        if (r)
                r->integer = value;
        return r;
}

static void *arena_nil(const redisReadTask *task) {
        return arena_reply(task, REDIS_REPLY_NIL);
}

static void arena_free(void *reply) {
        (void)reply; /* the arena's, reset with it */
}

static redisReplyObjectFunctions arena_replies = {
        .createString = arena_string,
        .createArray = arena_array,
        .createInteger = arena_integer,
        .createNil = arena_nil,
        .freeObject = arena_free,
};

/* Past this many bytes built, round trip 2's commands are written: the
 * buffer stays within twice that (a 5,000-event step with raids to raise
 * builds several MiB). */
#define SPILL_BYTES ((size_t)512 << 10)

/* Writes b whole and empties it: -1 when the connection broke
 * (ctx->errstr says why). Written as it is: hiredis would copy it to its
 * own buffer first. */
static int write_buf(hw_store_t *s, hw_buf_t *b) {
        for (size_t at = 0; at < b->len;) {
                ssize_t w = write(s->ctx->fd, b->data + at, b->len - at);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        snprintf(s->ctx->errstr, sizeof(s->ctx->errstr), "%s",
                                 w < 0 && (errno == EAGAIN ||
                                           errno == EWOULDBLOCK)
                                         ? "timed out"
                                 : w < 0 ? strerror(errno)
                                         : "connection lost");
                        return -1;
                }
                at += (size_t)w;
        }
        b->len = 0;
        return 0;
}

static int write_cmd(hw_store_t *s) {
        return write_buf(s, &s->cmd);
}

void hw_step_spill(hw_store_t *s) {
        if (s->cmd.len >= SPILL_BYTES && !s->spill_broken && write_cmd(s))
                s->spill_broken = 1; /* the rest is built, then refused */
}

/* Writes the commands in s->cmd (after any written by hw_step_spill). A
 * broken connection is HW_ERR_SERVICE (and dropped). */
hw_err_t hw_step_send_commands(hw_store_t *s, const char *what, char *errstr,
                               size_t size) {
        int broken = s->spill_broken || write_cmd(s);
        s->spill_broken = 0;
        return broken ? hw_step_check_reply(s, NULL, what, errstr, size)
                      : HW_OK;
}

/* Reads replies into s->step_replies[*at ..end), error replies
 * included, advancing *at: waiting for each (wait), or only those whose
 * bytes are in. -1 when the connection broke. */
static int take_replies(hw_store_t *s, hw_arena_t *arena, redisReply **out,
                        size_t *at, size_t end, int wait) {
        redisReader *rd = s->ctx->reader;
        redisReplyObjectFunctions *fn = rd->fn;
        void *priv = rd->privdata;
        int rc = 0;

        rd->fn = &arena_replies;
        rd->privdata = arena;
        while (*at < end) {
                void *v = NULL;
                if ((wait ? redisGetReply(s->ctx, &v)
                          : redisReaderGetReply(rd, &v)) != REDIS_OK ||
                    (!v && wait)) {
                        rc = -1;
                        break;
                }
                if (!v)
                        break;
                out[(*at)++] = v;
        }
        rd->fn = fn;
        rd->privdata = priv;
        return rc;
}

int hw_step_take_replies(hw_store_t *s, size_t *at, size_t end, int wait) {
        return take_replies(s, &s->reply_arena, s->step_replies, at, end, wait);
}

hw_err_t hw_store_reads_round_trip(hw_store_t *s, size_t n, const char *what,
                                   char *errstr, size_t size) {
        size_t at = 0;

        hw_arena_reset(&s->reads_arena);
        if (hw_grow((void **)&s->reads_replies, &s->reads_replies_cap, n + 1,
                    sizeof(*s->reads_replies)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if (write_buf(s, &s->reads_cmd) ||
            take_replies(s, &s->reads_arena, s->reads_replies, &at, n, 1)) {
                /* The arena out of memory building a reply is the
                 * reader's error too: the connection goes either way
                 * (replies unread), but it is no Redis outage. */
                if (s->ctx && s->ctx->err == REDIS_ERR_OOM) {
                        hw_step_drop_connection(s);
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
                }
                return hw_step_check_reply(s, NULL, what, errstr, size);
        }
        for (size_t i = 0; i < n; i++)
                if (s->reads_replies[i]->type == REDIS_REPLY_ERROR)
                        return hw_step_error_reply(s, s->reads_replies[i], what,
                                                   errstr, size);
        return HW_OK;
}

/* Reads n replies into s->step_replies[first ..), error replies
 * included. A broken connection is HW_ERR_SERVICE (and dropped; the
 * replies read are freed). */
hw_err_t hw_step_read_replies(hw_store_t *s, size_t first, size_t n,
                              const char *what, char *errstr, size_t size) {
        size_t at = first;

        if (hw_grow((void **)&s->step_replies, &s->step_replies_cap, first + n,
                    sizeof(*s->step_replies))) {
                /* The replies are left unread: the next command would
                 * take them for its own. */
                hw_step_drop_connection(s);
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        if (hw_step_take_replies(s, &at, first + n, 1)) {
                hw_step_free_replies(s, at);
                return hw_step_check_reply(s, NULL, what, errstr, size);
        }
        return HW_OK;
}

/* Sends s->cmd and reads its n replies. */
hw_err_t hw_step_round_trip(hw_store_t *s, size_t first, size_t n,
                            const char *what, char *errstr, size_t size) {
        hw_err_t err = hw_step_send_commands(s, what, errstr, size);
        return err ? err
                   : hw_step_read_replies(s, first, n, what, errstr, size);
}

/* A sorted set's score in decimal: an integer as one ("%.17g" would
 * too, but this is the common case and cheap). */
int hw_step_resp_score(hw_buf_t *b, double v) {
        char t[40];
        if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
            v == (double)(int64_t)v)
                return hw_step_resp_int(b, (int64_t)v);
        return hw_step_resp_arg(b, t,
                                (size_t)snprintf(t, sizeof(t), "%.17g", v));
}
