/*
 * What the files of config/ share: the text helpers of the config's
 * parsers (hw_config.c holds them; hw_countries.c and hw_redis_url.c use
 * them too) and the limits they check. Not for use outside config/:
 * hw_config.h is the config's interface.
 */
#ifndef HW_CONFIG_INT_H
#define HW_CONFIG_INT_H

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw_buf.h"
#include "hw_config.h"
#include "hw_log.h"
#include "hw_validate.h"

#define CONF_MIB (1024 * 1024)
#define CONF_PREFIX_MAX 64     /* bytes in the Redis key prefix */
#define CONF_TOPIC_MAX 249     /* Kafka's limit on a topic name */
#define CONF_NAME_MAX 255      /* group id, file names are not limited */
#define CONF_GROUP_NAME_MAX 32 /* country group names */
#define CONF_WINDOW_MAX_DAYS 3650
#define CONF_SHOW 80 /* at most this many bytes of a value quoted */

/* Quoted text of a non-secret value for an error message, cut at
 * CONF_SHOW bytes. */
#define SHOWN(v)                                                               \
        (strlen(v) > CONF_SHOW ? CONF_SHOW : (int)strlen(v)), (v),             \
                (strlen(v) > CONF_SHOW ? "..." : "")

/* Trims ASCII whitespace at both ends, in place. */
char *hw_conf_trim(char *s);

/* Parses a whole number of decimal digits (no sign, no spaces) into *out:
 * 0, -1 if s is not one, -2 if it is larger than INT64_MAX. */
int hw_conf_parse_whole(const char *s, int64_t *out);

/* The same for the n bytes at s. */
int hw_conf_parse_whole_n(const char *s, size_t n, int64_t *out);

/*
 * Splits s[0..len) into host and port: "host", "host:port", "[v6]" or
 * "[v6]:port"; *port is -1 when none is given. NULL, or a static
 * description of what is wrong (never quoting s, which may be part of a
 * URL holding a password).
 */
const char *hw_conf_split_host_port(const char *s, size_t len,
                                    const char **host, size_t *host_len,
                                    int *port);

#endif
