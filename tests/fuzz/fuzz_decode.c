/*
 * libFuzzer target: a Kafka message value through the consumer's decode
 * and validation (hw_codec_decode). Any input must give HW_OK or a
 * rejection class, never a crash, a leak or an allocation larger than the
 * message (ASan and the fuzzer's -rss_limit_mb and -malloc_limit_mb watch
 * those). The alert decoder is left out: only tests read alerts back, and
 * it reads them with Avro C, which leaks when one message follows another
 * (what this target found in the event decoder, which no longer uses it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hw_codec.h"
#include "hw_event.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01: a fixed clock */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static hw_codec_t *codec;
        static hw_event_t ev;
        char errstr[512];
        hw_err_t err;

        if (!codec) {
                codec = hw_codec_new(errstr, sizeof(errstr));
                if (!codec) {
                        fprintf(stderr, "fuzz_decode: %s\n", errstr);
                        abort();
                }
                hw_event_init(&ev);
        }
        err = hw_codec_decode(codec, data, size, NOW_MS, &ev, errstr,
                              sizeof(errstr));
        if (err != HW_OK && err != HW_ERR_BAD_FRAMING &&
            err != HW_ERR_UNKNOWN_SCHEMA && err != HW_ERR_DECODE &&
            err != HW_ERR_INVALID_FIELD && err != HW_ERR_TOO_LARGE) {
                fprintf(stderr, "fuzz_decode: not a rejection class: %d %s\n",
                        (int)err, errstr);
                abort();
        }
        return 0;
}
