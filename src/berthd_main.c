/* berthd: the berth daemon. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include <libssh/libssh.h>
#include <sodium.h>

#include "api/http.h"
#include "core/config.h"
#include "core/daemon.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "store/db.h"
#include "store/model.h"
#include "drivers/git.h"
#include "ops/backup.h"
#include "ops/clone.h"
#include "ops/conn.h"
#include "ops/ops.h"
#include "jobs/events.h"
#include "ops/alerts.h"
#include "ops/webhooks.h"
#include "ops/sampler.h"
#include "ops/backup_sched.h"
#include "ops/tls.h"

static void usage(FILE *f)
{
	fputs("usage: berthd [--data DIR] [--listen HOST:PORT] [--apps-domain DOMAIN]\n"
	      "              [--public-url URL] [--web DIR] [--token-ttl SECONDS]\n"
	      "              [--git-local-root DIR]... [--docker-socket-allow PATH]...\n"
	      "              [--register-local] [--debug] [--metrics-token-file FILE]\n"
	      "              [--http-threads N] [--http-per-ip N] [--http-timeout S]\n"
	      "              [--webhook-allow-private] [--webhook-backoff S,S,...]\n"
	      "              [--backup-dir DIR] [--backup-allow-private]\n"
	      "\n"
	      "  --data DIR          data directory: store, master key (default ./berth-data)\n"
	      "  --listen HOST:PORT  address of the API and console (default 127.0.0.1:8400)\n"
	      "  --apps-domain D     domain under which environments get their subdomain\n"
	      "                      (default localhost)\n"
	      "  --public-url URL    how clients reach berthd, for links (default http://LISTEN)\n"
	      "  --web DIR           the console's static files (default: ./web/dist when built)\n"
	      "  --token-ttl S       lifetime of login tokens in seconds (default 86400)\n"
	      "  --git-local-root DIR  an organization may use git repositories by local path\n"
	      "                      inside DIR/<its slug>/ (made by the administrator to grant\n"
	      "                      it); repeatable; without it, only remote URLs are accepted\n"
	      "  --docker-socket-allow PATH  a Docker Engine socket of this host that local servers\n"
	      "                      may use (repeatable; PATH ending in '/': the sockets in that\n"
	      "                      directory; default /var/run/docker.sock and /run/docker.sock)\n"
	      "  --register-local    register the local Docker Engine as server 'local' in the\n"
	      "                      first organization when none is registered yet\n"
	      "  --http-threads N    HTTP threads, each an event loop (default 4, 1-64)\n"
	      "  --http-per-ip N     open connections per client address (default 256)\n"
	      "  --http-timeout S    an idle connection is closed after S seconds, also one\n"
	      "                      that has not finished its request (default 15)\n"
	      "  --webhook-allow-private  outgoing webhooks may reach loopback, link-local and\n"
	      "                      private addresses (default: refused)\n"
	      "  --webhook-backoff S,S,...  seconds before each retry of a failed webhook\n"
	      "                      delivery, 1 to 8 of them (default 60,300,1800,7200)\n"
	      "  --backup-dir DIR    where organizations' built-in local backup targets keep\n"
	      "                      archives, in DIR/<organization id>/ (default DATA/backups)\n"
	      "  --backup-allow-private  SFTP and S3 backup targets may reach loopback,\n"
	      "                      link-local and private addresses (default: refused)\n"
	      "  --metrics-token-file FILE  GET /metrics (Prometheus) wants this bearer token\n"
	      "                      (the file's one line); without it, loopback clients only\n",
	      f);
}

static int parse_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return -1;
	char *host = xstrndup(s, (size_t)(colon - s));
	if (host[0] == '[') {
		size_t n = strlen(host);
		memmove(host, host + 1, n);
		if (n >= 2 && host[n - 2] == ']')
			host[n - 2] = '\0';
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535) {
		free(host);
		return -1;
	}
	api_cfg.listen_host = host;
	api_cfg.listen_port = (int)port;
	return 0;
}

static int parse_backoff(const char *s)
{
	int n = 0;
	while (*s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 86400 || n == 8 || (*end && *end != ','))
			return -1;
		berth_cfg.webhook_backoff[n++] = (int)v;
		s = *end ? end + 1 : end;
	}
	if (n == 0)
		return -1;
	berth_cfg.webhook_backoff_n = n;
	return 0;
}

/* The local backup targets' root: DIR, or DATA/backups, made (0700) and made absolute. */
static int set_backup_root(const char *data, const char *dir)
{
	char *want = dir ? xstrdup(dir) : xasprintf("%s/backups", data);
	if (mkdir(want, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "berthd: cannot create the backup directory %s: %s\n", want,
			strerror(errno));
		free(want);
		return -1;
	}
	char *abs = realpath(want, NULL);
	if (!abs) {
		fprintf(stderr, "berthd: cannot resolve the backup directory %s: %s\n", want,
			strerror(errno));
		free(want);
		return -1;
	}
	backup_set_local_root(abs);
	free(abs);
	free(want);
	return 0;
}

