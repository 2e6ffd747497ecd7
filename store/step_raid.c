/*
 * The raid index (a hash a month, a field a pair: the pair's hires of
 * that month) and the raid judgment of the atomic step: the pairs read
 * and written, the raids found and which are raised (one raid, one
 * alert), and the days of raids raised gathered from alert:ids for a
 * Redis an earlier version wrote.
 */
#include "hw_store_int.h"

/* Whether the step judges raids to raise them: it then reads the pairs'
 * raids raised (alert:raid, watched) and the labs' names. */
int hw_step_raid_alerts(const hw_store_t *s, const hw_plan_t *plan) {
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
                        (raid_pair_t){e->key, len, NULL, 0, NULL, 0, 0, 0};
        }
        return 0;
}

/* The last day the raid index no longer holds once the watermark's day is
 * day: the largest window before it. */
static int64_t raid_gone(const hw_store_t *s, int64_t day) {
        const hw_config_t *c = s->conf;
        return day - c->windows[c->n_windows - 1];
}

int hw_step_raid_pairs(hw_store_t *s, const hw_plan_t *plan) {
        int64_t gone = plan->day >= 0 ? raid_gone(s, plan->day) : INT64_MIN;
        int64_t first = 1, end = 0, m = 0, *hit;
        char field[600];
        size_t span;

        hw_map_clear(&s->rpair_map);
        s->n_rpairs = s->n_raid_months = 0;
        s->raid_lo = 0;
        s->raid_hi = -1;
        if (!s->conf->alert_raid || !plan->n_raids)
                return 0;
        /* Hires are of days up to the watermark's (with none, the index
         * has no window: no month is read or written). */
        if (plan->day >= 0) {
                s->raid_lo = hw_time_month(gone + 1);
                s->raid_hi = hw_time_month(plan->day);
        }
        span = (size_t)(s->raid_hi - s->raid_lo + 1);
        if (hw_grow((void **)&s->raid_months, &s->raid_months_cap, span + 1,
                    sizeof(*s->raid_months)))
                return -1;
        hit = s->raid_months; /* per month of the window: whether written */
        memset(hit, 0, span * sizeof(*hit));
        for (size_t i = 0; i < plan->n_raids; i++) {
                const hw_plan_raid_t *r = &plan->raids[i];
                size_t ll = strlen(r->lab_slug), lo = strlen(r->org_slug);
                /* "<lab>:<org>" */
                if (ll + 1 + lo >= sizeof(field))
                        return -1;
                memcpy(field, r->lab_slug, ll);
                field[ll] = ':';
                memcpy(field + ll + 1, r->org_slug, lo);
                if (add_rpair(s, field, ll + 1 + lo))
                        return -1;
                /* A hire of a day the index no longer holds is judged,
                 * not kept. */
                for (size_t k = 0; k < r->n_ev; k++) {
                        int64_t day = plan->evs[r->first_ev + k].day;
                        if (day <= gone || plan->day < 0)
                                continue;
                        if (day < first || day >= end) {
                                m = hw_time_month(day);
                                first = hw_time_month_first(m);
                                end = hw_time_month_first(m + 1);
                        }
                        /* The watermark's day is the latest hire's. */
                        HW_ASSERT(m >= s->raid_lo && m <= s->raid_hi);
                        hit[m - s->raid_lo] = 1;
                }
        }
        for (size_t i = 0; i < span; i++)
                if (hit[i])
                        s->raid_months[s->n_raid_months++] =
                                s->raid_lo + (int64_t)i;
        return 0;
}

size_t hw_step_raid_key(const hw_store_t *s, char out[160], int64_t month,
                        int with_prefix) {
        char ymd[9];
        hw_time_ymd(hw_time_month_first(month), ymd);
        ymd[6] = '\0';
        return hw_keys_raid(out, 160, with_prefix ? s->conf->prefix : "", ymd);
}

