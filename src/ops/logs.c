/* logs.c: an environment's logs beyond the life of its containers (ops/logs.h, docs/logs.md).
 *
 * On the environment's server, the volume berth-<key>-logs holds, per container role
 * (odoo, db, pgbouncer, replica), segments <first_ns>.log of the lines of removed containers
 * ("<RFC 3339 time> <text>\n", as `docker logs -t` prints them) and an index written twice,
 * index.a then index.b, each closed by an "end" line: a write cut short leaves the other copy
 * whole, and a segment not listed in a whole index is written again (same name) by the next
 * archive. The keeper container berth-<key>-logs (created from a one-file image, never
 * started) mounts the volume for the Engine's archive API. */
#include "ops/logs.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/settings.h"
#include "drivers/engine_logs.h"
#include "jobs/hub.h"
#include "lib/log.h"
#include "ops/conn.h"
#include "ops/sampler.h"
#include "ops/server.h"
#include "store/db.h"
#include "store/envs.h"

const char *const logs_level_names[5] = {"debug", "info", "warning", "error", "critical"};
const char *const logs_containers[5] = {"odoo", "db", "pgbouncer", "replica", "edge"};

#define KEEPER_IMAGE "berth/logs-keeper:1"
#define INDEX_MAX (4 << 20)

/* ---- lines ---- */

int logs_line_level(const char *line)
{
	static const struct {
		const char *word;
		int level;
	} words[] = {
		{"DEBUG", LOGL_DEBUG}, {"INFO", LOGL_INFO}, {"LOG", LOGL_INFO},
		{"NOTICE", LOGL_INFO}, {"WARNING", LOGL_WARNING}, {"WARN", LOGL_WARNING},
		{"ERROR", LOGL_ERROR}, {"CRITICAL", LOGL_CRITICAL}, {"FATAL", LOGL_CRITICAL},
		{"PANIC", LOGL_CRITICAL}, {"CRIT", LOGL_CRITICAL}, {"ALERT", LOGL_CRITICAL},
		{"EMERG", LOGL_CRITICAL},
	};
	/* a line of its own starts with its date; a continuation (a traceback) does not */
	if (!isdigit((unsigned char)line[0]))
		return LOGL_NONE;
	const char *p = line;
	for (int tok = 0; tok < 6 && *p; tok++) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		size_t n = (size_t)(p - s);
		if (n && s[0] == '[' && s[n - 1] == ']') { /* nginx: [error] */
			s++;
			n -= 2;
		}
		if (n && s[n - 1] == ':')
			n--;
		for (size_t i = 0; i < ARRAY_SIZE(words); i++)
			if (strlen(words[i].word) == n && strncasecmp(s, words[i].word, n) == 0)
				return words[i].level;
	}
	return LOGL_NONE;
}

/* The length of the valid UTF-8 sequence at p (at most n bytes), 0 when there is none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3
		     : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!len || len > n || (len == 2 && p[0] < 0xc2) || (len == 4 && p[0] > 0xf4))
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((len == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (len == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
	    (len == 4 && p[0] == 0xf0 && p[1] < 0x90) || (len == 4 && p[0] == 0xf4 && p[1] >= 0x90))
		return 0; /* overlong, surrogate, beyond U+10FFFF */
	return len;
}

static char *utf8_repair(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		size_t k = utf8_seq(p, n);
		if (k) {
			sbuf_add(&sb, (const char *)p, k);
		} else {
			sbuf_adds(&sb, "\xEF\xBF\xBD");
			k = 1;
		}
		p += k;
		n -= k;
	}
	sbuf_adds(&sb, "");
	return sbuf_detach(&sb);
}

void logs_ts(int64_t ns, char out[40])
{
	engine_ts_format(ns, out);
}

