#include "hw_store.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_log.h"
#include "hw_time.h"
#include "hw_validate.h"

extern const char hw_store_lua[];

#define CONNECT_TIMEOUT_MS 2000
#define COMMAND_TIMEOUT_MS 30000
/* A day's bucket log this consumer appended this many bytes to since it
 * last compacted it is compacted (read, summed, replaced) in the next
 * step; a log the slide reads is compacted when that makes it shorter. */
#define COMPACT_BYTES 65536
#define APPENDED_MAX 4096       /* days tracked before starting over */

struct hw_store_s {
        const hw_config_t *conf;
        char *group;
        hw_redis_url_t url;
        char password[256];
        redisContext *ctx;
        char sha[41];
        /* Argument vectors of the atomic step, reused batch to batch. */
        const char **argv;
        size_t *argvlen;
        size_t argc, argcap;
        hw_arena_t scratch;     /* formatted numbers */
        hw_buf_t cmd;           /* the step's command in RESP, reused */
        char epoch[32];         /* <prefix>epoch when the batch began */
        int64_t watermark;      /* <prefix>watermark then (-1 = none) */
        int raise_alerts;       /* write alerts (1) or drop them (0) */
        int at_end;             /* the batch reads to the end (brain_drain) */
        uint64_t alerts_added;  /* by the last applied step */
        const hw_store_end_t *ends; /* and where each partition is */
        size_t n_ends;
        /* What the last hw_store_read_slide read (texts in replies). */
        hw_plan_slide_t slide;
        hw_plan_log_t *logs;
        size_t logs_cap;
        redisReply **replies;
        size_t n_replies, replies_cap;
        hw_map_t appended;      /* yyyymmdd -> bytes appended (aux), day (v.i) */
};

hw_store_t *hw_store_new(const hw_config_t *conf, const char *group,
                         char *errstr, size_t size) {
        hw_store_t *s = calloc(1, sizeof(*s));
        const char *env;

        if (!s) {
                hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                return NULL;
        }
        s->conf = conf;
        s->raise_alerts = 1;
        s->at_end = 1;
        hw_arena_init(&s->scratch);
        hw_buf_init(&s->cmd);
        hw_map_init(&s->appended);
        s->slide.day = -1;
        if (hw_redis_url_parse(conf->redis_url, &s->url, errstr, size)) {
                hw_store_destroy(s);
                return NULL;
        }
        s->group = strdup(group);
        if (!s->group) {
                hw_store_destroy(s);
                return NULL;
        }
        /* Password: config, else REDIS_PASSWORD, else the URL. */
        if (conf->redis_password && conf->redis_password[0])
                snprintf(s->password, sizeof(s->password), "%s",
                         conf->redis_password);
        else if ((env = getenv("REDIS_PASSWORD")) && env[0])
                snprintf(s->password, sizeof(s->password), "%s", env);
        else
                snprintf(s->password, sizeof(s->password), "%s",
                         s->url.password);
        return s;
}

/* Frees what the last read of the slide kept. */
static void free_slide(hw_store_t *s) {
        for (size_t i = 0; i < s->n_replies; i++)
                freeReplyObject(s->replies[i]);
        s->n_replies = 0;
        s->slide = (hw_plan_slide_t){-1, NULL, 0, NULL, 0};
}

static void drop_connection(hw_store_t *s) {
        if (s->ctx) {
                redisFree(s->ctx);
                s->ctx = NULL;
        }
}

void hw_store_destroy(hw_store_t *s) {
        if (!s)
                return;
        drop_connection(s);
        free(s->group);
        free(s->argv);
        free(s->argvlen);
        hw_buf_release(&s->cmd);
        hw_arena_release(&s->scratch);
        free_slide(s);
        free(s->logs);
        free(s->replies);
        hw_map_release(&s->appended);
        memset(s->password, 0, sizeof(s->password));
        free(s);
}

/* Turns a missing reply or a broken connection into HW_ERR_SERVICE (and
 * drops the connection), an error reply into HW_ERR_SERVICE for transient
 * states (LOADING, BUSY, OOM, READONLY, MASTERDOWN) and HW_ERR_INTERNAL
 * otherwise. Frees the reply on error. */
static hw_err_t check_reply(hw_store_t *s, redisReply *r, const char *what,
                            char *errstr, size_t size) {
        if (!r) {
                hw_err_t err = hw_fail(HW_ERR_SERVICE, errstr, size,
                                       "Redis %s:%d: %s: %s", s->url.host,
                                       s->url.port, what,
                                       s->ctx && s->ctx->errstr[0]
                                               ? s->ctx->errstr
                                               : "connection lost");
                drop_connection(s);
                return err;
        }
        if (r->type == REDIS_REPLY_ERROR) {
                static const char *const transient[] = {
                        "LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN",
                        "TRYAGAIN", "CLUSTERDOWN"};
                hw_err_t err = HW_ERR_INTERNAL;
                for (size_t i = 0; i < sizeof(transient) / sizeof(*transient);
                     i++)
                        if (!strncmp(r->str, transient[i],
                                     strlen(transient[i])))
                                err = HW_ERR_SERVICE;
                hw_fail(err, errstr, size, "Redis %s: %s", what, r->str);
                freeReplyObject(r);
                return err;
        }
        return HW_OK;
}

/* Reads the next reply of a pipeline into *r. On an error (nothing in
 * *r), a connection with `pending` replies still unread is dropped, so
 * the next command starts clean. */
static hw_err_t pipelined_reply(hw_store_t *s, size_t pending,
                                const char *what, redisReply **r,
                                char *errstr, size_t size) {
        void *v = NULL;
        hw_err_t err;

        if (redisGetReply(s->ctx, &v) != REDIS_OK)
                v = NULL;
        if ((err = check_reply(s, v, what, errstr, size))) {
                if (pending && s->ctx)
                        drop_connection(s);
                return err;
        }
        *r = v;
        return HW_OK;
}

/* Whether key has a Redis Cluster hash tag: a non-empty {...}. */
static int has_hash_tag(const char *key) {
        const char *open = strchr(key, '{');
        return open && open[1] && open[1] != '}' && strchr(open + 2, '}');
}

/* The cluster slot of key, or -1 (errstr set). */
static long long key_slot(hw_store_t *s, const char *key, char *errstr,
                          size_t size) {
        redisReply *r = redisCommand(s->ctx, "CLUSTER KEYSLOT %s", key);
        long long slot;

        if (check_reply(s, r, "CLUSTER KEYSLOT", errstr, size))
                return -1;
        slot = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
        freeReplyObject(r);
        return slot;
}

