/*
 * The event archive (ops/hw_archive.c) through its C API, in scratch
 * folders: events appended are read back once each, in order, framed with
 * the id of their schema; the state file cuts back what was written after
 * the last sync and remembers which offsets were archived; each way the
 * state file, the folder or a file can be wrong is refused with a message
 * naming it; only the latest day of each topic keeps a file open; a file
 * that is not a hirewire archive is told apart from one that is cut short.
 * (The same with allocations failing: test_archive_oom.c.)
 */
#include <avro.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_fixtures.h"
#include "hw_test.h"

static void write_file(const char *path, const char *text) {
        FILE *fp = fopen(path, "w");
        if (!fp) {
                perror(path);
                exit(2);
        }
        fputs(text, fp);
        fclose(fp);
}

static char *read_text(const char *path) {
        static char buf[8192];
        FILE *fp = fopen(path, "r");
        size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
        if (fp)
                fclose(fp);
        buf[n] = '\0';
        return buf;
}

static long long file_size(const char *path) {
        struct stat st;
        return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* The Avro body (no framing) of ev in its current schema. */

/* Open file descriptors of this process on archive files under dir. */
static int open_avro_files(const char *dir) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;
        size_t dl = strlen(dir);
        if (!d)
                return -1;
        while ((de = readdir(d))) {
                char link[PATH_MAX + 32], target[PATH_MAX];
                ssize_t k;
                snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
                k = readlink(link, target, sizeof(target) - 1);
                if (k <= 0)
                        continue;
                target[k] = '\0';
                if (!strncmp(target, dir, dl) && k > 5 &&
                    !strcmp(target + k - 5, ".avro"))
                        n++;
        }
        closedir(d);
        return n;
}

/* 1. Appended events come back in order, each once, framed with the id
 * of the schema they were written with (HireEvent v2, OfferEvent v1), one
 * file per topic per UTC day of the message; what was synced is
 * remembered as archived across a reopen, and nothing after it. */
static void test_round_trip(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t h1 = hire_on("h1", 0), h2 = hire_on("h2", 0),
                   h3 = hire_on("h3", 1), of = an_offer(HW_OFFER_EXTENDED);
        hw_archive_t *a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr,
                                          sizeof(errstr));
        got_t g = {0};

        if (!HW_CHECK(a != NULL))
                return;
        HW_CHECK(!hw_archive_has(a, HIRES, 0, 0));
        CHECK_ERR(append(a, HIRES, 0, 10, &h1, 0), HW_OK);
        CHECK_ERR(append(a, HIRES, 0, 11, &h2, 0), HW_OK);
        CHECK_ERR(append(a, HIRES, 1, 4, &h3, 1), HW_OK);
        CHECK_ERR(append(a, OFFERS, 0, 7, &of, 0), HW_OK);
        HW_CHECK(hw_archive_has(a, HIRES, 0, 11));
        HW_CHECK(hw_archive_has(a, HIRES, 0, 0));
        HW_CHECK(!hw_archive_has(a, HIRES, 0, 12));
        HW_CHECK(hw_archive_has(a, HIRES, 1, 4));
        HW_CHECK(!hw_archive_has(a, HIRES, 2, 0));
        HW_CHECK(!hw_archive_has(a, OFFERS, 0, 8));
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        /* A sync with nothing new appended changes nothing. */
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        hw_archive_close(a);

        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, 0), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 2) && HW_CHECK_EQ_INT(g.bad, 0)) {
                HW_CHECK_STR(g.ids[0], "h1");
                HW_CHECK_STR(g.ids[1], "h2");
                HW_CHECK_EQ_INT(g.schema[0], HW_SCHEMA_HIRE_V2);
                check_event_equal(&g.ev, &h2, "h2 read back");
        }
        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, 1), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 1))
                HW_CHECK_STR(g.ids[0], "h3");
        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, OFFERS, 0), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 1)) {
                HW_CHECK_EQ_INT(g.schema[0], HW_SCHEMA_OFFER_V1);
                check_event_equal(&g.ev, &of, "offer read back");
        }
        /* A reader that stops after the first record gets no more. */
        g.stop = 1;
        hw_event_release(&g.ev);
        hw_event_init(&g.ev);
        g.n = 0;
        CHECK_ERR(hw_archive_read(file_of(path, sizeof(path), dir, HIRES, 0),
                                  on_record, &g, errstr, sizeof(errstr)),
                  HW_OK);
        HW_CHECK_EQ_INT(g.n, 1);

        a = hw_archive_open(dir, errstr, sizeof(errstr));
        if (HW_CHECK(a != NULL)) {
                HW_CHECK(hw_archive_has(a, HIRES, 0, 11));
                HW_CHECK(!hw_archive_has(a, HIRES, 0, 12));
                HW_CHECK(hw_archive_has(a, OFFERS, 0, 7));
                HW_CHECK(!hw_archive_has(a, OFFERS, 1, 0));
                hw_archive_close(a);
        }
        hw_event_release(&g.ev);
}

