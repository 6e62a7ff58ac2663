/* connect.c: Connect As User (ops/connect.h). One constant Python script runs in the
 * environment's Odoo container (`python3 -c`, values in the exec's environment, never in its
 * argv) with Odoo's own modules: odoo.tools.config, odoo.http.root.session_store,
 * odoo.modules.registry.Registry, res.users._compute_session_token (which modules such as
 * auth_totp extend: berth never computes the token itself), res.device.log on 18+. The
 * session id it prints goes only into the edge's token file (docs/connect.md). */
#include "ops/connect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "ops/env_int.h"
#include "render/connect_script.h"

#define MARK "BERTH-JSON "
#define TOKEN_DIR "/var/lib/berth-connect"

/* The JSON object after the last MARK line of the output, or NULL. */
static json_t *script_result(const char *out)
{
	const char *p = NULL;
	for (const char *s = out; (s = strstr(s, MARK)); s += strlen(MARK))
		if (s == out || s[-1] == '\n')
			p = s;
	if (!p)
		return NULL;
	p += strlen(MARK);
	size_t n = strcspn(p, "\n");
	json_t *o = json_loadb(p, n, 0, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* Runs the script with envv in the Odoo container; its result object, or NULL with err. The
 * output may hold a session id: it is wiped and never logged. */
static json_t *run_script(struct engine *e, const struct envrt *rt, const char *const *envv,
			  struct berr *err)
{
	json_t *c = engine_container_inspect(e, rt->odoo);
	bool running = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	if (!running) {
		berr_set(err, BE_CONFLICT, NULL, "Odoo is not running in the environment");
		return NULL;
	}
	const char *argv[] = {"python3", "-c", RENDER_CONNECT_SCRIPT, NULL};
	struct sbuf out = SBUF_INIT;
	int code = -1;
	json_t *r = NULL;
	if (engine_exec_env(e, rt->odoo, argv, envv, NULL, &code, &out, err) == 0) {
		r = script_result(sbuf_str(&out));
		if (!r)
			berr_set(err, BE_INTERNAL_ERROR, NULL,
				 "the session script gave no answer (exit status %d)", code);
	}
	if (out.buf)
		sodium_memzero(out.buf, out.len);
	sbuf_release(&out);
	return r;
}

static int open_env(const char *env_id, struct envrt *rt, struct engine **e, struct berr *err)
{
	if (envrt_load(rt, env_id, err) < 0)
		return -1;
	*e = engine_open_server(rt->server_id, err);
	if (!*e) {
		envrt_free(rt);
		return -1;
	}
	return 0;
}

static const char *str_or_null(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s;
}

/* A user object of the script's answer, with the API's keys and types only. */
static json_t *user_out(json_t *u)
{
	json_t *devs = json_array();
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(u, "devices"), i, d) {
		if (!json_is_object(d))
			continue;
		json_array_append_new(devs, json_pack("{s:s?,s:s?,s:s?,s:s?}", "browser",
						      str_or_null(d, "browser"), "platform",
						      str_or_null(d, "platform"), "ip_address",
						      str_or_null(d, "ip_address"), "last_activity",
						      str_or_null(d, "last_activity")));
	}
	return json_pack("{s:I,s:s,s:s,s:b,s:s?,s:o}", "id",
			 (json_int_t)json_integer_value(json_object_get(u, "id")), "name",
			 str_or_null(u, "name") ? str_or_null(u, "name") : "", "login",
			 str_or_null(u, "login") ? str_or_null(u, "login") : "", "logged_in",
			 json_is_true(json_object_get(u, "logged_in")), "last_activity",
			 str_or_null(u, "last_activity"), "devices", devs);
}

json_t *ops_connect_sessions(const char *env_id, const char *q, struct berr *err)
{
	struct envrt rt;
	struct engine *e;
	if (open_env(env_id, &rt, &e, err) < 0)
		return NULL;
	struct sbuf vdb = SBUF_INIT, vq = SBUF_INIT;
	sbuf_addf(&vdb, "BERTH_DB=%s", rt.db_name);
	sbuf_addf(&vq, "BERTH_Q=%s", q ? q : "");
	const char *envv[] = {"BERTH_OP=list", "BERTH_RC=/etc/odoo/odoo.conf", sbuf_str(&vdb),
			      sbuf_str(&vq), NULL};
	json_t *r = run_script(e, &rt, envv, err);
	sbuf_release(&vdb);
	sbuf_release(&vq);
	engine_close(e);
	envrt_free(&rt);
	if (!r)
		return NULL;
	json_t *users = json_object_get(r, "users");
	if (!json_is_array(users)) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "listing the sessions failed: %.300s",
			 str_or_null(r, "error") ? str_or_null(r, "error") : "no answer");
		json_decref(r);
		return NULL;
	}
	json_t *list = json_array();
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
		if (json_is_object(u) && json_array_size(list) < 200)
			json_array_append_new(list, user_out(u));
	json_decref(r);
	return json_pack("{s:o}", "users", list);
}

