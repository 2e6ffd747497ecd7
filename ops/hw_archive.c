#include "hw_archive.h"

#include <avro.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw_codec.h"
#include "hw_log.h"
#include "hw_map.h"
#include "hw_time.h"

#define STATE_FILE "archive.state"
#define STATE_MAGIC "hirewire-archive 1"
#define BLOCK_MIN (256 * 1024)

/* One file: DIR/<topic>/<yyyy-mm-dd>.avro. */
typedef struct archive_file_s {
        char *rel; /* "<topic>/<yyyy-mm-dd>.avro" */
        hw_event_type_t type;
        int64_t synced;       /* size at the last sync, -1 = never synced */
        avro_file_writer_t w; /* open writer, or NULL */
        int dirty;            /* appended since the last sync */
} archive_file_t;

struct hw_archive_s {
        char *dir;
        size_t block_size;
        avro_schema_t schema[HW_EVENT_OFFER + 1]; /* by hw_event_type_t */
        hw_map_t files;                           /* rel -> archive_file_t * */
        hw_map_t offsets; /* topic\0partition -> next offset (v.i) */
};

static const int schema_id[HW_EVENT_OFFER + 1] = {
        [HW_EVENT_HIRE] = HW_SCHEMA_HIRE_V2,
        [HW_EVENT_OFFER] = HW_SCHEMA_OFFER_V1};

static void path_of(const hw_archive_t *a, const char *rel, char *out,
                    size_t size) {
        snprintf(out, size, "%s/%s", a->dir, rel);
}

/* fsync of a file or folder by name. */
static int sync_path(const char *path) {
        int fd = open(path, O_RDONLY);
        int rc;
        if (fd < 0)
                return -1;
        rc = fsync(fd);
        close(fd);
        return rc;
}

/* The file rel, added if new. NULL when out of memory, the archive
 * unchanged (no entry without its file). */
static archive_file_t *add_file(hw_archive_t *a, const char *rel,
                                hw_event_type_t type, int64_t synced) {
        int created;
        hw_map_entry_t *e = hw_map_find(&a->files, rel, strlen(rel));
        archive_file_t *f;
        if (e)
                return (archive_file_t *)e->v.p;
        if (!(f = calloc(1, sizeof(*f))))
                return NULL;
        if (!(e = hw_map_upsert(&a->files, rel, strlen(rel), &created))) {
                free(f);
                return NULL;
        }
        f->rel = (char *)e->key;
        f->type = type;
        f->synced = synced;
        e->v.p = f;
        return f;
}

/* The entry of a partition's next archived offset, created at 0
 * (nothing archived); NULL when out of memory. */
static hw_map_entry_t *offset_entry(hw_archive_t *a, const char *topic,
                                    int32_t partition) {
        char key[300];
        int n = snprintf(key, sizeof(key), "%s%c%" PRId32, topic, '\0',
                         partition);
        int created;
        return hw_map_upsert(&a->offsets, key, (size_t)n, &created);
}

/* Reads archive.state and cuts every file back to its synced size. */
static hw_err_t load_state(hw_archive_t *a, char *errstr, size_t size) {
        char path[4096], line[1024];
        FILE *fp;
        int lineno = 0;
        hw_err_t err = HW_OK;

        snprintf(path, sizeof(path), "%s/%s", a->dir, STATE_FILE);
        if (!(fp = fopen(path, "r")))
                return errno == ENOENT ? HW_OK
                                       : hw_fail(HW_ERR_IO, errstr, size,
                                                 "cannot read %s: %s", path,
                                                 strerror(errno));
        while (!err && fgets(line, sizeof(line), fp)) {
                char rel[512], topic[256];
                int type;
                int64_t n;
                int32_t partition;
                lineno++;
                line[strcspn(line, "\n")] = '\0';
                if (lineno == 1) {
                        if (strcmp(line, STATE_MAGIC))
                                err = hw_fail(HW_ERR_IO, errstr, size,
                                              "%s: not a hirewire archive "
                                              "state file",
                                              path);
                } else if (sscanf(line, "file %511s %d %" SCNd64, rel, &type,
                                  &n) == 3 &&
                           (type == HW_EVENT_HIRE || type == HW_EVENT_OFFER)) {
                        struct stat st;
                        char fpath[4096];
                        path_of(a, rel, fpath, sizeof(fpath));
                        if (stat(fpath, &st) && errno == ENOENT)
                                continue; /* removed (retention): forget it */
                        if (stat(fpath, &st))
                                err = hw_fail(HW_ERR_IO, errstr, size,
                                              "cannot read %s: %s", fpath,
                                              strerror(errno));
                        else if (st.st_size < n)
                                err = hw_fail(HW_ERR_IO, errstr, size,
                                              "archive file %s is shorter "
                                              "than the %" PRId64
                                              " bytes recorded",
                                              fpath, n);
                        else if (st.st_size > n && truncate(fpath, n))
                                err = hw_fail(HW_ERR_IO, errstr, size,
                                              "cannot cut %s back to %" PRId64
                                              " bytes: %s",
                                              fpath, n, strerror(errno));
                        else if (!add_file(a, rel, (hw_event_type_t)type, n))
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                } else if (sscanf(line, "offset %" SCNd32 " %" SCNd64 " %255s",
                                  &partition, &n, topic) == 3) {
                        hw_map_entry_t *e = offset_entry(a, topic, partition);
                        if (!e)
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                        else if (n > e->v.i)
                                e->v.i = n;
                } else {
                        err = hw_fail(HW_ERR_IO, errstr, size,
                                      "%s:%d: cannot parse", path, lineno);
                }
        }
        /* A state that cannot be read whole must not pass for a shorter
         * one: what it leaves out would be archived twice. */
        if (!err && ferror(fp))
                err = hw_fail(HW_ERR_IO, errstr, size, "cannot read %s: %s",
                              path, strerror(errno));
        fclose(fp);
        return err;
}

