#include "table.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"

struct hw_table_s {
        size_t ncols;
        char **headers;
        hw_align_t *aligns;
        char **cells; /* rows * ncols, row-major; NULL = empty */
        size_t rows, cap;
};

hw_table_t *hw_table_new(size_t n, const char *const *headers,
                         const hw_align_t *aligns) {
        hw_table_t *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        t->ncols = n;
        t->headers = calloc(n, sizeof(*t->headers));
        t->aligns = calloc(n, sizeof(*t->aligns));
        if (!t->headers || !t->aligns)
                goto fail;
        for (size_t i = 0; i < n; i++) {
                if (!(t->headers[i] = strdup(headers[i])))
                        goto fail;
                t->aligns[i] = aligns ? aligns[i] : HW_ALIGN_LEFT;
        }
        return t;
fail:
        hw_table_destroy(t);
        return NULL;
}

void hw_table_destroy(hw_table_t *t) {
        if (!t)
                return;
        for (size_t i = 0; t->headers && i < t->ncols; i++)
                free(t->headers[i]);
        for (size_t i = 0; i < t->rows * t->ncols; i++)
                free(t->cells[i]);
        free(t->headers);
        free(t->aligns);
        free(t->cells);
        free(t);
}

int hw_table_add_row(hw_table_t *t) {
        /* t->cap counts rows of ncols cells. */
        if (hw_grow((void **)&t->cells, &t->cap, t->rows + 1,
                    t->ncols * sizeof(*t->cells)))
                return -1;
        memset(&t->cells[t->rows * t->ncols], 0, t->ncols * sizeof(*t->cells));
        t->rows++;
        return 0;
}

size_t hw_table_rows(const hw_table_t *t) {
        return t->rows;
}

/* A copy of s that is valid UTF-8: bad bytes become U+FFFD. NULL when
 * out of memory. */
