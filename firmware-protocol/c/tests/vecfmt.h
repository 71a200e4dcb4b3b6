/* Shared by the vector generator and the tests: message fields <-> "name=value" tokens, hex helpers. */
#ifndef VECFMT_H
#define VECFMT_H
#include <stddef.h>
#include <stdio.h>
#include "bkdisp.h"

/* Formats the fields of m as " name=value ..." (leading space per field). Returns 0 on success. */
int vec_format_fields(const bkd_msg *m, char *out, size_t cap);
/* Sets one field of m from "name=value"; string bytes go to storage (cap bytes, *used advanced).
 * Returns 0 on success, -1 for an unknown field or bad value. */
int vec_parse_field(bkd_msg *m, const char *token, unsigned char *storage, size_t cap, size_t *used);
/* Lowercase hex, "-" for empty. */
void vec_hex(FILE *f, const unsigned char *p, size_t n);
/* Parses hex ("-" = empty) into out. Returns the byte count or -1. */
long vec_unhex(const char *s, unsigned char *out, size_t cap);
const char *vec_type_name(unsigned type);
#endif
