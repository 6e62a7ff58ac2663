/* tz.c: time zone names and offsets (see tz.h). */
#include "drivers/tz.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"

static char root[512] = "/usr/share/zoneinfo";

void tz_set_root(const char *dir)
{
	snprintf(root, sizeof root, "%s", dir && *dir ? dir : "/usr/share/zoneinfo");
}

static bool name_form(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/' ||
	    strstr(name, "..") || strstr(name, "//"))
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '+' || *p == '-' || *p == '/'))
			return false;
	/* copies with leap seconds or POSIX rules, and the host's own settings */
	if (str_starts(name, "posix/") || str_starts(name, "right/") ||
	    strcmp(name, "posixrules") == 0 || strcmp(name, "localtime") == 0 ||
	    strcmp(name, "Factory") == 0)
		return false;
	return true;
}

bool tz_valid(const char *name)
{
	if (!name_form(name))
		return false;
	char path[600];
	snprintf(path, sizeof path, "%s/%s", root, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	char magic[4];
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
		  memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

int tz_check(const char *field, const char *name, struct berr *err)
{
	if (tz_valid(name))
		return 0;
	return berr_set(err, BE_VALIDATION_ERROR, field,
			"%s: not a time zone of the IANA database (e.g. Europe/Brussels, UTC)",
			field);
}

/* ---- offsets ---- */

#define CACHE_N 512
#define CACHE_TTL_S 3600

struct entry {
	char zone[TZ_NAME_MAX + 1];
	int64_t t;
	long off;
	int64_t at; /* when it was asked (monotonic seconds), 0: empty */
};
static struct entry cache[CACHE_N];
static size_t cache_next;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec + 1; /* never 0 */
}

static bool cache_get(const char *zone, int64_t t, long *off)
{
	int64_t now = mono_s();
	bool hit = false;
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < CACHE_N; i++)
		if (cache[i].at && cache[i].t == t && now - cache[i].at < CACHE_TTL_S &&
		    strcmp(cache[i].zone, zone) == 0) {
			*off = cache[i].off;
			hit = true;
			break;
		}
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

static void cache_put(const char *zone, int64_t t, long off)
{
	pthread_mutex_lock(&cache_mu);
	struct entry *e = &cache[cache_next];
	cache_next = (cache_next + 1) % CACHE_N;
	snprintf(e->zone, sizeof e->zone, "%s", zone);
	e->t = t;
	e->off = off;
	e->at = mono_s();
	pthread_mutex_unlock(&cache_mu);
}

/* "+01:00:00", "-03:30:00" (date's %::z) to seconds; -1 when it is not that. */
static int parse_offset(const char *s, long *off)
{
	int h, m, sec;
	char sign, end;
	if (sscanf(s, "%c%2d:%2d:%2d%c", &sign, &h, &m, &sec, &end) != 5 || end != '\n' ||
	    (sign != '+' && sign != '-') || h > 25 || m > 59 || sec > 59)
		return -1;
	*off = (sign == '-' ? -1L : 1L) * (h * 3600L + m * 60L + sec);
	return 0;
}

int tz_offset(const char *zone, int64_t t, long *off)
{
	*off = 0;
	if (zone && (strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0))
		return 0;
	if (!tz_valid(zone))
		return -1;
	if (cache_get(zone, t, off))
		return 0;
	char tzvar[TZ_NAME_MAX + 8], when[32];
	snprintf(tzvar, sizeof tzvar, "TZ=:%s", zone);
	snprintf(when, sizeof when, "@%lld", (long long)t);
	const char *argv[] = {"date", "-d", when, "+%::z", NULL};
	const char *env[] = {tzvar, "LC_ALL=C", "PATH=/usr/bin:/bin", NULL};
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	struct proc p = {.argv = argv, .env = env, .out = &out, .err = &err, .max_out = 4096,
			 .timeout_ms = 5000};
	int rc = -1;
	if (proc_run(&p) == 0 && p.exit_code == 0 && parse_offset(sbuf_str(&out), off) == 0)
		rc = 0;
	if (rc == 0) {
		cache_put(zone, t, *off);
	} else {
		*off = 0;
		log_event(LOG_ERROR, "time zone offset failed",
			  json_pack("{s:s,s:I,s:s,s:s}", "zone", zone, "t", (json_int_t)t, "out",
				    sbuf_str(&out), "error", sbuf_str(&err)));
	}
	sbuf_release(&out);
	sbuf_release(&err);
	return rc;
}
