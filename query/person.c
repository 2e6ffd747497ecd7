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
        int rc = HW_EXIT_FAILURE, empty = 0;
        hw_err_t err;

        hw_arena_init(&arena);
        hw_qout_make_key(q, key, "persons:%u", hw_person_bucket(q->arg, len));
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr),
                                  "HGET %s %b", key, q->arg, len))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (r->type != REDIS_REPLY_STRING) {
                if ((err = hw_qout_check_empty(q, &empty, errstr,
                                               sizeof(errstr))))
                        rc = hw_qout_fail(err, errstr);
                else if (!empty)
                        fprintf(stderr,
                                HW_QUERY_PROG ": no person \"%s\" under prefix "
                                              "%s (the registry holds the "
                                              "persons whose hires moved "
                                              "them)\n",
                                q->arg, q->conf.prefix);
                goto cleanup;
        }
        if (hw_person_unpack(&arena, r->str, r->len, &p)) {
                fprintf(stderr,
                        HW_QUERY_PROG ": %s field \"%s\" is not a person "
                                      "record hirewire writes\n",
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

/* A day of the timeline: hires into the lab, hires out of the org. */
typedef struct tl_day_s {
        char day[16]; /* yyyy-mm-dd */
        int64_t in, out;
} tl_day_t;

/* What a bucket log's records add up to for the lab and the org. */
typedef struct tl_sum_s {
        const char *lab_x, *org_x; /* "lab:<slug>:hires ", ... */
        size_t lab_len, org_len;
        int64_t in, out;
} tl_sum_t;

static int tl_record(void *ctx, const char *name, size_t nlen, int64_t delta) {
        tl_sum_t *s = ctx;
        if (nlen > s->lab_len && !memcmp(name, s->lab_x, s->lab_len))
                s->in += delta;
        else if (nlen > s->org_len && !memcmp(name, s->org_x, s->org_len))
                s->out += delta;
        return 0;
}

int hw_query_timeline(hw_query_t *q) {
        static const hw_align_t aligns[] = {HW_ALIGN_LEFT, HW_ALIGN_RIGHT,
                                            HW_ALIGN_RIGHT};
        static const char *const headers[] = {"day", "hires in", "losses out"};
        const char *window = q->window ? q->window : LAB_WINDOW_DEFAULT;
        int64_t n_days = hw_query_window_days(window), last, wm = 0;
        char key[KEY_MAX], errstr[512], slug[512], lab_x[600], org_x[600];
        char lo[24], hi[24];
        redisReply *r = NULL, *days = NULL;
        tl_day_t *rows = NULL;
        tl_sum_t sum;
        size_t n_rows = 0;
        int64_t total_in = 0, total_out = 0;
        int rc = HW_EXIT_FAILURE, empty = 0, is_lab = 0, is_org = 0;
        hw_err_t err;

        if (n_days <= 0) {
                fprintf(stderr,
                        HW_QUERY_PROG ": timeline --window %s: a timeline "
                                      "is read from the daily buckets, kept "
                                      "for the largest window only; give a "
                                      "number of days (30d)\n",
                        window);
                return HW_EXIT_USAGE;
        }
        hw_slug(q->arg, slug, sizeof(slug));
        if ((err = hw_qout_check_empty(q, &empty, errstr, sizeof(errstr)))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (empty)
                goto cleanup;
        /* The lab (its hash) or the org (its losses ever). */
        hw_qout_make_key(q, key, "lab:%s", slug);
        if (!(err = hw_qdb_exists(q->db, key, &is_lab, errstr,
                                  sizeof(errstr)))) {
                hw_qout_make_key(q, key, "org:%s:losses:all", slug);
                err = hw_qdb_exists(q->db, key, &is_org, errstr,
                                    sizeof(errstr));
        }
        if (err) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (!is_lab && !is_org) {
                fprintf(stderr,
                        HW_QUERY_PROG ": no lab or organisation \"%s\" (slug "
                                      "%s) in Redis under prefix %s; try "
                                      "`hirewire-query labs`\n",
                        q->arg, slug, q->conf.prefix);
                goto cleanup;
        }
        /* The window's days by the watermark: D - N < d <= D. */
        hw_qout_make_key(q, key, "watermark");
        if ((err = hw_qdb_command(q->db, &r, errstr, sizeof(errstr), "GET %s",
                                  key))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (r->type == REDIS_REPLY_STRING)
                hw_qdb_parse_int(r->str, &wm);
        freeReplyObject(r);
        r = NULL;
        last = hw_time_day(wm);
        snprintf(lo, sizeof(lo), "%" PRId64, last - n_days + 1);
        snprintf(hi, sizeof(hi), "%" PRId64, last);
        hw_qout_make_key(q, key, "b:days");
        if ((err = hw_qdb_command(q->db, &days, errstr, sizeof(errstr),
                                  "ZRANGEBYSCORE %s %s %s", key, lo, hi))) {
                rc = hw_qout_fail(err, errstr);
                goto cleanup;
        }
        if (days->type != REDIS_REPLY_ARRAY) {
                rc = hw_qout_fail(HW_ERR_INTERNAL,
                                  "ZRANGEBYSCORE: unexpected reply");
                goto cleanup;
        }
        for (size_t i = 0; i < days->elements; i++) {
                hw_qout_make_key(q, key, "b:%s", days->element[i]->str);
                if ((err = hw_qdb_append(q->db, errstr, sizeof(errstr),
                                         "GET %s", key))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
        }
        if (!(rows = calloc(days->elements + 1, sizeof(*rows)))) {
                rc = hw_qout_fail(HW_ERR_NOMEM, "");
                goto cleanup;
        }
        snprintf(lab_x, sizeof(lab_x), "lab:%s:hires ", slug);
        snprintf(org_x, sizeof(org_x), "org:%s:losses ", slug);
        for (size_t i = 0; i < days->elements; i++) {
                const char *ymd = days->element[i]->str;
                if ((err = hw_qdb_reply(q->db, &r, errstr, sizeof(errstr)))) {
                        rc = hw_qout_fail(err, errstr);
                        goto cleanup;
                }
                sum = (tl_sum_t){lab_x,         org_x, strlen(lab_x),
                                 strlen(org_x), 0,     0};
                if (r->type == REDIS_REPLY_STRING &&
                    hw_plan_log_each(r->str, r->len, tl_record, &sum)) {
                        fprintf(stderr,
                                HW_QUERY_PROG ": %sb:%s is not a bucket log "
                                              "hirewire writes\n",
                                q->conf.prefix, ymd);
                        goto cleanup;
                }
                freeReplyObject(r);
                r = NULL;
                if (!sum.in && !sum.out)
                        continue;
                /* yyyymmdd -> yyyy-mm-dd */
                snprintf(rows[n_rows].day, sizeof(rows[n_rows].day),
                         "%.4s-%.2s-%.2s", ymd, ymd + 4, ymd + 6);
                rows[n_rows].in = sum.in;
                rows[n_rows++].out = sum.out;
                total_in += sum.in;
                total_out += sum.out;
        }

        if (q->json) {
                json_t *doc = json_object(), *list = json_array();
                int bad =
                        hw_qout_jset(doc, "slug", hw_qout_jstr(slug)) ||
                        hw_qout_jset(doc, "window", hw_qout_jstr(window)) ||
                        hw_qout_jset(doc, "hires_in", json_integer(total_in)) ||
                        hw_qout_jset(doc, "losses_out",
                                     json_integer(total_out));
                for (size_t i = 0; !bad && i < n_rows; i++) {
                        json_t *o = json_object();
                        bad = hw_qout_jset(o, "day",
                                           hw_qout_jstr(rows[i].day)) ||
                              hw_qout_jset(o, "hires_in",
                                           json_integer(rows[i].in)) ||
                              hw_qout_jset(o, "losses_out",
                                           json_integer(rows[i].out));
                        bad = hw_qout_jpush_unless(list, o, bad);
                }
                doc = hw_qout_jattach(doc, "days", list, bad);
                rc = hw_qout_print_json(doc, JSON_INDENT(2));
        } else {
                hw_table_t *t = hw_table_new(3, headers, aligns);
                int ok = t != NULL;
                for (size_t i = 0; ok && i < n_rows; i++)
                        ok = !hw_table_add_row(t) &&
                             !hw_table_set(t, 0, "%s", rows[i].day) &&
                             !hw_table_set(t, 1, "%" PRId64, rows[i].in) &&
                             !hw_table_set(t, 2, "%" PRId64, rows[i].out);
                hw_qout_say(
                        q,
                        "%s: hires into the lab and out of the organisation "
                        "per day of event time, window %s (days with none "
                        "left out)\n",
                        slug, window);
                rc = hw_qout_print_table(q, t, ok, "");
                if (rc == HW_EXIT_OK)
                        hw_qout_say(q,
                                    "total: %" PRId64 " in, %" PRId64 " out\n",
                                    total_in, total_out);
        }

cleanup:
        freeReplyObject(r);
        freeReplyObject(days);
        free(rows);
        return rc;
}