/* 2. Bytes written after the last sync (a crash between two syncs) are
 * cut off on open, and appending carries on in the same file; a file of
 * a day never synced (left by a crash before its first sync) is started
 * anew rather than appended to. */
static void test_torn_tail(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t h1 = hire_on("t1", 0), h2 = hire_on("t2", 0),
                   h3 = hire_on("t3", 2);
        hw_archive_t *a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr,
                                          sizeof(errstr));
        long long synced;
        got_t g = {0};
        FILE *fp;

        if (!HW_CHECK(a != NULL))
                return;
        CHECK_ERR(append(a, HIRES, 0, 0, &h1, 0), HW_OK);
        hw_archive_close(a);
        file_of(path, sizeof(path), dir, HIRES, 0);
        synced = file_size(path);
        fp = fopen(path, "a");
        if (!HW_CHECK(fp != NULL))
                return;
        fputs("half a block that a crash left behind", fp);
        fclose(fp);
        /* The next day's file exists but was never synced. */
        file_of(path, sizeof(path), dir, HIRES, 2);
        write_file(path, "Obj\x01 not synced");

        a = hw_archive_open(dir, errstr, sizeof(errstr));
        if (!HW_CHECK(a != NULL))
                return;
        HW_CHECK_EQ_INT(file_size(file_of(path, sizeof(path), dir, HIRES, 0)),
                        synced);
        CHECK_ERR(append(a, HIRES, 0, 1, &h2, 0), HW_OK);
        CHECK_ERR(append(a, HIRES, 0, 2, &h3, 2), HW_OK);
        hw_archive_close(a);
        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, 0), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 2)) {
                HW_CHECK_STR(g.ids[0], "t1");
                HW_CHECK_STR(g.ids[1], "t2");
        }
        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, 2), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 1))
                HW_CHECK_STR(g.ids[0], "t3");
        hw_event_release(&g.ev);
}

/* Opens dir holding archive.state = state; returns the error. */
static hw_err_t open_with_state(const char *dir, const char *state) {
        char path[PATH_MAX + 32];
        hw_archive_t *a;
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/archive.state", dir);
        write_file(path, state);
        errstr[0] = '\0';
        a = hw_archive_open(dir, errstr, sizeof(errstr));
        hw_archive_close(a);
        return a ? HW_OK : HW_ERR_IO;
}

/* 3. A state file that cannot be trusted stops the open, naming the file
 * and what is wrong with it. */
