/*
 * libFuzzer target: the Avro walk alone (wire/hw_avro_walk.h), the check
 * every event body passes before anything reads it. The first byte picks
 * one of the compiled-in schemas (ids 1 to 4), the rest is the body. Any
 * input must be walked to HW_OK or refused with HW_ERR_DECODE, never read
 * past its end; when it is walked, every top-level string noted lies
 * within the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>

#include "hw_avro_walk.h"
#include "hw_codec.h"

#define N_SCHEMAS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static avro_schema_t schemas[N_SCHEMAS];
        hw_avro_field_t fields[64];
        const unsigned char *body = data + 1, *end = data + size;
        avro_schema_t s;
        char errstr[512];
        hw_err_t err;

        if (!schemas[0])
                for (int i = 0; i < N_SCHEMAS; i++) {
                        const char *json = hw_codec_schema_json(i + 1);
                        if (!json || avro_schema_from_json_length(
                                             json, strlen(json), &schemas[i])) {
                                fprintf(stderr, "fuzz_walk: schema %d: %s\n",
                                        i + 1, avro_strerror());
                                abort();
                        }
                }
        if (size < 1)
                return 0;
        s = schemas[data[0] % N_SCHEMAS];
        memset(fields, 0, sizeof(fields));
        err = hw_avro_walk(s, "fuzzed", body, size - 1, fields, 64, errstr,
                           sizeof(errstr));
        if (err != HW_OK && err != HW_ERR_DECODE) {
                fprintf(stderr, "fuzz_walk: not a decode error: %d %s\n",
                        (int)err, errstr);
                abort();
        }
        for (size_t i = 0; err == HW_OK && i < 64; i++)
                if (fields[i].str &&
                    (fields[i].str < body || fields[i].num < 0 ||
                     fields[i].num > end - fields[i].str)) {
                        fprintf(stderr,
                                "fuzz_walk: field %zu noted outside the "
                                "input\n",
                                i);
                        abort();
                }
        return 0;
}
