#include "lib/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int status;
	const char *msg;
} registry[] = {
	[BERTH_OK] = {"OK", 200, "OK"},
#define X(n, s, m) [BE_##n] = {#n, s, m},
	BERTH_ERRORS(X)
#undef X
};

const char *berr_name(enum berth_code c)
{
	return c < BERTH_CODE_MAX ? registry[c].name : "INTERNAL_ERROR";
}

int berr_status(enum berth_code c)
{
	return c < BERTH_CODE_MAX ? registry[c].status : 500;
}

const char *berr_default_message(enum berth_code c)
{
	return c < BERTH_CODE_MAX ? registry[c].msg : "Internal error";
}

int berr_set(struct berr *e, enum berth_code c, const char *field, const char *fmt, ...)
{
	if (!e)
		return -1;
	e->code = c;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof e->message, fmt, ap);
		va_end(ap);
	} else {
		snprintf(e->message, sizeof e->message, "%s", berr_default_message(c));
	}
	return -1;
}

void berr_clear(struct berr *e)
{
	memset(e, 0, sizeof *e);
}
