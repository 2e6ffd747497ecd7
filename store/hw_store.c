/*
 * The Redis store (hw_store.h): its life, its connection and checks, and
 * the atomic step run end to end (its pieces are in step_*.c, the reads
 * outside it in store_reads.c; see hw_store_int.h).
 */
#include "hw_store_int.h"

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
        hw_buf_init(&s->reads_cmd);
        hw_arena_init(&s->reads_arena);
        hw_map_init(&s->appended);
        hw_map_init(&s->typed);
        hw_map_init(&s->codes);
        hw_map_init(&s->rpair_map);
        hw_map_init(&s->raid_known);
        hw_map_init(&s->sets_known);
        hw_map_init(&s->sets_staged);
        hw_map_init(&s->lab_names);
        hw_buf_init(&s->value);
        hw_buf_init(&s->json_ids);
        hw_buf_init(&s->json_attrs);
        hw_arena_init(&s->reply_arena);
        s->steps_after = -1;
        s->watermark = -1; /* none read yet (hw_store_watermark) */
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
void hw_step_free_slide(hw_store_t *s) {
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
        hw_step_forget_raids(s);
        hw_map_clear(&s->sets_known);
        hw_map_clear(&s->sets_staged);
        s->sets_known_bytes = 0;
        s->steps_after = -1;
        s->vals_trusted = 0;
}

/* Closes the connection (the next command connects again), forgetting
 * what it knew of the counters, a step sent with its reply unread and a
 * write of a step's commands that failed on it. */