char *logs_line_json(int64_t id, int64_t ns, const char *line, const char *container, int level)
{
	char ts[40], ids[24];
	engine_ts_format(ns, ts);
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "id", ids, "ts", ts, "line", line, "container",
			      container);
	if (!o) { /* not UTF-8: each byte of a bad sequence becomes U+FFFD */
		char *u = utf8_repair(line);
		o = json_pack("{s:s,s:s,s:s,s:s}", "id", ids, "ts", ts, "line", u, "container",
			      container);
		free(u);
	}
	json_object_set_new(o, "level", level >= 0 ? json_string(logs_level_names[level])
						   : json_null());
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ---- where an environment's logs are ---- */
struct envlog {
	char env_id[37], server_id[37], key[13];
	char *env_name;
	char cname[64];  /* the container to read live */
	char vol[48], keeper[48];
	const char *role; /* archive directory; NULL for the edge (not archived) */
	char *hosts[2];  /* the edge: the environment's host names */
	bool edge;
};

static void envlog_free(struct envlog *L)
{
	free(L->env_name);
	free(L->hosts[0]);
	free(L->hosts[1]);
	memset(L, 0, sizeof *L);
}

static void key_of(const char *id, char key[13])
{
	int k = 0;
	for (const char *p = id; *p && k < 12; p++)
		if (*p != '-')
			key[k++] = *p;
	key[k] = '\0';
}

static void names_of(struct envlog *L)
{
	snprintf(L->vol, sizeof L->vol, "berth-%s-logs", L->key);
	snprintf(L->keeper, sizeof L->keeper, "berth-%s-logs", L->key);
}

static int envlog_load(const char *env_id, const char *container, struct envlog *L,
		       struct berr *err)
{
	memset(L, 0, sizeof *L);
	struct env_row row;
	if (env_load(env_id, &row) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	snprintf(L->env_id, sizeof L->env_id, "%s", row.id);
	snprintf(L->server_id, sizeof L->server_id, "%s", row.vm_id);
	L->env_name = xstrdup(row.name);
	key_of(row.id, L->key);
	names_of(L);
	if (str_eq(container, "edge")) {
		char sites[40];
		L->edge = true;
		ops_edge_names(row.vm_id, L->cname, sites);
		L->hosts[0] = xasprintf("%s.%s", row.subdomain ? row.subdomain : "",
					berth_cfg.apps_domain);
		if (row.custom_domain && row.custom_domain[0])
			L->hosts[1] = xstrdup(row.custom_domain);
	} else {
		const char *suffix = str_eq(container, "replica") ? "db-replica" : container;
		snprintf(L->cname, sizeof L->cname, "berth-%s-%s", L->key, suffix);
		L->role = str_eq(container, "db")          ? "db"
			  : str_eq(container, "pgbouncer") ? "pgbouncer"
			  : str_eq(container, "replica")   ? "replica"
							   : "odoo";
	}
	env_row_free(&row);
	return 0;
}

/* An nginx line of the edge is the environment's when it names one of its hosts: the access
 * log's second field (log_format berth: $remote_addr $host ...), or an error line's
 * `host: "..."`. */
static bool edge_line_ours(const struct envlog *L, const char *line)
{
	for (int i = 0; i < 2; i++) {
		const char *h = L->hosts[i];
		if (!h)
			continue;
		size_t hn = strlen(h);
		const char *sp = strchr(line, ' ');
		if (sp && strncasecmp(sp + 1, h, hn) == 0 && (sp[1 + hn] == ' ' || sp[1 + hn] == ':'))
			return true;
		/* an error line (2024/01/01 12:00:00 [error] ...) */
		bool err_line = strlen(line) > 11 && line[4] == '/' && line[7] == '/' && line[10] == ' ';
		const char *hp = err_line ? strstr(line, ", host: \"") : NULL;
		if (hp)
			hp += 2;
		if (hp && strncasecmp(hp + 7, h, hn) == 0 && (hp[7 + hn] == '"' || hp[7 + hn] == ':'))
			return true;
	}
	return false;
}

/* ---- the index of a role's segments ---- */
struct seg {
	int64_t first, last;
	unsigned long long bytes;
	long lines;
};
struct segindex {
	struct seg *v;
	size_t n;
};

static void segindex_free(struct segindex *ix)
{
	free(ix->v);
	ix->v = NULL;
	ix->n = 0;
}

/* 0 when text is a whole index ("berth-logs 1", entries, "end N"). */
static int segindex_parse(const char *text, size_t len, struct segindex *ix)
{
	ix->v = NULL;
	ix->n = 0;
	if (len < 13 || strncmp(text, "berth-logs 1\n", 13) != 0 || text[len - 1] != '\n')
		return -1;
	const char *p = text + 13, *end = text + len;
	size_t cap = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char ln[200];
		snprintf(ln, sizeof ln, "%.*s", (int)(nl - p), p);
		p = nl + 1;
		size_t cnt;
		char tail;
		if (sscanf(ln, "end %zu%c", &cnt, &tail) == 1)
			return cnt == ix->n && p == end ? 0 : (segindex_free(ix), -1);
		struct seg s;
		long long f, l;
		if (sscanf(ln, "%lld %lld %llu %ld", &f, &l, &s.bytes, &s.lines) != 4 || f <= 0 || l < f) {
			segindex_free(ix);
			return -1;
		}
		s.first = f;
		s.last = l;
		if (ix->n == cap) {
			cap = cap ? 2 * cap : 16;
			ix->v = xrealloc(ix->v, cap * sizeof *ix->v);
		}
		ix->v[ix->n++] = s;
	}
	segindex_free(ix);
	return -1;
}

