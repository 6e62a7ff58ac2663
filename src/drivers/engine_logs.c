/* engine_logs.c: container logs as timestamped lines and the archive API as file streams
 * (engine_logs.h), on top of engine_call_raw's streamed bodies: nothing here holds a whole
 * log in memory, only the line or tar block being parsed. */
#include "drivers/engine_logs.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static char *esc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e);
	curl_free(e);
	return out;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t engine_ts_parse(const char *s, size_t len)
{
	int y, mo, d, h, mi, se;
	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	size_t i = 19;
	int64_t frac = 0;
	if (i < len && (s[i] == '.' || s[i] == ',')) {
		i++;
		int nd = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (nd < 9) {
				frac = frac * 10 + (s[i] - '0');
				nd++;
			}
			i++;
		}
		if (nd == 0)
			return -1;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	int64_t off = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 <= len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om))
			return -1;
		off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	time_t t = timegm(&tm);
	struct tm back;
	if (t < 0 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
		return -1; /* February 30th */
	return ((int64_t)t - off) * 1000000000LL + frac;
}

void engine_ts_format(int64_t ns, char out[40])
{
	if (ns < 0)
		ns = 0;
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char date[24];
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 40, "%.19s.%09uZ", date, (unsigned)(ns % 1000000000LL));
}

/* ---- log frames: Docker multiplexes stdout and stderr of a container without a TTY in
 * frames (8-byte header: stream, 0, 0, 0, size big-endian); with a TTY the body is raw. */
#define LINE_MAX_BYTES 65536

struct lrd {
	elog_line_fn fn;
	void *cls;
	int *status;
	int mode;           /* 0 unknown, 1 framed, 2 raw */
	unsigned char hdr[8];
	size_t hlen;        /* header bytes gathered */
	size_t left;        /* payload bytes of the current frame still to come */
	struct sbuf line;
	bool truncated;
};

static void lrd_emit(struct lrd *r)
{
	const char *s = r->line.buf ? r->line.buf : "";
	size_t n = r->line.len;
	if (n && s[n - 1] == '\r')
		n--;
	const char *sp = memchr(s, ' ', n);
	int64_t ns = sp ? engine_ts_parse(s, (size_t)(sp - s)) : -1;
	if (ns >= 0)
		r->fn(r->cls, ns, sp + 1, n - (size_t)(sp + 1 - s));
	sbuf_reset(&r->line);
	r->truncated = false;
}

static void lrd_bytes(struct lrd *r, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		if (r->line.len + k > LINE_MAX_BYTES) {
			size_t room = r->line.len < LINE_MAX_BYTES ? LINE_MAX_BYTES - r->line.len : 0;
			sbuf_add(&r->line, p, room);
			r->truncated = true;
		} else {
			sbuf_add(&r->line, p, k);
		}
		if (!nl)
			return;
		lrd_emit(r);
		p += k + 1;
		n -= k + 1;
	}
}

static void lrd_chunk(void *cls, const char *data, size_t n)
{
	struct lrd *r = cls;
	if (*r->status != 200)
		return;
	if (r->mode == 0 && n)
		r->mode = ((unsigned char)data[0] <= 2) ? 1 : 2;
	if (r->mode == 2) {
		lrd_bytes(r, data, n);
		return;
	}
	while (n) {
		if (r->left == 0) {
			size_t k = 8 - r->hlen;
			if (k > n)
				k = n;
			memcpy(r->hdr + r->hlen, data, k);
			r->hlen += k;
			data += k;
			n -= k;
			if (r->hlen < 8)
				return;
			r->hlen = 0;
			r->left = ((size_t)r->hdr[4] << 24) | ((size_t)r->hdr[5] << 16) |
				  ((size_t)r->hdr[6] << 8) | r->hdr[7];
			continue;
		}
		size_t k = r->left < n ? r->left : n;
		lrd_bytes(r, data, k);
		data += k;
		n -= k;
		r->left -= k;
	}
}

static void ns_param(struct sbuf *sb, const char *key, int64_t ns)
{
	sbuf_addf(sb, "&%s=%lld.%09lld", key, (long long)(ns / 1000000000LL),
		  (long long)(ns % 1000000000LL));
}

int engine_logs_read(struct engine *e, const char *container, int64_t since_ns, int64_t until_ns,
		     bool follow, elog_line_fn fn, void *cls, int *status, struct berr *err)
{
	char *c = esc(container);
	struct sbuf path = SBUF_INIT;
	sbuf_addf(&path, "/containers/%s/logs?stdout=1&stderr=1&timestamps=1", c);
	if (since_ns > 0)
		ns_param(&path, "since", since_ns);
	if (until_ns > 0)
		ns_param(&path, "until", until_ns);
	if (follow)
		sbuf_adds(&path, "&follow=1");
	struct lrd r = {.fn = fn, .cls = cls, .status = status};
	sbuf_init(&r.line);
	*status = 0;
	int rc = engine_call_raw(e, "GET", sbuf_str(&path), NULL, NULL, 0, status, NULL, lrd_chunk,
				 &r, err);
	if (*status == 200 && r.line.len)
		lrd_emit(&r); /* a last line without its newline */
	sbuf_release(&r.line);
	sbuf_release(&path);
	free(c);
	/* a follow that ends by a read timeout is an ordinary end */
	if (rc < 0 && follow && *status == 200) {
		berr_clear(err);
		rc = 0;
	}
	return rc;
}

