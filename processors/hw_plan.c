#include "hw_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_event.h"
#include "hw_time.h"

#define KEY_MAX 700
#define DRAIN_IDS_MAX 50

/* Working lists, reused: raw items before they are grouped. */
typedef struct item_s {
        uint32_t group;         /* key, day, pair or country index */
        const char *s;          /* field, family, org name or event_id */
        size_t len;
        int64_t v;              /* delta or day */
} item_t;

typedef struct items_s {
        item_t *a;
        size_t n, cap;
} items_t;

/* What one build collects before grouping it. */
typedef struct work_s {
        items_t names, raid_evs, drain_evs, ids;
        items_t recs;           /* bucket records: group = day, s = name */
} work_t;

void hw_plan_init(hw_plan_t *p) {
        memset(p, 0, sizeof(*p));
        hw_map_init(&p->key_map);
        hw_map_init(&p->field_map);
        hw_map_init(&p->day_map);
        hw_map_init(&p->raid_map);
        hw_map_init(&p->drain_map);
        hw_map_init(&p->prune_map);
        hw_map_init(&p->sum_map);
        hw_map_init(&p->fam_map);
        hw_map_init(&p->wf_map);
        hw_arena_init(&p->arena);
        p->day = -1;
}

void hw_plan_release(hw_plan_t *p) {
        hw_map_release(&p->key_map);
        hw_map_release(&p->field_map);
        hw_map_release(&p->day_map);
        hw_map_release(&p->raid_map);
        hw_map_release(&p->drain_map);
        hw_map_release(&p->prune_map);
        hw_map_release(&p->sum_map);
        hw_map_release(&p->fam_map);
        hw_map_release(&p->wf_map);
        free(p->sums);
        free(p->fam_keys);
        hw_arena_release(&p->arena);
        memset(p, 0, sizeof(*p));
        p->day = -1;
}

int64_t hw_plan_day_after(int64_t stored, int64_t batch) {
        int64_t wm = stored > batch ? stored : batch;
        return wm >= 0 ? hw_time_day(wm) : -1;
}

static int push_item(items_t *l, uint32_t group, const char *s, size_t len,
                     int64_t v) {
        if (hw_grow((void **)&l->a, &l->cap, l->n + 1, sizeof(*l->a)))
                return -1;
        l->a[l->n++] = (item_t){group, s, len, v};
        return 0;
}

/* The index of name in map (created with the next index when new). */
static int64_t index_of(hw_map_t *m, const char *name, size_t len,
                        int *created) {
        hw_map_entry_t *e = hw_map_upsert(m, name, len, created);
        if (!e)
                return -1;
        if (*created)
                e->aux = (int64_t)(m->count - 1);
        return e->aux;
}

/* Adds delta to (key k, field). */
static int add_idx(hw_plan_t *p, int64_t k, const char *field, size_t flen,
                   int64_t delta) {
        char buf[2 * KEY_MAX + 8];
        int created;
        hw_map_entry_t *e;
        uint32_t k32 = (uint32_t)k;

        if (flen > 2 * KEY_MAX)
                return -1;
        memcpy(buf, &k32, 4);
        memcpy(buf + 4, field, flen);
        e = hw_map_upsert(&p->field_map, buf, 4 + flen, &created);
        if (!e)
                return -1;
        if (created)
                e->aux = k;
        e->v.i += delta;
        return 0;
}

/* Adds delta to (key, field); zset marks a sorted-set key. */
static int add(hw_plan_t *p, const char *key, size_t klen, int zset,
               const char *field, size_t flen, int64_t delta) {
        int created;
        int64_t k = index_of(&p->key_map, key, klen, &created);

        if (k < 0)
                return -1;
        if (created || p->key_map.entries[k].v.i < 0)
                p->key_map.entries[k].v.i = zset;
        return add_idx(p, k, field, flen, delta);
}

/* Appends len bytes of s at buf[*at] (KEY_MAX bounds); -1 when too long. */
static int put(char *buf, size_t *at, const char *s, size_t len) {
        if (*at + len >= KEY_MAX)
                return -1;
        memcpy(buf + *at, s, len);
        *at += len;
        buf[*at] = '\0';
        return 0;
}

/* The key of a family's window: flow families are "flow:<W>:<what>",
 * the others "<family>:<W>". Returns its length, 0 when too long. On
 * every event's path, so built without printf. */
