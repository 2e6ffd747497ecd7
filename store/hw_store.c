#include "hw_store.h"

#include <errno.h>
#include <poll.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hw_buf.h"
#include "hw_log.h"
#include "hw_person_record.h"
#include "hw_raid.h"
#include "hw_redis.h"
#include "hw_time.h"
#include "hw_validate.h"

extern const char hw_store_lua[];

#define COMMAND_TIMEOUT_MS 30000
/* A day's bucket log this consumer appended this many bytes to since it
 * last compacted it is compacted (read, summed, replaced) in the next
 * step; a log the slide reads is compacted when that makes it shorter. */
#define COMPACT_BYTES 65536
#define APPENDED_MAX 4096       /* days tracked before starting over */

struct hw_store_s {
        const hw_config_t *conf;
        char *group;
        hw_redis_target_t target;
        hw_redis_fault_t fault; /* of the last error reply or connect */
        redisContext *ctx;
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
        size_t *compacts;       /* the plan's compactions the step writes */
        size_t n_compacts, compacts_cap;
        unsigned char *log_stale; /* per log read: read again, whole */
        size_t log_stale_cap;
        /* The atomic step's round trips, reused step to step. */
        struct hw_step_read_s *reads;   /* what each reply of the first is */
        size_t n_reads, reads_cap;
        hw_map_t typed;         /* keys whose type the step checks */
        hw_map_t codes;         /* countries whose flow changes: a byte
                                   (window + 1), then the code; v.i = the
                                   delta of in, aux = that of out */
        size_t win_first[HW_PLAN_MAX_WINDOWS + 2]; /* window w's codes:
                                   entries [win_first[w], win_first[w+1]) */
        char wname[HW_PLAN_MAX_WINDOWS + 1][16];   /* "all", "7d", ... */
        redisReply **step_replies;      /* in reply_arena */
        size_t step_replies_cap;
        hw_arena_t reply_arena; /* the step's replies: no allocation per
                                   reply or element */
        struct hw_raid_found_s *raids;  /* the raids the step found */
        size_t n_raids, raids_cap;
        /* The raid index of the step's pairs: the plan's raid pairs
         * (pair i is the plan's raid i), then those only the slide
         * prunes. */
        struct raid_pair_s *rpairs;
        size_t n_rpairs, rpairs_cap;
        hw_map_t rpair_map;     /* "<lab>:<org>" -> index in rpairs (v.i) */
        hw_map_t lab_names;     /* lab slug -> its stored name (v.p, a
                                   reply; NULL: none) */
        hw_buf_t value;         /* a value being encoded */
        unsigned char *alert_new;       /* the batch's alert i is not in
                                           alert:ids yet (round trip 1) */
        /* The counters as this consumer's last applied step left them,
         * by the plan's slot (of plan generation vals_gen): every step
         * increments <prefix>steps, so while it holds steps_after no
         * other step wrote since, and a step reads only the fields it
         * does not know. */
        int64_t *vals;
        unsigned char *known;
        int64_t steps_seen;     /* <prefix>steps round trip 1 read */
        size_t vals_cap;
        uint64_t vals_gen;
        int64_t steps_after;    /* <prefix>steps after that step, -1 */
        int vals_trusted;       /* the last step's reads found steps so */
        int vals_used;          /* this step skipped reads for known ones */
        size_t *n_unread;       /* plan key i's fields its HMGET reads */
        /* Turns: a consumer whose step keeps finding another's applied in
         * between takes <prefix>turn (see take_turn). */
        char id[40];            /* this store's, in <prefix>turn */
        int holds_turn;         /* it took the turn; its step gives it back */
        int others_turn;        /* round trip 1 found another's turn */
        /* A step sent with its reply not read yet (hw_store_step with
         * defer): what reading it needs. Nothing else is sent meanwhile. */
        int pending;
        size_t pend_cmds;               /* commands between MULTI and EXEC */
        size_t pend_got;                /* its replies read so far */
        char (*pend_keys)[512];         /* the offsets' keys (owned) */
        int64_t *pend_after;            /* found.after, in scratch */
        int64_t pend_watermark;         /* found.watermark */
        const hw_store_offset_t *pend_offsets; /* the caller's, kept */
        size_t pend_n_offsets;
        const hw_deltas_t *pend_d;
        hw_plan_t *pend_plan;
};

/* A consumer's step found stale this many times in a row takes the
 * turn; the turn lasts at most TURN_MS (a consumer that died holding it
 * holds nobody up longer). */
#define TURN_AFTER 3
#define TURN_MS 2000

hw_store_t *hw_store_new(const hw_config_t *conf, const char *group,
                         char *errstr, size_t size) {
        hw_store_t *s = calloc(1, sizeof(*s));

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
        hw_map_init(&s->typed);
        hw_map_init(&s->codes);
        hw_map_init(&s->rpair_map);
        hw_map_init(&s->lab_names);
        hw_buf_init(&s->value);
        hw_arena_init(&s->reply_arena);
        s->steps_after = -1;
        s->slide.day = -1;
        {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                snprintf(s->id, sizeof(s->id), "%ld-%ld-%p", (long)getpid(),
                         (long)ts.tv_nsec, (void *)s);
        }
        if (hw_redis_target(&s->target, conf, errstr, size)) {
                hw_store_destroy(s);
                return NULL;
        }
        s->group = strdup(group);
        if (!s->group) {
                hw_store_destroy(s);
                return NULL;
        }
        return s;
}

/* Frees what the last read of the slide kept. */
static void free_slide(hw_store_t *s) {
        for (size_t i = 0; i < s->n_replies; i++)
                freeReplyObject(s->replies[i]);
        s->n_replies = 0;
        s->slide = (hw_plan_slide_t){-1, NULL, 0, NULL, 0, NULL};
}

/* Forgets the first n replies of the step's last round trip (their
 * memory is reply_arena's, reset when the next step begins). */
static void free_step_replies(hw_store_t *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                s->step_replies[i] = NULL;
}

/* Forgets the counters' values: another step may have written. */
static void forget_values(hw_store_t *s) {
        if (s->known)
                memset(s->known, 0, s->vals_cap);
        s->steps_after = -1;
        s->vals_trusted = 0;
}

static void drop_connection(hw_store_t *s) {
        forget_values(s);
        if (s->pending) {
                free(s->pend_keys);
                s->pend_keys = NULL;
                s->pending = 0;
        }
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
        free(s->log_stale);
        free(s->compacts);
        free(s->replies);
        hw_map_release(&s->appended);
        hw_map_release(&s->typed);
        hw_map_release(&s->codes);
        hw_map_release(&s->rpair_map);
        hw_map_release(&s->lab_names);
        hw_buf_release(&s->value);
        free(s->rpairs);
        free(s->reads);
        free(s->step_replies);
        hw_arena_release(&s->reply_arena);
        free(s->vals);
        free(s->known);
        free(s->raids);
        hw_redis_target_wipe(&s->target);
        free(s);
}

/* The error of an error reply (not freed), as hw_redis_error's. */
static hw_err_t error_reply(hw_store_t *s, const redisReply *r,
                            const char *what, char *errstr, size_t size) {
        return hw_redis_error(&s->target, r->str, what, &s->fault, errstr,
                              size);
}

static hw_err_t check_reply(hw_store_t *s, redisReply *r, const char *what,
                            char *errstr, size_t size) {
        if (!r) {
                hw_err_t err = hw_redis_lost(&s->target, s->ctx, what, errstr,
                                             size);
                s->fault = HW_REDIS_REFUSED;
                drop_connection(s);
                return err;
        }
        if (r->type == REDIS_REPLY_ERROR) {
                hw_err_t err = error_reply(s, r, what, errstr, size);
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
                               "Redis at %s is a cluster node, and the "
                               "prefix \"%s\"%s has no hash tag: every key "
                               "of one atomic step must be in one slot; use "
                               "a prefix like \"{hw}:\" (docs/scaling.md)",
                               s->target.addr,
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
                              "%lld, which %s serves, not %s: point the "
                              "Redis URL there",
                              prefix, slot, strrchr(r->str, ' ') + 1,
                              s->target.addr);
                freeReplyObject(r);
                return err;
        }
        if ((err = check_reply(s, r, "EXISTS", errstr, size)))
                return err;
        freeReplyObject(r);
        return HW_OK;
}

/* The version of the layout of the internal keys (buckets, persons, ids)
 * this consumer writes, in <prefix>layout; every step writes it. */
#define LAYOUT "5"

/*
 * The keys under the prefix must be in this version's layout: older ones
 * kept a day's buckets as a set of families beside a hash per family
 * (hw:b:<yyyymmdd> a SET) or as one hash, and each person in a hash of
 * their own, before <prefix>layout told the version. The atomic step
 * cannot apply to them. Returns HW_ERR_ARG naming the command that
 * rebuilds them (a full replay), HW_OK for an empty prefix or this layout.
 */
static hw_err_t layout_check(hw_store_t *s, char *errstr, size_t size) {
        const char *prefix = s->conf->prefix;
        redisReply *r = redisCommand(s->ctx, "MGET %slayout %swatermark",
                                     prefix, prefix);
        char day[16] = "", layout[32] = "";
        hw_err_t err;

        if ((err = check_reply(s, r, "MGET layout watermark", errstr, size)))
                return err;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            (r->element[0]->type == REDIS_REPLY_STRING ||
             r->element[1]->type == REDIS_REPLY_STRING)) {
                snprintf(layout, sizeof(layout), "%s",
                         r->element[0]->type == REDIS_REPLY_STRING
                                 ? r->element[0]->str
                                 : "none");
                if (strcmp(layout, LAYOUT))
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "Redis holds the counters under prefix "
                                      "\"%s\" in an older layout (%slayout is "
                                      "%s, this version writes %s: the raid "
                                      "index in one hash); rebuild them in "
                                      "this version's layout with: "
                                      "hirewire-consumer --replay --from "
                                      "earliest, with the same prefix and "
                                      "config (docs/operations.md)",
                                      prefix, prefix, layout, LAYOUT);
        }
        freeReplyObject(r);
        if (err)
                return err;
        r = redisCommand(s->ctx, "ZRANGE %sb:days 0 0", prefix);

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

static hw_err_t raised_from_ids(hw_store_t *s, char *errstr, size_t size);

hw_err_t hw_store_connect(hw_store_t *s, char *errstr, size_t size) {
        redisReply *r;
        hw_err_t err;

        if (s->pending)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "a command sent while the atomic step's "
                               "reply is unread");
        if (s->ctx)
                return HW_OK;
        s->ctx = hw_redis_connect(&s->target, COMMAND_TIMEOUT_MS, &err,
                                  &s->fault, errstr, size);
        if (!s->ctx) {
                forget_values(s);
                return err;
        }
        if ((err = cluster_check(s, errstr, size)) ||
            (err = layout_check(s, errstr, size)) ||
            (err = raised_from_ids(s, errstr, size))) {
                drop_connection(s);
                return err;
        }
        /* The step sends the script with EVAL inside its MULTI (EVALSHA
         * there could meet NOSCRIPT after the other writes applied); loading
         * it here finds a Redis without scripting, or a script it cannot
         * compile, before any step, and caches it compiled. */
        r = redisCommand(s->ctx, "SCRIPT LOAD %s", hw_store_lua);
        if ((err = check_reply(s, r, "SCRIPT LOAD", errstr, size))) {
                drop_connection(s);
                return err;
        }
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

/* A log's text as a GET or GETRANGE reply r gives it (the reply is kept
 * in s->replies, which the text points into). */
static void take_log_text(hw_store_t *s, hw_plan_log_t *lg, redisReply *r) {
        s->replies[s->n_replies++] = r;
        lg->text = r->type == REDIS_REPLY_STRING ? r->str : "";
        lg->len = r->type == REDIS_REPLY_STRING ? r->len : 0;
}

/* Reads again, whole, the logs of the slide whose cached part is not
 * what Redis holds (want[i]: read log i). */
static hw_err_t read_whole_logs(hw_store_t *s, const unsigned char *want,
                                size_t n, char *errstr, size_t size) {
        size_t pending = 0;
        hw_err_t err;

        for (size_t i = 0; i < n; i++)
                if (want[i]) {
                        redisAppendCommand(s->ctx, "GET %sb:%s",
                                           s->conf->prefix, s->logs[i].ymd);
                        pending++;
                }
        for (size_t i = 0; i < n; i++) {
                redisReply *r;
                if (!want[i])
                        continue;
                if ((err = pipelined_reply(s, --pending, "GET b:<day>", &r,
                                           errstr, size)))
                        return err;
                take_log_text(s, &s->logs[i], r);
                s->logs[i].from = 0;
        }
        return HW_OK;
}