/*
 * On a Redis Cluster node, the atomic step's keys (those of the prefix and
 * of the alerts prefix) must all live in one slot, on this node: hiredis
 * follows no redirection. Returns HW_ERR_ARG naming what to change; HW_OK
 * on a server that is not a cluster node.
 */
static hw_err_t cluster_check(hw_store_t *s, char *errstr, size_t size) {
        const char *prefix = s->conf->prefix;
        const char *alerts = hw_config_alerts_prefix(s->conf);
        redisReply *r = redisCommand(s->ctx, "INFO cluster");
        long long slot, alerts_slot;
        hw_err_t err;
        int cluster;

        if ((err = check_reply(s, r, "INFO cluster", errstr, size)))
                return err;
        cluster = r->type == REDIS_REPLY_STRING &&
                  strstr(r->str, "cluster_enabled:1") != NULL;
        freeReplyObject(r);
        if (!cluster)
                return HW_OK;
        if (!has_hash_tag(prefix) || !has_hash_tag(alerts))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "Redis %s:%d is a cluster node, and the "
                               "prefix \"%s\"%s has no hash tag: every key "
                               "of one atomic step must be in one slot; use "
                               "a prefix like \"{hw}:\" (docs/scaling.md)",
                               s->url.host, s->url.port,
                               has_hash_tag(prefix) ? alerts : prefix,
                               has_hash_tag(prefix) ? " (alerts.prefix)" : "");
        if ((slot = key_slot(s, prefix, errstr, size)) < 0 ||
            (alerts_slot = key_slot(s, alerts, errstr, size)) < 0)
                return HW_ERR_SERVICE;
        if (slot != alerts_slot)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "Redis Cluster: the prefix \"%s\" is in slot "
                               "%lld and alerts.prefix \"%s\" in slot %lld; "
                               "give them the same hash tag",
                               prefix, slot, alerts, alerts_slot);
        r = redisCommand(s->ctx, "EXISTS %sepoch", prefix);
        if (r && r->type == REDIS_REPLY_ERROR &&
            (!strncmp(r->str, "MOVED ", 6) || !strncmp(r->str, "ASK ", 4))) {
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "Redis Cluster: the prefix \"%s\" is in slot "
                              "%lld, which %s serves, not %s:%d: point the "
                              "Redis URL there",
                              prefix, slot, strrchr(r->str, ' ') + 1,
                              s->url.host, s->url.port);
                freeReplyObject(r);
                return err;
        }
        if ((err = check_reply(s, r, "EXISTS", errstr, size)))
                return err;
        freeReplyObject(r);
        return HW_OK;
}

/*
 * The keys under the prefix must be in this version's layout: an older
 * one kept a day's buckets as a set of families beside a hash per family
 * (hw:b:<yyyymmdd> a SET), which the atomic step cannot apply to. Returns
 * HW_ERR_ARG naming the command that rebuilds them (a full replay), HW_OK
 * for an empty prefix or this layout.
 */
static hw_err_t layout_check(hw_store_t *s, char *errstr, size_t size) {
        const char *prefix = s->conf->prefix;
        redisReply *r = redisCommand(s->ctx, "ZRANGE %sb:days 0 0", prefix);
        char day[16] = "";
        hw_err_t err;

        if ((err = check_reply(s, r, "ZRANGE b:days", errstr, size)))
                return err == HW_ERR_INTERNAL ? HW_OK : err; /* not a zset */
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_STRING)
                snprintf(day, sizeof(day), "%s", r->element[0]->str);
        freeReplyObject(r);
        if (!day[0])
                return HW_OK;
        r = redisCommand(s->ctx, "TYPE %sb:%s", prefix, day);
        if ((err = check_reply(s, r, "TYPE", errstr, size)))
                return err;
        if (r->type == REDIS_REPLY_STATUS &&
            (!strcmp(r->str, "set") || !strcmp(r->str, "hash")))
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "Redis holds the counters under prefix \"%s\" "
                              "in an older layout (%sb:%s is a %s, not a "
                              "bucket log); rebuild them in this "
                              "version's layout with: hirewire-consumer "
                              "--replay --from earliest, with the same "
                              "prefix and config (docs/operations.md)",
                              prefix, prefix, day,
                              !strcmp(r->str, "set") ? "set of families"
                                                     : "hash");
        freeReplyObject(r);
        return err;
}

hw_err_t hw_store_connect(hw_store_t *s, char *errstr, size_t size) {
        struct timeval ct = {CONNECT_TIMEOUT_MS / 1000,
                             (CONNECT_TIMEOUT_MS % 1000) * 1000};
        struct timeval rt = {COMMAND_TIMEOUT_MS / 1000, 0};
        redisReply *r;
        hw_err_t err;

        if (s->ctx)
                return HW_OK;
        s->ctx = redisConnectWithTimeout(s->url.host, s->url.port, ct);
        if (!s->ctx || s->ctx->err) {
                err = hw_fail(HW_ERR_SERVICE, errstr, size,
                              "cannot connect to Redis at %s:%d: %s",
                              s->url.host, s->url.port,
                              s->ctx ? s->ctx->errstr : "out of memory");
                drop_connection(s);
                return err;
        }
        redisSetTimeout(s->ctx, rt);
        redisEnableKeepAlive(s->ctx);

        if (s->password[0]) {
                if (s->url.username[0])
                        r = redisCommand(s->ctx, "AUTH %s %s", s->url.username,
                                         s->password);
                else
                        r = redisCommand(s->ctx, "AUTH %s", s->password);
                if ((err = check_reply(s, r, "AUTH", errstr, size))) {
                        /* Wrong credentials will not fix themselves, but the
                         * server may be restarting: keep it retryable. */
                        drop_connection(s);
                        return HW_ERR_SERVICE;
                }
                freeReplyObject(r);
        }
        if (s->url.db) {
                r = redisCommand(s->ctx, "SELECT %d", s->url.db);
                if ((err = check_reply(s, r, "SELECT", errstr, size)))
                        return err;
                freeReplyObject(r);
        }
        /* A server that wants a password says NOAUTH here, before the
         * script (which it would refuse less clearly). */
        r = redisCommand(s->ctx, "PING");
        if ((err = check_reply(s, r, "PING", errstr, size))) {
                drop_connection(s);
                return err;
        }
        freeReplyObject(r);
        if ((err = cluster_check(s, errstr, size)) ||
            (err = layout_check(s, errstr, size))) {
                drop_connection(s);
                return err;
        }
        r = redisCommand(s->ctx, "SCRIPT LOAD %s", hw_store_lua);
        if ((err = check_reply(s, r, "SCRIPT LOAD", errstr, size))) {
                drop_connection(s);
                return err;
        }
        snprintf(s->sha, sizeof(s->sha), "%s",
                 r->type == REDIS_REPLY_STRING ? r->str : "");
        freeReplyObject(r);
        return HW_OK;
}