static void segindex_text(const struct segindex *ix, size_t from, struct sbuf *out)
{
	sbuf_adds(out, "berth-logs 1\n");
	for (size_t i = from; i < ix->n; i++)
		sbuf_addf(out, "%lld %lld %llu %ld\n", (long long)ix->v[i].first,
			  (long long)ix->v[i].last, ix->v[i].bytes, ix->v[i].lines);
	sbuf_addf(out, "end %zu\n", ix->n - from);
}

static void file_gather(void *cls, const char *name, const char *data, size_t n, bool end)
{
	(void)name;
	(void)end;
	struct sbuf *sb = cls;
	if (sb->len + n <= INDEX_MAX)
		sbuf_add(sb, data, n);
}

/* The index of role in the keeper (an empty one when there is none yet). */
static int segindex_read(struct engine *e, const struct envlog *L, const char *role,
			 struct segindex *ix, struct berr *err)
{
	struct segindex c[2] = {{0}};
	bool ok[2] = {false, false};
	for (int i = 0; i < 2; i++) {
		char path[64];
		snprintf(path, sizeof path, "/logs/%s/index.%c", role, i ? 'b' : 'a');
		struct sbuf sb = SBUF_INIT;
		int status = 0;
		if (engine_archive_read(e, L->keeper, path, file_gather, &sb, &status, err) < 0) {
			sbuf_release(&sb);
			segindex_free(&c[0]);
			return -1;
		}
		ok[i] = status == 200 && segindex_parse(sb.buf ? sb.buf : "", sb.len, &c[i]) == 0;
		sbuf_release(&sb);
	}
	int pick = -1;
	if (ok[0] && ok[1]) {
		int64_t la = c[0].n ? c[0].v[c[0].n - 1].last : 0;
		int64_t lb = c[1].n ? c[1].v[c[1].n - 1].last : 0;
		pick = lb > la ? 1 : 0;
	} else if (ok[0] || ok[1]) {
		pick = ok[0] ? 0 : 1;
	}
	*ix = pick >= 0 ? c[pick] : (struct segindex){0};
	if (pick != 0)
		segindex_free(&c[0]);
	if (pick != 1)
		segindex_free(&c[1]);
	return 0;
}

/* ---- reading ---- */
struct rline {
	int64_t id, ns;
	int level;
	char *line;
};

struct rd {
	const struct logq *q;
	const struct envlog *L;
	logs_line_fn fn;
	void *cls;
	int level;       /* of the line before (a continuation takes it) */
	int64_t prev_id;
	int64_t skip_le; /* the live container: lines already archived */
	long count;
	bool stop, more;
	struct rline *ring; /* q->tail > 0: the last tail matches */
	size_t head, n;
	struct sbuf part; /* a segment's line being gathered */
	struct sbuf tmp;
};

