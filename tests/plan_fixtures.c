/* The plan tests' shared helpers (plan_fixtures.h). */
#include "plan_fixtures.h"

#include "hw_plan_int.h"

/* The windows of every test (days, ascending); the largest is 365. */
const int g_windows[] = {7, 30, 90, 365};

#define DRAIN_DAYS 30

/*
 * The plan as the tests read it: each day's bucket log turned back into a
 * key b:<yyyymmdd> of the plan with one change per record (field
 * "<family> <field>"), so the checks of keys and changes cover the
 * buckets too. build(), build_slide() and release() wrap the library's
 * calls.
 */
typedef struct view_s {
        const hw_plan_t *p;
        hw_plan_key_t *keys;
        hw_plan_change_t *changes;
        char *names;
} view_t;

static view_t g_views[4];

static void view_drop(const hw_plan_t *p) {
        for (size_t i = 0; i < sizeof(g_views) / sizeof(*g_views); i++)
                if (g_views[i].p == p) {
                        free(g_views[i].keys);
                        free(g_views[i].changes);
                        free(g_views[i].names);
                        memset(&g_views[i], 0, sizeof(g_views[i]));
                }
}

static int view_count(void *ctx, const char *name, size_t nlen, int64_t delta) {
        (void)name;
        (void)nlen;
        (void)delta;
        (*(size_t *)ctx)++;
        return 0;
}

static int view_record(void *ctx, const char *name, size_t nlen,
                       int64_t delta) {
        hw_plan_t *p = ctx;
        p->changes[p->n_changes++] = (hw_plan_change_t){name, nlen, delta, 0};
        return 0;
}

/* Gives the plan p just built (err: what the build returned) its view. */
static hw_err_t view_of(hw_plan_t *p, hw_err_t err) {
        size_t total = p->n_changes;
        view_t *v = NULL;

        view_drop(p);
        if (err)
                return err;
        for (size_t i = 0; i < sizeof(g_views) / sizeof(*g_views) && !v; i++)
                if (!g_views[i].p)
                        v = &g_views[i];
        if (!HW_CHECK(v != NULL))
                return HW_ERR_NOMEM;
        for (size_t i = 0; i < p->n_days; i++)
                HW_CHECK_MSG(!hw_plan_log_each(p->days[i].text, p->days[i].len,
                                               view_count, &total),
                             "bucket log of %.8s is not in the record format",
                             p->days[i].ymd);
        v->p = p;
        v->keys = calloc(p->n_keys + p->n_days + 1, sizeof(*v->keys));
        v->changes = calloc(total + 1, sizeof(*v->changes));
        v->names = calloc(p->n_days + 1, 11);
        if (!HW_CHECK(v->keys && v->changes && v->names)) {
                view_drop(p);
                return HW_ERR_NOMEM;
        }
        memcpy(v->keys, p->keys, p->n_keys * sizeof(*v->keys));
        memcpy(v->changes, p->changes, p->n_changes * sizeof(*v->changes));
        p->keys = v->keys;
        p->changes = v->changes;
        for (size_t i = 0; i < p->n_days; i++) {
                char *key = v->names + 11 * i;
                size_t first = p->n_changes;
                memcpy(key, "b:", 2);
                memcpy(key + 2, p->days[i].ymd, 8);
                key[10] = '\0';
                hw_plan_log_each(p->days[i].text, p->days[i].len, view_record,
                                 p);
                p->keys[p->n_keys++] = (hw_plan_key_t){key, 10, 0, first,
                                                       p->n_changes - first};
        }
        return HW_OK;
}

hw_err_t build(hw_plan_t *p, const hw_plan_conf_t *conf, const hw_deltas_t *d,
               int64_t D) {
        return view_of(p, hw_plan_build(p, conf, d, D));
}

/* The same through hw_plan_build_slide (errstr gets its message). */
hw_err_t build_slide(hw_plan_t *p, const hw_plan_conf_t *conf,
                     const hw_deltas_t *d, int64_t D,
                     const hw_plan_slide_t *slide, char *errstr, size_t size) {
        errstr[0] = '\0';
        return view_of(p,
                       hw_plan_build_slide(p, conf, d, D, slide, errstr, size));
}

void release(hw_plan_t *p) {
        view_drop(p);
        hw_plan_release(p);
}

hw_plan_conf_t conf_std(void) {
        hw_plan_conf_t c = {g_windows, N_WINDOWS, 1, DRAIN_DAYS, SEEN_DAYS};
        return c;
}

/* The day number of an ISO date ("2025-06-30"), -1 (and a failed check)
 * when it does not parse. */
