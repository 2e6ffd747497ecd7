/*
 * Round trip 1 of the atomic step: WATCH the fences, read them, the type
 * of every key the step writes and the counters it changes; then check
 * what came back (fenced, stale, refused, or go on).
 */
#include "hw_store_int.h"

/* Queues a read of round trip 1. */
static int want_read(hw_store_t *s, step_read_t what, size_t i, const char *key,
                     const char *want) {
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
        return hw_step_resp_cmd(&s->cmd, 2) ||
               hw_step_resp_str(&s->cmd, "TYPE") ||
               hw_step_resp_arg(&s->cmd, key, lp + la + len) ||
               want_read(s, READ_TYPE, 0, key, want);
}

static int want_type(hw_store_t *s, const char *a, const char *p, size_t len,
                     const char *want) {
        return want_type_in(s, s->conf->prefix, a, p, len, want);
}

/* The logs the slide read: the leaving ones, then those read only to be
 * compacted. */
size_t hw_step_slide_logs(const hw_store_t *s) {
        size_t n = s->slide.n_leaving;
        if (s->slide.compact &&
            (size_t)(s->slide.compact - s->logs) + s->slide.n_compact > n)
                n = (size_t)(s->slide.compact - s->logs) + s->slide.n_compact;
        return n;
}

/* Whether the step writes the batch's alerts (those the processors
 * raised) with native commands: then round trip 1 watches and reads
 * alert:ids for them. */
int hw_step_native_alerts(const hw_store_t *s, const hw_deltas_t *d) {
        return s->raise_alerts && d->alerts.count > 0;
}

