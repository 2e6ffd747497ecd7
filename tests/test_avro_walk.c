/*
 * wire/hw_avro_walk.c: the walk that checks every Avro body against its
 * writer schema before anything reads it. A Schema Registry can hand the
 * consumer writer schemas with any Avro type, so the walk must take
 * them all (booleans, floats, doubles, fixed, bytes, null, maps, arrays
 * in both block forms, recursive records) and note the top-level values
 * where they are; and it must refuse, naming the field and what is
 * wrong, every body that is not what its schema says: a bad boolean, a
 * number of more than 10 bytes or beyond 64 bits, lengths, counts,
 * branches and indexes out of range, nesting deeper than 32, trailing
 * bytes. Bodies are written by hand here (zig-zag varints).
 */
#include <avro.h>
#include <stdint.h>
#include <string.h>

#include "hw_avro_walk.h"
#include "hw_test.h"

typedef struct body_s {
        unsigned char d[512];
        size_t n;
} body_t;

static void b_byte(body_t *b, unsigned c) {
        b->d[b->n++] = (unsigned char)c;
}

static void b_long(body_t *b, int64_t v) {
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        while (z >= 0x80) {
                b_byte(b, (unsigned)(z & 0x7F) | 0x80);
                z >>= 7;
        }
        b_byte(b, (unsigned)z);
}

static void b_bytes(body_t *b, const void *p, size_t n) {
        memcpy(b->d + b->n, p, n);
        b->n += n;
}

static void b_str(body_t *b, const char *s) {
        b_long(b, (int64_t)strlen(s));
        b_bytes(b, s, strlen(s));
}

static avro_schema_t schema(const char *json) {
        avro_schema_t s = NULL;
        if (avro_schema_from_json_length(json, strlen(json), &s))
                fprintf(stderr, "test: schema: %s\n", avro_strerror());
        return s;
}

static char errstr[256];

static hw_err_t walk(avro_schema_t s, const body_t *b, hw_avro_field_t *f,
                     size_t n) {
        errstr[0] = '\0';
        return hw_avro_walk(s, "Thing", b->d, b->n, f, n, errstr,
                            sizeof(errstr));
}

/* Every field type a writer may use. */
static const char *const every_type =
        "{\"type\":\"record\",\"name\":\"Thing\",\"fields\":["
        "{\"name\":\"flag\",\"type\":\"boolean\"},"
        "{\"name\":\"ratio\",\"type\":\"float\"},"
        "{\"name\":\"score\",\"type\":\"double\"},"
        "{\"name\":\"tag\",\"type\":{\"type\":\"fixed\",\"name\":\"Tag\","
        "\"size\":3}},"
        "{\"name\":\"blob\",\"type\":\"bytes\"},"
        "{\"name\":\"nothing\",\"type\":\"null\"},"
        "{\"name\":\"count\",\"type\":\"int\"},"
        "{\"name\":\"name\",\"type\":[\"null\",\"string\"]},"
        "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\","
        "\"symbols\":[\"A\",\"B\"]}},"
        "{\"name\":\"totals\",\"type\":{\"type\":\"map\",\"values\":"
        "\"long\"}},"
        "{\"name\":\"words\",\"type\":{\"type\":\"array\",\"items\":"
        "\"string\"}},"
        "{\"name\":\"chain\",\"type\":{\"type\":\"record\",\"name\":\"Node\","
        "\"fields\":[{\"name\":\"v\",\"type\":\"long\"},{\"name\":\"next\","
        "\"type\":[\"null\",\"Node\"]}]}}]}";

/* The fields of every_type up to "chain"'s first node, whose next is
 * written by the caller. */
