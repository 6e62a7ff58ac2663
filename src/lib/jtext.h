/* jtext.h: JSON text written byte for byte as jansson 2.14's json_dumps writes it with
 * JSON_COMPACT | JSON_REAL_PRECISION(JTEXT_PRECISION) (what the API answers with, see
 * api/server.c), for answers written straight from the store's rows instead of through a
 * tree of jansson values (long lists: no allocation per value). */
#ifndef BERTH_JTEXT_H
#define BERTH_JTEXT_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/util.h"

#define JTEXT_PRECISION 12

/* Would json_string() accept s (valid UTF-8, no overlong forms, surrogates or code points
 * beyond U+10FFFF)? */
bool jtext_utf8_ok(const char *s);
/* A string (s must pass jtext_utf8_ok): quotes, and \" \\ \b \f \n \r \t or \u00XX for the
 * characters jansson escapes. */
void jtext_str(struct sbuf *out, const char *s);
void jtext_int(struct sbuf *out, long long v);
/* A real as jansson writes it: %.12g, with ".0" when it would read as an integer, and the
 * exponent without '+' or leading zeros. */
void jtext_real(struct sbuf *out, double v);
/* Any jansson value (objects in their keys' order). */
void jtext_value(struct sbuf *out, const json_t *v);
#endif