hw_archive_t *hw_archive_open(const char *dir, char *errstr, size_t size) {
        hw_archive_t *a = calloc(1, sizeof(*a));
        hw_err_t err = HW_OK;

        if (!a || !(a->dir = strdup(dir))) {
                free(a);
                hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                return NULL;
        }
        a->block_size = BLOCK_MIN;
        hw_map_init(&a->files);
        hw_map_init(&a->offsets);
        for (int t = HW_EVENT_HIRE; t <= HW_EVENT_OFFER; t++) {
                const char *json = hw_codec_schema_json(schema_id[t]);
                if (!json || avro_schema_from_json_length(json, strlen(json),
                                                          &a->schema[t])) {
                        err = hw_fail(HW_ERR_INTERNAL, errstr, size,
                                      "archive schema: %s", avro_strerror());
                        break;
                }
        }
        if (!err && mkdir(dir, 0755) && errno != EEXIST)
                err = hw_fail(HW_ERR_IO, errstr, size, "cannot create %s: %s",
                              dir, strerror(errno));
        if (!err)
                err = load_state(a, errstr, size);
        if (err) {
                hw_archive_close(a);
                return NULL;
        }
        return a;
}

void hw_archive_set_block_size(hw_archive_t *a, size_t bytes) {
        a->block_size = bytes > BLOCK_MIN ? bytes : BLOCK_MIN;
}

int hw_archive_has(const hw_archive_t *a, const char *topic, int32_t partition,
                   int64_t offset) {
        char key[300];
        int n = snprintf(key, sizeof(key), "%s%c%" PRId32, topic, '\0',
                         partition);
        const hw_map_entry_t *e = hw_map_find(&a->offsets, key, (size_t)n);
        return e && offset < e->v.i;
}

/* Opens f for appending: a file synced before is reopened, any other is
 * created anew (what an earlier run left there was never synced). */
static hw_err_t open_writer(hw_archive_t *a, archive_file_t *f, char *errstr,
                            size_t size) {
        char path[4096], topic_dir[4096];
        int rc;

        path_of(a, f->rel, path, sizeof(path));
        if (f->synced >= 0) {
                rc = avro_file_writer_open_bs(path, &f->w, a->block_size);
        } else {
                snprintf(topic_dir, sizeof(topic_dir), "%s", path);
                *strrchr(topic_dir, '/') = '\0';
                if (mkdir(topic_dir, 0755) && errno != EEXIST)
                        return hw_fail(HW_ERR_IO, errstr, size,
                                       "cannot create %s: %s", topic_dir,
                                       strerror(errno));
                unlink(path);
                rc = avro_file_writer_create_with_codec(
                        path, a->schema[f->type], &f->w, "deflate",
                        a->block_size);
        }
        if (rc) {
                f->w = NULL;
                return hw_fail(HW_ERR_IO, errstr, size, "cannot open %s: %s",
                               path, avro_strerror());
        }
        return HW_OK;
}