/* Whether the plan moves the watermark's day (so the slide applies). */
int hw_step_slides(const hw_store_t *s, const hw_plan_t *plan) {
        return s->slide.day >= 0 && plan->day > s->slide.day;
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
int hw_step_known(const hw_store_t *s, const hw_plan_t *plan,
                  const hw_plan_key_t *k, size_t at) {
        size_t slot = plan->changes[at].slot;
        return s->vals_used && !k->zset && slot < s->vals_cap && s->known[slot];
}

/* Keeps the counters' values an applied step left (after[i]: change i's);
 * steps_after is <prefix>steps after it. */
void hw_step_keep_values(hw_store_t *s, const hw_plan_t *plan,
                         const int64_t *after, int64_t steps_after) {
        if (s->vals_cap < plan->n_slots) {
                size_t cap = plan->n_slots + plan->n_slots / 2 + 1024;
                int64_t *v = realloc(s->vals, cap * sizeof(*v));
                unsigned char *k = v ? realloc(s->known, cap) : NULL;
                if (v)
                        s->vals = v;
                if (!k) {
                        hw_step_forget_values(s);
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
const char *hw_step_batch_lab_name(const hw_deltas_t *d, const char *slug) {
        char key[640];
        const hw_deltas_entry_t *set = NULL;
        int n = snprintf(key, sizeof(key), "lab:%s", slug);
        if (n > 0 && (size_t)n < sizeof(key))
                set = hw_deltas_find(d, HW_DELTA_SET, key, "name", 0, NULL);
        return set ? set->v.p : NULL;
}

/* Builds round trip 1 into s->cmd, queueing in s->reads what each reply
 * is for. -1 when out of memory. */
int hw_step_build_reads(hw_store_t *s, const hw_store_offset_t *offsets,
                        size_t n_offsets, char (*keys)[512],
                        const hw_deltas_t *d, const hw_plan_t *plan) {
        const hw_config_t *c = s->conf;
        const char *AP = hw_config_alerts_prefix(c);
        hw_buf_t *b = &s->cmd;
        size_t n_logs = hw_step_slide_logs(s);
        int slid = hw_step_slides(s, plan), rc = 0,
            na = hw_step_native_alerts(s, d);
        int ra = hw_step_raid_alerts(s, plan);
        int64_t largest = c->windows[c->n_windows - 1];
        char ymdkey[16];
        hw_delta_t set;

        for (size_t i = 0; i < n_offsets; i++)
                hw_store_offset_key(s, offsets[i].topic, offsets[i].partition,
                                    keys[i], sizeof(keys[i]));
        /* WATCH, then read what is watched. */
        rc |= hw_step_raid_pairs(s, plan, slid) ||
              hw_step_resp_cmd(b, 5 + n_offsets + (slid ? 2 : 0) + n_logs + na +
                                          ra) ||
              hw_step_resp_str(b, "WATCH") ||
              hw_step_resp_key(s, b, "epoch", 5) ||
              hw_step_resp_key(s, b, "steps", 5) ||
              hw_step_resp_key(s, b, "turn", 4) ||
              hw_step_resp_key(s, b, "watermark", 9);
        for (size_t i = 0; i < n_offsets && !rc; i++)
                rc |= hw_step_resp_str(b, keys[i]);
        if (slid)
                rc |= hw_step_resp_key(s, b, "b:days", 6) ||
                      hw_step_resp_key(s, b, "seen:days", 9);
        for (size_t i = 0; i < n_logs && !rc; i++) {
                snprintf(ymdkey, sizeof(ymdkey), "b:%s", s->logs[i].ymd);
                rc |= hw_step_resp_key(s, b, ymdkey, strlen(ymdkey));
        }
        if (na)
                rc |= hw_step_resp_alert_key(s, b, "alert:ids");
        if (ra)
                rc |= hw_step_resp_alert_key(s, b, "alert:raid");
        rc |= want_read(s, READ_WATCH, 0, NULL, NULL);
        rc |= hw_step_resp_cmd(b, 3 + n_offsets) ||
              hw_step_resp_str(b, "MGET") ||
              hw_step_resp_key(s, b, "epoch", 5) ||
              hw_step_resp_key(s, b, "watermark", 9);
        for (size_t i = 0; i < n_offsets && !rc; i++)
                rc |= hw_step_resp_str(b, keys[i]);
        rc |= want_read(s, READ_FENCES, 0, NULL, NULL);
        rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "GET") ||
              hw_step_resp_key(s, b, "steps", 5) ||
              want_read(s, READ_STEPS, 0, NULL, NULL);
        rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "GET") ||
              hw_step_resp_key(s, b, "turn", 4) ||
              want_read(s, READ_TURN, 0, NULL, NULL);
        if (slid) {
                char lo[32];
                snprintf(lo, sizeof(lo), "(%lld",
                         (long long)(s->slide.day - largest));
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZRANGEBYSCORE") ||
                      hw_step_resp_key(s, b, "b:days", 6) ||
                      hw_step_resp_str(b, lo) ||
                      hw_step_resp_int(b, plan->day - c->windows[0]) ||
                      want_read(s, READ_LEAVING, 0, NULL, NULL);
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZRANGEBYSCORE") ||
                      hw_step_resp_key(s, b, "b:days", 6) ||
                      hw_step_resp_str(b, "-inf") ||
                      hw_step_resp_int(b, plan->day - largest) ||
                      want_read(s, READ_GONE, 0, NULL, NULL);
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZRANGEBYSCORE") ||
                      hw_step_resp_key(s, b, "seen:days", 9) ||
                      hw_step_resp_str(b, "-inf") ||
                      hw_step_resp_int(b, plan->day - c->seen_days) ||
                      want_read(s, READ_GONE_SEEN, 0, NULL, NULL);
        }
        for (size_t i = 0; i < n_logs && !rc; i++) {
                snprintf(ymdkey, sizeof(ymdkey), "b:%s", s->logs[i].ymd);
                rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "STRLEN") ||
                      hw_step_resp_key(s, b, ymdkey, strlen(ymdkey)) ||
                      want_read(s, READ_LOG, i, NULL, NULL);
        }
        if (n_logs && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + n_logs) ||
                      hw_step_resp_str(b, "HMGET") ||
                      hw_step_resp_key(s, b, "b:gen", 5);
                for (size_t i = 0; i < n_logs && !rc; i++)
                        rc |= hw_step_resp_arg(b, s->logs[i].ymd, 8);
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
        for (size_t i = 0; !rc && hw_deltas_next_set(d, &i, &set);)
                rc |= want_type(s, "", set.key, set.key_len, "hash");
        for (size_t i = 0; i < d->persons.count && !rc; i++) {
                char bucket[16];
                int len = snprintf(bucket, sizeof(bucket), "%u",
                                   hw_person_bucket(d->persons.entries[i].key,
                                                    d->persons.entries[i].len));
                rc |= want_type(s, "persons:", bucket, (size_t)len, "hash");
        }
        for (size_t w = 0; w <= c->n_windows && !rc; w++) {
                char base[64];
                if (w == 0)
                        snprintf(base, sizeof(base), "flow:all:");
                else
                        snprintf(base, sizeof(base),
                                 "flow:%dd:", c->windows[w - 1]);
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
                        rc |= want_type_in(s, AP, alert_keys[i][0], "", 0,
                                           alert_keys[i][1]);
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
                        n += !hw_step_known(s, plan, k, k->first + j);
                s->n_unread[i] = n;
                if (!n) {
                        rc |= want_type(s, "", k->key, k->len, "hash");
                        continue;
                }
                rc |= hw_step_resp_cmd(b, 2 + n) ||
                      hw_step_resp_str(b, k->zset ? "ZMSCORE" : "HMGET") ||
                      hw_step_resp_key(s, b, k->key, k->len);
                for (size_t j = 0; j < k->n && !rc; j++)
                        if (!hw_step_known(s, plan, k, k->first + j))
                                rc |= hw_step_resp_arg(
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
                        rc |= hw_step_resp_cmd(b, 2 + end - first) ||
                              hw_step_resp_str(b, "HMGET") ||
                              hw_step_resp_key(s, b, fk, (size_t)len);
                        for (size_t k = first; k < end && !rc; k++)
                                rc |= hw_step_resp_arg(
                                        b, s->codes.entries[k].key + 1,
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
                rc |= hw_step_resp_cmd(b, 2 + s->n_rpairs) ||
                      hw_step_resp_str(b, "HMGET") ||
                      hw_step_resp_key(s, b, "raid", 4);
                for (size_t i = 0; i < s->n_rpairs && !rc; i++)
                        rc |= hw_step_resp_arg(b, s->rpairs[i].field,
                                               s->rpairs[i].len);
                rc |= want_read(s, READ_RAID, 0, NULL, NULL);
        }
        hw_map_clear(&s->lab_names);
        if (ra && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + plan->n_raids) ||
                      hw_step_resp_str(b, "HMGET") ||
                      hw_step_resp_alert_key(s, b, "alert:raid");
                for (size_t i = 0; i < plan->n_raids && !rc; i++)
                        rc |= hw_step_resp_arg(b, s->rpairs[i].field,
                                               s->rpairs[i].len);
                rc |= want_read(s, READ_RAISED, 0, NULL, NULL);
        }
        for (size_t i = 0; ra && i < plan->n_raids && !rc; i++) {
                const char *slug = plan->raids[i].lab_slug;
                size_t len = strlen(slug);
                char key[600];
                int created, n;
                hw_map_entry_t *e;
                if (hw_step_batch_lab_name(d, slug))
                        continue;
                e = hw_map_upsert(&s->lab_names, slug, len, &created);
                n = snprintf(key, sizeof(key), "lab:%s", slug);
                if (!e || n <= 0 || (size_t)n >= sizeof(key))
                        return -1;
                if (created)
                        rc |= hw_step_resp_cmd(b, 3) ||
                              hw_step_resp_str(b, "HGET") ||
                              hw_step_resp_key(s, b, key, (size_t)n) ||
                              hw_step_resp_str(b, "name") ||
                              want_read(s, READ_LAB_NAME, 0, e->key, NULL);
        }
        /* Which of the batch's alerts were raised before (watched). */
        if (na && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + d->alerts.count) ||
                      hw_step_resp_str(b, "SMISMEMBER") ||
                      hw_step_resp_alert_key(s, b, "alert:ids");
                for (size_t i = 0; i < d->alerts.count && !rc; i++)
                        rc |= hw_step_resp_arg(b, d->alerts.entries[i].key,
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

/* Whether r is an array of n replies. */
static int is_array(const redisReply *r, size_t n) {
        return r->type == REDIS_REPLY_ARRAY && r->elements == n;
}

/* The refusal of a step whose read of prefix+key got r, not the array it
 * asked for. */
static hw_err_t not_array(const redisReply *r, const char *prefix,
                          const char *key, char *errstr, size_t size) {
        return hw_fail(
                HW_ERR_INTERNAL, errstr, size, "Redis atomic step: %s (%s%s)",
                r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply",
                prefix, key);
}

/* A refusal: the error a step Redis would refuse gets (nothing written). */
#define REFUSED(...) hw_fail(HW_ERR_INTERNAL, errstr, size, __VA_ARGS__)

/*
 * Checks round trip 1's replies in order: HW_OK with *outcome APPLIED when
 * the step can go on, FENCED or STALE (errstr saying what moved) when it
 * must not; HW_ERR_INTERNAL naming the key for a step Redis would refuse.
 */
hw_err_t hw_step_check_reads(hw_store_t *s, redisReply **rep,
                             const hw_store_offset_t *offsets, size_t n_offsets,
                             char (*keys)[512], const hw_deltas_t *d,
                             const hw_plan_t *plan, step_found_t *f,
                             hw_store_outcome_t *outcome, char *errstr,
                             size_t size) {
        const char *P = s->conf->prefix;
        size_t n_logs = hw_step_slide_logs(s);

        *outcome = HW_STORE_APPLIED;
        for (size_t k = 0; k < s->n_reads; k++) {
                const hw_step_read_t *rd = &s->reads[k];
                const redisReply *r = rep[k];
                if (r->type == REDIS_REPLY_ERROR &&
                    (hw_redis_fault(r->str) != HW_REDIS_REFUSED ||
                     (rd->what != READ_LOG && rd->what != READ_COUNTER &&
                      rd->what != READ_RAID && rd->what != READ_RAISED &&
                      rd->what != READ_LAB_NAME)))
                        return hw_step_error_reply(s, r, "atomic step", errstr,
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
                                    memcmp(r->element[i]->str, s->logs[i].ymd,
                                           8))
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
                            strcmp(r->str, "none") && strcmp(r->str, rd->want))
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
                                 parse_counter(r->str, r->len, &s->steps_seen))
                                s->steps_seen = -2;
                        if (s->steps_seen == s->steps_after) {
                                s->vals_trusted = 1;
                                break;
                        }
                        hw_step_forget_values(s);
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
                                if (hw_step_known(s, plan, pk, pk->first + j))
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
                                                       : REFUSED("Redis atomic "
                                                                 "step: "
                                                                 "%sraid field "
                                                                 "%s is not "
                                                                 "a raid index "
                                                                 "(docs/"
                                                                 "redis-keys."
                                                                 "md)",
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
                                        &s->scratch, cap * sizeof(*rp->raised));
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
                        hw_map_entry_t *e = hw_map_find(&s->lab_names, rd->key,
                                                        strlen(rd->key));
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
                                return REFUSED(
                                        "Redis atomic step: unexpected "
                                        "reply reading %salert:ids",
                                        hw_config_alerts_prefix(s->conf));
                        for (size_t i = 0; i < r->elements; i++)
                                s->alert_new[i] = r->element[i]->type ==
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
                        if (hw_step_known(s, plan, pk, at) &&
                            __builtin_add_overflow(s->vals[ch->slot], ch->delta,
                                                   &f->after[at]))
                                return REFUSED(
                                        "Redis atomic step: hirewire store: "
                                        "%s%.*s %.*s would overflow",
                                        P, (int)pk->len, pk->key, (int)ch->len,
                                        ch->field);
                }
        }
        return HW_OK;
stale_days:
        *outcome = HW_STORE_STALE;
        hw_fail(HW_OK, errstr, size,
                "%sb:days has other days in the slide's range", P);
        return HW_OK;
}
