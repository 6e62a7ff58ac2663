/* opts.c: the option parser of the `berth` client. */
#include "cli/opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

static const struct opt *find_opt(const struct opt *opts, const char *name, size_t len)
{
	for (const struct opt *o = opts; o && o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool is_null_word(const struct opt *o, const char *v)
{
	return (o->flags & OPT_NULLABLE) && (!*v || strcmp(v, "auto") == 0 || strcmp(v, "null") == 0);
}

static bool parse_int(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return false;
	*out = x;
	return true;
}

static bool parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(x))
		return false;
	*out = x;
	return true;
}

/* Checks a value against the option's type. */
static int check_value(const struct opt *o, const char *v, char *err, size_t errlen)
{
	long long i;
	double d;
	if (is_null_word(o, v))
		return 0;
	if (o->type == OPT_INT && !parse_int(v, &i)) {
		snprintf(err, errlen, "--%s: '%s' is not a whole number", o->name, v);
		return -1;
	}
	if (o->type == OPT_NUM && !parse_num(v, &d)) {
		snprintf(err, errlen, "--%s: '%s' is not a number", o->name, v);
		return -1;
	}
	return 0;
}

static void add_val(struct args *a, const struct opt *o, const char *v)
{
	struct opt_vals *ov = &a->vals[o - a->opts];
	ov->v = xrealloc(ov->v, (ov->n + 1) * sizeof *ov->v);
	ov->v[ov->n++] = v;
}

static const struct opt GLOBAL_OPTS[] = {
	{"json", OPT_FLAG, NULL, NULL, "print the API's JSON instead of tables", 0},
	{"url", OPT_STR, NULL, "URL", "berthd's address (overrides BERTH_URL and the config file)", 0},
	{"help", OPT_FLAG, NULL, NULL, "show help", 0},
	{"version", OPT_FLAG, NULL, NULL, "print the version", 0},
	OPT_END,
};

int args_parse(struct args *a, const struct opt *opts, int argc, char **argv, struct globals *g,
	       bool stop_at_positional, int *consumed, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->opts = opts;
	for (const struct opt *o = opts; o && o->name; o++)
		a->nopts++;
	a->vals = xcalloc(a->nopts + 1, sizeof *a->vals);
	bool only_pos = false;
	int i;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		if (only_pos || w[0] != '-' || strcmp(w, "-") == 0) {
			if (stop_at_positional)
				break;
			if (a->npos == ARGS_MAX_POS) {
				snprintf(err, errlen, "too many arguments");
				return -1;
			}
			a->pos[a->npos++] = w;
			continue;
		}
		if (strcmp(w, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (strcmp(w, "-h") == 0) {
			g->help = true;
			continue;
		}
		const struct opt *o = NULL;
		if (w[1] != '-' && w[2] == '\0')
			for (const struct opt *s = opts; s && s->name; s++)
				if ((s->flags & OPT_SHORT) && s->name[0] == w[1])
					o = s;
		if (w[1] != '-' && !o) {
			snprintf(err, errlen, "unknown option '%s'", w);
			return -1;
		}
		const char *name = o ? o->name : w + 2, *eq = o ? NULL : strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const char *value = eq ? eq + 1 : NULL;
		if (!o)
			o = find_opt(opts, name, len);
		bool negated = false;
		if (!o && len > 3 && strncmp(name, "no-", 3) == 0) {
			o = find_opt(opts, name + 3, len - 3);
			if (o && o->type != OPT_BOOL)
				o = NULL;
			negated = o != NULL;
		}
		if (!o) {
			const struct opt *go = find_opt(GLOBAL_OPTS, name, len);
			if (!go) {
				snprintf(err, errlen, "unknown option '--%.*s'", (int)len, name);
				return -1;
			}
			if (go->type == OPT_FLAG) {
				if (value) {
					snprintf(err, errlen, "--%s takes no value", go->name);
					return -1;
				}
				if (strcmp(go->name, "json") == 0)
					g->json = true;
				else if (strcmp(go->name, "help") == 0)
					g->help = true;
				else
					g->version = true;
				continue;
			}
			if (!value) {
				if (i + 1 >= argc) {
					snprintf(err, errlen, "--%s needs a value", go->name);
					return -1;
				}
				value = argv[++i];
			}
			g->url = value;
			continue;
		}
		if (o->type == OPT_FLAG) {
			if (value) {
				snprintf(err, errlen, "--%s takes no value", o->name);
				return -1;
			}
			add_val(a, o, "true");
			continue;
		}
		if (o->type == OPT_BOOL) {
			bool b = !negated;
			if (value) {
				if (negated || !parse_bool(value, &b)) {
					snprintf(err, errlen, "--%s: '%s' is not true or false", o->name, value);
					return -1;
				}
			}
			add_val(a, o, b ? "true" : "false");
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--%s needs a value%s%s", o->name, o->meta ? " " : "",
					 o->meta ? o->meta : "");
				return -1;
			}
			value = argv[++i];
		}
		if (check_value(o, value, err, errlen) < 0)
			return -1;
		add_val(a, o, value);
	}
	if (consumed)
		*consumed = i;
	return 0;
}