static void rd_line(void *cls, int64_t ns, const char *text, size_t len)
{
	struct rd *r = cls;
	if (r->stop || ns <= r->skip_le)
		return;
	sbuf_reset(&r->tmp);
	sbuf_add(&r->tmp, text, len);
	const char *s = sbuf_str(&r->tmp);
	int lv = logs_line_level(s);
	if (lv == LOGL_NONE)
		lv = r->level;
	else
		r->level = lv;
	int64_t id = ns > r->prev_id ? ns : r->prev_id + 1;
	r->prev_id = id;
	const struct logq *q = r->q;
	if (r->L->edge && !edge_line_ours(r->L, s))
		return;
	if ((q->since_ns && ns < q->since_ns) || (q->until_ns && ns > q->until_ns) ||
	    (q->level > LOGL_NONE && lv < q->level) || id <= q->after_id ||
	    (q->q && q->q[0] && !strstr(s, q->q)))
		return;
	if (q->tail > 0) {
		size_t cap = (size_t)q->tail;
		struct rline *slot;
		if (r->n < cap) {
			slot = &r->ring[(r->head + r->n++) % cap];
		} else {
			slot = &r->ring[r->head];
			free(slot->line);
			r->head = (r->head + 1) % cap;
		}
		slot->id = id;
		slot->ns = ns;
		slot->level = lv;
		slot->line = xstrdup(s);
		return;
	}
	if (q->max_lines && r->count >= q->max_lines) {
		r->more = true;
		r->stop = true;
		return;
	}
	r->count++;
	r->fn(r->cls, id, ns, s, lv);
}

static void seg_data(void *cls, const char *name, const char *data, size_t n, bool end)
{
	(void)name;
	struct rd *r = cls;
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t k = nl ? (size_t)(nl - data) : n;
		sbuf_add(&r->part, data, k);
		if (!nl)
			break;
		const char *s = sbuf_str(&r->part);
		const char *sp = strchr(s, ' ');
		int64_t ns = sp ? engine_ts_parse(s, (size_t)(sp - s)) : -1;
		if (ns > 0)
			rd_line(r, ns, sp + 1, r->part.len - (size_t)(sp + 1 - s));
		sbuf_reset(&r->part);
		data += k + 1;
		n -= k + 1;
	}
	if (end)
		sbuf_reset(&r->part); /* a segment ends with a newline; a cut one drops its tail */
}