static size_t window_key(char *buf, const char *family, const char *w) {
        size_t at = 0, lf = strlen(family), lw = strlen(w);
        int rc;
        if (lf > 5 && !strncmp(family, "flow:", 5))
                rc = put(buf, &at, "flow:", 5) || put(buf, &at, w, lw) ||
                     put(buf, &at, family + 4, lf - 4);
        else
                rc = put(buf, &at, family, lf) || put(buf, &at, ":", 1) ||
                     put(buf, &at, w, lw);
        return rc ? 0 : at;
}

/* The lab slug of a lab hires family ("lab:<slug>:hires"), length in *len;
 * NULL for another family. */
static const char *hires_lab(const char *family, size_t *len) {
        size_t n = strlen(family);
        if (n > 10 && !strncmp(family, "lab:", 4) &&
            !strcmp(family + n - 6, ":hires")) {
                *len = n - 10;
                return family + 4;
        }
        return NULL;
}

/* The offset in sums of a (family, field): its all-time sum, then one
 * per window; created zeroed. -1 when out of memory or too long. */
static int64_t sum_slot(hw_plan_t *p, const hw_plan_conf_t *conf,
                        const char *family, size_t lf, const char *field,
                        size_t flen) {
        char buf[KEY_MAX + 8];
        size_t slots = conf->n_windows + 1;
        int created;
        int64_t fam;
        hw_map_entry_t *e;
        uint32_t f32;

        if (flen > KEY_MAX)
                return -1;
        if ((fam = index_of(&p->fam_map, family, lf, &created)) < 0)
                return -1;
        if (created) {
                /* Its window keys are looked up when first emitted. */
                if (hw_grow((void **)&p->fam_keys, &p->fam_keys_cap,
                            (size_t)(fam + 1) * slots, sizeof(*p->fam_keys)))
                        return -1;
                for (size_t i = 0; i < slots; i++)
                        p->fam_keys[(size_t)fam * slots + i] = -1;
        }
        f32 = (uint32_t)fam;
        memcpy(buf, &f32, 4);
        memcpy(buf + 4, field, flen);
        e = hw_map_upsert(&p->wf_map, buf, 4 + flen, &created);
        if (!e)
                return -1;
        if (created) {
                e->aux = (int64_t)((p->wf_map.count - 1) * slots);
                if (hw_grow((void **)&p->sums, &p->sums_cap,
                            (size_t)e->aux + slots, sizeof(*p->sums)))
                        return -1;
                memset(&p->sums[e->aux], 0, slots * sizeof(*p->sums));
        }
        return e->aux;
}

/*
 * A windowed counter. Its windows are summed per (family, field) first
 * (emit_windows turns the sums into changes), so an event costs two
 * lookups whatever the number of windows; its day's bucket is a record
 * of its own ((family, field, day) is one deltas entry).
 */
static int add_window(hw_plan_t *p, const hw_plan_conf_t *conf, work_t *w,
                      const char *family, const char *field, const char *ymd,
                      int64_t day, int64_t delta) {
        size_t lf = strlen(family), flen = strlen(field);
        int64_t largest = conf->windows[conf->n_windows - 1];
        int64_t off = sum_slot(p, conf, family, lf, field, flen);
        int created;

        if (off < 0)
                return -1;
        p->sums[off] += delta;
        if (p->day < 0)
                return 0;
        for (size_t i = 0; i < conf->n_windows; i++)
                if (day > p->day - conf->windows[i])
                        p->sums[off + 1 + (int64_t)i] += delta;
        if (day > p->day - largest) {
                /* The day's log gets a record "<family> <field>" (a
                 * family has no space: its names are slugs). */
                hw_map_entry_t *d = hw_map_upsert(&p->day_map, ymd, 8,
                                                  &created);
                char *name = hw_arena_alloc(&p->arena, lf + flen + 2);
                if (!d || !name)
                        return -1;
                d->aux = day;
                memcpy(name, family, lf);
                name[lf] = ' ';
                memcpy(name + lf + 1, field, flen + 1);
                if (push_item(&w->recs, (uint32_t)(d - p->day_map.entries),
                              name, lf + 1 + flen, delta))
                        return -1;
        }
        return 0;
}

/* Turns the per (family, field) window sums into changes of the window
 * keys, leaving out sums of 0. */