void hw_store_set_raise_alerts(hw_store_t *s, int on) {
        s->raise_alerts = on;
}

void hw_store_set_ends(hw_store_t *s, int at_end, const hw_store_end_t *ends,
                       size_t n) {
        s->at_end = at_end;
        s->ends = ends;
        s->n_ends = n;
}

hw_err_t hw_store_argv(hw_store_t *s, int argc, const char **argv,
                       const size_t *argvlen, redisReply **reply,
                       const char *what, char *errstr, size_t size) {
        hw_err_t err;
        redisReply *r;

        *reply = NULL;
        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        r = redisCommandArgv(s->ctx, argc, argv, argvlen);
        if ((err = check_reply(s, r, what, errstr, size)))
                return err;
        *reply = r;
        return HW_OK;
}

hw_err_t hw_store_begin(hw_store_t *s, char *errstr, size_t size) {
        hw_err_t err;
        redisReply *r;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        r = redisCommand(s->ctx, "MGET %sepoch %swatermark", s->conf->prefix,
                         s->conf->prefix);
        if ((err = check_reply(s, r, "MGET epoch watermark", errstr, size)))
                return err;
        s->epoch[0] = '\0';
        s->watermark = -1;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                if (r->element[0]->type == REDIS_REPLY_STRING)
                        snprintf(s->epoch, sizeof(s->epoch), "%s",
                                 r->element[0]->str);
                if (r->element[1]->type == REDIS_REPLY_STRING)
                        s->watermark = strtoll(r->element[1]->str, NULL, 10);
        }
        freeReplyObject(r);
        return HW_OK;
}

const char *hw_store_epoch(const hw_store_t *s) {
        return s->epoch;
}

int64_t hw_store_watermark(const hw_store_t *s) {
        return s->watermark;
}

void hw_store_plan_conf(const hw_store_t *s, hw_plan_conf_t *out) {
        const hw_config_t *c = s->conf;
        out->windows = c->windows;
        out->n_windows = c->n_windows;
        out->raid = c->alert_raid;
        out->drain_days = c->alert_drain_days;
        out->seen_days = c->seen_days;
}

/* Adds a log to read: the ymd of day. Returns -1 when out of memory. */
static int want_log(hw_store_t *s, size_t n, const char *ymd, int64_t day) {
        if (hw_grow((void **)&s->logs, &s->logs_cap, n + 1, sizeof(*s->logs)))
                return -1;
        memset(&s->logs[n], 0, sizeof(s->logs[n]));
        memcpy(s->logs[n].ymd, ymd, 8);
        s->logs[n].day = day;
        return 0;
}

/* Queues HMGET b:gen of the n logs to read: their generations. */
static int append_gens(hw_store_t *s, size_t n) {
        const char **argv = malloc((n + 2) * sizeof(*argv));
        size_t *lens = malloc((n + 2) * sizeof(*lens));
        char key[300];
        int rc = -1;

        if (argv && lens) {
                snprintf(key, sizeof(key), "%sb:gen", s->conf->prefix);
                argv[0] = "HMGET";
                lens[0] = 5;
                argv[1] = key;
                lens[1] = strlen(key);
                for (size_t i = 0; i < n; i++) {
                        argv[i + 2] = s->logs[i].ymd;
                        lens[i + 2] = 8;
                }
                rc = redisAppendCommandArgv(s->ctx, (int)(n + 2), argv,
                                            lens) == REDIS_OK
                             ? 0
                             : -1;
        }
        free(argv);
        free(lens);
        return rc;
}