int ops_logs_read(const char *env_id, const struct logq *q, logs_line_fn fn, void *cls,
		  bool *more, struct berr *err)
{
	struct envlog L;
	if (more)
		*more = false;
	if (envlog_load(env_id, q->container, &L, err) < 0)
		return -1;
	db_end_request();
	struct engine *e = engine_open_server(L.server_id, err);
	if (!e) {
		envlog_free(&L);
		return -1;
	}
	engine_set_io_timeout(e, 60000);
	struct rd r = {.q = q, .L = &L, .fn = fn, .cls = cls, .level = LOGL_INFO};
	sbuf_init(&r.part);
	sbuf_init(&r.tmp);
	if (q->tail > 0)
		r.ring = xcalloc((size_t)q->tail, sizeof *r.ring);
	int rc = 0;
	/* where to start: at since (or the resumed id), a millisecond early for lines with the
	 * same time */
	int64_t from = q->since_ns;
	if (q->after_id > from)
		from = q->after_id;
	if (from > 1000000)
		from -= 1000000;
	if (L.role) {
		struct segindex ix = {0};
		rc = segindex_read(e, &L, L.role, &ix, err);
		size_t start = 0;
		/* the last `tail` lines with no other filter: only the segments that hold them */
		if (rc == 0 && q->tail > 0 && q->level <= LOGL_DEBUG && !(q->q && q->q[0]) &&
		    !q->since_ns && !q->after_id) {
			long have = 0;
			start = ix.n;
			while (start > 0 && have < q->tail)
				have += ix.v[--start].lines;
		}
		for (size_t i = start; rc == 0 && i < ix.n && !r.stop; i++) {
			if (ix.v[i].last < from || (q->until_ns && ix.v[i].first > q->until_ns) ||
			    !ix.v[i].bytes)
				continue;
			char path[96];
			snprintf(path, sizeof path, "/logs/%s/%lld.log", L.role, (long long)ix.v[i].first);
			int status;
			rc = engine_archive_read(e, L.keeper, path, seg_data, &r, &status, err);
			sbuf_reset(&r.part);
		}
		if (ix.n)
			r.skip_le = ix.v[ix.n - 1].last;
		segindex_free(&ix);
	}
	if (rc == 0 && !r.stop) {
		int64_t since = from > r.skip_le ? from : r.skip_le;
		int status;
		rc = engine_logs_read(e, L.cname, since, q->until_ns, false, rd_line, &r, &status, err);
		if (rc == 0 && status != 200 && status != 404)
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: logs of %s: %d", L.cname,
				      status);
	}
	if (r.ring) {
		size_t cap = (size_t)q->tail;
		for (size_t i = 0; i < r.n; i++) {
			struct rline *l = &r.ring[(r.head + i) % cap];
			if (rc == 0)
				fn(cls, l->id, l->ns, l->line, l->level);
			free(l->line);
		}
		free(r.ring);
	}
	if (more)
		*more = r.more;
	sbuf_release(&r.part);
	sbuf_release(&r.tmp);
	engine_close(e);
	envlog_free(&L);
	return rc;
}

/* ---- archiving before a removal ---- */

static int keeper_ensure(struct engine *e, const struct envlog *L, json_t *lab, struct berr *err)
{
	json_t *k = engine_container_inspect(e, L->keeper);
	if (k) {
		json_decref(k);
		return 0;
	}
	if (engine_volume_ensure(e, L->vol, json_incref(lab), err) < 0)
		return -1;
	if (!engine_image_exists(e, KEEPER_IMAGE)) {
		static const char note[] = "berth log keeper: this image is never run\n";
		struct efile f = {"berth-logs-keeper", note, sizeof note - 1, 0644};
		struct sbuf tar = SBUF_INIT;
		engine_tar(&f, 1, &tar);
		int rc = engine_image_import(e, KEEPER_IMAGE, tar.buf, tar.len, err);
		sbuf_release(&tar);
		if (rc < 0)
			return -1;
	}
	char *bind = xasprintf("%s:/logs", L->vol);
	json_t *spec = json_pack("{s:s,s:[s],s:O,s:{s:[s],s:s}}", "Image", KEEPER_IMAGE, "Cmd",
				 "/berth-logs-keeper", "Labels", lab, "HostConfig", "Binds", bind,
				 "NetworkMode", "none");
	free(bind);
	int rc = engine_container_create(e, L->keeper, spec, err);
	json_decref(spec);
	return rc;
}

struct spool {
	FILE *f;
	int64_t last;     /* lines after this one only */
	int64_t first, end;
	unsigned long long bytes;
	long lines;
	bool failed;
};

static void spool_line(void *cls, int64_t ns, const char *text, size_t len)
{
	struct spool *s = cls;
	if (ns <= s->last)
		return;
	char ts[40];
	engine_ts_format(ns, ts);
	size_t tl = strlen(ts);
	if (fwrite(ts, 1, tl, s->f) != tl || fputc(' ', s->f) == EOF ||
	    fwrite(text, 1, len, s->f) != len || fputc('\n', s->f) == EOF)
		s->failed = true;
	if (!s->first)
		s->first = ns;
	s->end = ns;
	s->bytes += tl + 2 + len;
	s->lines++;
}

static void tar_pad(FILE *f, unsigned long long size)
{
	static const char zero[512];
	size_t pad = (size_t)((512 - size % 512) % 512);
	fwrite(zero, 1, pad, f);
}

