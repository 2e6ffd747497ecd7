/*
 * Charts of the report page as inline SVG (chart.h). Text widths are not
 * measured (no fonts here): labels are cut to a number of characters that
 * fits their column, the whole name kept in the mark's tooltip and in the
 * numbers table.
 */
#include "chart.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_time.h"
#include "output.h"
#include "table.h"

#define WIDTH 760      /* a chart's viewBox width */
#define NARROW 520     /* a narrow one's */
#define LABEL_W 200    /* category labels, right-aligned before the plot */
#define TEXT_W 150     /* the numbers right of the plot */
#define ROW_H 22       /* a bar's row */
#define BAR_H 14       /* a bar's thickness */
#define TOP 12         /* above the first row */
#define AXIS_H 46      /* tick labels and the axis label below the plot */
#define LABEL_CHARS 28 /* what fits in LABEL_W at 12px */
#define NARROW_LABEL_W 150
#define NARROW_TEXT_W 100
#define NARROW_LABEL_CHARS 19

#define COLOUR_MAIN "#3a6ea5"
#define COLOUR_OTHER "#a3acb8"
#define COLOUR_MARK "#6a3d9a"
#define COLOUR_GAIN "#2a9d8f"
#define COLOUR_LOSS "#d1495b"
#define COLOUR_AXIS "#7b8591"
#define COLOUR_GRID "#e4e7eb"

static const char *const series_colours[] = {"#3a6ea5", "#2a9d8f", "#e09f3e",
                                             "#a3acb8"};

/* ------------------------------------------------------------------ */
/* HTML text                                                           */
/* ------------------------------------------------------------------ */

int hw_html_esc_cut(hw_buf_t *out, const char *s, size_t max) {
        char *text = hw_table_utf8(s ? s : "");
        size_t points = 0;
        int bad = text == NULL;

        for (const char *p = text; !bad && *p; p++) {
                const char *esc = NULL;
                unsigned char ch = (unsigned char)*p;
                if ((ch & 0xc0) != 0x80 && ++points > max && max) {
                        bad = hw_buf_printf(out, "\xe2\x80\xa6"); /* … */
                        break;
                }
                switch (ch) {
                case '&':
                        esc = "&amp;";
                        break;
                case '<':
                        esc = "&lt;";
                        break;
                case '>':
                        esc = "&gt;";
                        break;
                case '"':
                        esc = "&quot;";
                        break;
                case '\'':
                        esc = "&#39;";
                        break;
                default:
                        if (ch < 0x20 || ch == 0x7f)
                                esc = "\xef\xbf\xbd"; /* U+FFFD */
                }
                bad = esc ? hw_buf_printf(out, "%s", esc)
                          : hw_buf_append(out, p, 1);
        }
        free(text);
        return bad ? -1 : 0;
}

int hw_html_esc(hw_buf_t *out, const char *s) {
        return hw_html_esc_cut(out, s, 0);
}

/* ------------------------------------------------------------------ */
/* Frame: figure, caption, SVG, numbers table                          */
/* ------------------------------------------------------------------ */

static int fig_open(hw_buf_t *out, const hw_chart_t *c, int h) {
        int w = c->narrow ? NARROW : WIDTH;
        int bad = hw_buf_printf(out,
                                "<figure class=\"chart\" id=\"%s\">"
                                "<figcaption><span class=\"t\" id=\"%s-t\">",
                                c->id, c->id);
        bad |= hw_html_esc(out, c->title);
        bad |= hw_buf_printf(out, "</span><span class=\"n\" id=\"%s-n\">",
                             c->id);
        bad |= hw_html_esc(out, c->note);
        bad |= hw_buf_printf(out,
                             "</span></figcaption><svg "
                             "xmlns=\"http://www.w3.org/2000/svg\" "
                             "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                             "role=\"img\" aria-labelledby=\"%s-t %s-n\" "
                             "font-size=\"12\" fill=\"#1d2430\">",
                             w, h, w, h, c->id, c->id);
        return bad;
}

