/*
 * Unit tests for the country files of the config (config/hw_countries.c):
 * the bases and groups shipped in deploy/config/ (found through
 * HW_SRC_DIR, set by ctest, else relative to this source file) and broken
 * ones written to temp files.
 */
#include "config_fixtures.h"

/* ------------------------------------------------------------------ */
/* Country bases and groups                                            */
/* ------------------------------------------------------------------ */

static const char *const oecd38[] = {
        "AU", "AT", "BE", "CA", "CL", "CO", "CR", "CZ", "DK", "EE",
        "FI", "FR", "DE", "GR", "HU", "IS", "IE", "IL", "IT", "JP",
        "KR", "LV", "LT", "LU", "MX", "NL", "NZ", "NO", "PL", "PT",
        "SK", "SI", "ES", "SE", "CH", "TR", "GB", "US",
};

static void test_countries_shipped(void) {
        static const char *const others[] = {"CN", "IN", "SG", "TW", "HK", "AE",
                                             "BR", "RU", "UA", "VN", "IR"};
        char bases[1024], groups[1024];
        hw_config_t c;
        const hw_country_conf_t *kr, *cn;
        int oecd, g7;

        src_path("deploy/config/talent-bases.csv", bases, sizeof(bases));
        src_path("deploy/config/country-groups.csv", groups, sizeof(groups));
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_set(&c, "country.bases.file", bases, errstr,
                                sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_set(&c, "country.groups.file", groups, errstr,
                                sizeof(errstr)),
                  HW_OK);
        if (!CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)),
                       HW_OK)) {
                hw_config_release(&c);
                return;
        }

        /* Groups in file order: oecd first. */
        HW_CHECK_EQ_INT(c.n_groups, 2);
        oecd = group_index(&c, "oecd");
        g7 = group_index(&c, "g7");
        HW_CHECK_EQ_INT(oecd, 0);
        HW_CHECK_EQ_INT(g7, 1);
        if (oecd < 0 || g7 < 0) {
                hw_config_release(&c);
                return;
        }
        HW_CHECK_EQ_INT(group_size(&c, oecd), 38);
        HW_CHECK_EQ_INT(group_size(&c, g7), 7);
        HW_CHECK_EQ_INT(c.n_countries, 38 + 11);

        /* Every OECD member is in the group and has a base. */
        for (size_t i = 0; i < 38; i++) {
                const hw_country_conf_t *cc = hw_config_country(&c, oecd38[i]);
                HW_CONTEXT("country %s", oecd38[i]);
                if (!HW_CHECK(cc != NULL))
                        continue;
                HW_CHECK_STR(cc->code, oecd38[i]);
                HW_CHECK(cc->groups & (UINT32_C(1) << oecd));
                HW_CHECK(cc->base > 0);
        }
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
                const hw_country_conf_t *cc = hw_config_country(&c, others[i]);
                HW_CONTEXT("country %s", others[i]);
                if (!HW_CHECK(cc != NULL))
                        continue;
                HW_CHECK_EQ_INT(cc->groups, 0);
                HW_CHECK(cc->base > 0);
        }
        HW_CONTEXT("%s", "");

        /* Korea: a base small enough that the demo's departures give an
         * index well below the brain_drain threshold of -0.30. */
        kr = hw_config_country(&c, "KR");
        if (HW_CHECK(kr != NULL)) {
                HW_CHECK(kr->base > 0 && kr->base <= 200000);
                HW_CHECK(-7.0 * 10000.0 / kr->base < -0.30);
                HW_CHECK(!(kr->groups & (UINT32_C(1) << g7)));
        }
        HW_CHECK(hw_config_country(&c, "US")->groups & (UINT32_C(1) << g7));
        HW_CHECK(hw_config_country(&c, "US")->base >
                 hw_config_country(&c, "GB")->base);
        cn = hw_config_country(&c, "CN");
        if (HW_CHECK(cn != NULL))
                HW_CHECK(!(cn->groups & (UINT32_C(1) << oecd)));

        HW_CHECK_NULL(hw_config_country(&c, "XX"));
        HW_CHECK_NULL(hw_config_country(&c, "ZA"));
        HW_CHECK_NULL(hw_config_country(&c, "kr"));
        HW_CHECK_NULL(hw_config_country(&c, "KOR"));
        HW_CHECK_NULL(hw_config_country(&c, ""));
        HW_CHECK_NULL(hw_config_country(&c, NULL));
        CHECK_ERR(hw_config_validate(&c, errstr, sizeof(errstr)), HW_OK);

        /* Loading again replaces the table (no doubling, no leak). */
        CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_EQ_INT(c.n_groups, 2);
        HW_CHECK_EQ_INT(c.n_countries, 49);
        hw_config_release(&c);
}

