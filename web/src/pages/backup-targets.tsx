// Backup targets of the organization: where backups are kept. The built-in "local" target (a
// directory on berthd's host), SFTP to any SSH host (host key pinned by the first successful
// test) and S3-compatible object storage. Listed with environment.backup; added, tested, made
// default and deleted with org.update. Secrets are write-only: berthd never returns them.
// Loaded on first use (its own chunk).
import { useState } from "preact/hooks";
import { ApiError, del, get, patch, post } from "../api";
import { useSession } from "../session";
import { Async, Empty, ErrorBox, Field, Modal, Toggle, fmtDate, toast, useAsync } from "../ui";

interface Target {
  id: string;
  name: string;
  kind: "local" | "sftp" | "s3";
  is_default: boolean;
  config: Record<string, any>;
  has_secret: boolean;
  created_at: string;
  updated_at: string;
}

function where(t: Target) {
  const c = t.config || {};
  if (t.kind === "local") return "A directory on berthd's host";
  if (t.kind === "sftp") return `sftp://${c.user || "?"}@${c.host || "?"}${c.port && c.port !== 22 ? ":" + c.port : ""}${c.path ? (String(c.path).startsWith("/") ? "" : "/") + c.path : ""}`;
  return `s3://${c.bucket || "?"}${c.prefix ? "/" + c.prefix : ""} at ${c.endpoint || "?"}${c.region ? ` (${c.region})` : ""}`;
}

