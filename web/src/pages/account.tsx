// Account: who you are, the password change, and your API keys (create: shown once; list; revoke).
import { useState } from "preact/hooks";
import { ApiError, del, get, post } from "../api";
import { useSession } from "../session";
import { Async, Empty, Field, Modal, fmtDate, toast, useAsync } from "../ui";
import { password as passwordRule } from "../rules";

/** The API's message without its leading "field: " (the field is the one it is shown under). */
function fieldMessage(e: ApiError) {
  const m = e.message.startsWith(e.field + ": ") ? e.message.slice(e.field!.length + 2) : e.message;
  return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
}

/** POST /auth/password {current_password, new_password} -> {revoked_sessions}; the API's
 * `field` (current_password or new_password) shows its message under that field. */
function ChangePassword() {
  const empty = { current: "", next: "", again: "" };
  const [f, setF] = useState(empty);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const errors: Record<string, string | null> = {
    current: !f.current ? "Enter your current password." : null,
    next: passwordRule(f.next, 1024),
    again: f.again !== f.next ? "The passwords differ." : null,
  };
  const apiField: Record<string, string> = { current: "current_password", next: "new_password" };
  // the new password's rule shows while typing; the others once left or submitted
  const show = (k: string) => (touched[k] || (k === "next" && f.next) ? errors[k] : null) || (err && err.field === apiField[k] ? fieldMessage(err) : null);
  const set = (k: string) => (e: Event) => {
    setF({ ...f, [k]: (e.target as HTMLInputElement).value });
    if (err && err.field === apiField[k]) setErr(null);
    setDone(null);
  };
  const blur = (k: string) => () => setTouched({ ...touched, [k]: true });
  async function submit(e: Event) {
    e.preventDefault();
    setTouched({ current: true, next: true, again: true });
    if (Object.values(errors).some((x) => x)) return;
    setBusy(true);
    setErr(null);
    try {
      const r = await post<{ revoked_sessions: number }>("/auth/password", { current_password: f.current, new_password: f.next });
      const n = r?.revoked_sessions ?? 0;
      setDone(`Password changed.${n ? ` ${n} other session${n === 1 ? "" : "s"} logged out.` : ""}`);
      toast("Password changed");
      setF(empty);
      setTouched({});
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }
  return (
    <form class="card form" onSubmit={submit} noValidate aria-label="Change password">
      <h2>Password</h2>
      {err && err.field !== "current_password" && err.field !== "new_password" && <div class="banner error" role="alert">{err.message}</div>}
      {done && <div class="banner ok" role="status">{done}</div>}
      <div class="cols three">
        <Field id="pw-current" label="Current password" error={show("current")}>
          <input id="pw-current" type="password" autocomplete="current-password" value={f.current} onInput={set("current")} onBlur={blur("current")} />
        </Field>
        <Field id="pw-new" label="New password" hint="12 to 256 characters, not one of the commonest passwords." error={show("next")}>
          <input id="pw-new" type="password" autocomplete="new-password" value={f.next} onInput={set("next")} onBlur={blur("next")} />
        </Field>
        <Field id="pw-again" label="New password again" error={show("again")}>
          <input id="pw-again" type="password" autocomplete="new-password" value={f.again} onInput={set("again")} onBlur={blur("again")} />
        </Field>
      </div>
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Changing…" : "Change password"}</button>
      </div>
    </form>
  );
}

export function AccountPage() {
  const s = useSession();
  const keys = useAsync(() => get<any[]>("/api-keys"), []);
  const [f, setF] = useState({ name: "", scope: "read-write", days: "" });
  const [touched, setTouched] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<any>(null);
  const [revoking, setRevoking] = useState<any>(null);
  const days = f.days === "" ? null : Number(f.days);
  const errors = {
    name: !f.name.trim() ? "Name the key." : f.name.length > 100 ? "At most 100 characters." : null,
    days: days !== null && (!Number.isInteger(days) || days < 1 || days > 3650) ? "1 to 3650 days, or empty: never expires." : null,
  };
  async function create(e: Event) {
    e.preventDefault();
    setTouched(true);
    if (errors.name || errors.days) return;
    setErr(null);
    try {
      const body: Record<string, unknown> = { name: f.name.trim(), scope: f.scope };
      if (days !== null) body.expires_in_days = days;
      setCreated(await post("/api-keys", body));
      setF({ name: "", scope: "read-write", days: "" });
      setTouched(false);
      keys.reload(true);
    } catch (x) {
      setErr(x as ApiError);
    }
  }
  async function revoke(k: any) {
    try {
      await del(`/api-keys/${k.id}`);
      toast(`API key ${k.name} revoked`);
      setRevoking(null);
      keys.reload(true);
    } catch (x) {
      toast((x as Error).message, "error");
    }
  }
  return (
    <section>
      <h1>Account</h1>
      <div class="card">
        <dl class="kv">
          <dt>Name</dt><dd>{s.me.name}</dd>
          <dt>Email</dt><dd>{s.me.email}</dd>
          <dt>Platform administrator</dt><dd>{s.me.is_admin ? "yes" : "no"}</dd>
        </dl>
      </div>
      <ChangePassword />
      <form class="card form" onSubmit={create} noValidate aria-label="New API key">
        <h2>API keys</h2>
        <p class="small muted">For the CLI and scripts: <code>Authorization: Bearer bk_…</code>. A read-only key can only GET.</p>
        {err && <div class="banner error" role="alert">{err.message}</div>}
        <div class="cols three">
          <Field id="k-name" label="Key name" error={(touched && errors.name) || (err?.field === "name" ? err.message : null)}>
            <input id="k-name" value={f.name} onInput={(e) => setF({ ...f, name: (e.target as HTMLInputElement).value })} />
          </Field>
          <Field id="k-scope" label="Scope">
            <select id="k-scope" value={f.scope} onChange={(e) => setF({ ...f, scope: (e.target as HTMLSelectElement).value })}>
              <option value="read-write">read-write</option>
              <option value="read-only">read-only</option>
            </select>
          </Field>
          <Field id="k-days" label="Expires in (days)" hint="Empty: never expires." error={(touched || f.days !== "") ? errors.days : null}>
            <input id="k-days" type="number" min={1} max={3650} value={f.days} onInput={(e) => setF({ ...f, days: (e.target as HTMLInputElement).value })} />
          </Field>
        </div>
        <div class="actions">
          <button type="submit" class="btn primary">Create API key</button>
        </div>
      </form>
      <Async s={keys} what="Loading API keys">
        {(list) =>
          list.length === 0 ? (
            <Empty>No API keys.</Empty>
          ) : (
            <div class="table-wrap card">
              <table>
                <thead><tr><th>Name</th><th>Prefix</th><th>Scope</th><th>Created</th><th>Expires</th><th>Last used</th><th><span class="sr-only">Actions</span></th></tr></thead>
                <tbody>
                  {list.map((k) => (
                    <tr key={k.id} data-key={k.name}>
                      <td>{k.name}</td>
                      <td><code>{k.prefix}…</code></td>
                      <td>{k.scope}</td>
                      <td>{fmtDate(k.created_at)}</td>
                      <td>{k.expires_at ? fmtDate(k.expires_at) : "never"}</td>
                      <td>{k.last_used_at ? fmtDate(k.last_used_at) : "never"}</td>
                      <td><button type="button" class="btn small red" onClick={() => setRevoking(k)}>Revoke</button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
      {created && (
        <Modal title="API key created" onClose={() => setCreated(null)}>
          <p>Copy the key now: it is shown only once.</p>
          <p><code class="secret" data-testid="new-key">{created.key}</code></p>
          <div class="actions"><button type="button" class="btn primary" onClick={() => setCreated(null)}>Done</button></div>
        </Modal>
      )}
      {revoking && (
        <Modal title="Revoke API key" onClose={() => setRevoking(null)}>
          <p>Revoke <strong>{revoking.name}</strong>? Scripts using it stop working at once.</p>
          <div class="actions">
            <button type="button" class="btn" onClick={() => setRevoking(null)}>Cancel</button>
            <button type="button" class="btn red" onClick={() => revoke(revoking)}>Revoke</button>
          </div>
        </Modal>
      )}
    </section>
  );
}
