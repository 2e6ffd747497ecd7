/*
 * The archive reader's check of an Avro container file's header
 * (ops/hw_archive.c, hw_archive_read), before Avro C reads it: a file the
 * archive wrote, cut short at every byte and with its header rewritten
 * each way it can be wrong (lengths huge, negative or longer than 64 bits,
 * block counts past the end of the file or over the cap, no schema, a
 * schema twice or not parsing, a codec the archive does not read, the
 * sync marker missing, the first block's framing damaged or its deflate
 * data not inflating), is refused
 * with HW_ERR_DECODE naming the file and what is wrong, and nothing read;
 * headers the spec allows (blocks with a byte size, several blocks, no
 * codec with null-coded data) still read every event. Run under valgrind
 * and the sanitizers, which hold it to no leak and no undefined
 * behaviour.
 */
#include <avro.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_fixtures.h"
#include "hw_buf.h"
#include "hw_test.h"

/* The archive file the tests damage, and where its parts start. */
static hw_buf_t g_file;
static struct {
        size_t map_end;  /* past the metadata map's closing 0 */
        size_t body;     /* past the sync marker: the first block */
        size_t block;    /* past the first block's count and size */
        size_t codec[2]; /* the codec's value: offset, length */
        size_t schema[2];
} g_at;
static char g_dir[PATH_MAX];

static void put(hw_buf_t *b, const void *p, size_t n) {
        if (hw_buf_append(b, p, n)) {
                fprintf(stderr, "test: out of memory\n");
                exit(2);
        }
}

/* An Avro long: zig-zag varint. */
static void put_long(hw_buf_t *b, int64_t v) {
        uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        unsigned char c;
        while (u > 0x7f) {
                c = (unsigned char)(u | 0x80);
                put(b, &c, 1);
                u >>= 7;
        }
        c = (unsigned char)u;
        put(b, &c, 1);
}

/* Avro bytes or string: length, then the bytes. */
static void put_bytes(hw_buf_t *b, const void *p, size_t n) {
        put_long(b, (int64_t)n);
        put(b, p, n);
}

static void put_str(hw_buf_t *b, const char *s) {
        put_bytes(b, s, strlen(s));
}

/* The entries the archive writes: codec, then schema. */
static void put_codec(hw_buf_t *b) {
        put_str(b, "avro.codec");
        put_bytes(b, g_file.data + g_at.codec[0], g_at.codec[1]);
}

static void put_schema(hw_buf_t *b) {
        put_str(b, "avro.schema");
        put_bytes(b, g_file.data + g_at.schema[0], g_at.schema[1]);
}

/* The original file from its sync marker on. */
static void put_sync_and_blocks(hw_buf_t *b) {
        put(b, g_file.data + g_at.map_end, g_file.len - g_at.map_end);
}

static hw_buf_t *start(hw_buf_t *b) {
        b->len = 0;
        put(b, "Obj\x01", 4);
        return b;
}

