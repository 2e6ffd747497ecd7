/*
 * hirewire-consumer --replay: rebuild into a staging prefix, check it,
 * swap it in or print how it differs (docs/operations.md).
 */
#include "consumer.h"

/* Seconds since the replay began (monotonic). */
static int64_t replay_t0;

/* Every half second of a replay: the progress line, and the lock kept. */
void hw_consumer_replay_tick(consumer_t *c) {
        const char *argv[4] = {"PEXPIRE", c->lock_key, "60000", NULL};
        char errstr[256];
        redisReply *r;

        hw_replay_progress(stderr, isatty(STDERR_FILENO), c->targets,
                           c->n_targets, c->total_applied + c->total_duplicates,
                           (double)(hw_consumer_mono_ms() - replay_t0) / 1000.0,
                           0);
        if (!hw_store_argv(c->store, 3, argv, NULL, &r, "PEXPIRE", errstr,
                           sizeof(errstr)))
                freeReplyObject(r);
}

/* Writes s with tabs, newlines, CRs and backslashes escaped (\t \n \r \\),
 * so each difference stays one tab-separated line. */
static void put_escaped(const char *s) {
        for (; *s; s++) {
                switch (*s) {
                case '\t':
                        fputs("\\t", stdout);
                        break;
                case '\n':
                        fputs("\\n", stdout);
                        break;
                case '\r':
                        fputs("\\r", stdout);
                        break;
                case '\\':
                        fputs("\\\\", stdout);
                        break;
                default:
                        putchar(*s);
                }
        }
}

static int print_difference(void *ctx, const char *key, const char *field,
                            const char *live, const char *rebuilt) {
        size_t *n = ctx;
        if (!(*n)++)
                puts("key\tfield\tlive\trebuilt");
        put_escaped(key);
        putchar('\t');
        put_escaped(field);
        putchar('\t');
        put_escaped(live);
        putchar('\t');
        put_escaped(rebuilt);
        putchar('\n');
        return 0;
}

/* Runs one command on the store's connection, dropping the reply; the
 * reply's type is returned (-1 on failure). */
static int store_command(consumer_t *c, int argc, const char **argv) {
        char errstr[512];
        redisReply *r;
        int type;
        if (hw_store_argv(c->store, argc, argv, NULL, &r, argv[0], errstr,
                          sizeof(errstr))) {
                HW_ERROR("consumer", "%s", errstr);
                return -1;
        }
        type = r->type;
        freeReplyObject(r);
        return type;
}

/* GETs key into *value (-1 when missing). On failure, logged naming the
 * key: HW_ERR_SERVICE when Redis was lost, else HW_ERR_INTERNAL (Redis
 * refused it: a key of another type). */
static hw_err_t get_int(consumer_t *c, const char *key, int64_t *value) {
        const char *argv[2] = {"GET", key};
        char errstr[512];
        redisReply *r;
        hw_err_t err;
        if ((err = hw_store_argv(c->store, 2, argv, NULL, &r, "GET", errstr,
                                 sizeof(errstr)))) {
                HW_ERROR("consumer", "replay: cannot read %s: %s", key, errstr);
                return err;
        }
        *value = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
        freeReplyObject(r);
        return HW_OK;
}

/* The exit status of a failed read: unavailable only when Redis was. */
static int read_failed(hw_err_t err) {
        return err == HW_ERR_SERVICE ? HW_EXIT_UNAVAILABLE : HW_EXIT_FAILURE;
}

typedef struct diff_count_s {
        size_t keys, fields;
        char last[512];
} diff_count_t;
static int count_difference(void *ctx, const char *key, const char *field,
                            const char *live, const char *rebuilt) {
        diff_count_t *d = ctx;
        (void)field, (void)live, (void)rebuilt;
        d->fields++;
        if (strcmp(d->last, key)) { /* differences come in key order */
                d->keys++;
                snprintf(d->last, sizeof(d->last), "%s", key);
        }
        return 0;
}

/*
 * Before a swap: a rebuild that holds no event is never swapped in; one
 * that leaves out events the live state counted (--from TIME after what
 * the live group read; --from earliest leaves out nothing Kafka still
 * holds) is swapped only with --yes. The live state's reach is its group's
 * stored offsets, or, with none but a watermark (written by another
 * group), every offset up to the end. Returns 0 to swap, else the exit
 * status, having said why.
 */