void args_release(struct args *a)
{
	for (size_t i = 0; a->vals && i < a->nopts; i++)
		free(a->vals[i].v);
	free(a->vals);
	a->vals = NULL;
}

const struct opt_vals *arg_all(const struct args *a, const char *name)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].name, name) == 0)
			return &a->vals[i];
	return NULL;
}

const char *arg_get(const struct args *a, const char *name)
{
	const struct opt_vals *ov = arg_all(a, name);
	return ov && ov->n ? ov->v[ov->n - 1] : NULL;
}

bool arg_has(const struct args *a, const char *name)
{
	return arg_get(a, name) != NULL;
}

void json_set_path(json_t *body, const char *path, json_t *value)
{
	const char *dot = strchr(path, '.');
	if (!dot) {
		json_object_set_new(body, path, value);
		return;
	}
	char *head = xstrndup(path, (size_t)(dot - path));
	json_t *sub = json_object_get(body, head);
	if (!json_is_object(sub)) {
		sub = json_object();
		json_object_set_new(body, head, sub);
	}
	free(head);
	json_set_path(sub, dot + 1, value);
}

void args_to_body(const struct args *a, json_t *body)
{
	for (size_t i = 0; i < a->nopts; i++) {
		const struct opt *o = &a->opts[i];
		const struct opt_vals *ov = &a->vals[i];
		if (!o->field || !ov->n || o->type == OPT_LIST)
			continue;
		const char *v = ov->v[ov->n - 1];
		json_t *j;
		long long n;
		double d;
		if (is_null_word(o, v))
			j = json_null();
		else if (o->type == OPT_INT && parse_int(v, &n))
			j = json_integer(n);
		else if (o->type == OPT_NUM && parse_num(v, &d))
			j = d == floor(d) && fabs(d) < 9e15 ? json_integer((json_int_t)d) : json_real(d);
		else if (o->type == OPT_FLAG || o->type == OPT_BOOL)
			j = json_boolean(strcmp(v, "true") == 0);
		else
			j = json_string(v);
		if (!j) /* not UTF-8: let the server name the field */
			j = json_stringn_nocheck(v, strlen(v));
		json_set_path(body, o->field, j);
	}
}

static void help_line(FILE *f, const struct opt *o)
{
	char left[64], sh[8] = "";
	if (o->flags & OPT_SHORT)
		snprintf(sh, sizeof sh, "-%c, ", o->name[0]);
	if (o->type == OPT_BOOL)
		snprintf(left, sizeof left, "--[no-]%s", o->name);
	else if (o->type == OPT_FLAG)
		snprintf(left, sizeof left, "%s--%s", sh, o->name);
	else
		snprintf(left, sizeof left, "%s--%s %s", sh, o->name, o->meta ? o->meta : "VALUE");
	if (strlen(left) > 26)
		fprintf(f, "  %s\n  %-26s  %s\n", left, "", o->help ? o->help : "");
	else
		fprintf(f, "  %-26s  %s\n", left, o->help ? o->help : "");
}

void opts_help(const struct opt *opts, FILE *f)
{
	if (opts && opts->name) {
		fprintf(f, "\nOptions:\n");
		for (const struct opt *o = opts; o->name; o++)
			help_line(f, o);
	}
	fprintf(f, "\nGlobal options:\n");
	for (const struct opt *o = GLOBAL_OPTS; o->name; o++)
		help_line(f, o);
}
