/*
 * Round trip 2 of the atomic step: MULTI, every write as native commands
 * (counters, the flow index, bucket logs, persons, ids, offsets, alerts),
 * the judgments' script, EXEC.
 */
#include "hw_order.h"
#include "hw_store_int.h"

/* Pushes a key of the script (len bytes, 0: it did not fit). */
static int push_key(hw_store_t *s, const char *key, size_t len) {
        return !len || hw_step_push_copy(s, key, len);
}

/* The judgments' keys and arguments (see the header of hw_store.lua) into
 * s->argv. */
static int build_judge(hw_store_t *s, const hw_plan_t *plan, int64_t new_wm,
                       int64_t raised_at, size_t n_added) {
        const hw_config_t *c = s->conf;
        const char *AP = hw_config_alerts_prefix(c);
        /* The stream's readers: entries they have not delivered yet are
         * never trimmed. */
        int n_readers =
                (c->alerts_relay ? 1 : 0) + (c->alert_webhook_url ? 1 : 0);
        char key[512], window[16];
        int rc = 0;

        hw_keys_window_name(window, sizeof(window), c->alert_drain_days);
        s->argc = 0;
        rc |= hw_step_push_str(s, "EVAL") ||
              hw_step_push_str(s, hw_store_lua) ||
              hw_step_push_int(s, 4 + n_readers + (s->n_ends ? 1 : 0));
        rc |= push_key(s, key,
                       hw_keys_flow_index(key, sizeof(key), c->prefix, window,
                                          NULL)) ||
              push_key(s, key,
                       hw_keys_name(key, sizeof(key), AP, HW_KEY_ALERT_IDS)) ||
              push_key(
                      s, key,
                      hw_keys_name(key, sizeof(key), AP, HW_KEY_ALERT_DRAIN)) ||
              push_key(s, key,
                       hw_keys_name(key, sizeof(key), AP, HW_KEY_ALERTS));
        if (c->alerts_relay)
                rc |= push_key(s, key,
                               hw_keys_name(key, sizeof(key), AP,
                                            HW_KEY_ALERTS_RELAYED));
        if (c->alert_webhook_url)
                rc |= push_key(s, key,
                               hw_keys_name(key, sizeof(key), AP,
                                            HW_KEY_ALERTS_WEBHOOK));
        if (s->n_ends)
                rc |= push_key(
                        s, key,
                        hw_keys_ends(key, sizeof(key), c->prefix, s->group));
        rc |= hw_step_push_int(s, s->raise_alerts) ||
              hw_step_push_int(s, new_wm) || hw_step_push_int(s, plan->day);
        rc |= hw_step_push_int(s, raised_at) ||
              hw_step_push_int(s, c->alerts_maxlen) ||
              hw_step_push_int(s, n_readers);
        rc |= hw_step_push_int(s, c->alert_brain_drain) ||
              hw_step_push_double(s, c->alert_drain_index) ||
              hw_step_push_int(s, c->alert_drain_days) ||
              hw_step_push_copy(s, window, strlen(window)) ||
              hw_step_push_int(s, s->at_end);
        rc |= hw_step_push_int(s, (int64_t)plan->n_drains);
        for (size_t i = 0; i < plan->n_drains && !rc; i++)
                rc |= hw_step_push_str(s, plan->drains[i].country) ||
                      hw_step_push_ids_json(s, plan, plan->drains[i].first_ev,
                                            plan->drains[i].n_ev);
        rc |= hw_step_push_int(s, (int64_t)n_added);
        return rc;
}