void hw_step_drop_connection(hw_store_t *s) {
        hw_step_forget_values(s);
        s->spill_broken = 0;
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
        hw_step_drop_connection(s);
        free(s->group);
        free(s->argv);
        free(s->argvlen);
        hw_buf_release(&s->cmd);
        hw_buf_release(&s->reads_cmd);
        free(s->reads_replies);
        hw_arena_release(&s->reads_arena);
        hw_arena_release(&s->scratch);
        hw_step_free_slide(s);
        free(s->logs);
        free(s->log_stale);
        free(s->compacts);
        free(s->log_lens);
        free(s->replies);
        hw_map_release(&s->appended);
        hw_map_release(&s->typed);
        hw_map_release(&s->codes);
        hw_map_release(&s->rpair_map);
        hw_step_forget_raids(s);
        hw_map_release(&s->raid_known);
        hw_map_release(&s->sets_known);
        hw_map_release(&s->sets_staged);
        free(s->raid_staged);
        hw_map_release(&s->lab_names);
        hw_buf_release(&s->value);
        hw_buf_release(&s->json_ids);
        hw_buf_release(&s->json_attrs);
        free(s->rpairs);
        free(s->reads);
        free(s->step_replies);
        hw_arena_release(&s->reply_arena);
        free(s->vals);
        free(s->known);
        free(s->raids);
        free(s->raid_months);
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
                hw_step_drop_connection(s);
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
hw_err_t hw_step_pipelined_reply(hw_store_t *s, size_t pending,
                                 const char *what, redisReply **r, char *errstr,
                                 size_t size) {
        void *v = NULL;
        hw_err_t err;

        if (redisGetReply(s->ctx, &v) != REDIS_OK)
                v = NULL;
        if ((err = hw_step_check_reply(s, v, what, errstr, size))) {
                if (pending && s->ctx)
                        hw_step_drop_connection(s);
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
        r = redisCommand(s->ctx, "EXISTS %s" HW_KEY_EPOCH, prefix);
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
        redisReply *r = redisCommand(
                s->ctx, "MGET %s" HW_KEY_LAYOUT " %s" HW_KEY_WATERMARK, prefix,
                prefix);
        char day[16] = "", layout[32] = "", log[128];
        hw_err_t err;

        if ((err = hw_step_check_reply(
                     s, r, "MGET " HW_KEY_LAYOUT " " HW_KEY_WATERMARK, errstr,
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
                        err = hw_fail(
                                HW_ERR_ARG, errstr, size,
                                "Redis holds the counters under prefix "
                                "\"%s\" in an older layout (%s" HW_KEY_LAYOUT
                                " is %s, this version writes %s: the raid "
                                "index in a hash a month); rebuild them in "
                                "this version's layout with: "
                                "hirewire-consumer --replay --from "
                                "earliest, with the same prefix and "
                                "config (docs/operations.md)",
                                prefix, prefix, layout, LAYOUT);
        }
        freeReplyObject(r);
        if (err)
                return err;
        r = redisCommand(s->ctx, "ZRANGE %s" HW_KEY_B_DAYS " 0 0", prefix);

        if ((err = hw_step_check_reply(s, r, "ZRANGE " HW_KEY_B_DAYS, errstr,
                                       size)))
                return err == HW_ERR_INTERNAL ? HW_OK : err; /* not a zset */
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->type == REDIS_REPLY_STRING)
                snprintf(day, sizeof(day), "%s", r->element[0]->str);
        freeReplyObject(r);
        if (!day[0] || !hw_keys_log(log, sizeof(log), prefix, day))
                return HW_OK;
        r = redisCommand(s->ctx, "TYPE %s", log);
        if ((err = hw_step_check_reply(s, r, "TYPE", errstr, size)))
                return err;
        if (r->type == REDIS_REPLY_STATUS &&
            (!strcmp(r->str, "set") || !strcmp(r->str, "hash")))
                err = hw_fail(HW_ERR_ARG, errstr, size,
                              "Redis holds the counters under prefix \"%s\" "
                              "in an older layout (%s is a %s, not a "
                              "bucket log); rebuild them in this "
                              "version's layout with: hirewire-consumer "
                              "--replay --from earliest, with the same "
                              "prefix and config (docs/operations.md)",
                              prefix, log,
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
        if (s->ctx && hw_redis_primary_moved(&s->target))
                hw_step_drop_connection(s); /* ask the sentinels again */
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
                hw_step_drop_connection(s);
                return err;
        }
        /* The step sends the script with EVAL inside its MULTI (EVALSHA
         * there could meet NOSCRIPT after the other writes applied); loading
         * it here finds a Redis without scripting, or a script it cannot
         * compile, before any step, and caches it compiled. */
        r = redisCommand(s->ctx, "SCRIPT LOAD %s", hw_store_lua);
        if ((err = hw_step_check_reply(s, r, "SCRIPT LOAD", errstr, size))) {
                hw_step_drop_connection(s);
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
        r = redisCommand(s->ctx, "MGET %s" HW_KEY_EPOCH " %s" HW_KEY_WATERMARK,
                         s->conf->prefix, s->conf->prefix);
        if ((err = hw_step_check_reply(
                     s, r, "MGET " HW_KEY_EPOCH " " HW_KEY_WATERMARK, errstr,
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
        hw_step_unstage_raids(s);
        hw_map_clear(&s->sets_staged);
        hw_step_free_replies(s, n_read);
        hw_arena_reset(&s->reply_arena);
        free(keys);
        return err;
}

/* Keeps the length of each day's log after the step's APPEND (exec: the
 * step's EXEC reply), for note_logs. */
static void note_log_lens(hw_store_t *s, const hw_plan_t *plan,
                          const redisReply *exec) {
        s->n_log_lens = 0;
        if (s->append_at + plan->n_days > exec->elements ||
            hw_grow((void **)&s->log_lens, &s->log_lens_cap, plan->n_days + 1,
                    sizeof(*s->log_lens)))
                return;
        for (size_t i = 0; i < plan->n_days; i++) {
                const redisReply *e = exec->element[s->append_at + i];
                if (e->type != REDIS_REPLY_INTEGER || e->integer < 0)
                        return;
                s->log_lens[i] = (size_t)e->integer;
        }
        s->n_log_lens = plan->n_days;
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
                note_log_lens(s, plan, r);
                s->alerts_added =
                        r->elements && r->element[r->elements - 1]->type ==
                                                REDIS_REPLY_INTEGER
                                ? (uint64_t)r->element[r->elements - 1]->integer
                                : 0;
                /* The first command, INCR <prefix>steps. */
                if (r->element[0]->type == REDIS_REPLY_INTEGER) {
                        hw_step_keep_values(s, plan, s->pend_after,
                                            r->element[0]->integer);
                        if (s->steps_after >= 0) {
                                hw_step_keep_raids(s);
                                hw_step_keep_sets(s);
                        }
                } else
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
        s->n_log_lens = 0;
        s->cmd.len = 0;
        keys = malloc((n_offsets ? n_offsets : 1) * sizeof(*keys));
        for (size_t i = 0; keys && i < n_offsets; i++)
                if (!hw_store_offset_key(s, offsets[i].topic,
                                         offsets[i].partition, keys[i],
                                         sizeof(keys[i]))) {
                        err = hw_fail(HW_ERR_ARG, errstr, size,
                                      "the offset key of %s/%" PRId32
                                      " is longer than %zu bytes",
                                      offsets[i].topic, offsets[i].partition,
                                      sizeof(keys[i]) - 1);
                        goto cleanup;
                }
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
            hw_step_build_reads(s, n_offsets, keys, d, plan)) {
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
                        hw_step_drop_connection(s);
                goto cleanup;
        }
        /* The raid judgment. */
        if ((err = hw_step_judge_raids(s, plan, errstr, size)) ||
            (err = hw_step_judge_raised(s, d, plan, errstr, size))) {
                hw_step_drop_connection(
                        s); /* WATCH is left behind: start clean */
                goto cleanup;
        }
        /* 2. MULTI, the writes and the judgments, EXEC. The replies of
         * round trip 1 (the days the slide deletes) are used to build it. */
        if (hw_step_build_writes(s, offsets, n_offsets, keys, d, plan, &found,
                                 &n_cmds)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                hw_step_drop_connection(
                        s); /* WATCH is left behind: start clean */
                goto cleanup;
        }
        hw_step_stage_raids(s);
        hw_step_free_replies(s, n_read);
        n_read = 0;
        /* Room for the replies before the step is sent: once it is, it
         * applies whatever happens here, so out of memory after would
         * report a step that applied as one that did not. */
        if (hw_grow((void **)&s->step_replies, &s->step_replies_cap, n_cmds + 2,
                    sizeof(*s->step_replies))) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                hw_step_drop_connection(s); /* WATCH is left behind */
                goto cleanup;
        }
        if ((err = hw_step_send_commands(s, "atomic step", errstr, size)))
                goto cleanup;
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

        if (!hw_keys_name(key, sizeof(key), s->conf->prefix, HW_KEY_TURN))
                return hw_fail(HW_ERR_ARG, errstr, size, "prefix too long");
        r = redisCommand(s->ctx, "SET %s %s NX PX %d", key, s->id, TURN_MS);
        if ((err = hw_step_check_reply(s, r, "SET " HW_KEY_TURN, errstr, size)))
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

/* After an applied step: the logs it compacted, then what it appended
 * to each day's log, in the plan's cache. */
static void note_logs(const hw_store_t *s, hw_plan_t *plan) {
        for (size_t i = 0; i < s->n_compacts; i++)
                hw_plan_log_compacted(plan, &plan->compacted[s->compacts[i]]);
        for (size_t i = 0; i < s->n_log_lens && i < plan->n_days; i++)
                hw_plan_log_appended(plan, &plan->days[i], s->log_lens[i]);
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
                        note_logs(s, plan);
                if (*outcome != HW_STORE_STALE)
                        return HW_OK;
                if (!s->others_turn) {
                        tries++;
                        continue;
                }
                if (waited_ms >= TURN_WAIT_MAX_MS)
                        return hw_fail(
                                HW_ERR_INTERNAL, errstr, size,
                                "another consumer held %s" HW_KEY_TURN " for "
                                "%d s",
                                s->conf->prefix, TURN_WAIT_MAX_MS / 1000);
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
        HW_ASSERT(s->pend_got <= s->pend_cmds + 2);
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
                note_logs(s, plan);
        if (*outcome != HW_STORE_STALE)
                return HW_OK;
        /* Another step came between its reads and its writes: plan and
         * apply it again, this time waiting for the reply. */
        return step(s, s->pend_offsets, s->pend_n_offsets, s->pend_d, plan, 0,
                    outcome, errstr, size);
}
