/* Validators (lib/valid.c): every check is a whitelist, so each test lists what must pass
 * and what must not. shell_quote is checked against the real /bin/sh byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "lib/util.h"
#include "lib/valid.h"

extern char **environ;

/* A string of n copies of c (static buffer, n < 1100). */
static const char *rep(char c, size_t n)
{
	static char buf[1100];
	assert_true(n < sizeof buf);
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

#define YES(fn, s) assert_true(fn(s))
#define NO(fn, s)                                                         \
	do {                                                              \
		if (fn(s))                                                \
			fail_msg("%s(\"%s\") accepted", #fn, (const char *)(s)); \
	} while (0)

static void test_dns_label(void **state)
{
	(void)state;
	YES(valid_dns_label, "a");
	YES(valid_dns_label, "0");
	YES(valid_dns_label, "my-shop");
	YES(valid_dns_label, "a--b");
	YES(valid_dns_label, "shop-17");
	YES(valid_dns_label, rep('a', 63));
	NO(valid_dns_label, rep('a', 64));
	NO(valid_dns_label, "");
	NO(valid_dns_label, NULL);
	NO(valid_dns_label, "-shop");
	NO(valid_dns_label, "shop-");
	NO(valid_dns_label, "-");
	NO(valid_dns_label, "Shop");
	NO(valid_dns_label, "SHOP");
	NO(valid_dns_label, "my_shop");
	NO(valid_dns_label, "my.shop");
	NO(valid_dns_label, "my shop");
	NO(valid_dns_label, "sh\xc3\xb6p");
	NO(valid_dns_label, "shop\n");
	/* 63 characters with hyphens inside stays valid; a hyphen at either end does not */
	char s[64];
	memset(s, 'b', 63);
	s[63] = '\0';
	s[30] = '-';
	YES(valid_dns_label, s);
	s[62] = '-';
	NO(valid_dns_label, s);
}

static void test_domain(void **state)
{
	(void)state;
	YES(valid_domain, "example.com");
	YES(valid_domain, "a.b");
	YES(valid_domain, "apps.my-company.example.org");
	YES(valid_domain, "x1.y2.z3");
	NO(valid_domain, NULL);
	NO(valid_domain, "");
	NO(valid_domain, "localhost"); /* one label */
	NO(valid_domain, "Example.com");
	NO(valid_domain, ".example.com");
	NO(valid_domain, "example.com.");
	NO(valid_domain, "example..com");
	NO(valid_domain, "-ex.com");
	NO(valid_domain, "ex-.com");
	NO(valid_domain, "ex_ample.com");
	NO(valid_domain, "ex ample.com");
	NO(valid_domain, "example.com/x");
	NO(valid_domain, "*.example.com");
	NO(valid_domain, "192.168.1.1:80");
	/* a 64-character label */
	char *s = xasprintf("%s.com", rep('a', 64));
	NO(valid_domain, s);
	free(s);
	s = xasprintf("%s.com", rep('a', 63));
	YES(valid_domain, s);
	free(s);
	/* 253 characters is the limit */
	struct sbuf sb = SBUF_INIT;
	while (sb.len < 240)
		sbuf_adds(&sb, "abcdefghi.");
	/* 240 chars so far: pad to 253 with a last label */
	sbuf_adds(&sb, rep('z', 253 - sb.len));
	assert_int_equal(sb.len, 253);
	YES(valid_domain, sb.buf);
	sbuf_addc(&sb, 'z');
	NO(valid_domain, sb.buf);
	sbuf_release(&sb);
}

static void test_cidr(void **state)
{
	(void)state;
	static const char *const OK[] = {"173.245.48.0/20", "10.0.0.1", "0.0.0.0/0",
					 "2400:cb00::/32", "::1", "::/0", "2a06:98c0::/29",
					 "1.2.3.4/32", "::/128"};
	static const char *const BAD[] = {"", "1.2.3.4/33", "::/129", "1.2.3.4/", "/24", "1.2.3",
					  "1.2.3.4/24;", "1.2.3.4 /24", "1.2.3.4/2a", "1.2.3.4/0024",
					  "x", "1.2.3.4\n", "fe80::1%eth0", "1.2.3.4/24/1"};
	for (size_t i = 0; i < ARRAY_SIZE(OK); i++)
		assert_true(valid_cidr(OK[i]));
	for (size_t i = 0; i < ARRAY_SIZE(BAD); i++)
		if (valid_cidr(BAD[i]))
			fail_msg("valid_cidr accepted '%s'", BAD[i]);
	assert_false(valid_cidr(NULL));
}

static void test_host(void **state)
{
	(void)state;
	YES(valid_host, "192.168.1.10");
	YES(valid_host, "::1");
	YES(valid_host, "2001:db8::42");
	YES(valid_host, "server-1.Example.COM");
	YES(valid_host, "localhost");
	NO(valid_host, NULL);
	NO(valid_host, "");
	NO(valid_host, "-oProxyCommand=x");
	NO(valid_host, ".example.com");
	NO(valid_host, "host name");
	NO(valid_host, "host;id");
	NO(valid_host, "host$(id)");
	NO(valid_host, "user@host");
	NO(valid_host, "host:22");
	NO(valid_host, "host\n");
	NO(valid_host, "ho_st");
	NO(valid_host, rep('a', 254));
}

static void test_email(void **state)
{
	(void)state;
	YES(valid_email, "admin@example.com");
	YES(valid_email, "first.last+tag@sub.example.org");
	YES(valid_email, "a@b.c");
	NO(valid_email, NULL);
	NO(valid_email, "");
	NO(valid_email, "admin");
	NO(valid_email, "admin@");
	NO(valid_email, "@example.com");
	NO(valid_email, "admin@example");
	NO(valid_email, "a@b@example.com");
	NO(valid_email, "ad min@example.com");
	NO(valid_email, "admin@.example.com");
	NO(valid_email, "admin@example.com.");
	NO(valid_email, "admin@example..com");
	NO(valid_email, "\"admin\"@example.com");
	NO(valid_email, "admin@exa<mple.com");
	NO(valid_email, "admin@example.com\n");
	NO(valid_email, "admin@example.com\r\nBcc: x@y.z");
	NO(valid_email, "adm\x7fin@example.com");
	NO(valid_email, "adm\xc3\xafn@example.com");
	char *s = xasprintf("%s@example.com", rep('a', 250));
	NO(valid_email, s);
	free(s);
}

static void test_git_ref(void **state)
{
	(void)state;
	YES(valid_git_ref, "main");
	YES(valid_git_ref, "17.0");
	YES(valid_git_ref, "feature/new-thing");
	YES(valid_git_ref, "release-2024.1_rc");
	YES(valid_git_ref, "a.b/c.d");
	YES(valid_git_ref, "user@host"); /* '@' alone in a name is allowed by git */
	NO(valid_git_ref, NULL);
	NO(valid_git_ref, "");
	NO(valid_git_ref, "..");
	NO(valid_git_ref, "a..b");
	NO(valid_git_ref, "main@{1}");
	NO(valid_git_ref, "@{-1}");
	NO(valid_git_ref, "@");
	NO(valid_git_ref, "-main");
	NO(valid_git_ref, "--upload-pack=x");
	NO(valid_git_ref, "main.lock");
	NO(valid_git_ref, "feature/x.lock");
	NO(valid_git_ref, ".hidden");
	NO(valid_git_ref, "feature/.hidden");
	NO(valid_git_ref, "main.");
	NO(valid_git_ref, "/main");
	NO(valid_git_ref, "main/");
	NO(valid_git_ref, "a//b");
	NO(valid_git_ref, "a b");
	NO(valid_git_ref, "a\tb");
	NO(valid_git_ref, "a\nb");
	/* C1 controls and line separators as UTF-8 (found by fuzz_valid); other UTF-8 passes */
	NO(valid_git_ref, "a\xc2\x85" "b");
	NO(valid_git_ref, "a\xe2\x80\xa8" "b");
	YES(valid_git_ref, "caf\xc3\xa9");
	NO(valid_git_ref, "a~1");
	NO(valid_git_ref, "a^");
	NO(valid_git_ref, "a:b");
	NO(valid_git_ref, "a?");
	NO(valid_git_ref, "a*");
	NO(valid_git_ref, "a[b");
	NO(valid_git_ref, "a\\b");
	NO(valid_git_ref, "a\x7f");
	YES(valid_git_ref, rep('b', 200));
	NO(valid_git_ref, rep('b', 201));
}

static void test_commit(void **state)
{
	(void)state;
	YES(valid_commit, "abcdef0");
	YES(valid_commit, "0123456789abcdef0123456789abcdef01234567");
	NO(valid_commit, "abcdef");
	NO(valid_commit, "0123456789abcdef0123456789abcdef012345678");
	NO(valid_commit, "abcdefg");
	NO(valid_commit, "-abcdef0");
	NO(valid_commit, NULL);
}

static void test_git_url(void **state)
{
	(void)state;
	YES(valid_git_url, "https://github.com/odoo/odoo.git");
	YES(valid_git_url, "http://git.local/repo");
	YES(valid_git_url, "ssh://git@git.example.com:2222/team/repo.git");
	YES(valid_git_url, "git://git.example.com/repo");
	YES(valid_git_url, "git@github.com:odoo/odoo.git");
	YES(valid_git_url, "/srv/git/shop.git");
	YES(valid_git_url, "file:///srv/git/shop.git");
	NO(valid_git_url, NULL);
	NO(valid_git_url, "");
	NO(valid_git_url, "https://example.com/a\xc2\x9b" "b");
	NO(valid_git_url, "x");
	/* git reads these as local paths (a '/' before the first ':'), not as scp-like URLs */
	NO(valid_git_url, "../../../../usr/share/locale/en@quot/../../../../tmp/data/git/p/project.git");
	NO(valid_git_url, "./a@b:c");
	NO(valid_git_url, "a/b@c:d");
	NO(valid_git_url, "relative/repo.git");
	NO(valid_git_url, "en@quot/x:y");
	/* ".." segments anywhere */
	NO(valid_git_url, "/srv/git/../../etc");
	NO(valid_git_url, "/srv/git/..");
	NO(valid_git_url, "file:///srv/../x");
	NO(valid_git_url, "git@host:../other.git");
	NO(valid_git_url, "https://host/a/../b");
	YES(valid_git_url, "git@host:a..b/c.git");
	YES(valid_git_url, "/srv/git/v1..v2.git");
	/* other schemes, empty hosts */
	NO(valid_git_url, "ext::sh -c id");
	NO(valid_git_url, "fd::3");
	NO(valid_git_url, "ftp://host/repo");
	NO(valid_git_url, "@host:path");
	NO(valid_git_url, "git@:path");
	assert_int_equal(git_url_classify("../a/en@quot/x:y"), GIT_URL_LOCAL);
	assert_int_equal(git_url_classify("git@host:x/y"), GIT_URL_SCP);
	assert_int_equal(git_url_classify("host:x"), GIT_URL_SCP);
	assert_int_equal(git_url_classify("ssh://h/x"), GIT_URL_REMOTE);
	assert_int_equal(git_url_classify("file:///x"), GIT_URL_LOCAL);
	assert_int_equal(git_url_classify("/x:y"), GIT_URL_LOCAL);
	/* option injection into git */
	NO(valid_git_url, "--upload-pack=touch /tmp/pwned");
	NO(valid_git_url, "--upload-pack=x");
	NO(valid_git_url, "-oProxyCommand=x");
	NO(valid_git_url, "-c");
	/* shell metacharacters and whitespace */
	NO(valid_git_url, "https://x/`id`");
	NO(valid_git_url, "https://x/'; id; '");
	NO(valid_git_url, "https://x/\"id\"");
	NO(valid_git_url, "https://x/a b");
	NO(valid_git_url, "https://x/a\tb");
	NO(valid_git_url, "https://x/a\nb");
	NO(valid_git_url, "https://x/a\\b");
	NO(valid_git_url, "https://x/\x7f");
	/* transports that run commands, or nothing after the scheme */
	NO(valid_git_url, "ext::sh -c touch% /tmp/pwned");
	NO(valid_git_url, "ext::sh");
	NO(valid_git_url, "https://");
	NO(valid_git_url, "ftp://x/y");
	NO(valid_git_url, "relative/path");
	NO(valid_git_url, "host:path");   /* scp-like needs user@ */
	NO(valid_git_url, "git@host:");   /* and a path */
	NO(valid_git_url, "@host:path");
	NO(valid_git_url, "/srv/../etc/passwd");
	NO(valid_git_url, "/srv/git;id");
	NO(valid_git_url, "/srv/$(id)");
	NO(valid_git_url, rep('/', 1025));
	/* a host that ssh would read as an option (CVE-2017-1000117) */
	NO(valid_git_url, "ssh://-oProxyCommand=touch%20x/repo");
	NO(valid_git_url, "git@-oProxyCommand=x:repo");
}

static void test_env_name(void **state)
{
	(void)state;
	YES(valid_env_name, "PATH");
	YES(valid_env_name, "_private");
	YES(valid_env_name, "odoo_Var_2");
	YES(valid_env_name, rep('A', 128));
	NO(valid_env_name, rep('A', 129));
	NO(valid_env_name, NULL);
	NO(valid_env_name, "");
	NO(valid_env_name, "1ABC");
	NO(valid_env_name, "A-B");
	NO(valid_env_name, "A B");
	NO(valid_env_name, "A=B");
	NO(valid_env_name, "A.B");
	NO(valid_env_name, "A$");
	NO(valid_env_name, "\xc3\x84");
}

static void test_text(void **state)
{
	(void)state;
	assert_true(valid_text("plain text, with punctuation!", false));
	assert_true(valid_text("", false));
	assert_true(valid_text("caf\xc3\xa9", false));
	assert_false(valid_text("a\nb", false));
	assert_true(valid_text("a\nb\tc", true));
	assert_false(valid_text("a\rb", true));
	assert_false(valid_text("a\x1b[0m", true));
	assert_false(valid_text("a\x7f", true));
	assert_false(valid_text(NULL, true));
}

static void test_abs_path(void **state)
{
	(void)state;
	YES(valid_abs_path, "/");
	YES(valid_abs_path, "/srv/berth/data");
	NO(valid_abs_path, "/srv/a\xe2\x80\xa9" "b");
	NO(valid_abs_path, "/srv/a\xc2\x80");
	YES(valid_abs_path, "/var/run/docker.sock");
	YES(valid_abs_path, "/a/..b/c..");
	YES(valid_abs_path, "/a/.hidden");
	NO(valid_abs_path, NULL);
	NO(valid_abs_path, "");
	NO(valid_abs_path, "relative/path");
	NO(valid_abs_path, "./x");
	NO(valid_abs_path, "~/x");
	NO(valid_abs_path, "/a/../b");
	NO(valid_abs_path, "/a/..");
	NO(valid_abs_path, "/..");
	NO(valid_abs_path, "/../etc");
	NO(valid_abs_path, "/a b");
	NO(valid_abs_path, "/a\nb");
	NO(valid_abs_path, "/a;b");
	NO(valid_abs_path, "/a$b");
	NO(valid_abs_path, "/a`b`");
	NO(valid_abs_path, "/a|b");
	NO(valid_abs_path, "/a&b");
	NO(valid_abs_path, "/a>b");
	NO(valid_abs_path, "/a*");
	NO(valid_abs_path, "/a'b");
	NO(valid_abs_path, "/a\"b");
	NO(valid_abs_path, "/a\\b");
	NO(valid_abs_path, rep('/', 1025));
	YES(valid_abs_path, rep('/', 1024));
}

static void test_uuid(void **state)
{
	(void)state;
	char u[37];
	for (int i = 0; i < 100; i++) {
		uuid4(u);
		assert_true(valid_uuid(u));
		assert_int_equal(u[14], '4');
		assert_non_null(strchr("89ab", u[19]));
	}
	NO(valid_uuid, "0F2C4E1A-1B2C-4D3E-8F40-123456789ABC");
	NO(valid_uuid, "0f2c4e1a1b2c4d3e8f40123456789abc");
	NO(valid_uuid, "0f2c4e1a-1b2c-4d3e-8f40-123456789abg");
	NO(valid_uuid, "0f2c4e1a-1b2c-4d3e-8f40-123456789ab");
	NO(valid_uuid, "../../../../../../../../etc/passwd/x");
	NO(valid_uuid, NULL);
}

static void check_slug(const char *name, size_t maxlen, const char *want)
{
	char *s = slugify(name, maxlen);
	if (strcmp(s, want) != 0)
		fail_msg("slugify(\"%s\", %zu) = \"%s\", want \"%s\"", name, maxlen, s, want);
	assert_true(strlen(s) <= maxlen || strcmp(want, "x") == 0);
	free(s);
}

static void test_slugify(void **state)
{
	(void)state;
	check_slug("My Shop", 40, "my-shop");
	check_slug("my shop", 40, "my-shop");
	check_slug("  My   Shop!!  ", 40, "my-shop");
	check_slug("ACME Corp. (Europe) - 2024", 40, "acme-corp-europe-2024");
	check_slug("already-a-slug", 40, "already-a-slug");
	check_slug("under_score", 40, "under-score");
	check_slug("---", 40, "x");
	check_slug("", 40, "x");
	check_slug("\xc3\x9c" "ber Caf\xc3\xa9", 40, "ber-caf");
	check_slug("$(rm -rf /)", 40, "rm-rf");
	check_slug("abcdefghij", 5, "abcde");
	/* cut at maxlen never leaves a trailing hyphen */
	check_slug("abcd efgh", 5, "abcd");
	check_slug("abcd efgh", 6, "abcd-e");
	/* every slug of a non-empty name is a valid DNS label (within 63 chars) */
	const char *names[] = {"Odoo 17 / Production", "-lead", "trail-", "9lives", "A"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *s = slugify(names[i], 40);
		assert_true(valid_dns_label(s));
		free(s);
	}
	char *s = slugify(rep('Q', 300), 40);
	assert_int_equal(strlen(s), 40);
	assert_true(valid_dns_label(s));
	free(s);
}

/* Runs /bin/sh -c "printf %s <quoted>" and returns what it printed (caller frees). */
static char *sh_printf(const char *quoted, size_t *outlen)
{
	char *cmd = xasprintf("printf %%s %s", quoted);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	char *argv[] = {"sh", "-c", cmd, NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", "HOME=/nonexistent", "IFS= ", NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	assert_int_equal(rc, 0);
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		sbuf_add(&sb, buf, (size_t)n);
	}
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	free(cmd);
	*outlen = sb.len;
	return sbuf_detach(&sb);
}

static void test_shell_quote_roundtrip(void **state)
{
	(void)state;
	static const char *const cases[] = {
		"",
		"simple",
		"two words",
		"  leading and trailing  ",
		"it's",
		"'",
		"''",
		"'''quoted'''",
		"\"double\"",
		"$(id)",
		"`id`",
		"$HOME ${HOME} $0 $1 $@ $* $$ $?",
		"a;b&c|d>e<f",
		"*?[a-z]{x,y}~#!",
		"back\\slash\\",
		"line1\nline2\n",
		"\n",
		"tab\there",
		"-n",
		"--option=value",
		"%s %d %%",
		"\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
		"\x01\x02\x1b[31mred\x7f",
		"'; rm -rf / ; echo '",
		"'\\''",
		"it''s $(echo 'nested \"quotes\"')",
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sbuf q = SBUF_INIT;
		shell_quote(&q, cases[i]);
		size_t n;
		char *out = sh_printf(q.buf, &n);
		if (n != strlen(cases[i]) || memcmp(out, cases[i], n) != 0)
			fail_msg("case %zu: shell_quote gave [%s], sh printed [%.*s]", i, q.buf, (int)n,
				 out);
		free(out);
		sbuf_release(&q);
	}
}

static void test_shell_quote_all_bytes(void **state)
{
	(void)state;
	/* every byte 1..255 in one string, and two quoted arguments side by side */
	char all[256];
	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	struct sbuf q = SBUF_INIT;
	shell_quote(&q, all);
	size_t n;
	char *out = sh_printf(q.buf, &n);
	assert_int_equal(n, 255);
	assert_memory_equal(out, all, 255);
	free(out);
	sbuf_reset(&q);
	shell_quote(&q, "a'b");
	sbuf_addc(&q, ' ');
	shell_quote(&q, "c d");
	out = sh_printf(q.buf, &n); /* printf %s joins its arguments */
	assert_int_equal(n, 6);
	assert_memory_equal(out, "a'bc d", 6);
	free(out);
	/* the exact form: single quotes, ' written as '\'' */
	sbuf_reset(&q);
	shell_quote(&q, "it's");
	assert_string_equal(q.buf, "'it'\\''s'");
	sbuf_reset(&q);
	shell_quote(&q, "");
	assert_string_equal(q.buf, "''");
	sbuf_release(&q);
}

static void test_sbuf_and_strings(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	assert_string_equal(sbuf_str(&sb), "");
	for (int i = 0; i < 1000; i++)
		sbuf_addf(&sb, "%d,", i);
	assert_true(sb.len > 3000);
	assert_int_equal(sb.buf[sb.len], '\0');
	sbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	sbuf_add(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	char *d = sbuf_detach(&sb);
	/* detached: the sbuf owns nothing (its buffer is the shared empty string, never NULL) */
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	assert_int_equal(sb.cap, 0);
	assert_string_equal(sb.buf, "");
	assert_memory_equal(d, "a\0b", 4);
	free(d);
	d = sbuf_detach(&sb);
	assert_string_equal(d, "");
	free(d);
	assert_true(str_eq(NULL, NULL));
	assert_false(str_eq("a", NULL));
	assert_true(str_starts("bt_abc", "bt_"));
	assert_false(str_starts(NULL, "bt_"));
	assert_true(str_ct_eq("secret", "secret"));
	assert_false(str_ct_eq("secret", "secreT"));
	assert_false(str_ct_eq("secret", "secret2"));
	char ts[32];
	iso8601(0, ts);
	assert_string_equal(ts, "1970-01-01T00:00:00Z");
	iso8601(1733913000, ts);
	assert_string_equal(ts, "2024-12-11T10:30:00Z");
	char a[11];
	random_alnum(a, 10);
	assert_int_equal(strlen(a), 10);
	for (int i = 0; i < 10; i++)
		assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789", a[i]));
}

/* odoo.conf values: what ConfigParser gives back unchanged and Odoo reads as a string */
static void test_conf_values(void **state)
{
	(void)state;
	YES(valid_one_line, "");
	YES(valid_one_line, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	NO(valid_one_line, "a\nb");
	NO(valid_one_line, "a\tb");
	NO(valid_one_line, "a\x7f");
	NO(valid_one_line, "a\xc2\x85"); /* C1 NEL */
	NO(valid_one_line, "a\xe2\x80\xa8"); /* U+2028 */
	NO(valid_one_line, "a\xe2\x80\xa9"); /* U+2029 */
	NO(valid_one_line, "\xc0\xaf"); /* overlong */
	NO(valid_one_line, "\xed\xa0\x80"); /* surrogate */
	NO(valid_one_line, "\xff");
	NO(valid_one_line, "\xe2\x82"); /* cut short */
	YES(valid_conf_value, "x");
	YES(valid_conf_value, "a b");
	YES(valid_conf_value, "Truey");
	YES(valid_conf_value, "caf\xc3\xa9");
	const char *bad[] = {"", " a", "a ", "True", "False", "None", "true", "false",
			     "a\xc2\xa0", "\xe3\x80\x80" "a", "a\xe2\x80\x80", "a\xe2\x80\xaf", "a\n"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		NO(valid_conf_value, bad[i]);
	NO(valid_conf_value, NULL);
	/* db_filter */
	YES(valid_odoo_db_filter, "^%d$");
	YES(valid_odoo_db_filter, "^%h_.*$");
	YES(valid_odoo_db_filter, "^shop$");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		NO(valid_odoo_db_filter, bad[i]);
	NO(valid_odoo_db_filter, "%s");
	NO(valid_odoo_db_filter, "100%");
	NO(valid_odoo_db_filter, rep('a', 1025));
	YES(valid_odoo_db_filter, rep('a', 1024));
	/* smtp */
	YES(valid_smtp_host, "smtp.example.com");
	YES(valid_smtp_host, "10.0.0.1");
	NO(valid_smtp_host, "True");
	NO(valid_smtp_host, "None");
	NO(valid_smtp_host, "bad host");
	YES(valid_smtp_user, "mailer@example.com");
	YES(valid_smtp_user, "Truthy");
	const char *bad_users[] = {"", "None", "True", "False", " u", "u ", "a b", "a\tb"};
	for (size_t i = 0; i < ARRAY_SIZE(bad_users); i++)
		NO(valid_smtp_user, bad_users[i]);
	NO(valid_smtp_user, rep('u', 256));
	YES(valid_smtp_password, "s3cret pw");
	YES(valid_smtp_password, rep('p', 1024));
	NO(valid_smtp_password, rep('p', 1025));
	NO(valid_smtp_password, " p");
	NO(valid_smtp_password, "p ");
	NO(valid_smtp_password, "");
	NO(valid_smtp_password, "None");
	YES(valid_smtp_from, "odoo@example.com");
	NO(valid_smtp_from, "nobody");
	/* passwords in repository URLs */
	YES(git_url_has_password, "https://bob:hunter2@git.example.com/x.git");
	YES(git_url_has_password, "ssh://git:pw@gitlab.com/a/b.git");
	YES(git_url_has_password, "http://a:@h/x");
	NO(git_url_has_password, "https://bob@git.example.com/x.git");
	NO(git_url_has_password, "https://git.example.com/a:b@c");
	NO(git_url_has_password, "ssh://git@host:2222/x.git");
	NO(git_url_has_password, "git@github.com:a/b.git");
	NO(git_url_has_password, "file:///srv/a:b@c");
	NO(git_url_has_password, "/srv/git/a.git");
	NO(git_url_has_password, NULL);
}

/* The backup targets' fields (svc/backup_targets.c). */
static void test_backup_target_fields(void **state)
{
	(void)state;
	char host[256];
	assert_true(valid_s3_endpoint("https://s3.eu-west-1.amazonaws.com", host));
	assert_string_equal(host, "s3.eu-west-1.amazonaws.com");
	assert_true(valid_s3_endpoint("http://127.0.0.1:4568/", host));
	assert_true(valid_s3_endpoint("http://[::1]:9000", host));
	assert_string_equal(host, "::1");
	const char *bad_ep[] = {"s3.amazonaws.com", "ftp://x.y", "https://x.y/path", "https://u:p@x.y",
				"https://x.y?a=b", "https://x.y:0", "https://", "https://x y"};
	for (size_t i = 0; i < sizeof bad_ep / sizeof bad_ep[0]; i++)
		assert_false(valid_s3_endpoint(bad_ep[i], host));
	assert_true(valid_s3_bucket("acme-backups.eu"));
	const char *bad_b[] = {"ab", "Acme", "a..b", "a.-b", "-ab", "ab-", "192.168.1.1", "xn--ab",
			       "sthree-x", "abc-s3alias", "abc--ol-s3", "a_b", ""};
	for (size_t i = 0; i < sizeof bad_b / sizeof bad_b[0]; i++)
		assert_false(valid_s3_bucket(bad_b[i]));
	assert_true(valid_s3_region("eu-central-1"));
	assert_true(valid_s3_region("auto"));
	assert_false(valid_s3_region("EU"));
	assert_false(valid_s3_region("-x"));
	assert_true(valid_s3_prefix(""));
	assert_true(valid_s3_prefix("berth/"));
	assert_true(valid_s3_prefix("a/b.c_d-e"));
	assert_false(valid_s3_prefix("/a"));
	assert_false(valid_s3_prefix("a//b"));
	assert_false(valid_s3_prefix("a/../b"));
	assert_false(valid_s3_prefix("a b"));
	assert_true(valid_s3_access_key("AKIAIOSFODNN7EXAMPLE"));
	assert_false(valid_s3_access_key("a b"));
	assert_true(valid_s3_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
	assert_false(valid_s3_secret("has space"));
	assert_true(valid_sftp_path("/srv/backups"));
	assert_true(valid_sftp_path("backups/acme"));
	assert_true(valid_sftp_path("/"));
	assert_true(valid_sftp_path("~user/b"));
	assert_false(valid_sftp_path("../x"));
	assert_false(valid_sftp_path("/srv/../etc"));
	assert_false(valid_sftp_path("/srv/a b"));
	assert_false(valid_sftp_path("/srv/$(x)"));
	assert_false(valid_sftp_path(""));
	assert_true(valid_ssh_user("u123456"));
	assert_true(valid_ssh_user("backup.user@example"));
	assert_false(valid_ssh_user("-oProxy"));
	assert_false(valid_ssh_user("a b"));
	assert_true(valid_ssh_fingerprint("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	assert_false(valid_ssh_fingerprint("SHA256:short"));
	assert_false(valid_ssh_fingerprint("MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"));
	assert_true(valid_target_name("offsite-1"));
	assert_false(valid_target_name("-x"));
	assert_false(valid_target_name(""));
}

static void test_container_settings_fields(void **state)
{
	(void)state;
	const char *dirs[] = {"/", "/srv/berth", "/srv/berth/acme/addons-1.0", "/a/b_c/d+e@f=g,h~i", NULL};
	for (const char *const *d = dirs; *d; d++)
		assert_true(valid_server_dir(*d));
	const char *bad_dirs[] = {"", "srv", "/srv/", "//srv", "/srv//x", "/srv/./x", "/srv/..",
				  "/srv/../etc", "/a b", "/a\nb", "/a;b", "/a$b", "/a'b", "/a\"b", "/a*",
				  NULL};
	for (const char *const *d = bad_dirs; *d; d++)
		assert_false(valid_server_dir(*d));
	assert_false(valid_server_dir(NULL));
	assert_true(valid_debian_package("postgresql-15-postgis-3"));
	assert_true(valid_debian_package("g++"));
	assert_true(valid_debian_package("libc6.1"));
	const char *bad_pk[] = {"", "a", "-x", "+x", "Hello", "a b", "a;b", "a\nb", "a_b", NULL};
	for (const char *const *p = bad_pk; *p; p++)
		assert_false(valid_debian_package(*p));
	assert_true(valid_pg_extension("pg_trgm"));
	assert_true(valid_pg_extension("_x1"));
	const char *bad_ext[] = {"", "1x", "Pg", "a-b", "a\"b", "a b", "a;", NULL};
	for (const char *const *p = bad_ext; *p; p++)
		assert_false(valid_pg_extension(*p));
	assert_true(valid_odoo_xmlid("base.autovacuum_job"));
	assert_true(valid_odoo_xmlid("mail.ir_cron_mail_scheduler_action"));
	assert_true(valid_odoo_xmlid("l10n_be.Cron_X1"));
	const char *bad_xid[] = {"", "base", "base.", ".x", "Base.x", "1a.x", "a.b.c", "a-b.c",
				 "a.b c", "a.b;DROP", "a.b'", "a.b\n", NULL};
	for (const char *const *p = bad_xid; *p; p++)
		assert_false(valid_odoo_xmlid(*p));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_label),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_git_ref),
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_git_url),
		cmocka_unit_test(test_env_name),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_abs_path),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_slugify),
		cmocka_unit_test(test_shell_quote_roundtrip),
		cmocka_unit_test(test_shell_quote_all_bytes),
		cmocka_unit_test(test_sbuf_and_strings),
		cmocka_unit_test(test_conf_values),
		cmocka_unit_test(test_backup_target_fields),
		cmocka_unit_test(test_container_settings_fields),
	};
	return cmocka_run_group_tests_name("valid", tests, NULL, NULL);
}
