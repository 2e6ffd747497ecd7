/*
 * The event archive (ops/hw_archive.c) with hirewire's allocations
 * failing in turn (oom_fixtures.h): opening, appending and reading report
 * out of memory, and once retried the archive holds each event exactly
 * once.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "archive_fixtures.h"
#include "hw_test.h"
#include "oom_fixtures.h"

/* Opening an archive whose state lists files and offsets. */
typedef struct open_case_s {
        const char *dir;
        hw_archive_t *a;
} open_case_t;

static hw_err_t open_run(void *ctx, char *es, size_t size) {
        open_case_t *o = ctx;
        o->a = hw_archive_open(o->dir, es, size);
        return o->a ? HW_OK : HW_ERR_NOMEM;
}

/* A failed open says why; opened (then, or again), it knows what was
 * archived. */
static void open_check(void *ctx, hw_err_t err, unsigned long failed,
                       const char *es) {
        open_case_t *o = ctx;
        (void)failed;
        if (err) {
                HW_CHECK_CONTAINS(es, "out of memory");
                o->a = hw_archive_open(o->dir, errstr, sizeof(errstr));
        }
        if (!HW_CHECK(o->a != NULL))
                return;
        HW_CHECK(hw_archive_has(o->a, HIRES, 0, 1));
        HW_CHECK(hw_archive_has(o->a, OFFERS, 3, 0));
        HW_CHECK(!hw_archive_has(o->a, HIRES, 0, 2));
}

static void open_teardown(void *ctx) {
        open_case_t *o = ctx;
        hw_archive_close(o->a);
        o->a = NULL;
}

/* Appending four events over two topics and two days, then syncing. */
typedef struct append_case_s {
        char dir[PATH_MAX];
        hw_archive_t *a;
        hw_event_t ev[4];
        hw_buf_t body[4]; /* framed, encoded before the runs */
} append_case_t;

static const char *const append_topic[4] = {HIRES, HIRES, HIRES, OFFERS};
static const int append_day[4] = {0, 0, 1, 0};

/* As the consumer does: each message not archived yet is appended. */
static hw_err_t append_all(append_case_t *c, char *es, size_t size) {
        for (int i = 0; i < 4; i++) {
                hw_err_t err;
                if (hw_archive_has(c->a, append_topic[i], 0, i))
                        continue;
                err = hw_archive_append(c->a, append_topic[i], 0, i,
                                        T_JUNE15_10 + append_day[i] * DAY_MS,
                                        c->ev[i].type, c->body[i].data + 5,
                                        c->body[i].len - 5, es, size);
                if (err)
                        return err;
        }
        return hw_archive_sync(c->a, es, size);
}

static void append_setup(void *ctx) {
        append_case_t *c = ctx;
        c->a = hw_archive_open(new_dir(c->dir, sizeof(c->dir)), errstr,
                               sizeof(errstr));
}

static hw_err_t append_run(void *ctx, char *es, size_t size) {
        append_case_t *c = ctx;
        return c->a ? append_all(c, es, size) : HW_ERR_INTERNAL;
}

/* Retried after a failure, every event is archived exactly once. */
static void append_check(void *ctx, hw_err_t err, unsigned long failed,
                         const char *es) {
        append_case_t *c = ctx;
        char path[PATH_MAX + 64];
        got_t g = {0};
        (void)failed;
        if (err) {
                HW_CHECK_CONTAINS(es, "out of memory");
                CHECK_ERR(append_all(c, errstr, sizeof(errstr)), HW_OK);
        }
        hw_archive_close(c->a);
        c->a = NULL;
        CHECK_ERR(read_all(file_of(path, sizeof(path), c->dir, HIRES, 0), &g),
                  HW_OK);
        if (HW_CHECK_EQ_INT(g.n, 2)) {
                HW_CHECK_STR(g.ids[0], "o0");
                HW_CHECK_STR(g.ids[1], "o1");
        }
        CHECK_ERR(read_all(file_of(path, sizeof(path), c->dir, HIRES, 1), &g),
                  HW_OK);
        HW_CHECK_EQ_INT(g.n, 1);
        CHECK_ERR(read_all(file_of(path, sizeof(path), c->dir, OFFERS, 0), &g),
                  HW_OK);
        HW_CHECK_EQ_INT(g.n, 1);
        hw_event_release(&g.ev);
}

static void append_teardown(void *ctx) {
        append_case_t *c = ctx;
        hw_archive_close(c->a);
        c->a = NULL;
        rm_tree(c->dir);
}

/* Reading a file of two records, counting them. */
typedef struct read_case_s {
        const char *path;
        size_t n;
} read_case_t;

static int count_record(void *ctx, const void *framed, size_t len,
                        uint64_t record) {
        read_case_t *r = ctx;
        (void)framed;
        (void)len;
        (void)record;
        r->n++;
        return 0;
}

static hw_err_t read_run(void *ctx, char *es, size_t size) {
        read_case_t *r = ctx;
        r->n = 0;
        return hw_archive_read(r->path, count_record, r, es, size);
}

static void read_check(void *ctx, hw_err_t err, unsigned long failed,
                       const char *es) {
        read_case_t *r = ctx;
        (void)failed;
        if (err) {
                HW_CHECK_CONTAINS(es, "out of memory");
                HW_CHECK_EQ_INT(r->n, 0);
                CHECK_ERR(read_run(r, errstr, sizeof(errstr)), HW_OK);
        }
        HW_CHECK_EQ_INT(r->n, 2);
}

/* Out of memory while opening, appending and reading: reported as
 * such, and the archive, used again, holds each event exactly once. */
static void test_out_of_memory(void) {
        open_case_t o = {0};
        append_case_t c = {.ev = {hire_on("o0", 0), hire_on("o1", 0),
                                  hire_on("o2", 1),
                                  an_offer(HW_OFFER_WITHDRAWN)}};
        hw_oom_case_t oc = {.what = "opening an archive",
                            .ctx = &o,
                            .run = open_run,
                            .check = open_check,
                            .teardown = open_teardown};
        hw_oom_case_t ac = HW_OOM_CASE("appending events", &c, append);
        char dir[PATH_MAX], path[PATH_MAX + 64];
        read_case_t r = {path, 0};
        hw_oom_case_t rc = {.what = "reading a file",
                            .ctx = &r,
                            .run = read_run,
                            .check = read_check};
        hw_archive_t *a;

        for (int i = 0; i < 4; i++) {
                hw_buf_init(&c.body[i]);
                encode(&c.ev[i], 0, &c.body[i]);
        }
        o.dir = new_dir(dir, sizeof(dir));
        file_of(path, sizeof(path), dir, HIRES, 0);
        a = hw_archive_open(dir, errstr, sizeof(errstr));
        if (!HW_CHECK(a != NULL))
                return;
        CHECK_ERR(append(a, HIRES, 0, 0, &c.ev[0], 0), HW_OK);
        CHECK_ERR(append(a, HIRES, 0, 1, &c.ev[1], 0), HW_OK);
        CHECK_ERR(append(a, OFFERS, 3, 0, &c.ev[3], 0), HW_OK);
        hw_archive_close(a);
        HW_CHECK(hw_oom_loop(&oc) > 3);
        HW_CHECK(hw_oom_loop(&ac) > 3);
        HW_CHECK(hw_oom_loop(&rc) >= 1);
        for (int i = 0; i < 4; i++)
                hw_buf_release(&c.body[i]);
}

static void run(void) {
        HW_RUN(test_out_of_memory);
}

int main(void) {
        return archive_main(run);
}