/* A text at (x, y) anchored start, middle or end; s from the data. */
static int text_at(hw_buf_t *out, double x, double y, const char *anchor,
                   const char *cls, const char *s, size_t cut) {
        int bad = hw_buf_printf(out,
                                "<text x=\"%.1f\" y=\"%.1f\" "
                                "text-anchor=\"%s\"%s%s%s>",
                                x, y, anchor, cls ? " class=\"" : "",
                                cls ? cls : "", cls ? "\"" : "");
        if (cut && hw_table_width(s) > cut) {
                bad |= hw_buf_printf(out, "<title>");
                bad |= hw_html_esc(out, s);
                bad |= hw_buf_printf(out, "</title>");
        }
        bad |= hw_html_esc_cut(out, s, cut);
        bad |= hw_buf_printf(out, "</text>");
        return bad;
}

/* The axis labels: x centred under the plot, y turned along its side. */
static int axis_labels(hw_buf_t *out, const hw_chart_t *c, double x0, double x1,
                       double x_y, double y_x, double y0, double y1) {
        int bad = text_at(out, (x0 + x1) / 2, x_y, "middle", "axis-label",
                          c->x_label, 0);
        bad |= hw_buf_printf(out,
                             "<text transform=\"translate(%.1f,%.1f) "
                             "rotate(-90)\" text-anchor=\"middle\" "
                             "class=\"axis-label\">",
                             y_x, (y0 + y1) / 2);
        bad |= hw_html_esc(out, c->y_label);
        bad |= hw_buf_printf(out, "</text>");
        return bad;
}

static int table_open(hw_buf_t *out, const hw_chart_t *c) {
        int bad = hw_buf_printf(out, "</svg><details><summary>Numbers"
                                     "</summary><table class=\"num\">"
                                     "<thead><tr>");
        for (size_t i = 0; c->columns[i]; i++) {
                bad |= hw_buf_printf(out, "<th>");
                bad |= hw_html_esc(out, c->columns[i]);
                bad |= hw_buf_printf(out, "</th>");
        }
        return bad | hw_buf_printf(out, "</tr></thead><tbody>");
}

/* A row of the numbers table: the label, then the cells the chart's
 * columns name. */
static int table_row(hw_buf_t *out, const hw_chart_t *c, const char *label,
                     const char (*cells)[HW_CHART_TEXT]) {
        int bad = hw_buf_printf(out, "<tr><td>");
        bad |= hw_html_esc(out, label);
        bad |= hw_buf_printf(out, "</td>");
        for (size_t i = 0; i < HW_CHART_CELLS && c->columns[i + 1]; i++) {
                bad |= hw_buf_printf(out, "<td class=\"r\">");
                bad |= hw_html_esc(out, cells[i]);
                bad |= hw_buf_printf(out, "</td>");
        }
        return bad | hw_buf_printf(out, "</tr>");
}

static int table_close(hw_buf_t *out) {
        return hw_buf_printf(out, "</tbody></table></details></figure>");
}

/* ------------------------------------------------------------------ */
/* Value scale                                                         */
/* ------------------------------------------------------------------ */

typedef struct scale_s {
        double lo, hi, step; /* domain, ticks every step */
        double x0, x1;       /* where lo and hi are drawn */
        int money;
} scale_t;

/* A domain from lo to hi (0 included) widened to whole ticks of 1, 2 or
 * 5 times a power of ten, whole numbers only when every value is. */
static void scale_init(scale_t *s, double lo, double hi, int integral,
                       double x0, double x1, int money) {
        double raw, mag, norm;

        lo = lo < 0 ? lo : 0;
        hi = hi > 0 ? hi : 0;
        if (hi - lo <= 0)
                hi = 1;
        raw = (hi - lo) / 5;
        mag = pow(10, floor(log10(raw)));
        norm = raw / mag;
        s->step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
        if (integral && s->step < 1)
                s->step = 1;
        s->lo = floor(lo / s->step) * s->step;
        s->hi = ceil(hi / s->step) * s->step;
        s->x0 = x0;
        s->x1 = x1;
        s->money = money;
}

