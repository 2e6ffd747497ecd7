/*
 * hirewire-query person and timeline: one person's record in the registry,
 * and a lab's or a country's counts day by day from the bucket logs.
 */
#include "commands.h"

int hw_query_person(hw_query_t *q) {
        static const char *const headers[] = {"field", "value"};
        char key[KEY_MAX], errstr[512], since[40], slug[512];
        size_t len = strlen(q->arg);
        redisReply *r = NULL;
        hw_arena_t arena;
        hw_person_t p;
        int rc = HW_EXIT_FAILURE, empty = 0, unpacked;
        hw_err_t err;

        hw_arena_init(&arena);
        hw_keys_persons(key, sizeof(key), q->conf.prefix,
                        hw_person_bucket(q->arg, len));
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                  "HGET %s %b", key, q->arg, len))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (r->type != REDIS_REPLY_STRING) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr))))
                        rc = hw_qout_fail(err, errstr);
                else if (empty)
                        rc = hw_qout_fail(HW_ERR_INTERNAL, errstr);
                else
                        fprintf(stderr,
                                HW_QUERY_PROG ": no person \"%s\" under prefix "
                                              "%s (the registry holds the "
                                              "persons whose hires moved "
                                              "them)\n",
                                q->arg, q->conf.prefix);
                goto cleanup;
        }
        if ((unpacked = hw_person_unpack(&arena, r->str, r->len, &p))) {
                if (unpacked == -2)
                        rc = hw_qout_fail(HW_ERR_NOMEM, "");
                else
                        fprintf(stderr,
                                HW_QUERY_PROG ": %s field \"%s\" is not a "
                                              "person record hirewire "
                                              "writes\n",
                                key, q->arg);
                goto cleanup;
        }
        hw_time_format_iso(p.at, since, sizeof(since));
        hw_slug(p.lab, slug, sizeof(slug));
        if (q->json) {
                json_t *o = json_object();
                int bad = hw_qout_jset(o, "person_id", hw_qout_jstr(q->arg)) ||
                          hw_qout_jset(o, "lab", hw_qout_jstr(p.lab)) ||
                          hw_qout_jset(o, "lab_slug", hw_qout_jstr(slug)) ||
                          hw_qout_jset(o, "since", hw_qout_jstr(since)) ||
                          hw_qout_jset(o, "since_ms", json_integer(p.at)) ||
                          hw_qout_jset(o, "origin", hw_qout_jstr(p.origin)) ||
                          hw_qout_jset(o, "nationality",
                                       hw_qout_jstr(p.nationality)) ||
                          hw_qout_jset(o, "alma_mater",
                                       hw_qout_jstr(p.alma_mater)) ||
                          hw_qout_jset(o, "tier", hw_qout_jstr(p.tier)) ||
                          hw_qout_jset(o, "event_id", hw_qout_jstr(p.event_id));
                if (bad) {
                        json_decref(o);
                        o = NULL;
                }
                rc = hw_qout_print_json(o, JSON_INDENT(2));
        } else {
                hw_table_t *t = hw_table_new(2, headers, NULL);
                const char *rows[][2] = {{"person", q->arg},
                                         {"lab", p.lab},
                                         {"lab slug", slug},
                                         {"since", since},
                                         {"from", p.origin},
                                         {"nationality", p.nationality},
                                         {"alma_mater", p.alma_mater},
                                         {"tier", p.tier},
                                         {"event", p.event_id}};
                int ok = t != NULL;
                for (size_t i = 0; ok && i < sizeof(rows) / sizeof(*rows); i++)
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s", rows[i][0]) &&
                             !hw_table_set(t, 1, "%s", rows[i][1]);
                rc = hw_qout_print_table(q, t, ok, "");
        }

cleanup:
        freeReplyObject(r);
        hw_arena_release(&arena);
        return rc;
}

/* A day of a timeline: hires into the lab, hires out of the org. */
typedef struct tl_day_s {
        char day[16]; /* yyyy-mm-dd */
        int64_t in, out;
} tl_day_t;

