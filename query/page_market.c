/*
 * The market of the report page: country flows (net moves and the flow
 * index, Korea marked, ranks in the group), offers by organisation and
 * the alerts on a timeline.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_time.h"
#include "page_parts.h"
#include "table.h"

#define OFFERS_SHOWN 12 /* organisations in the offer charts */
#define MARK_COUNTRY "KR"
#define MARK_NAME "Korea"

/* "+12", "-7", "0": a count with its sign. */
static void signed_count(int64_t v, char *out, size_t size) {
        snprintf(out, size, v > 0 ? "+%" PRId64 : "%" PRId64, v);
}

/* The Korea line of the flows: its net, index and rank in the group. */
static void korea(hw_page_t *p, const json_t *f, const json_t *kr) {
        char net[24];

        hw_page_put(p, "<p class=\"callout\" id=\"korea\"><b>" MARK_NAME
                       " (" MARK_COUNTRY ")</b>: ");
        if (!kr) {
                hw_page_put(p, "no hires in or out in the window.</p>");
                return;
        }
        signed_count(hw_page_jint(kr, "net"), net, sizeof(net));
        hw_page_put(p, "%" PRId64 " hires in, %" PRId64 " out, net %s",
                    hw_page_jint(kr, "in"), hw_page_jint(kr, "out"), net);
        if (json_is_number(json_object_get(kr, "index")))
                hw_page_put(p, "; <b>%+.2f</b> per 10,000 AI talent",
                            json_number_value(json_object_get(kr, "index")));
        if (json_is_integer(json_object_get(kr, "rank"))) {
                hw_page_put(p,
                            ", <b class=\"rank\">rank %" PRId64 " of %" PRId64
                            "</b> in group ",
                            hw_page_jint(kr, "rank"),
                            hw_page_jint(f, "group_size"));
                hw_page_esc(p, hw_page_jstr(f, "group"));
        }
        hw_page_put(p, ".</p>");
}

static int by_index(const void *a, const void *b) {
        const hw_bar_t *x = a, *y = b;
        if (x->value != y->value)
                return x->value > y->value ? -1 : 1;
        return strcmp(x->label, y->label);
}

void hw_page_flows(hw_page_t *p) {
        const json_t *f = json_object_get(p->doc, "flows");
        const json_t *countries = json_object_get(f, "countries"), *kr = NULL;
        size_t n = json_array_size(countries), n_index = 0;
        hw_bar_t *net = calloc(n + 1, sizeof(*net));
        hw_bar_t *idx = calloc(n + 1, sizeof(*idx));
        int grouped = json_is_string(json_object_get(f, "group"));
        char rank_col[80];
        hw_chart_t c_net;
        hw_chart_t c_idx;

        snprintf(rank_col, sizeof(rank_col), "rank in %s",
                 grouped ? hw_page_jstr(f, "group") : "");
        hw_page_chart_init(&c_net, "flows-net",
                           "Net moves by country: hires in minus hires out",
                           p->note, "net moves (in \xe2\x88\x92 out)",
                           "country", "country", "in", "out", "net", NULL);
        hw_page_chart_init(&c_idx, "flows-index",
                           "Net moves per 10,000 AI talent (the flow index)",
                           p->note, "net moves per 10,000 AI talent", "country",
                           "country", "index", grouped ? rank_col : NULL, NULL);
        hw_page_put(p, "<section id=\"flows\"><h2>Country flows</h2>");
        if (!net || !idx) {
                p->bad = 1;
                goto cleanup;
        }
        if (hw_page_section_error(p, f))
                goto cleanup;
        hw_page_put(p,
                    "<p class=\"lede\">Cross-border hires only: a country "
                    "gains a hire into it from another country and loses one "
                    "out of it. The index is net moves per 10,000 of its AI "
                    "talent (illustrative talent bases); ranks are by index "
                    "within the group.</p>");
        for (size_t i = 0; i < n; i++) {
                const json_t *row = json_array_get(countries, i);
                const json_t *index = json_object_get(row, "index");
                int mark = !strcmp(hw_page_jstr(row, "country"), MARK_COUNTRY);
                char sign[24];
                if (mark)
                        kr = row;
                net[i].label = mark ? MARK_COUNTRY " \xc2\xb7 " MARK_NAME
                                    : hw_page_jstr(row, "country");
                net[i].value = (double)hw_page_jint(row, "net");
                net[i].style = mark ? HW_BAR_MARK : HW_BAR_MAIN;
                signed_count(hw_page_jint(row, "net"), sign, sizeof(sign));
                snprintf(net[i].text, sizeof(net[i].text), "%s", sign);
                snprintf(net[i].cells[0], HW_CHART_TEXT, "%" PRId64,
                         hw_page_jint(row, "in"));
                snprintf(net[i].cells[1], HW_CHART_TEXT, "%" PRId64,
                         hw_page_jint(row, "out"));
                snprintf(net[i].cells[2], HW_CHART_TEXT, "%s", sign);
                if (!json_is_number(index))
                        continue;
                idx[n_index] = net[i];
                idx[n_index].value = json_number_value(index);
                snprintf(idx[n_index].cells[0], HW_CHART_TEXT, "%+.2f",
                         idx[n_index].value);
                if (json_is_integer(json_object_get(row, "rank")))
                        snprintf(idx[n_index].cells[1], HW_CHART_TEXT,
                                 "%" PRId64 " of %" PRId64,
                                 hw_page_jint(row, "rank"),
                                 hw_page_jint(f, "group_size"));
                else
                        snprintf(idx[n_index].cells[1], HW_CHART_TEXT,
                                 "not in %s", hw_page_jstr(f, "group"));
                /* The index, and its rank when there is a group (cut
                 * short rather than overflow). */
                if (snprintf(idx[n_index].text, HW_CHART_TEXT,
                             grouped ? "%s \xc2\xb7 %s" : "%s",
                             idx[n_index].cells[0],
                             idx[n_index].cells[1]) >= HW_CHART_TEXT)
                        idx[n_index].text[HW_CHART_TEXT - 1] = '\0';
                n_index++;
        }
        korea(p, f, kr);
        if (!n) {
                hw_page_put(p, "<p>No cross-border hires in the window.</p>");
                goto cleanup;
        }
        hw_page_chart(p, hw_chart_diverging(p->out, &c_net, net, n));
        if (n_index > 1)
                qsort(idx, n_index, sizeof(*idx), by_index);
        if (n_index)
                hw_page_chart(p,
                              hw_chart_diverging(p->out, &c_idx, idx, n_index));
cleanup:
        hw_page_put(p, "</section>");
        free(net);
        free(idx);
}