static void good_head(body_t *b) {
        b_byte(b, 1);                          /* flag */
        b_bytes(b, "\0\0\x80\x3F", 4);         /* ratio 1.0f */
        b_bytes(b, "\0\0\0\0\0\0\xF0\x3F", 8); /* score 1.0 */
        b_bytes(b, "abc", 3);                  /* tag */
        b_str(b, "\x01\x02");                  /* blob */
        /* nothing: no bytes */
        b_long(b, -7); /* count */
        b_long(b, 1);  /* name: branch 1 */
        b_str(b, "Ada");
        b_long(b, 1); /* kind B */
        b_long(b, 2); /* totals: a block of 2 */
        b_str(b, "x");
        b_long(b, 5);
        b_str(b, "y");
        b_long(b, -1);
        b_long(b, 0);  /* end of map */
        b_long(b, -2); /* words: a block of 2, with its byte size */
        b_long(b, 4);
        b_str(b, "hi");
        b_byte(b, 0);  /* "" */
        b_long(b, 0);  /* end of array */
        b_long(b, 10); /* chain.v */
}

static void test_every_type(void) {
        avro_schema_t s = schema(every_type);
        hw_avro_field_t f[12];
        body_t b = {0};

        if (!HW_CHECK(s != NULL))
                return;
        good_head(&b);
        b_long(&b, 1); /* chain.next: a Node */
        b_long(&b, 11);
        b_long(&b, 0); /* its next: null */
        if (HW_CHECK_EQ_INT(walk(s, &b, f, 12), HW_OK)) {
                HW_CHECK_EQ_INT(f[0].branch, -1);
                HW_CHECK_EQ_INT(f[4].num, 2);
                HW_CHECK_MEM(f[4].str, "\x01\x02", 2);
                HW_CHECK_EQ_INT(f[6].num, -7);
                HW_CHECK_EQ_INT(f[7].branch, 1);
                HW_CHECK_EQ_INT(f[7].num, 3);
                HW_CHECK_MEM(f[7].str, "Ada", 3);
                HW_CHECK_EQ_INT(f[8].num, 1);
        }
        /* Without a place for the fields, the same walk. */
        HW_CHECK_EQ_INT(walk(s, &b, NULL, 0), HW_OK);

        /* A byte more: trailing bytes are refused. */
        b_byte(&b, 0);
        HW_CHECK_EQ_INT(walk(s, &b, f, 12), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "1 trailing bytes after the Thing record");
        avro_schema_decref(s);
}

