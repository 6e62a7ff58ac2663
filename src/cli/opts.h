/* opts.h: a small table-driven option parser (no getopt globals) and the mapping from
 * options to fields of a JSON request body. */
#ifndef BERTH_CLI_OPTS_H
#define BERTH_CLI_OPTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum opt_type {
	OPT_FLAG, /* --confirm-less switch: present or not */
	OPT_STR,  /* --name VALUE */
	OPT_INT,  /* --ram 4096 (checked to be an integer) */
	OPT_NUM,  /* --cpu 1.5 (checked to be a number) */
	OPT_BOOL, /* --pgbouncer / --no-pgbouncer / --pgbouncer=false */
	OPT_LIST, /* --var K=V, repeatable */
};

/* OPT_NULLABLE: an empty value (and "auto" for numbers) sends JSON null. */
#define OPT_NULLABLE 1u
/* OPT_SHORT: also "-x", x being the first letter of the name (berth env logs -f, -o FILE). */
#define OPT_SHORT 2u

struct opt {
	const char *name;  /* long name without "--" */
	enum opt_type type;
	const char *field; /* JSON body field ("odoo_config.smtp.host") or NULL */
	const char *meta;  /* shown in help: "MB" */
	const char *help;
	unsigned flags;
};
#define OPT_END {NULL, OPT_FLAG, NULL, NULL, NULL, 0}

#define ARGS_MAX_POS 16

struct opt_vals {
	const char **v;
	size_t n;
};

/* The parsed command line of one verb. */
struct args {
	const struct opt *opts;
	size_t nopts;
	struct opt_vals *vals; /* per option */
	const char *pos[ARGS_MAX_POS];
	int npos;
};

/* Options every command takes. */
struct globals {
	bool json, help, version;
	const char *url;
};

/* Parses argv (argc words, after the noun and verb) against opts and the global options.
 * 0, or -1 with a message in err. stop_at_positional: stop at the first word that is not an
 * option (used for the words before the noun). *consumed gets the words used. */
int args_parse(struct args *a, const struct opt *opts, int argc, char **argv, struct globals *g,
	       bool stop_at_positional, int *consumed, char *err, size_t errlen);
void args_release(struct args *a);

/* The last value of an option, or NULL. Flags and bools: "true" / "false". */
const char *arg_get(const struct args *a, const char *name);
bool arg_has(const struct args *a, const char *name);
/* All the values of a repeatable option. */
const struct opt_vals *arg_all(const struct args *a, const char *name);

/* Adds every given option that has a .field to body (dotted fields make nested objects). */
void args_to_body(const struct args *a, json_t *body);
/* Sets body[path] where path may be "a.b.c"; steals value. */
void json_set_path(json_t *body, const char *path, json_t *value);

/* Help text for a list of options. */
void opts_help(const struct opt *opts, FILE *f);
#endif