static double scale_x(const scale_t *s, double v) {
        return s->x0 + (v - s->lo) / (s->hi - s->lo) * (s->x1 - s->x0);
}

/* A tick's text: dollars, or as many decimals as the step needs. */
static void tick_text(const scale_t *s, double v, char *out, size_t size) {
        int decimals = s->step >= 1 ? 0 : (int)ceil(-log10(s->step) - 1e-9);
        if (fabs(v) < s->step / 1000)
                v = 0; /* no "-0" */
        if (s->money)
                hw_table_money((int64_t)llround(v), out, size);
        else
                snprintf(out, size, "%.*f", decimals, v);
}

/* Vertical grid lines and tick labels of a horizontal value axis from
 * y0 to y1 (the plot), the zero line darker. */
static int value_axis(hw_buf_t *out, const scale_t *s, double y0, double y1) {
        int bad = 0;
        for (double v = s->lo; v <= s->hi + s->step / 2; v += s->step) {
                char t[32];
                double x = scale_x(s, v);
                tick_text(s, v, t, sizeof(t));
                bad |= hw_buf_printf(out,
                                     "<line x1=\"%.1f\" y1=\"%.1f\" "
                                     "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                                     x, y0, x, y1,
                                     fabs(v) < s->step / 1000 ? COLOUR_AXIS
                                                              : COLOUR_GRID);
                bad |= text_at(out, x, y1 + 14, "middle", "tick", t, 0);
        }
        return bad;
}

static int integral_values(const hw_bar_t *bars, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (bars[i].value != floor(bars[i].value))
                        return 0;
        return 1;
}

/* ------------------------------------------------------------------ */
/* Bars                                                                */
/* ------------------------------------------------------------------ */

static const char *bar_colour(const hw_bar_t *b, int diverging) {
        if (b->style == HW_BAR_OTHER)
                return COLOUR_OTHER;
        if (b->style == HW_BAR_MARK)
                return COLOUR_MARK;
        if (!diverging)
                return COLOUR_MAIN;
        return b->value < 0 ? COLOUR_LOSS : COLOUR_GAIN;
}

/* The legend of a stacked chart, a row above its bars. */
static int legend(hw_buf_t *out, const char *const *series, size_t n_series) {
        int bad = 0;
        for (size_t k = 0; k < n_series; k++) {
                double x = LABEL_W + (double)k * 110;
                bad |= hw_buf_printf(out,
                                     "<rect x=\"%.1f\" y=\"6\" width=\"10\" "
                                     "height=\"10\" fill=\"%s\"/>",
                                     x, series_colours[k % 4]);
                bad |= text_at(out, x + 14, 15, "start", NULL, series[k], 0);
        }
        return bad;
}

/* The rows of a bar chart: label, bar from zero (or the parts of a
 * stacked one, series named), the number; then the axis and the table. */
