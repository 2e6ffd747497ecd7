/*
 * hirewire-produce's inputs: NDJSON lines (checked one by one, held back
 * with --strict), archive files, and the generator; each valid event is
 * handed to hw_produce_emit_event.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "hw_archive.h"
#include "hw_json.h"
#include "hw_log.h"
#include "hw_time.h"
#include "hw_validate.h"
#include "produce_int.h"

/* An archive record: validated as the consumer does, then sent. */
typedef struct archive_input_s {
        producer_t *p;
        const char *name;
        int failed;
} archive_input_t;

static int on_archive_record(void *ctx, const void *framed, size_t len,
                             uint64_t record) {
        archive_input_t *in = ctx;
        producer_t *p = in->p;
        char errstr[512];

        p->stats.lines++;
        if (hw_codec_decode(p->codec, framed, len, hw_now_ms(), &p->ev, errstr,
                            sizeof(errstr))) {
                p->stats.invalid++;
                HW_ERROR("producer",
                         "%s: record %" PRIu64 ": invalid event: %s", in->name,
                         record, errstr);
                return 0;
        }
        p->stats.valid++;
        if (hw_produce_emit_event(p)) {
                in->failed = 1;
                return -1;
        }
        return hw_produce_stop_requested;
}

/* Republishes the events of archive files, file by file, in order. A file
 * that is not a readable archive is reported and counted invalid (exit
 * 65); the others are still sent. */
int hw_produce_read_archives(producer_t *p, char **files, int n) {
        for (int i = 0; i < n && !hw_produce_stop_requested; i++) {
                archive_input_t in = {p, files[i], 0};
                char errstr[512];
                hw_err_t err = hw_archive_read(files[i], on_archive_record, &in,
                                               errstr, sizeof(errstr));
                if (err == HW_ERR_IO || err == HW_ERR_NOMEM) {
                        HW_ERROR("producer", "%s", errstr);
                        return -1;
                }
                if (err) {
                        HW_ERROR("producer", "invalid archive: %s", errstr);
                        p->stats.invalid++;
                }
                if (in.failed)
                        return -1;
        }
        return 0;
}

/* Parses and validates one NDJSON line into p->ev. Returns 1 if valid,
 * 0 if reported as invalid. */
static int check_line(producer_t *p, const char *name, uint64_t lineno,
                      const char *line, size_t len, int64_t now) {
        char errstr[512];

        if (hw_json_check_event(line, len, &p->ev, now, errstr,
                                sizeof(errstr))) {
                p->stats.invalid++;
                HW_ERROR("producer", "%s:%" PRIu64 ": invalid event: %s", name,
                         lineno, errstr);
                return 0;
        }
        p->stats.valid++;
        return 1;
}

static int blank(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
                        return 0;
        return 1;
}

/*
 * Reads NDJSON from fp. Valid lines are emitted, or with --strict kept in
 * `held` (newline-separated) to be emitted once every input has been read.
 * Returns -1 on a fatal error.
 */
int hw_produce_read_input(producer_t *p, FILE *fp, const char *name,
                          hw_buf_t *held) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        uint64_t lineno = 0;
        int rc = 0;

        while (!hw_produce_stop_requested &&
               (len = getline(&line, &cap, fp)) != -1) {
                char *text = line;
                lineno++;
                /* A UTF-8 byte order mark opening the input (editors on
                 * some systems write one): not part of the first line. */
                if (lineno == 1 && len >= 3 &&
                    !memcmp(line, "\xEF\xBB\xBF", 3)) {
                        text += 3;
                        len -= 3;
                }
                if (blank(text, (size_t)len))
                        continue;
                p->stats.lines++;
                if (!check_line(p, name, lineno, text, (size_t)len,
                                hw_now_ms()))
                        continue;
                if (held) {
                        if (hw_buf_append(held, text, (size_t)len) ||
                            (text[len - 1] != '\n' &&
                             hw_buf_append(held, "\n", 1))) {
                                rc = -1;
                                break;
                        }
                } else if (hw_produce_emit_event(p)) {
                        rc = -1;
                        break;
                }
        }
        /* SIGINT or SIGTERM while waiting for input (a pipe, a terminal)
         * interrupts the read: the input stopped as asked, it did not
         * fail. */
        if (ferror(fp) && !(errno == EINTR && hw_produce_stop_requested)) {
                HW_ERROR("producer", "cannot read %s: %s", name,
                         strerror(errno));
                rc = -1;
        }
        free(line);
        return rc;
}

/* Emits the lines --strict held back; they were all valid. */
int hw_produce_emit_held(producer_t *p, const hw_buf_t *held) {
        char errstr[512];
        size_t off = 0;

        while (off < held->len && !hw_produce_stop_requested) {
                const char *line = held->data + off;
                const char *nl = memchr(line, '\n', held->len - off);
                size_t len = (size_t)(nl - line);
                off += len + 1;
                if (hw_json_parse_event(line, len, &p->ev, errstr,
                                        sizeof(errstr)) ||
                    hw_produce_emit_event(p))
                        return -1;
        }
        return 0;
}

int hw_produce_run_generator(producer_t *p) {
        hw_gen_t *gen = hw_gen_new(p->opts->seed, p->opts->gen_count,
                                   p->opts->span_days);
        char errstr[512];
        int rc = 0, more;

        if (!gen)
                return -1;
        while (!hw_produce_stop_requested &&
               (more = hw_gen_next(gen, &p->ev)) == 1) {
                p->stats.lines++;
                if (hw_validate_event(&p->ev, hw_now_ms(), errstr,
                                      sizeof(errstr))) {
                        /* The generator must only make valid events. */
                        HW_ERROR("producer",
                                 "generated event %s is invalid: "
                                 "%s",
                                 p->ev.event_id, errstr);
                        rc = -1;
                        break;
                }
                p->stats.valid++;
                if (hw_produce_emit_event(p)) {
                        rc = -1;
                        break;
                }
        }
        if (more < 0)
                rc = -1;
        hw_gen_destroy(gen);
        return rc;
}
