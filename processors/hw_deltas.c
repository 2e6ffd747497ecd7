#include "hw_deltas.h"

#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_time.h"

void hw_deltas_init(hw_deltas_t *d) {
        hw_map_init(&d->names);
        memset(d->short_names, 0, sizeof(d->short_names));
        memset(&d->counters, 0, sizeof(d->counters));
        hw_idmap_init(&d->counters.ids);
        hw_arena_init(&d->counters.arena);
        hw_map_init(&d->memo);
        hw_map_init(&d->persons);
        hw_map_init(&d->seen);
        hw_map_init(&d->alerts);
        d->watermark = -1;
}

void hw_deltas_release(hw_deltas_t *d) {
        hw_map_release(&d->names);
        memset(d->short_names, 0, sizeof(d->short_names));
        hw_idmap_release(&d->counters.ids);
        free(d->counters.entries);
        hw_arena_release(&d->counters.arena);
        hw_map_release(&d->memo);
        hw_map_release(&d->persons);
        hw_map_release(&d->seen);
        hw_map_release(&d->alerts);
}

void hw_deltas_clear(hw_deltas_t *d) {
        hw_map_clear(&d->names);
        memset(d->short_names, 0, sizeof(d->short_names));
        hw_idmap_clear(&d->counters.ids);
        d->counters.count = 0;
        hw_arena_reset(&d->counters.arena);
        hw_map_clear(&d->memo);
        hw_map_clear(&d->persons);
        hw_map_clear(&d->seen);
        hw_map_clear(&d->alerts);
        d->watermark = -1;
}

static int capital(char c) {
        return c >= 'A' && c <= 'Z';
}

/* The short-name slot of s (len bytes), or NULL when it is not one. */
static hw_name_t *short_slot(hw_deltas_t *d, const char *s, size_t len) {
        if (len == 1 && capital(s[0]))
                return &d->short_names[s[0] - 'A'];
        if (len == 2 && capital(s[0]) && capital(s[1]))
                return &d->short_names[26 + (s[0] - 'A') * 26 + (s[1] - 'A')];
        return NULL;
}

int64_t hw_deltas_intern(hw_deltas_t *d, const char *s, size_t len) {
        int created;
        hw_map_entry_t *e;
        hw_name_t *slot = short_slot(d, s, len);
        int64_t n;

        if (slot && *slot)
                return (int64_t)*slot - 1;
        if (len > HW_DELTAS_NAME_MAX ||
            d->names.count >= HW_DELTAS_NAMES_MAX - 1)
                return -1;
        e = hw_map_upsert(&d->names, s, len, &created);
        if (!e)
                return -1;
        n = (int64_t)(e - d->names.entries);
        if (slot)
                *slot = (hw_name_t)n + 1; /* n < HW_DELTAS_NAMES_MAX - 1 */
        return n;
}

const void **hw_deltas_memo(hw_deltas_t *d, const char *key, size_t len,
                            int *created) {
        hw_map_entry_t *e = hw_map_upsert(&d->memo, key, len, created);
        return e ? &e->v.p : NULL;
}

void *hw_deltas_memo_alloc(hw_deltas_t *d, size_t size) {
        return hw_arena_alloc(&d->memo.arena, size);
}

/* A counters key: kind, key name and field name in one word (28 bits
 * each: names are fewer than HW_DELTAS_NAMES_MAX), then the day (W) or
 * the event id's name (V), 0 for the others. */
static hw_idkey_t pack(char kind, hw_name_t key, hw_name_t field,
                       int64_t extra) {
        hw_idkey_t k = {((uint64_t)(unsigned char)kind << 56) |
                                ((uint64_t)key << 28) | (uint64_t)field,
                        (uint64_t)extra};
        return k;
}