static void test_countries_small(void) {
        hw_config_t c;
        const hw_country_conf_t *cc;
        /* No headers; spaces, quotes and CRLF; a group-only country. */
        const char *bases = write_temp("# bases\n"
                                       "KR, 25000\r\n"
                                       "\n"
                                       "\"US\",\"500000.5\"\n"
                                       "GB,9e4\n");
        const char *groups = write_temp("nordic-5,SE\n"
                                        "g_2,KR\n"
                                        "nordic-5,NO\n"
                                        "g_2,US\n");

        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_set(&c, "country.bases.file", bases, errstr,
                                sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_set(&c, "country.groups.file", groups, errstr,
                                sizeof(errstr)),
                  HW_OK);
        if (!CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)),
                       HW_OK)) {
                hw_config_release(&c);
                return;
        }
        HW_CHECK_EQ_INT(c.n_groups, 2);
        HW_CHECK_STR(c.group_names[0], "nordic-5");
        HW_CHECK_STR(c.group_names[1], "g_2");
        HW_CHECK_EQ_INT(c.n_countries, 5);
        cc = hw_config_country(&c, "KR");
        if (HW_CHECK(cc != NULL)) {
                HW_CHECK(cc->base == 25000.0);
                HW_CHECK_EQ_INT(cc->groups, 2);
        }
        cc = hw_config_country(&c, "US");
        if (HW_CHECK(cc != NULL))
                HW_CHECK(cc->base == 500000.5);
        cc = hw_config_country(&c, "GB");
        if (HW_CHECK(cc != NULL)) {
                HW_CHECK(cc->base == 90000.0);
                HW_CHECK_EQ_INT(cc->groups, 0);
        }
        /* Only in a group: base 0 = not configured. */
        cc = hw_config_country(&c, "SE");
        if (HW_CHECK(cc != NULL)) {
                HW_CHECK(cc->base == 0.0);
                HW_CHECK_EQ_INT(cc->groups, 1);
        }

        /* No files: an empty table. */
        CHECK_ERR(hw_config_set(&c, "country.bases.file", "/nonexistent.csv",
                                errstr, sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "/nonexistent.csv");
        HW_CHECK_EQ_INT(c.n_countries, 5); /* unchanged on error */
        free(c.bases_file);
        free(c.groups_file);
        c.bases_file = c.groups_file = NULL;
        CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_EQ_INT(c.n_countries, 0);
        HW_CHECK_EQ_INT(c.n_groups, 0);
        hw_config_release(&c);
}

/* Loads a bases (is_groups 0) or groups file with text; expects HW_ERR_ARG
 * with errstr starting "PATH:LINE: " and containing want, and the country
 * table unchanged. */
static void expect_country_error(int is_groups, const char *text, int line,
                                 const char *want) {
        hw_config_t c;
        char prefix[300];
        const char *path = write_temp(text);

        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        HW_CONTEXT("%s file: %s", is_groups ? "groups" : "bases", text);
        CHECK_ERR(hw_config_set(&c,
                                is_groups ? "country.groups.file"
                                          : "country.bases.file",
                                path, errstr, sizeof(errstr)),
                  HW_OK);
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
        CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)),
                  HW_ERR_ARG);
        HW_CHECK_MSG(!strncmp(errstr, prefix, strlen(prefix)),
                     "errstr \"%s\" does not start with \"%s\"", errstr,
                     prefix);
        HW_CHECK_CONTAINS(errstr, want);
        HW_CHECK_EQ_INT(c.n_countries, 0);
        HW_CHECK_EQ_INT(c.n_groups, 0);
        HW_CONTEXT("%s", "");
        hw_config_release(&c);
}