/* One lab's (or organisation's) timeline over the days of a window. */
typedef struct tl_series_s {
        const char *slug;
        char lab_x[600], org_x[600]; /* "lab:<slug>:hires ", ... */
        size_t lab_len, org_len;
        tl_day_t *days; /* the days with any, in order */
        size_t n_days;
        int64_t in, out; /* the window's totals */
} tl_series_t;

/* What a day's bucket log adds up to for every series. */
typedef struct tl_sum_s {
        tl_series_t *s;
        size_t n;
        int64_t *in, *out; /* n each: the day's */
} tl_sum_t;

static int tl_record(void *ctx, const char *name, size_t nlen, int64_t delta) {
        tl_sum_t *sum = ctx;
        for (size_t i = 0; i < sum->n; i++) {
                const tl_series_t *s = &sum->s[i];
                if (nlen > s->lab_len && !memcmp(name, s->lab_x, s->lab_len))
                        sum->in[i] += delta;
                else if (nlen > s->org_len &&
                         !memcmp(name, s->org_x, s->org_len))
                        sum->out[i] += delta;
        }
        return 0;
}

/* Makes the family written at out (len bytes, 0: it did not fit) the head
 * of its records in a bucket log, "<family> ", and returns its length;
 * SIZE_MAX, which no record's name is longer than, when it did not fit.
 * out has room for len + 2 bytes. */
static size_t record_head(char *out, size_t len) {
        if (!len)
                return SIZE_MAX;
        out[len] = ' ';
        out[len + 1] = '\0';
        return len + 1;
}

static void tl_release(tl_series_t *s, size_t n) {
        for (size_t i = 0; s && i < n; i++)
                free(s[i].days);
}

/* The window's days by the watermark, D - N < d <= D, that have bucket
 * logs: ZRANGEBYSCORE of b:days into *days. */
static hw_err_t tl_days(hw_query_t *q, int64_t n_days, redisReply **days,
                        char *errstr, size_t size) {
        char key[KEY_MAX], lo[24], hi[24];
        int64_t wm, last;
        hw_err_t err;

        if ((err = hw_qout_watermark(q, &wm, errstr, size)))
                return err;
        last = hw_time_day(wm);
        snprintf(lo, sizeof(lo), "%" PRId64, last - n_days + 1);
        snprintf(hi, sizeof(hi), "%" PRId64, last);
        hw_keys_name(key, sizeof(key), q->conf.prefix, HW_KEY_B_DAYS);
        if ((err = hw_qdb_command(q->db, days, errstr, size,
                                  "ZRANGEBYSCORE %s %s %s", key, lo, hi)))
                return err;
        if ((*days)->type != REDIS_REPLY_ARRAY) {
                freeReplyObject(*days);
                *days = NULL;
                return hw_fail(HW_ERR_INTERNAL, errstr, size,
                               "ZRANGEBYSCORE: unexpected reply");
        }
        return HW_OK;
}

/*
 * Fills the n series (slug set) with their days of the window (n_days
 * days to the watermark's), reading each day's bucket log once, pipelined.
 * 0, or -1 with e filled (the series are released by the caller).
 */