static void tar_file(FILE *f, const char *name, const char *data, size_t len)
{
	char h[512];
	engine_tar_header(h, name, len, 0644, '0');
	fwrite(h, 1, 512, f);
	fwrite(data, 1, len, f);
	tar_pad(f, len);
}

static const char *const archive_roles[] = {"odoo", "db", "pgbouncer", "replica"};

/* "berth-<key>-<suffix>": the role directory of an environment container, or NULL. */
static const char *role_of_name(const char *name, char key[13])
{
	static const struct {
		const char *suffix, *role;
	} roles[] = {{"odoo", "odoo"}, {"db", "db"}, {"pgbouncer", "pgbouncer"}, {"db-replica", "replica"}};
	if (!str_starts(name, "berth-") || strlen(name) < 6 + 12 + 2 || name[18] != '-')
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		if (str_eq(name + 19, roles[i].suffix)) {
			snprintf(key, 13, "%.12s", name + 6);
			return roles[i].role;
		}
	return NULL;
}

/* After the new segment (the last of ix, the archived kind's index) in the tar f: the
 * environment's oldest segments, of any kind, emptied while the whole exceeds bound (the new
 * one stays), then the index (a, then b) of each kind that changed, this kind's last. */
static void rotate_and_index(struct engine *e, const struct envlog *L, const char *role,
			     struct segindex *ix, unsigned long long bound, FILE *f)
{
	enum { NK = ARRAY_SIZE(archive_roles) };
	struct segindex others[NK] = {{0}};
	struct segindex *all[NK];
	size_t from[NK] = {0};
	bool dirty[NK] = {false};
	unsigned long long total = 0;
	size_t cur = 0;
	for (size_t k = 0; k < NK; k++) {
		if (str_eq(archive_roles[k], role)) {
			cur = k;
			all[k] = ix;
		} else {
			all[k] = &others[k];
			struct berr e2 = {0};
			if (segindex_read(e, L, archive_roles[k], &others[k], &e2) < 0)
				segindex_free(&others[k]); /* unreadable now: left as it is */
		}
		for (size_t i = 0; i < all[k]->n; i++)
			total += all[k]->v[i].bytes;
	}
	dirty[cur] = true;
	while (total > bound) {
		int pick = -1;
		for (size_t k = 0; k < NK; k++) {
			size_t keep = k == cur ? 1 : 0;
			if (from[k] + keep < all[k]->n &&
			    (pick < 0 || all[k]->v[from[k]].first < all[pick]->v[from[pick]].first))
				pick = (int)k;
		}
		if (pick < 0)
			break;
		char old[96];
		snprintf(old, sizeof old, "%s/%lld.log", archive_roles[pick],
			 (long long)all[pick]->v[from[pick]].first);
		tar_file(f, old, "", 0);
		total -= all[pick]->v[from[pick]++].bytes;
		dirty[pick] = true;
	}
	for (size_t step = 0; step < NK; step++) {
		size_t k = (cur + 1 + step) % NK;
		if (!dirty[k])
			continue;
		struct sbuf text = SBUF_INIT;
		segindex_text(all[k], from[k], &text);
		char ia[40], ib[40];
		snprintf(ia, sizeof ia, "%s/index.a", archive_roles[k]);
		snprintf(ib, sizeof ib, "%s/index.b", archive_roles[k]);
		tar_file(f, ia, text.buf, text.len);
		tar_file(f, ib, text.buf, text.len);
		sbuf_release(&text);
	}
	for (size_t k = 0; k < NK; k++)
		segindex_free(&others[k]);
}

/* Sends the tar in f to the keeper's /logs: mapped, not read into memory (the kernel pages
 * it out to the Engine). */
static int upload(struct engine *e, const char *keeper, FILE *f, struct berr *err)
{
	struct stat st;
	int fd = fileno(f);
	if (fstat(fd, &st) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "temporary file: %s", strerror(errno));
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "temporary file: %s", strerror(errno));
	int rc = engine_archive_write(e, keeper, "/logs", map, (size_t)st.st_size, err);
	munmap(map, (size_t)st.st_size);
	return rc;
}