static void test_countries_errors(void) {
        char many[2048];
        size_t n = 0;

        /* Bases. */
        expect_country_error(0, "country,base\nKR,25000\n# c\nXX,100\n", 4,
                             "\"XX\" is not an assigned ISO 3166-1 alpha-2");
        expect_country_error(0, "kr,25000\n", 1, "\"kr\"");
        expect_country_error(0, "KOR,25000\n", 1, "\"KOR\"");
        expect_country_error(0, "KR,25000\nKR,3\n", 2, "KR is listed twice");
        expect_country_error(0, "KR,0\n", 1, "base \"0\" of KR");
        expect_country_error(0, "KR,-5\n", 1, "not a positive number");
        expect_country_error(0, "KR,lots\n", 1, "not a positive number");
        expect_country_error(0, "KR,inf\n", 1, "not a positive number");
        expect_country_error(0, "KR,1e999\n", 1, "not a positive number");
        expect_country_error(0, "KR,\n", 1, "not a positive number");
        expect_country_error(0, "KR,1.2.3\n", 1, "base \"1.2.3\" of KR");
        expect_country_error(0, "KR,5e\n", 1, "base \"5e\" of KR");
        /* A quote that is not closed is part of the field. */
        expect_country_error(0, "\"KR,25000\n", 1,
                             "\"\"KR\" is not an assigned");
        /* A header row only when both columns are named. */
        expect_country_error(0, "country,size\nKR,1\n", 1,
                             "\"country\" is not an assigned");
        expect_country_error(0, "KR 25000\n", 1, "country,base");
        expect_country_error(0, "KR,25000,1\n", 1, "country,base");
        /* The header is allowed only first. */
        expect_country_error(0, "KR,1\ncountry,base\n", 2, "\"country\"");

        /* Groups. */
        expect_country_error(1, "group,country\noecd,KR\noecd,QQ\n", 3,
                             "\"QQ\" is not an assigned");
        expect_country_error(1, "OECD,KR\n", 1, "group name \"OECD\"");
        expect_country_error(1, "oecd members,KR\n", 1, "group name");
        expect_country_error(1, ",KR\n", 1, "group name");
        expect_country_error(1, "oecd~,KR\n", 1, "group name \"oecd~\"");
        expect_country_error(1, "a23456789012345678901234567890123,KR\n", 1,
                             "group name");
        expect_country_error(1, "oecd,KR\noecd,KR\n", 2,
                             "KR is listed twice in group oecd");
        expect_country_error(1, "oecd\n", 1, "group,country");

        /* At most HW_CONFIG_MAX_GROUPS groups. */
        for (int g = 0; g <= HW_CONFIG_MAX_GROUPS; g++)
                n += (size_t)snprintf(many + n, sizeof(many) - n, "g%d,KR\n",
                                      g);
        expect_country_error(1, many, HW_CONFIG_MAX_GROUPS + 1,
                             "more than 16 groups");
}

static void test_countries_ok_at_limit(void) {
        char many[2048];
        size_t n = 0;
        hw_config_t c;
        const char *path;

        for (int g = 0; g < HW_CONFIG_MAX_GROUPS; g++)
                n += (size_t)snprintf(many + n, sizeof(many) - n, "g%d,KR\n",
                                      g);
        path = write_temp(many);
        if (!CHECK_ERR(hw_config_init(&c), HW_OK))
                return;
        CHECK_ERR(hw_config_set(&c, "country.groups.file", path, errstr,
                                sizeof(errstr)),
                  HW_OK);
        CHECK_ERR(hw_config_load_countries(&c, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_EQ_INT(c.n_groups, HW_CONFIG_MAX_GROUPS);
        HW_CHECK_EQ_INT(c.n_countries, 1);
        if (c.n_countries == 1)
                HW_CHECK_EQ_INT(c.countries[0].groups, 0xFFFF);
        hw_config_release(&c);
}

/* Loads path as the bases file; returns the error (c released). */
static hw_err_t load_bases(const char *path, size_t *n_countries) {
        hw_config_t c;
        hw_err_t err;
        if (hw_config_init(&c))
                return HW_ERR_NOMEM;
        errstr[0] = '\0';
        err = hw_config_set(&c, "country.bases.file", path, errstr,
                            sizeof(errstr));
        if (!err)
                err = hw_config_load_countries(&c, errstr, sizeof(errstr));
        *n_countries = c.n_countries;
        hw_config_release(&c);
        return err;
}

/* A byte order mark opening the file is not part of its first line; a
 * NUL byte in a line, and a file that cannot be read (a folder), are
 * refused naming the file. */
static void test_countries_files(void) {
        char path[256], want[300];
        const char *dir = getenv("TMPDIR");
        size_t n = 0;
        FILE *fp;

        CHECK_ERR(load_bases(write_temp("\xEF\xBB\xBF"
                                        "country,base\nKR,25000\nUS,90000\n"),
                             &n),
                  HW_OK);
        HW_CHECK_EQ_INT(n, 2);

        snprintf(path, sizeof(path), "%s", write_temp(""));
        fp = fopen(path, "wb");
        if (HW_CHECK(fp != NULL)) {
                static const char nul[] = "KR,25000\nUS,9\0000\n";
                fwrite(nul, 1, sizeof(nul) - 1, fp);
                fclose(fp);
        }
        CHECK_ERR(load_bases(path, &n), HW_ERR_ARG);
        snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
        HW_CHECK_STR(errstr, want);

        snprintf(path, sizeof(path), "%s", dir && *dir ? dir : "/tmp");
        CHECK_ERR(load_bases(path, &n), HW_ERR_IO); /* a folder */
        snprintf(want, sizeof(want), "%s: read error after line 0", path);
        HW_CHECK_STR(errstr, want);
        HW_CHECK_EQ_INT(n, 0);
}

int main(void) {
        int rc;

        HW_RUN(test_countries_shipped);
        HW_RUN(test_countries_small);
        HW_RUN(test_countries_errors);
        HW_RUN(test_countries_ok_at_limit);
        HW_RUN(test_countries_files);

        rc = hw_test_summary();
        remove_temps();
        return rc;
}