static int64_t get_long(const hw_buf_t *b, size_t *at) {
        uint64_t u = 0;
        for (int shift = 0; *at < b->len && shift < 64; shift += 7) {
                unsigned char c = (unsigned char)b->data[(*at)++];
                u |= (uint64_t)(c & 0x7f) << shift;
                if (!(c & 0x80))
                        break;
        }
        return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static void write_bytes(const char *path, const void *p, size_t n) {
        FILE *fp = fopen(path, "wb");
        if (!fp || (n && fwrite(p, 1, n, fp) != n) || fclose(fp)) {
                perror(path);
                exit(2);
        }
}

/* Writes an archive of three hires in two blocks (deflate) and finds
 * its parts. */
static void make_archive(void) {
        char path[PATH_MAX + 64];
        hw_event_t h[3] = {hire_on("x1", 0), hire_on("x2", 0),
                           hire_on("x3", 0)};
        hw_archive_t *a = hw_archive_open(new_dir(g_dir, sizeof(g_dir)), errstr,
                                          sizeof(errstr));
        FILE *fp;
        char chunk[4096];
        size_t n, at = 4;
        int64_t count;

        if (!a) {
                fprintf(stderr, "test: %s\n", errstr);
                exit(2);
        }
        for (int i = 0; i < 3; i++) {
                if (append(a, HIRES, 0, i, &h[i], 0) ||
                    (i == 1 && hw_archive_sync(a, errstr, sizeof(errstr)))) {
                        fprintf(stderr, "test: %s\n", errstr);
                        exit(2);
                }
        }
        hw_archive_close(a);
        fp = fopen(file_of(path, sizeof(path), g_dir, HIRES, 0), "rb");
        while (fp && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
                put(&g_file, chunk, n);
        if (fp)
                fclose(fp);
        while ((count = get_long(&g_file, &at)) > 0) {
                for (int64_t i = 0; i < count; i++) {
                        int64_t klen = get_long(&g_file, &at);
                        const char *key = g_file.data + at;
                        int64_t vlen;
                        at += (size_t)klen;
                        vlen = get_long(&g_file, &at);
                        if (klen == 10 && !memcmp(key, "avro.codec", 10)) {
                                g_at.codec[0] = at;
                                g_at.codec[1] = (size_t)vlen;
                        } else if (klen == 11 &&
                                   !memcmp(key, "avro.schema", 11)) {
                                g_at.schema[0] = at;
                                g_at.schema[1] = (size_t)vlen;
                        }
                        at += (size_t)vlen;
                }
        }
        g_at.map_end = at;
        g_at.body = at + 16;
        at = g_at.body;
        get_long(&g_file, &at);
        get_long(&g_file, &at);
        g_at.block = at;
        if (count || !g_at.codec[1] || !g_at.schema[1] ||
            g_at.block >= g_file.len) {
                fprintf(stderr, "test: %s: not the archive file expected\n",
                        path);
                exit(2);
        }
}

/* Reads b written as dir/name; the error, errstr its message. */
static hw_err_t read_bytes(const hw_buf_t *b, const char *name, got_t *g,
                           char *path, size_t size) {
        snprintf(path, size, "%s/%s", g_dir, name);
        write_bytes(path, b->data, b->len);
        return read_all(path, g);
}

/* b is refused: HW_ERR_DECODE, nothing read, the message naming the file
 * and saying want. */
static void check_refused(const hw_buf_t *b, const char *want) {
        char path[PATH_MAX + 64], named[PATH_MAX + 80];
        got_t g = {0};

        CHECK_ERR(read_bytes(b, "damaged.avro", &g, path, sizeof(path)),
                  HW_ERR_DECODE);
        snprintf(named, sizeof(named), "%s: ", path);
        HW_CHECK_CONTAINS(errstr, named);
        HW_CHECK_CONTAINS(errstr, want);
        HW_CHECK_EQ_INT(g.n, 0);
        hw_event_release(&g.ev);
}

/* b reads: the three hires, in order. */
static void check_reads(const hw_buf_t *b) {
        char path[PATH_MAX + 64];
        got_t g = {0};

        CHECK_ERR(read_bytes(b, "fine.avro", &g, path, sizeof(path)), HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 3) && HW_CHECK_EQ_INT(g.bad, 0)) {
                HW_CHECK_STR(g.ids[0], "x1");
                HW_CHECK_STR(g.ids[2], "x3");
        }
        hw_event_release(&g.ev);
}

/* 1. The archive's file as written reads whole, and rewritten by the
 * tests' own encoder (the check of what they build). */
static void test_undamaged(void) {
        hw_buf_t b;

        hw_buf_init(&b);
        check_reads(&g_file);
        start(&b);
        put_long(&b, 2);
        put_codec(&b);
        put_schema(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        HW_CHECK_EQ_INT(b.len, g_file.len);
        HW_CHECK_MEM(b.data, g_file.data, g_file.len);
        check_reads(&b);
        hw_buf_release(&b);
}

/* 2. Cut short at every byte: before the magic is whole, not a container
 * file; in the header, the header's fault; at its end, a file of no
 * records; in the first block's framing or data, the first block's
 * fault; after it, Avro C's error naming the file (or, cut between two
 * blocks, the records before the cut). Never a leak or a crash. */
static void test_cut_at_every_byte(void) {
        char path[PATH_MAX + 64], named[PATH_MAX + 80];
        hw_buf_t b;
        got_t g = {0};

        hw_buf_init(&b);
        for (size_t cut = 0; cut < g_file.len; cut++) {
                hw_err_t err;
                b.len = 0;
                put(&b, g_file.data, cut);
                HW_CONTEXT("cut at byte %zu of %zu", cut, g_file.len);
                err = read_bytes(&b, "cut.avro", &g, path, sizeof(path));
                snprintf(named, sizeof(named), "%s: ", path);
                if (cut == g_at.body) {
                        CHECK_ERR(err, HW_OK);
                        HW_CHECK_EQ_INT(g.n, 0);
                        continue;
                }
                if (err == HW_OK && cut > g_at.block) {
                        HW_CHECK(g.n == 2 && g.bad == 0);
                        continue;
                }
                if (!CHECK_ERR(err, HW_ERR_DECODE))
                        continue;
                HW_CHECK_CONTAINS(errstr, named);
                if (cut < 4) {
                        HW_CHECK_CONTAINS(errstr, "not an Avro object "
                                                  "container file");
                } else if (cut < g_at.body) {
                        HW_CHECK_CONTAINS(errstr, ": container header: ");
                } else if (cut < g_at.block) {
                        HW_CHECK_CONTAINS(errstr, ": first block: ");
                } else {
                        HW_CHECK(g.bad == 0 && g.n <= 3);
                        if (g.n == 0)
                                HW_CHECK_CONTAINS(errstr, ": first block: "
                                                          "size ");
                        else
                                HW_CHECK_CONTAINS(errstr, ": after record ");
                }
                if (cut == g_at.map_end)
                        HW_CHECK_CONTAINS(errstr, "container header: sync "
                                                  "marker cut short (0 of 16 "
                                                  "bytes)");
                if (cut == g_at.map_end + 10)
                        HW_CHECK_CONTAINS(errstr, "(10 of 16 bytes)");
                if (cut == 4)
                        HW_CHECK_CONTAINS(errstr, "container header: metadata "
                                                  "block count cut short by "
                                                  "the end of the file");
        }
        HW_CONTEXT("%s", "");
        hw_buf_release(&b);
        hw_event_release(&g.ev);
}

/* A header of one entry: key, then a value of length vlen whose bytes
 * are the rest of the archive's file (sync and blocks). */
static void one_entry(hw_buf_t *b, const char *key, int64_t vlen) {
        start(b);
        put_long(b, 1);
        put_str(b, key);
        put_long(b, vlen);
        put_sync_and_blocks(b);
}

/* 3. Lengths huge, negative or longer than 64 bits, in keys, values and
 * block sizes, are refused before anything is allocated for them; so is
 * a header that goes on past its first MiB. */
static void test_lengths(void) {
        hw_buf_t b;
        static char kib[1024];
        static const unsigned char eleven[11] = {0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0x01};

        hw_buf_init(&b);
        HW_CONTEXT("a key length of 2^40");
        start(&b);
        put_long(&b, 1);
        put_long(&b, INT64_C(1) << 40);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata key length "
                          "1099511627776 past the end of the file (");

        HW_CONTEXT("a value length of 2^40");
        one_entry(&b, "avro.schema", INT64_C(1) << 40);
        check_refused(&b, "container header: metadata value length "
                          "1099511627776 past the end of the file (");

        HW_CONTEXT("a value length one byte past the end");
        one_entry(&b, "avro.schema", (int64_t)(g_file.len - g_at.map_end) + 1);
        check_refused(&b, " past the end of the file (");

        HW_CONTEXT("the largest length");
        one_entry(&b, "avro.schema", INT64_MAX);
        check_refused(&b, "metadata value length 9223372036854775807 past "
                          "the end of the file");

        HW_CONTEXT("a negative key length");
        start(&b);
        put_long(&b, 1);
        put_long(&b, -1);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata key length -1 is "
                          "negative");

        HW_CONTEXT("the most negative value length");
        one_entry(&b, "avro.schema", INT64_MIN);
        check_refused(&b, "container header: metadata value length "
                          "-9223372036854775808 is negative");

        HW_CONTEXT("a key length longer than 64 bits");
        start(&b);
        put_long(&b, 1);
        put(&b, eleven, sizeof(eleven));
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata key length longer "
                          "than 64 bits");

        HW_CONTEXT("a block count longer than 64 bits");
        start(&b);
        put(&b, eleven, sizeof(eleven));
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata block count longer "
                          "than 64 bits");

        HW_CONTEXT("a header past the first MiB");
        start(&b);
        put_long(&b, 3);
        put_codec(&b);
        put_schema(&b);
        put_str(&b, "padding");
        put_long(&b, 1200 * 1024);
        memset(kib, 'p', sizeof(kib));
        for (int i = 0; i < 1200; i++)
                put(&b, kib, sizeof(kib));
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata value length 1228800 "
                          "past the first 1048576 bytes");

        HW_CONTEXT("a block count starting at the first MiB's end");
        /* A block of one entry whose value ends at byte 1048576 exactly:
         * the next block's count lies past what the check reads. */
        start(&b);
        put_long(&b, 1);
        put_str(&b, "padding");
        put_long(&b, 1024 * 1024 - 16);
        for (size_t left = 1024 * 1024 - 16; left > 0;) {
                size_t n = left < sizeof(kib) ? left : sizeof(kib);
                put(&b, kib, n);
                left -= n;
        }
        HW_CHECK_EQ_INT(b.len, 1024 * 1024);
        put_long(&b, 2);
        put_codec(&b);
        put_schema(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata block count past the "
                          "first 1048576 bytes");
        HW_CONTEXT("%s", "");
        hw_buf_release(&b);
}

