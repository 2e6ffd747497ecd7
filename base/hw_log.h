/*
 * Logging: one logfmt line per record on stderr,
 *   ts=2025-07-01T10:00:00.123Z level=info component=producer msg="..." k=v
 * Records below the configured level cost one comparison.
 */
#ifndef HW_LOG_H
#define HW_LOG_H

typedef enum hw_log_level_e {
        HW_LOG_DEBUG = 0,
        HW_LOG_INFO,
        HW_LOG_WARN,
        HW_LOG_ERROR
} hw_log_level_t;

extern hw_log_level_t hw_log_threshold;

/* Sets the process-wide minimum level. */
void hw_log_set_level(hw_log_level_t level);

/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int hw_log_level_parse(const char *name);

/* Writes one record. `component` names the subsystem ("producer", "kafka").
 * The message is quoted and escaped; never fails (a short write is ignored). */
void hw_log_write(hw_log_level_t level, const char *component, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

/* Writes one record for a library that logs from its own threads
 * (librdkafka's log callback): as hw_log_write, but an error record is
 * never hw_log_last_error, which says why the program's own thread
 * stopped (a broker's connection failing while the clients close is not
 * the reason a run ended). */
void hw_log_write_library(hw_log_level_t level, const char *component,
                          const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Writes one record whose figures are logfmt keys after the message:
 * fmt gives them as "key=value ..." (values without spaces or quoted). */
void hw_log_write_kv(hw_log_level_t level, const char *component,
                     const char *msg, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#define HW_LOG_KV(level, component, msg, ...)                                  \
        do {                                                                   \
                if ((level) >= hw_log_threshold)                               \
                        hw_log_write_kv((level), (component), (msg),           \
                                        __VA_ARGS__);                          \
        } while (0)

/* The message of the last error record written ("" for none), for a
 * program's closing line. */
const char *hw_log_last_error(void);

#define HW_LOG(level, component, ...)                                          \
        do {                                                                   \
                if ((level) >= hw_log_threshold)                               \
                        hw_log_write((level), (component), __VA_ARGS__);       \
        } while (0)

#define HW_DEBUG(c, ...) HW_LOG(HW_LOG_DEBUG, c, __VA_ARGS__)
#define HW_INFO(c, ...) HW_LOG(HW_LOG_INFO, c, __VA_ARGS__)
#define HW_WARN(c, ...) HW_LOG(HW_LOG_WARN, c, __VA_ARGS__)
#define HW_ERROR(c, ...) HW_LOG(HW_LOG_ERROR, c, __VA_ARGS__)

#endif