static int emit_windows(hw_plan_t *p, const hw_plan_conf_t *conf) {
        size_t slots = conf->n_windows + 1;

        for (size_t i = 0; i < p->wf_map.count; i++) {
                const hw_map_entry_t *e = &p->wf_map.entries[i];
                uint32_t fam;
                memcpy(&fam, e->key, 4);
                for (size_t s = 0; s < slots; s++) {
                        int64_t v = p->sums[e->aux + (int64_t)s];
                        int64_t *k = &p->fam_keys[fam * slots + s];
                        if (!v)
                                continue;
                        if (*k < 0) {
                                char key[KEY_MAX];
                                size_t klen = window_key(
                                        key, p->fam_map.entries[fam].key,
                                        s ? p->wnames[s - 1] : "all");
                                int created;
                                if (!klen ||
                                    (*k = index_of(&p->key_map, key, klen,
                                                   &created)) < 0)
                                        return -1;
                        }
                        if (add_idx(p, *k, e->key + 4, e->len - 4, v))
                                return -1;
                }
        }
        return 0;
}

/* Sorts a list (qsort wants a non-NULL array even when it is empty). */
static void sort_items(items_t *l, int (*cmp)(const void *, const void *)) {
        if (l->n > 1)
                qsort(l->a, l->n, sizeof(item_t), cmp);
}

static int by_day_desc(const void *a, const void *b) {
        const item_t *x = a, *y = b;
        if (x->v != y->v)
                return x->v < y->v ? 1 : -1;
        return strcmp(x->s, y->s);
}

static int by_group_name(const void *a, const void *b) {
        const item_t *x = a, *y = b;
        if (x->group != y->group)
                return x->group < y->group ? -1 : 1;
        return strcmp(x->s, y->s);
}

static int by_group_day(const void *a, const void *b) {
        const item_t *x = a, *y = b;
        if (x->group != y->group)
                return x->group < y->group ? -1 : 1;
        if (x->v != y->v)
                return x->v < y->v ? -1 : 1;
        return strcmp(x->s, y->s);
}

static int by_group_latest(const void *a, const void *b) {
        const item_t *x = a, *y = b;
        if (x->group != y->group)
                return x->group < y->group ? -1 : 1;
        return by_day_desc(a, b);
}

static void free_work(work_t *w) {
        free(w->names.a);
        free(w->raid_evs.a);
        free(w->drain_evs.a);
        free(w->ids.a);
        free(w->recs.a);
}

/* Evidence: a hire behind a lab's hires from an org (raid) or behind a
 * country's losses (brain_drain). */
static int add_evidence(hw_plan_t *p, const hw_plan_conf_t *conf, work_t *w,
                        const char *family, const char *field,
                        const char *event_id, int64_t day) {
        size_t lab_len;
        const char *lab = hires_lab(family, &lab_len);
        int created;

        if (lab && conf->raid) {
                char org[KEY_MAX], id[2 * KEY_MAX];
                int64_t largest = conf->windows[conf->n_windows - 1];
                int n;
                int64_t k;
                hw_slug(field, org, sizeof(org));
                n = snprintf(id, sizeof(id), "%.*s%c%s", (int)lab_len, lab, 0,
                             org);
                if (n <= 0 || (size_t)n >= sizeof(id) ||
                    (k = index_of(&p->raid_map, id, (size_t)n, &created)) < 0)
                        return -1;
                if (push_item(&w->names, (uint32_t)k, field, strlen(field),
                              day))
                        return -1;
                if (p->day >= 0 && day > p->day - largest &&
                    push_item(&w->raid_evs, (uint32_t)k, event_id,
                              strlen(event_id), day))
                        return -1;
        } else if (!strcmp(family, "flow:out") && p->day >= 0 &&
                   day > p->day - conf->drain_days) {
                int64_t k = index_of(&p->drain_map, field, strlen(field),
                                     &created);
                if (k < 0 || push_item(&w->drain_evs, (uint32_t)k, event_id,
                                       strlen(event_id), day))
                        return -1;
        }
        return 0;
}

