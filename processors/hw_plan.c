/*
 * The plan of an atomic step (hw_plan.h): from a batch's deltas, every
 * key and field it changes, the windows each day's count falls in, the
 * records of the bucket logs, the ids kept, the raid pairs and the
 * brain_drain evidence; the bucket logs themselves are hw_plan_logs.c's.
 */
#include "hw_order.h"
#include "hw_plan_int.h"

void hw_plan_init(hw_plan_t *p) {
        memset(p, 0, sizeof(*p));
        hw_map_init(&p->key_map);
        hw_idmap_init(&p->field_map);
        hw_map_init(&p->day_map);
        hw_map_init(&p->raid_map);
        hw_map_init(&p->drain_map);
        hw_map_init(&p->fam_map);
        hw_map_init(&p->pname_map);
        hw_idmap_init(&p->wf_map);
        hw_arena_init(&p->arena);
        p->day = -1;
}

static void free_work(work_t *w);

void hw_plan_release(hw_plan_t *p) {
        hw_plan_drop_cached(p);
        free_work(p->work);
        hw_map_release(&p->key_map);
        hw_idmap_release(&p->field_map);
        free(p->field_sums);
        free(p->field_keys);
        hw_map_release(&p->day_map);
        hw_map_release(&p->raid_map);
        hw_map_release(&p->drain_map);
        hw_map_release(&p->fam_map);
        hw_map_release(&p->pname_map);
        hw_idmap_release(&p->wf_map);
        free(p->sums);
        free(p->fam_keys);
        free(p->wf_fields);
        free(p->touched);
        free(p->stamps);
        free(p->cpos);
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
        l->a[l->n++] = (item_t){group, 0, s, len, v};
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

/* Adds delta to (key k, field pn); returns its index in field_map, -1
 * when out of memory (the plan as it was). */
static int64_t add_idx(hw_plan_t *p, int64_t k, int64_t pn, int64_t delta) {
        size_t cap = p->field_cap, n = p->field_map.count + 1;
        int created;
        int64_t f;

        /* Room first: field_map is kept from plan to plan, so a pair in
         * it without its sum and key would be read past their end by
         * every plan after. */
        if (hw_grow((void **)&p->field_sums, &cap, n, sizeof(*p->field_sums)) ||
            hw_grow((void **)&p->field_keys, &p->field_cap, n,
                    sizeof(*p->field_keys)) ||
            (f = hw_idmap_add(&p->field_map,
                              hw_idkey2((uint32_t)k, (uint32_t)pn), &created)) <
                    0)
                return -1;
        if (created) {
                p->field_sums[f] = 0;
                p->field_keys[f] = (uint32_t)k;
        }
        p->field_sums[f] += delta;
        return f;
}

/* The plan's index of the deltas' name n in m, looked up once per build
 * (memo[n]); -1 when out of memory. */
static int64_t index_via(hw_map_t *m, int32_t *memo, const hw_deltas_t *d,
                         hw_name_t n) {
        if (memo[n] < 0) {
                size_t len;
                const char *s = hw_deltas_str(d, n, &len);
                int created;
                int64_t i = index_of(m, s, len, &created);
                if (i < 0 || i > INT32_MAX)
                        return -1;
                memo[n] = (int32_t)i;
        }
        return memo[n];
}

/* Adds delta to (key, field) of the deltas' names; zset marks a
 * sorted-set key. */
static int add(hw_plan_t *p, const hw_deltas_t *d, hw_name_t key, int zset,
               hw_name_t field, int64_t delta) {
        size_t had = p->key_map.count;
        int64_t k = index_via(&p->key_map, p->key_of, d, key);
        int64_t pn = index_via(&p->pname_map, p->pname_of, d, field);

        if (k < 0 || pn < 0)
                return -1;
        /* A key's kind comes from its batch (-1 until then). */
        if (p->key_map.count > had || p->key_map.entries[k].v.i < 0)
                p->key_map.entries[k].v.i = zset;
        return add_idx(p, k, pn, delta) < 0 ? -1 : 0;
}

/* Makes room for the window keys of one more family in fam_keys: before
 * a family is added to fam_map, which is kept from plan to plan, so
 * that none is ever there without them. -1 when out of memory. */
static int family_room(hw_plan_t *p, size_t slots) {
        return hw_grow((void **)&p->fam_keys, &p->fam_keys_cap,
                       (p->fam_map.count + 1) * slots, sizeof(*p->fam_keys));
}

/* Sets up the window keys of a family new to fam_map (looked up when
 * first emitted), in the room family_room made. */
static void new_family(hw_plan_t *p, int64_t fam, size_t slots) {
        for (size_t i = 0; i < slots; i++)
                p->fam_keys[(size_t)fam * slots + i] = -1;
}

/* The index in wf_map of (family fam, field pn), its sums created zeroed;
 * -1 when out of memory (the plan as it was). */
static int64_t wf_index(hw_plan_t *p, const hw_plan_conf_t *conf, int64_t fam,
                        int64_t pn) {
        size_t slots = conf->n_windows + 1, n = p->wf_map.count + 1;
        int created;
        int64_t wf;

        /* Room first, as in add_idx: wf_map is kept too. */
        if (hw_grow((void **)&p->sums, &p->sums_cap, n * slots,
                    sizeof(*p->sums)) ||
            hw_grow((void **)&p->stamps, &p->stamps_cap, n,
                    sizeof(*p->stamps)) ||
            hw_grow((void **)&p->wf_fields, &p->wf_fields_cap, n * slots,
                    sizeof(*p->wf_fields)) ||
            (wf = hw_idmap_add(&p->wf_map,
                               hw_idkey2((uint32_t)fam, (uint32_t)pn),
                               &created)) < 0)
                return -1;
        if (created) {
                size_t at = (size_t)wf * slots;
                memset(&p->sums[at], 0, slots * sizeof(*p->sums));
                for (size_t i = 0; i < slots; i++)
                        p->wf_fields[at + i] = -1;
                p->stamps[wf] = 0;
        }
        return wf;
}

/* The index in wf_map of a (family, field), its sums created zeroed; -1
 * when out of memory or too long. */
int64_t hw_plan_wf_of(hw_plan_t *p, const hw_plan_conf_t *conf,
                      const char *family, size_t lf, const char *field,
                      size_t flen) {
        size_t slots = conf->n_windows + 1;
        int created;
        int64_t fam, pn;

        if (flen > KEY_MAX || family_room(p, slots) ||
            (fam = index_of(&p->fam_map, family, lf, &created)) < 0)
                return -1;
        if (created)
                new_family(p, fam, slots);
        if ((pn = index_of(&p->pname_map, field, flen, &created)) < 0)
                return -1;
        return wf_index(p, conf, fam, pn);
}

/* Lists (family, field) wf among those whose sums this build changes;
 * returns the offset of its sums, -1 when out of memory. */
int64_t hw_plan_touch(hw_plan_t *p, const hw_plan_conf_t *conf, uint32_t wf) {
        if (p->stamps[wf] != p->build) {
                if (hw_grow((void **)&p->touched, &p->touched_cap,
                            p->n_touched + 1, sizeof(*p->touched)))
                        return -1;
                p->touched[p->n_touched++] = wf;
                p->stamps[wf] = p->build;
        }
        return (int64_t)wf * (int64_t)(conf->n_windows + 1);
}

/* The family index of the deltas' name n, set up when new. */
static int64_t family_via(hw_plan_t *p, const hw_plan_conf_t *conf,
                          const hw_deltas_t *d, hw_name_t n) {
        if (p->fam_of[n] < 0) {
                size_t had = p->fam_map.count, slots = conf->n_windows + 1;
                int64_t fam;
                if (family_room(p, slots) ||
                    (fam = index_via(&p->fam_map, p->fam_of, d, n)) < 0)
                        return -1;
                if (p->fam_map.count > had)
                        new_family(p, fam, slots);
        }
        return p->fam_of[n];
}

/*
 * A windowed counter. Its windows are summed per (family, field) first
 * (emit_windows turns the sums into changes), so an event costs one
 * lookup whatever the number of windows; its day's bucket is a record
 * of its own ((family, field, day) is one deltas entry).
 */
static int add_window(hw_plan_t *p, const hw_plan_conf_t *conf, work_t *w,
                      const hw_deltas_t *d, const hw_delta_t *x) {
        int64_t largest = conf->windows[conf->n_windows - 1];
        int64_t fam = family_via(p, conf, d, x->key_n);
        int64_t pn = index_via(&p->pname_map, p->pname_of, d, x->field_n);
        int64_t wf = fam < 0 || pn < 0 ? -1 : wf_index(p, conf, fam, pn);
        int64_t off = wf < 0 ? -1 : hw_plan_touch(p, conf, (uint32_t)wf);
        int created;

        if (off < 0)
                return -1;
        p->sums[off] += x->delta;
        if (p->day < 0)
                return 0;
        for (size_t i = 0; i < conf->n_windows; i++)
                if (x->day > p->day - conf->windows[i])
                        p->sums[off + 1 + (int64_t)i] += x->delta;
        if (x->day > p->day - largest) {
                /* The day's log gets a record "<family> <field>" (a
                 * family has no space: its names are slugs). */
                if (x->day != w->rec_day || !p->day_map.count) {
                        char ymd[9];
                        hw_map_entry_t *e;
                        hw_time_ymd(x->day, ymd);
                        if (!(e = hw_map_upsert(&p->day_map, ymd, 8, &created)))
                                return -1;
                        e->aux = x->day;
                        w->rec_day = x->day;
                        w->rec_entry = (uint32_t)(e - p->day_map.entries);
                }
                if (push_item(&w->recs, w->rec_entry, NULL, 0, x->delta))
                        return -1;
                w->recs.a[w->recs.n - 1].wf = (uint32_t)wf;
        }
        return 0;
}

/* Turns the per (family, field) window sums into changes of the window
 * keys, leaving out sums of 0. */
static int emit_windows(hw_plan_t *p, const hw_plan_conf_t *conf) {
        size_t slots = conf->n_windows + 1;

        for (size_t t = 0; t < p->n_touched; t++) {
                uint32_t wf = p->touched[t];
                uint32_t fam = hw_plan_wf_fam(p, wf);
                uint32_t pn = (uint32_t)p->wf_map.keys[wf].a;
                size_t at = (size_t)wf * slots;
                for (size_t s = 0; s < slots; s++) {
                        int64_t v = p->sums[at + s];
                        int64_t *k = &p->fam_keys[fam * slots + s];
                        int64_t *f = &p->wf_fields[at + s];
                        if (!v)
                                continue;
                        if (*f >= 0) {
                                p->field_sums[*f] += v;
                                continue;
                        }
                        if (*k < 0) {
                                char key[KEY_MAX];
                                size_t klen = hw_keys_window(
                                        key, sizeof(key), "",
                                        p->fam_map.entries[fam].key,
                                        s ? p->wnames[s - 1]
                                          : HW_KEY_WINDOW_ALL);
                                int created;
                                if (!klen ||
                                    (*k = index_of(&p->key_map, key, klen,
                                                   &created)) < 0)
                                        return -1;
                        }
                        if ((*f = add_idx(p, *k, (int64_t)pn, v)) < 0)
                                return -1;
                }
        }
        return 0;
}

/* Sorts a list by its items' group (by_day: by their v, a day) keeping
 * their order within one (hw_order_by_key), then each group's run by cmp
 * if given, which orders by group first. -1 when out of memory. */
static int sort_items(hw_plan_t *p, items_t *l, int by_day,
                      int (*cmp)(const void *, const void *)) {
        size_t n = l->n, *order, i, j;
        int64_t *keys;
        item_t *out;

        if (n < 2)
                return 0;
        keys = hw_arena_alloc(&p->arena, n * sizeof(*keys));
        order = hw_arena_alloc(&p->arena, n * sizeof(*order));
        out = hw_arena_alloc(&p->arena, n * sizeof(*out));
        if (!keys || !order || !out)
                return -1;
        for (i = 0; i < n; i++)
                keys[i] = by_day ? l->a[i].v : (int64_t)l->a[i].group;
        if (hw_order_by_key(keys, n, order))
                return -1;
        for (i = 0; i < n; i++)
                out[i] = l->a[order[i]];
        memcpy(l->a, out, n * sizeof(*out));
        for (i = 0; cmp && i < n; i = j) {
                for (j = i + 1; j < n && keys[order[j]] == keys[order[i]]; j++)
                        ;
                if (j - i > 1)
                        qsort(l->a + i, j - i, sizeof(item_t), cmp);
        }
        return 0;
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
        if (!w)
                return;
        free(w->names.a);
        free(w->raid_evs.a);
        free(w->drain_evs.a);
        free(w->ids.a);
        free(w->recs.a);
        free(w);
}

/* Empties the lists, keeping their room for the next build (a step's
 * lists are as long as the last step's, mostly). */
static void clear_work(work_t *w) {
        w->names.n = w->raid_evs.n = w->drain_evs.n = w->ids.n = w->recs.n = 0;
        w->rec_day = 0;
        w->rec_entry = 0;
}

/* Writes the lab slug (lab_len bytes), a NUL, then the slug of the org
 * name field (flen bytes) at out (size bytes); returns the length, 0 when
 * it does not fit. The name of a raid pair, built without printf: it is
 * on every hire's path. */
static size_t pair_name(char *out, size_t size, const char *lab, size_t lab_len,
                        const char *field, size_t flen) {
        char copy[KEY_MAX], org[KEY_MAX];
        size_t lo;

        if (flen >= sizeof(copy))
                return 0;
        memcpy(copy, field, flen);
        copy[flen] = '\0';
        hw_slug(copy, org, sizeof(org));
        lo = strlen(org);
        if (lab_len + 1 + lo >= size)
                return 0;
        memcpy(out, lab, lab_len);
        out[lab_len] = '\0';
        memcpy(out + lab_len + 1, org, lo + 1);
        return lab_len + 1 + lo;
}

/* Evidence: a hire behind a lab's hires from an org (raid) or behind a
 * country's losses (brain_drain). */
static int add_evidence(hw_plan_t *p, const hw_plan_conf_t *conf, work_t *w,
                        const char *family, const char *field,
                        const char *event_id, int64_t day) {
        size_t lab_len;
        const char *lab = hw_keys_hires_lab(family, &lab_len);
        int created;

        if (lab && conf->raid) {
                char id[2 * KEY_MAX];
                int64_t largest = conf->windows[conf->n_windows - 1];
                size_t n = pair_name(id, sizeof(id), lab, lab_len, field,
                                     strlen(field));
                int64_t k;
                if (!n || (k = index_of(&p->raid_map, id, n, &created)) < 0)
                        return -1;
                if (push_item(&w->names, (uint32_t)k, field, strlen(field),
                              day))
                        return -1;
                if (p->day >= 0 && day > p->day - largest &&
                    push_item(&w->raid_evs, (uint32_t)k, event_id,
                              strlen(event_id), day))
                        return -1;
        } else if (!strcmp(family, HW_KEY_FLOW_OUT) && p->day >= 0 &&
                   day > p->day - conf->drain_days) {
                int64_t k =
                        index_of(&p->drain_map, field, strlen(field), &created);
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
        if (sort_items(p, &w->names, 0, by_group_name))
                return -1;
        for (size_t i = 0; i < w->names.n; i++) {
                const item_t *it = &w->names.a[i];
                hw_plan_raid_t *r = &p->raids[it->group];
                if (!r->n_names) {
                        r->first_name = *n_names;
                        r->lo = r->hi = it->v;
                }
                r->lo = it->v < r->lo ? it->v : r->lo;
                r->hi = it->v > r->hi ? it->v : r->hi;
                if (r->n_names && !strcmp(p->names[*n_names - 1], it->s))
                        continue;
                p->names[(*n_names)++] = it->s;
                r->n_names++;
        }
        if (sort_items(p, &w->raid_evs, 0, by_group_day))
                return -1;
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
                p->drains[i] =
                        (hw_plan_drain_t){p->drain_map.entries[i].key, 0, 0};
        if (sort_items(p, &w->drain_evs, 0, by_group_latest))
                return -1;
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
                p->keys[i] = (hw_plan_key_t){e->key, e->len, e->v.i == 1, 0, 0};
        }
        for (size_t i = 0; i < nf; i++)
                if (p->field_sums[i])
                        p->keys[p->field_keys[i]].n++;
        for (size_t i = 0; i < nk; i++) {
                p->keys[i].first = fill[i] = at;
                at += p->keys[i].n;
        }
        p->changes = hw_arena_alloc(&p->arena, (at + 1) * sizeof(*p->changes));
        if (!p->changes)
                return -1;
        for (size_t i = 0; i < nf; i++) {
                const hw_map_entry_t *f;
                if (!p->field_sums[i])
                        continue;
                f = &p->pname_map.entries[(uint32_t)p->field_map.keys[i].a];
                p->changes[fill[p->field_keys[i]]++] =
                        (hw_plan_change_t){f->key, f->len, p->field_sums[i], i};
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

/* Lists the days whose log is appended to (day_map), by day, each with
 * its records. */
static int group_days(hw_plan_t *p, work_t *w) {
        size_t n = p->day_map.count;
        size_t *room = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*room));
        size_t *count = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*count));
        hw_plan_day_t *by_index;
        size_t first = 0;

        p->days = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*p->days));
        by_index = hw_arena_alloc(&p->arena, (n + 1) * sizeof(*by_index));
        p->day_recs = hw_arena_alloc(&p->arena,
                                     (w->recs.n + 1) * sizeof(*p->day_recs));
        if (!p->days || !room || !count || !by_index || !p->day_recs)
                return -1;
        memset(room, 0, (n + 1) * sizeof(*room));
        memset(count, 0, (n + 1) * sizeof(*count));
        for (size_t i = 0; i < w->recs.n; i++) {
                room[w->recs.a[i].group] +=
                        RECORD_ROOM(hw_plan_wf_name_len(p, w->recs.a[i].wf));
                count[w->recs.a[i].group]++;
        }
        for (size_t i = 0; i < n; i++) {
                char *text = hw_arena_alloc(&p->arena, room[i] + 1);
                if (!text)
                        return -1;
                by_index[i] = (hw_plan_day_t){.ymd = p->day_map.entries[i].key,
                                              .day = p->day_map.entries[i].aux,
                                              .text = text,
                                              .rec_first = first};
                first += count[i];
        }
        /* In the order the batch's deltas hold them (deterministic); the
         * records as text for the log and as (family, field) numbers for
         * the cache (hw_plan_log_appended). */
        for (size_t i = 0; i < w->recs.n; i++) {
                const item_t *it = &w->recs.a[i];
                hw_plan_day_t *dd = &by_index[it->group];
                char *end = hw_plan_put_record(p, (char *)dd->text + dd->len,
                                               it->wf, it->v);
                dd->len = (size_t)(end - dd->text);
                p->day_recs[dd->rec_first + dd->n_recs++] =
                        (cached_rec_t){it->wf, it->v};
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
        if (sort_items(p, ids, 1, NULL))
                return -1;
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
                        *dd = (hw_plan_day_t){
                                .ymd = it->s, .day = it->v, .first = *n_names};
                }
                p->names[(*n_names)++] = it->s + 9;
                dd->n++;
        }
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
        const hw_deltas_counters_t *m = &d->counters;
        work_t *w;
        size_t n_names = 0, n_evs = 0;
        const hw_plan_log_t *bad = NULL; /* a log not in the format */
        int rc = 0, why = 0;
        int sliding = slide && day >= 0 && slide->day >= 0;
        size_t slots = conf->n_windows + 1;

        if (!p->work && !(p->work = calloc(1, sizeof(*p->work))))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        w = p->work;
        clear_work(w);
        if (hw_plan_new_generation(p) || p->sum_slots != slots) {
                hw_map_clear(&p->key_map);
                hw_idmap_clear(&p->field_map);
                hw_map_clear(&p->fam_map);
                hw_map_clear(&p->pname_map);
                hw_idmap_clear(&p->wf_map);
                hw_plan_drop_cached(p);
                p->n_touched = 0;
                p->sum_slots = slots;
                p->generation++;
        }
        /* The sums the last build left are zeroed. */
        for (size_t t = 0; t < p->n_touched; t++)
                memset(&p->sums[(size_t)p->touched[t] * slots], 0,
                       slots * sizeof(*p->sums));
        p->n_touched = 0;
        if (++p->build == 0) {
                p->build = 1;
                if (p->stamps)
                        memset(p->stamps, 0,
                               p->stamps_cap * sizeof(*p->stamps));
        }
        if (slide &&
            strcmp(slide->epoch ? slide->epoch : "", p->cached_epoch)) {
                hw_plan_drop_cached(p);
                snprintf(p->cached_epoch, sizeof(p->cached_epoch), "%s",
                         slide->epoch ? slide->epoch : "");
        }
        /* The kept pairs start with nothing, the kept keys with no
         * kind (a key's kind comes from its batch: -1 until then). */
        if (p->field_map.count)
                memset(p->field_sums, 0,
                       p->field_map.count * sizeof(*p->field_sums));
        for (size_t i = 0; i < p->key_map.count; i++)
                p->key_map.entries[i].v.i = -1;
        hw_map_clear(&p->day_map);
        hw_map_clear(&p->raid_map);
        hw_map_clear(&p->drain_map);
        hw_arena_reset(&p->arena);
        p->day = day;
        for (size_t i = 0; i < conf->n_windows && i < HW_PLAN_MAX_WINDOWS; i++)
                hw_keys_window_name(p->wnames[i], sizeof(p->wnames[i]),
                                    conf->windows[i]);
        p->n_keys = p->n_changes = p->n_days = p->n_seen = p->n_raids =
                p->n_drains = p->n_compacted = 0;
        /* The deltas' names are looked up once each (as needed). */
        {
                size_t nn = d->names.count + 1;
                p->fam_of = hw_arena_alloc(&p->arena, 3 * nn * sizeof(int32_t));
                if (!p->fam_of)
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "out of memory");
                memset(p->fam_of, 0xff, 3 * nn * sizeof(int32_t));
                p->pname_of = p->fam_of + nn;
                p->key_of = p->pname_of + nn;
        }

        for (size_t i = 0; i < m->count && !rc; i++) {
                hw_delta_t e;
                hw_deltas_get(d, i, &e);
                switch (e.kind) {
                case HW_DELTA_WINDOW:
                        rc = e.delta && add_window(p, conf, w, d, &e);
                        break;
                case HW_DELTA_GAUGE:
                case HW_DELTA_RANK:
                        rc = add(p, d, e.key_n, e.kind == HW_DELTA_RANK,
                                 e.field_n, e.delta);
                        break;
                case HW_DELTA_EVIDENCE:
                        rc = add_evidence(p, conf, w, e.key, e.field,
                                          e.event_id, e.day);
                        break;
                default: /* HW_DELTA_SET: passed as they are */
                        break;
                }
        }
        /* The slide: what the days leaving a window counted in it. */
        if (!rc && slide)
                rc = hw_plan_cache_logs(p, conf, slide, sliding, &bad, &why);
        for (size_t i = 0; !rc && sliding && i < slide->n_leaving; i++)
                rc = hw_plan_slide_log(
                        p, conf, *hw_plan_cached_slot(p, slide->leaving[i].day),
                        slide->day);
        if (!rc && slide && slide->n_compact)
                rc = hw_plan_compact_logs(p, conf, slide);
        if (bad) {
                char log[32];
                hw_keys_log(log, sizeof(log), "", bad->ymd);
                if (why == 2)
                        return hw_fail(HW_ERR_INTERNAL, errstr, size,
                                       "%s was read from byte %zu, but "
                                       "the plan does not hold what comes "
                                       "before",
                                       log, bad->from);
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s holds no bucket log: not \"<n>:<family> "
                               "<field>=<delta>\\n\" records",
                               log);
        }
        if (!rc) {
                size_t n = w->names.n + d->seen.count;
                p->names = hw_arena_alloc(&p->arena, (n + 1) * sizeof(char *));
                p->evs = hw_arena_alloc(&p->arena,
                                        (w->raid_evs.n + w->drain_evs.n + 1) *
                                                sizeof(*p->evs));
                rc = !p->names || !p->evs || emit_windows(p, conf) ||
                     group_changes(p) || group_days(p, w) ||
                     group_seen(p, conf, d, &w->ids, &n_names) ||
                     group_raids(p, w, &n_names, &n_evs) ||
                     group_drains(p, w, &n_evs);
        }
        if (rc)
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        hw_plan_evict_cached(p, conf);
        return HW_OK;
}
