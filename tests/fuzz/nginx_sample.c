/* nginx_sample: renders inputs of the fuzz_nginx_site target (fuzz.h: site_decode) into an
 * nginx configuration tree for `nginx -t` (tests/integration/test_fuzz_nginx.py):
 *
 *   fuzz_nginx_sample PREFIX FILE...
 *
 * writes PREFIX/nginx.conf (render_nginx_main, its sites.d and log paths moved under PREFIX)
 * and PREFIX/sites.d/fzN.conf for each FILE the renderer accepts, after the same structural
 * checks as the fuzz target. An accepted site is written again with a unique env_id and, where
 * it has certificates, PREFIX/cert.pem and PREFIX/key.pem (sites with certificates are left
 * out when these do not exist). Prints "fzN.conf FILE" per site written and
 * "accepted N of M". */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "lib/util.h"

static char *replace(const char *s, const char *from, const char *to)
{
	struct sbuf sb = SBUF_INIT;
	size_t fl = strlen(from);
	for (const char *p = s; *p;) {
		const char *m = strstr(p, from);
		if (!m) {
			sbuf_adds(&sb, p);
			break;
		}
		sbuf_add(&sb, p, (size_t)(m - p));
		sbuf_adds(&sb, to);
		p = m + fl;
	}
	return sbuf_detach(&sb);
}

static int write_text(const char *path, const char *text)
{
	if (write_file_atomic(path, text, strlen(text), 0644) < 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PREFIX FILE...\n", argv[0]);
		return 2;
	}
	const char *prefix = argv[1];
	char sites[1024], path[1200], cert[1100], key[1100], logs[1100];
	snprintf(sites, sizeof sites, "%s/sites.d", prefix);
	snprintf(cert, sizeof cert, "%s/cert.pem", prefix);
	snprintf(key, sizeof key, "%s/key.pem", prefix);
	snprintf(logs, sizeof logs, "%s/", prefix);
	mkdir(sites, 0755);
	bool have_cert = access(cert, R_OK) == 0 && access(key, R_OK) == 0;

	struct berr err = {0};
	char *main_conf = render_nginx_main(80, 443, &err);
	if (!main_conf) {
		fprintf(stderr, "render_nginx_main: %s\n", err.message);
		return 1;
	}
	char sites_dir[1100];
	snprintf(sites_dir, sizeof sites_dir, "%s/", sites);
	char *a = replace(main_conf, "/etc/nginx/sites.d/", sites_dir);
	char *b = replace(a, "/var/log/nginx/", logs);
	char *c = getpwnam("www-data") ? xstrdup(b) : replace(b, "user www-data;", "user root;");
	snprintf(path, sizeof path, "%s/nginx.conf", prefix);
	if (write_text(path, c) < 0)
		return 1;
	free(main_conf);
	free(a);
	free(b);
	free(c);

	int accepted = 0;
	for (int i = 2; i < argc; i++) {
		size_t len = 0;
		char *data = read_file(argv[i], &len);
		if (!data) {
			perror(argv[i]);
			return 1;
		}
		struct site_rep r;
		site_decode(&r, (const uint8_t *)data, len);
		char *out = site_render(&r, &err);
		if (!out) {
			site_rep_release(&r);
			free(data);
			continue;
		}
		site_check_rendered(&r, out);
		free(out);
		char id[32];
		snprintf(id, sizeof id, "fz%d", i - 1);
		r.str[SF_ENV_ID] = id;
		struct site_store st;
		struct render_site s;
		site_build(&r, &s, &st);
		bool tls = false;
		for (size_t k = 0; s.cert_paths && k < s.n_server_names; k++) {
			if (st.certs[k])
				st.certs[k] = cert, tls = true;
			if (st.keys[k])
				st.keys[k] = key, tls = true;
		}
		out = tls && !have_cert ? NULL : render_nginx_site(&s, &err);
		if (out) {
			snprintf(path, sizeof path, "%s/%s.conf", sites, id);
			if (write_text(path, out) < 0)
				return 1;
			printf("%s.conf %s\n", id, argv[i]);
			accepted++;
		}
		free(out);
		site_rep_release(&r);
		free(data);
	}
	printf("accepted %d of %d\n", accepted, argc - 2);
	return 0;
}
