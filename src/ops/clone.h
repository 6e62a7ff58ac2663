/* clone.h: clones and refreshes of environments as jobs (issue 14, docs/clones.md): "clone"
 * (a new environment's data copied from its source: database physically, filestore by hard
 * links on one server or streamed through berthd across servers; then its branch, neutralize,
 * anonymize, start) and "refresh" (an existing staging or development environment's data
 * replaced by a fresh copy, its own settings and branch kept). */
#ifndef BERTH_OPS_CLONE_H
#define BERTH_OPS_CLONE_H
/* Registers the job types clone and refresh. */
void ops_register_clone(void);
#endif