hw_err_t hw_store_read_slide(hw_store_t *s, int64_t day, const hw_plan_t *plan,
                             const hw_plan_slide_t **out, char *errstr,
                             size_t size) {
        const hw_config_t *c = s->conf;
        int64_t before = s->watermark >= 0 ? hw_time_day(s->watermark) : -1;
        int64_t largest = c->windows[c->n_windows - 1];
        size_t n_leaving = 0, n = 0, n_stale = 0;
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
        if (hw_grow((void **)&s->replies, &s->replies_cap, 2 * n + 1,
                    sizeof(*s->replies)) ||
            hw_grow((void **)&s->log_stale, &s->log_stale_cap, n + 1,
                    sizeof(*s->log_stale)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        /* One round trip: each log (what follows the part the plan holds
         * and its length, or all of it), then their generations (a log
         * read in part keeps, until they come, the one the plan holds). */
        for (size_t i = 0; i < n; i++) {
                hw_plan_log_t *lg = &s->logs[i];
                if (plan && hw_plan_log_known(plan, s->epoch, lg->day,
                                              &lg->gen, &lg->from)) {
                        redisAppendCommand(s->ctx, "GETRANGE %sb:%s %lld -1",
                                           c->prefix, lg->ymd,
                                           (long long)lg->from);
                        redisAppendCommand(s->ctx, "STRLEN %sb:%s", c->prefix,
                                           lg->ymd);
                } else {
                        redisAppendCommand(s->ctx, "GET %sb:%s", c->prefix,
                                           lg->ymd);
                }
        }
        if (n && append_gens(s, n)) {
                drop_connection(s); /* the GETs queued are not read */
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                hw_plan_log_t *lg = &s->logs[i];
                char what[64];
                snprintf(what, sizeof(what), "GET %sb:%s", c->prefix, lg->ymd);
                if ((err = pipelined_reply(s, 1, what, &r, errstr, size)))
                        return err;
                take_log_text(s, lg, r);
                s->log_stale[i] = 0;
                if (lg->from) {
                        if ((err = pipelined_reply(s, 1, "STRLEN b:<day>", &r,
                                                   errstr, size)))
                                return err;
                        /* Appended to since, or replaced: read whole. */
                        s->log_stale[i] = r->type != REDIS_REPLY_INTEGER ||
                                          (size_t)r->integer !=
                                                  lg->from + lg->len;
                        freeReplyObject(r);
                        lg->len += lg->from;
                }
        }
        if (n) {
                if ((err = pipelined_reply(s, 0, "HMGET b:gen", &r, errstr,
                                           size)))
                        return err;
                for (size_t i = 0; i < n; i++) {
                        hw_plan_log_t *lg = &s->logs[i];
                        int64_t gen = r->type == REDIS_REPLY_ARRAY &&
                                                      i < r->elements &&
                                                      r->element[i]->type ==
                                                              REDIS_REPLY_STRING
                                              ? strtoll(r->element[i]->str,
                                                        NULL, 10)
                                              : 0;
                        /* Compacted since the plan read it: read whole. */
                        s->log_stale[i] |= lg->from && gen != lg->gen;
                        n_stale += s->log_stale[i];
                        lg->gen = gen;
                }
                freeReplyObject(r);
                if (n_stale &&
                    (err = read_whole_logs(s, s->log_stale, n, errstr, size)))
                        return err;
        }
        s->slide.epoch = s->epoch;
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

/* Orders person indexes by bucket (then position). */
static int by_bucket(const void *a, const void *b, void *buckets) {
        const unsigned *bk = buckets;
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        if (bk[i] != bk[j])
                return bk[i] < bk[j] ? -1 : 1;
        return (i > j) - (i < j);
}

hw_err_t hw_store_get_persons(hw_store_t *s, const char *const *ids, size_t n,
                              hw_person_t *out, hw_arena_t *arena,
                              char *errstr, size_t size) {
        size_t *order = malloc((n ? n : 1) * sizeof(*order));
        unsigned *bucket = malloc((n ? n : 1) * sizeof(*bucket));
        const char **argv = malloc((n + 2) * sizeof(*argv));
        size_t *argvlen = malloc((n + 2) * sizeof(*argvlen));
        size_t cmds = 0, i, j;
        hw_err_t err = HW_OK;
        redisReply *r;
        char key[300];

        if (!order || !bucket || !argv || !argvlen) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        if ((err = hw_store_connect(s, errstr, size)))
                goto cleanup;
        for (i = 0; i < n; i++) {
                order[i] = i;
                bucket[i] = hw_person_bucket(ids[i], strlen(ids[i]));
                memset(&out[i], 0, sizeof(out[i]));
        }
        qsort_r(order, n, sizeof(*order), by_bucket, bucket);
        /* One HMGET per bucket, pipelined. */
        for (i = 0; i < n; i = j) {
                int len = snprintf(key, sizeof(key), "%spersons:%u",
                                   s->conf->prefix, bucket[order[i]]);
                argv[0] = "HMGET";
                argvlen[0] = 5;
                argv[1] = key;
                argvlen[1] = (size_t)len;
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]]; j++) {
                        argv[2 + j - i] = ids[order[j]];
                        argvlen[2 + j - i] = strlen(ids[order[j]]);
                }
                redisAppendCommandArgv(s->ctx, (int)(2 + j - i), argv,
                                       argvlen);
                cmds++;
        }
        for (i = 0; i < n; i = j) {
                if ((err = pipelined_reply(s, --cmds, "HMGET persons", &r,
                                           errstr, size)))
                        goto cleanup;
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]]; j++) {
                        const redisReply *e =
                                r->type == REDIS_REPLY_ARRAY &&
                                                j - i < r->elements
                                        ? r->element[j - i]
                                        : NULL;
                        hw_person_t *p = &out[order[j]];
                        if (!e || e->type != REDIS_REPLY_STRING)
                                continue;
                        if (hw_person_unpack(arena, e->str, e->len, p)) {
                                /* A damaged record: treat the person as
                                 * unknown rather than count half of it. */
                                HW_WARN("store", "person %s has a damaged "
                                                 "record; treated as new",
                                        ids[order[j]]);
                                memset(p, 0, sizeof(*p));
                        }
                }
                freeReplyObject(r);
        }
cleanup:
        free(order);
        free(bucket);
        free(argv);
        free(argvlen);
        return err;
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


/* Pushes v in decimal (written straight into the scratch arena). */
static int push_int(hw_store_t *s, int64_t v) {
        char *out = hw_arena_alloc(&s->scratch, 24);
        size_t n;

        if (!out)
                return -1;
        n = hw_decimal(out, v);
        out[n] = '\0';
        return push(s, out, n);
}