int hw_step_raid_append(hw_store_t *s, raid_pair_t *rp, const redisReply *v,
                        size_t extra) {
        hw_raid_hire_t *got = NULL, *list;
        size_t n_got = 0;

        if (v->type == REDIS_REPLY_STRING &&
            hw_raid_decode(v->str, v->len, 0, &s->scratch, &got, &n_got))
                return -1;
        if (!n_got && rp->list)
                return 0;
        list = hw_arena_alloc(&s->scratch,
                              (rp->n + n_got + extra + 1) * sizeof(*list));
        if (!list) {
                errno = ENOMEM;
                return -1;
        }
        if (rp->n)
                memcpy(list, rp->list, rp->n * sizeof(*list));
        if (n_got)
                memcpy(list + rp->n, got, n_got * sizeof(*list));
        rp->list = list;
        rp->n += n_got;
        return 0;
}

/* What s->raid_known holds at most: past RAID_KNOWN_BYTES a pair is not
 * kept (it is read when a step needs it), past RAID_KNOWN_PAIRS pairs
 * (kept or not) all are forgotten and kept again from the next step. */
#define RAID_KNOWN_BYTES ((size_t)8 << 20)
#define RAID_KNOWN_PAIRS 65536

void hw_step_forget_raids(hw_store_t *s) {
        hw_step_unstage_raids(s);
        for (size_t i = 0; i < s->raid_known.count; i++)
                free((void *)s->raid_known.entries[i].v.p);
        hw_map_clear(&s->raid_known);
        s->raid_known_bytes = 0;
}

long hw_step_raids_known(hw_store_t *s, const hw_plan_t *plan) {
        long unread = 0;

        for (size_t i = 0; i < s->n_rpairs; i++) {
                raid_pair_t *rp = &s->rpairs[i];
                const hw_map_entry_t *e =
                        s->vals_used ? hw_map_find(&s->raid_known, rp->field,
                                                   rp->len)
                                     : NULL;
                const raid_known_t *k = e ? e->v.p : NULL;
                size_t extra = i < plan->n_raids ? plan->raids[i].n_ev : 0;

                rp->known = k != NULL;
                if (!k) {
                        unread++;
                        continue;
                }
                rp->list = hw_arena_alloc(
                        &s->scratch, (k->n + extra + 1) * sizeof(*rp->list));
                if (!rp->list)
                        return -1;
                memcpy(rp->list, k->list, k->n * sizeof(*rp->list));
                rp->n = k->n;
        }
        s->raid_unread = (size_t)unread;
        return unread;
}

/* Pair rp as the step leaves it, in one block (NULL when out of memory):
 * its ids are copied, for the replies and the batch they point into are
 * gone once the step applied. */
static raid_known_t *known_pair(const raid_pair_t *rp) {
        size_t ids = 0, head;
        raid_known_t *k;
        char *at;

        for (size_t j = 0; j < rp->n; j++)
                ids += rp->list[j].len;
        head = sizeof(*k) + rp->n * sizeof(k->list[0]);
        if (!(k = malloc(head + ids)))
                return NULL;
        k->n = rp->n;
        k->bytes = head + ids;
        at = (char *)k + head;
        for (size_t j = 0; j < rp->n; j++) {
                memcpy(at, rp->list[j].id, rp->list[j].len);
                k->list[j] =
                        (hw_raid_hire_t){rp->list[j].day, at, rp->list[j].len};
                at += rp->list[j].len;
        }
        return k;
}

void hw_step_unstage_raids(hw_store_t *s) {
        for (size_t i = 0; i < s->n_staged; i++)
                free(s->raid_staged[i]);
        s->n_staged = 0;
}

void hw_step_stage_raids(hw_store_t *s) {
        hw_step_unstage_raids(s);
        if (hw_grow((void **)&s->raid_staged, &s->staged_cap, s->n_rpairs + 1,
                    sizeof(*s->raid_staged)))
                return; /* none kept */
        for (size_t i = 0; i < s->n_rpairs; i++)
                s->raid_staged[i] = known_pair(&s->rpairs[i]);
        s->n_staged = s->n_rpairs;
}