hw_err_t hw_store_read_slide(hw_store_t *s, int64_t day,
                             const hw_plan_slide_t **out, char *errstr,
                             size_t size) {
        const hw_config_t *c = s->conf;
        int64_t before = s->watermark >= 0 ? hw_time_day(s->watermark) : -1;
        int64_t largest = c->windows[c->n_windows - 1];
        size_t n_leaving = 0, n = 0;
        redisReply *r;
        hw_err_t err;

        free_slide(s);
        *out = &s->slide;
        s->slide.day = before;
        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        if (before >= 0 && day > before) {
                r = redisCommand(s->ctx,
                                 "ZRANGEBYSCORE %sb:days (%lld %lld WITHSCORES",
                                 c->prefix, (long long)(before - largest),
                                 (long long)(day - c->windows[0]));
                if ((err = check_reply(s, r, "ZRANGEBYSCORE b:days", errstr,
                                       size)))
                        return err;
                for (size_t i = 0; r->type == REDIS_REPLY_ARRAY &&
                                   i + 1 < r->elements;
                     i += 2) {
                        if (r->element[i]->len != 8 ||
                            want_log(s, n++, r->element[i]->str,
                                     strtoll(r->element[i + 1]->str, NULL,
                                             10))) {
                                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                              "%sb:days holds %s, not a "
                                              "yyyymmdd day (or out of "
                                              "memory)",
                                              c->prefix, r->element[i]->str);
                                freeReplyObject(r);
                                return err;
                        }
                }
                freeReplyObject(r);
        }
        n_leaving = n;
        /* Logs this consumer appended much to, kept after the step. */
        for (size_t i = 0; i < s->appended.count; i++) {
                const hw_map_entry_t *e = &s->appended.entries[i];
                int leaving = 0;
                if (e->aux < COMPACT_BYTES || e->v.i <= day - largest)
                        continue;
                for (size_t j = 0; j < n_leaving && !leaving; j++)
                        leaving = !memcmp(s->logs[j].ymd, e->key, 8);
                if (!leaving && want_log(s, n++, e->key, e->v.i))
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
        }
        if (hw_grow((void **)&s->replies, &s->replies_cap, n + 1,
                    sizeof(*s->replies)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        /* One round trip: each log, then their generations. */
        for (size_t i = 0; i < n; i++)
                redisAppendCommand(s->ctx, "GET %sb:%s", c->prefix,
                                   s->logs[i].ymd);
        if (n && append_gens(s, n)) {
                drop_connection(s); /* the GETs queued are not read */
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                char what[64];
                snprintf(what, sizeof(what), "GET %sb:%s", c->prefix,
                         s->logs[i].ymd);
                if ((err = pipelined_reply(s, n - i, what, &r, errstr, size)))
                        return err;
                s->replies[s->n_replies++] = r;
                s->logs[i].text = r->type == REDIS_REPLY_STRING ? r->str : "";
                s->logs[i].len = r->type == REDIS_REPLY_STRING ? r->len : 0;
        }
        if (n) {
                if ((err = pipelined_reply(s, 0, "HMGET b:gen", &r, errstr,
                                           size)))
                        return err;
                for (size_t i = 0; i < n; i++)
                        s->logs[i].gen =
                                r->type == REDIS_REPLY_ARRAY &&
                                                i < r->elements &&
                                                r->element[i]->type ==
                                                        REDIS_REPLY_STRING
                                        ? strtoll(r->element[i]->str, NULL,
                                                  10)
                                        : 0;
                freeReplyObject(r);
        }
        s->slide.leaving = s->logs;
        s->slide.n_leaving = n_leaving;
        /* Compacted: the leaving logs that leave the smallest window now
         * (those that left it before were compacted then; they are the
         * last of the leaving ones, by day), and the logs this consumer
         * appended much to (after them). */
        {
                size_t first = n_leaving;
                while (first > 0 &&
                       s->logs[first - 1].day > before - c->windows[0])
                        first--;
                s->slide.compact = s->logs ? s->logs + first : NULL;
                s->slide.n_compact = n - first;
        }
        return HW_OK;
}

hw_err_t hw_store_ping(hw_store_t *s, char *errstr, size_t size) {
        hw_err_t err;
        redisReply *r;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        r = redisCommand(s->ctx, "PING");
        if ((err = check_reply(s, r, "PING", errstr, size)))
                return err;
        freeReplyObject(r);
        return HW_OK;
}

void hw_store_offset_key(const hw_store_t *s, const char *topic,
                         int32_t partition, char *out, size_t out_size) {
        snprintf(out, out_size, "%soffset:%s:%s:%" PRId32, s->conf->prefix,
                 s->group, topic, partition);
}

/* Parses a decimal integer reply; -1 for nil. */
static int64_t reply_int(const redisReply *r) {
        if (r->type == REDIS_REPLY_INTEGER)
                return r->integer;
        if (r->type == REDIS_REPLY_STRING)
                return strtoll(r->str, NULL, 10);
        return -1;
}

hw_err_t hw_store_get_offsets(hw_store_t *s, const char *topic,
                              const int32_t *partitions, size_t n,
                              int64_t *out, char *errstr, size_t size) {
        hw_err_t err;
        redisReply *r;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        for (size_t i = 0; i < n; i++) {
                char key[512];
                hw_store_offset_key(s, topic, partitions[i], key, sizeof(key));
                redisAppendCommand(s->ctx, "GET %s", key);
        }
        for (size_t i = 0; i < n; i++) {
                if (redisGetReply(s->ctx, (void **)&r) != REDIS_OK)
                        r = NULL;
                if ((err = check_reply(s, r, "GET offset", errstr, size)))
                        return err;
                out[i] = reply_int(r);
                freeReplyObject(r);
        }
        return HW_OK;
}

static const char *copy_str(hw_arena_t *a, const redisReply *r) {
        if (r->type != REDIS_REPLY_STRING)
                return NULL;
        return hw_arena_strndup(a, r->str, r->len);
}

hw_err_t hw_store_get_persons(hw_store_t *s, const char *const *ids, size_t n,
                              hw_person_t *out, hw_arena_t *arena,
                              char *errstr, size_t size) {
        hw_err_t err = HW_OK;
        redisReply *r;
        size_t i;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        for (i = 0; i < n; i++) {
                static const char *const fields[] = {
                        "HMGET", NULL,   "lab", "origin", "nationality",
                        "alma_mater", "tier", "at",  "event_id"};
                const char *argv[9];
                size_t argvlen[9];
                char key[600];
                int len = snprintf(key, sizeof(key), "%sperson:%s",
                                   s->conf->prefix, ids[i]);
                for (int a = 0; a < 9; a++) {
                        argv[a] = a == 1 ? key : fields[a];
                        argvlen[a] = a == 1 ? (size_t)len : strlen(fields[a]);
                }
                redisAppendCommandArgv(s->ctx, 9, argv, argvlen);
        }
        for (i = 0; i < n; i++) {
                hw_person_t *p = &out[i];
                if ((err = pipelined_reply(s, n - i - 1, "HMGET person", &r,
                                           errstr, size)))
                        return err;
                memset(p, 0, sizeof(*p));
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 7 &&
                    r->element[0]->type == REDIS_REPLY_STRING) {
                        p->lab = copy_str(arena, r->element[0]);
                        p->origin = copy_str(arena, r->element[1]);
                        p->nationality = copy_str(arena, r->element[2]);
                        p->alma_mater = copy_str(arena, r->element[3]);
                        p->tier = copy_str(arena, r->element[4]);
                        p->at = reply_int(r->element[5]);
                        p->event_id = copy_str(arena, r->element[6]);
                        if (!p->origin || !p->nationality || !p->alma_mater ||
                            !p->tier || !p->event_id) {
                                /* A damaged record: treat the person as
                                 * unknown rather than count half of it. */
                                HW_WARN("store", "person %s has an incomplete "
                                                 "record; treated as new",
                                        ids[i]);
                                memset(p, 0, sizeof(*p));
                        }
                }
                freeReplyObject(r);
        }
        return HW_OK;
}

/* Orders event indexes by day (then position) for hw_store_check_seen;
 * days is the array of yyyymmdd strings. */
static int by_day(const void *a, const void *b, void *days) {
        const char *const *ymd = days;
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        int c = strcmp(ymd[i], ymd[j]);
        return c ? c : (i > j) - (i < j);
}

