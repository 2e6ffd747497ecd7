/* Integration tests of the store with its allocations failing. */
/*
 * Against a real redis-server (store_oom.sh starts it; store_fixtures.h),
 * with the allocation wrappers of oom_fixtures.h: the consumer's whole
 * atomic step (begin, the batch's reads of ids and persons, the slide,
 * the plan, round trip 1, the raid judgment, round trip 2) and the reads
 * of the alerts stream, each with its first allocation failing, then its
 * second, and so on. The store's allocations and Jansson's (the alerts'
 * JSON) fail; hiredis's cannot (hiredis 0.14 aborts when they do).
 *
 * The step is also run with each growth of its buffers (hw_buf_reserve,
 * hw_buf_append, hw_buf_json_string, wrapped at link time) failing in
 * turn, whether or not it would allocate: memory short while any
 * argument of any command is added.
 *
 * A step that fails for want of memory must have written nothing (every
 * key as it was: SPEC "a refused step must leave nothing written"), and
 * run again on the same store and plan it applies and leaves Redis as a
 * step that never failed does. A failure while the replies are read
 * (hiredis's reader, through the store's reply arena) drops the
 * connection and is HW_ERR_SERVICE, "whether Redis applied the step is
 * then unknown" (hw_store.h): Redis holds then either nothing of the step
 * or all of it, and run again the step is applied or fenced.
 *
 *   test_store_oom PORT
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_proc.h"
#include "oom_fixtures.h"
#include "store_fixtures.h"

/* ---- Three batches, as the consumer makes them ---- */

/* Two steps on 06-10 (so its bucket log holds names twice), then one on
 * 06-18: 06-10 leaves 7d, its log is read, slid and compacted. */
#define N_A 10
#define N_B 32
#define N_EVENTS (2 * N_A + N_B)

static hw_event_t g_ev[N_EVENTS];
static char g_ids[N_EVENTS][24], g_pids[N_EVENTS][24];
/* The three batches, then one whose second round trip is written to
 * Redis in parts as it is built (over a megabyte: step_io.c's spill). */
static hw_deltas_t g_batch[4];
#define SPILL 3
#define SPILL_KEYS 2500
static hw_proc_conf_t g_proc;
static const char *const g_labs[] = {"Meta Superintelligence Labs",
                                     "Google DeepMind", "Anthropic",
                                     "Mistral AI", "xAI"};

/* Event i: batch 0 and 1 hires and an offer on 06-10, batch 2 on 06-16
 * to 06-18: hires from Apple into MSL (a raid by the fourth), from
 * Google into Anthropic (another, batch 2's), from France and Britain
 * into the US (flows, and brain_drain evidence: no such alert, the
 * test's config has no talent bases), tier S moves, persons of batch 0
 * moving again, mega offers. */
static void make_event(int i) {
        hw_event_t *ev = &g_ev[i];
        int b = i < N_A ? 0 : i < 2 * N_A ? 1 : 2, k = i - (b ? N_A : 0);
        hw_event_init(ev);
        snprintf(g_ids[i], sizeof(g_ids[i]), "ev-%03d", i);
        /* Batch 2 moves batch 0's persons 0-4 again. */
        snprintf(g_pids[i], sizeof(g_pids[i]), "p-%03d",
                 b == 2 && k - N_A < 5 ? k - N_A : i);
        ev->event_id = g_ids[i];
        ev->person_id = g_pids[i];
        ev->occurred_at = june_noon(b == 2 ? 18 - k % 3 : 10, i * 1000);
        ev->from_country = k % 2 ? "FR" : "GB";
        ev->to_country = "US";
        ev->tier = (hw_tier_t)(k % HW_TIER_COUNT);
        if (k % 7 == 6) {
                ev->type = HW_EVENT_OFFER;
                ev->offering_org = g_labs[k % 5];
                ev->current_org = "Apple";
                ev->status = k % 2 ? HW_OFFER_ACCEPTED : HW_OFFER_EXTENDED;
                ev->total_value_usd = (int64_t)(k + 1) * 40000000;
                return;
        }
        ev->type = HW_EVENT_HIRE;
        ev->person_name = "A. Researcher";
        ev->from_org = k % 3 ? "Apple" : "OpenAI";
        ev->to_org = g_labs[k % 3 ? 0 : (k / 3) % 5];
        if (b == 2 && k % 5 == 0) { /* a raid of batch 2's own */
                ev->from_org = "Google";
                ev->to_org = "Anthropic";
        }
        ev->nationality = "FR";
        ev->alma_mater = "École polytechnique";
}

