/*
 * libFuzzer target: one NDJSON line through the producer's parser and the
 * validation rules (hw_json_parse_event, hw_validate_event), then, for a
 * valid event, a round trip through the codec that must give it back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_codec.h"
#include "hw_event.h"
#include "hw_json.h"
#include "hw_validate.h"

#define NOW_MS INT64_C(1767225600000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static hw_codec_t *codec;
        static hw_event_t ev, back;
        static hw_buf_t buf;
        char errstr[512];

        if (!codec) {
                codec = hw_codec_new(errstr, sizeof(errstr));
                if (!codec)
                        abort();
                hw_event_init(&ev);
                hw_event_init(&back);
                hw_buf_init(&buf);
        }
        if (hw_json_parse_event((const char *)data, size, &ev, errstr,
                                sizeof(errstr)) ||
            hw_validate_event(&ev, NOW_MS, errstr, sizeof(errstr)))
                return 0;
        /* A valid event encodes, decodes and validates again, unchanged. */
        if (hw_codec_encode(codec, &ev, 0, &buf, errstr, sizeof(errstr)) ||
            hw_codec_decode(codec, buf.data, buf.len, NOW_MS, &back, errstr,
                            sizeof(errstr)) ||
            strcmp(ev.event_id, back.event_id) ||
            ev.occurred_at != back.occurred_at) {
                fprintf(stderr, "fuzz_ndjson: valid event did not round-trip: "
                                "%s\n",
                        errstr);
                abort();
        }
        return 0;
}