static void test_bad_state(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64], state[PATH_MAX + 256];

        HW_CONTEXT("not a state file");
        CHECK_ERR(open_with_state(new_dir(dir, sizeof(dir)), "hello\n"),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "archive.state: not a hirewire archive "
                                  "state file");

        HW_CONTEXT("a line that does not parse");
        CHECK_ERR(open_with_state(new_dir(dir, sizeof(dir)),
                                  "hirewire-archive 1\noffset 0 3 " HIRES
                                  "\nfile x.avro\n"),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "archive.state:3: cannot parse");

        HW_CONTEXT("a file of another type than hire or offer");
        CHECK_ERR(open_with_state(new_dir(dir, sizeof(dir)),
                                  "hirewire-archive 1\nfile x.avro 7 0\n"),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "archive.state:2: cannot parse");

        HW_CONTEXT("a file shorter than recorded");
        new_dir(dir, sizeof(dir));
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/" HIRES, dir);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/" HIRES "/2025-06-15.avro", dir);
        write_file(path, "0123456789");
        CHECK_ERR(open_with_state(dir, "hirewire-archive 1\nfile " HIRES
                                       "/2025-06-15.avro 1 99999\n"),
                  HW_ERR_IO);
        snprintf(state, sizeof(state),
                 "archive file %s is shorter than the 99999 bytes recorded",
                 path);
        HW_CHECK_CONTAINS(errstr, state);

        HW_CONTEXT("a file whose folder is a file");
        CHECK_ERR(open_with_state(dir, "hirewire-archive 1\nfile " HIRES
                                       "/2025-06-15.avro/x 1 4\n"),
                  HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "cannot read ");
        HW_CHECK_CONTAINS(errstr, "2025-06-15.avro/x: Not a directory");

        HW_CONTEXT("a file that cannot be cut back (a folder)");
        CHECK_ERR(open_with_state(dir,
                                  "hirewire-archive 1\nfile " HIRES " 1 3\n"),
                  HW_ERR_IO);
        snprintf(state, sizeof(state),
                 "cannot cut %s/" HIRES " back to 3 bytes", dir);
        HW_CHECK_CONTAINS(errstr, state);

        HW_CONTEXT("a state file that cannot be opened");
        new_dir(dir, sizeof(dir));
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/archive.state", dir);
        HW_CHECK_EQ_INT(symlink("archive.state", path), 0);
        errstr[0] = '\0';
        HW_CHECK_NULL(hw_archive_open(dir, errstr, sizeof(errstr)));
        snprintf(state, sizeof(state), "cannot read %s: ", path);
        HW_CHECK_CONTAINS(errstr, state);

        HW_CONTEXT("a state file that cannot be read (a folder)");
        new_dir(dir, sizeof(dir));
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/archive.state", dir);
        mkdir(path, 0755);
        errstr[0] = '\0';
        HW_CHECK_NULL(hw_archive_open(dir, errstr, sizeof(errstr)));
        snprintf(state, sizeof(state), "cannot read %s: Is a directory", path);
        HW_CHECK_CONTAINS(errstr, state);

        HW_CONTEXT("a folder that cannot be made");
        snprintf(path, sizeof(path), "%s/archive.state/x/y", dir);
        errstr[0] = '\0';
        HW_CHECK_NULL(hw_archive_open(path, errstr, sizeof(errstr)));
        snprintf(state, sizeof(state), "cannot create %s: ", path);
        HW_CHECK_CONTAINS(errstr, state);
        HW_CONTEXT("%s", "");
}

/* 4. A file removed since the last sync (retention) is forgotten: the
 * open succeeds, the offsets stay archived, and the next state no longer
 * lists it. */
static void test_removed_file(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t h = hire_on("r1", 3);
        hw_archive_t *a;

        CHECK_ERR(open_with_state(new_dir(dir, sizeof(dir)),
                                  "hirewire-archive 1\nfile " HIRES
                                  "/2025-06-15.avro 1 4000\noffset 2 41 " HIRES
                                  "\n"),
                  HW_OK);
        a = hw_archive_open(dir, errstr, sizeof(errstr));
        if (!HW_CHECK(a != NULL))
                return;
        HW_CHECK(hw_archive_has(a, HIRES, 2, 40));
        HW_CHECK(!hw_archive_has(a, HIRES, 2, 41));
        CHECK_ERR(append(a, HIRES, 2, 41, &h, 3), HW_OK);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        snprintf(path, sizeof(path), "%s/archive.state", dir);
        HW_CHECK(!strstr(read_text(path), "2025-06-15.avro"));
        HW_CHECK_CONTAINS(read_text(path), "file " HIRES "/2025-06-18.avro 1 ");
        HW_CHECK_CONTAINS(read_text(path), "offset 2 42 " HIRES "\n");
        hw_archive_close(a);
}

/* 5. A topic's file holds one type: an offer for a file of hires is
 * refused, naming the file and both types, and the hires stay readable. */
