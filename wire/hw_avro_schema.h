/*
 * Avro schema texts from outside (a Schema Registry's answers), parsed
 * into Avro C schemas.
 */
#ifndef HW_AVRO_SCHEMA_H
#define HW_AVRO_SCHEMA_H

#include <avro.h>
#include <stddef.h>

#include "hw_err.h"

/*
 * Parses the schema text json (len bytes) into *schema, which the caller
 * then owns (avro_schema_decref). A text that defines one named type
 * (record, enum or fixed) twice under the same full name is refused
 * before Avro C sees it: Avro C's parser refuses it too, but loses the
 * second definition's memory on the way. On failure *schema is NULL and
 * errstr names the fault (HW_ERR_DECODE for a text that is not a schema,
 * HW_ERR_NOMEM).
 */
hw_err_t hw_avro_schema_parse(const char *json, size_t len,
                              avro_schema_t *schema, char *errstr, size_t size);

#endif