/* The batches' deltas, each hire from where the batches before left the
 * person (as Redis would tell the consumer). */
static void make_batches(void) {
        static const hw_person_t nobody;
        g_proc = (hw_proc_conf_t){
                conf.mega_threshold_usd,   conf.alert_mega_offer,
                conf.alert_mega_offer_usd, conf.alert_top_tier_move,
                conf.alert_raid,           conf.alert_brain_drain};
        for (int i = 0; i < N_EVENTS; i++)
                make_event(i);
        hw_deltas_init(&g_batch[SPILL]);
        for (int i = 0; i < SPILL_KEYS; i++) {
                char key[600];
                snprintf(key, sizeof(key), "lab:%0500d:origin", i);
                HW_CHECK_EQ_INT(hw_deltas_gauge(&g_batch[SPILL], key, "Apple",
                                                1 + i % 3),
                                HW_OK);
        }
        HW_CHECK_EQ_INT(hw_deltas_seen(&g_batch[SPILL], june_noon(10, 0), "s"),
                        HW_OK);
        for (int b = 0; b < 3; b++) {
                hw_deltas_t *d = &g_batch[b];
                int from = b * N_A, to = b < 2 ? from + N_A : N_EVENTS;
                hw_deltas_init(d);
                for (int i = from; i < to; i++) {
                        const hw_event_t *ev = &g_ev[i];
                        const hw_person_t *cur = &nobody;
                        hw_person_t next;
                        hw_hire_outcome_t o;
                        HW_CHECK_EQ_INT(hw_deltas_seen(d, ev->occurred_at,
                                                       ev->event_id),
                                        HW_OK);
                        if (ev->type == HW_EVENT_OFFER) {
                                HW_CHECK_EQ_INT(hw_proc_offer(&g_proc, ev, d),
                                                HW_OK);
                                continue;
                        }
                        for (int e = b; e >= 0 && cur == &nobody; e--) {
                                const hw_map_entry_t *m = hw_map_find(
                                        &g_batch[e].persons, ev->person_id,
                                        strlen(ev->person_id));
                                if (m)
                                        cur = m->v.p;
                        }
                        HW_CHECK_EQ_INT(
                                hw_proc_hire(&g_proc, ev, cur, &next, &o, d),
                                HW_OK);
                }
        }
}

/* ---- Redis as text ---- */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the elements of an array reply (pairs when `pairs`), sorted
 * when `sort`, leaving out field `skip` (NULL: none). */
static void put_elements(FILE *f, const redisReply *r, int pairs, int sort,
                         const char *skip) {
        size_t n = r->elements, step = pairs ? 2 : 1, k = 0;
        char **items = calloc(n + 1, sizeof(*items));
        if (!items)
                abort();
        for (size_t i = 0; i + step <= n; i += step) {
                if (pairs && skip && !strcmp(r->element[i]->str, skip))
                        continue;
                if (asprintf(&items[k++], "%s%s%s", r->element[i]->str,
                             pairs ? "=" : "",
                             pairs ? r->element[i + 1]->str : "") < 0)
                        abort();
        }
        if (sort && k > 1)
                qsort(items, k, sizeof(*items), cmp_str);
        for (size_t i = 0; i < k; i++) {
                fprintf(f, " %s", items[i]);
                free(items[i]);
        }
        free(items);
}

