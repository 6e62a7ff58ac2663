/* prompt.c: asking for passwords and confirmations. Passwords come from the terminal
 * (/dev/tty, without echo) or, for scripts, from the first line of stdin; they are wiped
 * from memory after use. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lib/util.h"

static int tty_fd = -1;
static struct termios saved;

static void restore_tty(void)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSADRAIN, &saved);
}

static void on_signal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

void secret_wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void json_wipe_strings(json_t *o)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v) {
		if (json_is_string(v))
			explicit_bzero((void *)json_string_value(v), json_string_length(v));
		else if (json_is_object(v))
			json_wipe_strings(v);
	}
}

/* One line from fd without its newline; NULL at end of input. */
static char *read_fd_line(int fd)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_grow(&sb, 4100); /* room for the longest line kept: no realloc leaves copies behind */
	sb.buf[0] = '\0';
	char ch;
	for (;;) {
		ssize_t n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!sb.len) {
				sbuf_release(&sb);
				return NULL;
			}
			break;
		}
		if (ch == '\n')
			break;
		if (sb.len >= 4096)
			continue; /* longer than any password berthd takes: cut */
		sbuf_addc(&sb, ch);
	}
	if (sb.len && sb.buf[sb.len - 1] == '\r')
		sb.buf[--sb.len] = '\0';
	sbuf_str(&sb);
	return sbuf_detach(&sb);
}

/* Echo goes off before the prompt shows, so nothing typed after it is echoed or dropped. */
static char *ask_hidden(int fd, const char *prompt)
{
	struct termios t;
	bool echo_off = tcgetattr(fd, &saved) == 0;
	struct sigaction sa = {0}, old_int, old_term;
	if (echo_off) {
		tty_fd = fd;
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		t = saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		t.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &t);
	}
	char *line = NULL;
	if (write(fd, prompt, strlen(prompt)) >= 0)
		line = read_fd_line(fd);
	if (echo_off) {
		restore_tty();
		tty_fd = -1;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	if (write(fd, "\n", 1) < 0) {
		/* nothing to do: the answer was read */
	}
	return line;
}

char *read_secret(struct cli *c, const char *prompt, bool from_stdin, bool confirm)
{
	if (from_stdin) {
		char *s = read_fd_line(STDIN_FILENO);
		if (!s || !*s) {
			secret_wipe_free(s);
			usage_error(c, "--password-stdin: nothing on stdin");
			return NULL;
		}
		return s;
	}
	if (!isatty(STDIN_FILENO)) {
		usage_error(c, "cannot ask for the password: stdin is not a terminal (use"
			       " --password-stdin)");
		return NULL;
	}
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		usage_error(c, "cannot open the terminal to ask for the password (use --password-stdin)");
		return NULL;
	}
	char *s = ask_hidden(fd, prompt);
	if (s && confirm) {
		char *again = ask_hidden(fd, "Repeat it: ");
		bool same = again && strcmp(s, again) == 0;
		secret_wipe_free(again);
		if (!same) {
			secret_wipe_free(s);
			s = NULL;
			close(fd);
			usage_error(c, "the passwords differ");
			return NULL;
		}
	}
	close(fd);
	if (!s || !*s) {
		secret_wipe_free(s);
		usage_error(c, "no password given");
		return NULL;
	}
	return s;
}

char *read_line_tty(const char *prompt)
{
	if (!isatty(STDIN_FILENO))
		return NULL;
	fputs(prompt, stderr);
	fflush(stderr);
	return read_fd_line(STDIN_FILENO);
}