/* Each way a body can lie, refused naming the field and what is wrong. */
static void test_refused(void) {
        avro_schema_t s = schema(every_type);
        body_t b;

        if (!HW_CHECK(s != NULL))
                return;
        memset(&b, 0, sizeof(b));
        b_byte(&b, 2);
        HW_CHECK_EQ_INT(walk(s, &b, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "flag: bad boolean");

        memset(&b, 0, sizeof(b));
        b_byte(&b, 1);
        b_bytes(&b, "\0\0", 2);
        HW_CHECK_EQ_INT(walk(s, &b, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "ratio: float length 4 is not within the 2 "
                             "bytes left");

        memset(&b, 0, sizeof(b));
        b_byte(&b, 1);
        b_bytes(&b, "\0\0\x80\x3F", 4);
        b_bytes(&b, "\0\0\0\0\0\0\xF0\x3F", 8);
        b_bytes(&b, "ab", 2);
        HW_CHECK_EQ_INT(walk(s, &b, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "tag: fixed length 3 is not within the 2 bytes "
                             "left");

        /* count: eleven bytes of a number; then one that overflows. */
        memset(&b, 0, sizeof(b));
        b_byte(&b, 1);
        b_bytes(&b, "\0\0\x80\x3F", 4);
        b_bytes(&b, "\0\0\0\0\0\0\xF0\x3F", 8);
        b_bytes(&b, "abc", 3);
        b_str(&b, "");
        {
                body_t eleven = b, wide = b;
                for (int i = 0; i < 10; i++)
                        b_byte(&eleven, 0x80);
                b_byte(&eleven, 0);
                HW_CHECK_EQ_INT(walk(s, &eleven, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr, "count: number longer than 10 bytes");
                for (int i = 0; i < 9; i++)
                        b_byte(&wide, 0xFF);
                b_byte(&wide, 0x02);
                HW_CHECK_EQ_INT(walk(s, &wide, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr, "count: number does not fit in 64 bits");
        }
        b_long(&b, 0);
        {
                body_t branch = b, kind = b, size = b, count = b, min = b;
                b_long(&branch, 2);
                HW_CHECK_EQ_INT(walk(s, &branch, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr, "name: union branch out of range");
                b_long(&kind, 0);
                b_long(&kind, 2);
                HW_CHECK_EQ_INT(walk(s, &kind, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr, "kind: enum index out of range");
                b_long(&size, 0);
                b_long(&size, 0);
                b_long(&size, -1);
                b_long(&size, 100);
                HW_CHECK_EQ_INT(walk(s, &size, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr,
                             "totals: block size is not within the message");
                b_long(&count, 0);
                b_long(&count, 0);
                b_long(&count, 50);
                HW_CHECK_EQ_INT(walk(s, &count, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr, "totals: block count is larger than the "
                                     "bytes left");
                b_long(&min, 0);
                b_long(&min, 0);
                b_long(&min, INT64_MIN);
                HW_CHECK_EQ_INT(walk(s, &min, NULL, 0), HW_ERR_DECODE);
                HW_CHECK_STR(errstr, "totals: bad block count");
        }
        avro_schema_decref(s);
}

/* A recursive record is followed to a depth of 32, not beyond: each node
 * takes three levels (record, union, branch), so nine nested nodes walk
 * and ten do not. */
static void test_depth(void) {
        avro_schema_t s = schema(every_type);
        body_t ok = {0}, deep = {0};

        if (!HW_CHECK(s != NULL))
                return;
        good_head(&ok);
        good_head(&deep);
        for (int i = 0; i < 9; i++) {
                b_long(&ok, 1);
                b_long(&ok, i);
        }
        b_long(&ok, 0);
        HW_CHECK_EQ_INT(walk(s, &ok, NULL, 0), HW_OK);
        for (int i = 0; i < 10; i++) {
                b_long(&deep, 1);
                b_long(&deep, i);
        }
        b_long(&deep, 0);
        HW_CHECK_EQ_INT(walk(s, &deep, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "chain: schema nested too deeply");
        avro_schema_decref(s);
}

/* Notes go only into the slots given: a caller with fewer slots than the
 * record has fields gets the first ones, nothing written past them. A
 * bare value (no record) names no field in its errors. */
static void test_few_slots_and_bare_values(void) {
        avro_schema_t s = schema(every_type), lng = schema("\"long\""),
                      flag = schema("\"boolean\"");
        hw_avro_field_t f[3], untouched;
        body_t b = {0}, cut = {0};

        if (!HW_CHECK(s != NULL && lng != NULL && flag != NULL))
                goto out;
        good_head(&b);
        b_long(&b, 0); /* chain.next: null */
        memset(f, 0x5A, sizeof(f));
        memcpy(&untouched, &f[2], sizeof(untouched));
        HW_CHECK_EQ_INT(walk(s, &b, f, 2), HW_OK);
        HW_CHECK_EQ_INT(f[0].branch, -1); /* flag: noted, not a union */
        HW_CHECK_EQ_INT(f[1].branch, -1); /* ratio */
        HW_CHECK_EQ_INT(f[0].num, 0);     /* a boolean is not noted */
        HW_CHECK_NULL(f[1].str);
        HW_CHECK(!memcmp(&f[2], &untouched, sizeof(untouched)));

        b_long(&cut, 300);
        cut.n = 1; /* the varint's first byte only */
        HW_CHECK_EQ_INT(walk(lng, &cut, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "message ends inside a number");
        cut.n = 0;
        HW_CHECK_EQ_INT(walk(flag, &cut, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "bad boolean");
        b_byte(&cut, 1);
        b_byte(&cut, 0);
        HW_CHECK_EQ_INT(walk(flag, &cut, NULL, 0), HW_ERR_DECODE);
        HW_CHECK_STR(errstr, "1 trailing bytes after the Thing record");
out:
        if (s)
                avro_schema_decref(s);
        if (lng)
                avro_schema_decref(lng);
        if (flag)
                avro_schema_decref(flag);
}

int main(void) {
        HW_RUN(test_every_type);
        HW_RUN(test_refused);
        HW_RUN(test_depth);
        HW_RUN(test_few_slots_and_bare_values);
        return hw_test_summary();
}