/* The reply of the next pipelined command on the side connection. */
static redisReply *next_reply(void) {
        void *r = NULL;
        if (redisGetReply(side, &r) != REDIS_OK || !r)
                abort(); /* the side connection is the test's own */
        return r;
}

/*
 * Every key and what it holds, as text, in a few round trips: the keys
 * sorted, members of sets and fields of hashes too (a DUMP of a set or
 * hash follows its hash table, which reads of it may rehash). With
 * `exact`, everything; else what two runs of the same steps leave alike
 * (stream ids, raised_at and steps:at are the clock's). Caller frees.
 */
static char *redis_text(int exact) {
        static const char *const reads[][2] = {
                {"string", "GET %s"},
                {"hash", "HGETALL %s"},
                {"set", "SMEMBERS %s"},
                {"zset", "ZRANGE %s 0 -1 WITHSCORES"},
                {"stream", "XRANGE %s - +"}};
        redisReply *scan = redisCommand(side, "SCAN 0 COUNT 100000"), **types;
        char *buf = NULL;
        size_t size = 0, n;
        const char **keys;
        FILE *f = open_memstream(&buf, &size);

        if (!f || !scan || scan->type != REDIS_REPLY_ARRAY ||
            strcmp(scan->element[0]->str, "0"))
                abort(); /* a few hundred keys: one SCAN */
        n = scan->element[1]->elements;
        keys = calloc(n + 1, sizeof(*keys));
        types = calloc(n + 1, sizeof(*types));
        if (!keys || !types)
                abort();
        for (size_t i = 0; i < n; i++)
                keys[i] = scan->element[1]->element[i]->str;
        if (n > 1)
                qsort(keys, n, sizeof(*keys), cmp_str);
        for (size_t i = 0; i < n; i++)
                redisAppendCommand(side, "TYPE %s", keys[i]);
        for (size_t i = 0; i < n; i++)
                types[i] = next_reply();
        for (size_t i = 0; i < n; i++)
                for (size_t t = 0; t < sizeof(reads) / sizeof(*reads); t++)
                        if (!strcmp(types[i]->str, reads[t][0]))
                                redisAppendCommand(side, reads[t][1], keys[i]);
        for (size_t i = 0; i < n; i++) {
                const char *type = types[i]->str;
                int known = 0, stream = !strcmp(type, "stream");
                redisReply *r;
                for (size_t t = 0; t < sizeof(reads) / sizeof(*reads); t++)
                        known |= !strcmp(type, reads[t][0]);
                fprintf(f, "%s (%s):", keys[i], type);
                if (!known) {
                        fputc('\n', f);
                        continue;
                }
                r = next_reply();
                if (r->type == REDIS_REPLY_STRING &&
                    (exact || strcmp(keys[i], "st:steps:at")))
                        fprintf(f, " %.*s", (int)r->len, r->str);
                for (size_t e = 0; stream && e < r->elements; e++) {
                        if (exact)
                                fprintf(f, " [%s]",
                                        r->element[e]->element[0]->str);
                        put_elements(f, r->element[e]->element[1], 1, 0,
                                     exact ? NULL : "raised_at");
                }
                if (r->type == REDIS_REPLY_ARRAY && !stream)
                        put_elements(f, r, !strcmp(type, "hash"),
                                     strcmp(type, "zset"), NULL);
                fputc('\n', f);
                freeReplyObject(r);
        }
        for (size_t i = 0; i < n; i++)
                freeReplyObject(types[i]);
        free(types);
        free(keys);
        freeReplyObject(scan);
        if (fclose(f))
                abort();
        return buf;
}

/* Checks that got is want, printing where they first differ. */
static int same_text(const char *got, const char *want, const char *what) {
        size_t i = 0, from;
        if (!strcmp(got, want))
                return 1;
        while (got[i] && got[i] == want[i])
                i++;
        from = i > 100 ? i - 100 : 0;
        HW_CHECK_MSG(0,
                     "%s: Redis differs at byte %zu: \"%.200s\", which "
                     "should be \"%.200s\"",
                     what, i, got + from, want + from);
        return 0;
}