/* 4. Block counts: more entries than the file could hold, more than the
 * cap, the most negative; a block's byte size negative, past the end or
 * not that of its entries. Blocks with a right byte size, and entries
 * over several blocks, read. */
static void test_block_counts(void) {
        hw_buf_t b, block;
        char key[16], want[128];

        hw_buf_init(&b);
        hw_buf_init(&block);
        HW_CONTEXT("a million entries");
        start(&b);
        put_long(&b, 1000000);
        put_codec(&b);
        put_schema(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata block of 1000000 "
                          "entries past the end of the file");

        HW_CONTEXT("the largest count");
        b.len = 4;
        put_long(&b, INT64_MAX);
        put_sync_and_blocks(&b);
        check_refused(&b, "metadata block of 9223372036854775807 entries "
                          "past the end of the file");

        HW_CONTEXT("the most negative count");
        b.len = 4;
        put_long(&b, INT64_MIN);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata block count "
                          "-9223372036854775808 out of range");

        HW_CONTEXT("a count of three, two entries there");
        start(&b);
        put_long(&b, 3);
        put_codec(&b);
        put_schema(&b);
        check_refused(&b, "container header: metadata key length cut short "
                          "by the end of the file");

        HW_CONTEXT("more entries than the cap");
        start(&b);
        put_long(&b, 300);
        put_codec(&b);
        put_schema(&b);
        for (int i = 2; i < 300; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                put_str(&b, key);
                put_str(&b, "");
        }
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: more than 256 metadata "
                          "entries");

        HW_CONTEXT("the cap over several blocks");
        start(&b);
        put_long(&b, 2);
        put_codec(&b);
        put_schema(&b);
        for (int i = 2; i < 300; i += 2) {
                put_long(&b, 2);
                for (int k = i; k < i + 2; k++) {
                        snprintf(key, sizeof(key), "k%d", k);
                        put_str(&b, key);
                        put_str(&b, "");
                }
        }
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: more than 256 metadata "
                          "entries");

        HW_CONTEXT("256 entries");
        b.len = 0;
        start(&b);
        put_long(&b, 256);
        put_codec(&b);
        put_schema(&b);
        for (int i = 2; i < 256; i++) {
                snprintf(key, sizeof(key), "k%d", i);
                put_str(&b, key);
                put_str(&b, "");
        }
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_reads(&b);

        HW_CONTEXT("a block with its byte size");
        block.len = 0;
        put_codec(&block);
        put_schema(&block);
        start(&b);
        put_long(&b, -2);
        put_long(&b, (int64_t)block.len);
        put(&b, block.data, block.len);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_reads(&b);

        HW_CONTEXT("a block size that is not its entries'");
        start(&b);
        put_long(&b, -2);
        put_long(&b, (int64_t)block.len - 1);
        put(&b, block.data, block.len);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        snprintf(want, sizeof(want),
                 "container header: metadata block size %zu, but its "
                 "entries take %zu bytes",
                 block.len - 1, block.len);
        check_refused(&b, want);

        HW_CONTEXT("a negative block size");
        start(&b);
        put_long(&b, -2);
        put_long(&b, -3);
        put(&b, block.data, block.len);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata block size -3 is "
                          "negative");

        HW_CONTEXT("a block size past the end");
        start(&b);
        put_long(&b, -2);
        put_long(&b, INT64_C(1) << 40);
        put(&b, block.data, block.len);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata block size "
                          "1099511627776 past the end of the file");

        HW_CONTEXT("entries over two blocks");
        start(&b);
        put_long(&b, 1);
        put_schema(&b);
        put_long(&b, 1);
        put_codec(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_reads(&b);
        HW_CONTEXT("%s", "");
        hw_buf_release(&b);
        hw_buf_release(&block);
}

