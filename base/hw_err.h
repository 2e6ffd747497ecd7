/*
 * hirewire error codes and process exit codes.
 *
 * Every module returns an hw_err_t (HW_OK = 0) and fills a caller-provided
 * errstr buffer at its boundary. The first five error codes are the rejection
 * classes of the wire contract (SPEC §3) and map one-to-one onto the
 * `hw.error` header of a dead-lettered message.
 */
#ifndef HW_ERR_H
#define HW_ERR_H

#include <stddef.h>

typedef enum hw_err_e {
        HW_OK = 0,
        /* Rejection classes: a message that fails with one of these is bad input. */
        HW_ERR_BAD_FRAMING, /* no 0x00 magic byte or shorter than the 5-byte header */
        HW_ERR_UNKNOWN_SCHEMA, /* schema id not in the registry */
        HW_ERR_DECODE, /* Avro body does not decode with its writer schema */
        HW_ERR_INVALID_FIELD, /* decodes, but a field breaks a semantic rule */
        HW_ERR_TOO_LARGE,     /* message larger than the configured limit */
        /* Operational errors. */
        HW_ERR_NOMEM,
        HW_ERR_IO,
        HW_ERR_ARG,     /* caller error: bad argument or configuration */
        HW_ERR_SERVICE, /* Kafka, Redis or another service unavailable */
        HW_ERR_INTERNAL
} hw_err_t;

/* Process exit codes (SPEC §5, sysexits.h values). */
#define HW_EXIT_OK 0
#define HW_EXIT_FAILURE 1
#define HW_EXIT_USAGE 2
#define HW_EXIT_DATAERR 65
#define HW_EXIT_UNAVAILABLE 69

/* Name of an error code; for rejection classes this is the `hw.error`
 * header value ("bad_framing", ...). Never NULL. */
const char *hw_err_name(hw_err_t err);

/* True when err is one of the five rejection classes. */
int hw_err_is_rejection(hw_err_t err);

/* snprintf into errstr (if errstr_size > 0) and return err, so an error
 * path reads `return hw_fail(HW_ERR_IO, errstr, size, "cannot open %s", p);`. */
hw_err_t hw_fail(hw_err_t err, char *errstr, size_t errstr_size,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An internal invariant, checked in every build (NDEBUG or not): when it
 * does not hold, the process writes file:line and the condition to
 * stderr and aborts (a core dump, or the sanitizer's report, shows where),
 * rather than go on with state it cannot trust. For what the code itself
 * guarantees, never for input. */
#define HW_ASSERT(cond)                                                        \
        ((cond) ? (void)0 : hw_assert_fail(#cond, __FILE__, __LINE__))

_Noreturn void hw_assert_fail(const char *cond, const char *file, int line);

#endif
