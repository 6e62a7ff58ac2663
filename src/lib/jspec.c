#include "lib/jspec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/valid.h"

static const char *type_name(enum jtype t)
{
	switch (t) {
	case J_STRING: return "a string";
	case J_INT: return "an integer";
	case J_NUMBER: return "a number";
	case J_BOOL: return "true or false";
	case J_OBJECT: return "an object";
	case J_ARRAY: return "an array";
	default: return "a value";
	}
}

static int fail(struct berr *err, const char *prefix, const char *name, const char *fmt,
		const char *a)
{
	char field[96];
	snprintf(field, sizeof field, "%s%s", prefix ? prefix : "", name);
	char msg[400];
	snprintf(msg, sizeof msg, fmt, a);
	return berr_set(err, BE_VALIDATION_ERROR, field, "%s: %s", field, msg);
}

static int one(const struct jfield *f, json_t *v, const char *prefix, struct berr *err)
{
	char buf[160];
	switch (f->type) {
	case J_STRING: {
		if (!json_is_string(v))
			return fail(err, prefix, f->name, "must be %s", type_name(f->type));
		const char *s = json_string_value(v);
		size_t max = f->maxlen ? f->maxlen : 255;
		if (json_string_length(v) != strlen(s) || !valid_text(s, f->multiline))
			return fail(err, prefix, f->name, "%s", "must not contain control characters");
		if (strlen(s) > max) {
			snprintf(buf, sizeof buf, "must be at most %zu characters", max);
			return fail(err, prefix, f->name, "%s", buf);
		}
		if (f->dest)
			*(const char **)f->dest = s;
		break;
	}
	case J_INT: {
		if (!json_is_integer(v) && !(json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
					    fabs(json_real_value(v)) < 9e15))
			return fail(err, prefix, f->name, "must be %s", type_name(f->type));
		long long x = json_is_integer(v) ? json_integer_value(v) : (long long)json_real_value(v);
		if (f->imin < f->imax && (x < f->imin || x > f->imax)) {
			snprintf(buf, sizeof buf, "must be between %lld and %lld", f->imin, f->imax);
			return fail(err, prefix, f->name, "%s", buf);
		}
		if (f->dest)
			*(long long *)f->dest = x;
		break;
	}
	case J_NUMBER: {
		if (!json_is_number(v))
			return fail(err, prefix, f->name, "must be %s", type_name(f->type));
		double x = json_number_value(v);
		if (!isfinite(x))
			return fail(err, prefix, f->name, "%s", "must be a finite number");
		if (f->dmin < f->dmax && (x < f->dmin - 1e-9 || x > f->dmax + 1e-9)) {
			snprintf(buf, sizeof buf, "must be between %g and %g", f->dmin, f->dmax);
			return fail(err, prefix, f->name, "%s", buf);
		}
		if (f->dest)
			*(double *)f->dest = x;
		break;
	}
	case J_BOOL:
		if (!json_is_boolean(v))
			return fail(err, prefix, f->name, "must be %s", type_name(f->type));
		if (f->dest)
			*(bool *)f->dest = json_is_true(v);
		break;
	case J_OBJECT:
	case J_ARRAY:
	case J_ANY:
		if ((f->type == J_OBJECT && !json_is_object(v)) ||
		    (f->type == J_ARRAY && !json_is_array(v)))
			return fail(err, prefix, f->name, "must be %s", type_name(f->type));
		if (f->dest)
			*(json_t **)f->dest = v;
		break;
	}
	return 0;
}

int jspec_parse(json_t *obj, const struct jfield *spec, const char *prefix, struct berr *err)
{
	if (!json_is_object(obj)) {
		/* the field is the object's own name: the prefix without its '.' */
		char field[96];
		size_t n = prefix ? strlen(prefix) : 0;
		snprintf(field, sizeof field, "%.*s", (int)(n && prefix[n - 1] == '.' ? n - 1 : n),
			 prefix ? prefix : "");
		return berr_set(err, BE_VALIDATION_ERROR, field, "%s must be a JSON object",
				*field ? field : "the request body");
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool known = false;
		for (const struct jfield *f = spec; f->name; f++)
			if (strcmp(f->name, key) == 0)
				known = true;
		if (!known) {
			char field[96];
			snprintf(field, sizeof field, "%s%.60s", prefix ? prefix : "", key);
			return berr_set(err, BE_VALIDATION_ERROR, field, "%s: unknown field", field);
		}
	}
	for (const struct jfield *f = spec; f->name; f++) {
		v = json_object_get(obj, f->name);
		if (!v) {
			if (f->required)
				return fail(err, prefix, f->name, "%s", "is required");
			continue;
		}
		if (json_is_null(v)) {
			if (!f->nullable)
				return fail(err, prefix, f->name, f->required ? "%s" : "must not be null%s",
					    f->required ? "is required" : "");
			if (f->present)
				*f->present = true;
			continue;
		}
		if (one(f, v, prefix, err) < 0)
			return -1;
		if (f->present)
			*f->present = true;
	}
	return 0;
}
