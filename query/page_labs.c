/*
 * The labs of the report page: the ranking by members, each chosen lab's
 * composition and hires per day, and who hires from whom.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_time.h"
#include "page_parts.h"

#define LABS_SHOWN 12  /* labs in the ranking; the rest as one bar */
#define PART_SHOWN 8   /* values of a composition chart, "other" included */
#define MATRIX_ROWS 10 /* organisations hired from */
#define MATRIX_COLS 8  /* labs hiring */
#define MOVES_LISTED 5 /* the largest moves, said in a sentence */

void hw_page_labs(hw_page_t *p) {
        const json_t *labs = json_object_get(p->doc, "labs");
        size_t n = json_array_size(labs), n_bars = 0;
        hw_page_item_t *items = calloc(n + 1, sizeof(*items));
        hw_bar_t *bars = NULL;
        int64_t total = 0;
        char other[64];
        hw_chart_t c;

        hw_page_chart_init(&c, "labs-ranking", "Labs by current members",
                           p->gauge_note, "current members", "lab", "lab",
                           "members", "share of all members", NULL);
        hw_page_put(p, "<section id=\"labs\"><h2>Labs</h2>");
        if (!items) {
                p->bad = 1;
                goto cleanup;
        }
        for (size_t i = 0; i < n; i++) {
                const json_t *lab = json_array_get(labs, i);
                items[i] = (hw_page_item_t){hw_page_jstr(lab, "name"),
                                            hw_page_jint(lab, "members")};
                total += items[i].count;
        }
        hw_page_put(p, "<p class=\"lede\">%zu labs hold %" PRId64 " members", n,
                    total);
        if (n > LABS_SHOWN)
                hw_page_put(
                        p, "; the %d largest are drawn, the other %zu together",
                        LABS_SHOWN - 1, n - (LABS_SHOWN - 1));
        hw_page_put(
                p,
                ". Shares are of all members, rounded to add up to 100%%.</p>");
        if (!n) {
                hw_page_put(p, "<p>No lab has members.</p>");
                goto cleanup;
        }
        if (n > 1)
                qsort(items, n, sizeof(*items), hw_page_by_count);
        if (!(bars = hw_page_share_bars(items, n, LABS_SHOWN, "labs", other,
                                        sizeof(other), &n_bars))) {
                p->bad = 1;
                goto cleanup;
        }
        hw_page_chart(p, hw_chart_hbars(p->out, &c, bars, n_bars));
cleanup:
        hw_page_put(p, "</section>");
        free(bars);
        free(items);
}

/* One composition chart of a lab (origin, nationality, ...). */
static void lab_part(hw_page_t *p, const json_t *lab, size_t i, const char *key,
                     const char *what, const char *axis) {
        char id[48], title[300], other[64];
        size_t n = 0, n_bars = 0;
        hw_page_item_t *items = hw_page_items(json_object_get(lab, key), &n);
        hw_bar_t *bars = NULL;
        hw_chart_t c;

        hw_page_chart_init(&c, id, title, p->gauge_note, "current members",
                           axis, axis, "members", "share", NULL);
        c.narrow = 1;
        snprintf(id, sizeof(id), "lab-%zu-%s", i + 1, key);
        snprintf(title, sizeof(title), "%s: members by %s",
                 hw_page_jstr(lab, "name"), what);
        if (!items || (n && !(bars = hw_page_share_bars(
                                      items, n, PART_SHOWN, "values", other,
                                      sizeof(other), &n_bars)))) {
                p->bad = 1;
        } else if (!n) {
                hw_page_put(p, "<figure><figcaption><span class=\"t\">");
                hw_page_esc(p, title);
                hw_page_put(p, "</span></figcaption><p>none</p></figure>");
        } else {
                hw_page_chart(p, hw_chart_hbars(p->out, &c, bars, n_bars));
        }
        free(bars);
        free(items);
}

/* A lab's hires per day over its timeline's window. */
static void lab_days(hw_page_t *p, const json_t *lab, size_t i) {
        const json_t *tl = json_object_get(lab, "timeline");
        const json_t *days = json_object_get(tl, "days");
        int64_t n_days = atoll(hw_page_jstr(tl, "window"));
        int64_t last = hw_time_day(p->watermark), first = last - n_days + 1;
        int64_t *values;
        char id[48], title[300], note[200];
        hw_chart_t c;

        hw_page_chart_init(&c, id, title, note, "day of event time (UTC)",
                           "hires", "day", "hires into the lab", NULL);
        if (!tl || n_days <= 0)
                return;
        if (!(values = calloc((size_t)n_days, sizeof(*values)))) {
                p->bad = 1;
                return;
        }
        for (size_t k = 0; k < json_array_size(days); k++) {
                const json_t *d = json_array_get(days, k);
                int64_t ms;
                if (!hw_time_parse_iso(hw_page_jstr(d, "day"), &ms) &&
                    hw_time_day(ms) >= first && hw_time_day(ms) <= last)
                        values[hw_time_day(ms) - first] =
                                hw_page_jint(d, "hires_in");
        }
        snprintf(id, sizeof(id), "lab-%zu-days", i + 1);
        snprintf(title, sizeof(title), "%s: hires per day (%" PRId64 " in all)",
                 hw_page_jstr(lab, "name"), hw_page_jint(tl, "hires_in"));
        snprintf(note, sizeof(note),
                 "Window %s (the last %" PRId64 " days to %.10s, from the "
                 "daily buckets) \xc2\xb7 as of %s",
                 hw_page_jstr(tl, "window"), n_days, p->as_of, p->as_of);
        hw_page_chart(p,
                      hw_chart_days(p->out, &c, first, values, (size_t)n_days));
        free(values);
}