static void test_one_type_per_file(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t h = hire_on("m1", 0), of = an_offer(HW_OFFER_ACCEPTED);
        hw_archive_t *a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr,
                                          sizeof(errstr));
        got_t g = {0};

        if (!HW_CHECK(a != NULL))
                return;
        CHECK_ERR(append(a, "talent.all", 0, 0, &h, 0), HW_OK);
        CHECK_ERR(append(a, "talent.all", 0, 1, &of, 0), HW_ERR_ARG);
        HW_CHECK_CONTAINS(errstr, "archive talent.all/2025-06-15.avro holds "
                                  "hires, not offers");
        HW_CHECK(!hw_archive_has(a, "talent.all", 0, 1));
        hw_archive_close(a);
        snprintf(path, sizeof(path), "%s/talent.all/2025-06-15.avro", dir);
        CHECK_ERR(read_all(path, &g), HW_OK);
        HW_CHECK_EQ_INT(g.n, 1);
        hw_event_release(&g.ev);
}

/* 6. Only the file of the latest day of each topic stays open after a
 * sync (at most 64 in all); a late event reopens its day's file and is
 * appended after what it held. */
static void test_open_files(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64], topic[32];
        hw_event_t h1 = hire_on("d1", 0), h2 = hire_on("d2", 1),
                   h3 = hire_on("d3", 0);
        hw_archive_t *a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr,
                                          sizeof(errstr));
        got_t g = {0};

        if (!HW_CHECK(a != NULL))
                return;
        CHECK_ERR(append(a, HIRES, 0, 0, &h1, 0), HW_OK);
        CHECK_ERR(append(a, HIRES, 0, 1, &h2, 1), HW_OK);
        HW_CHECK_EQ_INT(open_avro_files(dir), 2);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_EQ_INT(open_avro_files(dir), 1);
        CHECK_ERR(append(a, HIRES, 0, 2, &h3, 0), HW_OK);
        HW_CHECK_EQ_INT(open_avro_files(dir), 2);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        /* Day 0 is older than day 1: closed again. */
        HW_CHECK_EQ_INT(open_avro_files(dir), 1);

        for (int t = 0; t < 70; t++) {
                snprintf(topic, sizeof(topic), "topic.%02d", t);
                CHECK_ERR(append(a, topic, 0, 0, &h1, 0), HW_OK);
        }
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_EQ_INT(open_avro_files(dir), 64);
        hw_archive_close(a);
        HW_CHECK_EQ_INT(open_avro_files(dir), 0);

        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, 0), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 2)) {
                HW_CHECK_STR(g.ids[0], "d1");
                HW_CHECK_STR(g.ids[1], "d3");
        }
        for (int t = 0; t < 70; t += 69) {
                snprintf(topic, sizeof(topic), "topic.%02d", t);
                CHECK_ERR(read_all(file_of(path, sizeof(path), dir, topic, 0),
                                   &g),
                          HW_OK);
                HW_CHECK_EQ_INT(g.n, 1);
        }
        hw_event_release(&g.ev);
}

/* 7. An event larger than an Avro block is refused, naming the file;
 * with the block size raised (as the consumer does, to
 * max.message.bytes) it is archived and read back whole, also when its
 * block goes past the file's first MiB. */
static void test_block_size(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t big = hire_on("big", 0);
        char *name = malloc(400 * 1024);
        hw_archive_t *a;
        got_t g = {0};

        if (!name)
                return;
        memset(name, 'x', 400 * 1024 - 1);
        name[400 * 1024 - 1] = '\0';
        big.person_name = name;
        a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr, sizeof(errstr));
        if (HW_CHECK(a != NULL)) {
                CHECK_ERR(append(a, HIRES, 0, 0, &big, 0), HW_ERR_IO);
                HW_CHECK_CONTAINS(errstr, "cannot append to " HIRES
                                          "/2025-06-15.avro: ");
                HW_CHECK(!hw_archive_has(a, HIRES, 0, 0));
                hw_archive_close(a);
        }
        a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr, sizeof(errstr));
        if (HW_CHECK(a != NULL)) {
                hw_archive_set_block_size(a, 1024 * 1024);
                CHECK_ERR(append(a, HIRES, 0, 0, &big, 0), HW_OK);
                hw_archive_close(a);
        }
        /* The codec refuses the name as too long; the record is there. */
        CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, 0), &g),
                  HW_OK);
        HW_CHECK_EQ_INT(g.bad, 1);

        /* A first block past the file's first MiB even deflated (a name
         * of 1.5 MiB that does not compress): still read, the header
         * check leaving its inflating to Avro C. */
        free(name);
        name = malloc(1536 * 1024);
        if (!name)
                return;
        for (uint32_t i = 0, x = 1; i < 1536 * 1024 - 1; i++) {
                x = x * 1103515245u + 12345u;
                name[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789+/"[(x >> 16) & 63];
        }
        name[1536 * 1024 - 1] = '\0';
        big.person_name = name;
        a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr, sizeof(errstr));
        if (HW_CHECK(a != NULL)) {
                hw_archive_set_block_size(a, 4 * 1024 * 1024);
                CHECK_ERR(append(a, HIRES, 0, 0, &big, 0), HW_OK);
                hw_archive_close(a);
        }
        HW_CHECK(file_size(file_of(path, sizeof(path), dir, HIRES, 0)) >
                 1024 * 1024);
        CHECK_ERR(read_all(path, &g), HW_OK);
        HW_CHECK_EQ_INT(g.bad, 1); /* the record, its name too long */
        hw_event_release(&g.ev);
        free(name);
}

