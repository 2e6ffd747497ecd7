/*
 * Round trip 1 of the atomic step, as sent: WATCH the fences, read them,
 * the type of every key the step writes and the counters it changes; and
 * the counters' values a consumer keeps from its last step. What came back
 * is checked by step_check.c.
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

/* Queues TYPE of the key prefix+name (name: len bytes, a name of
 * hw_keys.h; 0: it did not fit) once per step: a key the step writes must
 * be absent or of type want. */
static int want_type_in(hw_store_t *s, const char *prefix, const char *name,
                        size_t len, const char *want) {
        size_t lp = strlen(prefix);
        char *key = len ? hw_arena_alloc(&s->scratch, lp + len + 1) : NULL;
        hw_map_entry_t *e;
        int created;

        if (!key)
                return -1;
        memcpy(key, prefix, lp);
        memcpy(key + lp, name, len);
        key[lp + len] = '\0';
        e = hw_map_upsert(&s->typed, key, lp + len, &created);
        if (!e)
                return -1;
        if (!created)
                return 0;
        return hw_step_resp_cmd(&s->cmd, 2) ||
               hw_step_resp_str(&s->cmd, "TYPE") ||
               hw_step_resp_arg(&s->cmd, key, lp + len) ||
               want_read(s, READ_TYPE, 0, key, want);
}

static int want_type(hw_store_t *s, const char *name, size_t len,
                     const char *want) {
        return want_type_in(s, s->conf->prefix, name, len, want);
}

