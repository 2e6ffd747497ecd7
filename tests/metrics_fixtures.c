/* The metrics tests' shared helpers (metrics_fixtures.h). */
#include "metrics_fixtures.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_err.h"
#include "hw_test.h"

/* True when text holds `line` as a whole line. */
int has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        const char *p = text;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);
                if (len == n && !memcmp(p, line, n))
                        return 1;
                p = eol ? eol + 1 : NULL;
        }
        return 0;
}

int check_line_(const char *text, const char *line, const char *file, int l) {
        int ok = has_line(text, line);
        if (!hw_test_report(ok, file, l, "exposition has the line \"%s\"",
                            line))
                fprintf(stderr, "    exposition:\n%s", text ? text : "NULL");
        return ok;
}

int check_no_line_(const char *text, const char *line, const char *file,
                   int l) {
        return hw_test_report(!has_line(text, line), file, l,
                              "exposition has no line \"%s\"", line);
}

/* Renders m into buf (kept NUL-terminated) and returns the text. */
const char *render(hw_metrics_t *m, hw_buf_t *buf) {
        if (!HW_CHECK_EQ_INT(hw_metrics_render(m, buf), HW_OK) || !buf->data)
                return "";
        HW_CHECK_EQ_INT(buf->data[buf->len], '\0');
        HW_CHECK_EQ_INT(strlen(buf->data), buf->len);
        return buf->data;
}

/* ------------------------------------------------------------------ */
/* A checker of the text exposition format 0.0.4                       */
/* ------------------------------------------------------------------ */

static int is_name_char(char c, int first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               c == ':' || (!first && c >= '0' && c <= '9');
}

/* Length of the metric or label name at p (0 when there is none). */
static size_t name_len(const char *p) {
        size_t n = 0;
        while (is_name_char(p[n], n == 0))
                n++;
        return n;
}

/*
 * Checks every line: "# HELP name text" then "# TYPE name type" once per
 * family, samples grouped under their family (histograms with _bucket,
 * _sum, _count), labels name="escaped value", and a float value. Each
 * problem is a failed check naming the line.
 */
void check_exposition(const char *text) {
        char family[128] = "", type[16] = "", help[128] = "";
        char seen[64][128];
        size_t n_seen = 0, lineno = 0;
        const char *p = text;

        if (!HW_CHECK(text && *text))
                return;
        HW_CHECK_MSG(text[strlen(text) - 1] == '\n',
                     "exposition ends with a newline");
        while (*p) {
                const char *eol = strchr(p, '\n');
                char line[1024];
                size_t len;

                lineno++;
                if (!HW_CHECK_MSG(eol, "line %zu ends with \\n", lineno))
                        return;
                len = (size_t)(eol - p);
                if (!HW_CHECK_MSG(len < sizeof(line), "line %zu too long",
                                  lineno))
                        return;
                memcpy(line, p, len);
                line[len] = '\0';
                p = eol + 1;
                HW_CONTEXT("line %zu: %s", lineno, line);

                if (!strncmp(line, "# HELP ", 7)) {
                        size_t n = name_len(line + 7);
                        HW_CHECK(n > 0 && n < sizeof(help));
                        HW_CHECK(line[7 + n] == ' ' && line[8 + n] != '\0');
                        snprintf(help, sizeof(help), "%.*s", (int)n, line + 7);
                        for (size_t i = 0; i < n_seen; i++)
                                HW_CHECK_MSG(strcmp(seen[i], help) != 0,
                                             "family %s appears twice", help);
                        continue;
                }
                if (!strncmp(line, "# TYPE ", 7)) {
                        size_t n = name_len(line + 7);
                        const char *t = line + 8 + n;
                        HW_CHECK(n > 0 && n < sizeof(family));
                        snprintf(family, sizeof(family), "%.*s", (int)n,
                                 line + 7);
                        HW_CHECK_MSG(!strcmp(family, help),
                                     "# TYPE follows the # HELP of %s", family);
                        HW_CHECK(line[7 + n] == ' ');
                        HW_CHECK_MSG(!strcmp(t, "counter") ||
                                             !strcmp(t, "gauge") ||
                                             !strcmp(t, "histogram"),
                                     "known type");
                        snprintf(type, sizeof(type), "%s", t);
                        if (HW_CHECK(n_seen < 64))
                                snprintf(seen[n_seen++], sizeof(seen[0]), "%s",
                                         family);
                        help[0] = '\0';
                        continue;
                }
                HW_CHECK_MSG(line[0] != '#', "only HELP and TYPE comments");

                /* A sample: name{labels} value */
                size_t n = name_len(line);
                char name[128];
                const char *q = line + n;
                if (!HW_CHECK(n > 0 && n < sizeof(name) && family[0]))
                        continue;
                snprintf(name, sizeof(name), "%.*s", (int)n, line);
                int ok = !strcmp(name, family);
                if (!strcmp(type, "histogram")) {
                        size_t f = strlen(family);
                        ok = !strncmp(name, family, f) &&
                             (!strcmp(name + f, "_bucket") ||
                              !strcmp(name + f, "_sum") ||
                              !strcmp(name + f, "_count"));
                }
                HW_CHECK_MSG(ok, "sample %s belongs to family %s", name,
                             family);
                if (*q == '{') {
                        q++;
                        while (*q != '}') {
                                size_t ln = name_len(q);
                                if (!HW_CHECK_MSG(ln > 0 && q[ln] == '=' &&
                                                          q[ln + 1] == '"',
                                                  "label name=\""))
                                        break;
                                q += ln + 2;
                                while (*q && *q != '"') {
                                        if (*q == '\\') {
                                                HW_CHECK_MSG(
                                                        q[1] == '\\' ||
                                                                q[1] == '"' ||
                                                                q[1] == 'n',
                                                        "escape \\%c", q[1]);
                                                q++;
                                        }
                                        if (*q)
                                                q++;
                                }
                                if (!HW_CHECK_MSG(*q == '"', "closing quote"))
                                        break;
                                q++;
                                if (*q == ',')
                                        q++;
                                else if (!HW_CHECK_MSG(*q == '}',
                                                       "} after labels"))
                                        break;
                        }
                        if (*q == '}')
                                q++;
                }
                if (!HW_CHECK_MSG(*q == ' ', "space before the value"))
                        continue;
                q++;
                if (strcmp(q, "+Inf") && strcmp(q, "-Inf") &&
                    strcmp(q, "NaN")) {
                        char *end;
                        errno = 0;
                        strtod(q, &end);
                        HW_CHECK_MSG(*q && *end == '\0' && errno == 0,
                                     "value \"%s\" is a float", q);
                }
        }
        HW_CONTEXT("%s", "");
}