static int push_double(hw_store_t *s, double v) {
        char buf[40];
        int n = snprintf(buf, sizeof(buf), "%.17g", v);
        const char *copy = hw_arena_strndup(&s->scratch, buf, (size_t)n);
        return copy ? push(s, copy, (size_t)n) : -1;
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
static int resp_cmd(hw_buf_t *b, size_t argc) {
        if (hw_buf_reserve(b, 24))
                return -1;
        b->len = (size_t)(put_len(b->data + b->len, '*', argc) - b->data);
        return 0;
}

/* One argument, the bytes of a then those of p. */
static int resp_arg2(hw_buf_t *b, const char *a, size_t la, const char *p,
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

static int resp_arg(hw_buf_t *b, const char *p, size_t len) {
        return resp_arg2(b, NULL, 0, p, len);
}

static int resp_str(hw_buf_t *b, const char *p) {
        return resp_arg(b, p, strlen(p));
}

static int resp_int(hw_buf_t *b, int64_t v) {
        char t[24];
        return resp_arg(b, t, hw_decimal(t, v));
}

/* A key: the prefix, then key. */
static int resp_key(hw_store_t *s, hw_buf_t *b, const char *key, size_t len) {
        return resp_arg2(b, s->conf->prefix, strlen(s->conf->prefix), key,
                         len);
}

/* What each reply of round trip 1 is for. */
typedef enum step_read_e {
        READ_WATCH,
        READ_FENCES,    /* MGET epoch watermark offsets... */
        READ_STEPS,     /* GET steps */
        READ_TURN,      /* GET turn */
        READ_LEAVING,   /* the days whose logs the slide read */
        READ_GONE,      /* the days that leave the largest window */
        READ_GONE_SEEN, /* the days whose ids are forgotten */
        READ_LOG,       /* STRLEN of log i */
        READ_GENS,      /* HMGET b:gen of the logs */
        READ_TYPE,      /* TYPE key: want */
        READ_COUNTER,   /* HMGET / ZMSCORE of plan key i's fields */
        READ_FLOW,      /* HMGET flow:<W>:in (i = 2w) or out (2w + 1) */
        READ_RAID,      /* HMGET raid of the step's raid pairs */
        READ_RAISED,    /* HMGET alert:raid of the plan's raid pairs */
        READ_LAB_NAME,  /* HGET lab:<key> name */
        READ_ALERT_IDS, /* SMISMEMBER alert:ids of the batch's alerts */
} step_read_t;

typedef struct hw_step_read_s {
        step_read_t what;
        size_t i;
        const char *key, *want;
} hw_step_read_t;

/* Queues a read of round trip 1. */
static int want_read(hw_store_t *s, step_read_t what, size_t i,
                     const char *key, const char *want) {
        if (hw_grow((void **)&s->reads, &s->reads_cap, s->n_reads + 1,
                    sizeof(*s->reads)))
                return -1;
        s->reads[s->n_reads++] = (hw_step_read_t){what, i, key, want};
        return 0;
}

/* Queues TYPE of the key prefix+a+p (once per step): a key the step
 * writes must be absent or of type want. */
static int want_type_in(hw_store_t *s, const char *prefix, const char *a,
                        const char *p, size_t len, const char *want) {
        size_t lp = strlen(prefix), la = strlen(a);
        char *key = hw_arena_alloc(&s->scratch, lp + la + len + 1);
        hw_map_entry_t *e;
        int created;

        if (!key)
                return -1;
        memcpy(key, prefix, lp);
        memcpy(key + lp, a, la);
        memcpy(key + lp + la, p, len);
        key[lp + la + len] = '\0';
        e = hw_map_upsert(&s->typed, key, lp + la + len, &created);
        if (!e)
                return -1;
        if (!created)
                return 0;
        return resp_cmd(&s->cmd, 2) || resp_str(&s->cmd, "TYPE") ||
               resp_arg(&s->cmd, key, lp + la + len) ||
               want_read(s, READ_TYPE, 0, key, want);
}

static int want_type(hw_store_t *s, const char *a, const char *p,
                     size_t len, const char *want) {
        return want_type_in(s, s->conf->prefix, a, p, len, want);
}

/* The logs the slide read: the leaving ones, then those read only to be
 * compacted. */
static size_t slide_logs(const hw_store_t *s) {
        size_t n = s->slide.n_leaving;
        if (s->slide.compact &&
            (size_t)(s->slide.compact - s->logs) + s->slide.n_compact > n)
                n = (size_t)(s->slide.compact - s->logs) + s->slide.n_compact;
        return n;
}

/* Whether the plan moves the watermark's day (so the slide applies). */
/* Whether the step writes the batch's alerts (those the processors
 * raised) with native commands: then round trip 1 watches and reads
 * alert:ids for them. */
static int native_alerts(const hw_store_t *s, const hw_deltas_t *d) {
        return s->raise_alerts && d->alerts.count > 0;
}

/* RESP of the alerts prefix's key AP<name>. */
static int resp_alert_key(hw_store_t *s, hw_buf_t *b, const char *name) {
        char key[600];
        int n = snprintf(key, sizeof(key), "%s%s",
                         hw_config_alerts_prefix(s->conf), name);
        return n <= 0 || (size_t)n >= sizeof(key) ||
               resp_arg(b, key, (size_t)n);
}

static int slides(const hw_store_t *s, const hw_plan_t *plan) {
        return s->slide.day >= 0 && plan->day > s->slide.day;
}

/* A pair of the raid index the step reads and writes (processors/hw_raid.h). */
typedef struct raid_pair_s {
        const char *field;      /* "<lab-slug>:<org-slug>" */
        size_t len;
        hw_raid_hire_t *list;   /* its hires, as the step leaves them */
        size_t n;
        int stored;             /* <prefix>raid has the field now */
        int64_t *raised;        /* the days of its raids raised before */
        size_t n_raised;
        int changed;            /* the step changes its hires */
        int raises;             /* the step raises a raid of it */
} raid_pair_t;

/* Whether the step judges raids to raise them: it then reads the pairs'
 * raids raised (alert:raid, watched) and the labs' names. */
static int raid_alerts(const hw_store_t *s, const hw_plan_t *plan) {
        return s->conf->alert_raid && s->raise_alerts && plan->n_raids;
}

/* Adds pair field (copied) to s->rpairs unless there. -1 when out of
 * memory. */
static int add_rpair(hw_store_t *s, const char *field, size_t len) {
        int created;
        hw_map_entry_t *e = hw_map_upsert(&s->rpair_map, field, len, &created);
        if (!e || (created && hw_grow((void **)&s->rpairs, &s->rpairs_cap,
                                      s->n_rpairs + 1, sizeof(*s->rpairs))))
                return -1;
        if (created) {
                e->v.i = (int64_t)s->n_rpairs;
                s->rpairs[s->n_rpairs++] =
                        (raid_pair_t){e->key, len, NULL, 0, 0, NULL, 0, 0, 0};
        }
        return 0;
}

/* The step's raid pairs into s->rpairs: the plan's (pair i its raid i),
 * then, when the slide applies, those it prunes. -1 when out of memory. */
static int raid_pairs(hw_store_t *s, const hw_plan_t *plan, int slid) {
        char field[600];
        hw_map_clear(&s->rpair_map);
        s->n_rpairs = 0;
        if (!s->conf->alert_raid)
                return 0;
        for (size_t i = 0; i < plan->n_raids; i++) {
                const hw_plan_raid_t *r = &plan->raids[i];
                int n = snprintf(field, sizeof(field), "%s:%s", r->lab_slug,
                                 r->org_slug);
                if (n <= 0 || (size_t)n >= sizeof(field) ||
                    add_rpair(s, field, (size_t)n))
                        return -1;
        }
        for (size_t i = 0; slid && i < plan->n_prunes; i++) {
                const char *p = plan->prunes[i]; /* raid:<lab>:<org> */
                if (strncmp(p, "raid:", 5))
                        continue;
                if (add_rpair(s, p + 5, strlen(p + 5)))
                        return -1;
        }
        return 0;
}

/* The countries whose flow in or out the plan changes, per window, into
 * s->codes (see hw_store_s). Returns the windows with any, -1 when out of
 * memory. */
static int touched_flows(hw_store_t *s, const hw_plan_t *plan) {
        const hw_config_t *c = s->conf;
        int n = 0;

        hw_map_clear(&s->codes);
        for (size_t w = 0; w <= c->n_windows; w++) {
                if (w == 0)
                        snprintf(s->wname[w], sizeof(s->wname[w]), "all");
                else
                        snprintf(s->wname[w], sizeof(s->wname[w]), "%dd",
                                 c->windows[w - 1]);
        }
        for (size_t w = 0; w <= c->n_windows; w++) {
                size_t lw = strlen(s->wname[w]);
                s->win_first[w] = s->codes.count;
                for (size_t i = 0; i < plan->n_keys; i++) {
                        const hw_plan_key_t *k = &plan->keys[i];
                        int out;
                        if (k->len < 5 + lw + 3 || memcmp(k->key, "flow:", 5) ||
                            memcmp(k->key + 5, s->wname[w], lw))
                                continue;
                        if (k->len == 5 + lw + 3 &&
                            !memcmp(k->key + 5 + lw, ":in", 3))
                                out = 0;
                        else if (k->len == 5 + lw + 4 &&
                                 !memcmp(k->key + 5 + lw, ":out", 4))
                                out = 1;
                        else
                                continue;
                        for (size_t j = 0; j < k->n; j++) {
                                const hw_plan_change_t *ch =
                                        &plan->changes[k->first + j];
                                char key[64];
                                hw_map_entry_t *e;
                                int created;
                                if (ch->len + 1 > sizeof(key))
                                        continue; /* not a country code */
                                key[0] = (char)(w + 1);
                                memcpy(key + 1, ch->field, ch->len);
                                e = hw_map_upsert(&s->codes, key, ch->len + 1,
                                                  &created);
                                if (!e)
                                        return -1;
                                if (created) {
                                        e->v.i = 0;
                                        e->aux = 0;
                                }
                                if (out)
                                        e->aux += ch->delta;
                                else
                                        e->v.i += ch->delta;
                        }
                }
                n += s->codes.count > s->win_first[w];
        }
        s->win_first[c->n_windows + 1] = s->codes.count;
        return n;
}

/* Whether plan change at (of key k) has a value this step need not read. */
static int known(const hw_store_t *s, const hw_plan_t *plan,
                 const hw_plan_key_t *k, size_t at) {
        size_t slot = plan->changes[at].slot;
        return s->vals_used && !k->zset && slot < s->vals_cap &&
               s->known[slot];
}

/* Keeps the counters' values an applied step left (after[i]: change i's);
 * steps_after is <prefix>steps after it. */
static void keep_values(hw_store_t *s, const hw_plan_t *plan,
                        const int64_t *after, int64_t steps_after) {
        if (s->vals_cap < plan->n_slots) {
                size_t cap = plan->n_slots + plan->n_slots / 2 + 1024;
                int64_t *v = realloc(s->vals, cap * sizeof(*v));
                unsigned char *k = v ? realloc(s->known, cap) : NULL;
                if (v)
                        s->vals = v;
                if (!k) {
                        forget_values(s);
                        return;
                }
                memset(k + s->vals_cap, 0, cap - s->vals_cap);
                s->known = k;
                s->vals_cap = cap;
        }
        if (s->vals_gen != plan->generation) {
                if (s->known)
                        memset(s->known, 0, s->vals_cap);
                s->vals_gen = plan->generation;
        }
        for (size_t i = 0; i < plan->n_keys; i++) {
                const hw_plan_key_t *k = &plan->keys[i];
                for (size_t j = 0; !k->zset && j < k->n; j++) {
                        size_t slot = plan->changes[k->first + j].slot;
                        s->vals[slot] = after[k->first + j];
                        s->known[slot] = 1;
                }
        }
        s->steps_after = steps_after;
}

/* The name the batch sets for lab slug, or NULL. */
static const char *batch_lab_name(const hw_deltas_t *d, const char *slug) {
        char key[640];
        int n = snprintf(key, sizeof(key), "%c%clab:%s%cname", HW_DELTA_SET,
                         0, slug, 0);
        const hw_map_entry_t *set =
                n > 0 && (size_t)n < sizeof(key)
                        ? hw_map_find(&d->counters, key, (size_t)n)
                        : NULL;
        return set ? set->v.p : NULL;
}

static int build_reads(hw_store_t *s, const hw_store_offset_t *offsets,
                       size_t n_offsets, char (*keys)[512],
                       const hw_deltas_t *d, const hw_plan_t *plan) {
        const hw_config_t *c = s->conf;
        const char *AP = hw_config_alerts_prefix(c);
        hw_buf_t *b = &s->cmd;
        size_t n_logs = slide_logs(s);
        int slid = slides(s, plan), rc = 0, na = native_alerts(s, d);
        int ra = raid_alerts(s, plan);
        int64_t largest = c->windows[c->n_windows - 1];
        char ymdkey[16];

        for (size_t i = 0; i < n_offsets; i++)
                hw_store_offset_key(s, offsets[i].topic, offsets[i].partition,
                                    keys[i], sizeof(keys[i]));
        /* WATCH, then read what is watched. */
        rc |= raid_pairs(s, plan, slid) ||
              resp_cmd(b, 5 + n_offsets + (slid ? 2 : 0) + n_logs + na + ra) ||
              resp_str(b, "WATCH") || resp_key(s, b, "epoch", 5) ||
              resp_key(s, b, "steps", 5) || resp_key(s, b, "turn", 4) ||
              resp_key(s, b, "watermark", 9);
        for (size_t i = 0; i < n_offsets && !rc; i++)
                rc |= resp_str(b, keys[i]);
        if (slid)
                rc |= resp_key(s, b, "b:days", 6) ||
                      resp_key(s, b, "seen:days", 9);
        for (size_t i = 0; i < n_logs && !rc; i++) {
                snprintf(ymdkey, sizeof(ymdkey), "b:%s", s->logs[i].ymd);
                rc |= resp_key(s, b, ymdkey, strlen(ymdkey));
        }
        if (na)
                rc |= resp_alert_key(s, b, "alert:ids");
        if (ra)
                rc |= resp_alert_key(s, b, "alert:raid");
        rc |= want_read(s, READ_WATCH, 0, NULL, NULL);
        rc |= resp_cmd(b, 3 + n_offsets) || resp_str(b, "MGET") ||
              resp_key(s, b, "epoch", 5) || resp_key(s, b, "watermark", 9);
        for (size_t i = 0; i < n_offsets && !rc; i++)
                rc |= resp_str(b, keys[i]);
        rc |= want_read(s, READ_FENCES, 0, NULL, NULL);
        rc |= resp_cmd(b, 2) || resp_str(b, "GET") ||
              resp_key(s, b, "steps", 5) ||
              want_read(s, READ_STEPS, 0, NULL, NULL);
        rc |= resp_cmd(b, 2) || resp_str(b, "GET") ||
              resp_key(s, b, "turn", 4) ||
              want_read(s, READ_TURN, 0, NULL, NULL);
        if (slid) {
                char lo[32];
                snprintf(lo, sizeof(lo), "(%lld",
                         (long long)(s->slide.day - largest));
                rc |= resp_cmd(b, 4) || resp_str(b, "ZRANGEBYSCORE") ||
                      resp_key(s, b, "b:days", 6) || resp_str(b, lo) ||
                      resp_int(b, plan->day - c->windows[0]) ||
                      want_read(s, READ_LEAVING, 0, NULL, NULL);
                rc |= resp_cmd(b, 4) || resp_str(b, "ZRANGEBYSCORE") ||
                      resp_key(s, b, "b:days", 6) || resp_str(b, "-inf") ||
                      resp_int(b, plan->day - largest) ||
                      want_read(s, READ_GONE, 0, NULL, NULL);
                rc |= resp_cmd(b, 4) || resp_str(b, "ZRANGEBYSCORE") ||
                      resp_key(s, b, "seen:days", 9) || resp_str(b, "-inf") ||
                      resp_int(b, plan->day - c->seen_days) ||
                      want_read(s, READ_GONE_SEEN, 0, NULL, NULL);
        }
        for (size_t i = 0; i < n_logs && !rc; i++) {
                snprintf(ymdkey, sizeof(ymdkey), "b:%s", s->logs[i].ymd);
                rc |= resp_cmd(b, 2) || resp_str(b, "STRLEN") ||
                      resp_key(s, b, ymdkey, strlen(ymdkey)) ||
                      want_read(s, READ_LOG, i, NULL, NULL);
        }
        if (n_logs && !rc) {
                rc |= resp_cmd(b, 2 + n_logs) || resp_str(b, "HMGET") ||
                      resp_key(s, b, "b:gen", 5);
                for (size_t i = 0; i < n_logs && !rc; i++)
                        rc |= resp_arg(b, s->logs[i].ymd, 8);
                rc |= want_read(s, READ_GENS, 0, NULL, NULL);
        }
        /* The type of every key the step writes without reading it. */
        rc |= want_type(s, "watermark", "", 0, "string") ||
              want_type(s, "b:days", "", 0, "zset") ||
              want_type(s, "b:gen", "", 0, "hash") ||
              want_type(s, "seen:days", "", 0, "zset");
        if (s->n_ends) {
                char ends[300];
                snprintf(ends, sizeof(ends), "ends:%s", s->group);
                rc |= want_type(s, ends, "", 0, "hash");
        }
        for (size_t i = 0; i < plan->n_days && !rc; i++)
                rc |= want_type(s, "b:", plan->days[i].ymd, 8, "string");
        for (size_t i = 0; i < plan->n_seen && !rc; i++)
                rc |= want_type(s, "seen:", plan->seen[i].ymd, 8, "set");
        if (s->n_rpairs)
                rc |= want_type(s, "raid", "", 0, "hash");
        for (size_t i = 0; i < plan->n_raids && !rc; i++) {
                const hw_plan_raid_t *r = &plan->raids[i];
                rc |= want_type(s, "lab:", r->lab_slug, strlen(r->lab_slug),
                                "hash");
        }
        for (size_t i = 0; i < d->counters.count && !rc; i++) {
                const hw_map_entry_t *e = &d->counters.entries[i];
                const char *parts[4];
                if (e->key[0] != HW_DELTA_SET)
                        continue;
                if (hw_deltas_parts(e, parts) < 3)
                        return -1;
                rc |= want_type(s, "", parts[1], strlen(parts[1]), "hash");
        }
        for (size_t i = 0; i < d->persons.count && !rc; i++) {
                char bucket[16];
                int len = snprintf(bucket, sizeof(bucket), "%u",
                                   hw_person_bucket(
                                           d->persons.entries[i].key,
                                           d->persons.entries[i].len));
                rc |= want_type(s, "persons:", bucket, (size_t)len, "hash");
        }
        for (size_t w = 0; w <= c->n_windows && !rc; w++) {
                char base[64];
                if (w == 0)
                        snprintf(base, sizeof(base), "flow:all:");
                else
                        snprintf(base, sizeof(base), "flow:%dd:",
                                 c->windows[w - 1]);
                rc |= want_type(s, base, "net", 3, "zset") ||
                      want_type(s, base, "index", 5, "zset");
                for (size_t g = 0; g < c->n_groups && !rc; g++) {
                        char idx[128];
                        int m = snprintf(idx, sizeof(idx), "index:%s",
                                         c->group_names[g]);
                        rc |= want_type(s, base, idx, (size_t)m, "zset");
                }
        }
        /* The alert keys live under the alerts prefix. */
        {
                const char *alert_keys[][2] = {{"alert:ids", "set"},
                                               {"alert:drain", "hash"},
                                               {"alert:raid", "hash"},
                                               {"alerts", "stream"},
                                               {"alerts:relayed", "string"},
                                               {"alerts:webhook", "string"}};
                size_t n_alert_keys = 4 + (c->alerts_relay ? 1 : 0);
                for (size_t i = 0; i < n_alert_keys && !rc; i++)
                        rc |= want_type_in(s, AP, alert_keys[i][0], "",
                                           0, alert_keys[i][1]);
                if (c->alert_webhook_url && !rc)
                        rc |= want_type_in(s, AP, alert_keys[5][0], "", 0,
                                           alert_keys[5][1]);
        }
        /* What the step computes its writes from: the counters it
         * changes, the flow in and out of the countries whose flow changes
         * (their index), the raid index of the batch's pairs. Only steps
         * write them, and every step increments <prefix>steps, watched:
         * another step in between makes this one apply nothing. */
        if (touched_flows(s, plan) < 0)
                return -1;
        /* Counters: every field's value now (checked to be a number),
         * but those this consumer's last step left when no other step
         * applied since (known; round trip 1 checks <prefix>steps). */
        s->vals_used = s->vals_trusted && s->steps_after >= 0 &&
                       s->vals_gen == plan->generation;
        for (size_t i = 0; i < plan->n_keys && !rc; i++) {
                const hw_plan_key_t *k = &plan->keys[i];
                size_t n = 0;
                for (size_t j = 0; j < k->n; j++)
                        n += !known(s, plan, k, k->first + j);
                s->n_unread[i] = n;
                if (!n) {
                        rc |= want_type(s, "", k->key, k->len, "hash");
                        continue;
                }
                rc |= resp_cmd(b, 2 + n) ||
                      resp_str(b, k->zset ? "ZMSCORE" : "HMGET") ||
                      resp_key(s, b, k->key, k->len);
                for (size_t j = 0; j < k->n && !rc; j++)
                        if (!known(s, plan, k, k->first + j))
                                rc |= resp_arg(
                                        b, plan->changes[k->first + j].field,
                                        plan->changes[k->first + j].len);
                rc |= want_read(s, READ_COUNTER, i, NULL, NULL);
        }
        for (size_t w = 0; w <= c->n_windows && !rc; w++) {
                size_t first = s->win_first[w], end = s->win_first[w + 1];
                if (first == end)
                        continue;
                for (int io = 0; io < 2 && !rc; io++) {
                        char fk[64];
                        int len = snprintf(fk, sizeof(fk), "flow:%s:%s",
                                           s->wname[w], io ? "out" : "in");
                        rc |= resp_cmd(b, 2 + end - first) ||
                              resp_str(b, "HMGET") ||
                              resp_key(s, b, fk, (size_t)len);
                        for (size_t k = first; k < end && !rc; k++)
                                rc |= resp_arg(b, s->codes.entries[k].key + 1,
                                               s->codes.entries[k].len - 1);
                        rc |= want_read(s, READ_FLOW, 2 * w + (size_t)io, NULL,
                                        NULL);
                }
        }
        /* The raid index of the step's pairs (the raids are judged on
         * it in C, see judge_raids), and to raise raids, the days of
         * those raised of the plan's pairs (watched) and the name of
         * every lab the batch does not name. */
        if (s->n_rpairs && !rc) {
                rc |= resp_cmd(b, 2 + s->n_rpairs) || resp_str(b, "HMGET") ||
                      resp_key(s, b, "raid", 4);
                for (size_t i = 0; i < s->n_rpairs && !rc; i++)
                        rc |= resp_arg(b, s->rpairs[i].field,
                                       s->rpairs[i].len);
                rc |= want_read(s, READ_RAID, 0, NULL, NULL);
        }
        hw_map_clear(&s->lab_names);
        if (ra && !rc) {
                rc |= resp_cmd(b, 2 + plan->n_raids) || resp_str(b, "HMGET") ||
                      resp_alert_key(s, b, "alert:raid");
                for (size_t i = 0; i < plan->n_raids && !rc; i++)
                        rc |= resp_arg(b, s->rpairs[i].field,
                                       s->rpairs[i].len);
                rc |= want_read(s, READ_RAISED, 0, NULL, NULL);
        }
        for (size_t i = 0; ra && i < plan->n_raids && !rc; i++) {
                const char *slug = plan->raids[i].lab_slug;
                size_t len = strlen(slug);
                char key[600];
                int created, n;
                hw_map_entry_t *e;
                if (batch_lab_name(d, slug))
                        continue;
                e = hw_map_upsert(&s->lab_names, slug, len, &created);
                n = snprintf(key, sizeof(key), "lab:%s", slug);
                if (!e || n <= 0 || (size_t)n >= sizeof(key))
                        return -1;
                if (created)
                        rc |= resp_cmd(b, 3) || resp_str(b, "HGET") ||
                              resp_key(s, b, key, (size_t)n) ||
                              resp_str(b, "name") ||
                              want_read(s, READ_LAB_NAME, 0, e->key, NULL);
        }
        /* Which of the batch's alerts were raised before (watched). */
        if (na && !rc) {
                rc |= resp_cmd(b, 2 + d->alerts.count) ||
                      resp_str(b, "SMISMEMBER") ||
                      resp_alert_key(s, b, "alert:ids");
                for (size_t i = 0; i < d->alerts.count && !rc; i++)
                        rc |= resp_arg(b, d->alerts.entries[i].key,
                                       d->alerts.entries[i].len);
                rc |= want_read(s, READ_ALERT_IDS, 0, NULL, NULL);
        }
        return rc;
}

/* Parses a counter's value as Redis's HINCRBY does: an optional '-', then
 * digits without a leading zero, within int64. -1 if it is not one. */
static int parse_counter(const char *p, size_t len, int64_t *out) {
        char buf[24], *end;
        long long v;

        if (!len || len > 20 || (p[0] == '0' && len > 1) ||
            (p[0] == '-' && (len == 1 || p[1] == '0')) ||
            !((p[0] >= '0' && p[0] <= '9') || p[0] == '-'))
                return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (errno || *end)
                return -1;
        *out = v;
        return 0;
}

/* What round trip 1 found that the writes need. */
typedef struct step_found_s {
        int64_t watermark;      /* stored, -1 = none */
        const redisReply *gone, *gone_seen;
        int64_t *len, *gen;     /* of each log the slide read, now */
        int64_t *after;         /* each counter change's new value */
        double *zafter;         /* the same, for a sorted set's */
        int64_t *in, *out;      /* new flow in/out of each entry of codes */
} step_found_t;

/* Whether r is an array of n replies. */
static int is_array(const redisReply *r, size_t n) {
        return r->type == REDIS_REPLY_ARRAY && r->elements == n;
}

/* The refusal of a step whose read of prefix+key got r, not the array it
 * asked for. */
static hw_err_t not_array(const redisReply *r, const char *prefix,
                          const char *key, char *errstr, size_t size) {
        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                       "Redis atomic step: %s (%s%s)",
                       r->type == REDIS_REPLY_ERROR ? r->str
                                                    : "unexpected reply",
                       prefix, key);
}

/* A refusal: the error a step Redis would refuse gets (nothing written). */
#define REFUSED(...) hw_fail(HW_ERR_INTERNAL, errstr, size, __VA_ARGS__)

/*
 * Checks round trip 1's replies in order: HW_OK with *outcome APPLIED when
 * the step can go on, FENCED or STALE (errstr saying what moved) when it
 * must not; HW_ERR_INTERNAL naming the key for a step Redis would refuse.
 */
static hw_err_t check_reads(hw_store_t *s, redisReply **rep,
                            const hw_store_offset_t *offsets,
                            size_t n_offsets, char (*keys)[512],
                            const hw_deltas_t *d, const hw_plan_t *plan,
                            step_found_t *f, hw_store_outcome_t *outcome,
                            char *errstr, size_t size) {
        const char *P = s->conf->prefix;
        size_t n_logs = slide_logs(s);

        *outcome = HW_STORE_APPLIED;
        for (size_t k = 0; k < s->n_reads; k++) {
                const hw_step_read_t *rd = &s->reads[k];
                const redisReply *r = rep[k];
                if (r->type == REDIS_REPLY_ERROR &&
                    (hw_redis_fault(r->str) != HW_REDIS_REFUSED ||
                     (rd->what != READ_LOG && rd->what != READ_COUNTER &&
                      rd->what != READ_RAID && rd->what != READ_RAISED &&
                      rd->what != READ_LAB_NAME)))
                        return error_reply(s, r, "atomic step", errstr,
                                           size);
                switch (rd->what) {
                case READ_WATCH:
                        break;
                case READ_FENCES: {
                        const redisReply *e;
                        const char *epoch;
                        int64_t new_wm, d_old, d_new;
                        if (r->type != REDIS_REPLY_ARRAY ||
                            r->elements != 2 + n_offsets)
                                return REFUSED("Redis atomic step: "
                                               "unexpected reply to MGET");
                        e = r->element[0];
                        epoch = e->type == REDIS_REPLY_STRING ? e->str : "";
                        if (strcmp(epoch, s->epoch)) {
                                *outcome = HW_STORE_FENCED;
                                hw_fail(HW_OK, errstr, size,
                                        "%sepoch holds \"%s\"", P, epoch);
                                return HW_OK;
                        }
                        for (size_t i = 0; i < n_offsets; i++) {
                                e = r->element[2 + i];
                                if ((e->type == REDIS_REPLY_STRING
                                             ? strtoll(e->str, NULL, 10)
                                             : -1) != offsets[i].expected) {
                                        *outcome = HW_STORE_FENCED;
                                        hw_fail(HW_OK, errstr, size,
                                                "%s holds \"%s\"", keys[i],
                                                e->type == REDIS_REPLY_STRING
                                                        ? e->str
                                                        : "");
                                        return HW_OK;
                                }
                        }
                        e = r->element[1];
                        f->watermark = -1;
                        if (e->type == REDIS_REPLY_STRING &&
                            parse_counter(e->str, e->len, &f->watermark))
                                return REFUSED("Redis atomic step: hirewire "
                                               "store: %swatermark is not a "
                                               "number",
                                               P);
                        new_wm = f->watermark > d->watermark ? f->watermark
                                                             : d->watermark;
                        d_old = f->watermark >= 0 ? hw_time_day(f->watermark)
                                                  : -1;
                        d_new = new_wm >= 0 ? hw_time_day(new_wm) : -1;
                        if (d_old != s->slide.day || d_new != plan->day) {
                                *outcome = HW_STORE_STALE;
                                s->watermark = f->watermark;
                                hw_fail(HW_OK, errstr, size,
                                        "%swatermark holds \"%s\"", P,
                                        e->type == REDIS_REPLY_STRING ? e->str
                                                                      : "");
                                return HW_OK;
                        }
                        break;
                }
                case READ_LEAVING:
                        if (r->elements != s->slide.n_leaving)
                                goto stale_days;
                        for (size_t i = 0; i < r->elements; i++)
                                if (r->element[i]->len != 8 ||
                                    memcmp(r->element[i]->str,
                                           s->logs[i].ymd, 8))
                                        goto stale_days;
                        break;
                case READ_GONE:
                        f->gone = r;
                        break;
                case READ_GONE_SEEN:
                        f->gone_seen = r;
                        break;
                case READ_LOG:
                        if (r->type != REDIS_REPLY_INTEGER)
                                return REFUSED("Redis atomic step: WRONGTYPE "
                                               "hirewire store: %sb:%s is "
                                               "not a bucket log",
                                               P, s->logs[rd->i].ymd);
                        f->len[rd->i] = r->integer;
                        if (rd->i < s->slide.n_leaving &&
                            (size_t)r->integer != s->logs[rd->i].len) {
                                *outcome = HW_STORE_STALE;
                                hw_fail(HW_OK, errstr, size,
                                        "%sb:%s was written to", P,
                                        s->logs[rd->i].ymd);
                                return HW_OK;
                        }
                        break;
                case READ_GENS:
                        for (size_t i = 0; i < n_logs; i++) {
                                const redisReply *e =
                                        i < r->elements ? r->element[i] : NULL;
                                f->gen[i] = e && e->type == REDIS_REPLY_STRING
                                                    ? strtoll(e->str, NULL, 10)
                                                    : 0;
                                if (i < s->slide.n_leaving &&
                                    f->gen[i] != s->logs[i].gen) {
                                        hw_fail(HW_OK, errstr, size,
                                                "%sb:%s was compacted", P,
                                                s->logs[i].ymd);
                                        *outcome = HW_STORE_STALE;
                                        return HW_OK;
                                }
                        }
                        break;
                case READ_TYPE:
                        if (r->type == REDIS_REPLY_STATUS &&
                            strcmp(r->str, "none") &&
                            strcmp(r->str, rd->want))
                                return REFUSED("Redis atomic step: WRONGTYPE "
                                               "hirewire store: %s is a %s, "
                                               "not a %s",
                                               rd->key, r->str, rd->want);
                        break;
                case READ_TURN:
                        if (r->type == REDIS_REPLY_STRING &&
                            strcmp(r->str, s->id)) {
                                /* Another consumer's turn: let its step
                                 * apply first. */
                                s->others_turn = 1;
                                *outcome = HW_STORE_STALE;
                                hw_fail(HW_OK, errstr, size,
                                        "another consumer's turn");
                                return HW_OK;
                        }
                        break;
                case READ_STEPS:
                        s->steps_seen = -2;
                        if (r->type == REDIS_REPLY_NIL)
                                s->steps_seen = 0;
                        else if (r->type == REDIS_REPLY_STRING &&
                                 parse_counter(r->str, r->len,
                                               &s->steps_seen))
                                s->steps_seen = -2;
                        if (s->steps_seen == s->steps_after) {
                                s->vals_trusted = 1;
                                break;
                        }
                        forget_values(s);
                        if (s->vals_used) {
                                /* Planned on values another step changed:
                                 * read them all. */
                                *outcome = HW_STORE_STALE;
                                hw_fail(HW_OK, errstr, size,
                                        "another step applied since this "
                                        "consumer's last");
                                return HW_OK;
                        }
                        break;
                case READ_COUNTER: {
                        const hw_plan_key_t *pk = &plan->keys[rd->i];
                        size_t at = 0;
                        if (r->type == REDIS_REPLY_ERROR)
                                return REFUSED("Redis atomic step: %s (%s%.*s)",
                                               r->str, P, (int)pk->len,
                                               pk->key);
                        if (r->type != REDIS_REPLY_ARRAY ||
                            r->elements != s->n_unread[rd->i])
                                return REFUSED("Redis atomic step: unexpected "
                                               "reply reading %s%.*s",
                                               P, (int)pk->len, pk->key);
                        for (size_t j = 0; pk->zset && j < pk->n; j++) {
                                const redisReply *e = r->element[j];
                                f->zafter[pk->first + j] =
                                        (e->type == REDIS_REPLY_STRING
                                                 ? strtod(e->str, NULL)
                                                 : 0) +
                                        (double)plan->changes[pk->first + j]
                                                .delta;
                        }
                        for (size_t j = 0; !pk->zset && j < pk->n; j++) {
                                const redisReply *e;
                                const hw_plan_change_t *ch =
                                        &plan->changes[pk->first + j];
                                int64_t v = 0, sum;
                                if (known(s, plan, pk, pk->first + j))
                                        continue; /* below */
                                e = r->element[at++];
                                if (e->type == REDIS_REPLY_STRING &&
                                    parse_counter(e->str, e->len, &v))
                                        return REFUSED(
                                                "Redis atomic step: hirewire "
                                                "store: %s%.*s %.*s holds "
                                                "\"%.*s\", not a number",
                                                P, (int)pk->len, pk->key,
                                                (int)ch->len, ch->field,
                                                (int)e->len, e->str);
                                if (__builtin_add_overflow(v, ch->delta, &sum))
                                        return REFUSED(
                                                "Redis atomic step: hirewire "
                                                "store: %s%.*s %.*s would "
                                                "overflow",
                                                P, (int)pk->len, pk->key,
                                                (int)ch->len, ch->field);
                                f->after[pk->first + j] = sum;
                        }
                        break;
                }
                case READ_FLOW: {
                        size_t w = rd->i / 2, first = s->win_first[w];
                        int io = (int)(rd->i % 2);
                        for (size_t k = first; k < s->win_first[w + 1]; k++) {
                                const hw_map_entry_t *e = &s->codes.entries[k];
                                const redisReply *v =
                                        k - first < r->elements
                                                ? r->element[k - first]
                                                : NULL;
                                int64_t now = 0;
                                if (v && v->type == REDIS_REPLY_STRING &&
                                    parse_counter(v->str, v->len, &now))
                                        now = 0;
                                if (io)
                                        f->out[k] = now + e->aux;
                                else
                                        f->in[k] = now + e->v.i;
                        }
                        break;
                }
                case READ_RAID:
                        if (!is_array(r, s->n_rpairs))
                                return not_array(r, P, "raid", errstr, size);
                        for (size_t i = 0; i < s->n_rpairs; i++) {
                                raid_pair_t *rp = &s->rpairs[i];
                                const redisReply *v = r->element[i];
                                size_t extra = i < plan->n_raids
                                                       ? plan->raids[i].n_ev
                                                       : 0;
                                rp->stored = v->type == REDIS_REPLY_STRING;
                                if (hw_raid_decode(rp->stored ? v->str : "",
                                                   rp->stored ? v->len : 0,
                                                   extra, &s->scratch,
                                                   &rp->list, &rp->n))
                                        return errno == ENOMEM
                                                       ? hw_fail(HW_ERR_NOMEM,
                                                                 errstr, size,
                                                                 "out of "
                                                                 "memory")
                                                       : REFUSED(
                                                   "Redis atomic step: "
                                                   "%sraid field %s is not "
                                                   "a raid index "
                                                   "(docs/redis-keys.md)",
                                                   P, rp->field);
                        }
                        break;
                case READ_RAISED:
                        if (!is_array(r, plan->n_raids))
                                return not_array(
                                        r, hw_config_alerts_prefix(s->conf),
                                        "alert:raid", errstr, size);
                        for (size_t i = 0; i < plan->n_raids; i++) {
                                raid_pair_t *rp = &s->rpairs[i];
                                const redisReply *v = r->element[i];
                                size_t cap;
                                int n;
                                if (v->type != REDIS_REPLY_STRING)
                                        continue;
                                cap = v->len / 2 + 1;
                                rp->raised = hw_arena_alloc(
                                        &s->scratch,
                                        cap * sizeof(*rp->raised));
                                if (!rp->raised)
                                        return hw_fail(HW_ERR_NOMEM, errstr,
                                                       size, "out of memory");
                                n = hw_raid_days_decode(v->str, v->len,
                                                        rp->raised, cap);
                                if (n < 0)
                                        return REFUSED(
                                                "Redis atomic step: "
                                                "%salert:raid field %s is "
                                                "not a list of days "
                                                "(docs/redis-keys.md)",
                                                hw_config_alerts_prefix(
                                                        s->conf),
                                                rp->field);
                                rp->n_raised = (size_t)n;
                        }
                        break;
                case READ_LAB_NAME: {
                        hw_map_entry_t *e = hw_map_find(
                                &s->lab_names, rd->key, strlen(rd->key));
                        if (r->type == REDIS_REPLY_ERROR)
                                return REFUSED("Redis atomic step: %s "
                                               "(%slab:%s)",
                                               r->str, P, rd->key);
                        if (e)
                                e->v.p = r->type == REDIS_REPLY_STRING ? r
                                                                       : NULL;
                        break;
                }
                case READ_ALERT_IDS:
                        if (r->type != REDIS_REPLY_ARRAY ||
                            r->elements != d->alerts.count)
                                return REFUSED("Redis atomic step: unexpected "
                                               "reply reading %salert:ids",
                                               hw_config_alerts_prefix(
                                                       s->conf));
                        for (size_t i = 0; i < r->elements; i++)
                                s->alert_new[i] =
                                        r->element[i]->type ==
                                                REDIS_REPLY_INTEGER &&
                                        r->element[i]->integer == 0;
                        break;
                }
        }
        /* The counters whose value this consumer's last step left. */
        for (size_t i = 0; s->vals_used && i < plan->n_keys; i++) {
                const hw_plan_key_t *pk = &plan->keys[i];
                for (size_t j = 0; j < pk->n; j++) {
                        size_t at = pk->first + j;
                        const hw_plan_change_t *ch = &plan->changes[at];
                        if (known(s, plan, pk, at) &&
                            __builtin_add_overflow(s->vals[ch->slot],
                                                   ch->delta, &f->after[at]))
                                return REFUSED(
                                        "Redis atomic step: hirewire store: "
                                        "%s%.*s %.*s would overflow",
                                        P, (int)pk->len, pk->key,
                                        (int)ch->len, ch->field);
                }
        }
        return HW_OK;
stale_days:
        *outcome = HW_STORE_STALE;
        hw_fail(HW_OK, errstr, size,
                "%sb:days has other days in the slide's range", P);
        return HW_OK;
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
        redisReply **e = n ? hw_arena_alloc(task->privdata, n * sizeof(*e))
                           : NULL;
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

/* Writes the commands in s->cmd. A broken connection is HW_ERR_SERVICE
 * (and dropped). */
static hw_err_t send_commands(hw_store_t *s, const char *what, char *errstr,
                              size_t size) {
        /* Written as it is (hiredis would copy it to its own buffer
         * first: the step's commands can take megabytes). */
        for (size_t at = 0; at < s->cmd.len;) {
                ssize_t w = write(s->ctx->fd, s->cmd.data + at,
                                  s->cmd.len - at);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        snprintf(s->ctx->errstr, sizeof(s->ctx->errstr), "%s",
                                 w < 0 && (errno == EAGAIN ||
                                           errno == EWOULDBLOCK)
                                         ? "timed out"
                                         : w < 0 ? strerror(errno)
                                                 : "connection lost");
                        return check_reply(s, NULL, what, errstr, size);
                }
                at += (size_t)w;
        }
        return HW_OK;
}

/* Reads replies into s->step_replies[*at ..end), error replies
 * included, advancing *at: waiting for each (wait), or only those whose
 * bytes are in. -1 when the connection broke. */
static int take_replies(hw_store_t *s, size_t *at, size_t end, int wait) {
        redisReader *rd = s->ctx->reader;
        redisReplyObjectFunctions *fn = rd->fn;
        void *priv = rd->privdata;
        int rc = 0;

        rd->fn = &arena_replies;
        rd->privdata = &s->reply_arena;
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
                s->step_replies[(*at)++] = v;
        }
        rd->fn = fn;
        rd->privdata = priv;
        return rc;
}

