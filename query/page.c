/*
 * The report page (page.h): its frame (head, style, header, footer and,
 * when served, the script that keeps it live), the helpers its sections
 * share (page_parts.h), and the page in order.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_time.h"
#include "page_parts.h"

const char *hw_page_jstr(const json_t *o, const char *k) {
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "";
}

int64_t hw_page_jint(const json_t *o, const char *k) {
        return (int64_t)json_integer_value(json_object_get(o, k));
}

/* Appends our own markup (no data in it). */
void hw_page_put(hw_page_t *p, const char *fmt, ...) {
        char small[512];
        va_list ap;
        int n;
        va_start(ap, fmt);
        n = vsnprintf(small, sizeof(small), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(small)) {
                p->bad = 1;
                return;
        }
        p->bad |= hw_buf_append(p->out, small, (size_t)n) != 0;
}

/* Appends text from the data, escaped. */
void hw_page_esc(hw_page_t *p, const char *s) {
        p->bad |= hw_html_esc(p->out, s) != 0;
}

/* Appends markup written by a chart function. */
void hw_page_chart_init(hw_chart_t *c, const char *id, const char *title,
                        const char *note, const char *x_label,
                        const char *y_label, ...) {
        const char *column;
        size_t n = 0;
        va_list ap;

        *c = (hw_chart_t){.id = id,
                          .title = title,
                          .note = note,
                          .x_label = x_label,
                          .y_label = y_label};
        va_start(ap, y_label);
        while ((column = va_arg(ap, const char *)) && n < HW_CHART_CELLS + 1)
                c->columns[n++] = column;
        va_end(ap);
}

void hw_page_chart(hw_page_t *p, int rc) {
        p->bad |= rc != 0;
}

/*
 * Tenths of a percent of each of n counts in their sum, rounded so they
 * add up to exactly 1000 (largest remainder first); all 0 for a sum of 0.
 * rem: room for n remainders.
 */
static void shares(const int64_t *v, size_t n, int *tenths, int64_t *rem) {
        int64_t total = 0;
        int left = 1000;

        for (size_t i = 0; i < n; i++)
                total += v[i];
        for (size_t i = 0; i < n; i++) {
                tenths[i] = total > 0 ? (int)(v[i] * 1000 / total) : 0;
                rem[i] = total > 0 ? v[i] * 1000 % total : 0;
                left -= tenths[i];
        }
        while (total > 0 && left-- > 0) {
                size_t best = 0;
                for (size_t i = 1; i < n; i++)
                        if (rem[i] > rem[best])
                                best = i;
                tenths[best]++;
                rem[best] = -1;
        }
}

