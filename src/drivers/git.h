/* git.h: git repositories, through the git program with argv vectors only (never a shell).
 * berthd keeps a bare mirror per repository in its data directory; everything but fetch and
 * push works on the mirror without the network. */
#ifndef BERTH_GIT_H
#define BERTH_GIT_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "lib/util.h"

/* Where a repository is and how to authenticate. */
struct git_remote {
	const char *url;        /* validated with valid_git_url */
	const char *deploy_key; /* OpenSSH private key, or NULL */
	const char *token;      /* HTTPS access token, or NULL */
	const char *username;   /* for the token (default "x-access-token") */
	const char *home;       /* a private directory: known_hosts, temporary key files */
	int timeout_s;          /* fetch: give up after this many seconds (0: 10 minutes) */
	const char *local_area; /* the organization's slug: a local path must be under
				 * ROOT/<local_area>/ of a local root (NULL: no local path) */
};

/* data_dir holds the mirrors; local_roots (NULL-terminated, may be NULL) are the only
 * directories local-path repositories may live under: an organization may use those under
 * ROOT/<its slug>/ (the platform administrator grants it by creating that directory). */
void git_init(const char *data_dir, const char *const *local_roots);
const char *git_data_dir(void);
/* Is this URL a local path? */
bool git_url_is_local(const char *url);
/* May the organization whose slug is `area` use this URL? Remote URLs: yes. Local paths:
 * only an existing path inside ROOT/<area>/ of a local root, where ROOT/<area> is a real
 * directory (not a link elsewhere), and outside berthd's data directory. */
bool git_local_allowed(const char *url, const char *area);

/* Creates the mirror when missing and fetches every branch of the remote into it (pruning
 * deleted ones). Errors are REPOSITORY_UNREACHABLE with git's own words. */
int git_fetch(const char *mirror, const struct git_remote *rm, struct berr *err);
/* Seconds since the mirror's last successful fetch (a large number when never). */
long git_fetch_age(const char *mirror);
/* Fetches one commit by id (remotes that allow it), for pins that no branch holds. */
int git_fetch_commit(const char *mirror, const struct git_remote *rm, const char *commit,
		     struct berr *err);
/* Pushes commit to refs/heads/<branch> of the remote (never forced). */
int git_push(const char *mirror, const struct git_remote *rm, const char *commit,
	     const char *branch, struct berr *err);

/* Full commit id of rev (a branch name is looked up under refs/heads), or NULL. */
char *git_resolve(const char *mirror, const char *rev, bool branch);
/* [{name, commit}] of the mirror's branches, sorted by name. */
json_t *git_branches(const char *mirror);
/* Newest first: [{hash, commit, author, email, date, message}]. */
json_t *git_log(const char *mirror, const char *commit, int limit);
/* Number of commits in `to` not in `from` (-1 on error). */
long git_count_between(const char *mirror, const char *from, const char *to);
bool git_is_ancestor(const char *mirror, const char *a, const char *b);
/* Paths of files (blobs) in the commit's tree. */
json_t *git_tree_files(const char *mirror, const char *commit);
/* Paths changed between two commits. */
json_t *git_changed_files(const char *mirror, const char *from, const char *to);
/* A gzip-compressed tar of the commit, every path under prefix ("dir/"). */
int git_archive(const char *mirror, const char *commit, const char *prefix, struct sbuf *out,
		struct berr *err);

/* Merges `source` into `target` in the mirror, without a work tree. Returns 0 and sets
 * *result_commit (a new merge commit, the source itself for a fast-forward, or NULL when the
 * target already contains the source); 1 when files conflict (listed in *conflicts);
 * -1 on error. */
int git_merge(const char *mirror, const char *target_commit, const char *source_commit,
	      const char *message, const char *author_name, const char *author_email,
	      char **result_commit, json_t **conflicts, struct berr *err);

/* Makes an ed25519 key pair (OpenSSH formats). */
int git_keygen(const char *comment, char **private_key, char **public_key, struct berr *err);
/* The public key of an OpenSSH private key, or NULL (err names deploy_key) when it is not one
 * or needs a passphrase. */
char *git_public_key(const char *private_key, struct berr *err);
#endif