/* The entry of a packed key, created zeroed with aux = day when new. */
static hw_deltas_entry_t *entry(hw_deltas_t *d, char kind, hw_name_t key,
                                hw_name_t field, int64_t extra, int64_t day) {
        hw_deltas_counters_t *c = &d->counters;
        int created;
        int64_t i;

        /* Room first, so a key is never added without its entry. */
        if (hw_grow((void **)&c->entries, &c->cap, c->count + 1,
                    sizeof(*c->entries)) ||
            (i = hw_idmap_add(&c->ids, pack(kind, key, field, extra),
                              &created)) < 0)
                return NULL;
        if (created) {
                c->count++;
                c->entries[i].v.i = 0;
                c->entries[i].aux = day;
        }
        return &c->entries[i];
}

hw_err_t hw_deltas_add_n(hw_deltas_t *d, hw_delta_kind_t kind, hw_name_t key,
                         hw_name_t field, int64_t day, int64_t delta) {
        hw_deltas_entry_t *e;

        if (delta == 0)
                return HW_OK;
        if (kind != HW_DELTA_WINDOW)
                day = 0;
        e = entry(d, (char)kind, key, field, day, day);
        if (!e)
                return HW_ERR_NOMEM;
        e->v.i += delta;
        return HW_OK;
}

hw_err_t hw_deltas_set_n(hw_deltas_t *d, hw_name_t key, hw_name_t field,
                         const char *value) {
        hw_deltas_entry_t *e = entry(d, HW_DELTA_SET, key, field, 0, 0);
        if (!e || !(e->v.p = hw_arena_strndup(&d->counters.arena, value,
                                              strlen(value))))
                return HW_ERR_NOMEM;
        return HW_OK;
}

hw_err_t hw_deltas_evidence_n(hw_deltas_t *d, hw_name_t family, hw_name_t field,
                              int64_t day, const char *event_id) {
        int64_t id = hw_deltas_intern(d, event_id, strlen(event_id));
        hw_deltas_entry_t *e;

        if (id < 0)
                return strlen(event_id) > HW_DELTAS_NAME_MAX ? HW_ERR_ARG
                                                             : HW_ERR_NOMEM;
        e = entry(d, HW_DELTA_EVIDENCE, family, field, id, day);
        if (!e)
                return HW_ERR_NOMEM;
        e->v.i = 1;
        return HW_OK;
}

/* Interns a and b into *na and *nb. */
static hw_err_t intern2(hw_deltas_t *d, const char *a, const char *b,
                        hw_name_t *na, hw_name_t *nb) {
        size_t la = strlen(a), lb = strlen(b);
        int64_t x, y;

        if (la > HW_DELTAS_NAME_MAX || lb > HW_DELTAS_NAME_MAX)
                return HW_ERR_ARG; /* names are bounded far below this */
        if ((x = hw_deltas_intern(d, a, la)) < 0 ||
            (y = hw_deltas_intern(d, b, lb)) < 0)
                return HW_ERR_NOMEM;
        *na = (hw_name_t)x;
        *nb = (hw_name_t)y;
        return HW_OK;
}

static hw_err_t add(hw_deltas_t *d, hw_delta_kind_t kind, const char *key,
                    const char *field, int64_t day, int64_t delta) {
        hw_name_t k, f;
        hw_err_t err;

        if (delta == 0)
                return HW_OK;
        if ((err = intern2(d, key, field, &k, &f)))
                return err;
        return hw_deltas_add_n(d, kind, k, f, day, delta);
}

hw_err_t hw_deltas_window(hw_deltas_t *d, const char *family, const char *field,
                          int64_t day, int64_t delta) {
        return add(d, HW_DELTA_WINDOW, family, field, day, delta);
}

hw_err_t hw_deltas_evidence(hw_deltas_t *d, const char *family,
                            const char *field, int64_t day,
                            const char *event_id) {
        hw_name_t k, f;
        hw_err_t err = intern2(d, family, field, &k, &f);
        return err ? err : hw_deltas_evidence_n(d, k, f, day, event_id);
}