/* Groups the raid pairs: names (unique, sorted), lo/hi, events by day. */
static int group_raids(hw_plan_t *p, work_t *w, size_t *n_names,
                       size_t *n_evs) {
        size_t n = p->raid_map.count;

        p->raids = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*p->raids));
        if (!p->raids)
                return -1;
        for (size_t i = 0; i < n; i++) {
                const hw_map_entry_t *e = &p->raid_map.entries[i];
                hw_plan_raid_t *r = &p->raids[i];
                memset(r, 0, sizeof(*r));
                r->lab_slug = e->key;
                r->org_slug = e->key + strlen(e->key) + 1;
        }
        sort_items(&w->names, by_group_name);
        for (size_t i = 0; i < w->names.n; i++) {
                const item_t *it = &w->names.a[i];
                hw_plan_raid_t *r = &p->raids[it->group];
                if (!r->n_names) {
                        r->first_name = *n_names;
                        r->lo = r->hi = it->v;
                }
                r->lo = it->v < r->lo ? it->v : r->lo;
                r->hi = it->v > r->hi ? it->v : r->hi;
                if (r->n_names &&
                    !strcmp(p->names[*n_names - 1], it->s))
                        continue;
                p->names[(*n_names)++] = it->s;
                r->n_names++;
        }
        sort_items(&w->raid_evs, by_group_day);
        for (size_t i = 0; i < w->raid_evs.n; i++) {
                const item_t *it = &w->raid_evs.a[i];
                hw_plan_raid_t *r = &p->raids[it->group];
                if (!r->n_ev)
                        r->first_ev = *n_evs;
                p->evs[(*n_evs)++] = (hw_plan_ev_t){it->v, it->s};
                r->n_ev++;
        }
        p->n_raids = n;
        return 0;
}

/* Groups the countries' losses: the latest first, at most 50 each. */
static int group_drains(hw_plan_t *p, work_t *w, size_t *n_evs) {
        size_t n = p->drain_map.count;

        p->drains = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*p->drains));
        if (!p->drains)
                return -1;
        for (size_t i = 0; i < n; i++)
                p->drains[i] = (hw_plan_drain_t){p->drain_map.entries[i].key,
                                                 0, 0};
        sort_items(&w->drain_evs, by_group_latest);
        for (size_t i = 0; i < w->drain_evs.n; i++) {
                const item_t *it = &w->drain_evs.a[i];
                hw_plan_drain_t *dr = &p->drains[it->group];
                if (dr->n_ev >= DRAIN_IDS_MAX)
                        continue;
                if (!dr->n_ev)
                        dr->first_ev = *n_evs;
                p->evs[(*n_evs)++] = (hw_plan_ev_t){it->v, it->s};
                dr->n_ev++;
        }
        p->n_drains = n;
        return 0;
}

/* Groups the (key, field) sums by key, leaving out those that are 0. */
static int group_changes(hw_plan_t *p) {
        size_t nk = p->key_map.count, nf = p->field_map.count, at = 0;
        size_t *fill;

        p->n_slots = nf;
        p->keys = hw_arena_alloc(&p->arena, (nk + 1) * sizeof(*p->keys));
        fill = hw_arena_alloc(&p->arena, (nk + 1) * sizeof(*fill));
        if (!p->keys || !fill)
                return -1;
        for (size_t i = 0; i < nk; i++) {
                const hw_map_entry_t *e = &p->key_map.entries[i];
                p->keys[i] = (hw_plan_key_t){e->key, e->len, e->v.i == 1, 0,
                                             0};
        }
        for (size_t i = 0; i < nf; i++)
                if (p->field_map.entries[i].v.i)
                        p->keys[p->field_map.entries[i].aux].n++;
        for (size_t i = 0; i < nk; i++) {
                p->keys[i].first = fill[i] = at;
                at += p->keys[i].n;
        }
        p->changes = hw_arena_alloc(&p->arena, (at + 1) * sizeof(*p->changes));
        if (!p->changes)
                return -1;
        for (size_t i = 0; i < nf; i++) {
                const hw_map_entry_t *e = &p->field_map.entries[i];
                if (!e->v.i)
                        continue;
                p->changes[fill[e->aux]++] =
                        (hw_plan_change_t){e->key + 4, e->len - 4, e->v.i, i};
        }
        p->n_changes = at;
        /* Keys left with no change are dropped, keeping the order. */
        p->n_keys = 0;
        for (size_t i = 0; i < nk; i++)
                if (p->keys[i].n)
                        p->keys[p->n_keys++] = p->keys[i];
        return 0;
}