int hw_step_xadd_alert(hw_store_t *s, const char *alert_id, const char *rule,
                       const char *severity, const char *subject,
                       const char *summary, int64_t event_time,
                       int64_t raised_at, const hw_buf_t *ids,
                       const hw_buf_t *attrs) {
        hw_buf_t *b = &s->cmd;
        int rc = hw_step_resp_cmd(b, 21) || hw_step_resp_str(b, "XADD") ||
                 hw_step_resp_alert_key(s, b, HW_KEY_ALERTS) ||
                 hw_step_resp_str(b, "*") || hw_step_resp_str(b, "alert_id") ||
                 hw_step_resp_str(b, alert_id) || hw_step_resp_str(b, "rule") ||
                 hw_step_resp_str(b, rule) || hw_step_resp_str(b, "severity") ||
                 hw_step_resp_str(b, severity) ||
                 hw_step_resp_str(b, "subject") ||
                 hw_step_resp_str(b, subject) ||
                 hw_step_resp_str(b, "summary") ||
                 hw_step_resp_str(b, summary) ||
                 hw_step_resp_str(b, "event_time") ||
                 hw_step_resp_int(b, event_time) ||
                 hw_step_resp_str(b, "raised_at") ||
                 hw_step_resp_int(b, raised_at) ||
                 hw_step_resp_str(b, "event_ids") ||
                 hw_step_resp_arg(b, ids->data, ids->len) ||
                 hw_step_resp_str(b, "attributes") ||
                 hw_step_resp_arg(b, attrs->data, attrs->len);
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
        for (size_t i = 0;
             hw_step_native_alerts(s, d) && i < d->alerts.count && !rc; i++) {
                const hw_alert_t *a = d->alerts.entries[i].v.p;
                hw_buf_t *ids = &s->json_ids, *attrs = &s->json_attrs;
                if (!s->alert_new[i])
                        continue;
                rc |= hw_step_json_open(ids, '[');
                for (size_t k = 0; !rc && k < a->n_event_ids; k++)
                        rc |= hw_step_json_item(ids, a->event_ids[k],
                                                strlen(a->event_ids[k]));
                rc = rc || hw_step_json_close(ids, ']') ||
                     hw_step_json_open(attrs, '{');
                for (size_t k = 0; !rc && k < a->n_attributes; k++)
                        rc |= hw_step_json_member(attrs, a->attributes[k].key,
                                                  a->attributes[k].value);
                rc = rc || hw_step_json_close(attrs, '}') ||
                     hw_step_xadd_alert(s, a->alert_id, a->rule,
                                        hw_severity_name(a->severity),
                                        a->subject, a->summary, a->event_time,
                                        raised_at, ids, attrs);
                (*n_added)++;
                (*n_cmds)++;
                hw_step_spill(s);
        }
        for (size_t i = 0; i < s->n_raids && !rc; i++) {
                if (!s->raids[i].raise)
                        continue;
                rc |= hw_step_xadd_raid(s, plan, &s->raids[i], raised_at);
                (*n_added)++;
                (*n_cmds)++;
                hw_step_spill(s);
        }
        if (*n_added && !rc) {
                char id[640];
                rc |= hw_step_resp_cmd(b, 2 + *n_added) ||
                      hw_step_resp_str(b, "SADD") ||
                      hw_step_resp_alert_key(s, b, HW_KEY_ALERT_IDS);
                for (size_t i = 0;
                     hw_step_native_alerts(s, d) && i < d->alerts.count && !rc;
                     i++)
                        if (s->alert_new[i])
                                rc |= hw_step_resp_arg(
                                        b, d->alerts.entries[i].key,
                                        d->alerts.entries[i].len);
                for (size_t i = 0; i < s->n_raids && !rc; i++) {
                        int len;
                        if (!s->raids[i].raise)
                                continue;
                        len = hw_step_raid_id(id, plan, s->raids[i].pair,
                                              s->raids[i].day);
                        rc |= len < 0 || hw_step_resp_arg(b, id, (size_t)len);
                }
                (*n_cmds)++;
        }
        if (!rc)
                rc |= hw_step_write_raised(s, plan, n_cmds);
        return rc;
}

/* DEL of the key of each day of the reply (an array of yyyymmdd), named
 * by key_of (hw_keys_log or hw_keys_seen); nothing for none. */