static int check_rebuild(consumer_t *c, const char *staging) {
        char key[1024], errstr[512];
        int64_t dropped = 0, wm = -1, *next;
        size_t parts = 0, found = 0, n_diffs;
        diff_count_t d = {0};
        int rc = HW_EXIT_UNAVAILABLE;
        hw_err_t err;

        if (!c->total_applied) {
                HW_ERROR("consumer",
                         "replay: the rebuild holds no event (%s); nothing "
                         "swapped, every key under %s left as it was",
                         c->replay_from && strcmp(c->replay_from, "earliest")
                                 ? "none published at or after --from"
                                 : "the topics hold none",
                         c->live_prefix);
                return HW_EXIT_FAILURE;
        }
        if (!(next = calloc(c->n_targets + 1, sizeof(*next))))
                return HW_EXIT_FAILURE;
        for (size_t i = 0; i < c->n_targets; i++) {
                if (!hw_keys_offset(key, sizeof(key), c->live_prefix,
                                    c->conf.group, c->targets[i].topic,
                                    c->targets[i].partition))
                        goto out;
                if ((err = get_int(c, key, &next[i]))) {
                        rc = read_failed(err);
                        goto out;
                }
                found += next[i] >= 0;
        }
        if (!found) {
                if (!hw_keys_name(key, sizeof(key), c->live_prefix,
                                  HW_KEY_WATERMARK))
                        goto out;
                if ((err = get_int(c, key, &wm))) {
                        rc = read_failed(err);
                        goto out;
                }
        }
        for (size_t i = 0; i < c->n_targets; i++) {
                int64_t n = hw_replay_dropped(
                        &c->targets[i], wm >= 0 ? c->targets[i].end : next[i]);
                dropped += n;
                parts += n > 0;
        }
        rc = HW_OK;
        if (!dropped)
                goto out;
        if (hw_rebuild_diff(c->store, c->live_prefix, staging,
                            hw_config_alerts_prefix(&c->conf), count_difference,
                            &d, &n_diffs, errstr, sizeof(errstr))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = HW_EXIT_UNAVAILABLE;
                goto out;
        }
        if (c->replay_yes) {
                HW_WARN("consumer",
                        "replay --from %s --yes: swapping in a rebuild that "
                        "leaves out %" PRId64 " offsets on %zu partitions "
                        "the live state under %s counted (%zu keys change)",
                        c->replay_from, dropped, parts, c->live_prefix, d.keys);
                goto out;
        }
        HW_ERROR("consumer",
                 "replay --from %s: the rebuild leaves out %" PRId64
                 " offsets on %zu partitions that the live state under %s "
                 "counted (published before that time); swapping would "
                 "change %zu keys (%zu fields) and lose their counts. "
                 "Nothing swapped: run again with --yes to swap anyway, or "
                 "with --diff to list every difference",
                 c->replay_from, dropped, parts, c->live_prefix, d.keys,
                 d.fields);
        rc = HW_EXIT_FAILURE;
out:
        free(next);
        return rc;
}

/*
 * --replay: read every partition from its start to the end offsets seen
 * now, outside the group, into the staging prefix (the conf's prefix);
 * then swap the staging keys in, or print how they differ. The staging
 * keys are removed whatever happens.
 */