char *hw_table_utf8(const char *s) {
        size_t n = strlen(s);
        char *out = malloc(n * 3 + 1), *o = out;
        const unsigned char *p = (const unsigned char *)s;

        if (!out)
                return NULL;
        while (*p) {
                size_t len = 0;
                unsigned cp = 0;
                if (*p < 0x80)
                        len = 1, cp = *p;
                else if ((*p & 0xe0) == 0xc0)
                        len = 2, cp = *p & 0x1f;
                else if ((*p & 0xf0) == 0xe0)
                        len = 3, cp = *p & 0x0f;
                else if ((*p & 0xf8) == 0xf0)
                        len = 4, cp = *p & 0x07;
                for (size_t i = 1; i < len; i++) {
                        if ((p[i] & 0xc0) != 0x80) {
                                len = 0;
                                break;
                        }
                        cp = cp << 6 | (p[i] & 0x3f);
                }
                if (len == 0 || (len == 2 && cp < 0x80) ||
                    (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        p++;
                        continue;
                }
                memcpy(o, p, len);
                o += len;
                p += len;
        }
        *o = '\0';
        return out;
}

char *hw_table_text(const char *s) {
        char *out = hw_table_utf8(s), *o = out;

        if (!out)
                return NULL;
        /* Valid UTF-8 now: a C1 control is U+0080-U+009F, "\xc2\x80" to
         * "\xc2\x9f". */
        for (const char *p = out; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c < 0x20 || c == 0x7f) {
                        *o++ = '?';
                } else if (c == 0xc2 && (unsigned char)p[1] >= 0x80 &&
                           (unsigned char)p[1] <= 0x9f) {
                        *o++ = '?';
                        p++;
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
        return out;
}

int hw_table_set(hw_table_t *t, size_t col, const char *fmt, ...) {
        char **cell, *text = NULL;
        va_list ap;
        int n;

        if (!t->rows || col >= t->ncols)
                return -1;
        cell = &t->cells[(t->rows - 1) * t->ncols + col];
        free(*cell);
        *cell = NULL;
        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -1;
        *cell = hw_table_text(text);
        free(text);
        return *cell ? 0 : -1;
}

size_t hw_table_width(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        w++;
        return w;
}

/* Writes one line: the cells of a row (or the headers). */
static void print_line(const hw_table_t *t, char *const *cells,
                       const size_t *widths, FILE *out, const char *indent) {
        size_t last = t->ncols;

        /* Trailing empty left-aligned cells would only print spaces. */
        while (last > 0 && t->aligns[last - 1] == HW_ALIGN_LEFT &&
               (!cells[last - 1] || !cells[last - 1][0]))
                last--;
        fputs(indent, out);
        for (size_t c = 0; c < last; c++) {
                const char *s = cells[c] ? cells[c] : "";
                size_t pad = widths[c] - hw_table_width(s);
                if (c > 0)
                        fputs("  ", out);
                if (t->aligns[c] == HW_ALIGN_RIGHT)
                        fprintf(out, "%*s", (int)pad, "");
                fputs(s, out);
                if (t->aligns[c] == HW_ALIGN_LEFT && c + 1 < last)
                        fprintf(out, "%*s", (int)pad, "");
        }
        fputc('\n', out);
}

int hw_table_print(const hw_table_t *t, FILE *out, const char *indent) {
        size_t *widths = calloc(t->ncols ? t->ncols : 1, sizeof(*widths));

        if (!widths)
                return -1;
        for (size_t c = 0; c < t->ncols; c++) {
                widths[c] = hw_table_width(t->headers[c]);
                for (size_t r = 0; r < t->rows; r++) {
                        const char *s = t->cells[r * t->ncols + c];
                        size_t w = s ? hw_table_width(s) : 0;
                        if (w > widths[c])
                                widths[c] = w;
                }
        }
        print_line(t, t->headers, widths, out, indent);
        for (size_t r = 0; r < t->rows; r++)
                print_line(t, &t->cells[r * t->ncols], widths, out, indent);
        free(widths);
        return 0;
}

void hw_csv_field(FILE *out, const char *s) {
        if (!s[strcspn(s, ",\"\r\n")]) {
                fputs(s, out);
                return;
        }
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', out);
                fputc(*s, out);
        }
        fputc('"', out);
}

static void csv_line(const hw_table_t *t, char *const *cells, FILE *out) {
        for (size_t c = 0; c < t->ncols; c++) {
                if (c > 0)
                        fputc(',', out);
                hw_csv_field(out, cells[c] ? cells[c] : "");
        }
        fputc('\n', out);
}

void hw_table_print_csv(const hw_table_t *t, FILE *out) {
        csv_line(t, t->headers, out);
        for (size_t r = 0; r < t->rows; r++)
                csv_line(t, &t->cells[r * t->ncols], out);
}

void hw_table_percent(int64_t part, int64_t whole, char *out, size_t size) {
        if (whole == 0)
                snprintf(out, size, "-");
        else
                snprintf(out, size, "%.1f%%",
                         (double)part * 100.0 / (double)whole);
}

void hw_table_money(int64_t usd, char *out, size_t size) {
        static const struct {
                double unit;
                const char *suffix;
        } units[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
        const char *sign = usd < 0 ? "-" : "";
        double v = usd < 0 ? -(double)usd : (double)usd;
        size_t i;

        if (v < 1000) {
                snprintf(out, size, "%s$%.0f", sign, v);
                return;
        }
        for (i = 0; i + 1 < sizeof(units) / sizeof(*units); i++)
                if (v >= units[i].unit)
                        break;
        /* 999,960,000 rounds to "1000M": say "$1B" instead. */
        if (i > 0 && v / units[i].unit >= 999.5)
                i--;
        v /= units[i].unit;
        if (v >= 99.95 || (double)llround(v * 10) / 10 == (double)llround(v))
                snprintf(out, size, "%s$%.0f%s", sign, v, units[i].suffix);
        else
                snprintf(out, size, "%s$%.1f%s", sign, v, units[i].suffix);
}
