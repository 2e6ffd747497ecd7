/* The archive tests' shared parts (archive_fixtures.h). */
#include "archive_fixtures.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hw_buf.h"
#include "hw_test.h"

static char g_root[PATH_MAX]; /* the run's scratch folder */
static int g_dirs;            /* folders made under it */

/* A new empty folder path under the scratch folder (not created). */
const char *new_dir(char *out, size_t size) {
        int n = snprintf(out, size, "%s/a%d", g_root, ++g_dirs);
        if (n < 0 || (size_t)n >= size)
                abort(); /* the scratch folder's path is short */
        return out;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

void rm_tree(const char *dir) {
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static hw_buf_t g_body;
static const void *body_of(const hw_event_t *ev, size_t *len) {
        if (encode(ev, 0, &g_body) != HW_OK) {
                fprintf(stderr, "test: cannot encode %s: %s\n", ev->event_id,
                        errstr);
                exit(2);
        }
        *len = g_body.len - 5;
        return g_body.data + 5;
}

/* A hire of event_id id, n days after 2025-06-15. */
hw_event_t hire_on(const char *id, int day) {
        hw_event_t ev = full_hire();
        ev.event_id = id;
        ev.occurred_at = T_JUNE15_10 + day * DAY_MS;
        return ev;
}

hw_err_t append(hw_archive_t *a, const char *topic, int32_t partition,
                int64_t offset, const hw_event_t *ev, int day) {
        size_t len;
        const void *body = body_of(ev, &len);
        errstr[0] = '\0';
        return hw_archive_append(a, topic, partition, offset,
                                 T_JUNE15_10 + day * DAY_MS, ev->type, body,
                                 len, errstr, sizeof(errstr));
}

int on_record(void *ctx, const void *framed, size_t len, uint64_t record) {
        got_t *g = ctx;
        const unsigned char *p = framed;
        if (record != g->n + 1 || g->n == 80 || len < 5 ||
            decode(framed, len, &g->ev) != HW_OK) {
                g->bad++;
                return 1;
        }
        snprintf(g->ids[g->n], sizeof(g->ids[0]), "%s", g->ev.event_id);
        g->schema[g->n] = (p[1] << 24) | (p[2] << 16) | (p[3] << 8) | p[4];
        g->n++;
        return g->stop && g->n == g->stop;
}

hw_err_t read_all(const char *path, got_t *g) {
        hw_event_release(&g->ev);
        memset(g, 0, sizeof(*g) - sizeof(g->ev));
        hw_event_init(&g->ev);
        errstr[0] = '\0';
        return hw_archive_read(path, on_record, g, errstr, sizeof(errstr));
}

/* An archive file's path: DIR/<topic>/<2025-06-15 + day>.avro. */
const char *file_of(char *out, size_t size, const char *dir, const char *topic,
                    int day) {
        snprintf(out, size, "%s/%s/2025-06-%02d.avro", dir, topic, 15 + day);
        return out;
}

int archive_main(void (*run)(void)) {
        const char *tmp = getenv("TMPDIR");
        int rc;

        snprintf(g_root, sizeof(g_root), "%s/hw_test_archive_XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(g_root)) {
                perror("test: mkdtemp");
                return 2;
        }
        hw_buf_init(&g_body);
        rc = fixtures_main(run);
        hw_buf_release(&g_body);
        rm_tree(g_root);
        return rc;
}