static int tl_read(hw_query_t *q, int64_t n_days, tl_series_t *s, size_t n,
                   hw_qerr_t *e) {
        char key[KEY_MAX], errstr[512];
        redisReply *days = NULL, *r = NULL;
        int64_t *sums = calloc(2 * n + 1, sizeof(*sums));
        tl_sum_t sum = {s, n, sums, NULL};
        int rc = -1;
        hw_err_t err;

        if (!sums) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                return -1;
        }
        sum.out = sums + n;
        if ((err = tl_days(q, n_days, &days, errstr, sizeof(errstr)))) {
                hw_qerr_from(e, err, errstr);
                goto cleanup;
        }
        for (size_t i = 0; i < n; i++) {
                s[i].lab_len = record_head(
                        s[i].lab_x,
                        hw_keys_lab(s[i].lab_x, sizeof(s[i].lab_x) - 1, "",
                                    s[i].slug, HW_KEY_LAB_HIRES));
                s[i].org_len = record_head(
                        s[i].org_x,
                        hw_keys_org(s[i].org_x, sizeof(s[i].org_x) - 1, "",
                                    s[i].slug, HW_KEY_ORG_LOSSES));
                if (!(s[i].days =
                              calloc(days->elements + 1, sizeof(*s[i].days)))) {
                        hw_qerr_from(e, HW_ERR_NOMEM, "");
                        goto cleanup;
                }
        }
        /* A member of b:days names a day's log: 8 digits, else the keys are
         * not ones hirewire writes. */
        for (size_t d = 0; d < days->elements; d++) {
                const redisReply *day = days->element[d];
                if (day->type != REDIS_REPLY_STRING || day->len != 8 ||
                    strspn(day->str, "0123456789") != 8) {
                        hw_qerr_set(e, HW_EXIT_FAILURE, 0,
                                    "%s" HW_KEY_B_DAYS
                                    " holds a member that is not a day "
                                    "(yyyymmdd)",
                                    q->conf.prefix);
                        goto cleanup;
                }
        }
        for (size_t d = 0; d < days->elements; d++) {
                hw_keys_log(key, sizeof(key), q->conf.prefix,
                            days->element[d]->str);
                if ((err = hw_qdb_append(q->db, errstr, sizeof(errstr),
                                         "GET %s", key))) {
                        hw_qerr_from(e, err, errstr);
                        goto cleanup;
                }
        }
        for (size_t d = 0; d < days->elements; d++) {
                const char *ymd = days->element[d]->str;
                if ((err = hw_qdb_reply(q->db, &r, errstr, sizeof(errstr)))) {
                        hw_qerr_from(e, err, errstr);
                        goto cleanup;
                }
                memset(sums, 0, 2 * n * sizeof(*sums));
                if (r->type == REDIS_REPLY_STRING &&
                    hw_plan_log_each(r->str, r->len, tl_record, &sum)) {
                        hw_keys_log(key, sizeof(key), q->conf.prefix, ymd);
                        hw_qerr_set(e, HW_EXIT_FAILURE, 0,
                                    "%s is not a bucket log hirewire writes",
                                    key);
                        goto cleanup;
                }
                freeReplyObject(r);
                r = NULL;
                for (size_t i = 0; i < n; i++) {
                        tl_day_t *day = &s[i].days[s[i].n_days];
                        if (!sum.in[i] && !sum.out[i])
                                continue;
                        /* yyyymmdd -> yyyy-mm-dd */
                        snprintf(day->day, sizeof(day->day), "%.4s-%.2s-%.2s",
                                 ymd, ymd + 4, ymd + 6);
                        day->in = sum.in[i];
                        day->out = sum.out[i];
                        s[i].in += sum.in[i];
                        s[i].out += sum.out[i];
                        s[i].n_days++;
                }
        }
        rc = 0;
cleanup:
        freeReplyObject(r);
        freeReplyObject(days);
        free(sums);
        return rc;
}

/* The `timeline --json` document of a series; NULL when out of memory. */
static json_t *tl_json(const tl_series_t *s, const char *window) {
        json_t *doc = json_object(), *list = json_array();
        int bad = hw_qout_jset(doc, "slug", hw_qout_jstr(s->slug)) ||
                  hw_qout_jset(doc, "window", hw_qout_jstr(window)) ||
                  hw_qout_jset(doc, "hires_in", json_integer(s->in)) ||
                  hw_qout_jset(doc, "losses_out", json_integer(s->out));
        for (size_t i = 0; !bad && i < s->n_days; i++) {
                json_t *o = json_object();
                bad = hw_qout_jset(o, "day", hw_qout_jstr(s->days[i].day)) ||
                      hw_qout_jset(o, "hires_in",
                                   json_integer(s->days[i].in)) ||
                      hw_qout_jset(o, "losses_out",
                                   json_integer(s->days[i].out));
                bad = hw_qout_jpush_unless(list, o, bad);
        }
        return hw_qout_jattach(doc, "days", list, bad);
}

/* The days of a timeline's window; -1 with e filled when it is not a
 * number of days. */
static int64_t tl_window_days(const char *window, hw_qerr_t *e) {
        int64_t n_days = hw_query_window_days(window);
        if (n_days <= 0)
                hw_qerr_set(e, HW_EXIT_USAGE, 0,
                            "timeline --window %s: a timeline is read from "
                            "the daily buckets, kept for the largest window "
                            "only; give a number of days (30d)",
                            window);
        return n_days > 0 ? n_days : -1;
}

