/*
 * The report page (one self-contained HTML file: inline CSS and SVG, no
 * network, no script of its own) drawn from the report document
 * (hw_qdoc_report): the labs ranking, the chosen labs' composition and
 * hires per day, who hires from whom, country flows with Korea marked,
 * offers by organisation and the alerts on a timeline. `serve` draws the
 * same page with a script that keeps it live.
 *
 * Drawing is a pure function of the document: no Redis, no clock, so
 * the same document gives the same bytes. Every name from the data is
 * HTML-escaped.
 */
#ifndef HW_PAGE_H
#define HW_PAGE_H

#include <jansson.h>

#include "hw_buf.h"

/* How the page is drawn. */
typedef struct hw_page_opts_s {
        /* serve: the nonce its Content-Security-Policy lets the page's
         * script run with (letters and digits); NULL: a file, no script,
         * a policy that lets nothing load. */
        const char *nonce;
} hw_page_opts_t;

/* Appends the page of report (a hw_qdoc_report document) to out. 0, or
 * -1 when out of memory (out then holds part of a page). */
int hw_page_render(const json_t *report, const hw_page_opts_t *opts,
                   hw_buf_t *out);

/* Appends a page that says why there is no report (title and message,
 * escaped); a live one (opts->nonce) tries again every few seconds. 0, or
 * -1 when out of memory. */
int hw_page_error(const char *title, const char *message,
                  const hw_page_opts_t *opts, hw_buf_t *out);

#endif