/* 8. The folder removed or blocked under a running archive: appending to
 * an open file still works, the sync then fails naming the file; a new
 * day's file cannot be made, naming its folder; a state that cannot be
 * written or renamed fails the sync naming it. */
static void test_folder_trouble(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64], want[PATH_MAX + 128];
        hw_event_t h1 = hire_on("f1", 0), h2 = hire_on("f2", 0),
                   h3 = hire_on("f3", 1), of = an_offer(HW_OFFER_DECLINED);
        hw_archive_t *a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr,
                                          sizeof(errstr));

        if (!HW_CHECK(a != NULL))
                return;
        CHECK_ERR(append(a, HIRES, 0, 0, &h1, 0), HW_OK);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);

        HW_CONTEXT("the state cannot be written");
        snprintf(path, sizeof(path), "%s/archive.state.tmp", dir);
        mkdir(path, 0755);
        CHECK_ERR(append(a, HIRES, 0, 1, &h2, 0), HW_OK);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_ERR_IO);
        snprintf(want, sizeof(want), "cannot write %s: Is a directory", path);
        HW_CHECK_CONTAINS(errstr, want);
        rmdir(path);

        HW_CONTEXT("the state cannot be renamed into place");
        snprintf(path, sizeof(path), "%s/archive.state", dir);
        unlink(path);
        mkdir(path, 0755);
        snprintf(want, sizeof(want), "%s/archive.state/keep", dir);
        write_file(want, "");
        CHECK_ERR(append(a, HIRES, 0, 2, &h3, 1), HW_OK);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_ERR_IO);
        snprintf(want, sizeof(want), "cannot write %s: ", path);
        HW_CHECK_CONTAINS(errstr, want);

        HW_CONTEXT("the topic's folder is a file");
        snprintf(path, sizeof(path), "%s/" OFFERS, dir);
        write_file(path, "");
        CHECK_ERR(append(a, OFFERS, 0, 0, &of, 0), HW_ERR_IO);
        snprintf(want, sizeof(want), "cannot open %s/2025-06-15.avro: ", path);
        HW_CHECK_CONTAINS(errstr, want);
        HW_CHECK(!hw_archive_has(a, OFFERS, 0, 0));

        HW_CONTEXT("the folder removed");
        rm_tree(dir);
        CHECK_ERR(append(a, HIRES, 0, 3, &h2, 1), HW_OK);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_ERR_IO);
        file_of(path, sizeof(path), dir, HIRES, 1);
        snprintf(want, sizeof(want), "cannot sync %s: No such file", path);
        HW_CHECK_CONTAINS(errstr, want);
        CHECK_ERR(append(a, OFFERS, 0, 0, &of, 0), HW_ERR_IO);
        snprintf(want, sizeof(want), "cannot create %s/" OFFERS ": ", dir);
        HW_CHECK_CONTAINS(errstr, want);
        HW_CONTEXT("%s", "");
        hw_archive_close(a); /* warns that it cannot sync */
}

/* Writes an Avro container of schema_json with the given bodies, each
 * block flushed after one record. */