static int64_t day_of(const char *iso) {
        int64_t ms = 0;
        if (!HW_CHECK_EQ_INT(hw_time_parse_iso(iso, &ms), 0))
                return -1;
        return hw_time_day(ms);
}

/* D of most tests: 2025-06-30. */
int64_t dday(void) {
        return day_of("2025-06-30");
}

/* "yyyymmdd" of a day, in a rotating set of static buffers (so a few can
 * be used in one expression). */
const char *ymd(int64_t day) {
        static char bufs[8][9];
        static unsigned next;
        char *b = bufs[next++ % 8];
        hw_time_ymd(day, b);
        return b;
}

/* Formats into a rotating set of static buffers. */
const char *fmt(const char *f, ...) {
        static char bufs[8][256];
        static unsigned next;
        char *b = bufs[next++ % 8];
        va_list ap;
        va_start(ap, f);
        vsnprintf(b, sizeof(bufs[0]), f, ap);
        va_end(ap);
        return b;
}

/* The bucket key of a day, "b:<yyyymmdd>" (in a fmt buffer). */
const char *bkey(int64_t day) {
        return fmt("b:%s", ymd(day));
}

/* The field of (family, field) in a day's bucket, "<family> <field>" (in a
 * fmt buffer). */
const char *bfield(const char *family, const char *field) {
        return fmt("%s %s", family, field);
}

/* ------------------------------------------------------------------ */
/* Looking the plan up. */

