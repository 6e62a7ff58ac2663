/* errors.h: berth's one error registry. The API, the CLI and docs/errors.md use these codes. */
#ifndef BERTH_ERRORS_H
#define BERTH_ERRORS_H
#include <stdbool.h>

#define BERTH_ERRORS(X)                                                                    \
	X(VALIDATION_ERROR, 400, "A field of the request is not valid")                    \
	X(INVALID_JSON, 400, "The request body is not valid JSON")                          \
	X(CONFIRMATION_REQUIRED, 400, "Type DELETE to confirm")                             \
	X(QUOTA_EXCEEDED, 400, "Organization quota limit reached")                          \
	X(SERVER_CAPACITY_EXCEEDED, 400, "Selected server does not have sufficient capacity") \
	X(SERVER_NOT_RUNNING, 400, "Selected server is not running")                       \
	X(NO_SERVERS_AVAILABLE, 400, "No servers available in your organization")           \
	X(SUBDOMAIN_EXISTS, 400, "Subdomain is already in use")                             \
	X(DOMAIN_EXISTS, 400, "Domain is already in use")                                   \
	X(NAME_EXISTS, 400, "Name is already in use")                                       \
	X(UNAUTHORIZED, 401, "Authentication required")                                     \
	X(INVALID_CREDENTIALS, 401, "Invalid email or password")                            \
	X(PERMISSION_DENIED, 403, "Permission denied")                                      \
	X(PLAN_FEATURE_UNAVAILABLE, 403, "The organization's plan does not include this feature") \
	X(NOT_FOUND, 404, "Not found")                                                      \
	X(ORG_NOT_FOUND, 404, "Organization doesn't exist")                                 \
	X(PROJECT_NOT_FOUND, 404, "Project doesn't exist")                                  \
	X(SERVER_NOT_FOUND, 404, "Selected server doesn't exist")                           \
	X(ENVIRONMENT_NOT_FOUND, 404, "Environment doesn't exist")                          \
	X(PLAN_NOT_FOUND, 404, "Plan doesn't exist")                                        \
	X(USER_NOT_FOUND, 404, "User doesn't exist")                                        \
	X(INVITATION_NOT_FOUND, 404, "Invitation doesn't exist, was used or expired")       \
	X(WEBHOOK_NOT_FOUND, 404, "Webhook doesn't exist")                                  \
	X(BACKUP_NOT_FOUND, 404, "Backup doesn't exist")                                    \
	X(BACKUP_TARGET_NOT_FOUND, 404, "Backup target doesn't exist")                      \
	X(METHOD_NOT_ALLOWED, 405, "Method not allowed on this route")                      \
	X(ALREADY_SET_UP, 409, "berth is already set up")                                   \
	X(CONFLICT, 409, "The request conflicts with the current state")                    \
	X(PRODUCTION_PROTECTED, 409, "Production environments cannot be removed")           \
	X(PAYLOAD_TOO_LARGE, 413, "The request body is too large")                          \
	X(UNSUPPORTED_MEDIA_TYPE, 415, "The request body must be JSON")                     \
	X(TOO_MANY_ATTEMPTS, 429, "Too many failed attempts; try again later")              \
	X(INTERNAL_ERROR, 500, "Internal error")                                            \
	X(SERVER_UNREACHABLE, 502, "The server could not be reached")                      \
	X(REPOSITORY_UNREACHABLE, 502, "The git repository could not be reached")

enum berth_code {
	BERTH_OK = 0,
#define X(name, status, msg) BE_##name,
	BERTH_ERRORS(X)
#undef X
	BERTH_CODE_MAX
};

/* An error being returned: a code, a message for people, and the field at fault if any. */
struct berr {
	enum berth_code code;
	char message[512];
	char field[96];
};

const char *berr_name(enum berth_code c);
int berr_status(enum berth_code c);
const char *berr_default_message(enum berth_code c);
/* Sets *e and returns -1 so that handlers can `return berr_set(...)`. */
int berr_set(struct berr *e, enum berth_code c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void berr_clear(struct berr *e);
#endif
