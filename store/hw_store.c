/*
 * The Redis store (hw_store.h): its connection and checks, the reads
 * outside the atomic step, and the step run end to end (the pieces are
 * in step_*.c, see hw_store_int.h).
 */
#include "hw_store_int.h"

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
void hw_step_free_replies(hw_store_t *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                s->step_replies[i] = NULL;
}

/* Forgets the counters' values: another step may have written. */
void hw_step_forget_values(hw_store_t *s) {
        if (s->known)
                memset(s->known, 0, s->vals_cap);
        s->steps_after = -1;
        s->vals_trusted = 0;
}

static void drop_connection(hw_store_t *s) {
        hw_step_forget_values(s);
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
hw_err_t hw_step_error_reply(hw_store_t *s, const redisReply *r,
                             const char *what, char *errstr, size_t size) {
        return hw_redis_error(&s->target, r->str, what, &s->fault, errstr,
                              size);
}

hw_err_t hw_step_check_reply(hw_store_t *s, redisReply *r, const char *what,
                             char *errstr, size_t size) {
        if (!r) {
                hw_err_t err =
                        hw_redis_lost(&s->target, s->ctx, what, errstr, size);
                s->fault = HW_REDIS_REFUSED;
                drop_connection(s);
                return err;
        }
        if (r->type == REDIS_REPLY_ERROR) {
                hw_err_t err = hw_step_error_reply(s, r, what, errstr, size);
                freeReplyObject(r);
                return err;
        }
        return HW_OK;
}

/* Reads the next reply of a pipeline into *r. On an error (nothing in
 * *r), a connection with `pending` replies still unread is dropped, so
 * the next command starts clean. */
static hw_err_t pipelined_reply(hw_store_t *s, size_t pending, const char *what,
                                redisReply **r, char *errstr, size_t size) {
        void *v = NULL;
        hw_err_t err;

        if (redisGetReply(s->ctx, &v) != REDIS_OK)
                v = NULL;
        if ((err = hw_step_check_reply(s, v, what, errstr, size))) {
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

        if (hw_step_check_reply(s, r, "CLUSTER KEYSLOT", errstr, size))
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

        if ((err = hw_step_check_reply(s, r, "INFO cluster", errstr, size)))
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
        if ((err = hw_step_check_reply(s, r, "EXISTS", errstr, size)))
                return err;
        freeReplyObject(r);
        return HW_OK;
}

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

        if ((err = hw_step_check_reply(s, r, "MGET layout watermark", errstr,
                                       size)))
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

        if ((err = hw_step_check_reply(s, r, "ZRANGE b:days", errstr, size)))
                return err == HW_ERR_INTERNAL ? HW_OK : err; /* not a zset */
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_STRING)
                snprintf(day, sizeof(day), "%s", r->element[0]->str);
        freeReplyObject(r);
        if (!day[0])
                return HW_OK;
        r = redisCommand(s->ctx, "TYPE %sb:%s", prefix, day);
        if ((err = hw_step_check_reply(s, r, "TYPE", errstr, size)))
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
                hw_step_forget_values(s);
                return err;
        }
        if ((err = cluster_check(s, errstr, size)) ||
            (err = layout_check(s, errstr, size)) ||
            (err = hw_step_raised_from_ids(s, errstr, size))) {
                drop_connection(s);
                return err;
        }
        /* The step sends the script with EVAL inside its MULTI (EVALSHA
         * there could meet NOSCRIPT after the other writes applied); loading
         * it here finds a Redis without scripting, or a script it cannot
         * compile, before any step, and caches it compiled. */
        r = redisCommand(s->ctx, "SCRIPT LOAD %s", hw_store_lua);
        if ((err = hw_step_check_reply(s, r, "SCRIPT LOAD", errstr, size))) {
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
        if ((err = hw_step_check_reply(s, r, what, errstr, size)))
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
        if ((err = hw_step_check_reply(s, r, "MGET epoch watermark", errstr,
                                       size)))
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
                rc = redisAppendCommandArgv(s->ctx, (int)(n + 2), argv, lens) ==
                                     REDIS_OK
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
                if ((err = hw_step_check_reply(s, r, "ZRANGEBYSCORE b:days",
                                               errstr, size)))
                        return err;
                for (size_t i = 0;
                     r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
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
                if (plan && hw_plan_log_known(plan, s->epoch, lg->day, &lg->gen,
                                              &lg->from)) {
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
                        s->log_stale[i] =
                                r->type != REDIS_REPLY_INTEGER ||
                                (size_t)r->integer != lg->from + lg->len;
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
                        int64_t gen =
                                r->type == REDIS_REPLY_ARRAY &&
                                                i < r->elements &&
                                                r->element[i]->type ==
                                                        REDIS_REPLY_STRING
                                        ? strtoll(r->element[i]->str, NULL, 10)
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
        if ((err = hw_step_check_reply(s, r, "PING", errstr, size)))
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
                              const int32_t *partitions, size_t n, int64_t *out,
                              char *errstr, size_t size) {
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
                if ((err = hw_step_check_reply(s, r, "GET offset", errstr,
                                               size)))
                        return err;
                out[i] = reply_int(r);
                freeReplyObject(r);
        }
        return HW_OK;
}

/* Orders person indexes by bucket (then position). */
int hw_step_by_bucket(const void *a, const void *b, void *buckets) {
        const unsigned *bk = buckets;
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        if (bk[i] != bk[j])
                return bk[i] < bk[j] ? -1 : 1;
        return (i > j) - (i < j);
}

hw_err_t hw_store_get_persons(hw_store_t *s, const char *const *ids, size_t n,
                              hw_person_t *out, hw_arena_t *arena, char *errstr,
                              size_t size) {
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
        qsort_r(order, n, sizeof(*order), hw_step_by_bucket, bucket);
        /* One HMGET per bucket, pipelined. */
        for (i = 0; i < n; i = j) {
                int len = snprintf(key, sizeof(key), "%spersons:%u",
                                   s->conf->prefix, bucket[order[i]]);
                argv[0] = "HMGET";
                argvlen[0] = 5;
                argv[1] = key;
                argvlen[1] = (size_t)len;
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]];
                     j++) {
                        argv[2 + j - i] = ids[order[j]];
                        argvlen[2 + j - i] = strlen(ids[order[j]]);
                }
                redisAppendCommandArgv(s->ctx, (int)(2 + j - i), argv, argvlen);
                cmds++;
        }
        for (i = 0; i < n; i = j) {
                if ((err = pipelined_reply(s, --cmds, "HMGET persons", &r,
                                           errstr, size)))
                        goto cleanup;
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]];
                     j++) {
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
                                HW_WARN("store",
                                        "person %s has a damaged "
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

/* Counts what an applied step appended to each day's log (for
 * compaction); the logs it read for compaction start again from 0. Out of
 * memory only delays a compaction. */
static void note_appended(hw_store_t *s, const hw_plan_t *plan) {
        if (s->appended.count > APPENDED_MAX)
                hw_map_clear(&s->appended);
        for (size_t i = 0; i < s->slide.n_compact; i++) {
                hw_map_entry_t *e =
                        hw_map_find(&s->appended, s->slide.compact[i].ymd, 8);
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
                hw_step_forget_values(s);
        hw_step_free_replies(s, n_read);
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
        if ((err = hw_step_read_replies(s, s->pend_got,
                                        n_cmds + 2 - s->pend_got, "atomic step",
                                        errstr, size)))
                goto cleanup;
        n_read = n_cmds + 2;
        for (size_t i = 0; i < n_read; i++) {
                redisReply *r = s->step_replies[i];
                if (r->type == REDIS_REPLY_ERROR) {
                        /* Queued commands Redis refused (out of memory, a
                         * transient state): EXEC applied nothing. */
                        err = hw_step_error_reply(s, r, "atomic step", errstr,
                                                  size);
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
                        r->elements && r->element[r->elements - 1]->type ==
                                                REDIS_REPLY_INTEGER
                                ? (uint64_t)r->element[r->elements - 1]->integer
                                : 0;
                /* The first command, INCR <prefix>steps. */
                if (r->element[0]->type == REDIS_REPLY_INTEGER)
                        hw_step_keep_values(s, plan, s->pend_after,
                                            r->element[0]->integer);
                else
                        hw_step_forget_values(s);
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
                      hw_store_outcome_t *outcome, char *errstr, size_t size) {
        char(*keys)[512] = NULL;
        step_found_t found = {-1,   NULL, NULL, NULL, NULL,
                              NULL, NULL, NULL, NULL};
        size_t n_logs = hw_step_slide_logs(s), n_cmds = 0, n_read = 0;
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
        found.len =
                hw_arena_alloc(&s->scratch, (n_logs + 1) * sizeof(*found.len));
        found.gen =
                hw_arena_alloc(&s->scratch, (n_logs + 1) * sizeof(*found.gen));
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
            !found.zafter || !s->alert_new || !s->n_unread ||
            hw_step_build_reads(s, offsets, n_offsets, keys, d, plan)) {
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
        if ((err = hw_step_round_trip(s, 0, s->n_reads, "atomic step (reads)",
                                      errstr, size)))
                goto cleanup;
        n_read = s->n_reads;
        if ((err = hw_step_check_reads(s, s->step_replies, offsets, n_offsets,
                                       keys, d, plan, &found, outcome, errstr,
                                       size)) ||
            *outcome != HW_STORE_APPLIED) {
                redisReply *r = redisCommand(s->ctx, "UNWATCH");
                if (r)
                        freeReplyObject(r);
                else
                        drop_connection(s);
                goto cleanup;
        }
        /* The raid judgment. */
        if ((err = hw_step_judge_raids(s, plan, errstr, size)) ||
            (err = hw_step_judge_raised(s, d, plan, errstr, size))) {
                drop_connection(s); /* WATCH is left behind: start clean */
                goto cleanup;
        }
        /* 2. MULTI, the writes and the judgments, EXEC. The replies of
         * round trip 1 (the days the slide deletes) are used to build it. */
        if (hw_step_build_writes(s, offsets, n_offsets, keys, d, plan, &found,
                                 &n_cmds)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                drop_connection(s); /* WATCH is left behind: start clean */
                goto cleanup;
        }
        hw_step_free_replies(s, n_read);
        n_read = 0;
        if ((err = hw_step_send_commands(s, "atomic step", errstr, size)))
                goto cleanup;
        if (hw_grow((void **)&s->step_replies, &s->step_replies_cap, n_cmds + 2,
                    sizeof(*s->step_replies))) {
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
        return apply(s, offsets, n_offsets, d, plan, 0, outcome, errstr, size);
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
        if ((err = hw_step_check_reply(s, r, "GET alerts position", errstr,
                                       size)))
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
        if ((err = hw_step_check_reply(s, r, "SET alerts position", errstr,
                                       size)))
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
                        a->attributes[i].key =
                                hw_alert_strdup(a, key, strlen(key));
                        a->attributes[i].value =
                                hw_alert_strdup(a, t, strlen(t));
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
        if ((err = hw_step_check_reply(s, r, "XRANGE alerts", errstr, size)))
                return err;
        for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
             i++) {
                const redisReply *e = r->element[i];
                hw_store_alert_t *o = &out[*n];
                if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                        continue;
                snprintf(o->id, sizeof(o->id), "%s", e->element[0]->str);
                if (alert_from_fields(&o->alert, e->element[1])) {
                        HW_WARN("store",
                                "alert stream entry %s is damaged; "
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
        if ((err = hw_step_check_reply(s, r, "SET turn", errstr, size)))
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
                    (err = apply(s, offsets, n_offsets, d, plan, defer, outcome,
                                 errstr, size)))
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
                       hw_store_outcome_t *outcome, char *errstr, size_t size) {
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
            hw_step_take_replies(s, &s->pend_got, s->pend_cmds + 2, 0))
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
        return step(s, s->pend_offsets, s->pend_n_offsets, s->pend_d, plan, 0,
                    outcome, errstr, size);
}