hw_err_t hw_store_check_seen(hw_store_t *s, const char *const *ymd,
                             const char *const *ids, size_t n,
                             unsigned char *out, char *errstr, size_t size) {
        hw_err_t err;
        redisReply *r;
        size_t i, sent = 0;
        const char **argv = NULL;
        size_t *argvlen = NULL, *order = NULL;
        char key[64];

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        /* One SMISMEMBER per day, whatever the order of the ids. */
        argv = malloc((n + 2) * sizeof(*argv));
        argvlen = malloc((n + 2) * sizeof(*argvlen));
        order = malloc((n + 1) * sizeof(*order));
        if (!argv || !argvlen || !order) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        for (i = 0; i < n; i++)
                order[i] = i;
        qsort_r(order, n, sizeof(*order), by_day, (void *)ymd);
        for (i = 0; i < n;) {
                size_t j = i, argc = 2;
                snprintf(key, sizeof(key), "%sseen:%s", s->conf->prefix,
                         ymd[order[i]]);
                argv[0] = "SMISMEMBER";
                argvlen[0] = 10;
                argv[1] = key;
                argvlen[1] = strlen(key);
                while (j < n && !strcmp(ymd[order[j]], ymd[order[i]])) {
                        argv[argc] = ids[order[j]];
                        argvlen[argc++] = strlen(ids[order[j]]);
                        j++;
                }
                redisAppendCommandArgv(s->ctx, (int)argc, argv, argvlen);
                sent++;
                i = j;
        }
        for (i = 0; i < n;) {
                size_t j = i;
                while (j < n && !strcmp(ymd[order[j]], ymd[order[i]]))
                        j++;
                sent--;
                if ((err = pipelined_reply(s, sent, "SMISMEMBER", &r, errstr,
                                           size)))
                        goto cleanup;
                for (size_t k = i; k < j; k++)
                        out[order[k]] = r->type == REDIS_REPLY_ARRAY &&
                                        k - i < r->elements &&
                                        r->element[k - i]->integer == 1;
                freeReplyObject(r);
                i = j;
        }
cleanup:
        if (err && sent && s->ctx)
                drop_connection(s); /* unread replies: start clean */
        free(argv);
        free(argvlen);
        free(order);
        return err;
}

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

static int push_str(hw_store_t *s, const char *str) {
        return push(s, str, strlen(str));
}

/* Writes v in decimal at out (room for 21 bytes), no NUL; returns the
 * length. By hand, not printf: it runs for every number of every step. */