/* Reads n replies into s->step_replies[first ..), error replies
 * included. A broken connection is HW_ERR_SERVICE (and dropped; the
 * replies read are freed). */
static hw_err_t read_replies(hw_store_t *s, size_t first, size_t n,
                             const char *what, char *errstr, size_t size) {
        size_t at = first;

        if (hw_grow((void **)&s->step_replies, &s->step_replies_cap,
                    first + n, sizeof(*s->step_replies)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if (take_replies(s, &at, first + n, 1)) {
                free_step_replies(s, at);
                return check_reply(s, NULL, what, errstr, size);
        }
        return HW_OK;
}

/* Sends s->cmd and reads its n replies. */
static hw_err_t round_trip(hw_store_t *s, size_t first, size_t n,
                           const char *what, char *errstr, size_t size) {
        hw_err_t err = send_commands(s, what, errstr, size);
        return err ? err : read_replies(s, first, n, what, errstr, size);
}

/* A raid alert id "raid:<org>:<lab>:<yyyymmdd>" as its pair's field
 * ("<lab>:<org>", into field) and day. -1 when it is not one. */
static int raid_alert_id(const char *id, size_t len, char field[600],
                         size_t *flen, int64_t *day) {
        const char *org = id + 5, *end = id + len, *lab, *ymd;
        char iso[16];
        int64_t ms;
        if (len < 5 + 1 + 1 + 1 + 1 + 8 || memcmp(id, "raid:", 5))
                return -1;
        ymd = end - 8;
        lab = memchr(org, ':', (size_t)(end - org));
        if (!lab || lab == org || ymd[-1] != ':' || ++lab >= ymd - 1 ||
            (size_t)(ymd - org) + 1 > 600)
                return -1;
        snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", ymd, ymd + 4, ymd + 6);
        if (hw_time_parse_iso(iso, &ms))
                return -1;
        *day = hw_time_day(ms);
        *flen = (size_t)snprintf(field, 600, "%.*s:%.*s",
                                 (int)(ymd - 1 - lab), lab,
                                 (int)(lab - 1 - org), org);
        return 0;
}

/* One raid raised (kept while the days of a pair are gathered). */
typedef struct raised_s {
        const char *field;
        int64_t day;
} raised_t;

static int by_field_day(const void *a, const void *b) {
        const raised_t *x = a, *y = b;
        int c = strcmp(x->field, y->field);
        return c ? c : (x->day > y->day) - (x->day < y->day);
}

/*
 * alert:raid (the days of each pair's raids raised) from the raid ids of
 * alert:ids, when it does not exist and alert:ids has some: the alerts of
 * a Redis an earlier version wrote (docs/operations.md). Under WATCH of
 * both, again when another consumer wrote in between.
 */
static hw_err_t raised_from_ids(hw_store_t *s, char *errstr, size_t size) {
        const char *AP = hw_config_alerts_prefix(s->conf);
        hw_err_t err = HW_OK;

        if (!s->conf->alert_raid)
                return HW_OK;
        for (int attempt = 0; attempt < 5; attempt++) {
                raised_t *all = NULL;
                int64_t *all_days = NULL;
                size_t n = 0, cap = 0;
                char cursor[32] = "0";
                hw_map_t fields;
                redisReply *r = redisCommand(s->ctx, "WATCH %salert:ids "
                                             "%salert:raid", AP, AP);
                int exists;
                if ((err = check_reply(s, r, "WATCH", errstr, size)))
                        return err;
                freeReplyObject(r);
                r = redisCommand(s->ctx, "EXISTS %salert:raid", AP);
                if ((err = check_reply(s, r, "EXISTS", errstr, size)))
                        return err;
                exists = r->type == REDIS_REPLY_INTEGER && r->integer;
                freeReplyObject(r);
                if (exists) {
                        r = redisCommand(s->ctx, "UNWATCH");
                        if ((err = check_reply(s, r, "UNWATCH", errstr, size)))
                                return err;
                        freeReplyObject(r);
                        break;
                }
                hw_map_init(&fields);
                do {
                        r = redisCommand(s->ctx,
                                         "SSCAN %salert:ids %s MATCH raid:* "
                                         "COUNT 1000",
                                         AP, cursor);
                        if ((err = check_reply(s, r, "SSCAN", errstr, size)))
                                break;
                        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                            r->element[0]->type != REDIS_REPLY_STRING ||
                            r->element[1]->type != REDIS_REPLY_ARRAY) {
                                freeReplyObject(r);
                                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                              "Redis: unexpected reply to "
                                              "SSCAN %salert:ids", AP);
                                break;
                        }
                        snprintf(cursor, sizeof(cursor), "%s",
                                 r->element[0]->str);
                        for (size_t i = 0; i < r->element[1]->elements; i++) {
                                const redisReply *m = r->element[1]->element[i];
                                char field[600];
                                size_t flen;
                                int64_t day;
                                int created;
                                hw_map_entry_t *e;
                                if (m->type != REDIS_REPLY_STRING ||
                                    raid_alert_id(m->str, m->len, field, &flen,
                                                  &day))
                                        continue;
                                e = hw_map_upsert(&fields, field, flen,
                                                  &created);
                                if (!e || hw_grow((void **)&all, &cap, n + 1,
                                                  sizeof(*all))) {
                                        err = hw_fail(HW_ERR_NOMEM, errstr,
                                                      size, "out of memory");
                                        break;
                                }
                                all[n++] = (raised_t){e->key, day};
                        }
                        freeReplyObject(r);
                } while (!err && strcmp(cursor, "0"));
                all_days = n ? malloc(n * sizeof(*all_days)) : NULL;
                if (n && !all_days)
                        err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
                if (!err && n) {
                        size_t n_fields = 0;
                        qsort(all, n, sizeof(*all), by_field_day);
                        for (size_t i = 0; i < n; i++)
                                n_fields += !i || strcmp(all[i].field,
                                                         all[i - 1].field);
                        s->cmd.len = 0;
                        if (resp_cmd(&s->cmd, 1) ||
                            resp_str(&s->cmd, "MULTI") ||
                            resp_cmd(&s->cmd, 2 + 2 * n_fields) ||
                            resp_str(&s->cmd, "HSET") ||
                            resp_alert_key(s, &s->cmd, "alert:raid"))
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                        for (size_t i = 0; i < n && !err;) {
                                size_t j = i;
                                s->value.len = 0;
                                while (j < n && !strcmp(all[j].field,
                                                        all[i].field))
                                        all_days[j - i] = all[j].day, j++;
                                if (hw_raid_days_encode(all_days, j - i,
                                                        &s->value) ||
                                    resp_str(&s->cmd, all[i].field) ||
                                    resp_arg(&s->cmd, s->value.data,
                                             s->value.len))
                                        err = hw_fail(HW_ERR_NOMEM, errstr,
                                                      size, "out of memory");
                                i = j;
                        }
                        if (!err && (resp_cmd(&s->cmd, 1) ||
                                     resp_str(&s->cmd, "EXEC")))
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                }
                free(all);
                free(all_days);
                hw_map_release(&fields);
                if (err)
                        return err;
                if (!n) {
                        r = redisCommand(s->ctx, "UNWATCH");
                        if ((err = check_reply(s, r, "UNWATCH", errstr, size)))
                                return err;
                        freeReplyObject(r);
                        break;
                }
                if ((err = round_trip(s, 0, 3, "alert:raid", errstr, size)))
                        return err;
                r = s->step_replies[2];
                exists = r->type == REDIS_REPLY_ARRAY; /* applied */
                if (r->type == REDIS_REPLY_ERROR)
                        err = error_reply(s, r, "alert:raid", errstr, size);
                free_step_replies(s, 3);
                hw_arena_reset(&s->reply_arena);
                if (err || exists)
                        return err;
        }
        return HW_OK;
}


