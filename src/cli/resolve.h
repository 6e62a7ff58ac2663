/* resolve.h: objects named on the command line by id, slug or name. Names are resolved by
 * listing what the user can see; ids go to the API as they are. Each function returns EX_OK
 * and a new reference (or a new string), or an exit code with the message printed. */
#ifndef BERTH_CLI_RESOLVE_H
#define BERTH_CLI_RESOLVE_H
#include <jansson.h>

#include "cli/cli.h"

/* The organization: org (id, slug or name) when given, else the default saved by
 * `berth org use`, else the user's only organization. */
int resolve_org(struct cli *c, const char *org, char **org_id);
/* GET /api/v1/orgs/<org_id>/<what> (org_id already resolved). */
int org_get(struct cli *c, const char *org_id, const char *what, json_t **out);
/* resolve_org, then org_get. */
int resolve_org_get(struct cli *c, const char *org, const char *what, json_t **out);
/* A project by id, slug or name; name NULL: the organization's only project. */
int resolve_project(struct cli *c, const char *org, const char *name, json_t **project);
int resolve_server(struct cli *c, const char *org, const char *name, json_t **server);
/* An environment by id, or by name within project (when given) or else within all the
 * projects of the organization. */
int resolve_env(struct cli *c, const char *org, const char *project, const char *name,
		json_t **env);
int resolve_plan(struct cli *c, const char *name, json_t **plan);
/* A member by user id or email. */
int resolve_member(struct cli *c, const char *org_id, const char *who, json_t **member);
/* The first item of arr whose keys[i] equals needle (id exact, others ignoring case),
 * trying the keys in order; *count gets the number of items that matched that key. */
json_t *find_item(json_t *arr, const char *needle, const char *const *keys, size_t *count);
/* True when the stored config (default org) belongs to the server in use. */
int config_same_server(struct cli *c);
#endif