json_t *hw_qdoc_timelines(hw_query_t *q, const char *window,
                          const char *const *slugs, size_t n, hw_qerr_t *e) {
        int64_t n_days = tl_window_days(window, e);
        tl_series_t *s;
        json_t *doc = NULL;

        if (n_days < 0)
                return NULL;
        if (!(s = calloc(n + 1, sizeof(*s))))
                return hw_qerr_from(e, HW_ERR_NOMEM, "");
        for (size_t i = 0; i < n; i++)
                s[i].slug = slugs[i];
        if (!tl_read(q, n_days, s, n, e)) {
                doc = json_array();
                for (size_t i = 0; doc && i < n; i++)
                        hw_qout_jappend(&doc, tl_json(&s[i], window));
                if (!doc)
                        hw_qerr_from(e, HW_ERR_NOMEM, "");
        }
        tl_release(s, n);
        free(s);
        return doc;
}

/* Whether slug names a lab (its hash) or an organisation (its losses
 * ever): 0, or -1 with e filled. */
static int tl_known(hw_query_t *q, const char *slug, hw_qerr_t *e) {
        char key[KEY_MAX], errstr[512];
        int is_lab = 0, is_org = 0;
        hw_err_t err;

        if (hw_qerr_no_data(q, e))
                return -1;
        hw_keys_lab(key, sizeof(key), q->conf.prefix, slug, HW_KEY_LAB);
        if (!(err = hw_qdb_exists(q->db, key, &is_lab, errstr,
                                  sizeof(errstr)))) {
                char family[KEY_MAX];
                if (!hw_keys_org(family, sizeof(family), "", slug,
                                 HW_KEY_ORG_LOSSES) ||
                    !hw_keys_window(key, sizeof(key), q->conf.prefix, family,
                                    HW_KEY_WINDOW_ALL))
                        key[0] = '\0';
                err = hw_qdb_exists(q->db, key, &is_org, errstr,
                                    sizeof(errstr));
        }
        if (err) {
                hw_qerr_from(e, err, errstr);
                return -1;
        }
        if (!is_lab && !is_org) {
                hw_qerr_set(e, HW_EXIT_FAILURE, 1,
                            "no lab or organisation \"%s\" (slug %s) in "
                            "Redis under prefix %s; try `hirewire-query labs`",
                            q->arg, slug, q->conf.prefix);
                return -1;
        }
        return 0;
}

int hw_query_timeline(hw_query_t *q) {
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        static const char *const headers[] = {"day", "hires in", "losses out"};
        const char *window = q->window ? q->window : LAB_WINDOW_DEFAULT;
        char slug[512];
        tl_series_t s = {.slug = slug};
        int64_t n_days;
        hw_qerr_t e;
        hw_table_t *t;
        int rc, ok;

        hw_slug(q->arg, slug, sizeof(slug));
        if ((n_days = tl_window_days(window, &e)) < 0 ||
            tl_known(q, slug, &e) || tl_read(q, n_days, &s, 1, &e)) {
                tl_release(&s, 1);
                return hw_qerr_print(&e);
        }
        if (q->json) {
                json_t *doc = tl_json(&s, window);
                tl_release(&s, 1);
                return hw_qout_print_json(doc, JSON_INDENT(2));
        }
        t = hw_table_new(3, headers, aligns);
        ok = t != NULL;
        for (size_t i = 0; ok && i < s.n_days; i++)
                ok = !hw_table_add_row(t) &&
                     !hw_table_set(t, 0, "%s", s.days[i].day) &&
                     !hw_table_set(t, 1, "%" PRId64, s.days[i].in) &&
                     !hw_table_set(t, 2, "%" PRId64, s.days[i].out);
        hw_qout_say(q,
                    "%s: hires into the lab and out of the organisation per "
                    "day of event time, window %s (days with none left "
                    "out)\n",
                    slug, window);
        rc = hw_qout_print_table(q, t, ok, "");
        if (rc == HW_EXIT_OK)
                hw_qout_say(q, "total: %" PRId64 " in, %" PRId64 " out\n", s.in,
                            s.out);
        tl_release(&s, 1);
        return rc;
}