static void write_container(const char *path, const char *schema_json,
                            const hw_buf_t *bodies, size_t n) {
        avro_schema_t s;
        avro_file_writer_t w;
        unlink(path);
        if (avro_schema_from_json_length(schema_json, strlen(schema_json),
                                         &s) ||
            avro_file_writer_create(path, s, &w)) {
                fprintf(stderr, "test: %s: %s\n", path, avro_strerror());
                exit(2);
        }
        for (size_t i = 0; i < n; i++) {
                avro_file_writer_append_encoded(w, bodies[i].data + 5,
                                                (int64_t)bodies[i].len - 5);
                avro_file_writer_flush(w);
        }
        avro_file_writer_close(w);
        avro_schema_decref(s);
}

/* 9. Reading files: a HireEvent v1 file reads framed with id 1 (and
 * decodes with v2's defaults); a missing file, a file that is not Avro,
 * an Avro file of something else and one cut short each give their own
 * error, naming the file. (Files cut short in their header or first
 * block, and headers damaged otherwise: test_archive_header.c.) */
static void test_read_files(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t h1 = hire_on("v1-a", 0), h2 = hire_on("v1-b", 0);
        hw_buf_t bodies[2];
        got_t g = {0};
        long long size;

        new_dir(dir, sizeof(dir));
        mkdir(dir, 0755);
        hw_buf_init(&bodies[0]);
        hw_buf_init(&bodies[1]);
        encode(&h1, HW_SCHEMA_HIRE_V1, &bodies[0]);
        encode(&h2, HW_SCHEMA_HIRE_V1, &bodies[1]);

        snprintf(path, sizeof(path), "%s/v1.avro", dir);
        write_container(path, hw_codec_schema_json(HW_SCHEMA_HIRE_V1), bodies,
                        2);
        CHECK_ERR(read_all(path, &g), HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 2)) {
                HW_CHECK_EQ_INT(g.schema[0], HW_SCHEMA_HIRE_V1);
                HW_CHECK_STR(g.ids[1], "v1-b");
                HW_CHECK_EQ_INT(g.ev.tier, HW_TIER_UNRATED);
                HW_CHECK_NULL(g.ev.alma_mater);
        }

        HW_CONTEXT("cut short in the second block");
        size = file_size(path);
        HW_CHECK_EQ_INT(truncate(path, size - 30), 0);
        CHECK_ERR(read_all(path, &g), HW_ERR_DECODE);
        HW_CHECK_EQ_INT(g.n, 1);
        HW_CHECK_CONTAINS(errstr, "v1.avro: after record 1: ");

        HW_CONTEXT("the last sync marker cut short");
        write_container(path, hw_codec_schema_json(HW_SCHEMA_HIRE_V1), bodies,
                        2);
        HW_CHECK_EQ_INT(truncate(path, size - 8), 0);
        CHECK_ERR(read_all(path, &g), HW_ERR_DECODE);
        HW_CHECK_EQ_INT(g.n, 2);
        HW_CHECK_CONTAINS(errstr, "v1.avro: after record 2: ");

        HW_CONTEXT("records of another schema");
        snprintf(path, sizeof(path), "%s/other.avro", dir);
        write_container(path,
                        "{\"type\":\"record\",\"name\":\"Salary\",\"fields\":"
                        "[{\"name\":\"usd\",\"type\":\"long\"}]}",
                        NULL, 0);
        CHECK_ERR(read_all(path, &g), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "other.avro: records of Salary, not "
                                  "hirewire events");
        write_container(path, "\"string\"", NULL, 0);
        CHECK_ERR(read_all(path, &g), HW_ERR_UNKNOWN_SCHEMA);
        HW_CHECK_CONTAINS(errstr, "not hirewire events");

        HW_CONTEXT("not an Avro file");
        snprintf(path, sizeof(path), "%s/notes.txt", dir);
        write_file(path, "Obj");
        CHECK_ERR(read_all(path, &g), HW_ERR_DECODE);
        HW_CHECK_CONTAINS(errstr, "notes.txt: not an Avro object container "
                                  "file");
        write_file(path, "Obj\x02 a later version");
        CHECK_ERR(read_all(path, &g), HW_ERR_DECODE);
        HW_CHECK_CONTAINS(errstr, "notes.txt: not an Avro object container "
                                  "file");

        HW_CONTEXT("no such file");
        snprintf(path, sizeof(path), "%s/missing.avro", dir);
        CHECK_ERR(read_all(path, &g), HW_ERR_IO);
        HW_CHECK_CONTAINS(errstr, "cannot open ");
        HW_CHECK_CONTAINS(errstr, "missing.avro: No such file");
        HW_CONTEXT("%s", "");
        hw_buf_release(&bodies[0]);
        hw_buf_release(&bodies[1]);
        hw_event_release(&g.ev);
}