/* ---- The step, failing ---- */

/* A consumer: its store and plan, and what its batch read. */
typedef struct world_s {
        hw_store_t *s;
        hw_plan_t plan;
        hw_arena_t arena; /* the persons read */
        hw_store_outcome_t outcome;
        char *before; /* Redis before the step (redis_text exact) */
        /* What the batch's reads found: its ids seen before, and the
         * persons of its hires as a text. */
        unsigned char seen[N_B];
        char persons[2048];
        /* The same of a step that never failed, and Redis after it. */
        unsigned char want_seen[N_B];
        char want_persons[2048];
        char *want;
        int cold;  /* the step's store and plan are new (a restart) */
        int defer; /* batch 2's step sent, then its outcome read */
        int batch; /* the step's: 2, or SPILL (on an empty Redis) */
} world_t;

static world_t g_w;

/* Runs batch b's step as the consumer does (consumer/batch.c): begin,
 * which of its ids were applied, where its persons are, then the step
 * from offset 10b - 1 to 10b + 9. */
static hw_err_t batch_step(world_t *w, int b, char *errstr, size_t size) {
        int from = b * N_A, n = b == SPILL ? 0 : b < 2 ? N_A : N_B;
        hw_store_offset_t off = {"t", 0, b % SPILL ? 10 * b - 1 : -1,
                                 10 * (b % SPILL) + 9};
        const char *ids[N_B], *pids[N_B];
        int64_t days[N_B];
        hw_person_t persons[N_B];
        hw_err_t err;

        for (int i = 0; i < n; i++) {
                days[i] = hw_time_day(g_ev[from + i].occurred_at);
                ids[i] = g_ev[from + i].event_id;
                pids[i] = g_ev[from + i].person_id;
        }
        hw_arena_reset(&w->arena);
        if ((err = hw_store_begin(w->s, errstr, size)) ||
            (err = hw_store_check_seen(w->s, days, ids, (size_t)n, w->seen,
                                       errstr, size)) ||
            (err = hw_store_get_persons(w->s, pids, (size_t)n, persons,
                                        &w->arena, errstr, size)))
                return err;
        w->persons[0] = '\0';
        for (int i = 0; i < n; i++) {
                size_t at = strlen(w->persons);
                snprintf(w->persons + at, sizeof(w->persons) - at, "%s@%s ",
                         pids[i], persons[i].lab ? persons[i].lab : "-");
        }
        w->outcome = (hw_store_outcome_t)-1;
        if (!w->defer || b != 2)
                return hw_store_step(w->s, &off, 1, &g_batch[b], &w->plan,
                                     &w->outcome, errstr, size);
        /* As the consumer does while it reads the next batch. */
        err = hw_store_step_send(w->s, &off, 1, &g_batch[b], &w->plan,
                                 &w->outcome, errstr, size);
        if (!err && w->outcome == HW_STORE_PENDING)
                err = hw_store_step_finish(w->s, &w->outcome, errstr, size);
        return err;
}

/* A consumer that applied batches 0 and 1, on a Redis that holds them;
 * or, cold, one started since (its store and plan new). */
static void world_setup(void *ctx) {
        world_t *w = ctx;
        char errstr[512];

        run("FLUSHDB");
        w->s = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        hw_plan_init(&w->plan);
        hw_arena_init(&w->arena);
        for (int b = 0; b < 2 && w->s && w->batch != SPILL; b++)
                if (!HW_CHECK_EQ_INT(batch_step(w, b, errstr, sizeof(errstr)),
                                     HW_OK) ||
                    !HW_CHECK_EQ_INT(w->outcome, HW_STORE_APPLIED))
                        fprintf(stderr, "    %s\n", errstr);
        if (w->cold) {
                hw_store_destroy(w->s);
                hw_plan_release(&w->plan);
                w->s = hw_store_new(&conf, "g", errstr, sizeof(errstr));
                hw_plan_init(&w->plan);
        }
        w->before = redis_text(1);
}

