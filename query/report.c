/*
 * hirewire-query report: the report document (every document the page
 * draws, read with the commands' own builders) and the `report` command,
 * which writes it as one self-contained HTML file (page.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "page.h"

#define REPORT_WINDOW_DEFAULT "365d"
#define REPORT_LABS_DEFAULT 3 /* the largest labs, when none is chosen */
#define REPORT_ALERTS_READ 500

/* The report's parts come from a copy of q: its window, group and
 * connection, every row (--top does not apply). */
static hw_query_t part_query(const hw_query_t *q) {
        hw_query_t sub = *q;
        sub.top = -1;
        sub.window = q->window ? q->window : REPORT_WINDOW_DEFAULT;
        return sub;
}

/* Sets doc[key] to part; NULL with e filled when either is missing. */
static json_t *attach(json_t *doc, const char *key, json_t *part,
                      hw_qerr_t *e) {
        if (!part) {
                json_decref(doc);
                return NULL;
        }
        if (!(doc = hw_qout_jattach(doc, key, part, 0)))
                hw_qerr_from(e, HW_ERR_NOMEM, "");
        return doc;
}

/*
 * The flows of the window, or, when the window has none and no group was
 * asked for, {"window", "error"} saying so (the report goes on without
 * them). NULL with e filled otherwise.
 */
static json_t *report_flows(hw_query_t *sub, hw_qerr_t *e) {
        json_t *flows = hw_qdoc_flows(sub, e);
        if (flows || e->exit != HW_EXIT_USAGE || sub->group)
                return flows;
        flows = json_object();
        if (hw_qout_jset(flows, "window", hw_qout_jstr(sub->window)) ||
            hw_qout_jset(flows, "error", hw_qout_jstr(e->msg))) {
                json_decref(flows);
                return hw_qerr_from(e, HW_ERR_NOMEM, "");
        }
        return flows;
}

/* The alerts of the newest REPORT_ALERTS_READ whose event time is in the
 * window (days first_day and after; all for 0). */
static json_t *report_alerts(hw_query_t *sub, int64_t first_day, hw_qerr_t *e) {
        json_t *all, *in = json_array();
        size_t i;
        json_t *a;

        sub->count = REPORT_ALERTS_READ;
        if (!(all = hw_qdoc_alerts(sub, e))) {
                json_decref(in);
                return NULL;
        }
        json_array_foreach(all, i, a) {
                json_t *t = json_object_get(a, "event_time");
                if (first_day &&
                    (!json_is_integer(t) ||
                     hw_time_day(json_integer_value(t)) < first_day))
                        continue;
                hw_qout_jappend(&in, json_incref(a));
                if (!in)
                        break;
        }
        json_decref(all);
        return in ? in : hw_qerr_from(e, HW_ERR_NOMEM, "");
}

/*
 * The chosen labs (q->labs, else the largest of labs): each lab's
 * document with its timeline of hires per day over the window (for
 * `all`, the largest window: what the daily buckets keep).
 */
static json_t *report_labs(hw_query_t *sub, const hw_query_t *q,
                           const json_t *labs, hw_qerr_t *e) {
        size_t n = q->n_labs ? q->n_labs
                             : (json_array_size(labs) < REPORT_LABS_DEFAULT
                                        ? json_array_size(labs)
                                        : REPORT_LABS_DEFAULT);
        const char **slugs = calloc(n + 1, sizeof(*slugs));
        json_t *details = json_array(), *timelines = NULL;
        char window[16];
        int64_t days = hw_query_window_days(sub->window);

        if (!days)
                days = q->conf.n_windows
                               ? q->conf.windows[q->conf.n_windows - 1]
                               : 365;
        hw_keys_window_name(window, sizeof(window), (int)days);
        if (!slugs || !details) {
                hw_qerr_from(e, HW_ERR_NOMEM, "");
                goto fail;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *lab;
                const char *name =
                        q->n_labs ? q->labs[i]
                                  : json_string_value(json_object_get(
                                            json_array_get(labs, i), "slug"));
                sub->arg = (char *)name; /* read only */
                if (!(lab = hw_qdoc_lab(sub, e)) ||
                    hw_qout_jpush(details, lab)) {
                        if (lab)
                                hw_qerr_from(e, HW_ERR_NOMEM, "");
                        goto fail;
                }
                slugs[i] = json_string_value(json_object_get(lab, "slug"));
        }
        if (!(timelines = hw_qdoc_timelines(sub, window, slugs, n, e)))
                goto fail;
        for (size_t i = 0; i < n; i++)
                if (json_object_set(json_array_get(details, i), "timeline",
                                    json_array_get(timelines, i))) {
                        hw_qerr_from(e, HW_ERR_NOMEM, "");
                        goto fail;
                }
        json_decref(timelines);
        free(slugs);
        return details;
fail:
        json_decref(timelines);
        json_decref(details);
        free(slugs);
        return NULL;
}

