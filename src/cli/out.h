/* out.h: human output of the `berth` client: aligned tables and key: value blocks. Text
 * from the server is printed with control characters replaced, so names cannot carry
 * terminal escape sequences. */
#ifndef BERTH_CLI_OUT_H
#define BERTH_CLI_OUT_H
#include <stddef.h>

#include <jansson.h>

struct table;

/* headers: space-separated column names, "NAME TYPE STATUS". */
struct table *table_new(const char *headers);
/* Adds the next cell (rows wrap after the last column); NULL or "" prints "-". */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A cell from obj[key] (key may be dotted: "plan.name"), formatted by fmt_json. */
void table_cellj(struct table *t, json_t *obj, const char *key);
/* Prints to stdout and frees. */
void table_print(struct table *t);

/* A JSON value as text: strings as is, numbers without trailing zeros, true/false as
 * yes/no, null as "-", arrays of scalars comma-separated, others compact JSON. */
char *fmt_json(json_t *v);
/* obj[key] with dotted keys. */
json_t *json_path(json_t *obj, const char *key);
/* Sizes: "4096M", "20G" (NULL or non-numbers give "-"). */
void fmt_unit(json_t *v, const char *unit, char *out, size_t n);

/* A key: value block of an object; nested objects flatten to "a.b". keys: NULL-terminated
 * list of keys to print first (others follow unless only is set). */
void print_kv(json_t *obj, const char *const *keys, int only);
/* Replaces control characters in place. */
void sanitize(char *s);
#endif