static int bars(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *b, size_t n,
                int diverging, const char *const *series, size_t n_series) {
        double lo = 0, hi = 0, plot_h = (double)n * ROW_H;
        double top = TOP + (n_series ? 20 : 0) + 16; /* legend, heading */
        double label_w = c->narrow ? NARROW_LABEL_W : LABEL_W;
        double text_x, x1 = c->narrow ? NARROW - NARROW_TEXT_W : WIDTH - TEXT_W;
        size_t cut = c->narrow ? NARROW_LABEL_CHARS : LABEL_CHARS;
        scale_t s;
        int bad;

        for (size_t i = 0; i < n; i++) {
                lo = b[i].value < lo ? b[i].value : lo;
                hi = b[i].value > hi ? b[i].value : hi;
        }
        scale_init(&s, lo, hi, integral_values(b, n), label_w, x1, c->money);
        bad = fig_open(out, c, (int)(top + plot_h + AXIS_H));
        bad |= legend(out, series, n_series);
        bad |= value_axis(out, &s, top, top + plot_h);
        for (size_t i = 0; i < n; i++) {
                double y = top + (double)i * ROW_H, mid = y + ROW_H / 2.0 + 4;
                double z = scale_x(&s, 0), v = scale_x(&s, b[i].value);
                bad |= text_at(out, label_w - 8, mid, "end",
                               b[i].style == HW_BAR_MARK ? "mark" : NULL,
                               b[i].label, cut);
                if (n_series) {
                        double x = z;
                        for (size_t k = 0; k < n_series; k++) {
                                double w =
                                        scale_x(&s, (double)b[i].parts[k]) - z;
                                if (w <= 0)
                                        continue;
                                bad |= hw_buf_printf(
                                        out,
                                        "<rect x=\"%.1f\" y=\"%.1f\" "
                                        "width=\"%.1f\" height=\"%d\" "
                                        "fill=\"%s\"/>",
                                        x, y + (ROW_H - BAR_H) / 2.0, w, BAR_H,
                                        series_colours[k % 4]);
                                x += w;
                        }
                } else {
                        bad |= hw_buf_printf(
                                out,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%d\" fill=\"%s\"><title>",
                                v < z ? v : z, y + (ROW_H - BAR_H) / 2.0,
                                fabs(v - z), BAR_H,
                                bar_colour(&b[i], diverging));
                        bad |= hw_html_esc(out, b[i].label);
                        bad |= hw_buf_printf(out, ": ");
                        bad |= hw_html_esc(out, b[i].text);
                        bad |= hw_buf_printf(out, "</title></rect>");
                }
                text_x = diverging ? x1 + 12 : (v > z ? v : z) + 6;
                bad |= text_at(out, text_x, mid, "start",
                               b[i].style == HW_BAR_MARK ? "v mark" : "v",
                               b[i].text, 0);
        }
        /* The category axis is named above its labels, the value axis
         * under its ticks. */
        bad |= text_at(out, label_w - 8, top - 6, "end", "axis-label",
                       c->y_label, 0);
        bad |= text_at(out, (label_w + x1) / 2, top + plot_h + 36, "middle",
                       "axis-label", c->x_label, 0);
        bad |= table_open(out, c);
        for (size_t i = 0; i < n; i++)
                bad |= table_row(out, c, b[i].label,
                                 (const char(*)[HW_CHART_TEXT])b[i].cells);
        bad |= table_close(out);
        return bad ? -1 : 0;
}

int hw_chart_hbars(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *b,
                   size_t n) {
        return bars(out, c, b, n, 0, NULL, 0);
}

int hw_chart_diverging(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *b,
                       size_t n) {
        return bars(out, c, b, n, 1, NULL, 0);
}

int hw_chart_stacked(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *b,
                     size_t n, const char *const *series, size_t n_series) {
        return bars(out, c, b, n, 0, series, n_series);
}

/* ------------------------------------------------------------------ */
/* Time axis                                                           */
/* ------------------------------------------------------------------ */

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/*
 * Ticks of days first..last (inclusive) drawn from x0 to x1 (a day's
 * start at x(day)), grid lines from y0 to y1: weekly for up to 45 days
 * ("03-14"), else at each month's first day ("Mar", the year with
 * January and the first label).
 */