static int write_del_days(hw_store_t *s,
                          size_t (*key_of)(char *, size_t, const char *,
                                           const char *),
                          const redisReply *days, size_t *n_cmds) {
        hw_buf_t *b = &s->cmd;
        int rc = 0;

        if (!days || !days->elements)
                return 0;
        rc |= hw_step_resp_cmd(b, 1 + days->elements) ||
              hw_step_resp_str(b, "DEL");
        for (size_t i = 0; i < days->elements && !rc; i++) {
                char key[128];
                size_t len =
                        key_of(key, sizeof(key), "", days->element[i]->str);
                rc |= !len || hw_step_resp_key(s, b, key, len);
        }
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
                        rc |= hw_step_resp_cmd(b, 2 + 2 * (k->n - zero)) ||
                              hw_step_resp_str(b, k->zset ? "ZADD" : "HSET") ||
                              hw_step_resp_key(s, b, k->key, k->len);
                        for (size_t j = 0; j < k->n && !rc; j++) {
                                const hw_plan_change_t *ch =
                                        &plan->changes[k->first + j];
                                size_t at = k->first + j;
                                if (k->zset && f->zafter[at] != 0)
                                        rc |= hw_step_resp_score(
                                                      b, f->zafter[at]) ||
                                              hw_step_resp_arg(b, ch->field,
                                                               ch->len);
                                else if (!k->zset && f->after[at] != 0)
                                        rc |= hw_step_resp_arg(b, ch->field,
                                                               ch->len) ||
                                              hw_step_resp_int(b, f->after[at]);
                        }
                        (*n_cmds)++;
                }
                if (zero) {
                        rc |= hw_step_resp_cmd(b, 2 + zero) ||
                              hw_step_resp_str(b, k->zset ? "ZREM" : "HDEL") ||
                              hw_step_resp_key(s, b, k->key, k->len);
                        for (size_t j = 0; j < k->n && !rc; j++) {
                                const hw_plan_change_t *ch =
                                        &plan->changes[k->first + j];
                                if (k->zset ? f->zafter[k->first + j] == 0
                                            : f->after[k->first + j] == 0)
                                        rc |= hw_step_resp_arg(b, ch->field,
                                                               ch->len);
                        }
                        (*n_cmds)++;
                }
                hw_step_spill(s);
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
        const hw_country_conf_t **cc =
                hw_arena_alloc(&s->scratch, (s->codes.count + 1) * sizeof(*cc));
        int rc = !cc;

        for (size_t i = 0; i < c->n_countries; i++)
                n_based += c->countries[i].base > 0;
        for (size_t k = 0; k < s->codes.count && !rc; k++)
                cc[k] = country_of(c, s->codes.entries[k].key + 1,
                                   s->codes.entries[k].len - 1);
        for (size_t w = 0; w <= c->n_windows && !rc; w++) {
                size_t first = s->win_first[w], end = s->win_first[w + 1];
                char key[160];
                size_t len;
                for (size_t g = 0; g <= c->n_groups && n_based && !rc; g++) {
                        size_t n = 0;
                        for (size_t i = 0; i < c->n_countries; i++)
                                n += (size_t)in_index(&c->countries[i], g);
                        if (!n)
                                continue;
                        len = hw_keys_flow_index(
                                key, sizeof(key), "", s->wname[w],
                                g ? c->group_names[g - 1] : NULL);
                        rc |= !len || hw_step_resp_cmd(b, 3 + 2 * n) ||
                              hw_step_resp_str(b, "ZADD") ||
                              hw_step_resp_key(s, b, key, len) ||
                              hw_step_resp_str(b, "NX");
                        for (size_t i = 0; i < c->n_countries && !rc; i++)
                                if (in_index(&c->countries[i], g))
                                        rc |= hw_step_resp_str(b, "0") ||
                                              hw_step_resp_str(
                                                      b, c->countries[i].code);
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
                        len = hw_keys_flow_net(key, sizeof(key), "",
                                               s->wname[w]);
                        rc |= !len ||
                              hw_step_resp_cmd(b, 2 + (rem ? 1 : 2) * n) ||
                              hw_step_resp_str(b, rem ? "ZREM" : "ZADD") ||
                              hw_step_resp_key(s, b, key, len);
                        for (size_t k = first; k < end && !rc; k++) {
                                const hw_map_entry_t *e = &s->codes.entries[k];
                                if ((f->in[k] == 0 && f->out[k] == 0) != rem)
                                        continue;
                                if (!rem)
                                        rc |= hw_step_resp_int(
                                                b, f->in[k] - f->out[k]);
                                rc |= hw_step_resp_arg(b, e->key + 1,
                                                       e->len - 1);
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
                        len = hw_keys_flow_index(
                                key, sizeof(key), "", s->wname[w],
                                g ? c->group_names[g - 1] : NULL);
                        rc |= !len || hw_step_resp_cmd(b, 2 + 2 * n) ||
                              hw_step_resp_str(b, "ZADD") ||
                              hw_step_resp_key(s, b, key, len);
                        for (size_t k = first; k < end && !rc; k++) {
                                const hw_map_entry_t *e = &s->codes.entries[k];
                                char score[40];
                                if (!in_index(cc[k], g))
                                        continue;
                                rc |= hw_step_resp_arg(
                                              b, score,
                                              (size_t)snprintf(
                                                      score, sizeof(score),
                                                      "%.17g",
                                                      (double)(f->in[k] -
                                                               f->out[k]) *
                                                              10000 /
                                                              cc[k]->base)) ||
                                      hw_step_resp_arg(b, e->key + 1,
                                                       e->len - 1);
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
        int64_t *bucket =
                hw_arena_alloc(&s->scratch, (n + 1) * sizeof(*bucket));
        hw_buf_t *b = &s->cmd;
        int rc = !order || !bucket;

        for (i = 0; i < n && !rc; i++)
                bucket[i] = hw_person_bucket(d->persons.entries[i].key,
                                             d->persons.entries[i].len);
        rc = rc || hw_order_by_key(bucket, n, order);
        for (i = 0; i < n && !rc; i = j) {
                char key[32];
                size_t len = hw_keys_persons(key, sizeof(key), "",
                                             (unsigned)bucket[order[i]]);
                for (j = i; j < n && bucket[order[j]] == bucket[order[i]]; j++)
                        ;
                rc |= !len || hw_step_resp_cmd(b, 2 + 2 * (j - i)) ||
                      hw_step_resp_str(b, "HSET") ||
                      hw_step_resp_key(s, b, key, len);
                for (size_t k = i; k < j && !rc; k++) {
                        const hw_map_entry_t *e = &d->persons.entries[order[k]];
                        size_t plen;
                        const char *packed =
                                hw_person_pack(&s->scratch, e->v.p, &plen);
                        rc |= !packed || hw_step_resp_arg(b, e->key, e->len) ||
                              hw_step_resp_arg(b, packed, plen);
                }
                (*n_cmds)++;
                hw_step_spill(s);
        }
        return rc;
}

/* Builds round trip 2 into s->cmd: MULTI, the writes, the judgments, EXEC.
 * *n_cmds: the commands between MULTI and EXEC. */
int hw_step_build_writes(hw_store_t *s, const hw_store_offset_t *offsets,
                         size_t n_offsets, char (*keys)[512],
                         const hw_deltas_t *d, const hw_plan_t *plan,
                         const step_found_t *f, size_t *n_cmds) {
        const hw_config_t *c = s->conf;
        hw_buf_t *b = &s->cmd;
        int64_t largest = c->windows[c->n_windows - 1];
        hw_delta_t set;
        int64_t new_wm =
                f->watermark > d->watermark ? f->watermark : d->watermark;
        size_t n_logs = hw_step_slide_logs(s), n = 0, n_added = 0;
        int64_t raised_at = hw_now_ms();
        char key[64];
        size_t len;
        int rc = 0;

        b->len = 0;
        rc |= hw_step_resp_cmd(b, 1) || hw_step_resp_str(b, "MULTI");
        rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "INCR") ||
              hw_step_resp_name(s, b, HW_KEY_STEPS);
        rc |= hw_step_resp_cmd(b, 3) || hw_step_resp_str(b, "SET") ||
              hw_step_resp_name(s, b, HW_KEY_LAYOUT) ||
              hw_step_resp_str(b, LAYOUT);
        rc |= hw_step_resp_cmd(b, 3) || hw_step_resp_str(b, "SET") ||
              hw_step_resp_name(s, b, HW_KEY_STEPS_AT) ||
              hw_step_resp_int(b, raised_at);
        n += 3;
        if (s->holds_turn) {
                rc |= hw_step_resp_cmd(b, 2) || hw_step_resp_str(b, "DEL") ||
                      hw_step_resp_name(s, b, HW_KEY_TURN);
                n++;
        }
        if (s->n_ends && !rc) {
                char ends[512];
                len = hw_keys_ends(ends, sizeof(ends), "", s->group);
                rc |= !len || hw_step_resp_cmd(b, 2 + 2 * s->n_ends) ||
                      hw_step_resp_str(b, "HSET") ||
                      hw_step_resp_key(s, b, ends, len);
                for (size_t i = 0; i < s->n_ends && !rc; i++) {
                        char field[300];
                        int len = snprintf(field, sizeof(field), "%s:%" PRId32,
                                           s->ends[i].topic,
                                           s->ends[i].partition);
                        rc |= hw_step_resp_arg(b, field, (size_t)len) ||
                              (s->ends[i].at_end
                                       ? hw_step_resp_str(b, "1")
                                       : hw_step_resp_int(b, hw_now_ms()));
                }
                n++;
        }
        if (hw_step_slides(s, plan) && !rc) {
                /* What leaves the largest window (and the ids kept). */
                rc |= write_del_days(s, hw_keys_log, f->gone, &n);
                if (f->gone && f->gone->elements && !rc) {
                        rc |= hw_step_resp_cmd(b, 2 + f->gone->elements) ||
                              hw_step_resp_str(b, "HDEL") ||
                              hw_step_resp_name(s, b, HW_KEY_B_GEN);
                        for (size_t i = 0; i < f->gone->elements && !rc; i++)
                                rc |= hw_step_resp_arg(
                                        b, f->gone->element[i]->str,
                                        f->gone->element[i]->len);
                        n++;
                }
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZREMRANGEBYSCORE") ||
                      hw_step_resp_name(s, b, HW_KEY_B_DAYS) ||
                      hw_step_resp_str(b, "-inf") ||
                      hw_step_resp_int(b, plan->day - largest);
                n++;
                rc |= write_del_days(s, hw_keys_seen, f->gone_seen, &n);
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "ZREMRANGEBYSCORE") ||
                      hw_step_resp_name(s, b, HW_KEY_SEEN_DAYS) ||
                      hw_step_resp_str(b, "-inf") ||
                      hw_step_resp_int(b, plan->day - c->seen_days);
                n++;
        }
        /* Counters, and the flow index when the watermark is set. */
        rc |= write_counters(s, plan, f, &n);
        if (new_wm >= 0 && !rc)
                rc |= write_flow_index(s, &n, f);
        /* Hash field values (lab names) and persons. */
        for (size_t i = 0; !rc && hw_deltas_next_set(d, &i, &set);) {
                if (hw_step_set_known(s, &set))
                        continue;
                rc |= hw_step_stage_set(s, &set) || hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "HSET") ||
                      hw_step_resp_key(s, b, set.key, set.key_len) ||
                      hw_step_resp_arg(b, set.field, set.field_len) ||
                      hw_step_resp_str(b, set.value);
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
                len = hw_keys_log(key, sizeof(key), "", cd->ymd);
                rc |= !len || hw_step_resp_cmd(b, 3) ||
                      hw_step_resp_str(b, "SET") ||
                      hw_step_resp_key(s, b, key, len) ||
                      hw_step_resp_arg(b, cd->text, cd->len);
                rc |= hw_step_resp_cmd(b, 4) ||
                      hw_step_resp_str(b, "HINCRBY") ||
                      hw_step_resp_name(s, b, HW_KEY_B_GEN) ||
                      hw_step_resp_arg(b, cd->ymd, 8) ||
                      hw_step_resp_str(b, "1");
                n += 2;
                hw_step_spill(s);
        }
        s->append_at = n;
        for (size_t i = 0; i < plan->n_days && !rc; i++, n++) {
                len = hw_keys_log(key, sizeof(key), "", plan->days[i].ymd);
                rc |= !len || hw_step_resp_cmd(b, 3) ||
                      hw_step_resp_str(b, "APPEND") ||
                      hw_step_resp_key(s, b, key, len) ||
                      hw_step_resp_arg(b, plan->days[i].text,
                                       plan->days[i].len);
                hw_step_spill(s);
        }
        if (plan->n_days && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + 2 * plan->n_days) ||
                      hw_step_resp_str(b, "ZADD") ||
                      hw_step_resp_name(s, b, HW_KEY_B_DAYS);
                for (size_t i = 0; i < plan->n_days && !rc; i++)
                        rc |= hw_step_resp_int(b, plan->days[i].day) ||
                              hw_step_resp_arg(b, plan->days[i].ymd, 8);
                n++;
        }
        /* Applied ids, a set per day, and the days in their index. */
        for (size_t i = 0; i < plan->n_seen && !rc; i++, n++) {
                const hw_plan_day_t *sd = &plan->seen[i];
                len = hw_keys_seen(key, sizeof(key), "", sd->ymd);
                rc |= !len || hw_step_resp_cmd(b, 2 + sd->n) ||
                      hw_step_resp_str(b, "SADD") ||
                      hw_step_resp_key(s, b, key, len);
                for (size_t j = 0; j < sd->n && !rc; j++)
                        rc |= hw_step_resp_str(b, plan->names[sd->first + j]);
                hw_step_spill(s);
        }
        if (plan->n_seen && !rc) {
                rc |= hw_step_resp_cmd(b, 2 + 2 * plan->n_seen) ||
                      hw_step_resp_str(b, "ZADD") ||
                      hw_step_resp_name(s, b, HW_KEY_SEEN_DAYS);
                for (size_t i = 0; i < plan->n_seen && !rc; i++)
                        rc |= hw_step_resp_int(b, plan->seen[i].day) ||
                              hw_step_resp_arg(b, plan->seen[i].ymd, 8);
                n++;
        }
        rc |= hw_step_write_raid_index(s, plan, &n);
        if (new_wm != f->watermark && !rc) {
                rc |= hw_step_resp_cmd(b, 3) || hw_step_resp_str(b, "SET") ||
                      hw_step_resp_name(s, b, HW_KEY_WATERMARK) ||
                      hw_step_resp_int(b, new_wm);
                n++;
        }
        if (n_offsets && !rc) {
                rc |= hw_step_resp_cmd(b, 1 + 2 * n_offsets) ||
                      hw_step_resp_str(b, "MSET");
                for (size_t i = 0; i < n_offsets && !rc; i++)
                        rc |= hw_step_resp_str(b, keys[i]) ||
                              hw_step_resp_int(b, offsets[i].next);
                n++;
        }
        rc |= write_alerts(s, d, plan, raised_at, &n, &n_added) ||
              build_judge(s, plan, new_wm, raised_at, n_added) ||
              hw_step_resp_cmd(b, s->argc);
        for (size_t i = 0; i < s->argc && !rc; i++)
                rc |= hw_step_resp_arg(b, s->argv[i], s->argvlen[i]);
        n++;
        rc |= hw_step_resp_cmd(b, 1) || hw_step_resp_str(b, "EXEC");
        *n_cmds = n;
        return rc;
}
