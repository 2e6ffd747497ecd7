/*
 * What the config tests share (test_config.c, test_config_file.c,
 * test_config_kafka.c, test_countries.c, test_redis_url.c): the error
 * buffer the calls fill, checks of an error code, of a secret left out
 * and of the defaults, the source tree's files, temp files, and the
 * config's country groups.
 */
#ifndef HW_CONFIG_FIXTURES_H
#define HW_CONFIG_FIXTURES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw_config.h"
#include "hw_err.h"
#include "hw_log.h"
#include "hw_test.h"

/* What the last call under test wrote as its error. */
extern char errstr[1024];

int check_err_(hw_err_t got, hw_err_t want, const char *file, int line);
#define CHECK_ERR(got, want) check_err_((got), (want), __FILE__, __LINE__)

/* Checks that s does not contain needle (a secret). */
#define CHECK_NOT_CONTAINS(s, needle)                                          \
        HW_CHECK_MSG(strstr((s), (needle)) == NULL,                            \
                     "%s must not contain %s: \"%s\"", #s, #needle, (s))

/* The source tree: $HW_SRC_DIR, else the parent of this file's folder. */
void src_path(const char *rel, char *out, size_t size);

/* Writes text to a new temp file; returns its path (valid until
 * remove_temps). */
const char *write_temp(const char *text);

/* Removes the temp files write_temp made. */
void remove_temps(void);

/* The index of country group name in c, or -1; how many countries group g
 * holds. */
int group_index(const hw_config_t *c, const char *name);
size_t group_size(const hw_config_t *c, int g);

/* Checks that c holds every default of hw_config_init. */
void check_defaults(const hw_config_t *c);

/* Runs the tests, removes the temp files and returns the exit status of
 * the run. */
int config_main(void (*run)(void));

#endif