hw_err_t hw_archive_append(hw_archive_t *a, const char *topic,
                           int32_t partition, int64_t offset, int64_t ts_ms,
                           hw_event_type_t type, const void *body, size_t len,
                           char *errstr, size_t size) {
        char rel[512], day[32];
        archive_file_t *f;
        hw_map_entry_t *next;
        hw_err_t err;

        hw_time_format_iso(ts_ms < 0 ? 0 : ts_ms, day, sizeof(day));
        day[10] = '\0'; /* yyyy-mm-dd */
        snprintf(rel, sizeof(rel), "%s/%s.avro", topic, day);
        if (!(f = add_file(a, rel, type, -1)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if (f->type != type)
                return hw_fail(HW_ERR_ARG, errstr, size,
                               "archive %s holds %ss, not %ss", rel,
                               hw_event_type_name(f->type),
                               hw_event_type_name(type));
        /* The offset's entry before the record: a record appended must
         * be known as archived, or a retry would append it again. */
        if (!(next = offset_entry(a, topic, partition)))
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        if (!f->w && (err = open_writer(a, f, errstr, size)))
                return err;
        if (avro_file_writer_append_encoded(f->w, body, (int64_t)len))
                return hw_fail(HW_ERR_IO, errstr, size,
                               "cannot append to %s: %s", rel, avro_strerror());
        f->dirty = 1;
        if (offset + 1 > next->v.i)
                next->v.i = offset + 1;
        return HW_OK;
}

/* Writes archive.state through a temporary file, fsynced and renamed. */
static hw_err_t write_state(hw_archive_t *a, char *errstr, size_t size) {
        char path[4096], tmp[4200];
        FILE *fp;
        int bad;

        snprintf(path, sizeof(path), "%s/%s", a->dir, STATE_FILE);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (!(fp = fopen(tmp, "w")))
                return hw_fail(HW_ERR_IO, errstr, size, "cannot write %s: %s",
                               tmp, strerror(errno));
        fprintf(fp, "%s\n", STATE_MAGIC);
        for (size_t i = 0; i < a->files.count; i++) {
                const archive_file_t *f =
                        (archive_file_t *)a->files.entries[i].v.p;
                if (f->synced >= 0)
                        fprintf(fp, "file %s %d %" PRId64 "\n", f->rel,
                                (int)f->type, f->synced);
        }
        for (size_t i = 0; i < a->offsets.count; i++) {
                const hw_map_entry_t *e = &a->offsets.entries[i];
                const char *part = e->key + strlen(e->key) + 1;
                fprintf(fp, "offset %s %" PRId64 " %s\n", part, e->v.i, e->key);
        }
        bad = fflush(fp) || fsync(fileno(fp));
        bad |= fclose(fp);
        if (bad || rename(tmp, path) || sync_path(a->dir))
                return hw_fail(HW_ERR_IO, errstr, size, "cannot write %s: %s",
                               path, strerror(errno));
        return HW_OK;
}

hw_err_t hw_archive_sync(hw_archive_t *a, char *errstr, size_t size) {
        int any = 0;

        for (size_t i = 0; i < a->files.count; i++) {
                archive_file_t *f = (archive_file_t *)a->files.entries[i].v.p;
                char path[4096], dir[4096];
                struct stat st;
                if (!f->dirty)
                        continue;
                path_of(a, f->rel, path, sizeof(path));
                if (avro_file_writer_flush(f->w) || sync_path(path) ||
                    stat(path, &st))
                        return hw_fail(HW_ERR_IO, errstr, size,
                                       "cannot sync %s: %s", path,
                                       strerror(errno));
                if (f->synced < 0) { /* a new file: its folder entry too */
                        snprintf(dir, sizeof(dir), "%s", path);
                        *strrchr(dir, '/') = '\0';
                        if (sync_path(dir))
                                return hw_fail(HW_ERR_IO, errstr, size,
                                               "cannot sync %s: %s", dir,
                                               strerror(errno));
                }
                f->synced = (int64_t)st.st_size;
                f->dirty = 0;
                any = 1;
        }
        if (!any)
                return HW_OK;
        /* Keep open only the file of the latest day of each topic. */
        {
                archive_file_t *open_files[64];
                size_t k = 0;
                for (size_t i = 0; i < a->files.count; i++) {
                        archive_file_t *f =
                                (archive_file_t *)a->files.entries[i].v.p;
                        if (!f->w)
                                continue;
                        if (k == sizeof(open_files) / sizeof(*open_files)) {
                                avro_file_writer_close(f->w);
                                f->w = NULL;
                        } else {
                                open_files[k++] = f;
                        }
                }
                for (size_t i = 0; i < k; i++) {
                        const char *si = strrchr(open_files[i]->rel, '/');
                        size_t ti = (size_t)(si - open_files[i]->rel);
                        for (size_t j = 0; j < k; j++) {
                                const char *sj =
                                        strrchr(open_files[j]->rel, '/');
                                if (j != i && open_files[j]->w &&
                                    (size_t)(sj - open_files[j]->rel) == ti &&
                                    !strncmp(open_files[i]->rel,
                                             open_files[j]->rel, ti) &&
                                    strcmp(sj, si) > 0) {
                                        avro_file_writer_close(
                                                open_files[i]->w);
                                        open_files[i]->w = NULL;
                                        break;
                                }
                        }
                }
        }
        return write_state(a, errstr, size);
}

/* The registry id of a file's writer schema, 0 if not a hirewire event. */
static int registry_id_of(avro_schema_t s) {
        const char *name = avro_schema_type_name(s);
        if (!is_avro_record(s) || !name)
                return 0;
        if (!strcmp(name, "HireEvent"))
                /* (avro_schema_record_field_get reads garbage for a
                 * field the record lacks.) */
                return avro_schema_record_field_get_index(s, "tier") >= 0
                               ? HW_SCHEMA_HIRE_V2
                               : HW_SCHEMA_HIRE_V1;
        return !strcmp(name, "OfferEvent") ? HW_SCHEMA_OFFER_V1 : 0;
}

hw_err_t hw_archive_read(const char *path, hw_archive_record_fn fn, void *ctx,
                         char *errstr, size_t size) {
        avro_file_reader_t reader;
        avro_value_iface_t *iface = NULL;
        avro_value_t value;
        avro_schema_t schema;
        unsigned char *buf = NULL;
        size_t cap = 0;
        uint64_t record = 0;
        int id, rc;
        hw_err_t err = HW_OK;

        /* Avro C leaks on a file without the container magic: check it
         * first (and say so more clearly). */
        {
                unsigned char magic[4] = {0};
                FILE *fp = fopen(path, "rb");
                size_t got = fp ? fread(magic, 1, 4, fp) : 0;
                if (!fp)
                        return hw_fail(HW_ERR_IO, errstr, size,
                                       "cannot open %s: %s", path,
                                       strerror(errno));
                fclose(fp);
                if (got != 4 || memcmp(magic, "Obj\x01", 4))
                        return hw_fail(HW_ERR_DECODE, errstr, size,
                                       "%s: not an Avro object container "
                                       "file",
                                       path);
        }
        if (avro_file_reader(path, &reader))
                return hw_fail(HW_ERR_DECODE, errstr, size, "%s: %s", path,
                               avro_strerror());
        schema = avro_file_reader_get_writer_schema(reader); /* a reference */
        if (!(id = registry_id_of(schema))) {
                err = hw_fail(HW_ERR_UNKNOWN_SCHEMA, errstr, size,
                              "%s: records of %s, not hirewire events", path,
                              avro_schema_type_name(schema));
                avro_schema_decref(schema);
                avro_file_reader_close(reader);
                return err;
        }
        iface = avro_generic_class_from_schema(schema);
        avro_schema_decref(schema); /* the class holds its own */
        if (!iface || avro_generic_value_new(iface, &value)) {
                avro_value_iface_decref(iface);
                avro_file_reader_close(reader);
                return hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
        }
        while ((rc = avro_file_reader_read_value(reader, &value)) == 0) {
                size_t n;
                avro_writer_t w;
                record++;
                if (avro_value_sizeof(&value, &n)) {
                        err = hw_fail(HW_ERR_DECODE, errstr, size,
                                      "%s: record %" PRIu64 ": %s", path,
                                      record, avro_strerror());
                        break;
                }
                if (n + 5 > cap) {
                        unsigned char *b = realloc(buf, n + 5);
                        if (!b) {
                                err = hw_fail(HW_ERR_NOMEM, errstr, size,
                                              "out of memory");
                                break;
                        }
                        buf = b;
                        cap = n + 5;
                }
                buf[0] = 0;
                buf[1] = (unsigned char)(id >> 24);
                buf[2] = (unsigned char)(id >> 16);
                buf[3] = (unsigned char)(id >> 8);
                buf[4] = (unsigned char)id;
                w = avro_writer_memory((char *)buf + 5, (int64_t)n);
                rc = avro_value_write(w, &value);
                avro_writer_free(w);
                if (rc) {
                        err = hw_fail(HW_ERR_DECODE, errstr, size,
                                      "%s: record %" PRIu64 ": %s", path,
                                      record, avro_strerror());
                        break;
                }
                if (fn(ctx, buf, n + 5, record))
                        break;
        }
        if (!err && rc && rc != EOF)
                err = hw_fail(HW_ERR_DECODE, errstr, size,
                              "%s: after record %" PRIu64 ": %s", path, record,
                              avro_strerror());
        free(buf);
        avro_value_decref(&value);
        avro_value_iface_decref(iface);
        avro_file_reader_close(reader);
        return err;
}

void hw_archive_close(hw_archive_t *a) {
        char errstr[256];

        if (!a)
                return;
        if (a->files.count && hw_archive_sync(a, errstr, sizeof(errstr)))
                HW_WARN("archive", "%s", errstr);
        for (size_t i = 0; i < a->files.count; i++) {
                archive_file_t *f = (archive_file_t *)a->files.entries[i].v.p;
                if (f && f->w)
                        avro_file_writer_close(f->w);
                free(f);
        }
        for (int t = 0; t <= HW_EVENT_OFFER; t++)
                if (a->schema[t])
                        avro_schema_decref(a->schema[t]);
        hw_map_release(&a->files);
        hw_map_release(&a->offsets);
        free(a->dir);
        free(a);
}