int ops_logs_archive(struct engine *e, const char *name, struct berr *err)
{
	char key[13];
	const char *role = role_of_name(name, key);
	if (!role)
		return 0;
	json_t *c = engine_container_inspect(e, name);
	const char *env_id = json_string_value(json_object_get(
		json_object_get(json_object_get(c, "Config"), "Labels"), "berth.env"));
	struct env_row row;
	if (!env_id || env_load(env_id, &row) < 0) {
		json_decref(c);
		return 0; /* not an environment's (or its row is gone: nothing to keep) */
	}
	struct envlog L = {0};
	snprintf(L.key, sizeof L.key, "%s", key);
	names_of(&L);
	/* the environment's own bound when it has one, else the platform's (200 MB by default) */
	long long max_mb = json_object_get(row.settings, "logs_max_mb")
		? settings_get_int(row.settings, "logs_max_mb")
		: sampler_setting("logs_max_mb");
	json_t *lab = json_pack("{s:s,s:s,s:s,s:s,s:s}", "berth.managed", "1", "berth.env", row.id,
				"berth.env.name", row.name, "berth.role", "logs", "berth.server",
				row.vm_id);
	env_row_free(&row);
	json_decref(c);
	db_end_request();
	struct segindex ix = {0};
	struct spool s = {0};
	int rc = -1;
	if (keeper_ensure(e, &L, lab, err) < 0 || segindex_read(e, &L, role, &ix, err) < 0)
		goto out;
	s.last = ix.n ? ix.v[ix.n - 1].last : 0;
	s.f = tmpfile();
	if (!s.f) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "no temporary file for the logs of %s", name);
		goto out;
	}
	/* the tar: the role's directory, the new segment (its header written once its size is
	 * known), the emptied segments rotated out, index.a, index.b, the end blocks */
	char h[512];
	char dname[32];
	snprintf(dname, sizeof dname, "%s/", role);
	engine_tar_header(h, dname, 0, 0755, '5');
	fwrite(h, 1, 512, s.f);
	memset(h, 0, 512);
	fwrite(h, 1, 512, s.f); /* the segment's header, later */
	int status = 0;
	if (engine_logs_read(e, name, s.last, 0, false, spool_line, &s, &status, err) < 0)
		goto out;
	if (status != 200 || s.lines == 0) {
		rc = 0; /* nothing new */
		goto out;
	}
	if (s.failed) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "writing the logs of %s to a temporary file failed",
			 name);
		goto out;
	}
	tar_pad(s.f, s.bytes);
	char sname[96];
	snprintf(sname, sizeof sname, "%s/%lld.log", role, (long long)s.first);
	ix.v = xrealloc(ix.v, (ix.n + 1) * sizeof *ix.v);
	ix.v[ix.n++] = (struct seg){s.first, s.end, s.bytes, s.lines};
	rotate_and_index(e, &L, role, &ix, (unsigned long long)max_mb << 20, s.f);
	memset(h, 0, 512);
	fwrite(h, 1, 512, s.f);
	fwrite(h, 1, 512, s.f);
	engine_tar_header(h, sname, s.bytes, 0644, '0');
	if (fflush(s.f) != 0 || fseek(s.f, 512, SEEK_SET) != 0 || fwrite(h, 1, 512, s.f) != 512 ||
	    fflush(s.f) != 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "writing the logs of %s to a temporary file failed",
			 name);
		goto out;
	}
	rc = upload(e, L.keeper, s.f, err);
out:
	if (s.f)
		fclose(s.f);
	segindex_free(&ix);
	json_decref(lab);
	return rc;
}

/* ---- followers ---- */
struct logs_watch {
	char key[40];
	char env_id[37];
	char container[16];
	int refs;
	struct logs_watch *next;
};

static pthread_mutex_t w_lock = PTHREAD_MUTEX_INITIALIZER;
static struct logs_watch *watches;