hw_err_t hw_deltas_gauge(hw_deltas_t *d, const char *key, const char *field,
                         int64_t delta) {
        return add(d, HW_DELTA_GAUGE, key, field, 0, delta);
}

hw_err_t hw_deltas_rank(hw_deltas_t *d, const char *key, const char *member,
                        int64_t delta) {
        return add(d, HW_DELTA_RANK, key, member, 0, delta);
}

hw_err_t hw_deltas_set(hw_deltas_t *d, const char *key, const char *field,
                       const char *value) {
        hw_name_t k, f;
        hw_err_t err = intern2(d, key, field, &k, &f);
        return err ? err : hw_deltas_set_n(d, k, f, value);
}

static const char *dup(hw_map_t *m, const char *s) {
        return s ? hw_map_strdup(m, s, strlen(s)) : NULL;
}

char *hw_person_copy_strings(hw_arena_t *a, size_t room, hw_person_t *p,
                             const char *const strs[6], const size_t lens[6]) {
        const char **to[6] = {&p->lab,        &p->origin, &p->nationality,
                              &p->alma_mater, &p->tier,   &p->event_id};
        size_t total = room;
        char *block, *at;

        for (int i = 0; i < 6; i++)
                total += lens[i] + 1;
        if (!(block = hw_arena_alloc(a, total)))
                return NULL;
        at = block + room;
        for (int i = 0; i < 6; i++) {
                memcpy(at, strs[i], lens[i]);
                at[lens[i]] = '\0';
                *to[i] = at;
                at += lens[i] + 1;
        }
        return block;
}

hw_err_t hw_deltas_person(hw_deltas_t *d, const char *person_id,
                          const hw_person_t *p) {
        int created;
        hw_map_entry_t *e = hw_map_upsert(&d->persons, person_id,
                                          strlen(person_id), &created);
        const char *strs[6] = {p->lab,        p->origin, p->nationality,
                               p->alma_mater, p->tier,   p->event_id};
        size_t lens[6];
        hw_person_t kept = *p;
        char *block;

        if (!e)
                return HW_ERR_NOMEM;
        for (int i = 0; i < 6; i++) {
                if (!strs[i])
                        return HW_ERR_ARG;
                lens[i] = strlen(strs[i]);
        }
        /* The person and its strings in one allocation. */
        if (!(block = hw_person_copy_strings(&d->persons.arena, sizeof(kept),
                                             &kept, strs, lens)))
                return HW_ERR_NOMEM;
        memcpy(block, &kept, sizeof(kept));
        e->v.p = (hw_person_t *)block;
        return HW_OK;
}

hw_err_t hw_deltas_seen(hw_deltas_t *d, int64_t occurred_at,
                        const char *event_id) {
        char buf[160];
        int64_t day = hw_time_day(occurred_at);
        size_t len = strlen(event_id);
        int created;
        hw_map_entry_t *e;

        if (len > sizeof(buf) - 10)
                return HW_ERR_ARG;
        hw_time_ymd(day, buf);
        memcpy(buf + 9, event_id, len);
        e = hw_map_upsert(&d->seen, buf, 9 + len, &created);
        if (!e)
                return HW_ERR_NOMEM;
        e->aux = day;
        if (occurred_at > d->watermark)
                d->watermark = occurred_at;
        return HW_OK;
}

