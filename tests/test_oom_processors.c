/*
 * Out of memory in the processors and the structures under them: each
 * operation run with its first allocation failing, then its second, and
 * so on (oom_fixtures.h). A run that fails says so (HW_ERR_NOMEM or -1),
 * leaves nothing allocated once released, and leaves what it used fit
 * to be used again: cleared and run again, it gives what a run that
 * never failed gives, to the byte.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_arena.h"
#include "hw_buf.h"
#include "hw_deltas.h"
#include "hw_idmap.h"
#include "hw_map.h"
#include "hw_proc.h"
#include "hw_raid.h"
#include "hw_test.h"
#include "hw_time.h"
#include "oom_fixtures.h"

/* 2025-06-16T10:00:00Z. */
#define T0 INT64_C(1750068000000)
#define DAY HW_DAY_MS

/* ---- Processing a batch into deltas ---- */

/* Every rule on, so that every kind of delta and every alert is made. */
static const hw_proc_conf_t g_proc = {
        .mega_threshold_usd = 100000000,
        .alert_mega_offer = 1,
        .alert_mega_usd = 200000000,
        .alert_top_tier_move = 1,
        .alert_raid = 1,
        .alert_brain_drain = 1,
};

#define N_EVENTS 90
#define N_LABS 14

static hw_event_t g_events[N_EVENTS];
static char g_ids[N_EVENTS][32], g_persons[N_EVENTS][32];
static char g_labs[N_LABS][48];
static const char *const g_countries[] = {"US", "GB", "FR", "CN", "CA", "DE"};

/* Where the persons of the batch were before it, as Redis would say:
 * every third one was in lab (i + 5) % N_LABS. */
static hw_person_t g_known[N_EVENTS];

/*
 * The batch: hires into N_LABS labs from as many organisations (some
 * persons hired twice: a move, then a repeat or a late one), across
 * borders and not, tier S among them, then offers of every status, some
 * above the mega thresholds. Names long enough that the maps' arenas
 * grow past a block.
 */
static void make_batch(void) {
        for (int i = 0; i < N_LABS; i++)
                snprintf(g_labs[i], sizeof(g_labs[i]),
                         "Laboratory of Applied Intelligence %02d", i);
        for (int i = 0; i < N_EVENTS; i++) {
                hw_event_t *ev = &g_events[i];
                int p = i % 70; /* persons 0..19 are hired twice */
                hw_event_init(ev);
                snprintf(g_ids[i], sizeof(g_ids[i]), "ev-%04d", i);
                snprintf(g_persons[i], sizeof(g_persons[i]), "person-%03d", p);
                ev->event_id = g_ids[i];
                ev->person_id = g_persons[i];
                ev->occurred_at = T0 - (int64_t)(i % 9) * DAY + i * 1000;
                ev->from_country = g_countries[i % 6];
                ev->to_country = g_countries[(i / 6) % 6];
                ev->tier = (hw_tier_t)(i % HW_TIER_COUNT);
                if (i < 70 || i >= 80) { /* hires */
                        ev->type = HW_EVENT_HIRE;
                        ev->person_name = i % 4 ? "A. Person" : NULL;
                        ev->from_org = g_labs[(i * 7) % N_LABS];
                        ev->from_lab = i % 5 ? NULL : g_labs[(i + 1) % N_LABS];
                        ev->to_org = g_labs[i % N_LABS];
                        ev->to_lab = i % 2 ? g_labs[i % N_LABS] : NULL;
                        ev->nationality = i % 3 ? "CN" : NULL;
                        ev->alma_mater = i % 4 ? "Tsinghua University" : NULL;
                        if (i >= 80 && i % 2) { /* into the same lab */
                                ev->to_org = g_labs[(i - 70) % N_LABS];
                                ev->to_lab = NULL;
                        } else if (i >= 80) { /* before the move: late */
                                ev->to_org = g_labs[(i + 2) % N_LABS];
                                ev->to_lab = NULL;
                                ev->occurred_at = T0 - 20 * DAY + i;
                        }
                } else { /* offers */
                        ev->type = HW_EVENT_OFFER;
                        ev->offering_org = g_labs[i % N_LABS];
                        ev->offering_lab = i % 2 ? g_labs[i % N_LABS] : NULL;
                        ev->current_org = g_labs[(i + 3) % N_LABS];
                        ev->status =
                                (hw_offer_status_t)(i % HW_OFFER_STATUS_COUNT);
                        ev->total_value_usd = (int64_t)(i - 69) * 50000000;
                }
        }
        for (int i = 0; i < N_EVENTS; i += 3)
                g_known[i] = (hw_person_t){g_labs[(i + 5) % N_LABS],
                                           "Somewhere",
                                           "FR",
                                           "MIT",
                                           "A",
                                           T0 - 30 * DAY,
                                           "ev-old"};
}

