// Servers: list with status and capacity, add, Test Connection (pinned host key), prepare, delete.
import { useState } from "preact/hooks";
import { ApiError, del, get, patch, post } from "../api";
import { useSession } from "../session";
import { useOrgEvents } from "../events";
import { Async, Empty, Field, Modal, StatusDot, fmtCPU, fmtMB, toast, useAsync } from "../ui";

function cap(c: any) {
  if (!c || c.cpu_cores === null || c.cpu_cores === undefined) return "–";
  return `${fmtCPU(c.cpu_cores)} CPU · ${fmtMB(c.ram_mb)} · ${c.disk_gb} GB`;
}

export function ServersPage() {
  const s = useSession();
  const org = s.org.id;
  const list = useAsync(() => get<any[]>(`/orgs/${org}/servers`), [org]);
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [tested, setTested] = useState<any>(null);
  const [deleting, setDeleting] = useState<any>(null);
  const [editing, setEditing] = useState<any>(null);
  const manage = s.perms.has("server.manage");
  // status dots change in place on the organization's server.status events; a finished job on
  // a server (prepare, an environment's removal: the counts) or a reset reloads the list
  useOrgEvents(({ type, data }) => {
    if (type === "server.status")
      list.mutate((xs) => xs.map((x) => (x.id === data.id ? { ...x, status: data.status, status_reason: data.status_reason } : x)));
    if ((type === "job.finished" && data.server_id) || type === "reset" ||
        (type === "server.status" && !list.data?.some((x) => x.id === data.id)))
      list.reload(true);
  });

  async function test(x: any) {
    setBusy(x.id);
    try {
      const r = await post(`/servers/${x.id}/test`);
      setTested(r);
      list.reload(true);
    } catch (e) {
      toast(`Test failed: ${(e as Error).message}`, "error");
    }
    setBusy(null);
  }
  async function prepare(x: any) {
    try {
      await post(`/servers/${x.id}/prepare`);
      toast(`Preparing ${x.name}: Docker is being installed`);
      list.reload(true);
    } catch (e) {
      toast(`Prepare failed: ${(e as Error).message}`, "error");
    }
  }
  return (
    <section>
      <div class="page-head">
        <h1>Servers</h1>
        {manage && !adding && <button type="button" class="btn primary" onClick={() => setAdding(true)}>Add Server</button>}
      </div>
      {adding && (
        <AddServer
          onCancel={() => setAdding(false)}
          onAdded={async (x) => {
            setAdding(false);
            toast(`Server ${x.name} added`);
            await list.reload(true);
            test(x);
          }}
        />
      )}
      {tested && (
        <div class={"banner " + (tested.status === "running" ? "ok" : "error")} role="status" data-testid="test-result">
          <span><strong>{tested.name}</strong>: {tested.status === "running" ? `connected, Docker ${tested.docker_version}` : `${tested.status} — ${tested.status_reason || "cannot connect"}`}
          {tested.host_key && <> · pinned host key <code>{tested.host_key}</code></>}</span>
          <button type="button" class="btn small" onClick={() => setTested(null)}>Dismiss</button>
        </div>
      )}
      <Async s={list} what="Loading servers">
        {(xs) =>
          xs.length === 0 ? (
            <Empty>No servers yet. {manage ? "Add one: an SSH server, or the Docker Engine of berthd's own machine (local)." : "Ask an administrator to add one."}</Empty>
          ) : (
            <div class="table-wrap card">
              <table>
                <thead>
                  <tr><th>Name</th><th>Status</th><th>Capacity</th><th>Allocated</th><th>Remaining</th><th>Environments</th>{manage && <th>Actions</th>}</tr>
                </thead>
                <tbody>
                  {xs.map((x) => (
                    <tr key={x.id} data-server={x.name}>
                      <td><strong>{x.name}</strong><div class="muted small">{x.transport === "local" ? "local Docker" : `${x.user}@${x.host}:${x.port}`}</div></td>
                      <td><StatusDot status={x.status} />{x.status_reason && <div class="muted small">{x.status_reason}</div>}</td>
                      <td>{cap(x.capacity)}</td>
                      <td>{cap(x.allocated)}</td>
                      <td>{cap(x.remaining)}</td>
                      <td>{x.environment_count} / {x.max_projects}</td>
                      {manage && (
                        <td>
                          <div class="row-actions">
                          <button type="button" class="btn small" disabled={busy === x.id} onClick={() => test(x)}>{busy === x.id ? "Testing…" : "Test Connection"}</button>
                          <button type="button" class="btn small" onClick={() => setEditing(x)}>Edit {x.name}</button>
                          {x.transport === "ssh" && <button type="button" class="btn small" onClick={() => prepare(x)}>Prepare</button>}
                          <button type="button" class="btn small red" onClick={() => setDeleting(x)}>Delete</button>
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
      {editing && (
        <EditServer server={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); list.reload(true); }} />
      )}
      {deleting && (
        <DeleteServer server={deleting} onClose={() => setDeleting(null)} onDeleted={() => { setDeleting(null); list.reload(true); }} />
      )}
    </section>
  );
}

function DeleteServer({ server, onClose, onDeleted }: { server: any; onClose: () => void; onDeleted: () => void }) {
  const [err, setErr] = useState<string | null>(null);
  async function go() {
    try {
      await del(`/servers/${server.id}`);
      toast(`Deleting ${server.name}`);
      onDeleted();
    } catch (e) {
      setErr((e as Error).message);
    }
  }
  return (
    <Modal title={`Delete server ${server.name}`} onClose={onClose}>
      <p>berth removes its containers, volumes and edge proxy from the server, then forgets it. A server that still hosts environments cannot be deleted.</p>
      {err && <div class="banner error" role="alert">{err}</div>}
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn red" onClick={go}>Delete</button>
      </div>
    </Modal>
  );
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function AddServer({ onCancel, onAdded }: { onCancel: () => void; onAdded: (x: any) => void }) {
  const s = useSession();
  const [f, setF] = useState({ name: "", transport: "ssh", host: "", port: "22", user: "root", auth: "key", private_key: "", password: "", max_projects: "8" });
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const ssh = f.transport === "ssh";
  const port = Number(f.port), maxp = Number(f.max_projects);
  const errors: Record<string, string | null> = {
    name: !NAME_RE.test(f.name) ? "1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit." : null,
    host: ssh && !f.host ? "Enter the server's IP address or host name." : ssh && (f.host.length > 253 || /[\s/]/.test(f.host)) ? "A host name or IP address." : null,
    port: ssh && (!Number.isInteger(port) || port < 1 || port > 65535) ? "1 to 65535." : null,
    user: ssh && !/^[a-z_][a-z0-9_-]{0,31}$/.test(f.user) ? "A Unix user name (lowercase), at most 32." : null,
    private_key: ssh && f.auth === "key" && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(f.private_key) ? "Paste a PEM or OpenSSH private key." : null,
    password: ssh && f.auth === "password" && !f.password ? "Enter the password." : null,
    max_projects: !Number.isInteger(maxp) || maxp < 1 || maxp > 1000 ? "1 to 1000." : null,
  };
  const show = (k: string) => (touched[k] ? errors[k] : null) || (err?.field === k ? err.message : null);
  const set = (k: string) => (e: Event) => {
    setF({ ...f, [k]: (e.target as HTMLInputElement).value });
    setTouched({ ...touched, [k]: true });
  };
  async function submit(e: Event) {
    e.preventDefault();
    setTouched(Object.fromEntries(Object.keys(errors).map((k) => [k, true])));
    if (Object.values(errors).some((x) => x)) return;
    const body: Record<string, unknown> = { name: f.name, transport: f.transport, max_projects: maxp };
    if (ssh) {
      Object.assign(body, { host: f.host, port, user: f.user });
      if (f.auth === "key") body.private_key = f.private_key;
      else body.password = f.password;
    }
    setBusy(true);
    setErr(null);
    try {
      onAdded(await post(`/orgs/${s.org.id}/servers`, body));
    } catch (x) {
      setErr(x as ApiError);
      setBusy(false);
    }
  }
  return (
    <form class="card form" onSubmit={submit} noValidate aria-label="Add server">
      <h2>Add Server</h2>
      {err && <div class="banner error" role="alert">{err.message}</div>}
      <div class="cols">
        <Field id="s-name" label="Name" error={show("name")}>
          <input id="s-name" value={f.name} onInput={set("name")} />
        </Field>
        <Field id="s-transport" label="Connection">
          <select id="s-transport" value={f.transport} onChange={set("transport")}>
            <option value="ssh">SSH</option>
            <option value="local">Local Docker Engine (berthd's machine)</option>
          </select>
        </Field>
      </div>
      {ssh && (
        <>
          <div class="cols three">
            <Field id="s-host" label="Server IP or host" error={show("host")}>
              <input id="s-host" value={f.host} onInput={set("host")} placeholder="203.0.113.10" />
            </Field>
            <Field id="s-port" label="SSH port" error={show("port")}>
              <input id="s-port" type="number" min={1} max={65535} value={f.port} onInput={set("port")} />
            </Field>
            <Field id="s-user" label="User" error={show("user")}>
              <input id="s-user" value={f.user} onInput={set("user")} />
            </Field>
          </div>
          <Field id="s-auth" label="Authentication">
            <select id="s-auth" value={f.auth} onChange={set("auth")}>
              <option value="key">SSH Key</option>
              <option value="password">Password</option>
            </select>
          </Field>
          {f.auth === "key" ? (
            <Field id="s-key" label="Private key" error={show("private_key")} hint="Stored encrypted; never shown again.">
              <textarea id="s-key" rows={5} value={f.private_key} onInput={set("private_key")} />
            </Field>
          ) : (
            <Field id="s-password" label="Password" error={show("password")} hint="Stored encrypted; never shown again.">
              <input id="s-password" type="password" autocomplete="off" value={f.password} onInput={set("password")} />
            </Field>
          )}
        </>
      )}
      <Field id="s-max" label="Max environments" error={show("max_projects")} hint="How many environments the server may host (default 8).">
        <input id="s-max" type="number" min={1} max={1000} value={f.max_projects} onInput={set("max_projects")} />
      </Field>
      <div class="actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Adding…" : "Add and test"}</button>
      </div>
    </form>
  );
}

function EditServer({ server, onClose, onSaved }: { server: any; onClose: () => void; onSaved: () => void }) {
  const ssh = server.transport === "ssh";
  const [f, setF] = useState({ name: server.name, host: server.host, port: String(server.port), user: server.user || "",
    max_projects: String(server.max_projects), auth: "keep", private_key: "", password: "", reset_host_key: false });
  const [err, setErr] = useState<ApiError | null>(null);
  const port = Number(f.port), maxp = Number(f.max_projects);
  const errors: Record<string, string | null> = {
    name: !NAME_RE.test(f.name) ? "1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit." : null,
    host: ssh && (!f.host || f.host.length > 253 || /[\s/]/.test(f.host)) ? "A host name or IP address." : null,
    port: ssh && (!Number.isInteger(port) || port < 1 || port > 65535) ? "1 to 65535." : null,
    user: ssh && !/^[a-z_][a-z0-9_-]{0,31}$/.test(f.user) ? "A Unix user name (lowercase), at most 32." : null,
    max_projects: !Number.isInteger(maxp) || maxp < 1 || maxp > 1000 ? "1 to 1000." : null,
    private_key: f.auth === "key" && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(f.private_key) ? "Paste a PEM or OpenSSH private key." : null,
    password: f.auth === "password" && !f.password ? "Enter the password." : null,
  };
  const show = (k: string) => errors[k] || (err?.field === k ? err.message : null);
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  async function save(e: Event) {
    e.preventDefault();
    if (Object.values(errors).some((x) => x)) return;
    const body: Record<string, unknown> = {};
    if (f.name !== server.name) body.name = f.name;
    if (maxp !== server.max_projects) body.max_projects = maxp;
    if (ssh) {
      if (f.host !== server.host) body.host = f.host;
      if (port !== server.port) body.port = port;
      if (f.user !== server.user) body.user = f.user;
      if (f.auth === "key") body.private_key = f.private_key;
      if (f.auth === "password") body.password = f.password;
      if (f.reset_host_key) body.reset_host_key = true;
    }
    try {
      await patch(`/servers/${server.id}`, body);
      toast(`Server ${f.name} saved`);
      onSaved();
    } catch (x) {
      setErr(x as ApiError);
    }
  }
  return (
    <Modal title={`Edit server ${server.name}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        {err && <div class="banner error" role="alert">{err.message}</div>}
        <Field id="es-name" label="Name" error={show("name")}>
          <input id="es-name" value={f.name} onInput={set("name")} />
        </Field>
        {ssh && (
          <>
            <div class="cols">
              <Field id="es-host" label="Server IP or host" error={show("host")} hint="A new host forgets the pinned host key.">
                <input id="es-host" value={f.host} onInput={set("host")} />
              </Field>
              <Field id="es-port" label="SSH port" error={show("port")}>
                <input id="es-port" type="number" min={1} max={65535} value={f.port} onInput={set("port")} />
              </Field>
            </div>
            <Field id="es-user" label="User" error={show("user")}>
              <input id="es-user" value={f.user} onInput={set("user")} />
            </Field>
            <Field id="es-auth" label="Credentials">
              <select id="es-auth" value={f.auth} onChange={set("auth")}>
                <option value="keep">Keep</option>
                <option value="key">Replace with an SSH key</option>
                <option value="password">Replace with a password</option>
              </select>
            </Field>
            {f.auth === "key" && (
              <Field id="es-key" label="Private key" error={show("private_key")}>
                <textarea id="es-key" rows={5} value={f.private_key} onInput={set("private_key")} />
              </Field>
            )}
            {f.auth === "password" && (
              <Field id="es-password" label="Password" error={show("password")}>
                <input id="es-password" type="password" autocomplete="off" value={f.password} onInput={set("password")} />
              </Field>
            )}
            <label class="check-row">
              <input type="checkbox" checked={f.reset_host_key} onChange={(e) => setF({ ...f, reset_host_key: (e.target as HTMLInputElement).checked })} />
              Forget the pinned host key{server.host_key ? ` (${server.host_key})` : ""}: the next test pins the key the server presents
            </label>
          </>
        )}
        <Field id="es-max" label="Max environments" error={show("max_projects")}>
          <input id="es-max" type="number" min={1} max={1000} value={f.max_projects} onInput={set("max_projects")} />
        </Field>
        <div class="actions">
          <button type="button" class="btn" onClick={onClose}>Cancel</button>
          <button type="submit" class="btn primary">Save</button>
        </div>
      </form>
    </Modal>
  );
}
