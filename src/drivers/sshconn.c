#include "drivers/sshconn.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

static int fingerprint(ssh_session s, char *out, size_t len)
{
	ssh_key key = NULL;
	if (ssh_get_server_publickey(s, &key) != SSH_OK)
		return -1;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen);
	ssh_key_free(key);
	if (rc != 0)
		return -1;
	char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	ssh_clean_pubkey_hash(&hash);
	if (!fp)
		return -1;
	snprintf(out, len, "%s", fp); /* "SHA256:<base64 without padding>" like OpenSSH */
	ssh_string_free_char(fp);
	return 0;
}

ssh_session sshconn_open(const char *host, int port, const char *user, const char *private_key,
			 const char *password, const char *known_fp, char *seen_fp, int timeout_s,
			 struct berr *err)
{
	ssh_session s = ssh_new();
	if (!s) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot allocate an SSH session");
		return NULL;
	}
	long timeout = timeout_s > 0 ? timeout_s : 10;
	bool no = false;
	ssh_options_set(s, SSH_OPTIONS_HOST, host);
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, user);
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	char fp[128] = "";
	if (ssh_connect(s) != SSH_OK) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot connect to %s:%d: %s", host, port,
			 ssh_get_error(s));
		goto fail;
	}
	if (fingerprint(s, fp, sizeof fp) < 0) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot read the host key of %s", host);
		goto fail;
	}
	if (seen_fp)
		snprintf(seen_fp, 128, "%s", fp);
	if (known_fp && strcmp(known_fp, fp) != 0) {
		berr_set(err, BE_CONFLICT, NULL,
			 "host key changed: expected %s, got %s (set reset_host_key to accept it)",
			 known_fp, fp);
		goto fail;
	}
	int rc = SSH_AUTH_DENIED;
	if (private_key) {
		ssh_key key = NULL;
		if (ssh_pki_import_privkey_base64(private_key, NULL, NULL, NULL, &key) != SSH_OK) {
			berr_set(err, BE_VALIDATION_ERROR, "private_key", "the private key cannot be read");
			goto fail;
		}
		rc = ssh_userauth_publickey(s, NULL, key);
		ssh_key_free(key);
	} else if (password) {
		rc = ssh_userauth_password(s, NULL, password);
	}
	if (rc != SSH_AUTH_SUCCESS) {
		berr_set(err, BE_PERMISSION_DENIED, NULL, "authentication failed for %s@%s", user, host);
		goto fail;
	}
	return s;
fail:
	ssh_disconnect(s);
	ssh_free(s);
	return NULL;
}

ssh_session sshconn_connect(const struct engine_target *t, char *seen_fp, struct berr *err)
{
	return sshconn_open(t->host, t->port, t->user, t->private_key, t->password,
			    t->known_host_key, seen_fp, t->timeout_s, err);
}

int sshconn_exec(ssh_session s, const char *command, int *exit_code, struct sbuf *out,
		 int timeout_s, struct berr *err)
{
	ssh_channel ch = ssh_channel_new(s);
	if (!ch || ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, command) != SSH_OK) {
		if (ch)
			ssh_channel_free(ch);
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot run a command over SSH: %s",
				ssh_get_error(s));
	}
	char buf[4096];
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	int rc = 0;
	while (!ssh_channel_is_eof(ch)) {
		if (now_ms() > deadline) {
			rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "the command timed out");
			break;
		}
		for (int is_stderr = 0; is_stderr < 2; is_stderr++) {
			int n = ssh_channel_read_timeout(ch, buf, sizeof buf, is_stderr, 200);
			if (n > 0 && out && out->len < 1024 * 1024)
				sbuf_add(out, buf, (size_t)n);
		}
	}
	ssh_channel_send_eof(ch);
	*exit_code = ssh_channel_get_exit_status(ch);
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return rc;
}