struct fol {
	struct logs_watch *w;
	struct envlog L;
	int64_t since, prev_id, last_ns;
	int level;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fol_line(void *cls, int64_t ns, const char *text, size_t len)
{
	struct fol *f = cls;
	if (ns < f->last_ns)
		return; /* read before (the follow resumed at its time) */
	char *s = xstrndup(text, len);
	int lv = logs_line_level(s);
	if (lv == LOGL_NONE)
		lv = f->level;
	else
		f->level = lv;
	if (ns == f->last_ns && f->prev_id >= ns) {
		/* the same time as the last line read: a resumed follow sends it again */
		free(s);
		return;
	}
	int64_t id = ns > f->prev_id ? ns : f->prev_id + 1;
	f->prev_id = id;
	f->last_ns = ns;
	if (!f->L.edge || edge_line_ours(&f->L, s)) {
		char *j = logs_line_json(id, ns, s, f->w->container, lv);
		hub_publish_line(f->w->key, id, j);
		free(j);
	}
	free(s);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void *fol_main(void *arg)
{
	struct fol *f = arg;
	struct engine *e = NULL;
	for (;;) {
		pthread_mutex_lock(&w_lock);
		if (f->w->refs == 0) {
			for (struct logs_watch **p = &watches; *p; p = &(*p)->next)
				if (*p == f->w) {
					*p = f->w->next;
					break;
				}
			pthread_mutex_unlock(&w_lock);
			break;
		}
		pthread_mutex_unlock(&w_lock);
		struct berr err = {0};
		if (!e) {
			if (!f->L.cname[0] && envlog_load(f->w->env_id, f->w->container, &f->L, &err) < 0) {
				db_end_request();
				sleep_ms(2000);
				continue;
			}
			e = engine_open_server(f->L.server_id, &err);
			db_end_request();
			if (!e) {
				sleep_ms(1000);
				continue;
			}
			/* a quiet log ends the follow after 5 s: the loop then sees whether anyone
			 * still watches */
			engine_set_io_timeout(e, 5000);
		}
		int status = 0;
		int64_t t0 = now_ns();
		int rc = engine_logs_read(e, f->L.cname, f->since, 0, true, fol_line, f, &status, &err);
		if (f->last_ns > f->since)
			f->since = f->last_ns;
		if (rc < 0) {
			engine_close(e);
			e = NULL;
			sleep_ms(1000);
		} else if (now_ns() - t0 < 1000000000LL) {
			sleep_ms(500); /* no such container, or it stopped: look again soon */
		}
	}
	engine_close(e);
	envlog_free(&f->L);
	free(f->w);
	free(f);
	db_release_thread();
	return NULL;
}

struct logs_watch *ops_logs_watch(const char *env_id, const char *container, char key[40],
				  struct berr *err)
{
	char k[13];
	key_of(env_id, k);
	snprintf(key, 40, "L%s/%s", k, container);
	pthread_mutex_lock(&w_lock);
	struct logs_watch *w;
	for (w = watches; w; w = w->next)
		if (str_eq(w->key, key))
			break;
	if (w) {
		w->refs++;
		pthread_mutex_unlock(&w_lock);
		return w;
	}
	w = xcalloc(1, sizeof *w);
	snprintf(w->key, sizeof w->key, "%s", key);
	snprintf(w->env_id, sizeof w->env_id, "%s", env_id);
	snprintf(w->container, sizeof w->container, "%s", container);
	w->refs = 1;
	struct fol *f = xcalloc(1, sizeof *f);
	f->w = w;
	f->level = LOGL_INFO;
	f->since = now_ns() - 10 * 1000000000LL; /* a little before: subscribers skip what they have */
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &at, fol_main, f);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		pthread_mutex_unlock(&w_lock);
		free(f);
		free(w);
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot start a log follower");
		return NULL;
	}
	w->next = watches;
	watches = w;
	pthread_mutex_unlock(&w_lock);
	return w;
}

void ops_logs_unwatch(struct logs_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w_lock);
	w->refs--;
	pthread_mutex_unlock(&w_lock);
}