/* A raid the step found: pair (of the plan) crosses on day with `hires`
 * over the raid window, the first (at most 50) of them named. */
typedef struct hw_raid_found_s {
        size_t pair;
        int64_t day, hires;
        const char *ids_json;
        int raise;              /* no raid of the pair raised near day */
        const char *name;       /* the lab's display name */
} hw_raid_found_t;

/* What found() needs: the store and the pair judged. */
typedef struct found_ctx_s {
        hw_store_t *s;
        size_t pair;
} found_ctx_t;

/* Appends a raid hw_raid_judge found to s->raids, its first (at most 50)
 * hires named. -1 when out of memory. */
static int found(void *ctx, const hw_raid_cross_t *x) {
        found_ctx_t *fc = ctx;
        hw_store_t *s = fc->s;
        const raid_pair_t *rp = &s->rpairs[fc->pair];
        json_t *ids = json_array();
        char *text;
        const char *kept;

        for (size_t j = x->first; ids && j < x->first + (size_t)x->hires &&
                                  j - x->first < 50;
             j++)
                json_array_append_new(ids, json_stringn(rp->list[j].id,
                                                        rp->list[j].len));
        text = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
        json_decref(ids);
        kept = text ? hw_arena_strndup(&s->scratch, text, strlen(text)) : NULL;
        free(text);
        if (!kept || hw_grow((void **)&s->raids, &s->raids_cap,
                             s->n_raids + 1, sizeof(*s->raids)))
                return -1;
        s->raids[s->n_raids++] = (hw_raid_found_t){fc->pair, x->day, x->hires,
                                                   kept, 0, NULL};
        return 0;
}

/*
 * The raid index as this step leaves it, and the raid judgment on it (no
 * other step applies before this one: <prefix>steps is watched): each of
 * the plan's pairs gets the batch's hires, every pair loses those of days
 * that left the largest window, and each of the plan's pairs is judged
 * (hw_raid_judge). Whether a raid found is raised is judge_raised's.
 */
static hw_err_t judge_raids(hw_store_t *s, const hw_plan_t *plan,
                            char *errstr, size_t size) {
        const hw_config_t *c = s->conf;
        int64_t largest = c->windows[c->n_windows - 1];
        int64_t keep = plan->day >= 0 ? plan->day - largest : INT64_MIN;
        int64_t oldest = plan->day >= 0 ? plan->day - largest : 0;

        s->n_raids = 0;
        for (size_t i = 0; i < s->n_rpairs; i++) {
                raid_pair_t *rp = &s->rpairs[i];
                found_ctx_t fc = {s, i};
                size_t before, sorted = rp->n;
                if (i < plan->n_raids) {
                        rp->changed = plan->raids[i].n_ev > 0;
                        const hw_plan_raid_t *r = &plan->raids[i];
                        for (size_t k = 0; k < r->n_ev; k++) {
                                const hw_plan_ev_t *ev =
                                        &plan->evs[r->first_ev + k];
                                if (hw_raid_add(rp->list, &rp->n,
                                                (hw_raid_hire_t){
                                                        ev->day, ev->event_id,
                                                        strlen(ev->event_id)}))
                                        sorted = 0; /* one moved */
                        }
                }
                before = rp->n;
                rp->n = hw_raid_settle(rp->list, rp->n, sorted, keep);
                rp->changed |= rp->n < before;
                if (i < plan->n_raids && s->raise_alerts &&
                    hw_raid_judge(rp->list, rp->n, plan->raids[i].lo, oldest,
                                  c->alert_raid_days, c->alert_raid_count,
                                  found, &fc))
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
        }
        return HW_OK;
}

/* The id of a raid of the plan's pair i on day (yyyymmdd), without the
 * day when day < 0. */
static int raid_id(char out[640], const hw_plan_t *plan, size_t i,
                   int64_t day) {
        const hw_plan_raid_t *r = &plan->raids[i];
        size_t lo = strlen(r->org_slug), ll = strlen(r->lab_slug);
        char *p = out;

        if (5 + lo + 1 + ll + 1 + 8 >= 640)
                return -1;
        memcpy(p, "raid:", 5);
        p += 5;
        memcpy(p, r->org_slug, lo);
        p += lo;
        *p++ = ':';
        memcpy(p, r->lab_slug, ll);
        p += ll;
        *p++ = ':';
        if (day >= 0) {
                hw_time_ymd(day, p); /* on every raid found: no printf */
                p += 8;
        }
        *p = '\0';
        return (int)(p - out);
}

