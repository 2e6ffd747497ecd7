/*
 * The country files of the config (SPEC §7): talent bases
 * (countries.bases.file, "code,base") and country groups
 * (countries.groups.file, "group,country"), read into the config's
 * country table, each bad line named with its file and line number.
 */
#include "hw_config_int.h"

typedef struct country_table_s {
        hw_country_conf_t countries[HW_CONFIG_MAX_COUNTRIES];
        size_t n_countries;
        char *group_names[HW_CONFIG_MAX_GROUPS];
        size_t n_groups;
} country_table_t;

static hw_country_conf_t *table_find(country_table_t *t, const char *code) {
        for (size_t i = 0; i < t->n_countries; i++)
                if (t->countries[i].code[0] == code[0] &&
                    t->countries[i].code[1] == code[1])
                        return &t->countries[i];
        return NULL;
}

/* A CSV file read line by line: blank lines and '#' comments skipped,
 * exactly two fields, each trimmed and stripped of "quotes". */
typedef struct csv_s {
        const char *path;
        FILE *fp;
        char *line;
        size_t cap;
        unsigned long lineno;
        unsigned long data_lines;
        hw_err_t err; /* what csv_next failed with */
} csv_t;

static void csv_strip(char **f) {
        size_t n;
        *f = hw_conf_trim(*f);
        n = strlen(*f);
        if (n >= 2 && (*f)[0] == '"' && (*f)[n - 1] == '"') {
                (*f)[n - 1] = '\0';
                (*f)++;
                *f = hw_conf_trim(*f);
        }
}

/* Returns 1 with the two fields, 0 at the end of the file, -1 on error
 * (errstr "FILE:LINE: why", r->err HW_ERR_ARG for what the file says,
 * HW_ERR_IO when it cannot be read). */
static int csv_next(csv_t *r, const char *what, char **f1, char **f2,
                    char *errstr, size_t size) {
        ssize_t len;
        while ((len = getline(&r->line, &r->cap, r->fp)) >= 0) {
                char *s = r->line, *comma;
                r->lineno++;
                if (memchr(r->line, '\0', (size_t)len)) {
                        r->err = hw_fail(HW_ERR_ARG, errstr, size,
                                         "%s:%lu: NUL byte in line", r->path,
                                         r->lineno);
                        return -1;
                }
                if (r->lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
                        s += 3;
                s = hw_conf_trim(s);
                if (!*s || *s == '#')
                        continue;
                comma = strchr(s, ',');
                if (!comma || strchr(comma + 1, ',')) {
                        r->err = hw_fail(HW_ERR_ARG, errstr, size,
                                         "%s:%lu: expected two fields \"%s\"",
                                         r->path, r->lineno, what);
                        return -1;
                }
                *comma = '\0';
                *f1 = s;
                *f2 = comma + 1;
                csv_strip(f1);
                csv_strip(f2);
                r->data_lines++;
                return 1;
        }
        if (ferror(r->fp)) {
                r->err = hw_fail(HW_ERR_IO, errstr, size,
                                 "%s: read error after line %lu", r->path,
                                 r->lineno);
                return -1;
        }
        return 0;
}

static hw_err_t csv_open(csv_t *r, const char *path, const char *what,
                         char *errstr, size_t size) {
        memset(r, 0, sizeof(*r));
        r->path = path;
        r->fp = fopen(path, "r");
        if (!r->fp)
                return hw_fail(HW_ERR_IO, errstr, size,
                               "cannot open %s file %s: %s", what, path,
                               strerror(errno));
        return HW_OK;
}

static void csv_close(csv_t *r) {
        free(r->line);
        if (r->fp)
                fclose(r->fp);
        memset(r, 0, sizeof(*r));
}

static hw_err_t check_code(const csv_t *r, const char *code, char *errstr,
                           size_t size) {
        if (hw_country_valid(code))
                return HW_OK;
        return hw_fail(HW_ERR_ARG, errstr, size,
                       "%s:%lu: \"%.*s%s\" is not an assigned ISO 3166-1 "
                       "alpha-2 code in upper case",
                       r->path, r->lineno, SHOWN(code));
}

/* A positive, finite decimal number (digits, '.', exponent). */
static int parse_base(const char *s, double *out) {
        char *end;
        double v;
        if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
                return -1;
        errno = 0;
        v = strtod(s, &end);
        if (*end || errno || !isfinite(v) || v <= 0)
                return -1;
        *out = v;
        return 0;
}

/* One data row of a country file: its two fields (trimmed), into t.
 * Says what is wrong (naming the file and line) and returns an error, or
 * HW_OK. */
typedef hw_err_t (*csv_row_fn)(country_table_t *t, const csv_t *r, char *f1,
                               char *f2, char *errstr, size_t size);

/* Reads the CSV file at path (what: its name in errors), two columns,
 * named h1 and h2 in a header row that may come first, and hands each
 * data row to row. The first error stops it. */
static hw_err_t csv_each(country_table_t *t, const char *path, const char *what,
                         const char *h1, const char *h2, csv_row_fn row,
                         char *errstr, size_t size) {
        char cols[64], *f1, *f2;
        csv_t r;
        int got;
        hw_err_t err = csv_open(&r, path, what, errstr, size);

        if (err)
                return err;
        snprintf(cols, sizeof(cols), "%s,%s", h1, h2);
        while ((got = csv_next(&r, cols, &f1, &f2, errstr, size)) > 0) {
                if (r.data_lines == 1 && !strcasecmp(f1, h1) &&
                    !strcasecmp(f2, h2))
                        continue; /* header */
                if ((err = row(t, &r, f1, f2, errstr, size)))
                        break;
        }
        if (got < 0)
                err = r.err;
        csv_close(&r);
        return err;
}

/* A row of the bases file: a country and its talent base. */
static hw_err_t base_row(country_table_t *t, const csv_t *r, char *code,
                         char *num, char *errstr, size_t size) {
        hw_country_conf_t *cc;
        double base;
        hw_err_t err;

        if ((err = check_code(r, code, errstr, size)))
                return err;
        if (table_find(t, code))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s:%lu: %s is listed twice", r->path, r->lineno,
                               code);
        if (parse_base(num, &base))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s:%lu: base \"%.*s%s\" of %s is not a "
                               "positive number",
                               r->path, r->lineno, SHOWN(num), code);
        if (t->n_countries == HW_CONFIG_MAX_COUNTRIES)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s:%lu: more than %d countries", r->path,
                               r->lineno, HW_CONFIG_MAX_COUNTRIES);
        cc = &t->countries[t->n_countries++];
        memset(cc, 0, sizeof(*cc));
        memcpy(cc->code, code, 2);
        cc->base = base;
        return HW_OK;
}

