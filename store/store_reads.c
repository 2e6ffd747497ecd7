/*
 * The store's reads outside the atomic step: the bucket logs the slide
 * needs, the stored offsets, the persons and applied ids a batch needs,
 * and the alerts stream read for the relay and the webhook (with their
 * positions).
 */
#include "hw_order.h"
#include "hw_store_int.h"

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

        if (argv && lens &&
            (lens[1] = hw_keys_name(key, sizeof(key), s->conf->prefix,
                                    HW_KEY_B_GEN))) {
                argv[0] = "HMGET";
                lens[0] = 5;
                argv[1] = key;
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

/* Queues CMD KEY [ARG...] (argc of them in all), without a format
 * string: hiredis's printf-like formatting cost thousands of
 * instructions a command, and a slide queues hundreds. */
static void queue(hw_store_t *s, int argc, const char *cmd, const char *key,
                  const char *a1, const char *a2) {
        const char *argv[4] = {cmd, key, a1, a2};
        size_t len[4] = {strlen(cmd), strlen(key), a1 ? strlen(a1) : 0,
                         a2 ? strlen(a2) : 0};
        redisAppendCommandArgv(s->ctx, argc, argv, len);
}

/* Reads again, whole, the logs of the slide whose cached part is not
 * what Redis holds (want[i]: read log i). */
static hw_err_t read_whole_logs(hw_store_t *s, const unsigned char *want,
                                size_t n, char *errstr, size_t size) {
        size_t pending = 0;
        char key[128], what[160];
        hw_err_t err;

        for (size_t i = 0; i < n; i++)
                if (want[i]) {
                        hw_keys_log(key, sizeof(key), s->conf->prefix,
                                    s->logs[i].ymd);
                        queue(s, 2, "GET", key, NULL, NULL);
                        pending++;
                }
        for (size_t i = 0; i < n; i++) {
                redisReply *r;
                if (!want[i])
                        continue;
                hw_keys_log(key, sizeof(key), s->conf->prefix, s->logs[i].ymd);
                snprintf(what, sizeof(what), "GET %s", key);
                if ((err = hw_step_pipelined_reply(s, --pending, what, &r,
                                                   errstr, size)))
                        return err;
                take_log_text(s, &s->logs[i], r);
                s->logs[i].from = 0;
        }
        return HW_OK;
}

/* What the plan's cached logs must have been read under to be read on
 * from where they end: this epoch, and this connection (a new one may
 * find a primary without the last appends they hold: read them whole). */
static const char *plan_epoch(hw_store_t *s) {
        snprintf(s->plan_epoch, sizeof(s->plan_epoch), "%s/%lu", s->epoch,
                 s->target.connection);
        return s->plan_epoch;
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

        hw_step_free_slide(s);
        *out = &s->slide;
        s->slide.day = before;
        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        if (before >= 0 && day > before) {
                r = redisCommand(s->ctx,
                                 "ZRANGEBYSCORE %s" HW_KEY_B_DAYS
                                 " (%lld %lld WITHSCORES",
                                 c->prefix, (long long)(before - largest),
                                 (long long)(day - c->windows[0]));
                if ((err = hw_step_check_reply(s, r,
                                               "ZRANGEBYSCORE " HW_KEY_B_DAYS,
                                               errstr, size)))
                        return err;
                for (size_t i = 0;
                     r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements;
                     i += 2) {
                        if (r->element[i]->len != 8)
                                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                              "%s" HW_KEY_B_DAYS
                                              " holds %s, not a "
                                              "yyyymmdd day",
                                              c->prefix, r->element[i]->str);
                        else if (want_log(s, n++, r->element[i]->str,
                                          strtoll(r->element[i + 1]->str, NULL,
                                                  10)))
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                        if (err) {
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
                char key[128];
                hw_keys_log(key, sizeof(key), c->prefix, lg->ymd);
                if (plan && hw_plan_log_known(plan, plan_epoch(s), lg->day,
                                              &lg->gen, &lg->from)) {
                        char from[24];
                        from[hw_decimal(from, (int64_t)lg->from)] = '\0';
                        queue(s, 4, "GETRANGE", key, from, "-1");
                        queue(s, 2, "STRLEN", key, NULL, NULL);
                } else {
                        queue(s, 2, "GET", key, NULL, NULL);
                }
        }
        if (n && append_gens(s, n)) {
                hw_step_drop_connection(s); /* the GETs queued are not read */
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
                hw_plan_log_t *lg = &s->logs[i];
                char key[128], what[160];
                hw_keys_log(key, sizeof(key), c->prefix, lg->ymd);
                snprintf(what, sizeof(what), "GET %s", key);
                if ((err = hw_step_pipelined_reply(s, 1, what, &r, errstr,
                                                   size)))
                        return err;
                take_log_text(s, lg, r);
                s->log_stale[i] = 0;
                if (lg->from) {
                        snprintf(what, sizeof(what), "STRLEN %s", key);
                        if ((err = hw_step_pipelined_reply(s, 1, what, &r,
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
                if ((err = hw_step_pipelined_reply(s, 0, "HMGET " HW_KEY_B_GEN,
                                                   &r, errstr, size)))
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
        s->slide.epoch = plan_epoch(s);
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

size_t hw_store_offset_key(const hw_store_t *s, const char *topic,
                           int32_t partition, char *out, size_t out_size) {
        return hw_keys_offset(out, out_size, s->conf->prefix, s->group, topic,
                              partition);
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
                char key[1024];
                if (!hw_store_offset_key(s, topic, partitions[i], key,
                                         sizeof(key)))
                        key[0] = '\0'; /* too long: no offset stored */
                redisAppendCommand(s->ctx, "GET %s", key);
        }
        for (size_t i = 0; i < n; i++) {
                /* An error with GETs still unread drops the connection:
                 * their replies would be taken for the next commands'. */
                if ((err = hw_step_pipelined_reply(s, n - 1 - i, "GET offset",
                                                   &r, errstr, size)))
                        return err;
                out[i] = reply_int(r);
                freeReplyObject(r);
        }
        return HW_OK;
}

/* Writes "<verb> <key> ids[order[from]] .. ids[order[to - 1]]" into cmd
 * as RESP: one command of a batch's reads. -1 when out of memory. */
static int resp_members(hw_buf_t *cmd, const char *verb, const char *key,
                        size_t len, const char *const *ids, const size_t *order,
                        size_t from, size_t to) {
        if (hw_step_resp_cmd(cmd, 2 + to - from) ||
            hw_step_resp_str(cmd, verb) || hw_step_resp_arg(cmd, key, len))
                return -1;
        for (size_t k = from; k < to; k++)
                if (hw_step_resp_str(cmd, ids[order[k]]))
                        return -1;
        return 0;
}

hw_err_t hw_store_get_persons(hw_store_t *s, const char *const *ids, size_t n,
                              hw_person_t *out, hw_arena_t *arena, char *errstr,
                              size_t size) {
        size_t *order = malloc((n ? n : 1) * sizeof(*order));
        int64_t *bucket = malloc((n ? n : 1) * sizeof(*bucket));
        hw_buf_t *cmd = &s->reads_cmd;
        size_t cmds = 0, i, j;
        hw_err_t err = HW_OK;
        char key[300];

        if (!order || !bucket) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        if ((err = hw_store_connect(s, errstr, size)))
                goto cleanup;
        for (i = 0; i < n; i++) {
                bucket[i] = hw_person_bucket(ids[i], strlen(ids[i]));
                memset(&out[i], 0, sizeof(out[i]));
        }
        if (hw_order_by_key(bucket, n, order)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        /* One HMGET per bucket, in one round trip. */
        cmd->len = 0;
        for (i = 0; i < n; i = j) {
                size_t len = hw_keys_persons(key, sizeof(key), s->conf->prefix,
                                             (unsigned)bucket[order[i]]);
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]]; j++)
                        ;
                if (resp_members(cmd, "HMGET", key, len, ids, order, i, j)) {
                        err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
                        goto cleanup;
                }
                cmds++;
        }
        if ((err = hw_store_reads_round_trip(s, cmds, "HMGET persons", errstr,
                                             size)))
                goto cleanup;
        for (i = 0, cmds = 0; i < n; i = j, cmds++) {
                const redisReply *r = s->reads_replies[cmds];
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]];
                     j++) {
                        const redisReply *e =
                                r->type == REDIS_REPLY_ARRAY &&
                                                j - i < r->elements
                                        ? r->element[j - i]
                                        : NULL;
                        hw_person_t *p = &out[order[j]];
                        int rc;
                        if (!e || e->type != REDIS_REPLY_STRING)
                                continue;
                        rc = hw_person_unpack(arena, e->str, e->len, p);
                        if (rc == -2) {
                                /* Not a damaged record: a person taken
                                 * as new would be counted wrong. */
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                                goto cleanup;
                        }
                        if (rc) {
                                /* A damaged record: treat the person as
                                 * unknown rather than count half of it. */
                                HW_WARN("store",
                                        "person %s has a damaged "
                                        "record; treated as new",
                                        ids[order[j]]);
                                memset(p, 0, sizeof(*p));
                        }
                }
        }
cleanup:
        free(order);
        free(bucket);
        return err;
}

hw_err_t hw_store_check_seen(hw_store_t *s, const int64_t *days,
                             const char *const *ids, size_t n,
                             unsigned char *out, char *errstr, size_t size) {
        hw_buf_t *cmd = &s->reads_cmd;
        size_t *order = NULL;
        size_t i, cmds = 0;
        hw_err_t err;
        char key[64];

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        /* One SMISMEMBER per day, whatever the order of the ids, in one
         * round trip. */
        order = malloc((n + 1) * sizeof(*order));
        if (!order || hw_order_by_key(days, n, order)) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        cmd->len = 0;
        for (i = 0; i < n;) {
                size_t j = i, len;
                char ymd[9];
                hw_time_ymd(days[order[i]], ymd);
                len = hw_keys_seen(key, sizeof(key), s->conf->prefix, ymd);
                while (j < n && days[order[j]] == days[order[i]])
                        j++;
                if (resp_members(cmd, "SMISMEMBER", key, len, ids, order, i,
                                 j)) {
                        err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                      "out of memory");
                        goto cleanup;
                }
                cmds++;
                i = j;
        }
        if ((err = hw_store_reads_round_trip(s, cmds, "SMISMEMBER", errstr,
                                             size)))
                goto cleanup;
        for (i = 0, cmds = 0; i < n; cmds++) {
                const redisReply *r = s->reads_replies[cmds];
                size_t j = i;
                while (j < n && days[order[j]] == days[order[i]])
                        j++;
                for (size_t k = i; k < j; k++)
                        out[order[k]] = r->type == REDIS_REPLY_ARRAY &&
                                        k - i < r->elements &&
                                        r->element[k - i]->integer == 1;
                i = j;
        }
cleanup:
        free(order);
        return err;
}

/* GETs (id NULL) or SETs reader's place in the alerts stream; *r is the
 * reply, checked. */
static hw_err_t alert_position(hw_store_t *s, const char *reader,
                               const char *id, redisReply **r, char *errstr,
                               size_t size) {
        char key[256];
        hw_err_t err;

        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        hw_keys_name(key, sizeof(key), hw_config_alerts_prefix(s->conf),
                     reader);
        *r = id ? redisCommand(s->ctx, "SET %s %s", key, id)
                : redisCommand(s->ctx, "GET %s", key);
        return hw_step_check_reply(
                s, *r, id ? "SET alerts position" : "GET alerts position",
                errstr, size);
}

hw_err_t hw_store_get_alert_position(hw_store_t *s, const char *reader,
                                     char *id, size_t id_size, char *errstr,
                                     size_t size) {
        redisReply *r;
        hw_err_t err = alert_position(s, reader, NULL, &r, errstr, size);

        if (err)
                return err;
        snprintf(id, id_size, "%s",
                 r->type == REDIS_REPLY_STRING ? r->str : "0-0");
        freeReplyObject(r);
        return HW_OK;
}

hw_err_t hw_store_set_alert_position(hw_store_t *s, const char *reader,
                                     const char *id, char *errstr,
                                     size_t size) {
        redisReply *r;
        hw_err_t err = alert_position(s, reader, id, &r, errstr, size);

        if (err)
                return err;
        freeReplyObject(r);
        return HW_OK;
}

/* What alert_from_fields returns besides 0. */
#define ALERT_DAMAGED (-1)
#define ALERT_NOMEM (-2)

/* Parses the JSON of a field into *out (replacing it); ALERT_NOMEM when
 * Jansson says memory was short, else 0 (*out NULL when it is not JSON).
 * Jansson 2.14 mostly reports running out of memory as a syntax error:
 * such an entry is then taken for a damaged one. */
static int alert_json(const redisReply *val, json_t **out) {
        json_error_t e;
        json_decref(*out);
        *out = json_loadb(val->str, val->len, 0, &e);
        return !*out && json_error_code(&e) == json_error_out_of_memory
                       ? ALERT_NOMEM
                       : 0;
}

/* The most strings plain_json reads: an alert names at most 50 event ids
 * and a few attributes. */
#define PLAIN_MAX 64

/*
 * The JSON hirewire writes for an alert's event ids (["id",...], open
 * '[') and attributes ({"key":"value",...}, open '{'), read without
 * Jansson when it is in that plain form: no spaces, no escapes, UTF-8.
 * Returns how many strings it read into s and lens (an object's keys and
 * values in turn), or -1 when the text is not in that form (Jansson reads
 * it then, and tells JSON that is not an array or object of strings).
 */
static long plain_json(const char *p, size_t len, char open, const char **s,
                       size_t *lens) {
        char close = open == '[' ? ']' : '}';
        size_t i = 1, n = 0;

        if (len < 2 || p[0] != open || p[len - 1] != close)
                return -1;
        if (len == 2)
                return 0;
        for (;;) {
                size_t j = i + 1;
                if (p[i] != '"' || n == PLAIN_MAX)
                        return -1;
                for (; j < len - 1 && p[j] != '"'; j++)
                        if (p[j] == '\\' || (unsigned char)p[j] < 0x20)
                                return -1;
                if (j >= len - 1 || !hw_utf8_valid(p + i + 1, j - i - 1))
                        return -1;
                s[n] = p + i + 1;
                lens[n++] = j - i - 1;
                if ((i = j + 1) == len - 1)
                        break;
                if (p[i++] != (open == '{' && n % 2 ? ':' : ','))
                        return -1;
        }
        if (open == '{') {
                if (n % 2)
                        return -1;
                /* A key given twice: Jansson keeps the last value. */
                for (size_t a = 0; a < n; a += 2)
                        for (size_t b = a + 2; b < n; b += 2)
                                if (lens[a] == lens[b] &&
                                    !memcmp(s[a], s[b], lens[a]))
                                        return -1;
        }
        return (long)n;
}

/* An alert's event ids and attributes from their plain JSON (plain_json);
 * 1 when either is not in that form, ALERT_NOMEM, else 0. */
static int alert_plain(hw_alert_t *a, const redisReply *ids,
                       const redisReply *attrs) {
        const char *is[PLAIN_MAX], *as[PLAIN_MAX];
        size_t il[PLAIN_MAX], al[PLAIN_MAX];
        long ni = plain_json(ids->str, ids->len, '[', is, il);
        long na = attrs ? plain_json(attrs->str, attrs->len, '{', as, al) : 0;

        if (ni < 0 || na < 0)
                return 1;
        if (hw_alert_alloc_event_ids(a, (size_t)ni) ||
            hw_alert_alloc_attributes(a, (size_t)na / 2))
                return ALERT_NOMEM;
        for (long i = 0; i < ni; i++)
                if (!(a->event_ids[i] = hw_alert_strdup(a, is[i], il[i])))
                        return ALERT_NOMEM;
        for (long i = 0; i < na; i += 2) {
                hw_alert_attr_t *t = &a->attributes[i / 2];
                if (!(t->key = hw_alert_strdup(a, as[i], al[i])) ||
                    !(t->value = hw_alert_strdup(a, as[i + 1], al[i + 1])))
                        return ALERT_NOMEM;
        }
        return 0;
}

/* An alert's event ids and attributes from any JSON, through Jansson:
 * ALERT_DAMAGED when they are not an array of strings and an object of
 * strings, ALERT_NOMEM, else 0. */
static int alert_jansson(hw_alert_t *a, const redisReply *ids_r,
                         const redisReply *attrs_r) {
        json_t *ids = NULL, *attrs = NULL;
        const char *key;
        json_t *v;
        int rc;

        if ((rc = alert_json(ids_r, &ids)) ||
            (attrs_r && (rc = alert_json(attrs_r, &attrs))))
                goto cleanup;
        rc = ALERT_DAMAGED;
        if (!json_is_array(ids) || (attrs_r && !json_is_object(attrs)))
                goto cleanup;
        for (size_t i = 0; i < json_array_size(ids); i++)
                if (!json_is_string(json_array_get(ids, i)))
                        goto cleanup;
        json_object_foreach(attrs, key, v) {
                if (!json_is_string(v))
                        goto cleanup;
        }
        rc = ALERT_NOMEM; /* what can fail from here on */
        if (hw_alert_alloc_event_ids(a, json_array_size(ids)) ||
            hw_alert_alloc_attributes(a, attrs ? json_object_size(attrs) : 0))
                goto cleanup;
        for (size_t i = 0; i < a->n_event_ids; i++) {
                const char *t = json_string_value(json_array_get(ids, i));
                if (!(a->event_ids[i] = hw_alert_strdup(a, t, strlen(t))))
                        goto cleanup;
        }
        if (attrs) {
                size_t i = 0;
                json_object_foreach(attrs, key, v) {
                        const char *t = json_string_value(v);
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

/* Fills an alert from a stream entry's field/value array. Returns
 * ALERT_DAMAGED when a field is missing or does not parse, ALERT_NOMEM
 * when memory is short (the entry may be whole: it is not skipped). */
static int alert_from_fields(hw_alert_t *a, const redisReply *f) {
        const redisReply *ids = NULL, *attrs = NULL;
        int rc, sev;

        hw_alert_reset(a);
        for (size_t i = 0; i + 1 < f->elements; i += 2) {
                const char *name = f->element[i]->str;
                const redisReply *val = f->element[i + 1];
                const char *copy;
                if (val->type != REDIS_REPLY_STRING)
                        continue;
                if (!strcmp(name, "event_ids")) {
                        ids = val;
                        continue;
                }
                if (!strcmp(name, "attributes")) {
                        attrs = val;
                        continue;
                }
                copy = hw_alert_strdup(a, val->str, val->len);
                if (!copy)
                        return ALERT_NOMEM;
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
        if (!a->alert_id || !a->rule || !a->subject || !a->summary || !ids)
                return ALERT_DAMAGED;
        /* What hirewire writes is read by hand; anything else by Jansson. */
        rc = alert_plain(a, ids, attrs);
        return rc == 1 ? alert_jansson(a, ids, attrs) : rc;
}

hw_err_t hw_store_read_alerts(hw_store_t *s, const char *after,
                              hw_store_alert_t *out, size_t max, size_t *n,
                              char *errstr, size_t size) {
        const char *prefix = hw_config_alerts_prefix(s->conf);
        hw_buf_t *cmd = &s->reads_cmd;
        const redisReply *r;
        char start[64];
        hw_err_t err;
        int rc;

        *n = 0;
        if ((err = hw_store_connect(s, errstr, size)))
                return err;
        /* Its reply built in an arena: a thousand entries of a dozen
         * strings each. */
        snprintf(start, sizeof(start), "(%s", after);
        cmd->len = 0;
        if (hw_step_resp_cmd(cmd, 6) || hw_step_resp_str(cmd, "XRANGE") ||
            hw_step_resp_arg2(cmd, prefix, strlen(prefix), HW_KEY_ALERTS,
                              strlen(HW_KEY_ALERTS)) ||
            hw_step_resp_str(cmd, start) || hw_step_resp_str(cmd, "+") ||
            hw_step_resp_str(cmd, "COUNT") ||
            hw_step_resp_int(cmd, (int64_t)max))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if ((err = hw_store_reads_round_trip(s, 1, "XRANGE " HW_KEY_ALERTS,
                                             errstr, size)))
                return err;
        r = s->reads_replies[0];
        for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
             i++) {
                const redisReply *e = r->element[i];
                hw_store_alert_t *o = &out[*n];
                if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                        continue;
                snprintf(o->id, sizeof(o->id), "%s", e->element[0]->str);
                rc = alert_from_fields(&o->alert, e->element[1]);
                if (rc == ALERT_NOMEM)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory reading alert %s", o->id);
                if (rc == ALERT_DAMAGED) {
                        HW_WARN("store",
                                "alert stream entry %s is damaged; "
                                "not relayed",
                                o->id);
                        /* Keep its id so the relay moves past it. */
                        o->alert.alert_id = NULL;
                }
                (*n)++;
        }
        return HW_OK;
}