static hw_err_t world_run(void *ctx, char *errstr, size_t size) {
        world_t *w = ctx;
        return batch_step(w, w->batch, errstr, size);
}

/* After a failure Redis holds nothing of the step (or, when the replies
 * could not be read, maybe all of it); run again it applies (or is
 * fenced, applied before). Then Redis is as a step that never failed
 * leaves it, and the batch read what it read. */
static void world_check(void *ctx, hw_err_t err, unsigned long failed,
                        const char *errstr) {
        world_t *w = ctx;
        int applied = 0;
        char again[512];
        char *got;
        (void)failed;

        if (err) {
                char *now = redis_text(1);
                if (err == HW_ERR_NOMEM) {
                        same_text(now, w->before, "a step out of memory");
                } else {
                        HW_CHECK_EQ_INT(err, HW_ERR_SERVICE);
                        HW_CHECK_CONTAINS(errstr, "Out of memory");
                        applied = strcmp(now, w->before) != 0;
                }
                free(now);
        }
        if (err) {
                if (!HW_CHECK_EQ_INT(
                            batch_step(w, w->batch, again, sizeof(again)),
                            HW_OK))
                        fprintf(stderr, "    run again: %s\n", again);
                HW_CHECK_EQ_INT(w->outcome,
                                applied ? HW_STORE_FENCED : HW_STORE_APPLIED);
        } else {
                HW_CHECK_EQ_INT(w->outcome, HW_STORE_APPLIED);
        }
        if (!applied) {
                HW_CHECK_MEM(w->seen, w->want_seen, N_B);
                HW_CHECK_STR(w->persons, w->want_persons);
        }
        got = redis_text(0);
        same_text(got, w->want, "after the step");
        free(got);
}

static void world_teardown(void *ctx) {
        world_t *w = ctx;
        hw_store_destroy(w->s);
        hw_plan_release(&w->plan);
        hw_arena_release(&w->arena);
        free(w->before);
        w->before = NULL;
}

/* The step's case: HW_ERR_SERVICE too, when its replies could not be
 * read. */
static hw_oom_case_t world_case(world_t *w) {
        hw_oom_case_t c = HW_OOM_CASE("the atomic step", w, world);
        c.also = HW_ERR_SERVICE;
        return c;
}

/* Runs the world's step once, nothing failing, and keeps what it read
 * and what it left in Redis: what every run must come to. */
static int world_want(world_t *w) {
        char errstr[512];

        world_setup(w);
        if (!HW_CHECK_EQ_INT(world_run(w, errstr, sizeof(errstr)), HW_OK) ||
            !HW_CHECK_EQ_INT(w->outcome, HW_STORE_APPLIED)) {
                fprintf(stderr, "    %s\n", errstr);
                world_teardown(w);
                return 0;
        }
        memcpy(w->want_seen, w->seen, N_B);
        memcpy(w->want_persons, w->persons, sizeof(w->persons));
        w->want = redis_text(0);
        world_teardown(w);
        return 1;
}

/* Whether each growth of the store's command buffers counts as an
 * allocation (test_step). */
static int g_growth;

int __real_hw_buf_reserve(hw_buf_t *buf, size_t extra);
int __real_hw_buf_append(hw_buf_t *buf, const void *data, size_t len);
int __real_hw_buf_json_string(hw_buf_t *buf, const char *s, size_t len);
int __wrap_hw_buf_reserve(hw_buf_t *buf, size_t extra);
int __wrap_hw_buf_append(hw_buf_t *buf, const void *data, size_t len);
int __wrap_hw_buf_json_string(hw_buf_t *buf, const char *s, size_t len);