/* Which raids the step found are raised: one raid, one alert, so not a
 * pair's raid on day D when one of it was raised for a day less than the
 * raid window from D, before (alert:raid, read in round trip 1 under
 * WATCH) or in this step. Each raised raid gets its lab's name (the
 * batch's, else the one stored, else its slug). */
static hw_err_t judge_raised(hw_store_t *s, const hw_deltas_t *d,
                             const hw_plan_t *plan, char *errstr,
                             size_t size) {
        int64_t days = s->conf->alert_raid_days;

        if (!s->raise_alerts)
                return HW_OK;
        for (size_t i = 0; i < s->n_raids; i++) {
                hw_raid_found_t *f = &s->raids[i];
                raid_pair_t *rp = &s->rpairs[f->pair];
                const char *slug = plan->raids[f->pair].lab_slug;
                const hw_map_entry_t *e;
                int near = hw_raid_near(rp->raised, rp->n_raised, f->day, days);
                for (size_t k = 0; k < i && !near; k++)
                        near = s->raids[k].raise &&
                               s->raids[k].pair == f->pair &&
                               s->raids[k].day > f->day - days &&
                               s->raids[k].day < f->day + days;
                if (near)
                        continue;
                f->raise = 1;
                rp->raises = 1;
                f->name = batch_lab_name(d, slug);
                if (!f->name && (e = hw_map_find(&s->lab_names, slug,
                                                 strlen(slug))) &&
                    e->v.p) {
                        const redisReply *name = e->v.p;
                        f->name = hw_arena_strndup(&s->scratch, name->str,
                                                   name->len);
                        if (!f->name)
                                return hw_fail(HW_ERR_NOMEM, errstr, size,
                                               "out of memory");
                }
                if (!f->name)
                        f->name = slug;
        }
        return HW_OK;
}

/* The judgments' arguments (see the header of hw_store.lua) into s->argv:
 * the raid pairs whose hires near the batch's reach the raid count. */
static int build_judge(hw_store_t *s, const hw_plan_t *plan, int64_t new_wm,
                       int64_t raised_at, size_t n_added) {
        const hw_config_t *c = s->conf;
        int rc = 0;

        s->argc = 0;
        rc |= push_str(s, "EVAL") || push_str(s, hw_store_lua) ||
              push_str(s, "0") || push_str(s, c->prefix) ||
              push_str(s, hw_config_alerts_prefix(c)) ||
              push_int(s, s->raise_alerts) || push_int(s, new_wm) ||
              push_int(s, plan->day);
        rc |= push_int(s, raised_at) || push_int(s, c->alerts_maxlen);
        /* The stream's readers: entries they have not delivered yet are
         * never trimmed. */
        rc |= push_int(s, (c->alerts_relay ? 1 : 0) +
                                  (c->alert_webhook_url ? 1 : 0));
        if (c->alerts_relay)
                rc |= push_str(s, "relayed");
        if (c->alert_webhook_url)
                rc |= push_str(s, "webhook");
        rc |= push_int(s, c->alert_brain_drain) ||
              push_double(s, c->alert_drain_index) ||
              push_int(s, c->alert_drain_days) || push_int(s, s->at_end);
        if (s->n_ends) {
                char buf[512];
                const char *key;
                snprintf(buf, sizeof(buf), "%sends:%s", c->prefix, s->group);
                key = hw_arena_strndup(&s->scratch, buf, strlen(buf));
                rc |= !key || push_str(s, key);
        } else {
                rc |= push_str(s, "");
        }
        rc |= push_int(s, (int64_t)plan->n_drains);
        for (size_t i = 0; i < plan->n_drains && !rc; i++)
                rc |= push_str(s, plan->drains[i].country) ||
                      push_ids_json(s, plan, plan->drains[i].first_ev,
                                    plan->drains[i].n_ev);
        rc |= push_int(s, (int64_t)n_added);
        return rc;
}

/* RESP of j as compact JSON. */
static int resp_json(hw_buf_t *b, const json_t *j) {
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        int rc = !text || resp_str(b, text);
        free(text);
        return rc;
}

/* XADD of one alert to the stream, with the fields hw_store.lua gives
 * the ones it raises (ids and attrs are released). */
static int xadd_alert(hw_store_t *s, const char *alert_id, const char *rule,
                      const char *severity, const char *subject,
                      const char *summary, int64_t event_time,
                      int64_t raised_at, json_t *ids, json_t *attrs) {
        hw_buf_t *b = &s->cmd;
        int rc = resp_cmd(b, 21) || resp_str(b, "XADD") ||
               resp_alert_key(s, b, "alerts") || resp_str(b, "*") ||
               resp_str(b, "alert_id") || resp_str(b, alert_id) ||
               resp_str(b, "rule") || resp_str(b, rule) ||
               resp_str(b, "severity") || resp_str(b, severity) ||
               resp_str(b, "subject") || resp_str(b, subject) ||
               resp_str(b, "summary") || resp_str(b, summary) ||
               resp_str(b, "event_time") || resp_int(b, event_time) ||
               resp_str(b, "raised_at") || resp_int(b, raised_at) ||
               resp_str(b, "event_ids") || resp_json(b, ids) ||
               resp_str(b, "attributes") || resp_json(b, attrs);
        json_decref(ids);
        json_decref(attrs);
        return rc;
}

/* The alert of a raid judge_raised raises. */
static int xadd_raid(hw_store_t *s, const hw_plan_t *plan,
                     const hw_raid_found_t *f, int64_t raised_at) {
        const hw_plan_raid_t *r = &plan->raids[f->pair];
        const char *org = plan->names[r->first_name];
        int64_t days = s->conf->alert_raid_days;
        char id[640], summary[1200], hires[24], ndays[24], ymd[9];
        json_t *attrs = json_object();

        hw_time_ymd(f->day, ymd);
        snprintf(hires, sizeof(hires), "%" PRId64, f->hires);
        snprintf(ndays, sizeof(ndays), "%" PRId64, days);
        snprintf(summary, sizeof(summary),
                 "%s hired %s people from %s within %s days", f->name, hires,
                 org, ndays);
        if (raid_id(id, plan, f->pair, f->day) < 0 || !attrs ||
            json_object_set_new(attrs, "lab", json_string(f->name)) ||
            json_object_set_new(attrs, "org", json_string(org)) ||
            json_object_set_new(attrs, "hires", json_string(hires)) ||
            json_object_set_new(attrs, "days", json_string(ndays)) ||
            json_object_set_new(attrs, "day", json_string(ymd))) {
                json_decref(attrs);
                return -1;
        }
        return xadd_alert(s, id, "raid", "WARN", f->name, summary,
                          f->day * 86400000, raised_at,
                          json_loads(f->ids_json, 0, NULL), attrs);
}

/* The raid index: every pair the step changes, in one HSET of
 * <prefix>raid (the pairs left without hires in one HDEL). */
static int write_raid_index(hw_store_t *s, size_t *n_cmds) {
        hw_buf_t *b = &s->cmd;
        size_t n_set = 0, n_del = 0;
        int rc = 0;

        for (size_t i = 0; i < s->n_rpairs; i++) {
                const raid_pair_t *rp = &s->rpairs[i];
                n_set += rp->changed && rp->n;
                n_del += rp->changed && !rp->n && rp->stored;
        }
        if (n_set) {
                rc |= resp_cmd(b, 2 + 2 * n_set) || resp_str(b, "HSET") ||
                      resp_key(s, b, "raid", 4);
                for (size_t i = 0; i < s->n_rpairs && !rc; i++) {
                        const raid_pair_t *rp = &s->rpairs[i];
                        if (!rp->changed || !rp->n)
                                continue;
                        s->value.len = 0;
                        rc |= hw_raid_encode(rp->list, rp->n, &s->value) ||
                              resp_arg(b, rp->field, rp->len) ||
                              resp_arg(b, s->value.data, s->value.len);
                }
                (*n_cmds)++;
        }
        if (n_del && !rc) {
                rc |= resp_cmd(b, 2 + n_del) || resp_str(b, "HDEL") ||
                      resp_key(s, b, "raid", 4);
                for (size_t i = 0; i < s->n_rpairs && !rc; i++) {
                        const raid_pair_t *rp = &s->rpairs[i];
                        if (rp->changed && !rp->n && rp->stored)
                                rc |= resp_arg(b, rp->field, rp->len);
                }
                (*n_cmds)++;
        }
        return rc;
}

static int by_int64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return (x > y) - (x < y);
}

/* The days of the raids raised of every pair the step raises one of, in
 * one HSET of alert:raid: those raised before and the step's, ascending.
 * None is ever left out: like alert:ids, they hold for every prefix that
 * shares the alert keys (a replay judges days long behind the live
 * watermark). */
static int write_raised(hw_store_t *s, const hw_plan_t *plan,
                        size_t *n_cmds) {
        hw_buf_t *b = &s->cmd;
        size_t n = 0;
        int rc = 0;

        for (size_t i = 0; i < plan->n_raids && i < s->n_rpairs; i++)
                n += s->rpairs[i].raises;
        if (!n)
                return 0;
        rc |= resp_cmd(b, 2 + 2 * n) || resp_str(b, "HSET") ||
              resp_alert_key(s, b, "alert:raid");
        for (size_t i = 0; i < plan->n_raids && i < s->n_rpairs && !rc; i++) {
                const raid_pair_t *rp = &s->rpairs[i];
                int64_t *days;
                size_t m = rp->n_raised;
                if (!rp->raises)
                        continue;
                days = hw_arena_alloc(&s->scratch,
                                      (m + s->n_raids + 1) * sizeof(*days));
                if (!days)
                        return -1;
                if (m)
                        memcpy(days, rp->raised, m * sizeof(*days));
                for (size_t k = 0; k < s->n_raids; k++)
                        if (s->raids[k].raise && s->raids[k].pair == i)
                                days[m++] = s->raids[k].day;
                qsort(days, m, sizeof(*days), by_int64);
                s->value.len = 0;
                rc |= hw_raid_days_encode(days, m, &s->value) ||
                      resp_arg(b, rp->field, rp->len) ||
                      resp_arg(b, s->value.data, s->value.len);
        }
        (*n_cmds)++;
        return rc;
}

/* The alerts that are not in alert:ids yet: the batch's (the processors
 * raised them) and the raids judge_raised raises, each XADDed to the
 * stream, then their ids added to alert:ids in one SADD. *n_added: how
 * many. */
static int write_alerts(hw_store_t *s, const hw_deltas_t *d,
                        const hw_plan_t *plan, int64_t raised_at,
                        size_t *n_cmds, size_t *n_added) {
        hw_buf_t *b = &s->cmd;
        int rc = 0;

        *n_added = 0;
        if (!s->raise_alerts)
                return 0;
        for (size_t i = 0; native_alerts(s, d) && i < d->alerts.count && !rc;
             i++) {
                const hw_alert_t *a = d->alerts.entries[i].v.p;
                json_t *ids, *attrs;
                if (!s->alert_new[i])
                        continue;
                ids = json_array();
                attrs = json_object();
                for (size_t k = 0; ids && k < a->n_event_ids; k++)
                        rc |= json_array_append_new(
                                ids, json_string(a->event_ids[k]));
                for (size_t k = 0; attrs && k < a->n_attributes; k++)
                        rc |= json_object_set_new(
                                attrs, a->attributes[k].key,
                                json_string(a->attributes[k].value));
                rc |= xadd_alert(s, a->alert_id, a->rule,
                                 hw_severity_name(a->severity), a->subject,
                                 a->summary, a->event_time, raised_at, ids,
                                 attrs);
                (*n_added)++;
                (*n_cmds)++;
        }
        for (size_t i = 0; i < s->n_raids && !rc; i++) {
                if (!s->raids[i].raise)
                        continue;
                rc |= xadd_raid(s, plan, &s->raids[i], raised_at);
                (*n_added)++;
                (*n_cmds)++;
        }
        if (*n_added && !rc) {
                char id[640];
                rc |= resp_cmd(b, 2 + *n_added) || resp_str(b, "SADD") ||
                      resp_alert_key(s, b, "alert:ids");
                for (size_t i = 0; native_alerts(s, d) &&
                                   i < d->alerts.count && !rc;
                     i++)
                        if (s->alert_new[i])
                                rc |= resp_arg(b, d->alerts.entries[i].key,
                                               d->alerts.entries[i].len);
                for (size_t i = 0; i < s->n_raids && !rc; i++) {
                        int len;
                        if (!s->raids[i].raise)
                                continue;
                        len = raid_id(id, plan, s->raids[i].pair,
                                      s->raids[i].day);
                        rc |= len < 0 || resp_arg(b, id, (size_t)len);
                }
                (*n_cmds)++;
        }
        if (!rc)
                rc |= write_raised(s, plan, n_cmds);
        return rc;
}

/* A sorted set's score in decimal: an integer as one ("%.17g" would
 * too, but this is the common case and cheap). */
static int resp_score(hw_buf_t *b, double v) {
        char t[40];
        if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
            v == (double)(int64_t)v)
                return resp_int(b, (int64_t)v);
        return resp_arg(b, t, (size_t)snprintf(t, sizeof(t), "%.17g", v));
}

/* DEL of <prefix><sub><day> for each day of the reply (an array of
 * yyyymmdd); nothing for none. */
static int write_del_days(hw_store_t *s, const char *sub,
                          const redisReply *days, size_t *n_cmds) {
        hw_buf_t *b = &s->cmd;
        size_t lp = strlen(s->conf->prefix), ls = strlen(sub);
        char *key;
        int rc = 0;

        if (!days || !days->elements)
                return 0;
        if (!(key = hw_arena_alloc(&s->scratch, lp + ls + 1)))
                return -1;
        memcpy(key, s->conf->prefix, lp);
        memcpy(key + lp, sub, ls);
        rc |= resp_cmd(b, 1 + days->elements) || resp_str(b, "DEL");
        for (size_t i = 0; i < days->elements && !rc; i++)
                rc |= resp_arg2(b, key, lp + ls, days->element[i]->str,
                                days->element[i]->len);
        (*n_cmds)++;
        return rc;
}

/* The writes of the counters: each key's new values in one HSET (ZADD),
 * the fields that reach 0 deleted (a key left empty disappears). */