hw_err_t hw_deltas_alert(hw_deltas_t *d, const hw_alert_t *a) {
        hw_map_t *m = &d->alerts;
        int created;
        hw_map_entry_t *e =
                hw_map_upsert(m, a->alert_id, strlen(a->alert_id), &created);
        hw_alert_t *c;
        int fail = 0;

        if (!e)
                return HW_ERR_NOMEM;
        if (!created)
                return HW_OK;
        c = hw_arena_alloc(&m->arena, sizeof(*c));
        if (!c)
                return HW_ERR_NOMEM;
        memset(c, 0, sizeof(*c));
        c->alert_id = e->key;
        fail |= !(c->rule = dup(m, a->rule));
        fail |= !(c->subject = dup(m, a->subject));
        fail |= !(c->summary = dup(m, a->summary));
        c->severity = a->severity;
        c->raised_at = a->raised_at;
        c->event_time = a->event_time;
        c->event_ids = hw_arena_alloc(&m->arena,
                                      (a->n_event_ids + 1) * sizeof(char *));
        c->attributes = hw_arena_alloc(
                &m->arena, (a->n_attributes + 1) * sizeof(hw_alert_attr_t));
        fail |= !c->event_ids || !c->attributes;
        for (size_t i = 0; !fail && i < a->n_event_ids; i++)
                fail |= !(c->event_ids[i] = dup(m, a->event_ids[i]));
        for (size_t i = 0; !fail && i < a->n_attributes; i++) {
                fail |= !(c->attributes[i].key = dup(m, a->attributes[i].key));
                fail |= !(c->attributes[i].value =
                                  dup(m, a->attributes[i].value));
        }
        if (fail)
                return HW_ERR_NOMEM;
        c->n_event_ids = a->n_event_ids;
        c->n_attributes = a->n_attributes;
        e->v.p = c;
        return HW_OK;
}

void hw_deltas_get(const hw_deltas_t *d, size_t i, hw_delta_t *out) {
        const hw_deltas_entry_t *e = &d->counters.entries[i];
        hw_idkey_t k = d->counters.ids.keys[i];

        memset(out, 0, sizeof(*out));
        out->kind = (hw_delta_kind_t)(k.a >> 56);
        out->key_n = (hw_name_t)((k.a >> 28) & (HW_DELTAS_NAMES_MAX - 1));
        out->field_n = (hw_name_t)(k.a & (HW_DELTAS_NAMES_MAX - 1));
        out->key = hw_deltas_str(d, out->key_n, &out->key_len);
        out->field = hw_deltas_str(d, out->field_n, &out->field_len);
        if (out->kind == HW_DELTA_SET) {
                out->value = e->v.p;
                return;
        }
        out->delta = e->v.i;
        if (out->kind == HW_DELTA_WINDOW || out->kind == HW_DELTA_EVIDENCE)
                out->day = e->aux;
        if (out->kind == HW_DELTA_EVIDENCE)
                out->event_id = hw_deltas_str(d, (hw_name_t)k.b, NULL);
}

int hw_deltas_next_set(const hw_deltas_t *d, size_t *i, hw_delta_t *out) {
        for (; *i < d->counters.count; (*i)++)
                if ((d->counters.ids.keys[*i].a >> 56) == HW_DELTA_SET) {
                        hw_deltas_get(d, (*i)++, out);
                        return 1;
                }
        return 0;
}

const hw_deltas_entry_t *hw_deltas_find(const hw_deltas_t *d,
                                        hw_delta_kind_t kind, const char *key,
                                        const char *field, int64_t day,
                                        const char *event_id) {
        const hw_map_entry_t *k = hw_map_find(&d->names, key, strlen(key));
        const hw_map_entry_t *f = hw_map_find(&d->names, field, strlen(field));
        int64_t extra = kind == HW_DELTA_WINDOW ? day : 0, i;

        if (!k || !f)
                return NULL;
        if (kind == HW_DELTA_EVIDENCE) {
                const hw_map_entry_t *ev =
                        event_id ? hw_map_find(&d->names, event_id,
                                               strlen(event_id))
                                 : NULL;
                if (!ev)
                        return NULL;
                extra = ev - d->names.entries;
        }
        i = hw_idmap_find(&d->counters.ids,
                          pack((char)kind, (hw_name_t)(k - d->names.entries),
                               (hw_name_t)(f - d->names.entries), extra));
        return i < 0 ? NULL : &d->counters.entries[i];
}