void hw_page_lab(hw_page_t *p, const json_t *lab, size_t i) {
        static const char *const parts[][3] = {
                {"origin", "origin", "came from"},
                {"nationality", "nationality", "nationality"},
                {"alma_mater", "school", "school"},
                {"tier", "tier", "tier"},
        };

        hw_page_put(p, "<section class=\"lab\" id=\"lab-%zu\" data-slug=\"",
                    i + 1);
        hw_page_esc(p, hw_page_jstr(lab, "slug"));
        hw_page_put(p, "\"><h2>");
        hw_page_esc(p, hw_page_jstr(lab, "name"));
        hw_page_put(p,
                    "</h2><p class=\"lede\"><b class=\"members\">%" PRId64
                    " members</b> now",
                    hw_page_jint(lab, "members"));
        hw_page_put(p,
                    ". Composition counts current members (a departure takes "
                    "away what the arrival added); shares are rounded to add "
                    "up to 100%%.</p>"
                    "<div class=\"pair\">");
        for (size_t k = 0; k < sizeof(parts) / sizeof(*parts); k++)
                lab_part(p, lab, i, parts[k][0], parts[k][1], parts[k][2]);
        hw_page_put(p, "</div>");
        lab_days(p, lab, i);
        hw_page_put(p, "</section>");
}

static size_t index_of(const hw_page_item_t *t, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (!strcmp(t[i].name, name))
                        return i;
        return n;
}

/* Row or column names of the moves matrix (key "from" or "lab"), the
 * largest totals first, counting only the moves into the labs of only
 * (n_only of them) unless it is NULL. */
static hw_page_item_t *move_totals(const json_t *moves, const char *key,
                                   const hw_page_item_t *only, size_t n_only,
                                   size_t *n) {
        size_t count = json_array_size(moves);
        hw_page_item_t *t = calloc(count + 1, sizeof(*t));

        *n = 0;
        for (size_t i = 0; t && i < count; i++) {
                const json_t *m = json_array_get(moves, i);
                const char *name = hw_page_jstr(m, key);
                size_t k = 0;
                if (only &&
                    index_of(only, n_only, hw_page_jstr(m, "lab")) == n_only)
                        continue;
                while (k < *n && strcmp(t[k].name, name))
                        k++;
                if (k == *n)
                        t[(*n)++] = (hw_page_item_t){name, 0};
                t[k].count += hw_page_jint(m, "hires");
        }
        if (t && *n > 1)
                qsort(t, *n, sizeof(*t), hw_page_by_count);
        return t;
}

void hw_page_moves(hw_page_t *p) {
        const json_t *doc = json_object_get(p->doc, "moves");
        const json_t *moves = json_object_get(doc, "moves");
        size_t n_from = 0, n_to = 0, n = json_array_size(moves);
        hw_page_item_t *to = move_totals(moves, "lab", NULL, 0, &n_to);
        hw_page_item_t *from =
                move_totals(moves, "from", to,
                            n_to < MATRIX_COLS ? n_to : MATRIX_COLS, &n_from);
        const char **rows = calloc(MATRIX_ROWS + 1, sizeof(*rows));
        const char **cols = calloc(MATRIX_COLS + 1, sizeof(*cols));
        int64_t *cells = calloc(MATRIX_ROWS * MATRIX_COLS, sizeof(*cells));
        hw_chart_t c;

        hw_page_chart_init(&c, "moves-matrix",
                           "Who hires from whom: hires from each organisation "
                           "into each lab",
                           p->note, "to lab \xe2\x86\x92", "from organisation",
                           "from organisation", "to lab", "hires", NULL);
        hw_page_put(p, "<section id=\"moves\"><h2>Who hires from whom</h2>");
        if (!from || !to || !rows || !cols || !cells) {
                p->bad = 1;
                goto cleanup;
        }
        n_from = n_from < MATRIX_ROWS ? n_from : MATRIX_ROWS;
        n_to = n_to < MATRIX_COLS ? n_to : MATRIX_COLS;
        hw_page_put(
                p,
                "<p class=\"lede\">Hires into the labs that have members, "
                "by the organisation hired from: the %d labs that hired the "
                "most, and the %d organisations they hired the most from. ",
                MATRIX_COLS, MATRIX_ROWS);
        if (!n)
                hw_page_put(p, "No hires into a lab in the window.");
        for (size_t i = 0; i < n && i < MOVES_LISTED; i++) {
                const json_t *m = json_array_get(moves, i);
                hw_page_put(p, "%s", i ? "; " : "Largest moves: ");
                hw_page_esc(p, hw_page_jstr(m, "from"));
                hw_page_put(p, " \xe2\x86\x92 ");
                hw_page_esc(p, hw_page_jstr(m, "lab"));
                hw_page_put(p, " <b>%" PRId64 "</b>", hw_page_jint(m, "hires"));
        }
        hw_page_put(p, "%s</p>", n ? "." : "");
        if (!n)
                goto cleanup;
        for (size_t i = 0; i < n_from; i++)
                rows[i] = from[i].name;
        for (size_t k = 0; k < n_to; k++)
                cols[k] = to[k].name;
        for (size_t i = 0; i < n; i++) {
                const json_t *m = json_array_get(moves, i);
                size_t r = index_of(from, n_from, hw_page_jstr(m, "from"));
                size_t k = index_of(to, n_to, hw_page_jstr(m, "lab"));
                if (r < n_from && k < n_to)
                        cells[r * n_to + k] += hw_page_jint(m, "hires");
        }
        hw_page_chart(p, hw_chart_matrix(p->out, &c, rows, n_from, cols, n_to,
                                         cells));
cleanup:
        hw_page_put(p, "</section>");
        free(from);
        free(to);
        free(rows);
        free(cols);
        free(cells);
}