void hw_step_keep_raids(hw_store_t *s) {
        if (s->raid_known.count + s->n_staged > RAID_KNOWN_PAIRS) {
                hw_step_forget_raids(s);
                return;
        }
        for (size_t i = 0; i < s->n_staged; i++) {
                const raid_pair_t *rp = &s->rpairs[i];
                raid_known_t *k = s->raid_staged[i], *old;
                int created;
                hw_map_entry_t *e = hw_map_upsert(&s->raid_known, rp->field,
                                                  rp->len, &created);

                if (!e) {
                        hw_step_forget_raids(s);
                        return;
                }
                s->raid_staged[i] = NULL;
                old = created ? NULL : (raid_known_t *)e->v.p;
                if (old)
                        s->raid_known_bytes -= old->bytes;
                if (k && s->raid_known_bytes + k->bytes > RAID_KNOWN_BYTES) {
                        free(k);
                        k = NULL;
                }
                if (k)
                        s->raid_known_bytes += k->bytes;
                e->v.p = k;
                free(old);
        }
        s->n_staged = 0;
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
        *flen = (size_t)snprintf(field, 600, "%.*s:%.*s", (int)(ymd - 1 - lab),
                                 lab, (int)(lab - 1 - org), org);
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
/* Ends the WATCH of a gathering that found nothing to write. */
static hw_err_t unwatch(hw_store_t *s, char *errstr, size_t size) {
        redisReply *r = redisCommand(s->ctx, "UNWATCH");
        hw_err_t err = hw_step_check_reply(s, r, "UNWATCH", errstr, size);
        if (!err)
                freeReplyObject(r);
        return err;
}

hw_err_t hw_step_raised_from_ids(hw_store_t *s, char *errstr, size_t size) {
        const char *AP = hw_config_alerts_prefix(s->conf);
        hw_err_t err = HW_OK;
        int done = 0;

        if (!s->conf->alert_raid)
                return HW_OK;
        for (int attempt = 0; attempt < 5 && !done; attempt++) {
                raised_t *all = NULL;
                int64_t *all_days = NULL;
                size_t n = 0, cap = 0;
                char cursor[32] = "0";
                hw_map_t fields;
                redisReply *r = redisCommand(s->ctx,
                                             "WATCH %s" HW_KEY_ALERT_IDS
                                             " %s" HW_KEY_ALERT_RAID,
                                             AP, AP);
                int exists;
                if ((err = hw_step_check_reply(s, r, "WATCH", errstr, size)))
                        return err;
                freeReplyObject(r);
                r = redisCommand(s->ctx, "EXISTS %s" HW_KEY_ALERT_RAID, AP);
                if ((err = hw_step_check_reply(s, r, "EXISTS", errstr, size)))
                        return err;
                exists = r->type == REDIS_REPLY_INTEGER && r->integer;
                freeReplyObject(r);
                if (exists) {
                        if ((err = unwatch(s, errstr, size)))
                                return err;
                        done = 1;
                        continue;
                }
                hw_map_init(&fields);
                do {
                        r = redisCommand(s->ctx,
                                         "SSCAN %s" HW_KEY_ALERT_IDS
                                         " %s MATCH raid:* COUNT 1000",
                                         AP, cursor);
                        if ((err = hw_step_check_reply(s, r, "SSCAN", errstr,
                                                       size)))
                                break;
                        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                            r->element[0]->type != REDIS_REPLY_STRING ||
                            r->element[1]->type != REDIS_REPLY_ARRAY) {
                                freeReplyObject(r);
                                err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                              "Redis: unexpected reply to "
                                              "SSCAN %s" HW_KEY_ALERT_IDS,
                                              AP);
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
                        if (hw_step_resp_cmd(&s->cmd, 1) ||
                            hw_step_resp_str(&s->cmd, "MULTI") ||
                            hw_step_resp_cmd(&s->cmd, 2 + 2 * n_fields) ||
                            hw_step_resp_str(&s->cmd, "HSET") ||
                            hw_step_resp_alert_key(s, &s->cmd,
                                                   HW_KEY_ALERT_RAID))
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                        for (size_t i = 0; i < n && !err;) {
                                size_t j = i;
                                s->value.len = 0;
                                while (j < n &&
                                       !strcmp(all[j].field, all[i].field))
                                        all_days[j - i] = all[j].day, j++;
                                if (hw_raid_days_encode(all_days, j - i,
                                                        &s->value) ||
                                    hw_step_resp_str(&s->cmd, all[i].field) ||
                                    hw_step_resp_arg(&s->cmd, s->value.data,
                                                     s->value.len))
                                        err = hw_fail(HW_ERR_NOMEM, errstr,
                                                      size, "out of memory");
                                i = j;
                        }
                        if (!err && (hw_step_resp_cmd(&s->cmd, 1) ||
                                     hw_step_resp_str(&s->cmd, "EXEC")))
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                }
                free(all);
                free(all_days);
                hw_map_release(&fields);
                if (err)
                        return err;
                if (!n) {
                        if ((err = unwatch(s, errstr, size)))
                                return err;
                        done = 1;
                        continue;
                }
                if ((err = hw_step_round_trip(s, 0, 3, HW_KEY_ALERT_RAID,
                                              errstr, size)))
                        return err;
                r = s->step_replies[2];
                exists = r->type == REDIS_REPLY_ARRAY; /* applied */
                if (r->type == REDIS_REPLY_ERROR)
                        err = hw_step_error_reply(s, r, HW_KEY_ALERT_RAID,
                                                  errstr, size);
                hw_step_free_replies(s, 3);
                hw_arena_reset(&s->reply_arena);
                if (err || exists)
                        return err;
        }
        if (!done)
                HW_WARN("store",
                        "%s" HW_KEY_ALERT_RAID
                        " was not gathered from %s" HW_KEY_ALERT_IDS ": "
                        "alerts kept being written meanwhile (a raid near one "
                        "an earlier version raised may be raised again)",
                        AP, AP);
        return HW_OK;
}

