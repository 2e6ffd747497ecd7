#include "qdb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_redis.h"
#include "hw_validate.h"

#define QDB_COMMAND_TIMEOUT_MS 30000
#define QDB_WHAT_MAX 160 /* a command's name and key, as messages show it */

/* What a queued command is, for the message of its reply's error. */
typedef struct qdb_what_s {
        char text[QDB_WHAT_MAX];
} qdb_what_t;

struct hw_qdb_s {
        hw_redis_target_t target;
        redisContext *ctx;
        qdb_what_t *queued; /* the pipelined commands, answered up to head */
        size_t head, n, cap;
};

hw_qdb_t *hw_qdb_new(const hw_config_t *conf, hw_err_t *err, char *errstr,
                     size_t size) {
        hw_qdb_t *db = calloc(1, sizeof(*db));

        if (!db) {
                *err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                return NULL;
        }
        if ((*err = hw_redis_target(&db->target, conf, errstr, size))) {
                hw_qdb_destroy(db);
                return NULL;
        }
        return db;
}

void hw_qdb_destroy(hw_qdb_t *db) {
        if (!db)
                return;
        if (db->ctx)
                redisFree(db->ctx);
        hw_redis_target_wipe(&db->target);
        free(db->queued);
        free(db);
}

const char *hw_qdb_addr(const hw_qdb_t *db) {
        return db->target.addr;
}

void hw_qdb_set_timeout(hw_qdb_t *db, int ms) {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        if (db->ctx)
                redisSetTimeout(db->ctx, tv);
}

const char *hw_qdb_show(const char *s, size_t max, char *out, size_t size) {
        size_t len = strlen(s);
        return hw_show_text(s, len < max ? len : max, out, size);
}

/* The bulk string at *p of a command in Redis's protocol ("$3\r\nGET\r\n")
 * into *s and *len, *p moved past it; -1 when there is none. */
static int bulk_at(const char **p, const char *end, const char **s,
                   size_t *len) {
        char *after;
        unsigned long n;

        if (*p >= end || **p != '$')
                return -1;
        n = strtoul(*p + 1, &after, 10);
        if (after + 2 > end || (size_t)(end - after - 2) < n)
                return -1;
        *s = after + 2;
        *len = n;
        *p = after + 2 + n + 2;
        return 0;
}

/* What a command formatted in Redis's protocol is, for messages: its name
 * and its first argument (the key, for the commands hirewire-query runs),
 * shown as hw_qdb_show does: "HGETALL hw:labs". */
static void describe(const char *cmd, size_t cmd_len, char *out, size_t size) {
        const char *end = cmd + cmd_len, *p = memchr(cmd, '\n', cmd_len);
        const char *name, *arg;
        size_t name_len, arg_len;
        char shown[200] = "";

        if (!p++ || bulk_at(&p, end, &name, &name_len)) {
                snprintf(out, size, "command");
                return;
        }
        if (!bulk_at(&p, end, &arg, &arg_len))
                hw_show_text(arg, arg_len < 120 ? arg_len : 120, shown,
                             sizeof(shown));
        snprintf(out, size, "%.*s%s%s", (int)(name_len < 32 ? name_len : 32),
                 name, shown[0] ? " " : "", shown);
}

/* Formats a command (hiredis format and its arguments) into *cmd (for
 * redisAppendFormattedCommand, freed with hiredis's redisFreeCommand) and
 * what it is into what. */
static hw_err_t format_command(hw_qdb_t *db, char **cmd, int *len, char *what,
                               char *errstr, size_t size, const char *fmt,
                               va_list ap) {
        if (!db->ctx)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Redis at %s: not connected", db->target.addr);
        if ((*len = redisvFormatCommand(cmd, fmt, ap)) < 0)
                return hw_fail(HW_ERR_NOMEM, errstr, size,
                               "cannot format a Redis command: out of memory");
        describe(*cmd, (size_t)*len, what, QDB_WHAT_MAX);
        return HW_OK;
}

/*
 * Turns a missing reply (connection broke, timed out) into HW_ERR_SERVICE
 * and an error reply into hw_redis_error's. Frees the reply on error and
 * clears *r.
 */
static hw_err_t check_reply(hw_qdb_t *db, redisReply **r, const char *what,
                            char *errstr, size_t size) {
        hw_err_t err;

        if (!*r)
                return hw_redis_lost(&db->target, db->ctx, what, errstr, size);
        if ((*r)->type != REDIS_REPLY_ERROR)
                return HW_OK;
        err = hw_redis_error(&db->target, (*r)->str, what, NULL, errstr, size);
        freeReplyObject(*r);
        *r = NULL;
        return err;
}

