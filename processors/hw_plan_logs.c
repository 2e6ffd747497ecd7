/*
 * The bucket logs of the plan: a day's log is records
 * "<n>:<family> <field>=<delta>\n" (docs/redis-keys.md). Read here as the
 * slide needs them: parsed once, cached by (family, field) number, read
 * again only from where the cache left them; what a day leaving a window
 * takes out of it; a log replaced by its sums (compaction).
 */
#include "hw_plan_int.h"

/* Forgets the log cached in slot (if any). */
static void forget_cached(hw_plan_t *p, cached_t **slot) {
        if (!*slot)
                return;
        p->cached_recs -= (*slot)->n;
        free((*slot)->recs);
        free(*slot);
        *slot = NULL;
}

/* Forgets every log cached. */
void hw_plan_drop_cached(hw_plan_t *p) {
        for (size_t i = 0; i < HW_PLAN_CACHED_DAYS; i++)
                forget_cached(p, &p->cached[i]);
}

void hw_plan_log_appended(hw_plan_t *p, const hw_plan_day_t *dd,
                          size_t log_len) {
        cached_t **slot = hw_plan_cached_slot(p, dd->day), *c = *slot;

        if (!c || c->day != dd->day || !c->len || log_len < dd->len ||
            c->len != log_len - dd->len)
                return;
        if (hw_grow((void **)&c->recs, &c->cap, c->n + dd->n_recs,
                    sizeof(*c->recs))) {
                forget_cached(p, slot);
                return;
        }
        memcpy(c->recs + c->n, p->day_recs + dd->rec_first,
               dd->n_recs * sizeof(*c->recs));
        c->n += dd->n_recs;
        p->cached_recs += dd->n_recs;
        c->len = log_len;
}

/* Writes v in decimal at out; returns the end. On every record's path,
 * so without printf. */