/* What found() needs: the store and the pair judged. */
typedef struct found_ctx_s {
        hw_store_t *s;
        size_t pair;
} found_ctx_t;

/* Appends a raid hw_raid_judge found to s->raids, its first (at most 50)
 * hires named. -1 when out of memory. */
static int raid_found(void *ctx, const hw_raid_cross_t *x) {
        found_ctx_t *fc = ctx;
        hw_store_t *s = fc->s;

        if (hw_grow((void **)&s->raids, &s->raids_cap, s->n_raids + 1,
                    sizeof(*s->raids)))
                return -1;
        s->raids[s->n_raids++] = (hw_raid_found_t){fc->pair, x->day, x->hires,
                                                   x->first, 0,      NULL};
        return 0;
}

/*
 * The raid index as this step leaves it, and the raid judgment on it (no
 * other step applies before this one: <prefix>steps is watched): each of
 * the plan's pairs gets the batch's hires, loses those of days that left
 * the largest window (their months go whole, see hw_step_write_raid_index)
 * and is judged (hw_raid_judge). Whether a raid found is raised is
 * judge_raised's.
 */
hw_err_t hw_step_judge_raids(hw_store_t *s, const hw_plan_t *plan, char *errstr,
                             size_t size) {
        const hw_config_t *c = s->conf;
        int64_t keep = plan->day >= 0 ? raid_gone(s, plan->day) : INT64_MIN;
        int64_t oldest = plan->day >= 0 ? raid_gone(s, plan->day) : 0;

        s->n_raids = 0;
        /* The step's pairs are the plan's, pair i its raid i. */
        for (size_t i = 0; i < s->n_rpairs; i++) {
                raid_pair_t *rp = &s->rpairs[i];
                const hw_plan_raid_t *r = &plan->raids[i];
                found_ctx_t fc = {s, i};
                size_t sorted = rp->n; /* the batch's hires go after */
                hw_raid_hire_t *adds = hw_arena_alloc(
                        &s->scratch, (r->n_ev + 1) * sizeof(*adds));
                int moved;
                for (size_t k = 0; adds && k < r->n_ev; k++) {
                        const hw_plan_ev_t *ev = &plan->evs[r->first_ev + k];
                        adds[k] = (hw_raid_hire_t){ev->day, ev->event_id,
                                                   strlen(ev->event_id)};
                }
                if (!adds || (moved = hw_raid_add_all(rp->list, &rp->n, adds,
                                                      r->n_ev)) < 0)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
                rp->n = hw_raid_settle(rp->list, rp->n, moved ? 0 : sorted,
                                       keep);
                if (s->raise_alerts &&
                    hw_raid_judge(rp->list, rp->n, r->lo, oldest,
                                  c->alert_raid_days, c->alert_raid_count,
                                  raid_found, &fc))
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
        }
        return HW_OK;
}

/* The id of a raid of the plan's pair i on day (yyyymmdd), without the
 * day when day < 0. */