/* 10. A partition listed twice in the state keeps its larger mark, so
 * nothing below it is archived again. */
static void test_state_marks(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_archive_t *a;
        new_dir(dir, sizeof(dir));
        mkdir(dir, 0755);
        snprintf(path, sizeof(path), "%s/archive.state", dir);
        write_file(path, "hirewire-archive 1\noffset 0 9 " HIRES
                         "\noffset 0 3 " HIRES "\noffset 1 2 " HIRES "\n");
        errstr[0] = '\0';
        a = hw_archive_open(dir, errstr, sizeof(errstr));
        if (HW_CHECK(a != NULL)) {
                HW_CHECK(hw_archive_has(a, HIRES, 0, 8));
                HW_CHECK(!hw_archive_has(a, HIRES, 0, 9));
                HW_CHECK(hw_archive_has(a, HIRES, 1, 1));
                HW_CHECK(!hw_archive_has(a, HIRES, 1, 2));
                HW_CHECK(!hw_archive_has(a, OFFERS, 0, 0));
                hw_archive_close(a);
        }
}

/* 11. Messages out of offset and day order: an offset below the
 * partition's mark (a message read again) leaves the mark where it was,
 * across a reopen too; a later day's event appended before an earlier
 * day's goes to its own day's file, and after a sync only the later
 * day's file stays open. */
static void test_out_of_order(void) {
        char dir[PATH_MAX], path[PATH_MAX + 64];
        hw_event_t late = hire_on("o-late", 2), early = hire_on("o-early", 1);
        hw_archive_t *a = hw_archive_open(new_dir(dir, sizeof(dir)), errstr,
                                          sizeof(errstr));
        got_t g = {0};

        if (!HW_CHECK(a != NULL))
                return;
        CHECK_ERR(append(a, HIRES, 0, 7, &late, 2), HW_OK);
        CHECK_ERR(append(a, HIRES, 0, 3, &early, 1), HW_OK);
        HW_CHECK(hw_archive_has(a, HIRES, 0, 7));
        HW_CHECK(!hw_archive_has(a, HIRES, 0, 8));
        HW_CHECK_EQ_INT(open_avro_files(dir), 2);
        CHECK_ERR(hw_archive_sync(a, errstr, sizeof(errstr)), HW_OK);
        HW_CHECK_EQ_INT(open_avro_files(dir), 1);
        hw_archive_close(a);

        a = hw_archive_open(dir, errstr, sizeof(errstr));
        if (HW_CHECK(a != NULL)) {
                HW_CHECK(hw_archive_has(a, HIRES, 0, 7));
                HW_CHECK(!hw_archive_has(a, HIRES, 0, 8));
                hw_archive_close(a);
        }
        for (int day = 1; day <= 2; day++) {
                HW_CONTEXT("day %d", day);
                CHECK_ERR(read_all(file_of(path, sizeof(path), dir, HIRES, day),
                                   &g),
                          HW_OK);
                if (HW_CHECK_EQ_INT(g.n, 1))
                        HW_CHECK_STR(g.ids[0], day == 1 ? "o-early" : "o-late");
        }
        HW_CONTEXT("%s", "");
        hw_event_release(&g.ev);
}

static void run(void) {
        HW_RUN(test_round_trip);
        HW_RUN(test_torn_tail);
        HW_RUN(test_bad_state);
        HW_RUN(test_removed_file);
        HW_RUN(test_one_type_per_file);
        HW_RUN(test_open_files);
        HW_RUN(test_block_size);
        HW_RUN(test_folder_trouble);
        HW_RUN(test_read_files);
        HW_RUN(test_state_marks);
        HW_RUN(test_out_of_order);
}

int main(void) {
        return archive_main(run);
}