static char *put_decimal(char *out, int64_t v) {
        char tmp[24];
        size_t n = 0;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        if (v < 0)
                *out++ = '-';
        do {
                tmp[n++] = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        while (n)
                *out++ = tmp[--n];
        return out;
}

char *hw_plan_put_record(const hw_plan_t *p, char *out, uint32_t wf,
                         int64_t delta) {
        const hw_map_entry_t *f = &p->fam_map.entries[hw_plan_wf_fam(p, wf)];
        size_t flen;
        const char *field = hw_plan_wf_field(p, wf, &flen);

        out = put_decimal(out, (int64_t)(f->len + 1 + flen));
        *out++ = ':';
        memcpy(out, f->key, f->len);
        out += f->len;
        *out++ = ' ';
        memcpy(out, field, flen);
        out += flen;
        *out++ = '=';
        out = put_decimal(out, delta);
        *out++ = '\n';
        return out;
}

int hw_plan_log_each(const char *text, size_t len,
                     int (*fn)(void *ctx, const char *name, size_t nlen,
                               int64_t delta),
                     void *ctx) {
        const char *at = text, *end = text + len;

        while (at < end) {
                size_t nlen = 0;
                int64_t v = 0;
                int neg = 0, digits = 0;
                const char *name;
                while (at < end && *at >= '0' && *at <= '9' &&
                       nlen < KEY_MAX * 4)
                        nlen = nlen * 10 + (size_t)(*at++ - '0'), digits++;
                if (!digits || at >= end || *at++ != ':' ||
                    (size_t)(end - at) < nlen + 3)
                        return -1;
                name = at;
                at += nlen;
                if (*at++ != '=')
                        return -1;
                if (*at == '-') {
                        neg = 1;
                        at++;
                }
                digits = 0;
                while (at < end && *at >= '0' && *at <= '9' && digits < 19 &&
                       v <= (INT64_MAX - (*at - '0')) / 10)
                        v = v * 10 + (*at++ - '0'), digits++;
                if (!digits || at >= end || *at++ != '\n' ||
                    fn(ctx, name, nlen, neg ? -v : v))
                        return -1;
        }
        return 0;
}

/* What cache_record needs besides a record. */
typedef struct cache_ctx_s {
        hw_plan_t *p;
        const hw_plan_conf_t *conf;
        cached_t *c;
        int nomem; /* a record was in the format, memory was short */
} cache_ctx_t;

static int cache_record(void *ctx, const char *name, size_t nlen,
                        int64_t delta) {
        cache_ctx_t *x = ctx;
        const char *sp = memchr(name, ' ', nlen);
        size_t lf;
        int64_t wf;

        if (!sp || (lf = (size_t)(sp - name)) == 0 || lf >= KEY_MAX ||
            nlen - lf - 1 > KEY_MAX)
                return -1;
        if ((wf = hw_plan_wf_of(x->p, x->conf, name, lf, sp + 1,
                                nlen - lf - 1)) < 0 ||
            hw_grow((void **)&x->c->recs, &x->c->cap, x->c->n + 1,
                    sizeof(*x->c->recs))) {
                x->nomem = 1;
                return -1;
        }
        x->c->recs[x->c->n++] = (cached_rec_t){(uint32_t)wf, delta};
        x->p->cached_recs++;
        return 0;
}

/* Where day's log is cached: by day number modulo HW_PLAN_CACHED_DAYS
 * (the entry's day tells whether it is that day's). */
static size_t cached_index(int64_t day) {
        int64_t n = HW_PLAN_CACHED_DAYS;
        return (size_t)(((day % n) + n) % n);
}

cached_t **hw_plan_cached_slot(hw_plan_t *p, int64_t day) {
        return &p->cached[cached_index(day)];
}

/*
 * Brings the cache of a log the slide read up to date: parses its text
 * (the whole log, or what follows the part cached). NULL when the log is
 * not in the record format (*why = 1), when the cache does not hold the
 * part the text follows (*why = 2), or out of memory (*why = 0); the log
 * is then not cached at all.
 */
static cached_t *cache_log(hw_plan_t *p, const hw_plan_conf_t *conf,
                           const hw_plan_log_t *lg, int *why) {
        cached_t **slot = hw_plan_cached_slot(p, lg->day), *c = *slot;
        cache_ctx_t x = {p, conf, NULL, 0};
        int rc;

        *why = 0;
        if (c && c->day == lg->day && c->build == p->build)
                return c; /* a log both leaving and compacted */
        if (lg->from) {
                if (!c || c->day != lg->day || c->gen != lg->gen ||
                    c->len != lg->from || lg->len < lg->from) {
                        *why = 2;
                        return NULL;
                }
        } else {
                if (!c && !(c = *slot = calloc(1, sizeof(*c))))
                        return NULL;
                p->cached_recs -= c->n;
                c->n = 0;
                c->day = lg->day;
                c->gen = lg->gen;
        }
        x.c = c;
        rc = hw_plan_log_each(lg->text, lg->len - lg->from, cache_record, &x);
        if (rc) {
                *why = x.nomem ? 0 : 1;
                forget_cached(p, slot);
                return NULL;
        }
        c->len = lg->len;
        c->build = p->build;
        return c;
}

/* Takes out of each window a leaving log's day leaves on the way from
 * `before` what it counts there. */
int hw_plan_slide_log(hw_plan_t *p, const hw_plan_conf_t *conf,
                      const cached_t *c, int64_t before) {
        size_t leaves[HW_PLAN_MAX_WINDOWS], n_leaves = 0;

        for (size_t i = 0; i < conf->n_windows; i++) {
                int64_t n = conf->windows[i];
                if (c->day > before - n && c->day <= p->day - n)
                        leaves[n_leaves++] = i + 1;
        }
        for (size_t r = 0; n_leaves && r < c->n; r++) {
                const cached_rec_t *rec = &c->recs[r];
                int64_t off = hw_plan_touch(p, conf, rec->wf);
                if (off < 0)
                        return -1;
                for (size_t i = 0; i < n_leaves; i++)
                        p->sums[off + (int64_t)leaves[i]] -= rec->delta;
        }
        return 0;
}

/* Sums a cached log by (family, field), in the order they first appear
 * (the cache keeps the sums, those of 0 left out), and writes them as the
 * log's compacted text, in the arena; *len 0 when nothing is left. NULL
 * when out of memory. */
static char *compact_cached(hw_plan_t *p, cached_t *c, size_t *len) {
        size_t n = 0, room = 1, kept = 0, had = p->cpos_cap;
        char *text;

        /* cpos[wf]: 1 + where wf's sum is in recs, 0 none yet (every
         * entry is 0 again when a compaction ends). */
        if (hw_grow((void **)&p->cpos, &p->cpos_cap, p->wf_map.count + 1,
                    sizeof(*p->cpos)))
                return NULL;
        memset(p->cpos + had, 0, (p->cpos_cap - had) * sizeof(*p->cpos));
        for (size_t r = 0; r < c->n; r++) {
                const cached_rec_t *rec = &c->recs[r];
                uint32_t at = p->cpos[rec->wf];
                if (!at) {
                        /* First seen: summed in place, at n. */
                        c->recs[n] = *rec;
                        p->cpos[rec->wf] = (uint32_t)++n;
                } else {
                        c->recs[at - 1].delta += rec->delta;
                }
        }
        for (size_t r = 0; r < n; r++) {
                p->cpos[c->recs[r].wf] = 0;
                if (!c->recs[r].delta)
                        continue;
                room += RECORD_ROOM(hw_plan_wf_name_len(p, c->recs[r].wf));
                c->recs[kept++] = c->recs[r];
        }
        p->cached_recs -= c->n - kept;
        c->n = kept;
        if (!(text = hw_arena_alloc(&p->arena, room)))
                return NULL;
        *len = 0;
        for (size_t r = 0; r < kept; r++)
                *len = (size_t)(hw_plan_put_record(p, text + *len,
                                                   c->recs[r].wf,
                                                   c->recs[r].delta) -
                                text);
        return text;
}

/* Replaces each log to compact by its sums, in the order names first
 * appear, when that makes it shorter by a quarter. */
int hw_plan_compact_logs(hw_plan_t *p, const hw_plan_conf_t *conf,
                         const hw_plan_slide_t *sl) {
        p->compacted = hw_arena_alloc(&p->arena, (sl->n_compact + 1) *
                                                         sizeof(*p->compacted));
        if (!p->compacted)
                return -1;
        for (size_t i = 0; i < sl->n_compact; i++) {
                const hw_plan_log_t *lg = &sl->compact[i];
                cached_t *c = *hw_plan_cached_slot(p, lg->day);
                size_t len = 0;
                char *text;
                /* A log the step deletes is left as it is. */
                if (p->day >= 0 &&
                    lg->day <= p->day - conf->windows[conf->n_windows - 1])
                        continue;
                if (!c || c->day != lg->day ||
                    !(text = compact_cached(p, c, &len)))
                        return -1;
                if (len && len < lg->len - lg->len / 4)
                        p->compacted[p->n_compacted++] =
                                (hw_plan_day_t){.ymd = lg->ymd,
                                                .day = lg->day,
                                                .text = text,
                                                .len = len,
                                                .was = lg->len,
                                                .gen = lg->gen};
        }
        return 0;
}

/* Brings the cache of every log the slide read up to date (the leaving
 * ones when the step slides); on a log not
 * in the format (or not following what the cache holds) *bad is it and
 * *why says which. */
int hw_plan_cache_logs(hw_plan_t *p, const hw_plan_conf_t *conf,
                       const hw_plan_slide_t *sl, int sliding,
                       const hw_plan_log_t **bad, int *why) {
        int64_t largest = conf->windows[conf->n_windows - 1];
        for (size_t i = 0; sliding && i < sl->n_leaving; i++)
                if (!cache_log(p, conf, &sl->leaving[i], why)) {
                        *bad = *why ? &sl->leaving[i] : NULL;
                        return -1;
                }
        for (size_t i = 0; i < sl->n_compact; i++) {
                const hw_plan_log_t *lg = &sl->compact[i];
                if (p->day >= 0 && lg->day <= p->day - largest)
                        continue; /* deleted by the step: not read */
                if (!cache_log(p, conf, lg, why)) {
                        *bad = *why ? lg : NULL;
                        return -1;
                }
        }
        return 0;
}

/* After a build: the logs of days that left every window are not read
 * again; over CACHED_RECS_MAX records, none is kept. */
void hw_plan_evict_cached(hw_plan_t *p, const hw_plan_conf_t *conf) {
        int64_t largest = conf->windows[conf->n_windows - 1];
        if (p->cached_recs > CACHED_RECS_MAX) {
                hw_plan_drop_cached(p);
                return;
        }
        for (size_t i = 0; p->day >= 0 && i < HW_PLAN_CACHED_DAYS; i++)
                if (p->cached[i] && p->cached[i]->day <= p->day - largest)
                        forget_cached(p, &p->cached[i]);
}

/* Whether the next build starts a new generation of slots (and forgets
 * every (family, field) and log it kept). */
int hw_plan_new_generation(const hw_plan_t *p) {
        return !p->generation || p->field_map.count >= HW_PLAN_SLOTS_MAX ||
               p->wf_map.count >= HW_PLAN_SLOTS_MAX;
}

int hw_plan_log_known(const hw_plan_t *p, const char *epoch, int64_t day,
                      int64_t *gen, size_t *len) {
        const cached_t *c = p->cached[cached_index(day)];
        if (hw_plan_new_generation(p) ||
            strcmp(epoch ? epoch : "", p->cached_epoch) || !c ||
            c->day != day || !c->len)
                return 0;
        *gen = c->gen;
        *len = c->len;
        return 1;
}

void hw_plan_log_compacted(hw_plan_t *p, const hw_plan_day_t *cd) {
        cached_t *c = *hw_plan_cached_slot(p, cd->day);
        if (c && c->day == cd->day && c->gen == cd->gen && c->len == cd->was) {
                c->gen++;
                c->len = cd->len;
        }
}