static int same(const char *s, size_t len, const char *want) {
        return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* The plan's key named key, or NULL. */
const hw_plan_key_t *plan_key(const hw_plan_t *p, const char *key) {
        for (size_t i = 0; i < p->n_keys; i++)
                if (same(p->keys[i].key, p->keys[i].len, key))
                        return &p->keys[i];
        return NULL;
}

/* Finds (key, field) in the plan: 1 with its delta in *delta when the
 * plan changes it, 0 when it does not (no such key, or the key without
 * that field). */
static int plan_get(const hw_plan_t *p, const char *key, const char *field,
                    int64_t *delta) {
        const hw_plan_key_t *k = plan_key(p, key);
        if (!k)
                return 0;
        for (size_t j = 0; j < k->n; j++) {
                const hw_plan_change_t *c = &p->changes[k->first + j];
                if (same(c->field, c->len, field)) {
                        *delta = c->delta;
                        return 1;
                }
        }
        return 0;
}

/* Checks that (key, field) is in the plan with delta want. */
int check_change(const hw_plan_t *p, const char *key, const char *field,
                 int64_t want, const char *file, int line) {
        int64_t got = 0;
        int found = plan_get(p, key, field, &got);
        return hw_test_report(
                found && got == want, file, line,
                "change (\"%s\", \"%s\"): %s %" PRId64 ", expected %" PRId64,
                key, field, found ? "delta" : "absent, not", got, want);
}

/* Checks that the plan does not change (key, field). */
int check_absent(const hw_plan_t *p, const char *key, const char *field,
                 const char *file, int line) {
        int64_t got = 0;
        int found = plan_get(p, key, field, &got);
        return hw_test_report(!found, file, line,
                              "change (\"%s\", \"%s\") should be absent, "
                              "has delta %" PRId64,
                              key, field, got);
}

/* A bucket day's records as the cache takes them (day_recs) write its
 * text, one record a line. */
static void check_day_recs(const hw_plan_t *p, const hw_plan_day_t *dd) {
        size_t lines = 0, at = 0;
        char *text = malloc(dd->len + 1);

        for (size_t j = 0; j < dd->len; j++)
                lines += dd->text[j] == '\n';
        HW_CHECK_MSG(dd->n_recs == lines,
                     "bucket day %s: %zu records, %zu lines", ymd(dd->day),
                     dd->n_recs, lines);
        for (size_t j = 0; text && j < dd->n_recs && at <= dd->len; j++) {
                const cached_rec_t *r = &p->day_recs[dd->rec_first + j];
                char rec[2 * KEY_MAX + 64];
                size_t rlen =
                        (size_t)(hw_plan_put_record(p, rec, r->wf, r->delta) -
                                 rec);
                if (at + rlen <= dd->len)
                        memcpy(text + at, rec, rlen);
                at += rlen;
        }
        HW_CHECK_MSG(text && at == dd->len && !memcmp(text, dd->text, at),
                     "bucket day %s: its records do not write its text",
                     ymd(dd->day));
        free(text);
}

/* What holds for any plan: each key once, with at least one change, its
 * changes in range and not shared with another key, all of them counted,
 * no field twice in a key, no change of 0; names and events in range.
 * And the buckets: the days listed ascending, each once, with n = 0 and
 * records that write its text, its
 * yyyymmdd, within the largest window of D, and its hash b:<yyyymmdd> in
 * the plan; every b: key is b:<yyyymmdd> of a listed day, a hash, with
 * fields "<family> <field>". */
void check_shape(const hw_plan_t *p) {
        unsigned char *used = calloc(p->n_changes + 1, 1);
        size_t total = 0;

        if (!HW_CHECK(used != NULL))
                return;
        for (size_t i = 0; i < p->n_keys; i++) {
                const hw_plan_key_t *k = &p->keys[i];
                HW_CHECK_MSG(k->n > 0, "key \"%.*s\" has no change",
                             (int)k->len, k->key);
                if (!HW_CHECK_MSG(k->first + k->n <= p->n_changes,
                                  "key \"%.*s\": changes [%zu, %zu) out of "
                                  "%zu",
                                  (int)k->len, k->key, k->first,
                                  k->first + k->n, p->n_changes))
                        continue;
                total += k->n;
                for (size_t j = i + 1; j < p->n_keys; j++)
                        HW_CHECK_MSG(!(k->len == p->keys[j].len &&
                                       !memcmp(k->key, p->keys[j].key, k->len)),
                                     "key \"%.*s\" twice", (int)k->len, k->key);
                for (size_t a = k->first; a < k->first + k->n; a++) {
                        const hw_plan_change_t *c = &p->changes[a];
                        HW_CHECK_MSG(!used[a], "change %zu in two keys", a);
                        used[a] = 1;
                        HW_CHECK_MSG(c->delta != 0,
                                     "key \"%.*s\" field \"%.*s\": delta 0",
                                     (int)k->len, k->key, (int)c->len,
                                     c->field);
                        for (size_t b = a + 1; b < k->first + k->n; b++)
                                HW_CHECK_MSG(
                                        !(c->len == p->changes[b].len &&
                                          !memcmp(c->field, p->changes[b].field,
                                                  c->len)),
                                        "key \"%.*s\": field \"%.*s\" twice",
                                        (int)k->len, k->key, (int)c->len,
                                        c->field);
                }
        }
        HW_CHECK_EQ_INT(total, p->n_changes);
        free(used);

        for (size_t i = 0; i < p->n_days; i++) {
                const hw_plan_day_t *dd = &p->days[i];
                const hw_plan_key_t *k;
                const char *key = bkey(dd->day);
                HW_CHECK_MSG(dd->n == 0, "bucket day %s lists %zu names",
                             ymd(dd->day), dd->n);
                check_day_recs(p, dd);
                HW_CHECK_MSG(
                        dd->ymd != NULL && !memcmp(dd->ymd, ymd(dd->day), 8),
                        "bucket day %" PRId64 ": ymd %.8s, expected %s",
                        dd->day, dd->ymd ? dd->ymd : "(null)", ymd(dd->day));
                if (i)
                        HW_CHECK_MSG(p->days[i - 1].day < dd->day,
                                     "bucket days not ascending and unique: "
                                     "%s then %s",
                                     ymd(p->days[i - 1].day), ymd(dd->day));
                HW_CHECK_MSG(p->day >= 0 && dd->day > p->day - LARGEST,
                             "bucket day %s outside the largest window of "
                             "D %" PRId64,
                             ymd(dd->day), p->day);
                k = plan_key(p, key);
                if (HW_CHECK_MSG(k != NULL, "bucket day %s has no key %s",
                                 ymd(dd->day), key))
                        HW_CHECK_MSG(!k->zset, "bucket %s is a zset", key);
        }
        for (size_t i = 0; i < p->n_keys; i++) {
                const hw_plan_key_t *k = &p->keys[i];
                size_t listed = 0;
                if (k->len < 2 || memcmp(k->key, "b:", 2))
                        continue;
                HW_CHECK_MSG(k->len == 10,
                             "bucket key \"%.*s\" is not b:<yyyymmdd>",
                             (int)k->len, k->key);
                for (size_t j = 0; j < p->n_days; j++)
                        listed += k->len == 10 &&
                                  !memcmp(k->key + 2, ymd(p->days[j].day), 8);
                HW_CHECK_MSG(listed == 1,
                             "bucket key \"%.*s\" listed %zu times in days",
                             (int)k->len, k->key, listed);
                if (k->first + k->n > p->n_changes)
                        continue;
                for (size_t a = k->first; a < k->first + k->n; a++) {
                        const hw_plan_change_t *c = &p->changes[a];
                        const char *sp = memchr(c->field, ' ', c->len);
                        HW_CHECK_MSG(sp != NULL && sp > c->field &&
                                             sp < c->field + c->len - 1,
                                     "bucket \"%.*s\": field \"%.*s\" is "
                                     "not \"<family> <field>\"",
                                     (int)k->len, k->key, (int)c->len,
                                     c->field);
                }
        }
}

/* Checks that the bucket days are exactly want[0 .. n), in that order
 * (ascending), each with n = 0 (check_shape checks the rest). */
void check_days(const hw_plan_t *p, const int64_t *want, size_t n) {
        if (!HW_CHECK_EQ_INT(p->n_days, n))
                return;
        for (size_t i = 0; i < n; i++) {
                HW_CHECK_MSG(p->days[i].day == want[i],
                             "bucket day %zu: %s, expected %s", i,
                             ymd(p->days[i].day), ymd(want[i]));
                HW_CHECK_MSG(!memcmp(p->days[i].ymd, ymd(want[i]), 8),
                             "bucket day %zu: ymd %.8s, expected %s", i,
                             p->days[i].ymd, ymd(want[i]));
                HW_CHECK_EQ_INT(p->days[i].n, 0);
        }
}

/* The bucket day entry of day, or NULL; checks it is there at most once. */
const hw_plan_day_t *find_day(const hw_plan_day_t *days, size_t n,
                              int64_t day) {
        const hw_plan_day_t *found = NULL;
        for (size_t i = 0; i < n; i++) {
                if (days[i].day != day)
                        continue;
                HW_CHECK_MSG(found == NULL, "day %" PRId64 " listed twice",
                             day);
                if (!found)
                        found = &days[i];
        }
        return found;
}

/* Checks that entry dd (of day) lists exactly the names want[0 .. n), in
 * any order, each once, and carries day's yyyymmdd. */
void check_day_names(const hw_plan_t *p, const hw_plan_day_t *dd, int64_t day,
                     const char *const *want, size_t n) {
        if (!HW_CHECK_MSG(dd != NULL, "day %s missing", ymd(day)))
                return;
        HW_CHECK_MSG(!memcmp(dd->ymd, ymd(day), 8),
                     "day %" PRId64 ": ymd %.8s, expected %s", day, dd->ymd,
                     ymd(day));
        if (!HW_CHECK_EQ_INT(dd->n, n))
                return;
        for (size_t i = 0; i < n; i++) {
                size_t hits = 0;
                for (size_t j = 0; j < dd->n; j++)
                        hits += !strcmp(p->names[dd->first + j], want[i]);
                HW_CHECK_MSG(hits == 1, "day %s: \"%s\" listed %zu times",
                             ymd(day), want[i], hits);
        }
}

/* The raid pair (lab slug, org slug), or NULL. */
const hw_plan_raid_t *find_raid(const hw_plan_t *p, const char *lab,
                                const char *org) {
        for (size_t i = 0; i < p->n_raids; i++)
                if (!strcmp(p->raids[i].lab_slug, lab) &&
                    !strcmp(p->raids[i].org_slug, org))
                        return &p->raids[i];
        return NULL;
}

/* The drain of country, or NULL. */
const hw_plan_drain_t *find_drain(const hw_plan_t *p, const char *country) {
        for (size_t i = 0; i < p->n_drains; i++)
                if (!strcmp(p->drains[i].country, country))
                        return &p->drains[i];
        return NULL;
}

const int g_offsets[N_OFFSETS] = {0, 6, 7, 29, 30, 364, 365, 400};

/* One field per event ("e<offset>"), delta offset + 1 (all distinct). */
void add_fanout(hw_deltas_t *d, int64_t D) {
        for (size_t i = 0; i < N_OFFSETS; i++)
                OK(hw_deltas_window(d, FAM, fmt("e%d", g_offsets[i]),
                                    D - g_offsets[i], g_offsets[i] + 1));
}

/* Raid evidence: lab:<slug>:hires hires of several pairs, and evidence
 * of other families that makes none. */
void add_raid_evidence(hw_deltas_t *d, int64_t D) {
        const char *a = "lab:anthropic:hires";
        OK(hw_deltas_evidence(d, a, "Open AI", D - 2, "e-z"));
        OK(hw_deltas_evidence(d, a, "Open-AI", D - 10, "e-a"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 400, "e-old"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 2, "e-b"));
        OK(hw_deltas_evidence(d, a, "Google", D - 1, "e-g"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 364, "e-edge"));
        OK(hw_deltas_evidence(d, a, "Open AI", D - 365, "e-out"));
        /* The latest hire of the pair, under the name sorted last. */
        OK(hw_deltas_evidence(d, a, "Open-AI", D - 1, "e-c"));
        OK(hw_deltas_evidence(d, "lab:meta:hires", "Open AI", D, "e-m"));
        /* Not lab hires: no pair. */
        OK(hw_deltas_evidence(d, "lab:anthropic:offers", "Open AI", D, "e-x"));
        OK(hw_deltas_evidence(d, "flow:in", "US", D, "e-in"));
        OK(hw_deltas_evidence(d, "school:mit:hires", "Open AI", D, "e-s"));
}

/* Everything a plan says, as text: keys and changes in plan order, days,
 * seen ids, raids and drains. Caller frees. */
char *dump(const hw_plan_t *p) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fprintf(f, "day %" PRId64 "\n", p->day);
        for (size_t i = 0; i < p->n_keys; i++) {
                const hw_plan_key_t *k = &p->keys[i];
                fprintf(f, "key %.*s zset=%d\n", (int)k->len, k->key, k->zset);
                for (size_t j = 0; j < k->n; j++) {
                        const hw_plan_change_t *c = &p->changes[k->first + j];
                        fprintf(f, "  %.*s %" PRId64 "\n", (int)c->len,
                                c->field, c->delta);
                }
        }
        for (int pass = 0; pass < 2; pass++) {
                const hw_plan_day_t *days = pass ? p->seen : p->days;
                size_t n = pass ? p->n_seen : p->n_days;
                for (size_t i = 0; i < n; i++) {
                        fprintf(f, "%s %.8s %" PRId64 ":",
                                pass ? "seen" : "bucket", days[i].ymd,
                                days[i].day);
                        for (size_t j = 0; j < days[i].n; j++)
                                fprintf(f, " %s", p->names[days[i].first + j]);
                        fputc('\n', f);
                }
        }
        for (size_t i = 0; i < p->n_raids; i++) {
                const hw_plan_raid_t *r = &p->raids[i];
                fprintf(f, "raid %s %s %" PRId64 "..%" PRId64 ":", r->lab_slug,
                        r->org_slug, r->lo, r->hi);
                for (size_t j = 0; j < r->n_names; j++)
                        fprintf(f, " [%s]", p->names[r->first_name + j]);
                for (size_t j = 0; j < r->n_ev; j++)
                        fprintf(f, " %" PRId64 "/%s",
                                p->evs[r->first_ev + j].day,
                                p->evs[r->first_ev + j].event_id);
                fputc('\n', f);
        }
        for (size_t i = 0; i < p->n_drains; i++) {
                const hw_plan_drain_t *dr = &p->drains[i];
                fprintf(f, "drain %s:", dr->country);
                for (size_t j = 0; j < dr->n_ev; j++)
                        fprintf(f, " %s", p->evs[dr->first_ev + j].event_id);
                fputc('\n', f);
        }
        if (fclose(f)) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A batch with some of everything. */
void add_everything(hw_deltas_t *d, int64_t D) {
        add_fanout(d, D);
        add_raid_evidence(d, D);
        OK(hw_deltas_window(d, "flow:in", "FR", D - 3, 2));
        OK(hw_deltas_window(d, "flow:out", "CN", D - 3, 2));
        OK(hw_deltas_rank(d, "rank:labs:hires", "openai", 4));
        OK(hw_deltas_gauge(d, "lab:openai:origin", "google", 1));
        for (int i = 0; i < 70; i++)
                OK(hw_deltas_evidence(d, "flow:out", "CN", D - i % 40,
                                      fmt("cn-%02d", i)));
        for (int i = 0; i < 20; i++)
                OK(hw_deltas_seen(d, (D - i) * HW_DAY_MS + i,
                                  fmt("seen-%02d", i)));
}

/* A log of day whose text (kept by pointer) is text. */
hw_plan_log_t log_of(int64_t day, const char *text) {
        hw_plan_log_t lg;
        memset(&lg, 0, sizeof(lg));
        hw_time_ymd(day, lg.ymd);
        lg.day = day;
        lg.text = text;
        lg.len = strlen(text);
        return lg;
}

/* Appends the record of (family, field, delta) to the log text in buf. */
void put_rec(char *buf, size_t size, const char *family, const char *field,
             int64_t delta) {
        size_t at = strlen(buf);
        int n = snprintf(buf + at, size - at, "%zu:%s %s=%" PRId64 "\n",
                         strlen(family) + 1 + strlen(field), family, field,
                         delta);
        HW_CHECK_MSG(n > 0 && (size_t)n < size - at, "log buffer too small");
}
