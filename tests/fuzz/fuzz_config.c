/*
 * libFuzzer target: a config file (key = value lines, comments, quotes, a
 * byte order mark) through the loader, which must either apply it or name
 * the file and line that are wrong. Every input starts from the defaults
 * and is released after it (LeakSanitizer checks that a refused file
 * leaves nothing behind, secrets included).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        hw_config_t c;
        char errstr[512];
        FILE *fp;
        hw_err_t err;

        if (hw_config_init(&c))
                return 0;
        fp = size ? fmemopen((void *)data, size, "r") : NULL;
        if (fp) {
                errstr[0] = '\0';
                err = hw_config_load_stream(&c, fp, "fuzz.conf", errstr,
                                            sizeof(errstr));
                fclose(fp);
                /* A refusal says where: the file and its line. */
                if (err && strncmp(errstr, "fuzz.conf", 9) != 0)
                        abort();
        }
        hw_config_release(&c);
        return 0;
}
