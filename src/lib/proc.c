/* proc.c: posix_spawn with pipes, poll() and a deadline. */
#include "lib/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int proc_run(struct proc *p)
{
	int ofd[2] = {-1, -1}, efd[2] = {-1, -1}, ifd[2] = {-1, -1};
	p->exit_code = -1;
	p->timed_out = 0;
	p->truncated = 0;
	if (pipe2(ofd, O_CLOEXEC) < 0 || pipe2(efd, O_CLOEXEC) < 0 ||
	    (p->in && pipe2(ifd, O_CLOEXEC) < 0))
		goto fail_pipes;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (p->in)
		posix_spawn_file_actions_adddup2(&fa, ifd[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, efd[1], 2);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	pid_t pid;
	int rc = posix_spawnp(&pid, p->argv[0], &fa, &at, (char *const *)p->argv,
			      p->env ? (char *const *)p->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(ofd[1]);
	close(efd[1]);
	if (p->in)
		close(ifd[0]);
	if (rc != 0) {
		close(ofd[0]);
		close(efd[0]);
		if (p->in)
			close(ifd[1]);
		if (p->err)
			sbuf_addf(p->err, "cannot run %s: %s", p->argv[0], strerror(rc));
		return -1;
	}
	size_t max = p->max_out ? p->max_out : (size_t)64 << 20;
	size_t in_off = 0;
	int in_fd = p->in ? ifd[1] : -1;
	if (in_fd >= 0) {
		fcntl(in_fd, F_SETFL, O_NONBLOCK);
		if (p->in_len == 0) {
			close(in_fd);
			in_fd = -1;
		}
	}
	int64_t deadline = p->timeout_ms > 0 ? now_ms() + p->timeout_ms : 0;
	int open_fds = 2;
	struct sbuf *sinks[2] = {p->out, p->err};
	int fds[2] = {ofd[0], efd[0]};
	char buf[16384];
	while (open_fds > 0 || in_fd >= 0) {
		struct pollfd pf[3];
		int n = 0, map[3];
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				pf[n].fd = fds[i];
				pf[n].events = POLLIN;
				map[n++] = i;
			}
		if (in_fd >= 0) {
			pf[n].fd = in_fd;
			pf[n].events = POLLOUT;
			map[n++] = 2;
		}
		int wait = -1;
		if (deadline) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				p->timed_out = 1;
				break;
			}
			wait = left > 1000 ? 1000 : (int)left;
		}
		int pr = poll(pf, (nfds_t)n, wait);
		if (pr < 0 && errno != EINTR)
			break;
		for (int k = 0; pr > 0 && k < n; k++) {
			if (!pf[k].revents)
				continue;
			if (map[k] == 2) {
				ssize_t w = write(in_fd, p->in + in_off, p->in_len - in_off);
				if (w > 0)
					in_off += (size_t)w;
				if (w < 0 && errno != EAGAIN && errno != EINTR)
					in_off = p->in_len;
				if (in_off >= p->in_len) {
					close(in_fd);
					in_fd = -1;
				}
				continue;
			}
			int i = map[k];
			ssize_t r = read(fds[i], buf, sizeof buf);
			if (r > 0) {
				struct sbuf *s = sinks[i];
				if (s && s->len + (size_t)r <= max)
					sbuf_add(s, buf, (size_t)r);
				else if (s)
					p->truncated = 1;
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				close(fds[i]);
				fds[i] = -1;
				open_fds--;
			}
		}
		if (p->truncated && p->out && p->out->len >= max) {
			p->timed_out = 0;
			break;
		}
	}
	if (p->timed_out || p->truncated)
		kill(-pid, SIGKILL);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (in_fd >= 0)
		close(in_fd);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	p->exit_code = WIFEXITED(st) && !p->timed_out ? WEXITSTATUS(st) : -1;
	return 0;
fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (ofd[i] >= 0)
			close(ofd[i]);
		if (efd[i] >= 0)
			close(efd[i]);
		if (ifd[i] >= 0)
			close(ifd[i]);
	}
	if (p->err)
		sbuf_addf(p->err, "cannot make pipes: %s", strerror(errno));
	return -1;
}
