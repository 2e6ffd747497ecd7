/*
 * Charts of the report page (page.c): inline SVG, drawn from numbers the
 * caller worked out, each in a <figure> with its title, the window and
 * the "as of" line, axis labels, every number as text by its mark, and a
 * table of the numbers (for screen readers and copy-paste).
 *
 * Every text that may come from the data (names, titles that hold them)
 * is HTML-escaped here; the caller writes no markup of its own into
 * them. Bars start at zero. Nothing here reads Redis or a clock: the
 * same input draws the same bytes.
 *
 * Each function appends to out and returns 0, or -1 when memory ran out
 * (out then holds part of the chart: the caller drops the page).
 */
#ifndef HW_CHART_H
#define HW_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "hw_buf.h"

#define HW_CHART_CELLS 6 /* numbers-table columns after the label */
#define HW_CHART_TEXT 48 /* room for one number's text */

/* How a bar is drawn. */
typedef enum hw_bar_style_e {
        HW_BAR_MAIN = 0, /* the chart's colour (diverging: by its sign) */
        HW_BAR_OTHER,    /* grey: what the chart groups together */
        HW_BAR_MARK,     /* the highlight: the country the page marks */
} hw_bar_style_t;

/* One bar (or row) of a chart. */
typedef struct hw_bar_s {
        const char *label; /* from the data */
        double value;
        hw_bar_style_t style;
        char text[HW_CHART_TEXT];                  /* drawn by the bar */
        char cells[HW_CHART_CELLS][HW_CHART_TEXT]; /* table columns */
        int64_t parts[4]; /* stacked charts: the row's series */
} hw_bar_t;

/* What every chart has around its marks. */
typedef struct hw_chart_s {
        const char *id;      /* unique in the page (letters, digits, -) */
        const char *title;   /* may hold names from the data */
        const char *note;    /* the window and the watermark */
        const char *x_label; /* the value axis */
        const char *y_label; /* the category axis */
        int money;           /* the value axis in dollars ($500M) */
        int narrow;          /* drawn half as wide (two side by side) */
        /* The numbers table's headings: the label's, then one per cell
         * (NULL ends them). */
        const char *columns[HW_CHART_CELLS + 2];
} hw_chart_t;

/* Appends s HTML-escaped (& < > " '; control characters and bytes that
 * are not UTF-8 as U+FFFD), for text and attribute values alike. */
int hw_html_esc(hw_buf_t *out, const char *s);

/* hw_html_esc of s cut to max code points, the cut marked by "…". */
int hw_html_esc_cut(hw_buf_t *out, const char *s, size_t max);

/* Horizontal bars from zero, one per row (values >= 0). */
int hw_chart_hbars(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *bars,
                   size_t n);

/* Diverging bars: left of zero for a negative value, right for a
 * positive one (HW_BAR_MARK rows highlighted); the numbers in a column
 * of their own on the right. */
int hw_chart_diverging(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *bars,
                       size_t n);

/* Stacked horizontal bars: each row's parts[0..n_series) side by side
 * from zero, coloured by series (named in series, shown in a legend). */
int hw_chart_stacked(hw_buf_t *out, const hw_chart_t *c, const hw_bar_t *bars,
                     size_t n, const char *const *series, size_t n_series);

/* Columns per day: values[i] on day first_day + i (days since
 * 1970-01-01) for n_days days; the table lists the days that have any. */
int hw_chart_days(hw_buf_t *out, const hw_chart_t *c, int64_t first_day,
                  const int64_t *values, size_t n_days);

/* A matrix: cells[r * n_cols + k] for row r (y axis) and column k
 * (x axis), shaded by size, each number written in its cell; the table
 * lists the cells that are not zero, largest first. */
int hw_chart_matrix(hw_buf_t *out, const hw_chart_t *c, const char *const *rows,
                    size_t n_rows, const char *const *cols, size_t n_cols,
                    const int64_t *cells);

/* One mark of a timeline. */
typedef struct hw_mark_s {
        int64_t ms;         /* when (x) */
        const char *lane;   /* which row (y): marks of one lane share it */
        const char *colour; /* "#rrggbb" */
        const char *what;   /* its tooltip (from the data) */
} hw_mark_t;

/* A timeline from from_ms to to_ms: one row per lane (in order of first
 * appearance), a dot per mark; legend: n_keys (name, colour) pairs. */
int hw_chart_timeline(hw_buf_t *out, const hw_chart_t *c,
                      const hw_mark_t *marks, size_t n, int64_t from_ms,
                      int64_t to_ms, const char *const (*keys)[2],
                      size_t n_keys);

#endif