/* The store's buffers grow through these (the RESP of its commands
 * argument by argument, the alerts' JSON): with g_growth, each call may
 * fail as an allocation does, whether or not it would allocate. (Not
 * hw_grow: the step's reply slots are grown to their size before its
 * commands are sent and grown again, to no more, as they are read, a
 * growth that cannot fail.) */
int __wrap_hw_buf_reserve(hw_buf_t *buf, size_t extra) {
        if (g_growth && hw_oom_fail_here())
                return -1;
        return __real_hw_buf_reserve(buf, extra);
}

int __wrap_hw_buf_append(hw_buf_t *buf, const void *data, size_t len) {
        if (g_growth && hw_oom_fail_here())
                return -1;
        return __real_hw_buf_append(buf, data, len);
}

int __wrap_hw_buf_json_string(hw_buf_t *buf, const char *s, size_t len) {
        if (g_growth && hw_oom_fail_here())
                return -1;
        return __real_hw_buf_json_string(buf, s, len);
}

/* 1. The atomic step of a batch that slides, compacts, moves persons
 * and raises each kind of alert: by a consumer that made the steps
 * before it, by one just started (its first allocations are the
 * step's), and sent, then read (hw_store_step_send, _finish); then
 * with each growth of its buffers failing in turn. */
static void test_step(void) {
        world_t *w = &g_w;
        hw_oom_case_t oc = world_case(w);

        memset(w, 0, sizeof(*w));
        w->batch = 2;
        if (!world_want(w))
                return;
        /* The step is what it is meant to be. */
        HW_CHECK_CONTAINS(w->want, "alert_id=raid:google:anthropic:20250617");
        HW_CHECK_CONTAINS(w->want, "alert_id=mega_offer:ev-051");
        HW_CHECK_CONTAINS(w->want, "alert_id=top_tier_move:ev-022");
        HW_CHECK_CONTAINS(w->want_persons, "p-000@Meta Superintelligence");
        /* The log of 06-10 (both batches' records) was summed. */
        HW_CHECK_CONTAINS(w->want, "st:b:20250610 (string): "
                                   "44:lab:meta-superintelligence-labs:hires "
                                   "OpenAI=2\n");
        /* Each allocation of the step fails in turn: about 60 for a
         * consumer whose buffers are kept from its steps before, over 200
         * for one just started. */
        HW_CHECK(hw_oom_loop(&oc) > 50);
        w->cold = 1;
        HW_CHECK(hw_oom_loop(&oc) > 200);
        w->cold = 0;
        w->defer = 1;
        HW_CHECK(hw_oom_loop(&oc) > 50);
        /* Each growth of its command buffers failing in turn, not only
         * those that allocate: memory short while any argument of any
         * command is added. */
        w->defer = 0;
        g_growth = 1;
        HW_CHECK(hw_oom_loop(&oc) > 500);
        g_growth = 0;
        free(w->want);
}

/* 2. A step whose writes are over a megabyte, written to Redis in parts
 * as they are built: one whose building then fails must still write
 * nothing (the connection is dropped, and Redis discards what it
 * queued after MULTI). */
static void test_spill(void) {
        world_t *w = &g_w;
        hw_oom_case_t oc = world_case(w);
        char key[600];

        memset(w, 0, sizeof(*w));
        w->batch = SPILL;
        if (!world_want(w))
                return;
        snprintf(key, sizeof(key), "st:lab:%0500d:origin (hash): Apple=1\n",
                 SPILL_KEYS - 1);
        HW_CHECK_CONTAINS(w->want, key);
        HW_CHECK(hw_oom_loop(&oc) > 20);
        free(w->want);
}

/* ---- Reading the alerts stream ---- */

#define ALERTS_MAX 64

typedef struct alerts_case_s {
        hw_store_t *s;
        hw_store_alert_t out[ALERTS_MAX];
        size_t n;
        char *want;
} alerts_case_t;

static alerts_case_t g_a;