/* A dollar amount in full: "$1,100,000,000". */
static void dollars(int64_t v, char *out, size_t size) {
        char digits[24], *o = out;
        size_t n = (size_t)snprintf(digits, sizeof(digits), "%" PRId64, v);
        if (size < 32)
                return;
        *o++ = '$';
        for (size_t i = 0; i < n; i++) {
                *o++ = digits[i];
                if (digits[i] != '-' && (n - i - 1) % 3 == 0 && i + 1 < n)
                        *o++ = ',';
        }
        *o = '\0';
}

void hw_page_offers(hw_page_t *p) {
        static const char *const series[] = {"extended", "accepted", "declined",
                                             "withdrawn"};
        const json_t *orgs =
                json_object_get(json_object_get(p->doc, "offers"), "orgs");
        size_t n = json_array_size(orgs);
        hw_bar_t *by_status, *usd;
        hw_chart_t c_status;
        hw_chart_t c_usd;

        hw_page_chart_init(&c_status, "offers-status",
                           "Offer events by organisation and status", p->note,
                           "offer events (an offer extended, then accepted, "
                           "counts once in each)",
                           "organisation", "organisation", "extended",
                           "accepted", "declined", "withdrawn", NULL);
        hw_page_chart_init(&c_usd, "offers-usd",
                           "Value of offers extended, by organisation", p->note,
                           "total value of offers extended (USD)",
                           "organisation", "organisation", "extended (USD)",
                           "mega offers (\xe2\x89\xa5 $100M)", NULL);
        c_usd.money = 1;
        n = n < OFFERS_SHOWN ? n : OFFERS_SHOWN;
        by_status = calloc(n + 1, sizeof(*by_status));
        usd = calloc(n + 1, sizeof(*usd));
        hw_page_put(p, "<section id=\"offers\"><h2>Offers</h2>");
        if (!by_status || !usd) {
                p->bad = 1;
                goto cleanup;
        }
        hw_page_put(p,
                    "<p class=\"lede\">The %zu organisations with the largest "
                    "value of offers extended in the window (of %zu that made "
                    "offers).</p>",
                    n, json_array_size(orgs));
        if (!n)
                goto cleanup;
        for (size_t i = 0; i < n; i++) {
                const json_t *o = json_array_get(orgs, i);
                const char *name = json_is_string(json_object_get(o, "name"))
                                           ? hw_page_jstr(o, "name")
                                           : hw_page_jstr(o, "org");
                int64_t sum = 0, v = hw_page_jint(o, "extended_usd");
                char money[32];
                by_status[i].label = usd[i].label = name;
                for (size_t k = 0; k < 4; k++) {
                        by_status[i].parts[k] = hw_page_jint(o, series[k]);
                        sum += by_status[i].parts[k];
                        snprintf(by_status[i].cells[k], HW_CHART_TEXT,
                                 "%" PRId64, by_status[i].parts[k]);
                }
                by_status[i].value = (double)sum;
                snprintf(by_status[i].text, HW_CHART_TEXT, "%" PRId64, sum);
                usd[i].value = (double)v;
                hw_table_money(v, money, sizeof(money));
                snprintf(usd[i].text, HW_CHART_TEXT, "%s", money);
                if (hw_page_jint(o, "mega"))
                        snprintf(usd[i].text + strlen(money),
                                 HW_CHART_TEXT - strlen(money),
                                 " \xc2\xb7 %" PRId64 " mega",
                                 hw_page_jint(o, "mega"));
                dollars(v, usd[i].cells[0], HW_CHART_TEXT);
                snprintf(usd[i].cells[1], HW_CHART_TEXT, "%" PRId64,
                         hw_page_jint(o, "mega"));
        }
        hw_page_chart(p, hw_chart_stacked(p->out, &c_status, by_status, n,
                                          series, 4));
        hw_page_chart(p, hw_chart_hbars(p->out, &c_usd, usd, n));
cleanup:
        hw_page_put(p, "</section>");
        free(by_status);
        free(usd);
}

