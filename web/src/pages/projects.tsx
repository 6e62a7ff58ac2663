// Projects: the list, creating a project, and a project's page with its environments.
import { useState } from "preact/hooks";
import { ApiError, del, get, patch, post } from "../api";
import { navigate } from "../router";
import { useSession } from "../session";
import { Async, Empty, ErrorBox, Field, Link, Modal, StageBadge, StatusDot, fmtCPU, fmtMB, toast, useAsync } from "../ui";
import { validBranch, validGitUrl } from "../rules";
import { useOrgEvents, usePollWithoutStream } from "../events";

/** The caller's effective permissions on a project (GET /projects/{id}/permissions): the
 * buttons shown; the API refuses anyway. Empty while loading or when it fails. */
export function useProjectPerms(id: string): Set<string> {
  const p = useAsync(() => get<{ permissions: string[] }>(`/projects/${id}/permissions`), [id]);
  return new Set(p.data?.permissions || []);
}

export const ODOO_VERSIONS = ["16.0", "17.0", "18.0", "19.0"];

export function ProjectsPage() {
  const s = useSession();
  const org = s.org.id;
  const list = useAsync(() => get<any[]>(`/orgs/${org}/projects`), [org]);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ id: string; url: string; secret: string; key?: string } | null>(null);
  return (
    <section>
      <div class="page-head">
        <h1>Projects</h1>
        {s.perms.has("project.create") && !creating && (
          <button type="button" class="btn primary" onClick={() => setCreating(true)}>New project</button>
        )}
      </div>
      {creating && (
        <NewProjectForm
          onCancel={() => setCreating(false)}
          onCreated={(p) => {
            setCreating(false);
            toast(`Project ${p.name} created`);
            setSecret({ id: p.id, url: p.webhook_url, secret: p.webhook_secret, key: p.deploy_public_key || undefined });
            list.reload(true);
          }}
        />
      )}
      {secret && (
        <Modal title="Project created" onClose={() => navigate(`/projects/${secret.id}`)}>
          <p>Give your git forge this webhook so pushes deploy. The secret is shown only now.</p>
          <dl class="kv">
            <dt>Webhook URL</dt><dd><code>{secret.url}</code></dd>
            <dt>Webhook secret</dt><dd><code class="secret">{secret.secret}</code></dd>
            {secret.key && (<><dt>Deploy key (public)</dt><dd><code class="wrap">{secret.key}</code></dd></>)}
          </dl>
          <div class="actions">
            <button type="button" class="btn primary" onClick={() => navigate(`/projects/${secret.id}`)}>Open the project</button>
          </div>
        </Modal>
      )}
      <Async s={list} what="Loading projects">
        {(ps) =>
          ps.length === 0 ? (
            <Empty>
              No projects yet.{" "}
              {s.perms.has("project.create") ? "Create one with New project." : "Ask an administrator to create one."}
            </Empty>
          ) : (
            <div class="table-wrap card">
              <table>
                <thead>
                  <tr><th>Name</th><th>Odoo</th><th>Repository</th><th>Default branch</th><th>Environments</th></tr>
                </thead>
                <tbody>
                  {ps.map((p) => (
                    <tr key={p.id}>
                      <td><Link href={`/projects/${p.id}`}>{p.name}</Link></td>
                      <td>{p.odoo_version}</td>
                      <td class="ellipsis">{p.repository_url || <span class="muted">none</span>}</td>
                      <td>{p.default_branch}</td>
                      <td>{p.environment_count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </section>
  );
}

function NewProjectForm(props: { onCancel: () => void; onCreated: (p: any) => void }) {
  const s = useSession();
  const [f, setF] = useState({
    name: "", odoo_version: "18.0", repository_url: "", default_branch: "main",
    auth: "none", access_token: "", git_username: "", deploy_key: "", poll_interval_s: "0",
  });
  const [err, setErr] = useState<ApiError | null>(null);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [busy, setBusy] = useState(false);
  const poll = Number(f.poll_interval_s);
  const errors: Record<string, string | null> = {
    name: !f.name.trim() ? "Name the project." : f.name.length > 100 ? "At most 100 characters." : null,
    repository_url: f.repository_url ? validGitUrl(f.repository_url) : null,
    default_branch: validBranch(f.default_branch),
    access_token: f.auth === "token" && /\s/.test(f.access_token) ? "No spaces." : f.auth === "token" && !f.access_token ? "Enter the access token." : null,
    git_username: /[\s:]/.test(f.git_username) ? "No spaces or ':'." : null,
    deploy_key: f.auth === "key" && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(f.deploy_key) ? "Paste an OpenSSH private key (without a passphrase)." : null,
    poll_interval_s: !Number.isInteger(poll) || (poll !== 0 && (poll < 10 || poll > 86400)) ? "0 (no polling) or 10 to 86400 seconds." : null,
  };
  const show = (k: string) => (touched[k] ? errors[k] : null) || (err?.field === k ? err.message : null);
  const set = (k: string) => (e: Event) => {
    setF({ ...f, [k]: (e.target as HTMLInputElement).value });
    setTouched({ ...touched, [k]: true });
  };
  const valid = Object.values(errors).every((x) => !x);
  async function submit(e: Event) {
    e.preventDefault();
    setTouched(Object.fromEntries(Object.keys(errors).map((k) => [k, true])));
    if (!valid) return;
    const body: Record<string, unknown> = { name: f.name.trim(), odoo_version: f.odoo_version, default_branch: f.default_branch, poll_interval_s: poll };
    if (f.repository_url) body.repository_url = f.repository_url;
    if (f.auth === "token") {
      body.access_token = f.access_token;
      if (f.git_username) body.git_username = f.git_username;
    }
    if (f.auth === "generate") body.deploy_key = "generate";
    if (f.auth === "key") body.deploy_key = f.deploy_key;
    setBusy(true);
    setErr(null);
    try {
      props.onCreated(await post(`/orgs/${s.org.id}/projects`, body));
    } catch (x) {
      setErr(x as ApiError);
      setBusy(false);
    }
  }
  return (
    <form class="card form" onSubmit={submit} noValidate aria-label="New project">
      <h2>New project</h2>
      {err && <div class="banner error" role="alert">{err.message}</div>}
      <div class="cols">
        <Field id="p-name" label="Name" error={show("name")}>
          <input id="p-name" value={f.name} onInput={set("name")} required />
        </Field>
        <Field id="p-version" label="Odoo version" error={show("odoo_version")}>
          <select id="p-version" value={f.odoo_version} onChange={set("odoo_version")}>
            {ODOO_VERSIONS.map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        </Field>
      </div>
      <Field id="p-repo" label="Repository URL (optional)" hint="https://, ssh://, git@host:path, or a local path the administrator allowed." error={show("repository_url")}>
        <input id="p-repo" value={f.repository_url} onInput={set("repository_url")} placeholder="https://github.com/acme/odoo-addons.git" />
      </Field>
      <div class="cols">
        <Field id="p-branch" label="Default branch" error={show("default_branch")}>
          <input id="p-branch" value={f.default_branch} onInput={set("default_branch")} />
        </Field>
        <Field id="p-poll" label="Poll interval (seconds)" hint="0: no polling (use the webhook)." error={show("poll_interval_s")}>
          <input id="p-poll" type="number" min={0} max={86400} value={f.poll_interval_s} onInput={set("poll_interval_s")} />
        </Field>
      </div>
      <Field id="p-auth" label="Repository credentials">
        <select id="p-auth" value={f.auth} onChange={set("auth")}>
          <option value="none">None (public repository)</option>
          <option value="token">HTTPS access token</option>
          <option value="generate">Generate an SSH deploy key</option>
          <option value="key">Paste an SSH deploy key</option>
        </select>
      </Field>
      {f.auth === "token" && (
        <div class="cols">
          <Field id="p-token" label="Access token" error={show("access_token")}>
            <input id="p-token" type="password" autocomplete="off" value={f.access_token} onInput={set("access_token")} />
          </Field>
          <Field id="p-user" label="Git user name (optional)" hint="Default x-access-token." error={show("git_username")}>
            <input id="p-user" value={f.git_username} onInput={set("git_username")} />
          </Field>
        </div>
      )}
      {f.auth === "key" && (
        <Field id="p-key" label="Deploy key (private)" error={show("deploy_key")}>
          <textarea id="p-key" rows={5} value={f.deploy_key} onInput={set("deploy_key")} />
        </Field>
      )}
      <div class="actions">
        <button type="button" class="btn" onClick={props.onCancel}>Cancel</button>
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Creating…" : "Create project"}</button>
      </div>
    </form>
  );
}

const STAGES: [string, string][] = [
  ["production", "Production"],
  ["staging", "Staging"],
  ["development", "Development"],
];

export function ProjectPage({ id }: { id: string }) {
  const perms = useProjectPerms(id);
  const project = useAsync(() => get<any>(`/projects/${id}`), [id]);
  const envs = useAsync(() => get<any[]>(`/projects/${id}/environments`), [id]);
  // status dots change in place on the organization's events (polling only without the stream)
  useOrgEvents(({ type, data }) => {
    if (type === "environment.status" && data.project_id === id) {
      envs.mutate((l) => l.map((e) => (e.id === data.id ? { ...e, status: data.status, status_reason: data.status_reason } : e)));
      envs.reload(true); // a new or removed environment, its other fields
    } else if (type === "job.finished" && data.project_id === id) {
      envs.reload(true); // a removal's end takes the environment off the list
    } else if (type === "reset") {
      envs.reload(true);
      project.reload(true);
    }
  });
  usePollWithoutStream(() => envs.reload(true), 5000);
  const [rotated, setRotated] = useState<any>(null);
  const [rotErr, setRotErr] = useState<string | null>(null);
  async function rotate() {
    setRotErr(null);
    try {
      setRotated(await post(`/projects/${id}/webhook/rotate`));
    } catch (e) {
      setRotErr((e as Error).message);
    }
  }
  return (
    <Async s={project} what="Loading the project">
      {(p) => (
        <section>
          <nav class="crumbs" aria-label="Breadcrumb"><Link href="/projects">Projects</Link> / {p.name}</nav>
          <div class="page-head">
            <div>
              <h1>{p.name}</h1>
              <p class="sub">Odoo {p.odoo_version} · {p.repository_url || "no repository"} · default branch {p.default_branch}</p>
            </div>
            {perms.has("project.environments.create") && (
              <Link class="btn primary" href={`/projects/${id}/environments/new`}>Add Environment</Link>
            )}
          </div>
          {p.last_poll_error && <div class="banner warn">Last poll failed: {p.last_poll_error}</div>}
          <h2>Environments</h2>
          <Async s={envs} what="Loading environments">
            {(list) =>
              list.length === 0 ? (
                <Empty>
                  No environments yet.{" "}
                  {perms.has("project.environments.create") && <Link href={`/projects/${id}/environments/new`}>Add one</Link>}
                </Empty>
              ) : (
                <div class="stages">
                  {STAGES.map(([t, label]) => {
                    const group = list.filter((e) => e.environment_type === t);
                    return (
                      <div class="stage" key={t}>
                        <h3>{label} <span class="muted">({group.length})</span></h3>
                        {group.length === 0 ? (
                          <p class="muted small">None.</p>
                        ) : (
                          <ul class="env-list">
                            {group.map((e) => (
                              <li key={e.id}>
                                <Link href={`/environments/${e.id}`} class="env-card">
                                  <span class="env-title"><StatusDot status={e.status} /> <strong>{e.name}</strong> <StageBadge type={e.environment_type} /></span>
                                  <span class="muted small">{e.git_branch} · {e.url}</span>
                                  <span class="muted small">{fmtCPU(e.cpu_cores)} CPU · {fmtMB(e.ram_mb)} · {e.disk_gb} GB · on {e.server_name}</span>
                                </Link>
                              </li>
                            ))}
                          </ul>
                        )}
                      </div>
                    );
                  })}
                </div>
              )
            }
          </Async>
          <div class="card">
            <h2>Webhook</h2>
            <p>Point your forge's push webhook (content type application/json) at:</p>
            <p><code class="wrap">{p.webhook_url}</code></p>
            {rotErr && <ErrorBox error={rotErr} />}
            {perms.has("project.update") && (
              <button type="button" class="btn" onClick={rotate}>Rotate the webhook secret</button>
            )}
            {rotated && (
              <p class="banner info">New secret (shown only now; the old one no longer works): <code class="secret">{rotated.webhook_secret}</code></p>
            )}
            {p.deploy_public_key && (
              <>
                <h3>Deploy key</h3>
                <p>Add this public key to the repository (with write access to merge from berth):</p>
                <code class="wrap block">{p.deploy_public_key}</code>
              </>
            )}
          </div>
          {perms.has("project.update") && (
            <ProjectSettings perms={perms} project={p} envCount={envs.data?.length ?? p.environment_count} onSaved={() => project.reload(true)} />
          )}
        </section>
      )}
    </Async>
  );
}

/** Project settings (PATCH /projects/{id}) and deletion (DELETE, refused while it has environments). */
function ProjectSettings({ perms, project, envCount, onSaved }: { perms: Set<string>; project: any; envCount: number; onSaved: () => void }) {
  const [f, setF] = useState({
    name: project.name, odoo_version: project.odoo_version, repository_url: project.repository_url || "",
    default_branch: project.default_branch, poll_interval_s: String(project.poll_interval_s), auth: "keep",
    access_token: "", git_username: project.git_username || "", deploy_key: "",
  });
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [confirm, setConfirm] = useState("");
  const poll = Number(f.poll_interval_s);
  const errors: Record<string, string | null> = {
    name: !f.name.trim() ? "Name the project." : f.name.length > 100 ? "At most 100 characters." : null,
    repository_url: f.repository_url ? validGitUrl(f.repository_url) : null,
    default_branch: validBranch(f.default_branch),
    poll_interval_s: !Number.isInteger(poll) || (poll !== 0 && (poll < 10 || poll > 86400)) ? "0 (no polling) or 10 to 86400 seconds." : null,
    access_token: f.auth === "token" && (!f.access_token || /\s/.test(f.access_token)) ? "Enter the access token (no spaces)." : null,
    git_username: /[\s:]/.test(f.git_username) ? "No spaces or ':'." : null,
    deploy_key: f.auth === "key" && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(f.deploy_key) ? "Paste an OpenSSH private key (without a passphrase)." : null,
  };
  const show = (k: string) => errors[k] || (err?.field === k ? err.message : null);
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  async function save(e: Event) {
    e.preventDefault();
    if (Object.values(errors).some((x) => x)) return;
    const body: Record<string, unknown> = {};
    if (f.name.trim() !== project.name) body.name = f.name.trim();
    if (f.odoo_version !== project.odoo_version) body.odoo_version = f.odoo_version;
    if (f.repository_url !== (project.repository_url || "")) body.repository_url = f.repository_url || null;
    if (f.default_branch !== project.default_branch) body.default_branch = f.default_branch;
    if (poll !== project.poll_interval_s) body.poll_interval_s = poll;
    if (f.git_username !== (project.git_username || "")) body.git_username = f.git_username || null;
    if (f.auth === "token") body.access_token = f.access_token;
    if (f.auth === "generate") body.deploy_key = "generate";
    if (f.auth === "key") body.deploy_key = f.deploy_key;
    if (f.auth === "none") {
      body.access_token = null;
      body.deploy_key = null;
    }
    setBusy(true);
    setErr(null);
    try {
      await patch(`/projects/${project.id}`, body);
      toast("Project settings saved");
      setF({ ...f, auth: "keep", access_token: "", deploy_key: "" });
      onSaved();
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }
  async function remove() {
    try {
      await del(`/projects/${project.id}`);
      toast(`Project ${project.name} deleted`);
      navigate("/projects");
    } catch (x) {
      setErr(x as ApiError);
      setDeleting(false);
    }
  }
  const creds = project.has_access_token ? "an HTTPS access token" : project.has_deploy_key ? "an SSH deploy key" : "none";
  return (
    <form class="card form" onSubmit={save} noValidate aria-label="Project settings">
      <h2>Settings</h2>
      {err && <div class="banner error" role="alert">{err.message}</div>}
      <div class="cols">
        <Field id="ps-name" label="Name" error={show("name")}>
          <input id="ps-name" value={f.name} onInput={set("name")} />
        </Field>
        <Field id="ps-version" label="Odoo version" error={show("odoo_version")}
          hint={envCount > 0 ? "Cannot change while the project has environments." : "Applies to new deploys."}>
          <select id="ps-version" value={f.odoo_version} disabled={envCount > 0} onChange={set("odoo_version")}>
            {ODOO_VERSIONS.map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        </Field>
      </div>
      <Field id="ps-repo" label="Repository URL" hint="Empty: no repository." error={show("repository_url")}>
        <input id="ps-repo" value={f.repository_url} onInput={set("repository_url")} />
      </Field>
      <div class="cols">
        <Field id="ps-branch" label="Default branch" hint="The production branch; changing it does not redeploy." error={show("default_branch")}>
          <input id="ps-branch" value={f.default_branch} onInput={set("default_branch")} />
        </Field>
        <Field id="ps-poll" label="Poll interval (seconds)" hint="0: no polling." error={show("poll_interval_s")}>
          <input id="ps-poll" type="number" min={0} max={86400} value={f.poll_interval_s} onInput={set("poll_interval_s")} />
        </Field>
      </div>
      <Field id="ps-auth" label="Repository credentials" hint={`Stored now: ${creds}.`}>
        <select id="ps-auth" value={f.auth} onChange={set("auth")}>
          <option value="keep">Keep</option>
          <option value="token">Replace with an HTTPS access token</option>
          <option value="generate">Generate a new SSH deploy key</option>
          <option value="key">Paste an SSH deploy key</option>
          <option value="none">Remove the credentials</option>
        </select>
      </Field>
      {f.auth === "token" && (
        <div class="cols">
          <Field id="ps-token" label="Access token" error={show("access_token")}>
            <input id="ps-token" type="password" autocomplete="off" value={f.access_token} onInput={set("access_token")} />
          </Field>
          <Field id="ps-user" label="Git user name (optional)" error={show("git_username")}>
            <input id="ps-user" value={f.git_username} onInput={set("git_username")} />
          </Field>
        </div>
      )}
      {f.auth === "key" && (
        <Field id="ps-key" label="Deploy key (private)" error={show("deploy_key")}>
          <textarea id="ps-key" rows={5} value={f.deploy_key} onInput={set("deploy_key")} />
        </Field>
      )}
      <div class="actions">
        {perms.has("project.delete") && (
          <button type="button" class="btn red" onClick={() => setDeleting(true)}>Delete project</button>
        )}
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Saving…" : "Save settings"}</button>
      </div>
      {deleting && (
        <Modal title="Delete project" onClose={() => setDeleting(false)}>
          {envCount > 0 ? (
            <p>The project still has {envCount} environment{envCount === 1 ? "" : "s"}: remove them first.</p>
          ) : (
            <p>This deletes <strong>{project.name}</strong> and berth's mirror of its repository. It cannot be undone.</p>
          )}
          <div class="field">
            <label for="ps-confirm">Type the project's name to confirm</label>
            <input id="ps-confirm" value={confirm} autocomplete="off" onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
          </div>
          <div class="actions">
            <button type="button" class="btn" onClick={() => setDeleting(false)}>Cancel</button>
            <button type="button" class="btn red" disabled={confirm !== project.name} onClick={remove}>Delete</button>
          </div>
        </Modal>
      )}
    </form>
  );
}
