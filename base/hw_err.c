#include "hw_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *hw_err_name(hw_err_t err) {
        switch (err) {
        case HW_OK:
                return "ok";
        case HW_ERR_BAD_FRAMING:
                return "bad_framing";
        case HW_ERR_UNKNOWN_SCHEMA:
                return "unknown_schema";
        case HW_ERR_DECODE:
                return "decode_error";
        case HW_ERR_INVALID_FIELD:
                return "invalid_field";
        case HW_ERR_TOO_LARGE:
                return "too_large";
        case HW_ERR_NOMEM:
                return "out_of_memory";
        case HW_ERR_IO:
                return "io_error";
        case HW_ERR_ARG:
                return "bad_argument";
        case HW_ERR_SERVICE:
                return "service_unavailable";
        case HW_ERR_INTERNAL:
                return "internal_error";
        }
        return "unknown_error";
}

int hw_err_is_rejection(hw_err_t err) {
        return err >= HW_ERR_BAD_FRAMING && err <= HW_ERR_TOO_LARGE;
}

hw_err_t hw_fail(hw_err_t err, char *errstr, size_t errstr_size,
                 const char *fmt, ...) {
        if (errstr && errstr_size > 0) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(errstr, errstr_size, fmt, ap);
                va_end(ap);
        }
        return err;
}

void hw_assert_fail(const char *cond, const char *file, int line) {
        fprintf(stderr, "hirewire: internal error at %s:%d: %s does not hold\n",
                file, line, cond);
        fflush(stderr);
        abort();
}