/* The alerts read, as text. Caller frees. */
static char *alerts_text(const alerts_case_t *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                abort();
        for (size_t i = 0; i < c->n; i++) {
                const hw_alert_t *a = &c->out[i].alert;
                fprintf(f, "%s %s sev=%d %s|%s|",
                        a->alert_id ? a->alert_id : "(damaged)", a->rule,
                        (int)a->severity, a->subject, a->summary);
                for (size_t j = 0; j < a->n_event_ids; j++)
                        fprintf(f, " %s", a->event_ids[j]);
                for (size_t j = 0; j < a->n_attributes; j++)
                        fprintf(f, " %s=%s", a->attributes[j].key,
                                a->attributes[j].value);
                fputc('\n', f);
        }
        if (fclose(f))
                abort();
        return buf;
}

static void alerts_setup(void *ctx) {
        alerts_case_t *c = ctx;
        char errstr[512];
        c->s = hw_store_new(&conf, "g", errstr, sizeof(errstr));
        for (size_t i = 0; i < ALERTS_MAX; i++)
                hw_alert_init(&c->out[i].alert);
        c->n = 0;
}

static hw_err_t alerts_run(void *ctx, char *errstr, size_t size) {
        alerts_case_t *c = ctx;
        return hw_store_read_alerts(c->s, "0-0", c->out, ALERTS_MAX, &c->n,
                                    errstr, size);
}

/* No alert is taken for a damaged one for want of memory: read again
 * after a failure, every one is read whole. */
static void alerts_check(void *ctx, hw_err_t err, unsigned long failed,
                         const char *errstr) {
        alerts_case_t *c = ctx;
        char again[512], *got;
        (void)failed;
        (void)errstr;
        if (err && !HW_CHECK_EQ_INT(alerts_run(c, again, sizeof(again)), HW_OK))
                return;
        got = alerts_text(c);
        if (!HW_CHECK(!strcmp(got, c->want)))
                fprintf(stderr, "    read:\n%s\n    wanted:\n%s\n", got,
                        c->want);
        free(got);
}

static void alerts_teardown(void *ctx) {
        alerts_case_t *c = ctx;
        for (size_t i = 0; i < ALERTS_MAX; i++)
                hw_alert_release(&c->out[i].alert);
        hw_store_destroy(c->s);
}

/* 3. The alerts the steps raised, read back (for the relay and the
 * webhook), from the Redis test 1 left (before test 2 empties it). Only the store's allocations
 * fail here, not Jansson's: Jansson 2.14 reports an allocation failing
 * as it parses as a syntax error (json_error_invalid_syntax, or no code
 * at all), so the store cannot tell the JSON of an entry it could not
 * parse for want of memory from a damaged one, and skips it. */
static void test_read_alerts(void) {
        alerts_case_t *c = &g_a;
        hw_oom_case_t oc = HW_OOM_CASE("reading the alerts", c, alerts);
        char errstr[512];

        alerts_setup(c);
        if (!HW_CHECK_EQ_INT(alerts_run(c, errstr, sizeof(errstr)), HW_OK))
                return;
        c->want = alerts_text(c);
        alerts_teardown(c);
        HW_CHECK(c->n > 5);
        HW_CHECK(!strstr(c->want, "(damaged)"));
        json_set_alloc_funcs(hw_oom_real_malloc, hw_oom_free);
        HW_CHECK(hw_oom_loop(&oc) > 10);
        json_set_alloc_funcs(hw_oom_malloc, hw_oom_free);
        free(c->want);
}

static void cases(void) {
        make_batches();
        HW_RUN(test_step);
        HW_RUN(test_read_alerts);
        HW_RUN(test_spill);
        for (int b = 0; b < 4; b++)
                hw_deltas_release(&g_batch[b]);
        for (int i = 0; i < N_EVENTS; i++)
                hw_event_release(&g_ev[i]);
}

int main(int argc, char **argv) {
        /* Jansson's allocations fail with the store's (hw_step_push_json,
         * the alerts read back). */
        json_set_alloc_funcs(hw_oom_malloc, hw_oom_free);
        return store_main(argc, argv, cases);
}