/* ---- tar streams ---- */
struct trd {
	etar_data_fn fn;
	void *cls;
	int *status;
	char hdr[512];
	size_t hlen;
	uint64_t left;  /* content bytes of the current entry still to come */
	uint64_t pad;   /* padding bytes after them */
	bool regular;
	char name[300];
	bool done;
};

static uint64_t octal(const char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && p[i]; i++)
		if (p[i] >= '0' && p[i] <= '7')
			v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

static void trd_chunk(void *cls, const char *data, size_t n)
{
	struct trd *t = cls;
	if (*t->status != 200 || t->done)
		return;
	while (n) {
		if (t->left) {
			size_t k = t->left < n ? (size_t)t->left : n;
			if (t->regular)
				t->fn(t->cls, t->name, data, k, false);
			data += k;
			n -= k;
			t->left -= k;
			if (!t->left && t->regular)
				t->fn(t->cls, t->name, NULL, 0, true);
			continue;
		}
		if (t->pad) {
			size_t k = t->pad < n ? (size_t)t->pad : n;
			data += k;
			n -= k;
			t->pad -= k;
			continue;
		}
		size_t k = 512 - t->hlen;
		if (k > n)
			k = n;
		memcpy(t->hdr + t->hlen, data, k);
		t->hlen += k;
		data += k;
		n -= k;
		if (t->hlen < 512)
			return;
		t->hlen = 0;
		if (!t->hdr[0]) {
			t->done = true; /* the end blocks */
			return;
		}
		uint64_t size = octal(t->hdr + 124, 12);
		char type = t->hdr[156];
		t->regular = type == '0' || type == '\0';
		char prefix[156] = "", name[101];
		if (memcmp(t->hdr + 257, "ustar", 5) == 0)
			snprintf(prefix, sizeof prefix, "%.155s", t->hdr + 345);
		snprintf(name, sizeof name, "%.100s", t->hdr);
		snprintf(t->name, sizeof t->name, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
		t->left = size;
		t->pad = (512 - size % 512) % 512;
		if (t->regular && size == 0)
			t->fn(t->cls, t->name, NULL, 0, true);
	}
}

int engine_archive_read(struct engine *e, const char *container, const char *path,
			etar_data_fn on_data, void *cls, int *status, struct berr *err)
{
	char *c = esc(container), *p = esc(path);
	char *url = xasprintf("/containers/%s/archive?path=%s", c, p);
	struct trd t = {.fn = on_data, .cls = cls, .status = status};
	*status = 0;
	int rc = engine_call_raw(e, "GET", url, NULL, NULL, 0, status, NULL, trd_chunk, &t, err);
	free(url);
	free(c);
	free(p);
	return rc;
}

int engine_archive_write(struct engine *e, const char *container, const char *dir,
			 const void *tar, size_t len, struct berr *err)
{
	char *c = esc(container), *d = esc(dir);
	char *url = xasprintf("/containers/%s/archive?path=%s", c, d);
	int status = 0;
	struct sbuf out = SBUF_INIT;
	int rc = engine_call_raw(e, "PUT", url, "application/x-tar", tar, len, &status, &out, NULL,
				 NULL, err);
	if (rc == 0 && status != 200)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: write into %s:%s: %d %.200s",
			      container, dir, status, sbuf_str(&out));
	sbuf_release(&out);
	free(url);
	free(c);
	free(d);
	return rc;
}

void engine_tar_header(char hdr[512], const char *name, uint64_t size, unsigned mode, char type)
{
	memset(hdr, 0, 512);
	snprintf(hdr, 100, "%s", name);
	snprintf(hdr + 100, 8, "%07o", mode & 07777);
	snprintf(hdr + 108, 8, "%07o", 0);
	snprintf(hdr + 116, 8, "%07o", 0);
	snprintf(hdr + 124, 12, "%011llo", (unsigned long long)size);
	snprintf(hdr + 136, 12, "%011llo", (unsigned long long)time(NULL));
	hdr[156] = type;
	memcpy(hdr + 257, "ustar", 6);
	memcpy(hdr + 263, "00", 2);
	memset(hdr + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)hdr[i];
	snprintf(hdr + 148, 8, "%06o", sum);
	hdr[155] = ' ';
}