int hw_step_raid_id(char out[640], const hw_plan_t *plan, size_t i,
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
hw_err_t hw_step_judge_raised(hw_store_t *s, const hw_deltas_t *d,
                              const hw_plan_t *plan, char *errstr,
                              size_t size) {
        int64_t days = s->conf->alert_raid_days;

        if (!s->raise_alerts)
                return HW_OK;
        /* The raids found come pair by pair (hw_step_judge_raids): those
         * of f's pair found before it are raids[first .. i). */
        for (size_t i = 0, first = 0; i < s->n_raids; i++) {
                hw_raid_found_t *f = &s->raids[i];
                raid_pair_t *rp;
                const char *slug;
                /* Raids are found only of the plan's pairs, which come
                 * first among the step's pairs. */
                HW_ASSERT(f->pair < plan->n_raids && f->pair < s->n_rpairs);
                HW_ASSERT(!i || s->raids[i - 1].pair <= f->pair);
                if (i && s->raids[i - 1].pair != f->pair)
                        first = i;
                rp = &s->rpairs[f->pair];
                slug = plan->raids[f->pair].lab_slug;
                const hw_map_entry_t *e;
                int near = hw_raid_near(rp->raised, rp->n_raised, f->day, days);
                for (size_t k = first; k < i && !near; k++)
                        near = s->raids[k].raise &&
                               s->raids[k].day > f->day - days &&
                               s->raids[k].day < f->day + days;
                if (near)
                        continue;
                f->raise = 1;
                rp->raises++;
                f->name = hw_step_batch_lab_name(d, slug);
                if (!f->name &&
                    (e = hw_map_find(&s->lab_names, slug, strlen(slug))) &&
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

/* The alert of a raid judge_raised raises. */
int hw_step_xadd_raid(hw_store_t *s, const hw_plan_t *plan,
                      const hw_raid_found_t *f, int64_t raised_at) {
        const hw_plan_raid_t *r = &plan->raids[f->pair];
        const char *org = plan->names[r->first_name];
        int64_t days = s->conf->alert_raid_days;
        char id[640], summary[1200], hires[24], ndays[24], ymd[9];
        const raid_pair_t *rp = &s->rpairs[f->pair];
        hw_buf_t *ids = &s->json_ids, *attrs = &s->json_attrs;
        int rc = hw_step_json_open(ids, '[');

        /* The event ids behind it: its first 50 hires. */
        for (size_t j = f->first;
             !rc && j < f->first + (size_t)f->hires && j - f->first < 50; j++)
                rc = hw_step_json_item(ids, rp->list[j].id, rp->list[j].len);
        hw_time_ymd(f->day, ymd);
        snprintf(hires, sizeof(hires), "%" PRId64, f->hires);
        snprintf(ndays, sizeof(ndays), "%" PRId64, days);
        snprintf(summary, sizeof(summary),
                 "%s hired %s people from %s within %s days", f->name, hires,
                 org, ndays);
        if (rc || hw_step_json_close(ids, ']') ||
            hw_step_raid_id(id, plan, f->pair, f->day) < 0 ||
            hw_step_json_open(attrs, '{') ||
            hw_step_json_member(attrs, "lab", f->name) ||
            hw_step_json_member(attrs, "org", org) ||
            hw_step_json_member(attrs, "hires", hires) ||
            hw_step_json_member(attrs, "days", ndays) ||
            hw_step_json_member(attrs, "day", ymd) ||
            hw_step_json_close(attrs, '}'))
                return -1;
        return hw_step_xadd_alert(s, id, "raid", "WARN", f->name, summary,
                                  f->day * 86400000, raised_at, ids, attrs);
}

/* Whether the plan's pair i has a hire the step adds in days first ..
 * end - 1. */
static int adds_in(const hw_plan_t *plan, size_t i, int64_t first,
                   int64_t end) {
        const hw_plan_raid_t *r = &plan->raids[i];
        for (size_t k = 0; k < r->n_ev; k++) {
                int64_t day = plan->evs[r->first_ev + k].day;
                if (day >= first && day < end)
                        return 1;
        }
        return 0;
}

/* The raid index: per month the step adds hires to, one HSET of
 * <prefix>raid:<yyyymm> with each pair's hires of that month as the step
 * leaves them; when the watermark's day moves, one DEL of the months that
 * left the largest window. */
int hw_step_write_raid_index(hw_store_t *s, const hw_plan_t *plan,
                             size_t *n_cmds) {
        int64_t gone = plan->day >= 0 ? raid_gone(s, plan->day) : INT64_MIN;
        hw_buf_t *b = &s->cmd;
        char key[160];
        int rc = 0;

        for (size_t m = 0; m < s->n_raid_months && !rc; m++) {
                int64_t month = s->raid_months[m];
                int64_t first = hw_time_month_first(month),
                        end = hw_time_month_first(month + 1), from = first;
                size_t n = 0, len = hw_step_raid_key(s, key, month, 0);
                if (from <= gone)
                        from = gone + 1;
                for (size_t i = 0; i < s->n_rpairs; i++)
                        n += adds_in(plan, i, from, end);
                rc |= hw_step_resp_cmd(b, 2 + 2 * n) ||
                      hw_step_resp_str(b, "HSET") ||
                      hw_step_resp_key(s, b, key, len);
                for (size_t i = 0; i < s->n_rpairs && !rc; i++) {
                        const raid_pair_t *rp = &s->rpairs[i];
                        size_t lo = 0, hi;
                        if (!adds_in(plan, i, from, end))
                                continue;
                        /* The list is by day: the month's run of it. */
                        while (lo < rp->n && rp->list[lo].day < first)
                                lo++;
                        for (hi = lo; hi < rp->n && rp->list[hi].day < end;)
                                hi++;
                        s->value.len = 0;
                        rc |= hw_raid_encode(rp->list + lo, hi - lo,
                                             &s->value) ||
                              hw_step_resp_arg(b, rp->field, rp->len) ||
                              hw_step_resp_arg(b, s->value.data, s->value.len);
                        /* Written as it grows, mid-command: Redis reads
                         * RESP as a stream. */
                        hw_step_spill(s);
                }
                (*n_cmds)++;
        }
        if (s->conf->alert_raid && hw_step_slides(s, plan) && !rc) {
                /* A month goes once its last day left the window. */
                int64_t from = hw_time_month(raid_gone(s, s->slide.day) + 1),
                        to = hw_time_month(gone + 1);
                if (to > from) {
                        rc |= hw_step_resp_cmd(b, 1 + (size_t)(to - from)) ||
                              hw_step_resp_str(b, "DEL");
                        for (int64_t m = from; m < to && !rc; m++) {
                                size_t len = hw_step_raid_key(s, key, m, 0);
                                rc |= hw_step_resp_key(s, b, key, len);
                        }
                        (*n_cmds)++;
                }
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
int hw_step_write_raised(hw_store_t *s, const hw_plan_t *plan, size_t *n_cmds) {
        hw_buf_t *b = &s->cmd;
        size_t n = 0, k = 0;
        int rc = 0;

        for (size_t i = 0; i < plan->n_raids && i < s->n_rpairs; i++)
                n += s->rpairs[i].raises > 0;
        if (!n)
                return 0;
        rc |= hw_step_resp_cmd(b, 2 + 2 * n) || hw_step_resp_str(b, "HSET") ||
              hw_step_resp_alert_key(s, b, HW_KEY_ALERT_RAID);
        /* The raids found come pair by pair: k walks them once. */
        for (size_t i = 0; i < plan->n_raids && i < s->n_rpairs && !rc; i++) {
                const raid_pair_t *rp = &s->rpairs[i];
                int64_t *days;
                size_t m = rp->n_raised;
                while (k < s->n_raids && s->raids[k].pair < i)
                        k++;
                if (!rp->raises)
                        continue;
                days = hw_arena_alloc(&s->scratch,
                                      (m + (size_t)rp->raises) * sizeof(*days));
                if (!days)
                        return -1;
                if (m)
                        memcpy(days, rp->raised, m * sizeof(*days));
                for (; k < s->n_raids && s->raids[k].pair == i; k++)
                        if (s->raids[k].raise)
                                days[m++] = s->raids[k].day;
                qsort(days, m, sizeof(*days), by_int64);
                s->value.len = 0;
                rc |= hw_raid_days_encode(days, m, &s->value) ||
                      hw_step_resp_arg(b, rp->field, rp->len) ||
                      hw_step_resp_arg(b, s->value.data, s->value.len);
        }
        (*n_cmds)++;
        return rc;
}