static int write_counters(hw_store_t *s, const hw_plan_t *plan,
                          const step_found_t *f, size_t *n_cmds) {
        hw_buf_t *b = &s->cmd;
        int rc = 0;

        for (size_t i = 0; i < plan->n_keys && !rc; i++) {
                const hw_plan_key_t *k = &plan->keys[i];
                size_t zero = 0;
                for (size_t j = 0; j < k->n; j++)
                        zero += k->zset ? f->zafter[k->first + j] == 0
                                        : f->after[k->first + j] == 0;
                if (zero < k->n) {
                        rc |= resp_cmd(b, 2 + 2 * (k->n - zero)) ||
                              resp_str(b, k->zset ? "ZADD" : "HSET") ||
                              resp_key(s, b, k->key, k->len);
                        for (size_t j = 0; j < k->n && !rc; j++) {
                                const hw_plan_change_t *ch =
                                        &plan->changes[k->first + j];
                                size_t at = k->first + j;
                                if (k->zset && f->zafter[at] != 0)
                                        rc |= resp_score(b, f->zafter[at]) ||
                                              resp_arg(b, ch->field, ch->len);
                                else if (!k->zset && f->after[at] != 0)
                                        rc |= resp_arg(b, ch->field, ch->len) ||
                                              resp_int(b, f->after[at]);
                        }
                        (*n_cmds)++;
                }
                if (zero) {
                        rc |= resp_cmd(b, 2 + zero) ||
                              resp_str(b, k->zset ? "ZREM" : "HDEL") ||
                              resp_key(s, b, k->key, k->len);
                        for (size_t j = 0; j < k->n && !rc; j++) {
                                const hw_plan_change_t *ch =
                                        &plan->changes[k->first + j];
                                if (k->zset ? f->zafter[k->first + j] == 0
                                            : f->after[k->first + j] == 0)
                                        rc |= resp_arg(b, ch->field, ch->len);
                        }
                        (*n_cmds)++;
                }
        }
        return rc;
}

/* Looks a country up in the config; NULL if it is not there. */
static const hw_country_conf_t *country_of(const hw_config_t *c,
                                           const char *code, size_t len) {
        for (size_t i = 0; i < c->n_countries; i++)
                if (strlen(c->countries[i].code) == len &&
                    !memcmp(c->countries[i].code, code, len))
                        return &c->countries[i];
        return NULL;
}

/* Whether a country is in index g: 0 is the index of all countries with a
 * base, g > 0 the configured group g - 1's. */
static int in_index(const hw_country_conf_t *cc, size_t g) {
        return cc && cc->base > 0 && (g == 0 || (cc->groups & (1u << (g - 1))));
}

/* The flow index: every country with a base is in each window's index
 * sets (0 until it has flow there), so a rank is among all members of a
 * group; the countries whose in/out changed get their new net and index
 * ((in - out) x 10000 / base). */
static int write_flow_index(hw_store_t *s, size_t *n_cmds,
                            const step_found_t *f) {
        const hw_config_t *c = s->conf;
        hw_buf_t *b = &s->cmd;
        size_t n_based = 0;
        /* Each changed country's config (NULL: no base), looked up once. */
        const hw_country_conf_t **cc = hw_arena_alloc(
                &s->scratch, (s->codes.count + 1) * sizeof(*cc));
        int rc = !cc;

        for (size_t i = 0; i < c->n_countries; i++)
                n_based += c->countries[i].base > 0;
        for (size_t k = 0; k < s->codes.count && !rc; k++)
                cc[k] = country_of(c, s->codes.entries[k].key + 1,
                                   s->codes.entries[k].len - 1);
        for (size_t w = 0; w <= c->n_windows && !rc; w++) {
                size_t first = s->win_first[w], end = s->win_first[w + 1];
                char key[160];
                for (size_t g = 0; g <= c->n_groups && n_based && !rc; g++) {
                        size_t n = 0;
                        for (size_t i = 0; i < c->n_countries; i++)
                                n += (size_t)in_index(&c->countries[i], g);
                        if (!n)
                                continue;
                        snprintf(key, sizeof(key), "flow:%s:index%s%s",
                                 s->wname[w], g ? ":" : "",
                                 g ? c->group_names[g - 1] : "");
                        rc |= resp_cmd(b, 3 + 2 * n) || resp_str(b, "ZADD") ||
                              resp_key(s, b, key, strlen(key)) ||
                              resp_str(b, "NX");
                        for (size_t i = 0; i < c->n_countries && !rc; i++)
                                if (in_index(&c->countries[i], g))
                                        rc |= resp_str(b, "0") ||
                                              resp_str(b, c->countries[i].code);
                        (*n_cmds)++;
                }
                if (first == end)
                        continue;
                /* Net: ZADD the countries with flow, ZREM those without. */
                for (int rem = 0; rem < 2 && !rc; rem++) {
                        size_t n = 0;
                        for (size_t k = first; k < end; k++)
                                n += (f->in[k] == 0 && f->out[k] == 0) == rem;
                        if (!n)
                                continue;
                        snprintf(key, sizeof(key), "flow:%s:net", s->wname[w]);
                        rc |= resp_cmd(b, 2 + (rem ? 1 : 2) * n) ||
                              resp_str(b, rem ? "ZREM" : "ZADD") ||
                              resp_key(s, b, key, strlen(key));
                        for (size_t k = first; k < end && !rc; k++) {
                                const hw_map_entry_t *e = &s->codes.entries[k];
                                if ((f->in[k] == 0 && f->out[k] == 0) != rem)
                                        continue;
                                if (!rem)
                                        rc |= resp_int(b, f->in[k] - f->out[k]);
                                rc |= resp_arg(b, e->key + 1, e->len - 1);
                        }
                        (*n_cmds)++;
                }
                /* The index, and each group's. */
                for (size_t g = 0; g <= c->n_groups && !rc; g++) {
                        size_t n = 0;
                        for (size_t k = first; k < end; k++)
                                n += (size_t)in_index(cc[k], g);
                        if (!n)
                                continue;
                        snprintf(key, sizeof(key), "flow:%s:index%s%s",
                                 s->wname[w], g ? ":" : "",
                                 g ? c->group_names[g - 1] : "");
                        rc |= resp_cmd(b, 2 + 2 * n) || resp_str(b, "ZADD") ||
                              resp_key(s, b, key, strlen(key));
                        for (size_t k = first; k < end && !rc; k++) {
                                const hw_map_entry_t *e = &s->codes.entries[k];
                                char score[40];
                                if (!in_index(cc[k], g))
                                        continue;
                                rc |= resp_arg(
                                              b, score,
                                              (size_t)snprintf(
                                                      score, sizeof(score),
                                                      "%.17g",
                                                      (double)(f->in[k] -
                                                               f->out[k]) *
                                                              10000 /
                                                              cc[k]->base)) ||
                                      resp_arg(b, e->key + 1, e->len - 1);
                        }
                        (*n_cmds)++;
                }
        }
        return rc;
}

/* The persons the batch moved: one HSET per bucket of the registry. */
static int write_persons(hw_store_t *s, const hw_deltas_t *d, size_t *n_cmds) {
        size_t n = d->persons.count, i, j;
        size_t *order = hw_arena_alloc(&s->scratch, (n + 1) * sizeof(*order));
        unsigned *bucket =
                hw_arena_alloc(&s->scratch, (n + 1) * sizeof(*bucket));
        hw_buf_t *b = &s->cmd;
        int rc = !order || !bucket;

        for (i = 0; i < n && !rc; i++) {
                order[i] = i;
                bucket[i] = hw_person_bucket(d->persons.entries[i].key,
                                             d->persons.entries[i].len);
        }
        if (!rc)
                qsort_r(order, n, sizeof(*order), by_bucket, bucket);
        for (i = 0; i < n && !rc; i = j) {
                char key[32];
                int len = snprintf(key, sizeof(key), "persons:%u",
                                   bucket[order[i]]);
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]]; j++)
                        ;
                rc |= resp_cmd(b, 2 + 2 * (j - i)) || resp_str(b, "HSET") ||
                      resp_key(s, b, key, (size_t)len);
                for (size_t k = i; k < j && !rc; k++) {
                        const hw_map_entry_t *e = &d->persons.entries[order[k]];
                        size_t plen;
                        const char *packed =
                                hw_person_pack(&s->scratch, e->v.p, &plen);
                        rc |= !packed || resp_arg(b, e->key, e->len) ||
                              resp_arg(b, packed, plen);
                }
                (*n_cmds)++;
        }
        return rc;
}

/* Builds round trip 2 into s->cmd: MULTI, the writes, the judgments, EXEC.
 * *n_cmds: the commands between MULTI and EXEC. */
static int build_writes(hw_store_t *s, const hw_store_offset_t *offsets,
                        size_t n_offsets, char (*keys)[512],
                        const hw_deltas_t *d, const hw_plan_t *plan,
                        const step_found_t *f, size_t *n_cmds) {
        const hw_config_t *c = s->conf;
        hw_buf_t *b = &s->cmd;
        int64_t largest = c->windows[c->n_windows - 1];
        int64_t new_wm = f->watermark > d->watermark ? f->watermark
                                                     : d->watermark;
        size_t n_logs = slide_logs(s), n = 0, n_added = 0;
        int64_t raised_at = hw_now_ms();
        char key[64];
        int rc = 0;

        b->len = 0;
        rc |= resp_cmd(b, 1) || resp_str(b, "MULTI");
        rc |= resp_cmd(b, 2) || resp_str(b, "INCR") ||
              resp_key(s, b, "steps", 5);
        rc |= resp_cmd(b, 3) || resp_str(b, "SET") ||
              resp_key(s, b, "layout", 6) || resp_str(b, LAYOUT);
        rc |= resp_cmd(b, 3) || resp_str(b, "SET") ||
              resp_key(s, b, "steps:at", 8) || resp_int(b, raised_at);
        n += 3;
        if (s->holds_turn) {
                rc |= resp_cmd(b, 2) || resp_str(b, "DEL") ||
                      resp_key(s, b, "turn", 4);
                n++;
        }
        if (s->n_ends && !rc) {
                char ends[512];
                snprintf(ends, sizeof(ends), "ends:%s", s->group);
                rc |= resp_cmd(b, 2 + 2 * s->n_ends) || resp_str(b, "HSET") ||
                      resp_key(s, b, ends, strlen(ends));
                for (size_t i = 0; i < s->n_ends && !rc; i++) {
                        char field[300];
                        int len = snprintf(field, sizeof(field), "%s:%" PRId32,
                                           s->ends[i].topic,
                                           s->ends[i].partition);
                        rc |= resp_arg(b, field, (size_t)len) ||
                              (s->ends[i].at_end ? resp_str(b, "1")
                                                 : resp_int(b, hw_now_ms()));
                }
                n++;
        }
        if (slides(s, plan) && !rc) {
                /* What leaves the largest window (and the ids kept). */
                rc |= write_del_days(s, "b:", f->gone, &n);
                if (f->gone && f->gone->elements && !rc) {
                        rc |= resp_cmd(b, 2 + f->gone->elements) ||
                              resp_str(b, "HDEL") || resp_key(s, b, "b:gen", 5);
                        for (size_t i = 0; i < f->gone->elements && !rc; i++)
                                rc |= resp_arg(b, f->gone->element[i]->str,
                                               f->gone->element[i]->len);
                        n++;
                }
                rc |= resp_cmd(b, 4) || resp_str(b, "ZREMRANGEBYSCORE") ||
                      resp_key(s, b, "b:days", 6) || resp_str(b, "-inf") ||
                      resp_int(b, plan->day - largest);
                n++;
                rc |= write_del_days(s, "seen:", f->gone_seen, &n);
                rc |= resp_cmd(b, 4) || resp_str(b, "ZREMRANGEBYSCORE") ||
                      resp_key(s, b, "seen:days", 9) || resp_str(b, "-inf") ||
                      resp_int(b, plan->day - c->seen_days);
                n++;
        }
        /* Counters, and the flow index when the watermark is set. */
        rc |= write_counters(s, plan, f, &n);
        if (new_wm >= 0 && !rc)
                rc |= write_flow_index(s, &n, f);
        /* Hash field values (lab names) and persons. */
        for (size_t i = 0; i < d->counters.count && !rc; i++) {
                const hw_map_entry_t *e = &d->counters.entries[i];
                const char *parts[4];
                if (e->key[0] != HW_DELTA_SET)
                        continue;
                if (hw_deltas_parts(e, parts) < 3)
                        return -1;
                rc |= resp_cmd(b, 4) || resp_str(b, "HSET") ||
                      resp_key(s, b, parts[1], strlen(parts[1])) ||
                      resp_str(b, parts[2]) || resp_str(b, e->v.p);
                n++;
        }
        rc |= write_persons(s, d, &n);
        /* Bucket logs: compacted (when no other step wrote to them since
         * the slide read them: same length and generation), appended to. */
        if (hw_grow((void **)&s->compacts, &s->compacts_cap,
                    plan->n_compacted + 1, sizeof(*s->compacts)))
                return -1;
        s->n_compacts = 0;
        for (size_t i = 0; i < plan->n_compacted && !rc; i++) {
                const hw_plan_day_t *cd = &plan->compacted[i];
                size_t at = 0;
                while (at < n_logs && memcmp(s->logs[at].ymd, cd->ymd, 8))
                        at++;
                if (at == n_logs || f->len[at] != (int64_t)cd->was ||
                    f->gen[at] != cd->gen)
                        continue;
                s->compacts[s->n_compacts++] = i;
                snprintf(key, sizeof(key), "b:%.8s", cd->ymd);
                rc |= resp_cmd(b, 3) || resp_str(b, "SET") ||
                      resp_key(s, b, key, strlen(key)) ||
                      resp_arg(b, cd->text, cd->len);
                rc |= resp_cmd(b, 4) || resp_str(b, "HINCRBY") ||
                      resp_key(s, b, "b:gen", 5) || resp_arg(b, cd->ymd, 8) ||
                      resp_str(b, "1");
                n += 2;
        }
        for (size_t i = 0; i < plan->n_days && !rc; i++, n++) {
                snprintf(key, sizeof(key), "b:%.8s", plan->days[i].ymd);
                rc |= resp_cmd(b, 3) || resp_str(b, "APPEND") ||
                      resp_key(s, b, key, strlen(key)) ||
                      resp_arg(b, plan->days[i].text, plan->days[i].len);
        }
        if (plan->n_days && !rc) {
                rc |= resp_cmd(b, 2 + 2 * plan->n_days) ||
                      resp_str(b, "ZADD") || resp_key(s, b, "b:days", 6);
                for (size_t i = 0; i < plan->n_days && !rc; i++)
                        rc |= resp_int(b, plan->days[i].day) ||
                              resp_arg(b, plan->days[i].ymd, 8);
                n++;
        }
        /* Applied ids, a set per day, and the days in their index. */
        for (size_t i = 0; i < plan->n_seen && !rc; i++, n++) {
                const hw_plan_day_t *sd = &plan->seen[i];
                snprintf(key, sizeof(key), "seen:%.8s", sd->ymd);
                rc |= resp_cmd(b, 2 + sd->n) || resp_str(b, "SADD") ||
                      resp_key(s, b, key, strlen(key));
                for (size_t j = 0; j < sd->n && !rc; j++)
                        rc |= resp_str(b, plan->names[sd->first + j]);
        }
        if (plan->n_seen && !rc) {
                rc |= resp_cmd(b, 2 + 2 * plan->n_seen) ||
                      resp_str(b, "ZADD") || resp_key(s, b, "seen:days", 9);
                for (size_t i = 0; i < plan->n_seen && !rc; i++)
                        rc |= resp_int(b, plan->seen[i].day) ||
                              resp_arg(b, plan->seen[i].ymd, 8);
                n++;
        }
        rc |= write_raid_index(s, &n);
        if (new_wm != f->watermark && !rc) {
                rc |= resp_cmd(b, 3) || resp_str(b, "SET") ||
                      resp_key(s, b, "watermark", 9) || resp_int(b, new_wm);
                n++;
        }
        if (n_offsets && !rc) {
                rc |= resp_cmd(b, 1 + 2 * n_offsets) || resp_str(b, "MSET");
                for (size_t i = 0; i < n_offsets && !rc; i++)
                        rc |= resp_str(b, keys[i]) ||
                              resp_int(b, offsets[i].next);
                n++;
        }
        rc |= write_alerts(s, d, plan, raised_at, &n, &n_added) ||
              build_judge(s, plan, new_wm, raised_at, n_added) ||
              resp_cmd(b, s->argc);
        for (size_t i = 0; i < s->argc && !rc; i++)
                rc |= resp_arg(b, s->argv[i], s->argvlen[i]);
        n++;
        rc |= resp_cmd(b, 1) || resp_str(b, "EXEC");
        *n_cmds = n;
        return rc;
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


/* What a step leaves behind: its replies and keys freed, and the values
 * it kept forgotten unless it applied. Returns err. */
static hw_err_t end_step(hw_store_t *s, hw_err_t err,
                         hw_store_outcome_t outcome, size_t n_read,
                         char (*keys)[512]) {
        if (err || outcome != HW_STORE_APPLIED)
                forget_values(s);
        free_step_replies(s, n_read);
        hw_arena_reset(&s->reply_arena);
        free(keys);
        return err;
}

/* Reads the reply of the step apply() sent (the EXEC and what precedes
 * it) and keeps what it wrote. */
static hw_err_t finish_apply(hw_store_t *s, const hw_plan_t *plan,
                             hw_store_outcome_t *outcome, char *errstr,
                             size_t size) {
        size_t n_cmds = s->pend_cmds, n_read = 0;
        char(*keys)[512] = s->pend_keys;
        hw_err_t err;

        s->pending = 0;
        s->pend_keys = NULL;
        *outcome = HW_STORE_APPLIED;
        if ((err = read_replies(s, s->pend_got, n_cmds + 2 - s->pend_got,
                                "atomic step", errstr, size)))
                goto cleanup;
        n_read = n_cmds + 2;
        for (size_t i = 0; i < n_read; i++) {
                redisReply *r = s->step_replies[i];
                if (r->type == REDIS_REPLY_ERROR) {
                        /* Queued commands Redis refused (out of memory, a
                         * transient state): EXEC applied nothing. */
                        err = error_reply(s, r, "atomic step", errstr, size);
                        goto cleanup;
                }
        }
        {
                redisReply *r = s->step_replies[n_read - 1];
                if (r->type == REDIS_REPLY_NIL) {
                        /* A watched key changed since it was read. */
                        *outcome = HW_STORE_STALE;
                        s->watermark = s->pend_watermark;
                        hw_fail(HW_OK, errstr, size,
                                "a key the step read was written before it "
                                "applied");
                        goto cleanup;
                }
                if (r->type != REDIS_REPLY_ARRAY || r->elements != n_cmds) {
                        err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                      "unexpected reply from the atomic step");
                        goto cleanup;
                }
                for (size_t i = 0; i < r->elements; i++)
                        if (r->element[i]->type == REDIS_REPLY_ERROR) {
                                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                              "Redis atomic step: %s",
                                              r->element[i]->str);
                                goto cleanup;
                        }
                s->alerts_added =
                        r->elements &&
                                        r->element[r->elements - 1]->type ==
                                                REDIS_REPLY_INTEGER
                                ? (uint64_t)r->element[r->elements - 1]
                                          ->integer
                                : 0;
                /* The first command, INCR <prefix>steps. */
                if (r->element[0]->type == REDIS_REPLY_INTEGER)
                        keep_values(s, plan, s->pend_after,
                                    r->element[0]->integer);
                else
                        forget_values(s);
        }
        note_appended(s, plan);