export function BackupTargetsPage() {
  const s = useSession();
  const org = s.org.id;
  const manage = s.perms.has("org.update");
  const list = useAsync(() => get<Target[]>(`/orgs/${org}/backup-targets`), [org]);
  const [adding, setAdding] = useState<null | "sftp" | "s3">(null);
  const [deleting, setDeleting] = useState<Target | null>(null);
  const [tested, setTested] = useState<Record<string, { ok: boolean; text: string }>>({});
  const [testing, setTesting] = useState<string | null>(null);

  async function test(t: Target) {
    setTesting(t.id);
    try {
      const r = await post<any>(`/orgs/${org}/backup-targets/${t.id}/test`);
      const key = r?.host_key || r?.config?.host_key || r?.target?.config?.host_key;
      setTested({ ...tested, [t.id]: { ok: true, text: `Test passed: a probe was written, read back and deleted.${key ? ` Host key pinned: ${key}` : ""}` } });
      list.reload(true);
    } catch (e) {
      setTested({ ...tested, [t.id]: { ok: false, text: `Test failed: ${(e as ApiError).message}` } });
    }
    setTesting(null);
  }
  async function makeDefault(t: Target) {
    try {
      await patch(`/orgs/${org}/backup-targets/${t.id}`, { is_default: true });
      toast(`${t.name} is now the default target`);
      list.reload(true);
    } catch (e) {
      toast((e as ApiError).message, "error");
    }
  }

  return (
    <section>
      <div class="page-head">
        <h1>Backup targets</h1>
        {manage && !adding && (
          <div class="row-actions">
            <button type="button" class="btn" onClick={() => setAdding("sftp")}>Add SFTP target</button>
            <button type="button" class="btn" onClick={() => setAdding("s3")}>Add S3 target</button>
          </div>
        )}
      </div>
      <p class="muted">Where backups are kept. New backups go to the default target; keep them off the server they protect with an SFTP host or S3-compatible storage. A backup is done only once its archive is on the target and its SHA-256 was checked there.</p>
      {adding && <AddTarget org={org} kind={adding} onCancel={() => setAdding(null)} onAdded={() => { setAdding(null); list.reload(true); }} />}
      <Async s={list} what="Loading backup targets">
        {(xs) =>
          xs.length === 0 ? (
            <Empty>No backup target.</Empty>
          ) : (
            <div class="table-wrap card">
              <table>
                <thead><tr><th>Name</th><th>Kind</th><th>Where</th><th>Default</th>{manage && <th>Actions</th>}</tr></thead>
                <tbody>
                  {xs.map((t) => (
                    <tr key={t.id} data-target={t.name}>
                      <td><strong>{t.name}</strong><div class="muted small">added {fmtDate(t.created_at)}</div></td>
                      <td>{t.kind === "s3" ? "S3" : t.kind === "sftp" ? "SFTP" : "Local"}</td>
                      <td>
                        <code class="wrap">{where(t)}</code>
                        {t.kind === "sftp" && (
                          <div class="small muted">Host key: {t.config?.host_key ? <code class="wrap">{t.config.host_key}</code> : "not pinned yet (the first successful test pins it)"}</div>
                        )}
                        {tested[t.id] && (
                          <div class={"small " + (tested[t.id].ok ? "ok-msg" : "field-error")} role="status" data-testid="target-test">{tested[t.id].text}</div>
                        )}
                      </td>
                      <td>{t.is_default ? <span class="badge green">default</span> : "–"}</td>
                      {manage && (
                        <td>
                          <div class="row-actions">
                            <button type="button" class="btn small" disabled={testing === t.id} onClick={() => test(t)}
                              aria-label={`Test ${t.name}`}>{testing === t.id ? "Testing…" : "Test"}</button>
                            {!t.is_default && <button type="button" class="btn small" onClick={() => makeDefault(t)} aria-label={`Make default: ${t.name}`}>Make default</button>}
                            {t.kind !== "local" && <button type="button" class="btn small red" onClick={() => setDeleting(t)} aria-label={`Delete ${t.name}`}>Delete</button>}
                          </div>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
      {deleting && (
        <Modal title="Delete backup target" onClose={() => setDeleting(null)}>
          <p>Delete the target <strong>{deleting.name}</strong>? berth forgets it and its credentials; archives already stored there are not removed from it.</p>
          <div class="actions">
            <button type="button" class="btn" onClick={() => setDeleting(null)}>Cancel</button>
            <button type="button" class="btn red" onClick={async () => {
              try {
                await del(`/orgs/${org}/backup-targets/${deleting.id}`);
                toast("Backup target deleted");
              } catch (e) {
                toast((e as ApiError).message, "error");
              }
              setDeleting(null);
              list.reload(true);
            }}>Delete</button>
          </div>
        </Modal>
      )}
    </section>
  );
}

function AddTarget({ org, kind, onCancel, onAdded }: { org: string; kind: "sftp" | "s3"; onCancel: () => void; onAdded: () => void }) {
  const [f, setF] = useState<Record<string, string>>(kind === "sftp"
    ? { name: "", host: "", port: "22", user: "", path: "backups", auth: "key", private_key: "", password: "" }
    : { name: "", endpoint: "", region: "us-east-1", bucket: "", prefix: "", access_key_id: "", secret_access_key: "" });
  const [pathStyle, setPathStyle] = useState(true);
  const [makeDefault, setMakeDefault] = useState(false);
  const [touched, setTouched] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const need = (k: string, what: string) => (!f[k].trim() ? what : null);
  const local: Record<string, string | null> = kind === "sftp"
    ? {
      name: need("name", "Name the target."),
      host: need("host", "The SSH host (name or address)."),
      port: !/^\d+$/.test(f.port) || +f.port < 1 || +f.port > 65535 ? "1 to 65535." : null,
      user: need("user", "The SSH user."),
      path: null,
      private_key: f.auth === "key" ? (!f.private_key.trim() ? "Paste the private key (OpenSSH or PEM)." : null) : null,
      password: f.auth === "password" ? need("password", "The SSH password.") : null,
    }
    : {
      name: need("name", "Name the target."),
      endpoint: !/^https?:\/\/\S+$/.test(f.endpoint) ? "An http:// or https:// URL." : null,
      region: need("region", "The region (us-east-1 when the service has none)."),
      bucket: need("bucket", "The bucket."),
      prefix: null,
      access_key_id: need("access_key_id", "The access key id."),
      secret_access_key: need("secret_access_key", "The secret access key."),
    };
  const show = (k: string) => (touched ? local[k] : null) || (err?.field && (err.field === k || err.field.endsWith("." + k)) ? err.message : null);
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  async function save(e: Event) {
    e.preventDefault();
    setTouched(true);
    if (Object.values(local).some((x) => x)) return;
    setBusy(true);
    setErr(null);
    const body: Record<string, unknown> = kind === "sftp"
      ? {
        name: f.name.trim(), kind,
        config: { host: f.host.trim(), port: +f.port, user: f.user.trim(), path: f.path.trim() },
        ...(f.auth === "key" ? { private_key: f.private_key } : { password: f.password }),
      }
      : {
        name: f.name.trim(), kind,
        config: { endpoint: f.endpoint.trim(), region: f.region.trim(), bucket: f.bucket.trim(), prefix: f.prefix.trim(), path_style: pathStyle, access_key_id: f.access_key_id.trim() },
        secret_access_key: f.secret_access_key,
      };
    if (makeDefault) body.is_default = true;
    try {
      await post(`/orgs/${org}/backup-targets`, body);
      toast(`Backup target ${f.name} added: test it`);
      onAdded();
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }
  return (
    <form class="card" aria-label={kind === "sftp" ? "New SFTP target" : "New S3 target"} onSubmit={save} noValidate>
      <h2>{kind === "sftp" ? "New SFTP target" : "New S3 target"}</h2>
      {err && !err.field && <ErrorBox error={err} />}
      <Field id="bt-name" label="Name" error={show("name")}>
        <input id="bt-name" value={f.name} onInput={set("name")} placeholder={kind === "sftp" ? "offsite" : "s3"} />
      </Field>
      {kind === "sftp" ? (
        <>
          <div class="cols">
            <Field id="bt-host" label="Host" error={show("host")}>
              <input id="bt-host" value={f.host} onInput={set("host")} placeholder="backup.example.com" autocomplete="off" />
            </Field>
            <Field id="bt-port" label="Port" error={show("port")}>
              <input id="bt-port" type="number" value={f.port} onInput={set("port")} />
            </Field>
            <Field id="bt-user" label="User" error={show("user")}>
              <input id="bt-user" value={f.user} onInput={set("user")} autocomplete="off" />
            </Field>
            <Field id="bt-path" label="Directory" error={show("path")} hint="Absolute, or relative to the user's home directory.">
              <input id="bt-path" value={f.path} onInput={set("path")} />
            </Field>
          </div>
          <fieldset class="choices field">
            <legend>Authentication</legend>
            <label class="check-row"><input type="radio" name="bt-auth" checked={f.auth === "key"} onChange={() => setF({ ...f, auth: "key" })} /> Private key</label>
            <label class="check-row"><input type="radio" name="bt-auth" checked={f.auth === "password"} onChange={() => setF({ ...f, auth: "password" })} /> Password</label>
          </fieldset>
          {f.auth === "key" ? (
            <Field id="bt-key" label="Private key" error={show("private_key")} hint="Kept sealed by berthd and never shown again.">
              <textarea id="bt-key" rows={5} value={f.private_key} onInput={set("private_key")} spellcheck={false} placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" />
            </Field>
          ) : (
            <Field id="bt-password" label="Password" error={show("password")} hint="Kept sealed by berthd and never shown again.">
              <input id="bt-password" type="password" value={f.password} onInput={set("password")} autocomplete="new-password" />
            </Field>
          )}
          <p class="small muted">The server's host key is pinned by the first successful Test and shown in the list.</p>
        </>
      ) : (
        <>
          <div class="cols">
            <Field id="bt-endpoint" label="Endpoint" error={show("endpoint")} hint="e.g. https://s3.eu-west-1.amazonaws.com">
              <input id="bt-endpoint" type="url" value={f.endpoint} onInput={set("endpoint")} autocomplete="off" />
            </Field>
            <Field id="bt-region" label="Region" error={show("region")}>
              <input id="bt-region" value={f.region} onInput={set("region")} />
            </Field>
            <Field id="bt-bucket" label="Bucket" error={show("bucket")}>
              <input id="bt-bucket" value={f.bucket} onInput={set("bucket")} />
            </Field>
            <Field id="bt-prefix" label="Prefix (optional)" error={show("prefix")}>
              <input id="bt-prefix" value={f.prefix} onInput={set("prefix")} placeholder="berth/" />
            </Field>
            <Field id="bt-access" label="Access key id" error={show("access_key_id")}>
              <input id="bt-access" value={f.access_key_id} onInput={set("access_key_id")} autocomplete="off" />
            </Field>
            <Field id="bt-secret" label="Secret access key" error={show("secret_access_key")} hint="Kept sealed by berthd and never shown again.">
              <input id="bt-secret" type="password" value={f.secret_access_key} onInput={set("secret_access_key")} autocomplete="new-password" />
            </Field>
          </div>
          <Toggle id="bt-path-style" label="Path-style addressing" checked={pathStyle} onChange={setPathStyle}
            hint="endpoint/bucket/key (MinIO, most self-hosted services); off: bucket.endpoint/key." />
        </>
      )}
      <Toggle id="bt-default" label="Make it the default target" checked={makeDefault} onChange={setMakeDefault} />
      <div class="actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Adding…" : "Add target"}</button>
      </div>
    </form>
  );
}