hw_err_t hw_qdb_connect(hw_qdb_t *db, char *errstr, size_t size) {
        hw_redis_fault_t fault;
        hw_err_t err;

        if (db->ctx && hw_redis_primary_moved(&db->target)) {
                redisFree(db->ctx); /* ask the sentinels again */
                db->ctx = NULL;
        }
        if (db->ctx)
                return HW_OK;
        db->ctx = hw_redis_connect(&db->target, QDB_COMMAND_TIMEOUT_MS, &err,
                                   &fault, errstr, size);
        return db->ctx ? HW_OK : err;
}

hw_err_t hw_qdb_command(hw_qdb_t *db, redisReply **out, char *errstr,
                        size_t size, const char *fmt, ...) {
        char what[QDB_WHAT_MAX], *cmd = NULL;
        int len;
        void *r = NULL;
        va_list ap;
        hw_err_t err;

        *out = NULL;
        va_start(ap, fmt);
        err = format_command(db, &cmd, &len, what, errstr, size, fmt, ap);
        va_end(ap);
        if (err)
                return err;
        /* The replies of queued commands come first: none is left. */
        if (redisAppendFormattedCommand(db->ctx, cmd, (size_t)len) !=
                    REDIS_OK ||
            redisGetReply(db->ctx, &r) != REDIS_OK)
                r = NULL;
        redisFreeCommand(cmd);
        *out = r;
        return check_reply(db, out, what, errstr, size);
}

hw_err_t hw_qdb_append(hw_qdb_t *db, char *errstr, size_t size, const char *fmt,
                       ...) {
        char what[QDB_WHAT_MAX], *cmd = NULL;
        int len;
        va_list ap;
        hw_err_t err;
        int rc;

        va_start(ap, fmt);
        err = format_command(db, &cmd, &len, what, errstr, size, fmt, ap);
        va_end(ap);
        if (err)
                return err;
        if (db->head == db->n) /* every queued command was answered */
                db->head = db->n = 0;
        if (hw_grow((void **)&db->queued, &db->cap, db->n + 1,
                    sizeof(*db->queued))) {
                redisFreeCommand(cmd);
                return hw_fail(HW_ERR_NOMEM, errstr, size,
                               "cannot queue a Redis command: out of memory");
        }
        rc = redisAppendFormattedCommand(db->ctx, cmd, (size_t)len);
        redisFreeCommand(cmd);
        if (rc != REDIS_OK)
                return hw_fail(HW_ERR_NOMEM, errstr, size,
                               "cannot queue a Redis command: out of memory");
        memcpy(db->queued[db->n++].text, what, sizeof(what));
        return HW_OK;
}

hw_err_t hw_qdb_reply(hw_qdb_t *db, redisReply **out, char *errstr,
                      size_t size) {
        char what[QDB_WHAT_MAX] = "pipelined command";
        void *r = NULL;

        *out = NULL;
        if (!db->ctx)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Redis at %s: not connected", db->target.addr);
        if (db->head < db->n)
                memcpy(what, db->queued[db->head++].text, sizeof(what));
        if (redisGetReply(db->ctx, &r) != REDIS_OK)
                r = NULL;
        *out = r;
        return check_reply(db, out, what, errstr, size);
}

/* ------------------------------------------------------------------ */
/* Item lists                                                          */
/* ------------------------------------------------------------------ */

void hw_qitems_init(hw_qitems_t *l) {
        memset(l, 0, sizeof(*l));
}

void hw_qitems_release(hw_qitems_t *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].name);
        free(l->items);
        memset(l, 0, sizeof(*l));
}

int hw_qitems_add(hw_qitems_t *l, const char *name, int64_t count,
                  double score) {
        char *copy;
        if (hw_grow((void **)&l->items, &l->cap, l->n + 1, sizeof(*l->items)))
                return -1;
        if (!(copy = strdup(name)))
                return -1;
        l->items[l->n++] = (hw_qitem_t){copy, count, score};
        return 0;
}

hw_qitem_t *hw_qitems_find(const hw_qitems_t *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (!strcmp(l->items[i].name, name))
                        return &l->items[i];
        return NULL;
}