int main(int argc, char **argv)
{
	const char *data = "berth-data";
	const char *backup_dir = NULL;
	bool register_local = false;
	const char *roots[9] = {0};
	int nroots = 0;
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"apps-domain", required_argument, NULL, 'a'},
		{"public-url", required_argument, NULL, 'u'},
		{"web", required_argument, NULL, 'w'},
		{"token-ttl", required_argument, NULL, 't'},
		{"register-local", no_argument, NULL, 'r'},
		{"git-local-root", required_argument, NULL, 'g'},
		{"docker-socket-allow", required_argument, NULL, 'S'},
		{"debug", no_argument, NULL, 'D'},
		{"http-threads", required_argument, NULL, 'T'},
		{"http-per-ip", required_argument, NULL, 'P'},
		{"http-timeout", required_argument, NULL, 'O'},
		{"metrics-token-file", required_argument, NULL, 'M'},
		{"webhook-allow-private", no_argument, NULL, 'W'},
		{"webhook-backoff", required_argument, NULL, 'B'},
		{"backup-dir", required_argument, NULL, 'K'},
		{"backup-allow-private", no_argument, NULL, 'Q'},
		{"help", no_argument, NULL, 'h'},
		/* hidden, for tests: the backup tasks' intervals in ms */
		{"backup-schedule-interval", required_argument, NULL, 1001},
		{"backup-prune-interval", required_argument, NULL, 1002},
		/* hidden, for tests: certificate renewal (docs/tls.md): the task's interval in ms,
		 * the window before expiry and the first retry's delay in seconds */
		{"tls-renew-interval", required_argument, NULL, 1003},
		{"tls-renew-before", required_argument, NULL, 1004},
		{"tls-retry-base", required_argument, NULL, 1005},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'l':
			if (parse_listen(optarg) < 0) {
				fprintf(stderr, "berthd: --listen wants HOST:PORT, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'a': api_cfg.apps_domain = optarg; break;
		case 'u': api_cfg.public_url = optarg; break;
		case 'w': api_cfg.web_root = optarg; break;
		case 't': api_cfg.token_ttl = atoll(optarg); break;
		case 'r': register_local = true; break;
		case 'g':
			if (nroots == 8) {
				fprintf(stderr, "berthd: at most 8 --git-local-root\n");
				return 2;
			}
			if (optarg[0] != '/') {
				fprintf(stderr, "berthd: --git-local-root wants an absolute path\n");
				return 2;
			}
			roots[nroots++] = optarg;
			break;
		case 'S':
			if (conn_socket_allow(optarg) < 0) {
				fprintf(stderr, "berthd: --docker-socket-allow wants an absolute path"
						" (at most 16)\n");
				return 2;
			}
			break;
		case 'D': log_set_level(LOG_DEBUG); break;
		case 'T':
		case 'P':
		case 'O': {
			char *end;
			long v = strtol(optarg, &end, 10);
			long hi = c == 'T' ? 64 : c == 'P' ? 100000 : 3600;
			if (*end || end == optarg || v < 1 || v > hi) {
				fprintf(stderr, "berthd: --%s wants a number from 1 to %ld\n",
					c == 'T' ? "http-threads" : c == 'P' ? "http-per-ip" : "http-timeout", hi);
				return 2;
			}
			if (c == 'T')
				api_cfg.threads = (int)v;
			else if (c == 'P')
				api_cfg.per_ip_connections = (int)v;
			else
				api_cfg.timeout_s = (int)v;
			break;
		}
		case 'M': {
			struct berr merr = {0};
			if (api_metrics_token_file(optarg, &merr) < 0) {
				fprintf(stderr, "berthd: %s\n", merr.message);
				return 2;
			}
			break;
		}
		case 'W': berth_cfg.webhook_allow_private = true; break;
		case 'B':
			if (parse_backoff(optarg) < 0) {
				fprintf(stderr, "berthd: --webhook-backoff wants 1 to 8 numbers of seconds"
						" (1-86400), separated by commas\n");
				return 2;
			}
			break;
		case 'K': backup_dir = optarg; break;
		case 'Q': berth_cfg.backup_allow_private = true; break;
		case 1001:
		case 1002: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 100 || v > 86400000) {
				fprintf(stderr, "berthd: --%s wants milliseconds from 100 to 86400000\n",
					c == 1001 ? "backup-schedule-interval" : "backup-prune-interval");
				return 2;
			}
			backup_sched_set_interval_ms(c == 1001 ? (int)v : 0, c == 1002 ? (int)v : 0);
			break;
		}
		case 1003:
		case 1004:
		case 1005: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 86400000) {
				fprintf(stderr, "berthd: --tls-* options want a number from 1 to 86400000\n");
				return 2;
			}
			tls_set_options(c == 1003 ? (int)v : 0, c == 1004 ? (int)v : 0,
					c == 1005 ? (int)v : 0);
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (api_cfg.token_ttl < 60) {
		fprintf(stderr, "berthd: --token-ttl must be at least 60 seconds\n");
		return 2;
	}
	if (!daemon_apps_domain_valid(api_cfg.apps_domain)) {
		fprintf(stderr, "berthd: --apps-domain '%s' is not a valid domain\n", api_cfg.apps_domain);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "berthd: libsodium failed to initialise\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ssh_init();
	umask(077);
	if (mkdir(data, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "berthd: cannot create data directory %s: %s\n", data, strerror(errno));
		return 1;
	}
	if (set_backup_root(data, backup_dir) < 0)
		return 1;
	if (!api_cfg.web_root && access("web/dist/index.html", R_OK) == 0)
		api_cfg.web_root = "web/dist";
	if (!api_cfg.public_url)
		api_cfg.public_url = xasprintf("http://%s:%d", api_cfg.listen_host, api_cfg.listen_port);
	api_cfg.data_dir = data;
	berth_cfg.apps_domain = api_cfg.apps_domain;
	berth_cfg.data_dir = data;
	berth_cfg.public_url = api_cfg.public_url;
	char ebuf[512];
	if (secret_init(data, ebuf, sizeof ebuf) < 0) {
		fprintf(stderr, "berthd: %s\n", ebuf);
		return 1;
	}
	struct berr err = {0};
	if (db_open(data, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.message);
		return 1;
	}
	model_seed_plans();
	signal(SIGPIPE, SIG_IGN); /* a closed pipe is an error return, in every thread */
	git_init(data, roots);
	ops_register(); /* the job types, before the workers and the local server's registration */
	ops_register_backup();
	ops_register_clone(); /* jobs clone, refresh */
	ops_register_tls(); /* job tls_renew */
	/* every thread started from here on inherits the mask: SIGINT and SIGTERM reach the
	 * sigwait below, never a worker (whose default action would end berthd unclean) */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	events_observe(ops_webhooks_on_event); /* webhooks follow the organization event stream */
	ops_alerts_start();
	if (ops_webhooks_start() < 0) {
		fprintf(stderr, "berthd: cannot start the webhook sender\n");
		return 1;
	}
	sampler_start(); /* monitoring: a task of the scheduler, which daemon_start starts */
	if (backup_sched_start() < 0) { /* scheduled backups, retention (and its job type) */
		fprintf(stderr, "berthd: cannot register the backup tasks\n");
		return 1;
	}
	if (tls_sched_start() < 0) { /* certificate renewal */
		fprintf(stderr, "berthd: cannot register the certificate renewal task\n");
		return 1;
	}
	if (daemon_start(data, register_local, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.message);
		return 1;
	}
	backup_recover(); /* backups berthd died under (their jobs were failed by daemon_start) */
	if (api_start(&err) < 0) {
		fprintf(stderr, "berthd: %s\n", err.message);
		return 1;
	}
	log_event(LOG_INFO, "berthd ready",
		  json_pack("{s:s,s:s,s:s,s:s}", "listen", api_cfg.public_url, "data", data,
			    "apps_domain", api_cfg.apps_domain, "version", BERTH_VERSION));
	int sig = 0;
	sigdelset(&set, SIGPIPE);
	sigwait(&set, &sig);
	log_event(LOG_INFO, "berthd stopping", json_pack("{s:s}", "signal", strsignal(sig)));
	api_stop();
	sampler_stop();
	backup_sched_stop();
	daemon_stop();
	ops_webhooks_stop();
	ops_alerts_stop();
	db_shutdown();
	ssh_finalize();
	curl_global_cleanup();
	log_event(LOG_INFO, "berthd stopped", NULL);
	return 0;
}