cleanup:
        return end_step(s, err, *outcome, n_read, keys);
}

/* The atomic step (hw_store_apply); with defer, it returns once its writes
 * are sent, *outcome HW_STORE_PENDING, for finish_apply to read. */
static hw_err_t apply(hw_store_t *s, const hw_store_offset_t *offsets,
                      size_t n_offsets, const hw_deltas_t *d,
                      const hw_plan_t *plan, int defer,
                      hw_store_outcome_t *outcome, char *errstr,
                      size_t size) {
        char(*keys)[512] = NULL;
        step_found_t found = {-1, NULL, NULL, NULL, NULL,
                              NULL, NULL, NULL, NULL};
        size_t n_logs = slide_logs(s), n_cmds = 0, n_read = 0;
        hw_err_t err;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        hw_arena_reset(&s->scratch);
        hw_arena_reset(&s->reply_arena);
        hw_map_clear(&s->typed);
        s->n_reads = 0;
        s->n_compacts = 0;
        s->cmd.len = 0;
        keys = malloc((n_offsets ? n_offsets : 1) * sizeof(*keys));
        found.len = hw_arena_alloc(&s->scratch,
                                   (n_logs + 1) * sizeof(*found.len));
        found.gen = hw_arena_alloc(&s->scratch,
                                   (n_logs + 1) * sizeof(*found.gen));
        found.after = hw_arena_alloc(&s->scratch, (plan->n_changes + 1) *
                                                          sizeof(*found.after));
        found.zafter = hw_arena_alloc(
                &s->scratch, (plan->n_changes + 1) * sizeof(*found.zafter));
        s->alert_new = hw_arena_alloc(&s->scratch, d->alerts.count + 1);
        if (s->alert_new)
                memset(s->alert_new, 0, d->alerts.count + 1);
        s->n_unread = hw_arena_alloc(&s->scratch,
                                     (plan->n_keys + 1) * sizeof(*s->n_unread));
        if (!keys || !found.len || !found.gen || !found.after ||
            !found.zafter ||
            !s->alert_new || !s->n_unread ||
            build_reads(s, offsets, n_offsets, keys, d, plan)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        found.in = hw_arena_alloc(&s->scratch,
                                  (s->codes.count + 1) * sizeof(*found.in));
        found.out = hw_arena_alloc(&s->scratch,
                                   (s->codes.count + 1) * sizeof(*found.out));
        if (!found.in || !found.out) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        /* 1. WATCH and read the fences and the keys written. */
        if ((err = round_trip(s, 0, s->n_reads, "atomic step (reads)", errstr,
                              size)))
                goto cleanup;
        n_read = s->n_reads;
        if ((err = check_reads(s, s->step_replies, offsets, n_offsets, keys,
                               d, plan, &found, outcome, errstr, size)) ||
            *outcome != HW_STORE_APPLIED) {
                redisReply *r = redisCommand(s->ctx, "UNWATCH");
                if (r)
                        freeReplyObject(r);
                else
                        drop_connection(s);
                goto cleanup;
        }
        /* The raid judgment. */
        if ((err = judge_raids(s, plan, errstr, size)) ||
            (err = judge_raised(s, d, plan, errstr, size))) {
                drop_connection(s); /* WATCH is left behind: start clean */
                goto cleanup;
        }
        /* 2. MULTI, the writes and the judgments, EXEC. The replies of
         * round trip 1 (the days the slide deletes) are used to build it. */
        if (build_writes(s, offsets, n_offsets, keys, d, plan, &found,
                         &n_cmds)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                drop_connection(s); /* WATCH is left behind: start clean */
                goto cleanup;
        }
        free_step_replies(s, n_read);
        n_read = 0;
        if ((err = send_commands(s, "atomic step", errstr, size)))
                goto cleanup;
        if (hw_grow((void **)&s->step_replies, &s->step_replies_cap,
                    n_cmds + 2, sizeof(*s->step_replies))) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                drop_connection(s); /* a reply is left unread */
                goto cleanup;
        }
        s->pending = 1;
        s->pend_cmds = n_cmds;
        s->pend_got = 0;
        s->pend_keys = keys;
        s->pend_after = found.after;
        s->pend_watermark = found.watermark;
        if (defer) {
                *outcome = HW_STORE_PENDING;
                hw_arena_reset(&s->reply_arena);
                return HW_OK;
        }
        return finish_apply(s, plan, outcome, errstr, size);
cleanup:
        return end_step(s, err, *outcome, n_read, keys);
}

hw_err_t hw_store_apply(hw_store_t *s, const hw_store_offset_t *offsets,
                        size_t n_offsets, const hw_deltas_t *d,
                        const hw_plan_t *plan, hw_store_outcome_t *outcome,
                        char *errstr, size_t size) {
        return apply(s, offsets, n_offsets, d, plan, 0, outcome, errstr,
                     size);
}

uint64_t hw_store_alerts_added(const hw_store_t *s) {
        return s->alerts_added;
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

/*
 * Takes <prefix>turn for this store (SET NX, for TURN_MS) when no one
 * holds it. A step whose reads find another consumer's turn applies
 * nothing and waits for that one's step (which gives the turn back, or it
 * expires): steps are optimistic, and without turns a consumer with long
 * steps could find the short steps of another applied in between every
 * time.
 */
static hw_err_t take_turn(hw_store_t *s, char *errstr, size_t size) {
        redisReply *r;
        hw_err_t err;
        char key[600];

        snprintf(key, sizeof(key), "%sturn", s->conf->prefix);
        r = redisCommand(s->ctx, "SET %s %s NX PX %d", key, s->id, TURN_MS);
        if ((err = check_reply(s, r, "SET turn", errstr, size)))
                return err;
        s->holds_turn = r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        return HW_OK;
}

static void sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

/* Waits for another consumer's turn at most this long in one step. */
#define TURN_WAIT_MAX_MS 60000

/* After an applied step: the logs it compacted, in the plan's cache. */
static void note_compacted(const hw_store_t *s, hw_plan_t *plan) {
        for (size_t i = 0; i < s->n_compacts; i++)
                hw_plan_log_compacted(plan, &plan->compacted[s->compacts[i]]);
}

/* hw_store_step; with defer, the last apply returns once sent
 * (HW_STORE_PENDING) and hw_store_step_finish reads it. */
static hw_err_t step(hw_store_t *s, const hw_store_offset_t *offsets,
                     size_t n_offsets, const hw_deltas_t *d, hw_plan_t *plan,
                     int defer, hw_store_outcome_t *outcome, char *errstr,
                     size_t size) {
        hw_plan_conf_t conf;
        int waited_ms = 0;

        hw_store_plan_conf(s, &conf);
        s->holds_turn = 0;
        for (int tries = 0; tries < STALE_MAX;) {
                int64_t day = hw_plan_day_after(s->watermark, d->watermark);
                const hw_plan_slide_t *slide;
                hw_err_t err;
                s->others_turn = 0;
                if (tries >= TURN_AFTER && !s->holds_turn &&
                    ((err = hw_store_connect(s, errstr, size)) ||
                     (err = take_turn(s, errstr, size))))
                        return err;
                if ((err = hw_store_read_slide(s, day, plan, &slide, errstr,
                                               size)) ||
                    (err = hw_plan_build_slide(plan, &conf, d, day, slide,
                                               errstr, size)) ||
                    (err = apply(s, offsets, n_offsets, d, plan, defer,
                                 outcome, errstr, size)))
                        return err;
                if (*outcome == HW_STORE_PENDING) {
                        s->pend_offsets = offsets;
                        s->pend_n_offsets = n_offsets;
                        s->pend_d = d;
                        s->pend_plan = plan;
                        return HW_OK;
                }
                if (*outcome == HW_STORE_APPLIED)
                        note_compacted(s, plan);
                if (*outcome != HW_STORE_STALE)
                        return HW_OK;
                if (!s->others_turn) {
                        tries++;
                        continue;
                }
                if (waited_ms >= TURN_WAIT_MAX_MS)
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "another consumer held %sturn for "
                                       "%d s",
                                       s->conf->prefix,
                                       TURN_WAIT_MAX_MS / 1000);
                sleep_ms(2);
                waited_ms += 2;
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

hw_err_t hw_store_step(hw_store_t *s, const hw_store_offset_t *offsets,
                       size_t n_offsets, const hw_deltas_t *d, hw_plan_t *plan,
                       hw_store_outcome_t *outcome, char *errstr,
                       size_t size) {
        return step(s, offsets, n_offsets, d, plan, 0, outcome, errstr, size);
}

hw_err_t hw_store_step_send(hw_store_t *s, const hw_store_offset_t *offsets,
                            size_t n_offsets, const hw_deltas_t *d,
                            hw_plan_t *plan, hw_store_outcome_t *outcome,
                            char *errstr, size_t size) {
        return step(s, offsets, n_offsets, d, plan, 1, outcome, errstr, size);
}

int hw_store_refused_credentials(const hw_store_t *s) {
        return s->fault == HW_REDIS_CREDENTIALS;
}

int hw_store_step_pending(const hw_store_t *s) {
        return s->pending;
}

int hw_store_step_ready(hw_store_t *s) {
        struct pollfd p = {0};

        if (!s->pending || !s->ctx)
                return 1;
        /* Redis answers each command as it queues it: the step is applied
         * when the last reply, EXEC's, is in. */
        p.fd = s->ctx->fd;
        p.events = POLLIN;
        if ((poll(&p, 1, 0) > 0 && redisBufferRead(s->ctx) != REDIS_OK) ||
            take_replies(s, &s->pend_got, s->pend_cmds + 2, 0))
                return 1; /* finishing it reports the error */
        return s->pend_got == s->pend_cmds + 2;
}

hw_err_t hw_store_step_finish(hw_store_t *s, hw_store_outcome_t *outcome,
                              char *errstr, size_t size) {
        hw_plan_t *plan = s->pend_plan;
        hw_err_t err;

        if (!s->pending)
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "no atomic step is waiting for its reply");
        if ((err = finish_apply(s, plan, outcome, errstr, size)))
                return err;
        if (*outcome == HW_STORE_APPLIED)
                note_compacted(s, plan);
        if (*outcome != HW_STORE_STALE)
                return HW_OK;
        /* Another step came between its reads and its writes: plan and
         * apply it again, this time waiting for the reply. */
        return step(s, s->pend_offsets, s->pend_n_offsets, s->pend_d, plan,
                    0, outcome, errstr, size);
}