int hw_consumer_run_replay(consumer_t *c) {
        const char *staging = c->conf.prefix;
        rd_kafka_topic_partition_list_t *list = NULL;
        hw_rebuild_offset_t *offs = NULL;
        char errstr[512], pid[32];
        int rc = HW_EXIT_FAILURE, locked = 0;
        int64_t total = 0;
        size_t n = 0;
        hw_err_t err;

        /* One replay of a prefix at a time; the lock expires if we die. */
        if (!hw_keys_replay_lock(c->lock_key, sizeof(c->lock_key),
                                 c->live_prefix)) {
                HW_ERROR("consumer", "replay: prefix %s is too long",
                         c->live_prefix);
                return HW_EXIT_FAILURE;
        }
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        {
                const char *argv[6] = {"SET", c->lock_key, pid,
                                       "NX",  "PX",        "60000"};
                int type = store_command(c, 6, argv);
                if (type < 0)
                        return HW_EXIT_UNAVAILABLE;
                if (type == REDIS_REPLY_NIL) {
                        HW_ERROR("consumer",
                                 "another replay of prefix %s is "
                                 "running (Redis key %s)",
                                 c->live_prefix, c->lock_key);
                        return HW_EXIT_FAILURE;
                }
                locked = 1;
        }
        if ((err = hw_rebuild_clear(c->store, staging, &n, errstr,
                                    sizeof(errstr)))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = HW_EXIT_UNAVAILABLE;
                goto out;
        }
        if (n)
                HW_LOG_KV(HW_LOG_WARN, "consumer",
                          "removed the staging keys of an interrupted replay",
                          "keys=%zu", n);
        if (hw_consumer_find_targets(c)) {
                rc = HW_EXIT_UNAVAILABLE;
                goto out;
        }
        if ((err = hw_replay_resolve_start(c->rk, c->targets, c->n_targets,
                                           c->replay_from ? c->replay_from
                                                          : "earliest",
                                           errstr, sizeof(errstr)))) {
                HW_ERROR("consumer", "%s", errstr);
                rc = err == HW_ERR_ARG ? HW_EXIT_USAGE : HW_EXIT_UNAVAILABLE;
                goto out;
        }
        list = rd_kafka_topic_partition_list_new((int)c->n_targets + 1);
        c->n_assigned = 0;
        for (size_t i = 0; i < c->n_targets; i++) {
                hw_target_t *t = &c->targets[i];
                assigned_t *a;
                if (t->start >= t->end)
                        continue;
                a = &c->assigned[c->n_assigned++];
                snprintf(a->topic, sizeof(a->topic), "%s", t->topic);
                a->partition = t->partition;
                a->stored = -1;
                a->position = t->start;
                a->at_eof = 0;
                a->target = t;
                rd_kafka_topic_partition_list_add(list, t->topic, t->partition)
                        ->offset = t->start;
                total += t->end - t->start;
        }
        HW_LOG_KV(HW_LOG_INFO, "consumer", "replay: rebuilding",
                  "prefix=\"%s\" from=%s staging=\"%s\" offsets=%" PRId64
                  " partitions=%zu new_alerts=%s",
                  c->live_prefix, c->replay_from ? c->replay_from : "earliest",
                  staging, total, c->n_assigned,
                  c->replay_alerts ? "raised" : "none");
        rd_kafka_assign(c->rk, list);
        replay_t0 = hw_consumer_mono_ms();
        hw_consumer_run(c);
        rd_kafka_assign(c->rk, NULL);
        hw_replay_progress(stderr, isatty(STDERR_FILENO), c->targets,
                           c->n_targets, c->total_applied + c->total_duplicates,
                           (double)(hw_consumer_mono_ms() - replay_t0) / 1000.0,
                           1);
        if (c->failed || !hw_replay_complete(c->targets, c->n_targets)) {
                HW_ERROR("consumer", "replay %s: nothing swapped",
                         c->failed ? "failed" : "interrupted");
                if (c->failed)
                        rc = c->failed;
                goto out;
        }
        if (c->replay_diff) {
                size_t diffs, printed = 0;
                if ((err = hw_rebuild_diff(c->store, c->live_prefix, staging,
                                           hw_config_alerts_prefix(&c->conf),
                                           print_difference, &printed, &diffs,
                                           errstr, sizeof(errstr)))) {
                        HW_ERROR("consumer", "%s", errstr);
                        goto out;
                }
                fflush(stdout);
                HW_LOG_KV(HW_LOG_INFO, "consumer",
                          "replay --diff: the prefix against the rebuild; "
                          "nothing swapped",
                          "differences=%zu prefix=\"%s\"", diffs,
                          c->live_prefix);
                /* As diff(1): 1 when anything differs. */
                rc = diffs ? HW_EXIT_FAILURE : HW_EXIT_OK;
                goto out;
        }
        if ((rc = check_rebuild(c, staging)))
                goto out;
        rc = HW_EXIT_FAILURE;
        offs = calloc(c->n_targets + 1, sizeof(*offs));
        if (!offs)
                goto out;
        for (size_t i = 0; i < c->n_targets; i++) {
                if (!hw_keys_offset(offs[i].suffix, sizeof(offs[i].suffix), "",
                                    c->conf.group, c->targets[i].topic,
                                    c->targets[i].partition)) {
                        HW_ERROR("consumer",
                                 "replay: the offset key of %s/%" PRId32
                                 " is too long; nothing swapped",
                                 c->targets[i].topic, c->targets[i].partition);
                        goto out;
                }
                offs[i].next = c->targets[i].end;
        }
        {
                int64_t deleted, renamed, epoch;
                if ((err = hw_rebuild_swap(c->store, c->live_prefix, staging,
                                           hw_config_alerts_prefix(&c->conf),
                                           offs, c->n_targets, &deleted,
                                           &renamed, &epoch, errstr,
                                           sizeof(errstr)))) {
                        HW_ERROR("consumer", "swap failed: %s", errstr);
                        goto out;
                }
                HW_LOG_KV(HW_LOG_INFO, "consumer", "replay swapped in",
                          "replaced=%" PRId64 " rebuilt=%" PRId64
                          " prefix=\"%s\" group=\"%s\" epoch=%" PRId64,
                          deleted, renamed, c->live_prefix, c->conf.group,
                          epoch);
        }
        rc = HW_EXIT_OK;
out:
        if (list)
                rd_kafka_topic_partition_list_destroy(list);
        free(offs);
        if ((err = hw_rebuild_clear(c->store, staging, &n, errstr,
                                    sizeof(errstr))))
                HW_ERROR("consumer", "staging keys under %s not removed: %s",
                         staging, errstr);
        if (locked) {
                const char *argv[2] = {"DEL", c->lock_key};
                store_command(c, 2, argv);
        }
        return rc;
}
