/*
 * Aligned text tables for hirewire-query: a header row, then rows of cells,
 * each column as wide as its widest cell counted in UTF-8 code points (so
 * "Tsinghua" and "清华大学" line up), numbers right-aligned. Cells are
 * text as hw_table_text() makes it, so a name read from Redis cannot move
 * the terminal's cursor.
 *
 * Plus the cell formats the tables share: percentages and dollar amounts.
 */
#ifndef HW_TABLE_H
#define HW_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hw_table_s hw_table_t;

typedef enum hw_align_e {
        HW_ALIGN_LEFT = 0,
        HW_ALIGN_RIGHT,
} hw_align_t;

/*
 * Creates a table with n columns, headed by the n strings in `headers`
 * (copied) and aligned by `aligns` (NULL = all left). Returns NULL when out
 * of memory.
 */
hw_table_t *hw_table_new(size_t n, const char *const *headers,
                         const hw_align_t *aligns);

/* Frees the table and its cells. Accepts NULL. */
void hw_table_destroy(hw_table_t *t);

/* Starts a new row (its cells empty until set). -1 when out of memory. */
int hw_table_add_row(hw_table_t *t);

/* Sets cell `col` of the last row to the formatted text (copied). -1 when
 * out of memory or there is no row or no such column. */
int hw_table_set(hw_table_t *t, size_t col, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* A copy of s that is valid UTF-8 (bad bytes become U+FFFD), for the
 * caller to free; NULL when out of memory. */
char *hw_table_utf8(const char *s);

/* A copy of s for a terminal or a CSV file: valid UTF-8 as hw_table_utf8()
 * makes it, with every control character (C0, DEL and C1: ESC, BEL, CSI,
 * line breaks, tabs) as '?'. For the caller to free; NULL when out of
 * memory. */
char *hw_table_text(const char *s);

/* Writes s as one CSV field (RFC 4180): quoted when it holds a comma, a
 * quote or a line break, its quotes doubled. */
void hw_csv_field(FILE *out, const char *s);

/* Writes the table as CSV: the headers, then every row. */
void hw_table_print_csv(const hw_table_t *t, FILE *out);

/* Number of rows added so far. */
size_t hw_table_rows(const hw_table_t *t);

/*
 * Writes the table to out, each line prefixed by `indent` (may be "") and
 * without trailing spaces; columns are two spaces apart. 0, or -1 when
 * out of memory (nothing is written then).
 */
int hw_table_print(const hw_table_t *t, FILE *out, const char *indent);

/* Display width of s: its UTF-8 code points (bytes that do not continue a
 * sequence). */
size_t hw_table_width(const char *s);

/* Writes part/whole as a percentage with one decimal ("40.9%"), or "-"
 * when whole is 0. */
void hw_table_percent(int64_t part, int64_t whole, char *out, size_t size);

/* Writes a dollar amount in short form: "$900", "$900k", "$12.5M",
 * "$350M", "$1.2B", "$3T" (at most one decimal, dropped from 100 up and
 * when it is .0). */
void hw_table_money(int64_t usd, char *out, size_t size);

#endif