/* The same for a fixed name (HW_KEY_*). */
static int want_fixed(hw_store_t *s, const char *name, const char *want) {
        return want_type(s, name, strlen(name), want);
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

/* The names of the windows, all first, into s->wname. */
static void window_names(hw_store_t *s) {
        const hw_config_t *c = s->conf;

        for (size_t w = 0; w <= c->n_windows; w++)
                hw_keys_window_name(s->wname[w], sizeof(s->wname[w]),
                                    w ? c->windows[w - 1] : 0);
}

/* The countries whose flow in or out the plan changes, per window, into
 * s->codes (see hw_store_s). Returns the windows with any, -1 when out of
 * memory. */
static int touched_flows(hw_store_t *s, const hw_plan_t *plan) {
        const hw_config_t *c = s->conf;
        int n = 0;

        hw_map_clear(&s->codes);
        for (size_t w = 0; w <= c->n_windows; w++) {
                char in[64], out_key[64];
                size_t l_in = hw_keys_window(in, sizeof(in), "", HW_KEY_FLOW_IN,
                                             s->wname[w]);
                size_t l_out = hw_keys_window(out_key, sizeof(out_key), "",
                                              HW_KEY_FLOW_OUT, s->wname[w]);
                s->win_first[w] = s->codes.count;
                for (size_t i = 0; i < plan->n_keys; i++) {
                        const hw_plan_key_t *k = &plan->keys[i];
                        int out;
                        if (l_in && k->len == l_in && !memcmp(k->key, in, l_in))
                                out = 0;
                        else if (l_out && k->len == l_out &&
                                 !memcmp(k->key, out_key, l_out))
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

/* "<key>\n<field>" of set into out (size bytes); 0 when it does not
 * fit (never known). */
static size_t set_name(char *out, size_t size, const hw_delta_t *set) {
        size_t n = set->key_len + 1 + set->field_len;
        if (n > size)
                return 0;
        memcpy(out, set->key, set->key_len);
        out[set->key_len] = '\n';
        memcpy(out + set->key_len + 1, set->field, set->field_len);
        return n;
}

int hw_step_set_known(const hw_store_t *s, const hw_delta_t *set) {
        char name[1024];
        size_t n = s->vals_used ? set_name(name, sizeof(name), set) : 0;
        const hw_map_entry_t *e =
                n ? hw_map_find(&s->sets_known, name, n) : NULL;
        return e && !strcmp(e->v.p, set->value);
}

int hw_step_stage_set(hw_store_t *s, const hw_delta_t *set) {
        char name[1024];
        size_t n = set_name(name, sizeof(name), set);
        hw_map_entry_t *e;
        int created;

        if (!n)
                return 0;
        if (!(e = hw_map_upsert(&s->sets_staged, name, n, &created)) ||
            !(e->v.p = hw_map_strdup(&s->sets_staged, set->value,
                                     strlen(set->value))))
                return -1;
        return 0;
}

/* What sets_known holds at most: past either bound, all are forgotten
 * (and written again). A value that changes is copied anew, the old copy
 * staying in the arena until then. */
#define SETS_KNOWN_MAX 65536
#define SETS_KNOWN_BYTES ((size_t)1 << 20)

void hw_step_keep_sets(hw_store_t *s) {
        if (s->sets_known.count + s->sets_staged.count > SETS_KNOWN_MAX ||
            s->sets_known_bytes > SETS_KNOWN_BYTES) {
                hw_map_clear(&s->sets_known);
                s->sets_known_bytes = 0;
        }
        for (size_t i = 0; i < s->sets_staged.count; i++) {
                const hw_map_entry_t *st = &s->sets_staged.entries[i];
                int created;
                hw_map_entry_t *e = hw_map_upsert(&s->sets_known, st->key,
                                                  st->len, &created);
                const char *v = st->v.p;
                if (!e ||
                    !(e->v.p = hw_map_strdup(&s->sets_known, v, strlen(v)))) {
                        hw_map_clear(&s->sets_known);
                        s->sets_known_bytes = 0;
                        break;
                }
                s->sets_known_bytes += st->len + strlen(v) + 2;
        }
        hw_map_clear(&s->sets_staged);
}

/* The name the batch sets for lab slug, or NULL. */
const char *hw_step_batch_lab_name(const hw_deltas_t *d, const char *slug) {
        char key[640];
        const hw_deltas_entry_t *set = NULL;
        if (hw_keys_lab(key, sizeof(key), "", slug, HW_KEY_LAB))
                set = hw_deltas_find(d, HW_DELTA_SET, key, "name", 0, NULL);
        return set ? set->v.p : NULL;
}

/* Builds round trip 1 into s->cmd, queueing in s->reads what each reply
 * is for (keys: the step's offset keys). -1 when out of memory. */
int hw_step_build_reads(hw_store_t *s, size_t n_offsets, char (*keys)[512],
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
        size_t len;
        hw_delta_t set;

        window_names(s);
        /* WATCH, then read what is watched. */
        rc |= hw_step_raid_pairs(s, plan) ||
              hw_step_resp_cmd(b, 5 + n_offsets + (slid ? 2 : 0) + n_logs + na +
                                          ra) ||
              hw_step_resp_str(b, "WATCH") ||
              hw_step_resp_name(s, b, HW_KEY_EPOCH) ||
              hw_step_resp_name(s, b, HW_KEY_STEPS) ||
              hw_step_resp_name(s, b, HW_KEY_TURN) ||
              hw_step_resp_name(s, b, HW_KEY_WATERMARK);
        for (size_t i = 0; i < n_offsets && !rc; i++)
                rc |= hw_step_resp_str(b, keys[i]);
        if (slid)
                rc |= hw_step_resp_name(s, b, HW_KEY_B_DAYS) ||
                      hw_step_resp_name(s, b, HW_KEY_SEEN_DAYS);
        for (size_t i = 0; i < n_logs && !rc; i++) {
                len = hw_keys_log(ymdkey, sizeof(ymdkey), "", s->logs[i].ymd);
                rc |= !len || hw_step_resp_key(s, b, ymdkey, len);
        }
        if (na)
                rc |= hw_step_resp_alert_key(s, b, HW_KEY_ALERT_IDS);
        if (ra)
                rc |= hw_step_resp_alert_key(s, b, HW_KEY_ALERT_RAID);
        rc |= want_read(s, READ_WATCH, 0, NULL, NULL);
        rc |= hw_step_resp_cmd(b, 3 + n_offsets) ||
              hw_step_resp_str(b, "MGET") ||
              hw_step_resp_name(s, b, HW_KEY_EPOCH) ||
              hw_step_resp_name(s, b, HW_KEY_WATERMARK);
        for (size_t i = 0; i < n_offsets && !rc; i++)
                rc |= hw_step_resp_str(b, keys[i]);
        rc |= want_read(s, READ_FENCES, 0, NULL, NULL);
        rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "GET") ||
              hw_step_resp_name(s, b, HW_KEY_STEPS) ||
              want_read(s, READ_STEPS, 0, NULL, NULL);
        rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "GET") ||
              hw_step_resp_name(s, b, HW_KEY_TURN) ||
              want_read(s, READ_TURN, 0, NULL, NULL);
        if (slid) {
                char lo[32];
                snprintf(lo, sizeof(lo), "(%lld",
                         (long long)(s->slide.day - largest));
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZRANGEBYSCORE") ||
                      hw_step_resp_name(s, b, HW_KEY_B_DAYS) ||
                      hw_step_resp_str(b, lo) ||
                      hw_step_resp_int(b, plan->day - c->windows[0]) ||
                      want_read(s, READ_LEAVING, 0, NULL, NULL);
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZRANGEBYSCORE") ||
                      hw_step_resp_name(s, b, HW_KEY_B_DAYS) ||
                      hw_step_resp_str(b, "-inf") ||
                      hw_step_resp_int(b, plan->day - largest) ||
                      want_read(s, READ_GONE, 0, NULL, NULL);
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZRANGEBYSCORE") ||
                      hw_step_resp_name(s, b, HW_KEY_SEEN_DAYS) ||
                      hw_step_resp_str(b, "-inf") ||
                      hw_step_resp_int(b, plan->day - c->seen_days) ||
                      want_read(s, READ_GONE_SEEN, 0, NULL, NULL);
        }
        for (size_t i = 0; i < n_logs && !rc; i++) {
                len = hw_keys_log(ymdkey, sizeof(ymdkey), "", s->logs[i].ymd);
                rc |= !len || hw_step_resp_cmd(b, 2) ||
                      hw_step_resp_str(b, "STRLEN") ||
                      hw_step_resp_key(s, b, ymdkey, len) ||
                      want_read(s, READ_LOG, i, NULL, NULL);
        }
        if (n_logs && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + n_logs) ||
                      hw_step_resp_str(b, "HMGET") ||
                      hw_step_resp_name(s, b, HW_KEY_B_GEN);
                for (size_t i = 0; i < n_logs && !rc; i++)
                        rc |= hw_step_resp_arg(b, s->logs[i].ymd, 8);
                rc |= want_read(s, READ_GENS, 0, NULL, NULL);
        }
        /* What this consumer's last steps left is relied on when no
         * other step applied since (round trip 1 checks <prefix>steps). */
        s->vals_used = s->vals_trusted && s->steps_after >= 0 &&
                       s->vals_gen == plan->generation;
        /* The type of every key the step writes without reading it. */
        rc |= want_fixed(s, HW_KEY_WATERMARK, "string") ||
              want_fixed(s, HW_KEY_B_DAYS, "zset") ||
              want_fixed(s, HW_KEY_B_GEN, "hash") ||
              want_fixed(s, HW_KEY_SEEN_DAYS, "zset");
        if (s->n_ends) {
                char ends[300];
                len = hw_keys_ends(ends, sizeof(ends), "", s->group);
                rc |= want_type(s, ends, len, "hash");
        }
        for (size_t i = 0; i < plan->n_days && !rc; i++) {
                len = hw_keys_log(ymdkey, sizeof(ymdkey), "",
                                  plan->days[i].ymd);
                rc |= want_type(s, ymdkey, len, "string");
        }
        for (size_t i = 0; i < plan->n_seen && !rc; i++) {
                len = hw_keys_seen(ymdkey, sizeof(ymdkey), "",
                                   plan->seen[i].ymd);
                rc |= want_type(s, ymdkey, len, "set");
        }
        for (size_t i = 0; i < s->n_raid_months && !rc; i++) {
                char key[160];
                len = hw_step_raid_key(s, key, s->raid_months[i], 0);
                rc |= want_type(s, key, len, "hash");
        }
        for (size_t i = 0; i < plan->n_raids && !rc; i++) {
                char key[640];
                len = hw_keys_lab(key, sizeof(key), "", plan->raids[i].lab_slug,
                                  HW_KEY_LAB);
                rc |= want_type(s, key, len, "hash");
        }
        for (size_t i = 0; !rc && hw_deltas_next_set(d, &i, &set);)
                if (!hw_step_set_known(s, &set))
                        rc |= want_type(s, set.key, set.key_len, "hash");
        for (size_t i = 0; i < d->persons.count && !rc; i++) {
                char key[32];
                len = hw_keys_persons(
                        key, sizeof(key), "",
                        hw_person_bucket(d->persons.entries[i].key,
                                         d->persons.entries[i].len));
                rc |= want_type(s, key, len, "hash");
        }
        for (size_t w = 0; w <= c->n_windows && !rc; w++) {
                char key[160];
                len = hw_keys_flow_net(key, sizeof(key), "", s->wname[w]);
                rc |= want_type(s, key, len, "zset");
                len = hw_keys_flow_index(key, sizeof(key), "", s->wname[w],
                                         NULL);
                rc |= want_type(s, key, len, "zset");
                for (size_t g = 0; g < c->n_groups && !rc; g++) {
                        len = hw_keys_flow_index(key, sizeof(key), "",
                                                 s->wname[w],
                                                 c->group_names[g]);
                        rc |= want_type(s, key, len, "zset");
                }
        }
        /* The alert keys live under the alerts prefix. */
        {
                const char *alert_keys[][2] = {
                        {HW_KEY_ALERT_IDS, "set"},
                        {HW_KEY_ALERT_DRAIN, "hash"},
                        {HW_KEY_ALERT_RAID, "hash"},
                        {HW_KEY_ALERTS, "stream"},
                        {HW_KEY_ALERTS_RELAYED, "string"},
                        {HW_KEY_ALERTS_WEBHOOK, "string"}};
                size_t n_alert_keys = 4 + (c->alerts_relay ? 1 : 0);
                for (size_t i = 0; i < n_alert_keys && !rc; i++)
                        rc |= want_type_in(s, AP, alert_keys[i][0],
                                           strlen(alert_keys[i][0]),
                                           alert_keys[i][1]);
                if (c->alert_webhook_url && !rc)
                        rc |= want_type_in(s, AP, alert_keys[5][0],
                                           strlen(alert_keys[5][0]),
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
         * applied since (known, s->vals_used). */
        for (size_t i = 0; i < plan->n_keys && !rc; i++) {
                const hw_plan_key_t *k = &plan->keys[i];
                size_t n = 0;
                for (size_t j = 0; j < k->n; j++)
                        n += !hw_step_known(s, plan, k, k->first + j);
                s->n_unread[i] = n;
                /* Every value known: this consumer's last step wrote them
                 * (a hash, or no key left), and no step applied since,
                 * which the fence read checks; what holds for the values
                 * holds for the type. */
                if (!n)
                        continue;
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
                        len = hw_keys_window(fk, sizeof(fk), "",
                                             io ? HW_KEY_FLOW_OUT
                                                : HW_KEY_FLOW_IN,
                                             s->wname[w]);
                        rc |= !len || hw_step_resp_cmd(b, 2 + end - first) ||
                              hw_step_resp_str(b, "HMGET") ||
                              hw_step_resp_key(s, b, fk, len);
                        for (size_t k = first; k < end && !rc; k++)
                                rc |= hw_step_resp_arg(
                                        b, s->codes.entries[k].key + 1,
                                        s->codes.entries[k].len - 1);
                        rc |= want_read(s, READ_FLOW, 2 * w + (size_t)io, NULL,
                                        NULL);
                }
        }
        /* The raid index of the step's pairs but those this consumer
         * knows (the raids are judged on it in C, see judge_raids), and
         * to raise raids, the days of those raised of the plan's pairs
         * (watched) and the name of every lab the batch does not name. */
        if (s->n_rpairs && !rc) {
                long unread = hw_step_raids_known(s, plan);
                rc |= unread < 0;
                /* Every month with days in the largest window. */
                for (int64_t m = s->raid_lo;
                     unread > 0 && m <= s->raid_hi && !rc; m++) {
                        char key[160];
                        len = hw_step_raid_key(s, key, m, 0);
                        rc |= hw_step_resp_cmd(b, 2 + (size_t)unread) ||
                              hw_step_resp_str(b, "HMGET") ||
                              hw_step_resp_key(s, b, key, len);
                        for (size_t i = 0; i < s->n_rpairs && !rc; i++)
                                if (!s->rpairs[i].known)
                                        rc |= hw_step_resp_arg(
                                                b, s->rpairs[i].field,
                                                s->rpairs[i].len);
                        rc |= want_read(s, READ_RAID, (size_t)(m - s->raid_lo),
                                        NULL, NULL);
                }
        }
        hw_map_clear(&s->lab_names);
        if (ra && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + plan->n_raids) ||
                      hw_step_resp_str(b, "HMGET") ||
                      hw_step_resp_alert_key(s, b, HW_KEY_ALERT_RAID);
                for (size_t i = 0; i < plan->n_raids && !rc; i++)
                        rc |= hw_step_resp_arg(b, s->rpairs[i].field,
                                               s->rpairs[i].len);
                rc |= want_read(s, READ_RAISED, 0, NULL, NULL);
        }
        for (size_t i = 0; ra && i < plan->n_raids && !rc; i++) {
                const char *slug = plan->raids[i].lab_slug;
                char key[600];
                int created;
                hw_map_entry_t *e;
                if (hw_step_batch_lab_name(d, slug))
                        continue;
                e = hw_map_upsert(&s->lab_names, slug, strlen(slug), &created);
                len = hw_keys_lab(key, sizeof(key), "", slug, HW_KEY_LAB);
                if (!e || !len)
                        return -1;
                if (created)
                        rc |= hw_step_resp_cmd(b, 3) ||
                              hw_step_resp_str(b, "HGET") ||
                              hw_step_resp_key(s, b, key, len) ||
                              hw_step_resp_str(b, "name") ||
                              want_read(s, READ_LAB_NAME, 0, e->key, NULL);
        }
        /* Which of the batch's alerts were raised before (watched). */
        if (na && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + d->alerts.count) ||
                      hw_step_resp_str(b, "SMISMEMBER") ||
                      hw_step_resp_alert_key(s, b, HW_KEY_ALERT_IDS);
                for (size_t i = 0; i < d->alerts.count && !rc; i++)
                        rc |= hw_step_resp_arg(b, d->alerts.entries[i].key,
                                               d->alerts.entries[i].len);
                rc |= want_read(s, READ_ALERT_IDS, 0, NULL, NULL);
        }
        return rc;
}