static int by_count(const void *a, const void *b) {
        const hw_qitem_t *x = a, *y = b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return strcmp(x->name, y->name);
}

void hw_qitems_sort_count(hw_qitems_t *l) {
        if (l->n > 1)
                qsort(l->items, l->n, sizeof(*l->items), by_count);
}

int64_t hw_qitems_total(const hw_qitems_t *l) {
        int64_t total = 0;
        for (size_t i = 0; i < l->n; i++)
                total += l->items[i].count;
        return total;
}

int hw_qdb_parse_int(const char *s, int64_t *out) {
        char *end;
        long long v;
        if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
                return -1;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || *end)
                return -1;
        *out = v;
        return 0;
}

/* A reply that must be an array of 2n strings. */
static hw_err_t expect_pairs(hw_qdb_t *db, const redisReply *r,
                             const char *what, const char *key, char *errstr,
                             size_t size) {
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "Redis at %s: %s %s: unexpected reply",
                               db->target.addr, what, key);
        for (size_t i = 0; i < r->elements; i++)
                if (r->element[i]->type != REDIS_REPLY_STRING)
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "Redis at %s: %s %s: unexpected reply",
                                       db->target.addr, what, key);
        return HW_OK;
}

/* A count of a hash field: an integer (its double the same). -1 when it
 * is not one. */
static int parse_count(const char *value, int64_t *v, double *d) {
        if (hw_qdb_parse_int(value, v))
                return -1;
        *d = (double)*v;
        return 0;
}

/* A score of a sorted set's member (rounded for the integer); -1 when it
 * is not a finite number (Redis keeps +inf and -inf: no count of ours). */
static int parse_score(const char *value, int64_t *v, double *d) {
        char *end;
        *d = strtod(value, &end);
        if (*end || end == value || !isfinite(*d) || fabs(*d) >= 9.2e18)
                return -1;
        *v = (int64_t)llround(*d);
        return 0;
}

/* Reads the reply r of cmd on key, pairs of a name (a field or member:
 * noun) and a value that parse reads (what names such a value in
 * errors), into out; frees r. */
static hw_err_t read_pairs(hw_qdb_t *db, redisReply *r, const char *cmd,
                           const char *key, const char *noun,
                           int (*parse)(const char *, int64_t *, double *),
                           const char *what, hw_qitems_t *out, char *errstr,
                           size_t size) {
        hw_err_t err = expect_pairs(db, r, cmd, key, errstr, size);

        for (size_t i = 0; !err && i < r->elements; i += 2) {
                const char *name = r->element[i]->str;
                const char *value = r->element[i + 1]->str;
                char k[200], n[200], v_shown[200];
                int64_t v;
                double d;
                if (parse(value, &v, &d))
                        err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                      "%s %s \"%s\": \"%s\" is not %s",
                                      hw_qdb_show(key, 120, k, sizeof(k)), noun,
                                      hw_qdb_show(name, 80, n, sizeof(n)),
                                      hw_qdb_show(value, 40, v_shown,
                                                  sizeof(v_shown)),
                                      what);
                else if (hw_qitems_add(out, name, v, d))
                        err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
        }
        freeReplyObject(r);
        return err;
}

hw_err_t hw_qdb_hash_counts(hw_qdb_t *db, const char *key, hw_qitems_t *out,
                            char *errstr, size_t size) {
        redisReply *r;
        hw_err_t err;

        if ((err = hw_qdb_command(db, &r, errstr, size, "HGETALL %s", key)))
                return err;
        return read_pairs(db, r, "HGETALL", key, "field", parse_count,
                          "a count", out, errstr, size);
}

hw_err_t hw_qdb_zset(hw_qdb_t *db, const char *key, hw_qitems_t *out,
                     char *errstr, size_t size) {
        redisReply *r;
        hw_err_t err;

        if ((err = hw_qdb_command(db, &r, errstr, size,
                                  "ZRANGE %s 0 -1 WITHSCORES", key)))
                return err;
        return read_pairs(db, r, "ZRANGE", key, "member", parse_score,
                          "a finite score", out, errstr, size);
}

hw_err_t hw_qdb_exists(hw_qdb_t *db, const char *key, int *exists, char *errstr,
                       size_t size) {
        redisReply *r;
        hw_err_t err;

        if ((err = hw_qdb_command(db, &r, errstr, size, "EXISTS %s", key)))
                return err;
        *exists = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
        freeReplyObject(r);
        return HW_OK;
}