/* The batch's first n events as the consumer applies them
 * (consumer/batch.c): each id seen, each hire from the person's place so
 * far. outcomes gets a letter per event. */
static hw_err_t process(hw_deltas_t *d, char *outcomes, int n) {
        static const hw_person_t nobody;
        for (int i = 0; i < n; i++) {
                const hw_event_t *ev = &g_events[i];
                hw_err_t err = hw_deltas_seen(d, ev->occurred_at, ev->event_id);
                outcomes[i] = '-';
                if (!err && ev->type == HW_EVENT_HIRE) {
                        const hw_map_entry_t *e =
                                hw_map_find(&d->persons, ev->person_id,
                                            strlen(ev->person_id));
                        const hw_person_t *cur = e ? e->v.p : &g_known[i % 70];
                        hw_person_t next;
                        hw_hire_outcome_t o = HW_HIRE_MOVE;
                        if (!cur->lab)
                                cur = &nobody;
                        err = hw_proc_hire(&g_proc, ev, cur, &next, &o, d);
                        outcomes[i] = (char)('m' + o);
                } else if (!err) {
                        err = hw_proc_offer(&g_proc, ev, d);
                }
                if (err)
                        return err;
        }
        outcomes[n] = '\0';
        return HW_OK;
}

static void put_str(FILE *f, const char *name, const char *s) {
        fprintf(f, " %s=%s", name, s ? s : "(null)");
}

/* Everything a delta set holds, as text, in its order. Caller frees. */
static char *deltas_text(const hw_deltas_t *d) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        fprintf(f, "watermark %" PRId64 "\n", d->watermark);
        for (size_t i = 0; i < d->counters.count; i++) {
                hw_delta_t e;
                hw_deltas_get(d, i, &e);
                fprintf(f, "%c %s|%s|%" PRId64 "|%s = %" PRId64 " %s\n",
                        (char)e.kind, e.key, e.field, e.day,
                        e.event_id ? e.event_id : "",
                        e.kind == HW_DELTA_SET ? 0 : e.delta,
                        e.kind == HW_DELTA_SET ? e.value : "");
        }
        for (size_t i = 0; i < d->persons.count; i++) {
                const hw_person_t *p = d->persons.entries[i].v.p;
                fprintf(f, "person %s", d->persons.entries[i].key);
                put_str(f, "lab", p->lab);
                put_str(f, "origin", p->origin);
                put_str(f, "nat", p->nationality);
                put_str(f, "alma", p->alma_mater);
                put_str(f, "tier", p->tier);
                put_str(f, "event", p->event_id);
                fprintf(f, " at=%" PRId64 "\n", p->at);
        }
        for (size_t i = 0; i < d->seen.count; i++)
                fprintf(f, "seen %s %s %" PRId64 "\n", d->seen.entries[i].key,
                        d->seen.entries[i].key + 9, d->seen.entries[i].aux);
        for (size_t i = 0; i < d->alerts.count; i++) {
                const hw_alert_t *a = d->alerts.entries[i].v.p;
                fprintf(f, "alert %s %s sev=%d t=%" PRId64, a->alert_id,
                        a->rule, (int)a->severity, a->event_time);
                put_str(f, "subject", a->subject);
                put_str(f, "summary", a->summary);
                for (size_t j = 0; j < a->n_event_ids; j++)
                        put_str(f, "id", a->event_ids[j]);
                for (size_t j = 0; j < a->n_attributes; j++)
                        put_str(f, a->attributes[j].key,
                                a->attributes[j].value);
                fputc('\n', f);
        }
        if (fclose(f))
                abort();
        return buf;
}