static int by_day(const void *a, const void *b) {
        const hw_plan_day_t *x = a, *y = b;
        return (x->day > y->day) - (x->day < y->day);
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

/* Appends "<n>:<name>=<delta>\n" at out; returns the end. */
static char *put_record(char *out, const char *name, size_t nlen,
                        int64_t delta) {
        out = put_decimal(out, (int64_t)nlen);
        *out++ = ':';
        memcpy(out, name, nlen);
        out += nlen;
        *out++ = '=';
        out = put_decimal(out, delta);
        *out++ = '\n';
        return out;
}

/* The room a record of a name of nlen bytes takes at most. */
#define RECORD_ROOM(nlen) ((nlen) + 48)

/* Lists the days whose log is appended to (day_map), by day, each with
 * its records. */
static int group_days(hw_plan_t *p, work_t *w) {
        size_t n = p->day_map.count;
        size_t *room = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*room));
        hw_plan_day_t *by_index;

        p->days = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*p->days));
        by_index = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*by_index));
        if (!p->days || !room || !by_index)
                return -1;
        memset(room, 0, (n + 1) * sizeof(*room));
        for (size_t i = 0; i < w->recs.n; i++)
                room[w->recs.a[i].group] += RECORD_ROOM(w->recs.a[i].len);
        for (size_t i = 0; i < n; i++) {
                char *text = hw_arena_alloc(&p->arena, room[i] + 1);
                if (!text)
                        return -1;
                by_index[i] = (hw_plan_day_t){p->day_map.entries[i].key,
                                              p->day_map.entries[i].aux, 0,
                                              0, text, 0, 0, 0};
        }
        /* In the order the batch's deltas hold them (deterministic). */
        for (size_t i = 0; i < w->recs.n; i++) {
                const item_t *it = &w->recs.a[i];
                hw_plan_day_t *dd = &by_index[it->group];
                char *end = put_record((char *)dd->text + dd->len, it->s,
                                       it->len, it->v);
                dd->len = (size_t)(end - dd->text);
        }
        n = 0;
        for (size_t i = 0; i < p->day_map.count; i++)
                if (by_index[i].len) /* a day whose records summed to 0 */
                        p->days[n++] = by_index[i];
        if (n > 1)
                qsort(p->days, n, sizeof(*p->days), by_day);
        p->n_days = n;
        return 0;
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
                while (at < end && *at >= '0' && *at <= '9' && nlen < KEY_MAX * 4)
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

/* What slide_record needs besides a leaving log's record. */
typedef struct slide_ctx_s {
        hw_plan_t *p;
        const hw_plan_conf_t *conf;
        int64_t before, day;    /* the watermark's day before; the log's */
} slide_ctx_t;

static int slide_record(void *ctx, const char *name, size_t nlen,
                        int64_t delta) {
        slide_ctx_t *c = ctx;
        hw_plan_t *p = c->p;
        const hw_plan_conf_t *conf = c->conf;
        const char *sp = memchr(name, ' ', nlen);
        char family[KEY_MAX];
        size_t lf, lab_len;
        const char *lab;
        int64_t off;

        if (!sp || (lf = (size_t)(sp - name)) == 0 || lf >= sizeof(family))
                return -1;
        memcpy(family, name, lf);
        family[lf] = '\0';
        if ((off = sum_slot(p, conf, family, lf, sp + 1, nlen - lf - 1)) < 0)
                return -1;
        for (size_t i = 0; i < conf->n_windows; i++) {
                int64_t n = conf->windows[i];
                if (c->day > c->before - n && c->day <= p->day - n)
                        p->sums[off + 1 + (int64_t)i] -= delta;
        }
        /* Leaving the largest window: the raid index forgets the day. */
        lab = hires_lab(family, &lab_len);
        if (lab && c->day <= p->day - conf->windows[conf->n_windows - 1]) {
                char key[2 * KEY_MAX + 16], org[KEY_MAX], field[KEY_MAX];
                size_t flen = nlen - lf - 1;
                int created, k;
                if (flen >= sizeof(field))
                        return -1;
                memcpy(field, sp + 1, flen);
                field[flen] = '\0';
                hw_slug(field, org, sizeof(org));
                k = snprintf(key, sizeof(key), "raid:%.*s:%s", (int)lab_len,
                             lab, org);
                if (k <= 0 || (size_t)k >= sizeof(key) ||
                    !hw_map_upsert(&p->prune_map, key, (size_t)k, &created))
                        return -1;
        }
        return 0;
}

