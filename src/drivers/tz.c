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

#define CACHE_N 4096 /* direct-mapped by zone and instant */
#define CACHE_TTL_S 3600

struct entry {
	char zone[TZ_NAME_MAX + 1];
	int64_t t;
	long off;
	int64_t at; /* when it was asked (monotonic seconds), 0: empty */
};
static struct entry cache[CACHE_N];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec + 1; /* never 0 */
}

static size_t slot_of(const char *zone, int64_t t)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = zone; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h ^= (uint64_t)t * 0x9E3779B97F4A7C15ULL;
	h ^= h >> 29;
	return (size_t)(h % CACHE_N);
}

static bool cache_get(const char *zone, int64_t t, long *off)
{
	bool hit = false;
	struct entry *e = &cache[slot_of(zone, t)];
	pthread_mutex_lock(&cache_mu);
	if (e->at && e->t == t && mono_s() - e->at < CACHE_TTL_S && strcmp(e->zone, zone) == 0) {
		*off = e->off;
		hit = true;
	}
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

static void cache_put(const char *zone, int64_t t, long off)
{
	struct entry *e = &cache[slot_of(zone, t)];
	pthread_mutex_lock(&cache_mu);
	snprintf(e->zone, sizeof e->zone, "%s", zone);
	e->t = t;
	e->off = off;
	e->at = mono_s();
	pthread_mutex_unlock(&cache_mu);
}

/* "+01:00:00", "-03:30:00" (date's %::z) to seconds; -1 when it is not that. */
static int parse_offset(const char *s, long *off)
{
	int h, m, sec, used = 0;
	char sign;
	if (sscanf(s, "%c%2d:%2d:%2d%n", &sign, &h, &m, &sec, &used) != 4 || used != 9 ||
	    (sign != '+' && sign != '-') || h > 25 || m > 59 || sec > 59)
		return -1;
	*off = (sign == '-' ? -1L : 1L) * (h * 3600L + m * 60L + sec);
	return 0;
}

static bool is_utc(const char *zone)
{
	return zone && (strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0);
}

int tz_offsets(const char *zone, const int64_t *t, size_t n, long *off)
{
	for (size_t i = 0; i < n; i++)
		off[i] = 0;
	if (is_utc(zone) || n == 0)
		return 0;
	if (!name_form(zone))
		return -1;
	/* the instants not in the cache (only a valid zone's offsets are there), one per line on
	 * date's standard input */
	struct sbuf in = SBUF_INIT;
	size_t *miss = xcalloc(n, sizeof *miss), nmiss = 0;
	for (size_t i = 0; i < n; i++)
		if (!cache_get(zone, t[i], &off[i])) {
			miss[nmiss++] = i;
			sbuf_addf(&in, "@%lld\n", (long long)t[i]);
		}
	int rc = 0;
	if (nmiss && !tz_valid(zone))
		rc = -1;
	else if (nmiss) {
		char tzvar[TZ_NAME_MAX + 8];
		snprintf(tzvar, sizeof tzvar, "TZ=:%s", zone);
		const char *argv[] = {"date", "-f", "-", "+%::z", NULL};
		const char *env[] = {tzvar, "LC_ALL=C", "PATH=/usr/bin:/bin", NULL};
		struct sbuf out = SBUF_INIT, err = SBUF_INIT;
		struct proc p = {.argv = argv, .env = env, .in = in.buf, .in_len = in.len, .out = &out,
				 .err = &err, .max_out = nmiss * 16 + 64, .timeout_ms = 10000};
		rc = proc_run(&p) == 0 && p.exit_code == 0 ? 0 : -1;
		const char *line = sbuf_str(&out);
		for (size_t k = 0; rc == 0 && k < nmiss; k++) {
			if (parse_offset(line, &off[miss[k]]) < 0 || line[9] != '\n') {
				rc = -1;
				break;
			}
			cache_put(zone, t[miss[k]], off[miss[k]]);
			line += 10;
		}
		if (rc < 0) {
			for (size_t k = 0; k < nmiss; k++)
				off[miss[k]] = 0;
			log_event(LOG_ERROR, "time zone offsets failed",
				  json_pack("{s:s,s:I,s:s,s:s}", "zone", zone, "instants",
					    (json_int_t)nmiss, "out", sbuf_str(&out), "error",
					    sbuf_str(&err)));
		}
		sbuf_release(&out);
		sbuf_release(&err);
	}
	sbuf_release(&in);
	free(miss);
	for (size_t i = 0; rc < 0 && i < n; i++)
		off[i] = 0;
	return rc;
}

int tz_offset(const char *zone, int64_t t, long *off)
{
	return tz_offsets(zone, &t, 1, off);
}
