#include "hw_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

hw_log_level_t hw_log_threshold = HW_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void hw_log_set_level(hw_log_level_t level) {
        hw_log_threshold = level;
}

int hw_log_level_parse(const char *name) {
        for (int i = 0; i < 4; i++)
                if (!strcmp(name, level_names[i]))
                        return i;
        return -1;
}

static char last_error[1024];

const char *hw_log_last_error(void) {
        return last_error;
}

/* Writes one record: the message quoted, then kv (logfmt keys, as given).
 * With reason, an error record is also hw_log_last_error. */
static void emit(hw_log_level_t level, const char *component, const char *msg,
                 const char *kv, int reason) {
        char line[2600], ts[32];
        struct timespec now;
        struct tm tm;
        size_t n = 0;

        if (reason && level >= HW_LOG_ERROR)
                snprintf(last_error, sizeof(last_error), "%s", msg);

        clock_gettime(CLOCK_REALTIME, &now);
        gmtime_r(&now.tv_sec, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

        n = (size_t)snprintf(
                line, sizeof(line), "ts=%s.%03ldZ level=%s component=%s msg=\"",
                ts, now.tv_nsec / 1000000L,
                level_names[level <= HW_LOG_ERROR ? level : 3], component);
        /* Quote the message: escape backslash, quote and control bytes so a
         * record always stays on one line. */
        for (const char *p = msg; *p && n + 8 < sizeof(line); p++) {
                unsigned char c = (unsigned char)*p;
                if (c == '"' || c == '\\') {
                        line[n++] = '\\';
                        line[n++] = (char)c;
                } else if (c == '\n') {
                        line[n++] = '\\';
                        line[n++] = 'n';
                } else if (c < 0x20) {
                        n += (size_t)snprintf(line + n, sizeof(line) - n,
                                              "\\x%02x", c);
                } else {
                        line[n++] = (char)c;
                }
        }
        line[n++] = '"';
        /* Pairs that do not fit are cut; the newline takes the place of
         * snprintf's NUL, which would otherwise stay in the record. */
        if (kv && *kv)
                n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", kv);
        if (n > sizeof(line) - 1)
                n = sizeof(line) - 1;
        line[n++] = '\n';
        fwrite(line, 1, n, stderr);
}

/* Formats the message and writes its record (reason: see emit). */
static void emit_fmt(hw_log_level_t level, const char *component, int reason,
                     const char *fmt, va_list ap) {
        char msg[1024];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        emit(level, component, msg, NULL, reason);
}

void hw_log_write(hw_log_level_t level, const char *component, const char *fmt,
                  ...) {
        va_list ap;

        va_start(ap, fmt);
        emit_fmt(level, component, 1, fmt, ap);
        va_end(ap);
}

void hw_log_write_library(hw_log_level_t level, const char *component,
                          const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        emit_fmt(level, component, 0, fmt, ap);
        va_end(ap);
}

void hw_log_write_kv(hw_log_level_t level, const char *component,
                     const char *msg, const char *fmt, ...) {
        char kv[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(kv, sizeof(kv), fmt, ap);
        va_end(ap);
        emit(level, component, msg, kv, 1);
}