static const char *const severities[][2] = {
        {"INFO", "#4c78a8"},
        {"WARN", "#d08b1c"},
        {"CRITICAL", "#c0392b"},
};

static const char *severity_colour(const char *sev) {
        for (size_t i = 0; i < 3; i++)
                if (!strcmp(sev, severities[i][0]))
                        return severities[i][1];
        return "#7b8591";
}

void hw_page_alerts(hw_page_t *p) {
        const json_t *alerts = json_object_get(p->doc, "alerts");
        size_t n = json_array_size(alerts);
        hw_mark_t *marks = calloc(n + 1, sizeof(*marks));
        char(*what)[600] = calloc(n + 1, sizeof(*what));
        int64_t last = hw_time_day(p->watermark) + 1, first;
        hw_chart_t c;

        hw_page_chart_init(&c, "alerts-timeline",
                           "Alerts by event time, coloured by severity",
                           p->note, "event time (UTC)", "rule", NULL);
        hw_page_put(p, "<section id=\"alerts\"><h2>Alerts</h2>");
        if (!marks || !what) {
                p->bad = 1;
                goto cleanup;
        }
        first = p->window_days ? last - p->window_days
                : n ? hw_time_day(hw_page_jint(json_array_get(alerts, 0),
                                               "event_time"))
                    : last - 1;
        hw_page_put(
                p,
                "<p class=\"lede\">%zu alerts with event time in the window "
                "(of the newest %" PRId64 " alerts raised), the newest "
                "first.</p>",
                n, hw_page_jint(p->doc, "alerts_read"));
        for (size_t i = 0; i < n; i++) {
                const json_t *a = json_array_get(alerts, i);
                char when[40];
                hw_time_format_iso(hw_page_jint(a, "event_time"), when,
                                   sizeof(when));
                snprintf(what[i], sizeof(what[i]), "%s %s %s: %s", when,
                         hw_page_jstr(a, "severity"), hw_page_jstr(a, "rule"),
                         hw_page_jstr(a, "summary"));
                marks[i] = (hw_mark_t){
                        hw_page_jint(a, "event_time"), hw_page_jstr(a, "rule"),
                        severity_colour(hw_page_jstr(a, "severity")), what[i]};
        }
        if (n)
                hw_page_chart(p, hw_chart_timeline(p->out, &c, marks, n,
                                                   first * HW_DAY_MS,
                                                   last * HW_DAY_MS, severities,
                                                   3));
        hw_page_put(p, "<ol class=\"alerts\" id=\"alert-list\">");
        for (size_t i = n; i-- > 0;) {
                const json_t *a = json_array_get(alerts, i);
                char when[40];
                hw_time_format_iso(hw_page_jint(a, "event_time"), when,
                                   sizeof(when));
                hw_page_put(p, "<li><time>");
                hw_page_esc(p, when);
                hw_page_put(p, "</time><span class=\"sev sev-");
                hw_page_esc(p, hw_page_jstr(a, "severity"));
                hw_page_put(p, "\">");
                hw_page_esc(p, hw_page_jstr(a, "severity"));
                hw_page_put(p, "</span><span class=\"rule\">");
                hw_page_esc(p, hw_page_jstr(a, "rule"));
                hw_page_put(p, "</span>");
                hw_page_esc(p, hw_page_jstr(a, "summary"));
                hw_page_put(p, "</li>");
        }
        hw_page_put(p, "</ol>");
cleanup:
        hw_page_put(p, "</section>");
        free(marks);
        free(what);
}