static int sum_record(void *ctx, const char *name, size_t nlen,
                      int64_t delta) {
        hw_map_t *m = ctx;
        int created;
        hw_map_entry_t *e = hw_map_upsert(m, name, nlen, &created);
        if (!e)
                return -1;
        e->v.i += delta;
        return 0;
}

/* Replaces each log to compact by its sums, in the order names first
 * appear. Returns -1 for a malformed log (then *bad points to it) or out
 * of memory. */
static int compact_logs(hw_plan_t *p, const hw_plan_conf_t *conf,
                        const hw_plan_slide_t *sl, const hw_plan_log_t **bad) {
        p->compacted = hw_arena_alloc(&p->arena, (sl->n_compact + 1) *
                                                         sizeof(*p->compacted));
        if (!p->compacted)
                return -1;
        for (size_t i = 0; i < sl->n_compact; i++) {
                const hw_plan_log_t *lg = &sl->compact[i];
                size_t room = 1, len = 0;
                char *text;
                /* A log the step deletes is left as it is. */
                if (p->day >= 0 &&
                    lg->day <= p->day - conf->windows[conf->n_windows - 1])
                        continue;
                hw_map_clear(&p->sum_map);
                if (hw_plan_log_each(lg->text, lg->len, sum_record,
                                     &p->sum_map)) {
                        *bad = lg;
                        return -1;
                }
                for (size_t j = 0; j < p->sum_map.count; j++)
                        room += RECORD_ROOM(p->sum_map.entries[j].len);
                if (!(text = hw_arena_alloc(&p->arena, room)))
                        return -1;
                for (size_t j = 0; j < p->sum_map.count; j++) {
                        const hw_map_entry_t *e = &p->sum_map.entries[j];
                        if (e->v.i)
                                len = (size_t)(put_record(text + len, e->key,
                                                          e->len, e->v.i) -
                                               text);
                }
                if (len && len < lg->len - lg->len / 4)
                        p->compacted[p->n_compacted++] = (hw_plan_day_t){
                                lg->ymd, lg->day, 0, 0, text, len, lg->len,
                                lg->gen};
        }
        return 0;
}

/* Groups the applied event ids kept (day > D - seen_days) by day. */
static int group_seen(hw_plan_t *p, const hw_plan_conf_t *conf,
                      const hw_deltas_t *d, items_t *ids, size_t *n_names) {
        const hw_map_t *m = &d->seen;
        size_t n_days = 0;

        ids->n = 0;
        for (size_t i = 0; i < m->count; i++) {
                const hw_map_entry_t *e = &m->entries[i];
                if (p->day >= 0 && e->aux <= p->day - conf->seen_days)
                        continue;
                if (push_item(ids, 0, e->key, e->len, e->aux))
                        return -1;
        }
        sort_items(ids, by_group_day);
        for (size_t i = 0; i < ids->n; i++)
                n_days += !i || ids->a[i].v != ids->a[i - 1].v;
        p->seen = hw_arena_alloc(&p->arena, (n_days + 1) * sizeof(*p->seen));
        if (!p->seen)
                return -1;
        p->n_seen = 0;
        for (size_t i = 0; i < ids->n; i++) {
                const item_t *it = &ids->a[i];
                hw_plan_day_t *dd = p->n_seen ? &p->seen[p->n_seen - 1] : NULL;
                if (!dd || dd->day != it->v) {
                        dd = &p->seen[p->n_seen++];
                        *dd = (hw_plan_day_t){it->s, it->v, *n_names, 0, NULL, 0, 0,
                                                 0};
                }
                p->names[(*n_names)++] = it->s + 9;
                dd->n++;
        }
        return 0;
}

/* The raid keys to prune, from prune_map. */
static int list_prunes(hw_plan_t *p) {
        size_t n = p->prune_map.count;
        p->prunes = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*p->prunes));
        if (!p->prunes)
                return -1;
        for (size_t i = 0; i < n; i++)
                p->prunes[i] = p->prune_map.entries[i].key;
        p->n_prunes = n;
        return 0;
}

hw_err_t hw_plan_build(hw_plan_t *p, const hw_plan_conf_t *conf,
                       const hw_deltas_t *d, int64_t day) {
        char errstr[256];
        return hw_plan_build_slide(p, conf, d, day, NULL, errstr,
                                   sizeof(errstr));
}

