/* proc.h: runs a program from an argv vector (never a shell), with its own environment,
 * optional standard input, captured output and a time limit. */
#ifndef BERTH_PROC_H
#define BERTH_PROC_H
#include <stddef.h>
#include "lib/util.h"

struct proc {
	const char *const *argv;  /* argv[0] is looked up in PATH */
	const char *const *env;   /* NULL: inherit berthd's environment */
	const char *in;           /* standard input (NULL: /dev/null) */
	size_t in_len;
	struct sbuf *out;         /* standard output (NULL: discarded) */
	struct sbuf *err;         /* standard error (NULL: discarded) */
	size_t max_out;           /* 0: 64 MiB; output beyond is an error */
	int timeout_ms;           /* 0: none; the process group is killed after it */
	/* results */
	int exit_code;            /* -1 when killed by a signal or the time limit */
	int timed_out;
	int truncated;
};

/* 0 when the program ran (whatever its exit code), -1 when it could not be started. */
int proc_run(struct proc *p);
#endif