static int group_name_ok(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > CONF_GROUP_NAME_MAX)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                      *s == '_' || *s == '-'))
                        return 0;
        return 1;
}

/* A row of the groups file: a group and one of its countries. */
static hw_err_t group_row(country_table_t *t, const csv_t *r, char *name,
                          char *code, char *errstr, size_t size) {
        hw_country_conf_t *cc;
        size_t g;
        hw_err_t err;

        if (!group_name_ok(name))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s:%lu: group name \"%.*s%s\" is not "
                               "1-32 of a-z, 0-9, '_' and '-'",
                               r->path, r->lineno, SHOWN(name));
        if ((err = check_code(r, code, errstr, size)))
                return err;
        for (g = 0; g < t->n_groups; g++)
                if (!strcmp(t->group_names[g], name))
                        break;
        if (g == t->n_groups) {
                if (g == HW_CONFIG_MAX_GROUPS)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s:%lu: more than %d groups", r->path,
                                       r->lineno, HW_CONFIG_MAX_GROUPS);
                t->group_names[g] = strdup(name);
                if (!t->group_names[g])
                        return hw_fail(HW_ERR_NOMEM, errstr, size,
                                       "%s:%lu: out of memory", r->path,
                                       r->lineno);
                t->n_groups++;
        }
        cc = table_find(t, code);
        if (!cc) {
                if (t->n_countries == HW_CONFIG_MAX_COUNTRIES)
                        return hw_fail(HW_ERR_ARG, errstr, size,
                                       "%s:%lu: more than %d countries",
                                       r->path, r->lineno,
                                       HW_CONFIG_MAX_COUNTRIES);
                cc = &t->countries[t->n_countries++];
                memset(cc, 0, sizeof(*cc));
                memcpy(cc->code, code, 2); /* base 0: none */
        }
        if (cc->groups & (UINT32_C(1) << g))
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "%s:%lu: %s is listed twice in group %s",
                               r->path, r->lineno, code, name);
        cc->groups |= UINT32_C(1) << g;
        return HW_OK;
}

hw_err_t hw_config_load_countries(hw_config_t *c, char *errstr, size_t size) {
        country_table_t *t = calloc(1, sizeof(*t));
        hw_err_t err = HW_OK;

        if (!t)
                return hw_fail(HW_ERR_NOMEM, errstr, size,
                               "country table: out of memory");
        if (c->bases_file)
                err = csv_each(t, c->bases_file, "country bases", "country",
                               "base", base_row, errstr, size);
        if (!err && c->groups_file)
                err = csv_each(t, c->groups_file, "country groups", "group",
                               "country", group_row, errstr, size);
        if (!err) {
                /* Swap the new table in; c is untouched on error. */
                for (size_t i = 0; i < c->n_groups; i++)
                        free(c->group_names[i]);
                memset(c->group_names, 0, sizeof(c->group_names));
                memcpy(c->group_names, t->group_names, sizeof(t->group_names));
                c->n_groups = t->n_groups;
                memcpy(c->countries, t->countries, sizeof(t->countries));
                c->n_countries = t->n_countries;
        } else {
                for (size_t i = 0; i < t->n_groups; i++)
                        free(t->group_names[i]);
        }
        free(t);
        return err;
}

const hw_country_conf_t *hw_config_country(const hw_config_t *c,
                                           const char *code) {
        if (!code || !code[0] || !code[1] || code[2])
                return NULL;
        for (size_t i = 0; i < c->n_countries; i++)
                if (c->countries[i].code[0] == code[0] &&
                    c->countries[i].code[1] == code[1])
                        return &c->countries[i];
        return NULL;
}
