/*
 * What the metrics tests share (test_metrics.c, test_metrics_http.c):
 * checks that an exposition has (or has not) a line, rendering into a
 * buffer, and a checker of the whole text against the exposition format
 * 0.0.4.
 */
#ifndef HW_TEST_METRICS_FIXTURES_H
#define HW_TEST_METRICS_FIXTURES_H

#include "hw_buf.h"
#include "hw_metrics.h"

/* True when text holds `line` as a whole line. */
int has_line(const char *text, const char *line);

/* Checks (file and line of the caller) that the exposition text has, or
 * has not, `line` as a whole line. */
int check_line_(const char *text, const char *line, const char *file, int l);
#define CHECK_LINE(text, line) check_line_((text), (line), __FILE__, __LINE__)
int check_no_line_(const char *text, const char *line, const char *file, int l);
#define CHECK_NO_LINE(text, line)                                              \
        check_no_line_((text), (line), __FILE__, __LINE__)

/* Renders m into buf (kept NUL-terminated) and returns the text. */
const char *render(hw_metrics_t *m, hw_buf_t *buf);

/*
 * Checks every line: "# HELP name text" then "# TYPE name type" once per
 * family, samples grouped under their family (histograms with _bucket,
 * _sum, _count), labels name="escaped value", and a float value. Each
 * problem is a failed check naming the line.
 */
void check_exposition(const char *text);

#endif
