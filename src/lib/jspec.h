/* jspec.h: declarative parsing of JSON request bodies (after GNU Taler's json specs).
 * Handlers describe the fields they accept; the parser checks types, ranges and lengths,
 * rejects unknown fields, and names the field at fault. Strings and objects are borrowed
 * from the parsed document. */
#ifndef BERTH_JSPEC_H
#define BERTH_JSPEC_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

enum jtype { J_STRING, J_INT, J_NUMBER, J_BOOL, J_OBJECT, J_ARRAY, J_ANY };

struct jfield {
	const char *name;
	enum jtype type;
	bool required;
	void *dest;        /* const char **, long long *, double *, bool *, json_t ** */
	bool *present;     /* optional: set when the field is in the document */
	bool nullable;     /* null is accepted (leaves dest alone, sets *present) */
	long long imin, imax; /* J_INT range when imin < imax */
	double dmin, dmax;    /* J_NUMBER range when dmin < dmax */
	size_t maxlen;        /* J_STRING: max bytes (0: 255); strings are printable text */
	bool multiline;       /* J_STRING: allow \n and \t */
};

#define JF_END {NULL, J_ANY, false, NULL, NULL, false, 0, 0, 0, 0, 0, false}

/* prefix names nested fields ("odoo_config."), may be NULL. */
int jspec_parse(json_t *obj, const struct jfield *spec, const char *prefix, struct berr *err);
#endif
