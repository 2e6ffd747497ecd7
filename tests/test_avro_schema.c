/*
 * Unit tests of hw_avro_schema_parse: schema texts from a Schema Registry
 * that define a named type twice are refused with the name before Avro C
 * parses them (Avro C loses memory on them: under valgrind and ASan these
 * tests leak without the check), and every other text parses as Avro C
 * parses it.
 */
#include <string.h>

#include "hw_avro_schema.h"
#include "hw_test.h"

static char errstr[512];

#define ENUM_E "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}"
#define RECORD(name, fields)                                                   \
        "{\"type\":\"record\",\"name\":\"" name "\",\"fields\":[" fields "]}"
#define RECORD_NS(name, ns, fields)                                            \
        "{\"type\":\"record\",\"name\":\"" name "\",\"namespace\":\"" ns       \
        "\",\"fields\":[" fields "]}"
#define ENUM_NS_B                                                              \
        "{\"type\":\"enum\",\"name\":\"E\",\"namespace\":\"b\",\"symbols\":["  \
        "\"X\"]}"
#define ENUM_B_E "{\"type\":\"enum\",\"name\":\"b.E\",\"symbols\":[\"X\"]}"
#define ARRAY_OF_F                                                             \
        "{\"type\":\"array\",\"items\":{\"type\":\"fixed\",\"name\":\"F\","    \
        "\"size\":1}}"
#define MAP_OF_A_F                                                             \
        "{\"type\":\"map\",\"values\":{\"type\":\"fixed\",\"name\":\"a.F\","   \
        "\"size\":1}}"
#define FIELD(name, type) "{\"name\":\"" name "\",\"type\":" type "}"

static hw_err_t parse(const char *json, avro_schema_t *s) {
        errstr[0] = '\0';
        return hw_avro_schema_parse(json, strlen(json), s, errstr,
                                    sizeof(errstr));
}

static void test_defined_twice_is_refused(void) {
        static const struct {
                const char *json, *name;
        } cases[] = {
                {RECORD("R", FIELD("a", ENUM_E) "," FIELD("b", ENUM_E)), "E"},
                /* the record itself, again inside it */
                {RECORD("R", FIELD("a", RECORD("R", FIELD("x", "\"int\"")))),
                 "R"},
                /* an explicit namespace and a dotted name meet */
                {RECORD_NS("R", "a",
                           FIELD("x", ENUM_NS_B) "," FIELD("y", ENUM_B_E)),
                 "b.E"},
                /* inherited from a dotted record name, inside an array and
                 * a map */
                {RECORD("a.R",
                        FIELD("x", ARRAY_OF_F) "," FIELD("y", MAP_OF_A_F)),
                 "a.F"},
                /* in a union's branches */
                {RECORD("R", FIELD("u", "[\"null\"," ENUM_E "]") "," FIELD(
                                     "v", "[" ENUM_E ",\"int\"]")),
                 "E"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                avro_schema_t s = (avro_schema_t)1;

                HW_CONTEXT("case %zu: %s", i, cases[i].json);
                HW_CHECK_EQ_INT(parse(cases[i].json, &s), HW_ERR_DECODE);
                HW_CHECK_NULL(s);
                HW_CHECK_CONTAINS(errstr, "named type ");
                HW_CHECK_CONTAINS(errstr, cases[i].name);
                HW_CHECK_CONTAINS(errstr, " is defined twice");
        }
}

static void test_distinct_names_parse(void) {
        static const char *ok[] = {
                /* one short name in two namespaces */
                RECORD_NS("R", "a",
                          FIELD("x", ENUM_E) "," FIELD("y", ENUM_NS_B)),
                /* a type defined once and then named */
                RECORD("R", FIELD("a", ENUM_E) "," FIELD("b", "\"E\"")),
                /* a record that refers to itself */
                RECORD("R", FIELD("next", "[\"null\",\"R\"]")),
        };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                avro_schema_t s = NULL;

                HW_CONTEXT("case %zu: %s", i, ok[i]);
                if (HW_CHECK_EQ_INT(parse(ok[i], &s), HW_OK) &&
                    HW_CHECK(s != NULL)) {
                        HW_CHECK(is_avro_record(s));
                        avro_schema_decref(s);
                }
        }
}

static void test_not_a_schema_names_why(void) {
        avro_schema_t s = (avro_schema_t)1;

        HW_CHECK_EQ_INT(parse("{\"type\":", &s), HW_ERR_DECODE);
        HW_CHECK_NULL(s);
        HW_CHECK_CONTAINS(errstr, "not JSON: ");
        HW_CHECK_EQ_INT(parse("{\"type\":\"nope\"}", &s), HW_ERR_DECODE);
        HW_CHECK_NULL(s);
        HW_CHECK_CONTAINS(errstr, "nope");
        /* A fixed needs a size: Avro C's own refusal, passed on. */
        HW_CHECK_EQ_INT(parse("{\"type\":\"fixed\",\"name\":\"F\"}", &s),
                        HW_ERR_DECODE);
        HW_CHECK_NULL(s);
        HW_CHECK_CONTAINS(errstr, "size");
}

int main(void) {
        HW_RUN(test_defined_twice_is_refused);
        HW_RUN(test_distinct_names_parse);
        HW_RUN(test_not_a_schema_names_why);
        return hw_test_summary();
}