typedef struct deltas_case_s {
        hw_deltas_t d;
        char outcomes[N_EVENTS + 1];
        char *want; /* deltas_text of a run that never failed */
        char want_outcomes[N_EVENTS + 1];
        int warm; /* the set held a smaller batch before */
} deltas_case_t;

/* An empty delta set, or one that held a smaller batch first (as the
 * consumer's does: memory kept, the run allocates past it). */
static void deltas_setup(void *ctx) {
        deltas_case_t *c = ctx;
        hw_deltas_init(&c->d);
        if (c->warm) {
                if (!HW_CHECK_EQ_INT(process(&c->d, c->outcomes, N_EVENTS / 4),
                                     HW_OK))
                        return;
                hw_deltas_clear(&c->d);
        }
}

static hw_err_t deltas_run(void *ctx, char *errstr, size_t size) {
        deltas_case_t *c = ctx;
        (void)errstr;
        (void)size;
        return process(&c->d, c->outcomes, N_EVENTS);
}

/* The deltas (after a failure: cleared and made again) are exactly a
 * clean run's. */
static void deltas_check(void *ctx, hw_err_t err, unsigned long failed,
                         const char *errstr) {
        deltas_case_t *c = ctx;
        char *got;
        (void)failed;
        (void)errstr;
        if (err) {
                hw_deltas_clear(&c->d);
                if (!HW_CHECK_EQ_INT(process(&c->d, c->outcomes, N_EVENTS),
                                     HW_OK))
                        return;
        }
        got = deltas_text(&c->d);
        HW_CHECK_STR(c->outcomes, c->want_outcomes);
        if (!HW_CHECK(strcmp(got, c->want) == 0))
                fprintf(stderr, "    got:\n%s\n    wanted:\n%s\n", got,
                        c->want);
        free(got);
}

static void deltas_teardown(void *ctx) {
        hw_deltas_release(&((deltas_case_t *)ctx)->d);
}

/* 1. A batch of hires and offers, every rule on, into a delta set, new or
 * reused. */
static void test_batch_deltas(void) {
        deltas_case_t c;
        hw_oom_case_t oc = HW_OOM_CASE("processing a batch", &c, deltas);

        memset(&c, 0, sizeof(c));
        make_batch();
        hw_deltas_init(&c.d);
        if (!HW_CHECK_EQ_INT(process(&c.d, c.want_outcomes, N_EVENTS), HW_OK))
                return;
        c.want = deltas_text(&c.d);
        hw_deltas_release(&c.d);
        /* The batch is what it is meant to be: alerts of each rule,
         * moves, repeats and late hires. */
        HW_CHECK_CONTAINS(c.want, "alert top_tier_move:");
        HW_CHECK_CONTAINS(c.want, "alert mega_offer:");
        HW_CHECK_CONTAINS(c.want, "V lab:");
        HW_CHECK_CONTAINS(c.want, "V flow:out|");
        HW_CHECK(strchr(c.want_outcomes, 'm') && strchr(c.want_outcomes, 'n') &&
                 strchr(c.want_outcomes, 'o'));
        HW_CHECK(hw_oom_loop(&oc) > 60);
        c.warm = 1;
        HW_CHECK(hw_oom_loop(&oc) > 20);
        /* Each insertion into the batch's maps and arenas failing in turn,
         * whether or not it would allocate: a consumer that kept its
         * structures from batches before. */
        hw_oom_growth = 1;
        HW_CHECK(hw_oom_loop(&oc) > 200);
        hw_oom_growth = 0;
        free(c.want);
}

/* ---- The maps, the buffer and the array under the processors ---- */

/* What a failed insertion leaves: the map as it was. */
typedef struct maps_case_s {
        hw_map_t m;
        hw_idmap_t ids;
        hw_buf_t buf;
        int64_t *arr;
        size_t arr_cap;
        size_t done; /* keys in so far */
} maps_case_t;

#define N_KEYS 700

static void key_of(size_t i, char *out, size_t size) {
        snprintf(out, size, "key number %zu of the map, padded out", i);
}