static size_t decimal(char *out, int64_t v) {
        char tmp[24];
        size_t n = 0, len;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

        do {
                tmp[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                tmp[n++] = '-';
        for (len = n; n; n--)
                *out++ = tmp[n - 1];
        return len;
}

/* Pushes v in decimal (written straight into the scratch arena). */
static int push_int(hw_store_t *s, int64_t v) {
        char *out = hw_arena_alloc(&s->scratch, 24);
        size_t n;

        if (!out)
                return -1;
        n = decimal(out, v);
        out[n] = '\0';
        return push(s, out, n);
}

static int push_double(hw_store_t *s, double v) {
        char buf[40];
        int n = snprintf(buf, sizeof(buf), "%.17g", v);
        const char *copy = hw_arena_strndup(&s->scratch, buf, (size_t)n);
        return copy ? push(s, copy, (size_t)n) : -1;
}

/* Joins the names of the groups a country belongs to. */
static int push_groups(hw_store_t *s, const hw_country_conf_t *c) {
        char buf[512];
        size_t n = 0;
        buf[0] = '\0';
        for (size_t g = 0; g < s->conf->n_groups; g++)
                if (c->groups & (1u << g))
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
                                              n ? "," : "",
                                              s->conf->group_names[g]);
        const char *copy = hw_arena_strndup(&s->scratch, buf, strlen(buf));
        return copy ? push_str(s, copy) : -1;
}

/* The brain_drain judgment's arguments: at end, then the group's ends key
 * ("" = none) and its fields, "<topic>:<partition>" -> 1/0. */
static int push_ends(hw_store_t *s) {
        char buf[512];
        const char *key;
        int rc = push_int(s, s->at_end);

        if (!s->n_ends)
                return rc || push_str(s, "") || push_int(s, 0);
        snprintf(buf, sizeof(buf), "%sends:%s", s->conf->prefix, s->group);
        key = hw_arena_strndup(&s->scratch, buf, strlen(buf));
        rc |= !key || push_str(s, key) || push_int(s, (int64_t)s->n_ends);
        for (size_t i = 0; i < s->n_ends && !rc; i++) {
                const char *copy;
                snprintf(buf, sizeof(buf), "%s:%" PRId32, s->ends[i].topic,
                         s->ends[i].partition);
                copy = hw_arena_strndup(&s->scratch, buf, strlen(buf));
                rc |= !copy || push_str(s, copy) ||
                      push_int(s, s->ends[i].at_end ? 1 : 0);
        }
        return rc;
}

/* Pushes JSON text (copied into the scratch arena). */
static int push_json(hw_store_t *s, json_t *j) {
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        const char *copy = text ? hw_arena_strndup(&s->scratch, text,
                                                   strlen(text))
                                : NULL;
        free(text);
        json_decref(j);
        return copy ? push_str(s, copy) : -1;
}

/* Pushes one alert: id, rule, severity, subject, summary, event_time and
 * its event ids and attributes as JSON. */
static int push_alert(hw_store_t *s, const hw_alert_t *a) {
        json_t *ids = json_array(), *attrs = json_object();
        int rc = 0;

        for (size_t i = 0; ids && i < a->n_event_ids; i++)
                rc |= json_array_append_new(ids, json_string(a->event_ids[i]));
        for (size_t i = 0; attrs && i < a->n_attributes; i++)
                rc |= json_object_set_new(attrs, a->attributes[i].key,
                                          json_string(a->attributes[i].value));
        rc |= push_str(s, a->alert_id) || push_str(s, a->rule) ||
              push_str(s, hw_severity_name(a->severity)) ||
              push_str(s, a->subject) || push_str(s, a->summary) ||
              push_int(s, a->event_time);
        rc |= push_json(s, ids);
        rc |= push_json(s, attrs);
        return rc ? -1 : 0;
}

/* Pushes a key with the prefix (copied into the scratch arena). */
static int push_prefixed(hw_store_t *s, const char *key, size_t len) {
        size_t lp = strlen(s->conf->prefix);
        char *k = hw_arena_alloc(&s->scratch, lp + len + 1);
        if (!k)
                return -1;
        memcpy(k, s->conf->prefix, lp);
        memcpy(k + lp, key, len);
        k[lp + len] = '\0';
        return push(s, k, lp + len);
}

/* Pushes plan->evs[first .. first+n) as a JSON array of event ids. */
static int push_ids_json(hw_store_t *s, const hw_plan_t *plan, size_t first,
                         size_t n) {
        json_t *ids = json_array();
        int rc = !ids;
        for (size_t i = 0; !rc && i < n; i++)
                rc |= json_array_append_new(
                        ids, json_string(plan->evs[first + i].event_id));
        if (rc) {
                json_decref(ids);
                return -1;
        }
        return push_json(s, ids);
}

/* The sections of the plan (see the header of hw_store.lua). */
static int push_plan(hw_store_t *s, const hw_deltas_t *d,
                     const hw_plan_t *plan) {
        const hw_map_t *m = &d->counters;
        size_t n_sets = 0;
        int rc = push_int(s, (int64_t)plan->n_keys);

        for (size_t i = 0; i < plan->n_keys && !rc; i++) {
                const hw_plan_key_t *k = &plan->keys[i];
                rc |= push_prefixed(s, k->key, k->len) ||
                      push(s, k->zset ? "1" : "0", 1) ||
                      push_int(s, (int64_t)k->n);
                for (size_t j = 0; j < k->n && !rc; j++)
                        rc |= push(s, plan->changes[k->first + j].field,
                                   plan->changes[k->first + j].len);
                for (size_t j = 0; j < k->n && !rc; j++)
                        rc |= push_int(s, plan->changes[k->first + j].delta);
        }
        for (size_t i = 0; i < m->count; i++)
                n_sets += m->entries[i].key[0] == HW_DELTA_SET;
        rc |= push_int(s, (int64_t)n_sets);
        for (size_t i = 0; i < m->count && !rc; i++) {
                const hw_map_entry_t *e = &m->entries[i];
                const char *parts[4];
                if (e->key[0] != HW_DELTA_SET)
                        continue;
                if (hw_deltas_parts(e, parts) < 3)
                        return -1;
                rc |= push_prefixed(s, parts[1], strlen(parts[1])) ||
                      push_str(s, parts[2]) || push_str(s, e->v.p);
        }
        rc |= push_int(s, (int64_t)d->persons.count);
        for (size_t i = 0; i < d->persons.count && !rc; i++) {
                const hw_map_entry_t *e = &d->persons.entries[i];
                const hw_person_t *p = e->v.p;
                rc |= push(s, e->key, e->len) || push_str(s, p->lab) ||
                      push_str(s, p->origin) || push_str(s, p->nationality) ||
                      push_str(s, p->alma_mater) || push_str(s, p->tier) ||
                      push_int(s, p->at) || push_str(s, p->event_id);
        }
        rc |= push_int(s, (int64_t)plan->n_seen);
        for (size_t i = 0; i < plan->n_seen && !rc; i++) {
                const hw_plan_day_t *dd = &plan->seen[i];
                rc |= push(s, dd->ymd, 8) || push_int(s, dd->day) ||
                      push_int(s, (int64_t)dd->n);
                for (size_t j = 0; j < dd->n && !rc; j++)
                        rc |= push_str(s, plan->names[dd->first + j]);
        }
        rc |= push_int(s, (int64_t)plan->n_days);
        for (size_t i = 0; i < plan->n_days && !rc; i++)
                rc |= push(s, plan->days[i].ymd, 8) ||
                      push_int(s, plan->days[i].day) ||
                      push(s, plan->days[i].text, plan->days[i].len);
        rc |= push_int(s, (int64_t)plan->n_compacted);
        for (size_t i = 0; i < plan->n_compacted && !rc; i++)
                rc |= push(s, plan->compacted[i].ymd, 8) ||
                      push_int(s, (int64_t)plan->compacted[i].was) ||
                      push_int(s, plan->compacted[i].gen) ||
                      push(s, plan->compacted[i].text,
                           plan->compacted[i].len);
        rc |= push_int(s, (int64_t)plan->n_prunes);
        for (size_t i = 0; i < plan->n_prunes && !rc; i++)
                rc |= push_str(s, plan->prunes[i]);
        rc |= push_int(s, (int64_t)plan->n_raids);
        for (size_t i = 0; i < plan->n_raids && !rc; i++) {
                const hw_plan_raid_t *r = &plan->raids[i];
                rc |= push_str(s, r->lab_slug) || push_str(s, r->org_slug) ||
                      push_int(s, (int64_t)r->n_names);
                for (size_t j = 0; j < r->n_names && !rc; j++)
                        rc |= push_str(s, plan->names[r->first_name + j]);
                rc |= push_int(s, r->lo) || push_int(s, r->hi) ||
                      push_int(s, (int64_t)r->n_ev);
                for (size_t j = 0; j < r->n_ev && !rc; j++)
                        rc |= push_int(s, plan->evs[r->first_ev + j].day) ||
                              push_str(s, plan->evs[r->first_ev + j].event_id);
        }
        rc |= push_int(s, (int64_t)plan->n_drains);
        for (size_t i = 0; i < plan->n_drains && !rc; i++)
                rc |= push_str(s, plan->drains[i].country) ||
                      push_ids_json(s, plan, plan->drains[i].first_ev,
                                    plan->drains[i].n_ev);
        rc |= push_int(s, (int64_t)d->alerts.count);
        for (size_t i = 0; i < d->alerts.count && !rc; i++)
                rc |= push_alert(s, d->alerts.entries[i].v.p);
        return rc;
}

/* Builds the script's arguments (see the header of hw_store.lua). */
static int build_args(hw_store_t *s, const hw_store_offset_t *offsets,
                      size_t n_offsets, const hw_deltas_t *d,
                      const hw_plan_t *plan, char (*keys)[512]) {
        const hw_config_t *c = s->conf;
        int rc = 0;

        s->argc = 0;
        hw_arena_reset(&s->scratch);
        rc |= push_str(s, "EVALSHA") || push_str(s, s->sha) ||
              push_str(s, "0") || push_str(s, c->prefix) ||
              push_str(s, hw_config_alerts_prefix(c)) ||
              push_str(s, s->epoch) || push_int(s, s->raise_alerts);
        rc |= push_int(s, (int64_t)n_offsets);
        for (size_t i = 0; i < n_offsets && !rc; i++) {
                hw_store_offset_key(s, offsets[i].topic, offsets[i].partition,
                                    keys[i], sizeof(keys[i]));
                rc |= push_str(s, keys[i]);
                rc |= offsets[i].expected < 0
                              ? push(s, "", 0)
                              : push_int(s, offsets[i].expected);
                rc |= push_int(s, offsets[i].next);
        }
        rc |= push_int(s, d->watermark) || push_int(s, plan->day) ||
              push_int(s, s->slide.day);
        /* The logs the slide read (for a step that moves the day). */
        rc |= push_int(s, (int64_t)s->slide.n_leaving);
        for (size_t i = 0; i < s->slide.n_leaving && !rc; i++)
                rc |= push(s, s->slide.leaving[i].ymd, 8) ||
                      push_int(s, (int64_t)s->slide.leaving[i].len) ||
                      push_int(s, s->slide.leaving[i].gen);
        rc |= push_int(s, (int64_t)c->n_windows);
        for (size_t i = 0; i < c->n_windows; i++)
                rc |= push_int(s, c->windows[i]);
        rc |= push_int(s, c->seen_days);
        rc |= push_int(s, hw_now_ms());
        rc |= push_int(s, c->alerts_maxlen);
        /* The stream's readers: entries they have not delivered yet are
         * never trimmed. */
        rc |= push_int(s, (c->alerts_relay ? 1 : 0) +
                                  (c->alert_webhook_url ? 1 : 0));
        if (c->alerts_relay)
                rc |= push_str(s, "relayed");
        if (c->alert_webhook_url)
                rc |= push_str(s, "webhook");
        rc |= push_int(s, c->alert_raid) || push_int(s, c->alert_raid_count) ||
              push_int(s, c->alert_raid_days);
        rc |= push_int(s, c->alert_brain_drain) ||
              push_double(s, c->alert_drain_index) ||
              push_int(s, c->alert_drain_days) || push_ends(s);
        rc |= push_int(s, (int64_t)c->n_countries);
        for (size_t i = 0; i < c->n_countries && !rc; i++) {
                rc |= push_str(s, c->countries[i].code);
                rc |= push_double(s, c->countries[i].base);
                rc |= push_groups(s, &c->countries[i]);
        }
        return rc || push_plan(s, d, plan);
}

uint64_t hw_store_alerts_added(const hw_store_t *s) {
        return s->alerts_added;
}

/* Appends "<c><n>\r\n" at p; returns the end. */
static char *put_len(char *p, char c, size_t n) {
        *p++ = c;
        p += decimal(p, (int64_t)n);
        *p++ = '\r';
        *p++ = '\n';
        return p;
}

/*
 * Sends the step's arguments as one RESP command, written into a buffer
 * kept from step to step (sized once for the largest step so far, not
 * grown argument by argument), and reads the reply into *reply (NULL on a
 * broken connection). Returns -1 only when out of memory.
 */
static int send_step(hw_store_t *s, redisReply **reply) {
        size_t need = 32;
        char *p;
        void *r = NULL;

        *reply = NULL;
        for (size_t i = 0; i < s->argc; i++)
                need += s->argvlen[i] + 32;
        s->cmd.len = 0;
        if (hw_buf_reserve(&s->cmd, need))
                return -1;
        p = put_len(s->cmd.data, '*', s->argc);
        for (size_t i = 0; i < s->argc; i++) {
                p = put_len(p, '$', s->argvlen[i]);
                memcpy(p, s->argv[i], s->argvlen[i]);
                p += s->argvlen[i];
                *p++ = '\r';
                *p++ = '\n';
        }
        if (redisAppendFormattedCommand(s->ctx, s->cmd.data,
                                        (size_t)(p - s->cmd.data)) ==
                    REDIS_OK &&
            redisGetReply(s->ctx, &r) == REDIS_OK)
                *reply = r;
        return 0;
}

/* Counts what an applied step appended to each day's log (for
 * compaction); the logs it read for compaction start again from 0. Out of
 * memory only delays a compaction. */
static void note_appended(hw_store_t *s, const hw_plan_t *plan) {
        if (s->appended.count > APPENDED_MAX)
                hw_map_clear(&s->appended);
        for (size_t i = 0; i < s->slide.n_compact; i++) {
                hw_map_entry_t *e = hw_map_find(&s->appended,
                                                s->slide.compact[i].ymd, 8);
                if (e)
                        e->aux = 0;
        }
        for (size_t i = 0; i < plan->n_days; i++) {
                int created;
                hw_map_entry_t *e = hw_map_upsert(
                        &s->appended, plan->days[i].ymd, 8, &created);
                if (!e)
                        return;
                e->v.i = plan->days[i].day;
                e->aux += (int64_t)plan->days[i].len;
        }
}

hw_err_t hw_store_apply(hw_store_t *s, const hw_store_offset_t *offsets,
                        size_t n_offsets, const hw_deltas_t *d,
                        const hw_plan_t *plan, hw_store_outcome_t *outcome,
                        char *errstr, size_t size) {
        char(*keys)[512] = NULL;
        redisReply *r = NULL;
        hw_err_t err;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        keys = malloc((n_offsets ? n_offsets : 1) * sizeof(*keys));
        if (!keys || build_args(s, offsets, n_offsets, d, plan, keys)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        if (send_step(s, &r)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        if (r && r->type == REDIS_REPLY_ERROR &&
            !strncmp(r->str, "NOSCRIPT", 8)) {
                /* The server restarted or was flushed: load it again. */
                freeReplyObject(r);
                drop_connection(s);
                if ((err = hw_store_connect(s, errstr, size)))
                        goto cleanup;
                s->argv[1] = s->sha;
                if (send_step(s, &r)) {
                        err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
                        goto cleanup;
                }
        }
        if ((err = check_reply(s, r, "atomic step", errstr, size))) {
                r = NULL;
                goto cleanup;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                              "unexpected reply from the atomic step");
                goto cleanup;
        }
        if (r->element[0]->integer == 1) {
                *outcome = HW_STORE_APPLIED;
                note_appended(s, plan);
                s->alerts_added = r->elements > 2 &&
                                                  r->element[2]->type ==
                                                          REDIS_REPLY_INTEGER
                                          ? (uint64_t)r->element[2]->integer
                                          : 0;
        } else {
                *outcome = r->element[0]->integer == 2 ? HW_STORE_STALE
                                                       : HW_STORE_FENCED;
                if (*outcome == HW_STORE_STALE)
                        s->watermark =
                                r->elements > 2 && r->element[2]->len
                                        ? strtoll(r->element[2]->str, NULL, 10)
                                        : -1;
                hw_fail(HW_OK, errstr, size, "%s holds \"%s\"",
                        r->elements > 1 ? r->element[1]->str : "?",
                        r->elements > 2 ? r->element[2]->str : "?");
        }
cleanup:
        if (r)
                freeReplyObject(r);
        free(keys);
        return err;
}

hw_err_t hw_store_get_alert_position(hw_store_t *s, const char *reader,
                                     char *id, size_t id_size, char *errstr,
                                     size_t size) {
        hw_err_t err;
        redisReply *r;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        r = redisCommand(s->ctx, "GET %salerts:%s",
                         hw_config_alerts_prefix(s->conf), reader);
        if ((err = check_reply(s, r, "GET alerts position", errstr, size)))
                return err;
        snprintf(id, id_size, "%s",
                 r->type == REDIS_REPLY_STRING ? r->str : "0-0");
        freeReplyObject(r);
        return HW_OK;
}

hw_err_t hw_store_set_alert_position(hw_store_t *s, const char *reader,
                                     const char *id, char *errstr,
                                     size_t size) {
        hw_err_t err;
        redisReply *r;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        r = redisCommand(s->ctx, "SET %salerts:%s %s",
                         hw_config_alerts_prefix(s->conf), reader, id);
        if ((err = check_reply(s, r, "SET alerts position", errstr, size)))
                return err;
        freeReplyObject(r);
        return HW_OK;
}

/* Fills an alert from a stream entry's field/value array. Returns -1 when
 * a field is missing or does not parse. */
static int alert_from_fields(hw_alert_t *a, const redisReply *f) {
        json_t *ids = NULL, *attrs = NULL;
        const char *key;
        json_t *v;
        int rc = -1, sev;

        hw_alert_reset(a);
        for (size_t i = 0; i + 1 < f->elements; i += 2) {
                const char *name = f->element[i]->str;
                const redisReply *val = f->element[i + 1];
                const char *copy;
                if (val->type != REDIS_REPLY_STRING)
                        continue;
                if (!strcmp(name, "event_ids")) {
                        ids = json_loadb(val->str, val->len, 0, NULL);
                        continue;
                }
                if (!strcmp(name, "attributes")) {
                        attrs = json_loadb(val->str, val->len, 0, NULL);
                        continue;
                }
                copy = hw_alert_strdup(a, val->str, val->len);
                if (!copy)
                        goto cleanup;
                if (!strcmp(name, "alert_id"))
                        a->alert_id = copy;
                else if (!strcmp(name, "rule"))
                        a->rule = copy;
                else if (!strcmp(name, "severity") &&
                         (sev = hw_severity_parse(copy)) >= 0)
                        a->severity = (hw_severity_t)sev;
                else if (!strcmp(name, "subject"))
                        a->subject = copy;
                else if (!strcmp(name, "summary"))
                        a->summary = copy;
                else if (!strcmp(name, "event_time"))
                        a->event_time = strtoll(copy, NULL, 10);
                else if (!strcmp(name, "raised_at"))
                        a->raised_at = strtoll(copy, NULL, 10);
        }
        if (!a->alert_id || !a->rule || !a->subject || !a->summary ||
            !json_is_array(ids) || (attrs && !json_is_object(attrs)))
                goto cleanup;
        if (hw_alert_alloc_event_ids(a, json_array_size(ids)) ||
            hw_alert_alloc_attributes(a, attrs ? json_object_size(attrs) : 0))
                goto cleanup;
        for (size_t i = 0; i < a->n_event_ids; i++) {
                const char *t = json_string_value(json_array_get(ids, i));
                if (!t || !(a->event_ids[i] = hw_alert_strdup(a, t, strlen(t))))
                        goto cleanup;
        }
        if (attrs) {
                size_t i = 0;
                json_object_foreach(attrs, key, v) {
                        const char *t = json_string_value(v);
                        if (!t)
                                goto cleanup;
                        a->attributes[i].key = hw_alert_strdup(a, key,
                                                               strlen(key));
                        a->attributes[i].value = hw_alert_strdup(a, t,
                                                                 strlen(t));
                        if (!a->attributes[i].key || !a->attributes[i].value)
                                goto cleanup;
                        i++;
                }
        }
        rc = 0;
cleanup:
        json_decref(ids);
        json_decref(attrs);
        return rc;
}

hw_err_t hw_store_read_alerts(hw_store_t *s, const char *after,
                              hw_store_alert_t *out, size_t max, size_t *n,
                              char *errstr, size_t size) {
        char start[64];
        hw_err_t err;
        redisReply *r;

        *n = 0;
        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        snprintf(start, sizeof(start), "(%s", after);
        r = redisCommand(s->ctx, "XRANGE %salerts %s + COUNT %d",
                         hw_config_alerts_prefix(s->conf), start, (int)max);
        if ((err = check_reply(s, r, "XRANGE alerts", errstr, size)))
                return err;
        for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
             i++) {
                const redisReply *e = r->element[i];
                hw_store_alert_t *o = &out[*n];
                if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                        continue;
                snprintf(o->id, sizeof(o->id), "%s", e->element[0]->str);
                if (alert_from_fields(&o->alert, e->element[1])) {
                        HW_WARN("store", "alert stream entry %s is damaged; "
                                         "not relayed",
                                o->id);
                        /* Keep its id so the relay moves past it. */
                        o->alert.alert_id = NULL;
                }
                (*n)++;
        }
        freeReplyObject(r);
        return HW_OK;
}

/* A step found stale this many times in a row is an error, not a race. */
#define STALE_MAX 100

hw_err_t hw_store_step(hw_store_t *s, const hw_store_offset_t *offsets,
                       size_t n_offsets, const hw_deltas_t *d, hw_plan_t *plan,
                       hw_store_outcome_t *outcome, char *errstr,
                       size_t size) {
        hw_plan_conf_t conf;

        hw_store_plan_conf(s, &conf);
        for (int tries = 0; tries < STALE_MAX; tries++) {
                int64_t day = hw_plan_day_after(s->watermark, d->watermark);
                const hw_plan_slide_t *slide;
                hw_err_t err;
                if ((err = hw_store_read_slide(s, day, &slide, errstr, size)) ||
                    (err = hw_plan_build_slide(plan, &conf, d, day, slide,
                                               errstr, size)) ||
                    (err = hw_store_apply(s, offsets, n_offsets, d, plan,
                                          outcome, errstr, size)) ||
                    *outcome != HW_STORE_STALE)
                        return err;
        }
        {
                char last[256];
                snprintf(last, sizeof(last), "%s", errstr);
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "the atomic step found the watermark or a "
                               "bucket log changed %d times in a row "
                               "(last: %s)",
                               STALE_MAX, last);
        }
}