/* The token file: expiry, host, "s" (Secure) or "-", session id, the web client's path. */
static char *token_file(const struct envrt *rt, const struct connect_req *rq, const char *sid,
			int64_t expires)
{
	/* Odoo 18 moved the web client to /odoo (/web redirects there) */
	int major = atoi(rt->version ? rt->version : "0");
	struct sbuf s = SBUF_INIT;
	sbuf_addf(&s, "%lld\n%s\n%s\n%s\n%s\n", (long long)expires, rq->host,
		  rq->secure ? "s" : "-", sid, major >= 18 ? "/odoo" : "/web");
	return sbuf_detach(&s);
}

static bool sid_ok(const char *sid)
{
	size_t n = sid ? strlen(sid) : 0;
	if (n < 20 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)sid[i]) || sid[i] == '_' || sid[i] == '-'))
			return false;
	return true;
}

static bool host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;
	if (!n || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)h[i]) || isdigit((unsigned char)h[i]) || h[i] == '.' ||
		      h[i] == '-'))
			return false;
	return true;
}

int ops_connect_grant(const char *env_id, const struct connect_req *rq, struct connect_grant *g,
		      struct berr *err)
{
	memset(g, 0, sizeof *g);
	if (!host_ok(rq->host))
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "the environment has no usable domain");
	struct envrt rt;
	struct engine *e;
	if (open_env(env_id, &rt, &e, err) < 0)
		return -1;
	struct sbuf vdb = SBUF_INIT, vuser = SBUF_INIT;
	sbuf_addf(&vdb, "BERTH_DB=%s", rt.db_name);
	if (rq->user_id > 0)
		sbuf_addf(&vuser, "BERTH_UID=%lld", (long long)rq->user_id);
	else
		sbuf_addf(&vuser, "BERTH_LOGIN=%s", rq->login ? rq->login : "");
	const char *envv[] = {"BERTH_OP=mint", "BERTH_RC=/etc/odoo/odoo.conf", sbuf_str(&vdb),
			      sbuf_str(&vuser), NULL};
	int rc = -1;
	char *file = NULL;
	json_t *r = run_script(e, &rt, envv, err);
	sbuf_release(&vdb);
	sbuf_release(&vuser);
	if (!r)
		goto out;
	const char *sid = str_or_null(r, "sid");
	json_t *u = json_object_get(r, "user");
	if (str_eq(str_or_null(r, "error"), "not_found")) {
		berr_set(err, BE_NOT_FOUND, rq->user_id > 0 ? "user_id" : "login",
			 "%s: no active user of the environment's database has it",
			 rq->user_id > 0 ? "user_id" : "login");
		goto out;
	}
	if (!sid_ok(sid) || !json_is_object(u)) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "creating the session failed: %.300s",
			 str_or_null(r, "error") ? str_or_null(r, "error") : "no session");
		goto out;
	}
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(g->token, sizeof g->token, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	g->expires = (int64_t)time(NULL) + CONNECT_TTL_S;
	file = token_file(&rt, rq, sid, g->expires);
	char edge[32], sites[40];
	ops_edge_names(rt.server_id, edge, sites);
	/* the token's file (0644 in the workers' 0700 directory: only they and root read it) */
	struct efile f = {g->token, file, strlen(file), 0644};
	if (engine_put_files(e, edge, TOKEN_DIR, &f, 1, err) < 0)
		goto out;
	/* stale tokens (expired, never used) and claimed files left by a crash go: by their
	 * change time (the archive API sets their mtime to the tar's, 0) */
	const char *sweep[] = {"find", TOKEN_DIR, "-mindepth", "1", "-maxdepth", "1", "-type", "f",
			       "-cmin", "+2", "-delete", NULL};
	struct sbuf so = SBUF_INIT;
	struct berr e2 = {0};
	int code;
	engine_exec(e, edge, sweep, NULL, &code, &so, &e2);
	sbuf_release(&so);
	g->user = json_pack("{s:I,s:s,s:s}", "id",
			    (json_int_t)json_integer_value(json_object_get(u, "id")), "login",
			    str_or_null(u, "login") ? str_or_null(u, "login") : "", "name",
			    str_or_null(u, "name") ? str_or_null(u, "name") : "");
	rc = 0;
out:
	if (file) {
		sodium_memzero(file, strlen(file));
		free(file);
	}
	if (r) {
		json_t *s = json_object_get(r, "sid");
		if (json_is_string(s) && json_string_length(s))
			sodium_memzero((void *)json_string_value(s), json_string_length(s));
		json_decref(r);
	}
	engine_close(e);
	envrt_free(&rt);
	if (rc < 0)
		memset(g->token, 0, sizeof g->token);
	return rc;
}

void connect_grant_free(struct connect_grant *g)
{
	json_decref(g->user);
	sodium_memzero(g->token, sizeof g->token);
	g->user = NULL;
}
