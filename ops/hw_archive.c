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
#include <zlib.h>

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

/* A container file's header and the framing of its first block, at most
 * (a hirewire header is a few KiB: the schema and the codec). */
#define HEADER_MAX (1024 * 1024)
#define HEADER_ENTRIES 256

/* A cursor over the first n bytes of a file of `file` bytes; why gets
 * what is wrong in part ("container header", "first block"). */
typedef struct header_in_s {
        const unsigned char *p;
        size_t n, at;
        uint64_t file;
        const char *part;
        char *why;
        size_t why_size;
} header_in_t;

/* Reads a zig-zag varint (what names it in the message); -1 with why set
 * when it is cut short or longer than 64 bits. */
static int header_long(header_in_t *in, const char *what, int64_t *out) {
        uint64_t u = 0;
        for (int shift = 0; shift < 70; shift += 7) {
                unsigned char b;
                if (in->at >= in->n) {
                        snprintf(in->why, in->why_size,
                                 in->n < in->file
                                         ? "%s past the first %d bytes"
                                         : "%s cut short by the end of the "
                                           "file",
                                 what, HEADER_MAX);
                        return -1;
                }
                b = in->p[in->at++];
                if (shift == 63 && b > 1)
                        break;
                u |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
                        return 0;
                }
        }
        snprintf(in->why, in->why_size, "%s longer than 64 bits", what);
        return -1;
}

/* Reads a length (a varint) that bytes must follow: -1 with why set when
 * it is negative or goes past the end of the file (or of HEADER_MAX). */
static int header_len(header_in_t *in, const char *what, size_t *out) {
        int64_t len;
        if (header_long(in, what, &len))
                return -1;
        if (len < 0)
                snprintf(in->why, in->why_size, "%s %" PRId64 " is negative",
                         what, len);
        else if ((uint64_t)len > in->file - in->at)
                snprintf(in->why, in->why_size,
                         "%s %" PRId64 " past the end of the file (%" PRIu64
                         " bytes left)",
                         what, len, in->file - in->at);
        else if ((uint64_t)len > in->n - in->at)
                snprintf(in->why, in->why_size,
                         "%s %" PRId64 " past the first %d bytes", what, len,
                         HEADER_MAX);
        else {
                *out = (size_t)len;
                return 0;
        }
        return -1;
}

/* Reads a varint that a record or block count must be: -1 with why set
 * when it is negative. */
static int header_count(header_in_t *in, const char *what, int64_t *out) {
        if (header_long(in, what, out))
                return -1;
        if (*out >= 0)
                return 0;
        snprintf(in->why, in->why_size, "%s %" PRId64 " is negative", what,
                 *out);
        return -1;
}

/* Checks the metadata map's entries: "avro.schema" there once, and
 * "avro.codec" absent or once and one the archive reads (*deflate set
 * when it is deflate). */
static int header_entry(header_in_t *in, size_t *schema_at, size_t *schema_len,
                        int *schema, int *codec, int *deflate, int64_t entry) {
        const char *key;
        size_t klen, vlen;

        if (header_len(in, "metadata key length", &klen))
                return -1;
        key = (const char *)in->p + in->at;
        in->at += klen;
        if (header_len(in, "metadata value length", &vlen))
                return -1;
        if (memchr(key, '\0', klen)) { /* Avro C keeps keys as C strings */
                snprintf(in->why, in->why_size,
                         "metadata key %" PRId64 " holds a NUL byte", entry);
                return -1;
        }
        if (klen == 11 && !memcmp(key, "avro.schema", 11)) {
                if ((*schema)++) {
                        snprintf(in->why, in->why_size,
                                 "avro.schema given twice");
                        return -1;
                }
                *schema_at = in->at;
                *schema_len = vlen;
        } else if (klen == 10 && !memcmp(key, "avro.codec", 10)) {
                const unsigned char *v = in->p + in->at;
                char name[24];
                size_t k = 0;
                if ((*codec)++) {
                        snprintf(in->why, in->why_size,
                                 "avro.codec given twice");
                        return -1;
                }
                if ((vlen == 4 && !memcmp(v, "null", 4)) ||
                    (vlen == 7 && !memcmp(v, "deflate", 7))) {
                        *deflate = vlen == 7;
                        in->at += vlen;
                        return 0;
                }
                for (; k < vlen && k < sizeof(name) - 1; k++)
                        name[k] =
                                v[k] >= 0x20 && v[k] < 0x7f ? (char)v[k] : '?';
                name[k] = '\0';
                snprintf(in->why, in->why_size,
                         "codec \"%s%s\" is neither null nor deflate", name,
                         vlen > k ? "..." : "");
                return -1;
        }
        in->at += vlen;
        return 0;
}

/* Inflates the first block's len bytes at in->at as Avro C does (raw
 * deflate, to the stream's end), dropping what comes out: 0, or -1 with
 * why set when they do not inflate. A block that goes past the bytes read
 * (HEADER_MAX) is left to Avro C, and so is a zlib that cannot start. */
static int header_inflates(header_in_t *in, size_t len) {
        unsigned char out[16384];
        z_stream z;
        int rc;

        if (len > in->n - in->at)
                return 0;
        memset(&z, 0, sizeof(z));
        if (inflateInit2(&z, -15) != Z_OK)
                return 0;
        z.next_in = (unsigned char *)in->p + in->at;
        z.avail_in = (uInt)len;
        do {
                z.next_out = out;
                z.avail_out = sizeof(out);
                rc = inflate(&z, Z_NO_FLUSH);
        } while (rc == Z_OK);
        if (rc != Z_STREAM_END)
                snprintf(in->why, in->why_size,
                         "deflate data that do not inflate (%s)",
                         z.msg               ? z.msg
                         : rc == Z_BUF_ERROR ? "cut short"
                                             : zError(rc));
        inflateEnd(&z);
        return rc == Z_STREAM_END ? 0 : -1;
}

