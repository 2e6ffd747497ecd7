/*
 * hirewire's log records (base/hw_log.h), read back from stderr: a
 * message holding quotes, backslashes, newlines and other control bytes
 * (text from events and from Redis's and Kafka's errors ends up in
 * messages) stays one logfmt record on one line, each escaped; a message
 * or its key=value pairs too long for a record are cut, the record still
 * ended by its newline; an empty key=value list adds nothing. Needs no
 * service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_log.h"
#include "hw_test.h"

/* What the records written by fn() are: stderr caught in a temporary file
 * meanwhile, read into out (NUL-terminated). Returns its length. */
static size_t caught(void (*fn)(void), char *out, size_t size) {
        FILE *t = tmpfile();
        int saved;
        size_t n = 0;

        out[0] = '\0';
        if (!HW_CHECK(t != NULL))
                return 0;
        fflush(stderr);
        saved = dup(2);
        if (!HW_CHECK(saved >= 0 && dup2(fileno(t), 2) >= 0)) {
                fclose(t);
                return 0;
        }
        fn();
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        rewind(t);
        n = fread(out, 1, size - 1, t);
        out[n] = '\0';
        fclose(t);
        return n;
}

/* How many newlines text has. */
static size_t lines(const char *text) {
        size_t n = 0;
        for (; *text; text++)
                n += *text == '\n';
        return n;
}

static void write_escaped(void) {
        hw_log_write(HW_LOG_WARN, "test",
                     "event \"e\\1\"\nnext line\ttab\x01 end");
}

static void write_kv_empty(void) {
        hw_log_write_kv(HW_LOG_INFO, "test", "no pairs", "%s", "");
}

static void write_long(void) {
        char msg[1024];
        memset(msg, '\x02', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        hw_log_write(HW_LOG_ERROR, "test", "%s", msg);
}

static void write_long_kv(void) {
        char msg[1024], kv[1000];
        memset(msg, '"', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        memset(kv, 'k', sizeof(kv) - 1);
        kv[sizeof(kv) - 1] = '\0';
        hw_log_write_kv(HW_LOG_INFO, "test", msg, "%s", kv);
}

/* 1. Quotes and backslashes escaped with a backslash, a newline as \n,
 * other control bytes as \xHH: one line. */
static void test_escaped(void) {
        char out[4096];

        caught(write_escaped, out, sizeof(out));
        HW_CHECK_EQ_INT(lines(out), 1);
        HW_CHECK_CONTAINS(out, " level=warn component=test msg=\"event "
                               "\\\"e\\\\1\\\"\\nnext line\\x09tab\\x01 "
                               "end\"\n");
}

/* 2. An empty key=value list: the record ends with the message. */
static void test_kv_empty(void) {
        char out[4096];
        size_t n = caught(write_kv_empty, out, sizeof(out));

        HW_CHECK_EQ_INT(lines(out), 1);
        HW_CHECK(n > 10 && !strcmp(out + n - 10, "no pairs\"\n"));
}

/* 3. A message whose escapes do not fit a record is cut, the record
 * closed; key=value pairs past the record's end are cut, the record
 * still ended by its newline (it held a NUL byte before it). Either way
 * one line, at most 2600 bytes. */
static void test_cut(void) {
        char out[8192];
        size_t n = caught(write_long, out, sizeof(out));

        HW_CHECK_EQ_INT(lines(out), 1);
        HW_CHECK(n <= 2600);
        HW_CHECK(n > 2500 && !strcmp(out + n - 6, "\\x02\"\n"));
        n = caught(write_long_kv, out, sizeof(out));
        HW_CHECK_EQ_INT(lines(out), 1);
        HW_CHECK_EQ_INT(n, 2600);
        HW_CHECK_EQ_INT(strlen(out), n); /* no NUL byte in the record */
        HW_CHECK(out[n - 1] == '\n' && out[n - 2] == 'k');
        HW_CHECK_CONTAINS(out, "\\\"\" kkkk");
}

int main(void) {
        HW_RUN(test_escaped);
        HW_RUN(test_kv_empty);
        HW_RUN(test_cut);
        return hw_test_summary();
}
