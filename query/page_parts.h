/*
 * What the files of the report page share (page.h is its interface):
 * page.c the frame and these helpers, page_labs.c the labs, their
 * composition and who hires from whom, page_market.c country flows,
 * offers and alerts. Each section appends to p->out and sets p->bad when
 * memory runs out; names from the data go through hw_page_esc.
 */
#ifndef HW_PAGE_PARTS_H
#define HW_PAGE_PARTS_H

#include <jansson.h>
#include <stdint.h>

#include "chart.h"
#include "hw_buf.h"
#include "page.h"

/* What every section needs: the document, what its notes say, and the
 * output (bad set at the first failure). */
typedef struct hw_page_s {
        hw_buf_t *out;
        const json_t *doc;
        const char *window;
        int64_t window_days; /* 0: all */
        int64_t watermark;   /* ms; 0: none */
        char as_of[40];
        char note[200];       /* windowed charts */
        char gauge_note[200]; /* current members */
        int bad;
} hw_page_t;

/* A name and its count, of a {name: count} object. */
typedef struct hw_page_item_s {
        const char *name;
        int64_t count;
} hw_page_item_t;

/* obj[k] as a string ("" when it is none) or an integer (0). */
const char *hw_page_jstr(const json_t *o, const char *k);
int64_t hw_page_jint(const json_t *o, const char *k);

/* Appends our own markup (no data in it; at most 511 bytes). */
void hw_page_put(hw_page_t *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Appends text from the data, escaped. */
void hw_page_esc(hw_page_t *p, const char *s);

/* Fills c for a chart: its id, title, note, axis labels and the
 * headings of its numbers table (the label's, then the cells', NULL
 * ending them; at most HW_CHART_CELLS + 1 are kept). Every other field 0. */
void hw_page_chart_init(hw_chart_t *c, const char *id, const char *title,
                        const char *note, const char *x_label,
                        const char *y_label, ...) __attribute__((sentinel));

/* Takes the result of a chart function (chart.h). */
void hw_page_chart(hw_page_t *p, int rc);

/* Orders items by count, most first, then by name. */
int hw_page_by_count(const void *a, const void *b);

/* The items of obj, most first, in a new array (*n of them); NULL when
 * out of memory. */
hw_page_item_t *hw_page_items(const json_t *obj, size_t *n);

/*
 * Bars for the largest items (shown in all) and, when there are more, one
 * grey bar for the rest ("<k> other <what>", written in other_label),
 * with their counts and shares of the whole, adding up to 100.0%. NULL
 * when out of memory; *n_bars the bars made (the caller frees them).
 */
hw_bar_t *hw_page_share_bars(const hw_page_item_t *items, size_t n,
                             size_t shown, const char *what, char *other_label,
                             size_t size, size_t *n_bars);

/* Writes a section's error in place of its charts when the document has
 * one there ({"error": ...}): 1, else 0. */
int hw_page_section_error(hw_page_t *p, const json_t *part);

/* The sections, in page order. */
void hw_page_labs(hw_page_t *p);
void hw_page_lab(hw_page_t *p, const json_t *lab, size_t i);
void hw_page_moves(hw_page_t *p);
void hw_page_flows(hw_page_t *p);
void hw_page_offers(hw_page_t *p);
void hw_page_alerts(hw_page_t *p);

#endif
