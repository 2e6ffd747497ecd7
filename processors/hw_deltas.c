#include "hw_deltas.h"

#include <string.h>

#include "hw_time.h"

void hw_deltas_init(hw_deltas_t *d) {
        hw_map_init(&d->counters);
        hw_map_init(&d->persons);
        hw_map_init(&d->seen);
        hw_map_init(&d->alerts);
        d->watermark = -1;
}

void hw_deltas_release(hw_deltas_t *d) {
        hw_map_release(&d->counters);
        hw_map_release(&d->persons);
        hw_map_release(&d->seen);
        hw_map_release(&d->alerts);
}

void hw_deltas_clear(hw_deltas_t *d) {
        hw_map_clear(&d->counters);
        hw_map_clear(&d->persons);
        hw_map_clear(&d->seen);
        hw_map_clear(&d->alerts);
        d->watermark = -1;
}

/* Builds "kind\0a\0b[\0c]" in buf; returns its length, 0 if too long. */
static size_t compose(char *buf, size_t size, char kind, const char *a,
                      const char *b, const char *c) {
        size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
        size_t n = 2 + la + 1 + lb + (c ? 1 + lc : 0);
        if (n >= size)
                return 0;
        buf[0] = kind;
        buf[1] = '\0';
        memcpy(buf + 2, a, la + 1);
        memcpy(buf + 3 + la, b, lb + 1);
        if (c)
                memcpy(buf + 4 + la + lb, c, lc + 1);
        return n;
}

static hw_err_t add(hw_deltas_t *d, char kind, const char *key,
                    const char *field, const char *ymd, int64_t day,
                    int64_t delta) {
        char buf[1024];
        size_t n;
        int created;
        hw_map_entry_t *e;

        if (delta == 0)
                return HW_OK;
        n = compose(buf, sizeof(buf), kind, key, field, ymd);
        if (!n)
                return HW_ERR_ARG; /* names are bounded far below this */
        e = hw_map_upsert(&d->counters, buf, n, &created);
        if (!e)
                return HW_ERR_NOMEM;
        e->v.i += delta;
        e->aux = day;
        return HW_OK;
}

hw_err_t hw_deltas_window(hw_deltas_t *d, const char *family, const char *field,
                          int64_t day, int64_t delta) {
        char ymd[9];
        hw_time_ymd(day, ymd);
        return add(d, HW_DELTA_WINDOW, family, field, ymd, day, delta);
}

hw_err_t hw_deltas_evidence(hw_deltas_t *d, const char *family,
                            const char *field, int64_t day,
                            const char *event_id) {
        return add(d, HW_DELTA_EVIDENCE, family, field, event_id, day, 1);
}

hw_err_t hw_deltas_gauge(hw_deltas_t *d, const char *key, const char *field,
                         int64_t delta) {
        return add(d, HW_DELTA_GAUGE, key, field, NULL, 0, delta);
}

hw_err_t hw_deltas_rank(hw_deltas_t *d, const char *key, const char *member,
                        int64_t delta) {
        return add(d, HW_DELTA_RANK, key, member, NULL, 0, delta);
}

hw_err_t hw_deltas_set(hw_deltas_t *d, const char *key, const char *field,
                       const char *value) {
        char buf[1024];
        size_t n = compose(buf, sizeof(buf), HW_DELTA_SET, key, field, NULL);
        int created;
        hw_map_entry_t *e;

        if (!n)
                return HW_ERR_ARG;
        e = hw_map_upsert(&d->counters, buf, n, &created);
        if (!e || !(e->v.p = hw_map_strdup(&d->counters, value, strlen(value))))
                return HW_ERR_NOMEM;
        return HW_OK;
}

static const char *dup(hw_map_t *m, const char *s) {
        return s ? hw_map_strdup(m, s, strlen(s)) : NULL;
}

hw_err_t hw_deltas_person(hw_deltas_t *d, const char *person_id,
                          const hw_person_t *p) {
        int created;
        hw_map_entry_t *e = hw_map_upsert(&d->persons, person_id,
                                          strlen(person_id), &created);
        hw_person_t *copy;

        if (!e)
                return HW_ERR_NOMEM;
        copy = hw_arena_alloc(&d->persons.arena, sizeof(*copy));
        if (!copy)
                return HW_ERR_NOMEM;
        copy->lab = dup(&d->persons, p->lab);
        copy->origin = dup(&d->persons, p->origin);
        copy->nationality = dup(&d->persons, p->nationality);
        copy->alma_mater = dup(&d->persons, p->alma_mater);
        copy->tier = dup(&d->persons, p->tier);
        copy->event_id = dup(&d->persons, p->event_id);
        copy->at = p->at;
        if (!copy->lab || !copy->origin || !copy->nationality ||
            !copy->alma_mater || !copy->tier || !copy->event_id)
                return HW_ERR_NOMEM;
        e->v.p = copy;
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

int hw_deltas_parts(const hw_map_entry_t *e, const char *parts[4]) {
        const char *p = e->key, *end = e->key + e->len;
        int n = 0;

        /* The key is a NUL-terminated copy, so an empty last part points
         * at key[len]. */
        parts[n++] = p;
        while (n < 4) {
                const char *nul = memchr(p, '\0', (size_t)(end - p));
                if (!nul)
                        break;
                p = nul + 1;
                parts[n++] = p;
        }
        return n;
}