hw_err_t hw_plan_build_slide(hw_plan_t *p, const hw_plan_conf_t *conf,
                             const hw_deltas_t *d, int64_t day,
                             const hw_plan_slide_t *slide, char *errstr,
                             size_t size) {
        const hw_map_t *m = &d->counters;
        work_t w;
        size_t n_names = 0, n_evs = 0;
        const hw_plan_log_t *bad = NULL; /* a log not in the format */
        int rc = 0;

        memset(&w, 0, sizeof(w));
        if (p->field_map.count >= HW_PLAN_SLOTS_MAX || !p->generation) {
                hw_map_clear(&p->key_map);
                hw_map_clear(&p->field_map);
                p->generation++;
        }
        /* The kept pairs start with nothing, the kept keys with no
         * kind (a key's kind comes from its batch: -1 until then). */
        for (size_t i = 0; i < p->field_map.count; i++)
                p->field_map.entries[i].v.i = 0;
        for (size_t i = 0; i < p->key_map.count; i++)
                p->key_map.entries[i].v.i = -1;
        hw_map_clear(&p->day_map);
        hw_map_clear(&p->raid_map);
        hw_map_clear(&p->drain_map);
        hw_map_clear(&p->prune_map);
        hw_map_clear(&p->fam_map);
        hw_map_clear(&p->wf_map);
        hw_arena_reset(&p->arena);
        p->day = day;
        for (size_t i = 0; i < conf->n_windows && i < HW_PLAN_MAX_WINDOWS; i++)
                snprintf(p->wnames[i], sizeof(p->wnames[i]), "%dd",
                         conf->windows[i]);
        p->n_keys = p->n_changes = p->n_days = p->n_seen = p->n_raids =
                p->n_drains = p->n_compacted = p->n_prunes = 0;

        for (size_t i = 0; i < m->count && !rc; i++) {
                const hw_map_entry_t *e = &m->entries[i];
                const char *parts[4];
                int n = hw_deltas_parts(e, parts);
                switch (e->key[0]) {
                case HW_DELTA_WINDOW:
                        rc = n < 4 || (e->v.i &&
                                       add_window(p, conf, &w, parts[1],
                                                  parts[2], parts[3], e->aux,
                                                  e->v.i));
                        break;
                case HW_DELTA_GAUGE:
                case HW_DELTA_RANK:
                        rc = n < 3 ||
                             add(p, parts[1], strlen(parts[1]),
                                 e->key[0] == HW_DELTA_RANK, parts[2],
                                 strlen(parts[2]), e->v.i);
                        break;
                case HW_DELTA_EVIDENCE:
                        rc = n < 4 || add_evidence(p, conf, &w, parts[1],
                                                   parts[2], parts[3], e->aux);
                        break;
                default: /* HW_DELTA_SET: passed as they are */
                        break;
                }
        }
        /* The slide: what the days leaving a window counted in it. */
        for (size_t i = 0; !rc && slide && day >= 0 && slide->day >= 0 &&
                           i < slide->n_leaving;
             i++) {
                const hw_plan_log_t *lg = &slide->leaving[i];
                slide_ctx_t c = {p, conf, slide->day, lg->day};
                if (hw_plan_log_each(lg->text, lg->len, slide_record, &c)) {
                        bad = lg;
                        rc = -1;
                }
        }
        if (!rc && slide && slide->n_compact)
                rc = compact_logs(p, conf, slide, &bad);
        if (bad) {
                free_work(&w);
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "b:%s holds no bucket log: not \"<n>:<family> "
                               "<field>=<delta>\\n\" records",
                               bad->ymd);
        }
        if (!rc) {
                size_t n = w.names.n + d->seen.count;
                p->names = hw_arena_alloc(&p->arena, (n + 1) * sizeof(char *));
                p->evs = hw_arena_alloc(&p->arena,
                                        (w.raid_evs.n + w.drain_evs.n + 1) *
                                                sizeof(*p->evs));
                rc = !p->names || !p->evs || emit_windows(p, conf) ||
                     group_changes(p) || group_days(p, &w) || list_prunes(p) ||
                     group_seen(p, conf, d, &w.ids, &n_names) ||
                     group_raids(p, &w, &n_names, &n_evs) ||
                     group_drains(p, &w, &n_evs);
        }
        free_work(&w);
        return rc ? hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory")
                  : HW_OK;
}
