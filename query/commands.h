/*
 * What the commands of hirewire-query share (query/): the headers they
 * use and their defaults. commands.c: lab and labs; flows.c: flows;
 * offers.c: offers; alerts.c: alerts; person.c: person and timeline.
 */
#ifndef HW_QUERY_COMMANDS_H
#define HW_QUERY_COMMANDS_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw_buf.h"
#include "hw_err.h"
#include "hw_event.h"
#include "hw_person_record.h"
#include "hw_plan.h"
#include "hw_time.h"
#include "output.h"
#include "query.h"
#include "table.h"

#define KEY_MAX HW_QOUT_KEY_MAX
#define LAB_TOP_DEFAULT 10 /* hires-by-origin rows of `lab` */
#define FLOWS_WINDOW_DEFAULT "365d"
#define OFFERS_WINDOW_DEFAULT "365d"
#define LAB_WINDOW_DEFAULT "30d"
#define DEFAULT_GROUP "oecd"
#define FOLLOW_BLOCK_MS 1000 /* how often --follow looks at signals */
#define SCAN_COUNT 1000

#endif
