/* env_container.c: containers converge: created, kept when identical (a hash label), or
 * replaced. */
#include <string.h>
#include <sodium.h>

#include "ops/env_int.h"
#include "ops/logs.h"

/* Hash of a container spec plus its files, kept in a label: equal hash, nothing to do. */
static void spec_hash(json_t *spec, const struct efile *files, size_t n, char out[17])
{
	char *s = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char h[8];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)s, strlen(s));
	for (size_t i = 0; i < n; i++) {
		crypto_generichash_update(&st, (const unsigned char *)files[i].path, strlen(files[i].path));
		crypto_generichash_update(&st, (const unsigned char *)files[i].data, files[i].len);
	}
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 17, h, sizeof h);
	free(s);
}

/* Creates (or keeps, when identical) a container, puts its files, starts it. *changed tells
 * whether it was (re)created. force recreates in any case (hard restart). */
int converge_container(struct engine *e, struct job *j, const char *name, json_t *spec,
		       const char *files_dir, const struct efile *files, size_t nfiles,
		       bool force, bool *changed, struct berr *err)
{
	if (!spec)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "internal: no container spec for %s", name);
	char hash[17];
	spec_hash(spec, files, nfiles, hash);
	json_object_set_new(json_object_get(spec, "Labels"), "berth.hash", json_string(hash));
	json_t *cur = engine_container_inspect(e, name);
	const char *cur_hash = cur ? S(json_object_get(json_object_get(cur, "Config"), "Labels"),
				       "berth.hash") : NULL;
	/* a container that was created but never started is what an interrupted converge
	 * leaves (its files may be missing): recreate it */
	bool created_only = cur && str_eq(S(json_object_get(cur, "State"), "Status"), "created");
	bool same = cur && str_eq(cur_hash, hash) && !force && !created_only;
	bool running = cur && json_is_true(json_object_get(json_object_get(cur, "State"), "Running"));
	json_decref(cur);
	if (changed)
		*changed = !(same && running); /* false: it was there, identical and running */
	if (same) {
		if (running)
			return 0;
		job_log(j, "starting %s", name);
		return engine_container_start(e, name, err);
	}
	if (cur_hash || running || cur) {
		job_log(j, "replacing %s", name);
		/* its log first, into the environment's log volume (ops/logs.h) */
		struct berr le = {0};
		if (ops_logs_archive(e, name, &le) < 0)
			job_log(j, "warning: the log of %s was not kept: %s", name, le.message);
		if (engine_container_remove(e, name, err) < 0)
			return -1;
	} else {
		job_log(j, "creating %s", name);
	}
	if (engine_container_create(e, name, spec, err) < 0)
		return -1;
	if (nfiles && engine_put_files(e, name, files_dir, files, nfiles, err) < 0)
		return -1;
	return engine_container_start(e, name, err);
}

json_t *host_config(const char *net, int cpu_c, long long mem_mb, long long reserve_mb,
		    long long shm_mb, const char *restart)
{
	json_t *hc = json_pack("{s:s,s:{s:s},s:I}", "NetworkMode", net, "RestartPolicy", "Name", restart,
			       "ShmSize", (json_int_t)shm_mb * 1024 * 1024);
	if (cpu_c > 0)
		json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)cpu_c * 10000000LL));
	if (mem_mb > 0)
		json_object_set_new(hc, "Memory", json_integer((json_int_t)mem_mb * 1024 * 1024));
	if (reserve_mb > 0)
		json_object_set_new(hc, "MemoryReservation", json_integer((json_int_t)reserve_mb * 1024 * 1024));
	json_object_set_new(hc, "LogConfig", json_pack("{s:s,s:{s:s,s:s}}", "Type", "json-file",
						       "Config", "max-size", "20m", "max-file", "3"));
	return hc;
}

const char *restart_policy(const struct envrt *rt)
{
	return json_is_true(json_object_get(rt->settings, "auto_restart")) ? "unless-stopped" : "no";
}
