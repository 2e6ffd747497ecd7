#include "qdb.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_redis.h"

#define QDB_COMMAND_TIMEOUT_MS 30000

struct hw_qdb_s {
        hw_redis_target_t target;
        redisContext *ctx;
};

hw_qdb_t *hw_qdb_new(const hw_config_t *conf, char *errstr, size_t size) {
        hw_qdb_t *db = calloc(1, sizeof(*db));

        if (!db) {
                hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                return NULL;
        }
        if (hw_redis_target(&db->target, conf, errstr, size)) {
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

/* The command name of a hiredis format ("HGETALL %s" -> "HGETALL"). */
static void command_name(const char *fmt, char *out, size_t size) {
        size_t n = strcspn(fmt, " ");
        snprintf(out, size, "%.*s", (int)n, fmt);
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
        char what[32];
        va_list ap;

        *out = NULL;
        if (!db->ctx)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Redis at %s: not connected", db->target.addr);
        command_name(fmt, what, sizeof(what));
        va_start(ap, fmt);
        *out = redisvCommand(db->ctx, fmt, ap);
        va_end(ap);
        return check_reply(db, out, what, errstr, size);
}

hw_err_t hw_qdb_append(hw_qdb_t *db, char *errstr, size_t size, const char *fmt,
                       ...) {
        va_list ap;
        int rc;

        if (!db->ctx)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Redis at %s: not connected", db->target.addr);
        va_start(ap, fmt);
        rc = redisvAppendCommand(db->ctx, fmt, ap);
        va_end(ap);
        if (rc != REDIS_OK)
                return hw_fail(HW_ERR_NOMEM, errstr, size,
                               "cannot queue a Redis command: out of memory");
        return HW_OK;
}

hw_err_t hw_qdb_reply(hw_qdb_t *db, redisReply **out, char *errstr,
                      size_t size) {
        void *r = NULL;

        *out = NULL;
        if (!db->ctx)
                return hw_fail(HW_ERR_SERVICE, errstr, size,
                               "Redis at %s: not connected", db->target.addr);
        if (redisGetReply(db->ctx, &r) != REDIS_OK)
                r = NULL;
        *out = r;
        return check_reply(db, out, "pipelined command", errstr, size);
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
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                hw_qitem_t *items = realloc(l->items, cap * sizeof(*items));
                if (!items)
                        return -1;
                l->items = items;
                l->cap = cap;
        }
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

/* A score of a sorted set's member (rounded for the integer). */
static int parse_score(const char *value, int64_t *v, double *d) {
        char *end;
        *d = strtod(value, &end);
        if (*end || end == value)
                return -1;
        *v = isfinite(*d) ? (int64_t)llround(*d) : 0;
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
                int64_t v;
                double d;
                if (parse(value, &v, &d))
                        err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                      "%s %s \"%s\": \"%.40s\" is not %s", key,
                                      noun, name, value, what);
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
                          "a score", out, errstr, size);
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