/* Checks what avro_file_reader reads first, since Avro C allocates the
 * lengths it finds before checking them and leaks what it read when it
 * fails: the metadata map (blocks of entries, each a key and a value of
 * bytes, ending with an empty block), its schema and codec, the sync
 * marker, and the count and size of the first block, and that a
 * deflate block inflates (Avro C inflates it on opening the file, and
 * leaks the header it read when it cannot). 0, or -1 with why set. */
static int header_check(header_in_t *in) {
        size_t schema_at = 0, schema_len = 0, len;
        int64_t entries = 0, count;
        int schema = 0, codec = 0, deflate = 0;
        avro_schema_t s;

        in->at = 4; /* past the magic */
        for (;;) {
                size_t start = 0;
                if (header_long(in, "metadata block count", &count))
                        return -1;
                if (!count)
                        break;
                if (count < 0) { /* then the block's size in bytes */
                        if (count == INT64_MIN) {
                                snprintf(in->why, in->why_size,
                                         "metadata block count %" PRId64
                                         " out of range",
                                         count);
                                return -1;
                        }
                        count = -count;
                        if (header_len(in, "metadata block size", &len))
                                return -1;
                        start = in->at;
                }
                /* An entry takes two bytes at least. */
                if ((uint64_t)count > (in->file - in->at) / 2) {
                        snprintf(in->why, in->why_size,
                                 "metadata block of %" PRId64
                                 " entries past the end of the file",
                                 count);
                        return -1;
                }
                if (count > HEADER_ENTRIES - entries) {
                        snprintf(in->why, in->why_size,
                                 "more than %d metadata entries",
                                 HEADER_ENTRIES);
                        return -1;
                }
                for (int64_t i = 0; i < count; i++)
                        if (header_entry(in, &schema_at, &schema_len, &schema,
                                         &codec, &deflate, ++entries))
                                return -1;
                if (start && in->at - start != len) {
                        snprintf(in->why, in->why_size,
                                 "metadata block size %zu, but its entries "
                                 "take %zu bytes",
                                 len, in->at - start);
                        return -1;
                }
        }
        if (!schema) {
                snprintf(in->why, in->why_size, "no avro.schema");
                return -1;
        }
        if (avro_schema_from_json_length((const char *)in->p + schema_at,
                                         schema_len, &s)) {
                snprintf(in->why, in->why_size, "avro.schema: %s",
                         avro_strerror());
                return -1;
        }
        avro_schema_decref(s);
        if (in->file - in->at < 16) {
                snprintf(in->why, in->why_size,
                         "sync marker cut short (%" PRIu64 " of 16 bytes)",
                         in->file - in->at);
                return -1;
        }
        in->at += 16;
        /* A file may end here, holding no records. */
        if (in->at < in->file) {
                in->part = "first block";
                if (header_count(in, "count", &count) ||
                    header_count(in, "size", &count))
                        return -1;
                if ((uint64_t)count > in->file - in->at) {
                        snprintf(in->why, in->why_size,
                                 "size %" PRId64
                                 " past the end of the file (%" PRIu64
                                 " bytes left)",
                                 count, in->file - in->at);
                        return -1;
                }
                if (deflate && header_inflates(in, (size_t)count))
                        return -1;
        }
        return 0;
}

/* Reads the start of the file at path and checks that Avro C can read
 * it (header_check): HW_ERR_IO when it cannot be read, HW_ERR_DECODE
 * naming the file and what is wrong. */
static hw_err_t check_header(const char *path, char *errstr, size_t size) {
        char why[256];
        header_in_t in = {.part = "container header",
                          .why = why,
                          .why_size = sizeof(why)};
        unsigned char *buf = NULL;
        size_t got;
        struct stat st;
        FILE *fp = fopen(path, "rb");
        hw_err_t err = HW_OK;

        if (!fp || fstat(fileno(fp), &st)) {
                err = hw_fail(HW_ERR_IO, errstr, size, "cannot open %s: %s",
                              path, strerror(errno));
                goto cleanup;
        }
        if (!S_ISREG(st.st_mode)) {
                err = hw_fail(HW_ERR_DECODE, errstr, size,
                              "%s: not an Avro object container file", path);
                goto cleanup;
        }
        in.file = st.st_size > 0 ? (uint64_t)st.st_size : 0;
        in.n = in.file < HEADER_MAX ? (size_t)in.file : HEADER_MAX;
        if (!(buf = malloc(in.n ? in.n : 1))) {
                err = hw_fail(HW_ERR_NOMEM, errstr, size, "out of memory");
                goto cleanup;
        }
        in.p = buf;
        got = fread(buf, 1, in.n, fp);
        if (ferror(fp)) {
                err = hw_fail(HW_ERR_IO, errstr, size, "cannot read %s: %s",
                              path, strerror(errno));
                goto cleanup;
        }
        if (got < in.n) /* cut since fstat: check what is there */
                in.file = in.n = got;
        if (in.n < 4 || memcmp(buf, "Obj\x01", 4))
                err = hw_fail(HW_ERR_DECODE, errstr, size,
                              "%s: not an Avro object container file", path);
        else if (header_check(&in))
                err = hw_fail(HW_ERR_DECODE, errstr, size, "%s: %s: %s", path,
                              in.part, why);
cleanup:
        free(buf);
        if (fp)
                fclose(fp);
        return err;
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

        /* Avro C leaks, or allocates what a damaged length says, on a
         * header it cannot read: check it first (and say so clearly). */
        if ((err = check_header(path, errstr, size)))
                return err;
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