json_t *hw_qdoc_report(hw_query_t *q, hw_qerr_t *e) {
        hw_query_t sub = part_query(q);
        int64_t days = hw_query_window_days(sub.window), wm;
        char errstr[512], as_of[40] = "";
        json_t *doc, *labs;
        hw_err_t err;

        if (hw_qerr_no_data(q, e))
                return NULL;
        if ((err = hw_qout_watermark(q, &wm, errstr, sizeof(errstr))))
                return hw_qerr_from(e, err, errstr);
        if (wm)
                hw_time_format_iso(wm, as_of, sizeof(as_of));
        doc = json_object();
        if (hw_qout_jset(doc, "window", hw_qout_jstr(sub.window)) ||
            hw_qout_jset(doc, "window_days", json_integer(days)) ||
            hw_qout_jset(doc, "watermark",
                         wm ? json_integer(wm) : json_null()) ||
            hw_qout_jset(doc, "as_of",
                         wm ? hw_qout_jstr(as_of) : json_null()) ||
            hw_qout_jset(doc, "prefix", hw_qout_jstr(q->conf.prefix)) ||
            hw_qout_jset(doc, "alerts_read",
                         json_integer(REPORT_ALERTS_READ))) {
                json_decref(doc);
                return hw_qerr_from(e, HW_ERR_NOMEM, "");
        }
        if (!(doc = attach(doc, "labs", labs = hw_qdoc_labs(&sub, e), e)) ||
            !(doc = attach(doc, "lab_details", report_labs(&sub, q, labs, e),
                           e)) ||
            !(doc = attach(doc, "moves", hw_qdoc_moves(&sub, e), e)) ||
            !(doc = attach(doc, "flows", report_flows(&sub, e), e)) ||
            !(doc = attach(doc, "offers", hw_qdoc_offers(&sub, e), e)) ||
            !(doc = attach(doc, "alerts",
                           report_alerts(&sub,
                                         days ? hw_time_day(wm) - days + 1 : 0,
                                         e),
                           e)))
                return NULL;
        return doc;
}

/* Writes len bytes to path through a temporary file renamed over it, so
 * a reader never sees half a page. 0, or -1 after saying why. */
static int write_file(const char *path, const char *data, size_t len) {
        char tmp[4096];
        FILE *f;
        int ok;

        if (!strcmp(path, "-"))
                return fwrite(data, 1, len, stdout) == len ? 0 : -1;
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
        if (!(f = fopen(tmp, "w"))) {
                fprintf(stderr, HW_QUERY_PROG ": cannot write %s: %s\n", tmp,
                        strerror(errno));
                return -1;
        }
        ok = fwrite(data, 1, len, f) == len;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path)) {
                fprintf(stderr, HW_QUERY_PROG ": cannot write %s: %s\n", path,
                        strerror(errno));
                unlink(tmp);
                return -1;
        }
        return 0;
}

int hw_query_report(hw_query_t *q) {
        hw_page_opts_t opts = {.nonce = NULL};
        hw_qerr_t e;
        json_t *doc = hw_qdoc_report(q, &e);
        hw_buf_t page;
        int rc = HW_EXIT_OK;

        if (!doc)
                return hw_qerr_print(&e);
        hw_buf_init(&page);
        if (q->html && hw_page_render(doc, &opts, &page))
                rc = hw_qout_fail(HW_ERR_NOMEM, "");
        else if (q->html && write_file(q->html, page.data, page.len))
                rc = HW_EXIT_FAILURE;
        if (q->json && rc == HW_EXIT_OK)
                rc = hw_qout_print_json(json_incref(doc), JSON_INDENT(2));
        json_decref(doc);
        hw_buf_release(&page);
        return rc;
}