int hw_page_by_count(const void *a, const void *b) {
        const hw_page_item_t *x = a, *y = b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* The items of obj, most first, into a new array (*n of them); NULL when
 * out of memory. */
hw_page_item_t *hw_page_items(const json_t *obj, size_t *n) {
        hw_page_item_t *items =
                calloc(json_object_size(obj) + 1, sizeof(*items));
        const char *k;
        json_t *v;

        *n = 0;
        if (!items)
                return NULL;
        json_object_foreach((json_t *)obj, k, v) {
                items[*n].name = k;
                items[(*n)++].count = (int64_t)json_integer_value(v);
        }
        if (*n > 1)
                qsort(items, *n, sizeof(*items), hw_page_by_count);
        return items;
}

/*
 * Bars for the shown largest items and, when there are more, one grey bar
 * for the rest ("other (N)" with `what` naming them), with their counts
 * and shares of the whole (adding up to 100.0%). Labels point into items
 * and other_label. NULL when out of memory; *n_bars the bars made.
 */
hw_bar_t *hw_page_share_bars(const hw_page_item_t *items, size_t n,
                             size_t shown, const char *what, char *other_label,
                             size_t size, size_t *n_bars) {
        hw_bar_t *bars = calloc(shown + 2, sizeof(*bars));
        int64_t *v = calloc(shown + 2, sizeof(*v));
        int64_t *rem = calloc(shown + 2, sizeof(*rem));
        int *tenths = calloc(shown + 2, sizeof(*tenths));
        size_t k = n > shown ? shown - 1 : n;

        *n_bars = 0;
        if (!bars || !v || !rem || !tenths) {
                free(bars);
                bars = NULL;
                goto cleanup;
        }
        for (size_t i = 0; i < k; i++) {
                bars[i].label = items[i].name;
                v[i] = items[i].count;
        }
        if (k < n) {
                snprintf(other_label, size, "%zu other %s", n - k, what);
                bars[k].label = other_label;
                bars[k].style = HW_BAR_OTHER;
                for (size_t i = k; i < n; i++)
                        v[k] += items[i].count;
                k++;
        }
        shares(v, k, tenths, rem);
        for (size_t i = 0; i < k; i++) {
                bars[i].value = (double)v[i];
                snprintf(bars[i].text, sizeof(bars[i].text),
                         "%" PRId64 " \xc2\xb7 %d.%d%%", v[i], tenths[i] / 10,
                         tenths[i] % 10);
                snprintf(bars[i].cells[0], sizeof(bars[i].cells[0]), "%" PRId64,
                         v[i]);
                snprintf(bars[i].cells[1], sizeof(bars[i].cells[1]), "%d.%d%%",
                         tenths[i] / 10, tenths[i] % 10);
        }
        *n_bars = k;
cleanup:
        free(v);
        free(rem);
        free(tenths);
        return bars;
}

/* A section's error in place of its charts (the report went on). */
int hw_page_section_error(hw_page_t *p, const json_t *part) {
        if (!json_is_string(json_object_get(part, "error")))
                return 0;
        hw_page_put(p, "<p class=\"error\">");
        hw_page_esc(p, hw_page_jstr(part, "error"));
        hw_page_put(p, "</p>");
        return 1;
}

/* ------------------------------------------------------------------ */
/* Frame                                                               */
/* ------------------------------------------------------------------ */

static const char style[] =
        "<style>"
        ":root{color-scheme:light}"
        "body{margin:0;background:#f5f6f8;color:#1d2430;font:14px/1.45 "
        "system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',"
        "sans-serif}"
        "main{max-width:1100px;margin:0 auto;padding:20px 24px 40px}"
        "header h1{font-size:26px;margin:8px 0 4px}"
        ".meta{color:#5b6472;margin:0}.meta b{color:#1d2430}"
        "nav{margin:10px 0 0;font-size:13px}nav a{margin-right:14px;"
        "color:#2f5d8f}"
        "section{background:#fff;border:1px solid #e1e4e8;border-radius:8px;"
        "padding:14px 20px;margin:18px 0}"
        "section h2{font-size:19px;margin:4px 0 6px}"
        "section h3{font-size:16px;margin:16px 0 4px}"
        "p.lede{margin:4px 0 8px;color:#3c4450}"
        "figure{margin:14px 0}"
        "figcaption .t{display:block;font-weight:600}"
        "figcaption .n{display:block;color:#5b6472;font-size:12px}"
        "svg{max-width:100%;height:auto;display:block}"
        "svg .tick{fill:#5b6472;font-size:11px}"
        "svg .axis-label{fill:#5b6472;font-style:italic}"
        "svg .v{fill:#1d2430;font-variant-numeric:tabular-nums}"
        "svg .mark{fill:#6a3d9a;font-weight:700}"
        ".pair{display:grid;grid-template-columns:1fr 1fr;gap:0 28px}"
        "@media(max-width:900px){.pair{grid-template-columns:1fr}}"
        "details{font-size:12px;color:#3c4450}"
        "summary{cursor:pointer;color:#2f5d8f}"
        "table.num{border-collapse:collapse;margin:6px 0}"
        "table.num th,table.num td{padding:2px 10px 2px 0;text-align:left;"
        "border-bottom:1px solid #eef0f2}"
        "table.num td.r{text-align:right;font-variant-numeric:tabular-nums}"
        ".callout{background:#f3eef7;border-left:4px solid #6a3d9a;"
        "padding:8px 12px;margin:8px 0}"
        "ol.alerts{list-style:none;padding:0;margin:8px 0}"
        "ol.alerts li{padding:5px 0;border-bottom:1px solid #eef0f2}"
        "ol.alerts time{color:#5b6472;font-variant-numeric:tabular-nums;"
        "margin-right:8px}"
        ".sev{display:inline-block;min-width:64px;font-size:11px;"
        "font-weight:700;color:#fff;border-radius:3px;padding:1px 5px;"
        "margin-right:8px;text-align:center}"
        ".sev-INFO{background:#4c78a8}.sev-WARN{background:#d08b1c}"
        ".sev-CRITICAL{background:#c0392b}"
        ".rule{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
        "font-size:12px;color:#5b6472;margin-right:8px}"
        ".error{color:#c0392b}"
        "#live{float:right;font-size:12px;color:#2a9d8f}"
        "footer{color:#5b6472;font-size:12px;margin-top:20px}"
        "</style>";

/* The page's head (refreshing itself every `refresh` seconds unless 0). */
static void head(hw_page_t *p, const hw_page_opts_t *o, const char *title,
                 int refresh) {
        hw_page_put(p, "<!DOCTYPE html><html lang=\"en\"><head><meta "
                       "charset=\"utf-8\"><meta name=\"viewport\" "
                       "content=\"width=device-width,initial-scale=1\">");
        if (!o->nonce)
                hw_page_put(p, "<meta http-equiv=\"Content-Security-Policy\" "
                               "content=\"default-src 'none'; style-src "
                               "'unsafe-inline'; img-src data:\">");
        if (refresh)
                hw_page_put(p, "<meta http-equiv=\"refresh\" content=\"%d\">",
                            refresh);
        hw_page_put(p, "<title>");
        hw_page_esc(p, title);
        hw_page_put(p, "</title>");
        p->bad |= hw_buf_append(p->out, style, sizeof(style) - 1) != 0;
        hw_page_put(p, "</head><body><main id=\"report\">");
}

/*
 * What keeps a served page live: the alerts stream (/api/events) adds a
 * new alert to the list at once and redraws the page from the server;
 * an `update` (the counters moved) redraws it too, and so does a timer.
 * Text from the stream is set with textContent, never as markup.
 */
static const char live_script[] =
        "(function(){"
        "var busy=false,again=false;"
        "function mark(t){var m=document.getElementById('live');"
        "if(m)m.textContent=t;}"
        "function redraw(){if(busy){again=true;return;}busy=true;"
        "fetch(location.pathname+location.search,{cache:'no-store'})"
        ".then(function(r){if(!r.ok)throw r.status;return r.text();})"
        ".then(function(t){var d=new DOMParser().parseFromString(t,"
        "'text/html');var n=d.getElementById('report'),"
        "o=document.getElementById('report');if(n&&o)o.replaceWith(n);"
        "mark('live');})"
        ".catch(function(){mark('offline: retrying');})"
        ".finally(function(){busy=false;if(again){again=false;redraw();}});}"
        "function listen(){var es=new EventSource('/api/events');"
        "es.addEventListener('alert',function(ev){try{var a=JSON.parse("
        "ev.data),l=document.getElementById('alert-list');if(l){"
        "var li=document.createElement('li');li.className='new';"
        "var s=document.createElement('span');s.className='sev sev-'+"
        "a.severity;s.textContent=a.severity;var r=document.createElement("
        "'span');r.className='rule';r.textContent=a.rule;li.append(s,r,"
        "document.createTextNode(a.summary));l.prepend(li);}}catch(e){}"
        "redraw();});"
        "es.addEventListener('update',redraw);"
        "es.onerror=function(){if(es.readyState===2){mark('offline: "
        "retrying');setTimeout(listen,5000);}};}"
        "listen();setInterval(redraw,30000);"
        "})();";

static void foot(hw_page_t *p, const hw_page_opts_t *o) {
        hw_page_put(p,
                    "<footer>Counters as hirewire-consumer keeps them in Redis "
                    "(prefix ");
        hw_page_esc(p, hw_page_jstr(p->doc, "prefix"));
        hw_page_put(
                p, "); windows are rolling by event time over UTC days, to the "
                   "watermark (the latest event time counted). Drawn by "
                   "hirewire-query.</footer></main>");
        if (o->nonce) {
                hw_page_put(p, "<script nonce=\"%s\">", o->nonce);
                p->bad |= hw_buf_append(p->out, live_script,
                                        sizeof(live_script) - 1) != 0;
                hw_page_put(p, "</script>");
        }
        hw_page_put(p, "</body></html>\n");
}

/* The window in words: "the last 365 days to 2025-08-18" or "all time". */
static void window_words(const hw_page_t *p, char *out, size_t size) {
        if (!p->window_days)
                snprintf(out, size, "all time");
        else
                snprintf(out, size, "the last %" PRId64 " days to %.10s",
                         p->window_days, p->as_of);
}

static void header(hw_page_t *p, const hw_page_opts_t *o) {
        static const char *const windows[] = {"7d", "30d", "90d", "365d",
                                              "all"};
        char words[80];

        window_words(p, words, sizeof(words));
        hw_page_put(p, "<header>");
        if (o->nonce)
                hw_page_put(p, "<span id=\"live\">live</span>");
        hw_page_put(p, "<h1>AI talent: labs, moves, flows, offers, alerts</h1>"
                       "<p class=\"meta\">Window <b>");
        hw_page_esc(p, p->window);
        hw_page_put(p, "</b> (");
        hw_page_esc(p, words);
        hw_page_put(p, ", by event time) &middot; as of <b><time>");
        hw_page_esc(p, p->as_of);
        hw_page_put(p,
                    "</time></b></p><nav><a href=\"#labs\">Labs</a>"
                    "<a href=\"#moves\">Who hires from whom</a>"
                    "<a href=\"#flows\">Country flows</a>"
                    "<a href=\"#offers\">Offers</a><a href=\"#alerts\">Alerts"
                    "</a>");
        if (o->nonce) {
                hw_page_put(p, " &middot; window:");
                for (size_t i = 0; i < sizeof(windows) / sizeof(*windows); i++)
                        hw_page_put(p, " <a href=\"/?window=%s\">%s</a>",
                                    windows[i], windows[i]);
        }
        hw_page_put(p, "</nav></header>");
}

/* The notes every chart carries: the window and the watermark. */
static void notes(hw_page_t *p) {
        char words[80];
        if (p->watermark)
                hw_time_format_iso(p->watermark, p->as_of, sizeof(p->as_of));
        else
                snprintf(p->as_of, sizeof(p->as_of), "no events yet");
        window_words(p, words, sizeof(words));
        snprintf(p->note, sizeof(p->note),
                 "Window %s (%s, by event time) \xc2\xb7 as of %s", p->window,
                 words, p->as_of);
        snprintf(p->gauge_note, sizeof(p->gauge_note),
                 "Current members (a gauge: no window) \xc2\xb7 as of %s",
                 p->as_of);
}

int hw_page_render(const json_t *doc, const hw_page_opts_t *o, hw_buf_t *out) {
        const json_t *labs = json_object_get(doc, "lab_details");
        hw_page_t p = {
                .out = out,
                .doc = doc,
                .window = hw_page_jstr(doc, "window"),
                .window_days = hw_page_jint(doc, "window_days"),
                .watermark = hw_page_jint(doc, "watermark"),
        };
        char title[200];

        notes(&p);
        snprintf(title, sizeof(title),
                 "hirewire: AI talent report, window %s, as of %s", p.window,
                 p.as_of);
        head(&p, o, title, 0);
        header(&p, o);
        hw_page_labs(&p);
        for (size_t i = 0; i < json_array_size(labs); i++)
                hw_page_lab(&p, json_array_get(labs, i), i);
        hw_page_moves(&p);
        hw_page_flows(&p);
        hw_page_offers(&p);
        hw_page_alerts(&p);
        foot(&p, o);
        return p.bad ? -1 : 0;
}

int hw_page_error(const char *title, const char *message,
                  const hw_page_opts_t *o, hw_buf_t *out) {
        hw_page_t p = {.out = out};

        head(&p, o, title, o->nonce ? 5 : 0);
        hw_page_put(&p, "<h1>");
        hw_page_esc(&p, title);
        hw_page_put(&p, "</h1><p class=\"error\">");
        hw_page_esc(&p, message);
        hw_page_put(&p, "</p>%s</main></body></html>\n",
                    o->nonce ? "<p>This page tries again every 5 seconds.</p>"
                             : "");
        return p.bad ? -1 : 0;
}
