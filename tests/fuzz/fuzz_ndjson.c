/*
 * libFuzzer target: one NDJSON line through the producer's parser and the
 * validation rules (hw_json_parse_event, hw_validate_event; and
 * hw_json_check_event, which must agree with them), then, for a
 * valid event, a round trip through the codec that must give it back.
 *
 * The codec is made for each valid event and destroyed after it: Avro C's
 * generic values keep string buffers where LeakSanitizer cannot see them
 * while the value lives (they are freed with it; 200,000 encodes of one
 * event do not grow the process), so a codec kept across inputs would be
 * reported as leaking.
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
        static hw_event_t ev, back;
        static hw_buf_t buf;
        static int ready;
        hw_codec_t *codec;
        char errstr[512];

        if (!ready) {
                hw_event_init(&ev);
                hw_event_init(&back);
                hw_buf_init(&buf);
                ready = 1;
        }
        /* The producer's check (every problem of the line) must agree
         * with parsing then validating. */
        int checked = hw_json_check_event((const char *)data, size, &ev, NOW_MS,
                                          errstr, sizeof(errstr)) != 0;
        if (hw_json_parse_event((const char *)data, size, &ev, errstr,
                                sizeof(errstr)) ||
            hw_validate_event(&ev, NOW_MS, errstr, sizeof(errstr))) {
                if (!checked) {
                        fprintf(stderr,
                                "fuzz_ndjson: check accepted what "
                                "parse and validate refuse: %s\n",
                                errstr);
                        abort();
                }
                return 0;
        }
        if (checked) {
                fprintf(stderr, "fuzz_ndjson: check refused a valid event\n");
                abort();
        }
        /* A valid event encodes, decodes and validates again, unchanged. */
        codec = hw_codec_new(errstr, sizeof(errstr));
        if (!codec)
                abort();
        if (hw_codec_encode(codec, &ev, 0, &buf, errstr, sizeof(errstr)) ||
            hw_codec_decode(codec, buf.data, buf.len, NOW_MS, &back, errstr,
                            sizeof(errstr)) ||
            strcmp(ev.event_id, back.event_id) ||
            strcmp(ev.person_id, back.person_id) ||
            ev.occurred_at != back.occurred_at) {
                fprintf(stderr,
                        "fuzz_ndjson: valid event did not round-trip: "
                        "%s\n",
                        errstr);
                abort();
        }
        hw_codec_destroy(codec);
        return 0;
}
