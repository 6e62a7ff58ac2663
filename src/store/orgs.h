/* orgs.h: organizations, members, invitations and the audit log: writes and the reads the
 * rules need (typed), plus the listings the API shows. Organization JSON comes from
 * model_org_get (store/model.h). */
#ifndef BERTH_STORE_ORGS_H
#define BERTH_STORE_ORGS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

bool orgs_exists(const char *org_id);
/* The oldest organization's id, or NULL. Caller frees. */
char *orgs_first_id(void);
int orgs_rename(const char *org_id, const char *name);
int orgs_set_plan(const char *org_id, const char *plan_id);
/* The organization's time zone (an IANA name checked by the caller; "UTC" by default). */
int orgs_set_timezone(const char *org_id, const char *timezone);
/* Caller frees; "UTC" when the organization has none or does not exist. */
char *orgs_timezone(const char *org_id);
/* The organization's slug (fixed at creation), NULL when there is none. Caller frees. */
char *orgs_slug(const char *org_id);
/* Whether project_id is a project of the organization. */
bool orgs_has_project(const char *org_id, const char *project_id);

/* Members: {user_id, email, name, role, projects, joined_at}. */
json_t *members_list(const char *org_id);
json_t *members_get(const char *org_id, const char *user_id);
/* The member's role, or NULL when not a member. Caller frees. */
char *members_role(const char *org_id, const char *user_id);
int64_t members_owner_count(const char *org_id);
bool members_has_email(const char *org_id, const char *email);
int members_set_role(const char *org_id, const char *user_id, const char *role);
/* projects: an array of project ids, or NULL for all. */
int members_set_projects(const char *org_id, const char *user_id, json_t *projects);
int members_remove(const char *org_id, const char *user_id);

/* Invitations. */
struct invitation_new {
	const char *id, *org_id, *email, *role, *token_hash, *invited_by;
	json_t *projects; /* NULL: all projects */
	int64_t expires_ts;
};
int invitations_insert(const struct invitation_new *n);
json_t *invitations_get(const char *id);
json_t *invitations_pending(const char *org_id);
/* 1 deleted, 0 no pending invitation of that id in the organization, -1 error. */
int invitations_delete(const char *id, const char *org_id);
/* A pending, unexpired invitation by its token's hash. */
struct invitation_row {
	char id[37], org_id[37], email[256], role[16];
	json_t *projects; /* array or NULL (all) */
};
/* 0 and *r filled (free with invitation_row_free), or -1 when none. */
int invitations_by_token(const char *token_hash, int64_t now, struct invitation_row *r);
void invitation_row_free(struct invitation_row *r);
int invitations_mark_accepted(const char *id);

/* Audit entries of an organization, newest first: before (0: from the newest) and limit. */
json_t *audit_list(const char *org_id, int64_t before, int64_t limit);
/* The same, only the entries whose target is target_id (an environment's, for example). */
json_t *audit_list_target(const char *org_id, const char *target_id, int64_t before,
			  int64_t limit);
#endif