/* The bytes of keys 0 .. n-1. */
static size_t key_bytes(size_t n) {
        size_t total = 0;
        char key[64];
        for (size_t i = 0; i < n; i++) {
                key_of(i, key, sizeof(key));
                total += strlen(key);
        }
        return total;
}

static void maps_setup(void *ctx) {
        maps_case_t *c = ctx;
        memset(c, 0, sizeof(*c));
        hw_map_init(&c->m);
        hw_idmap_init(&c->ids);
        hw_buf_init(&c->buf);
}

/* Adds key i to each structure; -1 at the first failure, each left as
 * it was then. */
static int add_key(maps_case_t *c, size_t i) {
        char key[64];
        int created;
        hw_map_entry_t *e;

        key_of(i, key, sizeof(key));
        if (!(e = hw_map_upsert(&c->m, key, strlen(key), &created)))
                return -1;
        e->aux = (int64_t)i;
        if (!hw_map_strdup(&c->m, key, 3) ||
            hw_idmap_add(&c->ids, hw_idkey2((uint32_t)i, 7), &created) < 0 ||
            hw_buf_append(&c->buf, key, strlen(key)) ||
            hw_grow((void **)&c->arr, &c->arr_cap, i + 1, sizeof(*c->arr)))
                return -1;
        c->arr[i] = (int64_t)i;
        return 0;
}

static hw_err_t maps_run(void *ctx, char *errstr, size_t size) {
        maps_case_t *c = ctx;
        (void)errstr;
        (void)size;
        for (; c->done < N_KEYS; c->done++)
                if (add_key(c, c->done))
                        return HW_ERR_NOMEM;
        return HW_OK;
}

/* The keys before the failure are all there, each once; the one that
 * failed is in none of the structures it did not reach, nor twice in
 * those it did; adding the rest again gives the full set. */
static void maps_check(void *ctx, hw_err_t err, unsigned long failed,
                       const char *errstr) {
        maps_case_t *c = ctx;
        size_t i = c->done;
        char key[64];
        (void)failed;
        (void)errstr;
        HW_CHECK(c->m.count == i || c->m.count == i + 1);
        HW_CHECK(c->ids.count == i || c->ids.count == i + 1);
        HW_CHECK(c->buf.len == key_bytes(i) || c->buf.len == key_bytes(i + 1));
        for (size_t k = 0; k < i; k++) {
                const hw_map_entry_t *e;
                key_of(k, key, sizeof(key));
                e = hw_map_find(&c->m, key, strlen(key));
                if (!HW_CHECK(e && e->aux == (int64_t)k))
                        return;
                HW_CHECK_EQ_INT(
                        hw_idmap_find(&c->ids, hw_idkey2((uint32_t)k, 7)), k);
        }
        if (err) /* go on from the key that failed */
                for (; c->done < N_KEYS; c->done++)
                        if (!HW_CHECK_EQ_INT(add_key(c, c->done), 0))
                                return;
        HW_CHECK_EQ_INT(c->m.count, N_KEYS);
        HW_CHECK_EQ_INT(c->ids.count, N_KEYS);
        for (size_t k = 0; k < N_KEYS; k++) {
                key_of(k, key, sizeof(key));
                HW_CHECK_EQ_INT(c->m.entries[k].aux, k);
                HW_CHECK_EQ_INT(
                        hw_idmap_find(&c->ids, hw_idkey2((uint32_t)k, 7)), k);
                HW_CHECK_EQ_INT(c->arr[k], k);
        }
}

static void maps_teardown(void *ctx) {
        maps_case_t *c = ctx;
        hw_map_release(&c->m);
        hw_idmap_release(&c->ids);
        hw_buf_release(&c->buf);
        free(c->arr);
}

/* 2. hw_map, hw_idmap, hw_buf and hw_grow each left as they were by an
 * insertion that fails (their headers say so); going on from there ends
 * where a run that never failed ends. */
static void test_maps(void) {
        maps_case_t c;
        hw_oom_case_t oc = HW_OOM_CASE("filling the maps", &c, maps);
        HW_CHECK(hw_oom_loop(&oc) > 20);
}

/* ---- The raid index of a pair ---- */

#define STORED 40 /* hires in the stored index value */
#define ADDED 30  /* the batch's */

