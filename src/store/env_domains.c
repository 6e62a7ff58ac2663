/* env_domains.c: extra domains and what the Domain settings show (see env_domains.h). */
#include "store/env_domains.h"

#include "store/db.h"

int env_domains_set(const char *env_id, json_t *domains)
{
	if (db_exec("DELETE FROM env_domains WHERE env_id=?", "s", env_id) < 0)
		return -1;
	size_t i;
	json_t *d;
	json_array_foreach(domains, i, d) {
		if (!json_is_string(d))
			continue;
		int rc = db_exec("INSERT INTO env_domains(domain, env_id) VALUES(?, ?)", "ss",
				 json_string_value(d), env_id);
		if (rc < 0)
			return rc; /* -2: another environment's (the primary key) */
	}
	return 0;
}

char *env_domain_owner(const char *domain, const char *sub, const char *exclude_env)
{
	return db_str("SELECT id FROM environments WHERE id IS NOT ?3 AND"
		      " ((?2 IS NOT NULL AND subdomain=?2) OR custom_domain=?1)"
		      " UNION ALL SELECT env_id FROM env_domains WHERE domain=?1 AND env_id IS NOT ?3"
		      " LIMIT 1",
		      "sss", domain, sub, exclude_env);
}

json_t *env_domains_server(const char *env_id)
{
	return db_row("SELECT s.host, s.transport, s.cloudflare_proxy, e.tls_status, e.tls_error"
		      " FROM servers s"
		      " JOIN environments e ON e.vm_id=s.id WHERE e.id=?",
		      "s", env_id);
}

json_t *env_domains_certs(const char *env_id)
{
	return db_rows("SELECT domain, source, status, not_after, error FROM certificates"
		       " WHERE env_id=? ORDER BY domain",
		       "s", env_id);
}