/* 5. The schema: missing, given twice, behind a key with a NUL byte (a
 * C string would read it as avro.schema), empty or not a schema. */
static void test_schema(void) {
        static const char *const bad_schemas[] = {
                "", "{\"type\":\"record\",\"name\":", "{\"type\":\"hire\"}"};
        hw_buf_t b;

        hw_buf_init(&b);
        HW_CONTEXT("no schema");
        start(&b);
        put_long(&b, 1);
        put_codec(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: no avro.schema");

        HW_CONTEXT("no entries at all");
        start(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: no avro.schema");

        HW_CONTEXT("the schema twice");
        start(&b);
        put_long(&b, 3);
        put_codec(&b);
        put_schema(&b);
        put_schema(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: avro.schema given twice");

        HW_CONTEXT("a key with a NUL byte");
        start(&b);
        put_long(&b, 3);
        put_codec(&b);
        put_schema(&b);
        put_bytes(&b, "avro.schema\0x", 13);
        put_str(&b, "\"string\"");
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: metadata key 3 holds a NUL "
                          "byte");

        for (size_t i = 0; i < sizeof(bad_schemas) / sizeof(*bad_schemas);
             i++) {
                HW_CONTEXT("avro.schema \"%s\"", bad_schemas[i]);
                start(&b);
                put_long(&b, 2);
                put_codec(&b);
                put_str(&b, "avro.schema");
                put_str(&b, bad_schemas[i]);
                put_long(&b, 0);
                put_sync_and_blocks(&b);
                check_refused(&b, "container header: avro.schema: ");
        }
        HW_CONTEXT("%s", "");
        hw_buf_release(&b);
}

/* Writes the three hires with Avro C's null codec into b. */
static void null_coded(hw_buf_t *b) {
        char path[PATH_MAX + 64], chunk[4096];
        const char *json = hw_codec_schema_json(HW_SCHEMA_HIRE_V2);
        hw_event_t h[3] = {hire_on("x1", 0), hire_on("x2", 0),
                           hire_on("x3", 0)};
        avro_schema_t s;
        avro_file_writer_t w;
        hw_buf_t body;
        FILE *fp;
        size_t n;

        snprintf(path, sizeof(path), "%s/null.avro", g_dir);
        if (avro_schema_from_json_length(json, strlen(json), &s) ||
            avro_file_writer_create_with_codec(path, s, &w, "null", 0)) {
                fprintf(stderr, "test: %s: %s\n", path, avro_strerror());
                exit(2);
        }
        hw_buf_init(&body);
        for (int i = 0; i < 3; i++) {
                encode(&h[i], 0, &body);
                avro_file_writer_append_encoded(w, body.data + 5,
                                                (int64_t)body.len - 5);
        }
        avro_file_writer_close(w);
        avro_schema_decref(s);
        hw_buf_release(&body);
        b->len = 0;
        fp = fopen(path, "rb");
        while (fp && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
                put(b, chunk, n);
        if (fp)
                fclose(fp);
}

/* 6. The codec: one the archive does not read (printed with what cannot
 * be, cut to 23 bytes; as long as "null" or "deflate"), a name with a NUL
 * byte, given twice; absent, the data is read as null-coded. Metadata
 * keys of a writer's own as long as avro.schema and avro.codec are not
 * taken for them. */
static void test_codec(void) {
        static const char *const bad[][2] = {
                {"snappy", "codec \"snappy\" is neither null nor deflate"},
                {"deflatex", "codec \"deflatex\" is neither"},
                {"nul", "codec \"nul\" is neither"},
                {"zstd", "codec \"zstd\" is neither null nor deflate"},
                {"inflate", "codec \"inflate\" is neither"},
                {"", "codec \"\" is neither"},
                {"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
                 "codec \"zzzzzzzzzzzzzzzzzzzzzzz...\" is neither"},
                {"\x01\xff", "codec \"??\" is neither"}};
        hw_buf_t b, nul;
        size_t at = 4;
        int64_t n;

        hw_buf_init(&b);
        hw_buf_init(&nul);
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                HW_CONTEXT("codec \"%s\"", bad[i][0]);
                start(&b);
                put_long(&b, 2);
                put_str(&b, "avro.codec");
                put_str(&b, bad[i][0]);
                put_schema(&b);
                put_long(&b, 0);
                put_sync_and_blocks(&b);
                check_refused(&b, bad[i][1]);
        }

        HW_CONTEXT("a codec with a NUL byte");
        start(&b);
        put_long(&b, 2);
        put_str(&b, "avro.codec");
        put_bytes(&b, "null\0", 5);
        put_schema(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "codec \"null?\" is neither null nor deflate");

        HW_CONTEXT("the codec twice");
        start(&b);
        put_long(&b, 3);
        put_codec(&b);
        put_schema(&b);
        put_codec(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_refused(&b, "container header: avro.codec given twice");

        HW_CONTEXT("metadata of a writer's own, keys as long as ours");
        /* Only avro.schema and avro.codec are the container's: others of
         * the same lengths are any writer's to add, and do not count. */
        start(&b);
        put_long(&b, 4);
        put_str(&b, "app.schemas");
        put_str(&b, "{}");
        put_codec(&b);
        put_str(&b, "app.codecs");
        put_str(&b, "zstd");
        put_schema(&b);
        put_long(&b, 0);
        put_sync_and_blocks(&b);
        check_reads(&b);

        HW_CONTEXT("null-coded, as Avro C writes it");
        null_coded(&nul);
        check_reads(&nul);

        HW_CONTEXT("null-coded, no codec entry");
        /* Avro C writes the codec first: skip its entry. */
        get_long(&nul, &at);
        for (int i = 0; i < 2; i++) { /* its key, its value */
                n = get_long(&nul, &at);
                at += (size_t)n;
        }
        start(&b);
        put_long(&b, 1);
        put(&b, nul.data + at, nul.len - at);
        check_reads(&b);
        HW_CONTEXT("%s", "");
        hw_buf_release(&b);
        hw_buf_release(&nul);
}

/* 7. After the map: the sync marker missing or cut, the first block's
 * count or size negative, longer than 64 bits or past the end, its
 * deflate data damaged or cut short; a sync marker that is not the
 * blocks' is Avro C's to find, after the first block. */
static void test_sync_and_first_block(void) {
        hw_buf_t b;

        hw_buf_init(&b);
        HW_CONTEXT("no sync marker");
        b.len = 0;
        put(&b, g_file.data, g_at.map_end);
        check_refused(&b, "container header: sync marker cut short (0 of 16 "
                          "bytes)");

        HW_CONTEXT("half a sync marker");
        put(&b, g_file.data + g_at.map_end, 8);
        check_refused(&b, "container header: sync marker cut short (8 of 16 "
                          "bytes)");

        HW_CONTEXT("a negative first block count");
        b.len = 0;
        put(&b, g_file.data, g_at.body);
        put_long(&b, -1);
        put(&b, g_file.data + g_at.block - 1, g_file.len - g_at.block + 1);
        check_refused(&b, "first block: count -1 is negative");

        HW_CONTEXT("a negative first block size");
        b.len = 0;
        put(&b, g_file.data, g_at.body);
        put_long(&b, 2);
        put_long(&b, -2);
        put(&b, g_file.data + g_at.block, g_file.len - g_at.block);
        check_refused(&b, "first block: size -2 is negative");

        HW_CONTEXT("a first block size of 2^40");
        b.len = 0;
        put(&b, g_file.data, g_at.body);
        put_long(&b, 2);
        put_long(&b, INT64_C(1) << 40);
        put(&b, g_file.data + g_at.block, g_file.len - g_at.block);
        check_refused(&b, "first block: size 1099511627776 past the end of "
                          "the file (");

        HW_CONTEXT("a first block count longer than 64 bits");
        b.len = 0;
        put(&b, g_file.data, g_at.body);
        put(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11);
        check_refused(&b, "first block: count longer than 64 bits");

        HW_CONTEXT("the first block's deflate data damaged");
        /* Its framing is sound, but Avro C inflates the first block on
         * opening the file and leaks the header it read when that fails:
         * refused before, naming the file and the fault, nothing read
         * (valgrind and LeakSanitizer hold it to no leak). */
        b.len = 0;
        put(&b, g_file.data, g_file.len);
        for (size_t i = g_at.block; i < g_at.block + 8; i++)
                b.data[i] ^= 0xff;
        check_refused(&b, "first block: deflate data that do not inflate (");

        HW_CONTEXT("the first block's deflate stream cut short");
        /* Half the block, its size saying so, then a sync marker: the
         * stream ends before its last deflate block. */
        b.len = 0;
        put(&b, g_file.data, g_at.body);
        {
                size_t at = g_at.body;
                int64_t count = get_long(&g_file, &at);
                int64_t size = get_long(&g_file, &at);
                put_long(&b, count);
                put_long(&b, size / 2);
                put(&b, g_file.data + g_at.block, (size_t)size / 2);
                put(&b, g_file.data + g_at.map_end, 16);
        }
        check_refused(&b, "first block: deflate data that do not inflate "
                          "(cut short)");

        HW_CONTEXT("a sync marker not the blocks'");
        {
                char path[PATH_MAX + 64];
                got_t g = {0};
                b.len = 0;
                put(&b, g_file.data, g_file.len);
                for (size_t i = g_at.map_end; i < g_at.body; i++)
                        b.data[i] ^= 0x5a;
                CHECK_ERR(read_bytes(&b, "sync.avro", &g, path, sizeof(path)),
                          HW_ERR_DECODE);
                HW_CHECK_CONTAINS(errstr, path);
                HW_CHECK_CONTAINS(errstr, ": after record 2: ");
                HW_CHECK_EQ_INT(g.n, 2);
                hw_event_release(&g.ev);
        }
        HW_CONTEXT("%s", "");
        hw_buf_release(&b);
}

/* 8. Not a regular file (a folder): not a container file, as before. */
static void test_not_a_file(void) {
        char path[PATH_MAX + 64];
        got_t g = {0};

        snprintf(path, sizeof(path), "%s/folder.avro", g_dir);
        mkdir(path, 0755);
        CHECK_ERR(read_all(path, &g), HW_ERR_DECODE);
        HW_CHECK_CONTAINS(errstr, "folder.avro: not an Avro object container "
                                  "file");
        hw_event_release(&g.ev);
}

static void run(void) {
        hw_buf_init(&g_file);
        make_archive();
        HW_RUN(test_undamaged);
        HW_RUN(test_cut_at_every_byte);
        HW_RUN(test_lengths);
        HW_RUN(test_block_counts);
        HW_RUN(test_schema);
        HW_RUN(test_codec);
        HW_RUN(test_sync_and_first_block);
        HW_RUN(test_not_a_file);
        hw_buf_release(&g_file);
}

int main(void) {
        return archive_main(run);
}