typedef struct raid_case_s {
        hw_arena_t arena;
        hw_buf_t out;
        char value[8192]; /* the stored index value */
        size_t len;
        char ids[ADDED][32];
        hw_raid_hire_t adds[ADDED];
        char *want;
} raid_case_t;

static void raid_setup(void *ctx) {
        raid_case_t *c = ctx;
        hw_arena_init(&c->arena);
        hw_buf_init(&c->out);
}

/* Decodes the stored value, adds the batch's hires (in the second case
 * some already in it, on another day), drops those of days <= 20200 and
 * encodes what is left, as the store's step does (store/step_raid.c). */
static hw_err_t raid_run(void *ctx, char *errstr, size_t size) {
        raid_case_t *c = ctx;
        hw_raid_hire_t *list;
        size_t n;
        int moved;
        (void)errstr;
        (void)size;
        if (hw_raid_decode(c->value, c->len, ADDED, &c->arena, &list, &n) ||
            (moved = hw_raid_add_all(list, &n, c->adds, ADDED)) < 0)
                return HW_ERR_NOMEM;
        /* A stored hire that took a new day leaves them out of order. */
        n = hw_raid_settle(list, n, moved ? 0 : STORED, 20200);
        return hw_raid_encode(list, n, &c->out) ? HW_ERR_NOMEM : HW_OK;
}

/* A run that failed is run again from scratch; either way the value
 * encoded is a clean run's (the sort's fallback too). */
static void raid_check(void *ctx, hw_err_t err, unsigned long failed,
                       const char *errstr) {
        raid_case_t *c = ctx;
        (void)failed;
        (void)errstr;
        if (err) {
                hw_arena_reset(&c->arena);
                c->out.len = 0;
                if (!HW_CHECK_EQ_INT(raid_run(c, NULL, 0), HW_OK))
                        return;
        }
        if (!HW_CHECK(c->out.len == strlen(c->want) &&
                      !memcmp(c->out.data, c->want, c->out.len)))
                fprintf(stderr, "    got:\n%.*s\n    wanted:\n%s\n",
                        (int)c->out.len, c->out.data, c->want);
}

static void raid_teardown(void *ctx) {
        raid_case_t *c = ctx;
        hw_arena_release(&c->arena);
        hw_buf_release(&c->out);
}

/* 3. A pair's raid index: decoded, added to, settled and encoded; the
 * batch's hires all new (merged into the sorted ones), then with some
 * already stored (all sorted again). */
static void test_raid_index(void) {
        raid_case_t c;
        hw_oom_case_t oc = HW_OOM_CASE("the raid index", &c, raid);

        for (int again = 0; again < 2; again++) {
                memset(&c, 0, sizeof(c));
                for (int i = 0; i < STORED; i++)
                        c.len += (size_t)snprintf(
                                c.value + c.len, sizeof(c.value) - c.len,
                                "%d 9:stored-%02d\n", 20190 + i / 2, i);
                for (int i = 0; i < ADDED; i++) {
                        int stored = again && i % 3 == 0;
                        snprintf(c.ids[i], sizeof(c.ids[i]),
                                 stored ? "stored-%02d" : "batch-%02d",
                                 stored ? i + 9 : i);
                        c.adds[i] = (hw_raid_hire_t){20230 - i % 7, c.ids[i],
                                                     strlen(c.ids[i])};
                }
                raid_setup(&c);
                if (!HW_CHECK_EQ_INT(raid_run(&c, NULL, 0), HW_OK))
                        return;
                c.want = strndup(c.out.data, c.out.len);
                raid_teardown(&c);
                HW_CHECK_CONTAINS(c.want, "20209 9:stored-39\n20224 ");
                HW_CHECK_CONTAINS(c.want, "20230 8:batch-07\n");
                if (again)
                        HW_CHECK_CONTAINS(c.want, "20230 9:stored-09\n");
                HW_CHECK(hw_oom_loop(&oc) > 3);
                free(c.want);
        }
}

int main(void) {
        HW_RUN_ISOLATED(test_batch_deltas);
        HW_RUN_ISOLATED(test_maps);
        HW_RUN_ISOLATED(test_raid_index);
        return hw_test_summary();
}