static int day_axis(hw_buf_t *out, int64_t first, int64_t last, double x0,
                    double x1, double y0, double y1) {
        double per_day = (x1 - x0) / (double)(last - first + 1);
        int weekly = last - first < 45, labels = 0, bad = 0;

        for (int64_t d = first; d <= last; d++) {
                char ymd[9], t[24];
                int month;
                double x = x0 + (double)(d - first) * per_day;
                hw_time_ymd(d, ymd);
                month = (ymd[4] - '0') * 10 + (ymd[5] - '0');
                if (weekly ? (d - first) % 7 != 0
                           : ymd[6] != '0' || ymd[7] != '1')
                        continue;
                if (weekly)
                        snprintf(t, sizeof(t), "%.2s-%.2s", ymd + 4, ymd + 6);
                else if (month == 1 || !labels)
                        snprintf(t, sizeof(t), "%s %.4s", months[month - 1],
                                 ymd);
                else
                        snprintf(t, sizeof(t), "%s", months[month - 1]);
                labels++;
                bad |= hw_buf_printf(out,
                                     "<line x1=\"%.1f\" y1=\"%.1f\" "
                                     "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                                     x, y0, x, y1 + 4, COLOUR_GRID);
                bad |= text_at(out, x, y1 + 16, "middle", "tick", t, 0);
        }
        return bad;
}

int hw_chart_days(hw_buf_t *out, const hw_chart_t *c, int64_t first_day,
                  const int64_t *values, size_t n_days) {
        const double x0 = 56, x1 = WIDTH - 16, y0 = 12, plot_h = 150;
        double per_day = (x1 - x0) / (double)(n_days ? n_days : 1);
        double max = 0, gap = per_day >= 4 ? 1 : 0;
        scale_t s;
        int bad;

        for (size_t i = 0; i < n_days; i++)
                max = (double)values[i] > max ? (double)values[i] : max;
        /* The value axis runs up: the scale maps values to heights. */
        scale_init(&s, 0, max, 1, 0, plot_h, 0);
        bad = fig_open(out, c, (int)(y0 + plot_h + AXIS_H + 4));
        for (double v = 0; v <= s.hi + s.step / 2; v += s.step) {
                char t[32];
                double y = y0 + plot_h - scale_x(&s, v);
                tick_text(&s, v, t, sizeof(t));
                bad |= hw_buf_printf(out,
                                     "<line x1=\"%.1f\" y1=\"%.1f\" "
                                     "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>",
                                     x0, y, x1, y,
                                     v == 0 ? COLOUR_AXIS : COLOUR_GRID);
                bad |= text_at(out, x0 - 6, y + 4, "end", "tick", t, 0);
        }
        bad |= day_axis(out, first_day, first_day + (int64_t)n_days - 1, x0, x1,
                        y0, y0 + plot_h);
        for (size_t i = 0; i < n_days; i++) {
                char ymd[9];
                double h = scale_x(&s, (double)values[i]);
                double x = x0 + (double)i * per_day;
                if (!values[i])
                        continue;
                hw_time_ymd(first_day + (int64_t)i, ymd);
                bad |= hw_buf_printf(out,
                                     "<rect x=\"%.2f\" y=\"%.2f\" "
                                     "width=\"%.2f\" height=\"%.2f\" "
                                     "fill=\"%s\"><title>%.4s-%.2s-%.2s: "
                                     "%" PRId64 "</title></rect>",
                                     x + gap / 2, y0 + plot_h - h,
                                     per_day - gap, h, COLOUR_MAIN, ymd,
                                     ymd + 4, ymd + 6, values[i]);
                if (per_day >= 12)
                        bad |= hw_buf_printf(out,
                                             "<text x=\"%.1f\" y=\"%.1f\" "
                                             "text-anchor=\"middle\" "
                                             "class=\"v\">%" PRId64 "</text>",
                                             x + per_day / 2,
                                             y0 + plot_h - h - 3, values[i]);
        }
        bad |= axis_labels(out, c, x0, x1, y0 + plot_h + 38, 14, y0,
                           y0 + plot_h);
        bad |= table_open(out, c);
        for (size_t i = 0; i < n_days; i++) {
                char ymd[9], day[16], cells[1][HW_CHART_TEXT];
                if (!values[i])
                        continue;
                hw_time_ymd(first_day + (int64_t)i, ymd);
                snprintf(day, sizeof(day), "%.4s-%.2s-%.2s", ymd, ymd + 4,
                         ymd + 6);
                snprintf(cells[0], sizeof(cells[0]), "%" PRId64, values[i]);
                bad |= table_row(out, c, day,
                                 (const char(*)[HW_CHART_TEXT])cells);
        }
        bad |= table_close(out);
        return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Matrix                                                              */
/* ------------------------------------------------------------------ */

/* A cell's shade: from near white (0) to the main colour's dark end
 * (max), in proportion. */
static void shade(double f, char *out, size_t size) {
        static const int lo[3] = {0xf3, 0xf6, 0xfa}, hi[3] = {0x1f, 0x4e, 0x79};
        snprintf(out, size, "#%02x%02x%02x",
                 (int)lround(lo[0] + (hi[0] - lo[0]) * f),
                 (int)lround(lo[1] + (hi[1] - lo[1]) * f),
                 (int)lround(lo[2] + (hi[2] - lo[2]) * f));
}

typedef struct cell_pos_s {
        size_t r, k;
        int64_t v;
} cell_pos_t;

static int by_cell(const void *a, const void *b) {
        const cell_pos_t *x = a, *y = b;
        if (x->v != y->v)
                return x->v > y->v ? -1 : 1;
        return x->r != y->r ? (x->r < y->r ? -1 : 1) : (x->k < y->k ? -1 : 1);
}

int hw_chart_matrix(hw_buf_t *out, const hw_chart_t *c, const char *const *rows,
                    size_t n_rows, const char *const *cols, size_t n_cols,
                    const int64_t *cells) {
        const double x0 = 180, y0 = 130, cell_h = 26;
        double cell_w = (WIDTH - x0 - 16) / (double)(n_cols ? n_cols : 1);
        cell_pos_t *order = calloc(n_rows * n_cols + 1, sizeof(*order));
        size_t n_order = 0;
        int64_t max = 1;
        int bad;

        if (!order)
                return -1;
        if (cell_w > 80)
                cell_w = 80;
        for (size_t i = 0; i < n_rows * n_cols; i++)
                max = cells[i] > max ? cells[i] : max;
        bad = fig_open(out, c, (int)(y0 + (double)n_rows * cell_h + 12));
        for (size_t k = 0; k < n_cols; k++) {
                bad |= hw_buf_printf(out,
                                     "<g transform=\"translate(%.1f,%.1f) "
                                     "rotate(-40)\">",
                                     x0 + ((double)k + 0.5) * cell_w, y0 - 6);
                bad |= text_at(out, 0, 0, "start", NULL, cols[k], 18);
                bad |= hw_buf_printf(out, "</g>");
        }
        bad |= text_at(out, 8, 16, "start", "axis-label", c->x_label, 0);
        bad |= hw_buf_printf(out,
                             "<text transform=\"translate(14,%.1f) "
                             "rotate(-90)\" text-anchor=\"middle\" "
                             "class=\"axis-label\">",
                             y0 + (double)n_rows * cell_h / 2);
        bad |= hw_html_esc(out, c->y_label);
        bad |= hw_buf_printf(out, "</text>");
        for (size_t r = 0; r < n_rows; r++) {
                double y = y0 + (double)r * cell_h;
                bad |= text_at(out, x0 - 8, y + cell_h / 2 + 4, "end", NULL,
                               rows[r], 22);
                for (size_t k = 0; k < n_cols; k++) {
                        int64_t v = cells[r * n_cols + k];
                        double f = (double)v / (double)max;
                        char fill[8];
                        shade(f, fill, sizeof(fill));
                        bad |= hw_buf_printf(
                                out,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                                "height=\"%.1f\" fill=\"%s\" stroke=\"#fff\"/>"
                                "<text x=\"%.1f\" y=\"%.1f\" "
                                "text-anchor=\"middle\" fill=\"%s\">%" PRId64
                                "</text>",
                                x0 + (double)k * cell_w, y, cell_w, cell_h,
                                fill, x0 + ((double)k + 0.5) * cell_w,
                                y + cell_h / 2 + 4,
                                f > 0.55 ? "#ffffff"
                                : v      ? "#1d2430"
                                         : "#b8bec6",
                                v);
                        if (v)
                                order[n_order++] = (cell_pos_t){r, k, v};
                }
        }
        if (n_order > 1)
                qsort(order, n_order, sizeof(*order), by_cell);
        bad |= table_open(out, c);
        for (size_t i = 0; i < n_order; i++) {
                char cells_text[2][HW_CHART_TEXT];
                snprintf(cells_text[0], sizeof(cells_text[0]), "%s",
                         cols[order[i].k]);
                snprintf(cells_text[1], sizeof(cells_text[1]), "%" PRId64,
                         order[i].v);
                bad |= table_row(out, c, rows[order[i].r],
                                 (const char(*)[HW_CHART_TEXT])cells_text);
        }
        bad |= table_close(out);
        free(order);
        return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Timeline                                                            */
/* ------------------------------------------------------------------ */

int hw_chart_timeline(hw_buf_t *out, const hw_chart_t *c,
                      const hw_mark_t *marks, size_t n, int64_t from_ms,
                      int64_t to_ms, const char *const (*keys)[2],
                      size_t n_keys) {
        const double x0 = 140, x1 = WIDTH - 16, y0 = 30, lane_h = 30;
        const char **lanes = calloc(n + 1, sizeof(*lanes));
        int64_t first = hw_time_day(from_ms), last = hw_time_day(to_ms - 1);
        double span = (double)(last - first + 1) * (double)HW_DAY_MS;
        size_t n_lanes = 0;
        int bad;

        if (!lanes)
                return -1;
        for (size_t i = 0; i < n; i++) {
                size_t l = 0;
                while (l < n_lanes && strcmp(lanes[l], marks[i].lane))
                        l++;
                if (l == n_lanes)
                        lanes[n_lanes++] = marks[i].lane;
        }
        bad = fig_open(
                out, c,
                (int)(y0 + (double)(n_lanes ? n_lanes : 1) * lane_h + AXIS_H));
        for (size_t k = 0; k < n_keys; k++) {
                double x = x0 + (double)k * 100;
                bad |= hw_buf_printf(out,
                                     "<circle cx=\"%.1f\" cy=\"12\" r=\"5\" "
                                     "fill=\"%s\"/>",
                                     x + 6, keys[k][1]);
                bad |= text_at(out, x + 16, 16, "start", NULL, keys[k][0], 0);
        }
        bad |= day_axis(out, first, last, x0, x1, y0,
                        y0 + (double)n_lanes * lane_h);
        for (size_t l = 0; l < n_lanes; l++) {
                double y = y0 + ((double)l + 0.5) * lane_h;
                bad |= hw_buf_printf(out,
                                     "<line x1=\"%.1f\" y1=\"%.1f\" "
                                     "x2=\"%.1f\" y2=\"%.1f\" "
                                     "stroke=\"%s\"/>",
                                     x0, y, x1, y, COLOUR_GRID);
                bad |= text_at(out, x0 - 8, y + 4, "end", NULL, lanes[l], 18);
        }
        for (size_t i = 0; i < n; i++) {
                size_t l = 0;
                double x = x0 + (double)(marks[i].ms - first * HW_DAY_MS) /
                                        span * (x1 - x0);
                while (strcmp(lanes[l], marks[i].lane))
                        l++;
                bad |= hw_buf_printf(out,
                                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" "
                                     "fill=\"%s\" fill-opacity=\"0.85\" "
                                     "stroke=\"#ffffff\"><title>",
                                     x, y0 + ((double)l + 0.5) * lane_h,
                                     marks[i].colour);
                bad |= hw_html_esc(out, marks[i].what);
                bad |= hw_buf_printf(out, "</title></circle>");
        }
        bad |= axis_labels(out, c, x0, x1, y0 + (double)n_lanes * lane_h + 38,
                           14, y0, y0 + (double)n_lanes * lane_h);
        bad |= hw_buf_printf(out, "</svg></figure>");
        free(lanes);
        return bad ? -1 : 0;
}
