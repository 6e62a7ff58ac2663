// Outgoing webhooks of the organization (owners and admins): signed JSON POSTs on events,
// with their deliveries and attempts.
import { useState } from "preact/hooks";
import { ApiError, del, get, patch, post } from "../api";
import { useSession } from "../session";
import { Async, Empty, ErrorBox, Field, Modal, fmtDate, timeAgo, toast, useAsync } from "../ui";

const EVENTS: [string, string][] = [
  ["job.finished", "A job finished (done or cancelled)"],
  ["job.failed", "A job failed"],
  ["environment.status", "An environment's status changed"],
  ["alert.raised", "An alert was raised"],
  ["alert.resolved", "An alert was resolved"],
];

export function WebhooksPage() {
  const s = useSession();
  const org = s.org.id;
  const manage = s.perms.has("org.update");
  const list = useAsync(() => (manage ? get<any[]>(`/orgs/${org}/webhooks`) : Promise.resolve([])), [org]);
  const [adding, setAdding] = useState(false);
  const [made, setMade] = useState<any>(null);
  const [showing, setShowing] = useState<any>(null);
  const [deleting, setDeleting] = useState<any>(null);
  if (!manage) return <ErrorBox error="Webhooks need the org.update permission (owners and admins)." />;
  async function ping(w: any) {
    try {
      await post(`/orgs/${org}/webhooks/${w.id}/ping`);
      toast("Ping sent: see its delivery");
      setShowing(w);
    } catch (e) {
      toast(`Ping failed: ${(e as Error).message}`, "error");
    }
  }
  async function toggle(w: any) {
    try {
      await patch(`/orgs/${org}/webhooks/${w.id}`, { active: !w.active });
      list.reload(true);
    } catch (e) {
      toast((e as Error).message, "error");
    }
  }
  return (
    <section>
      <div class="page-head">
        <h1>Webhooks</h1>
        {!adding && <button type="button" class="btn primary" onClick={() => setAdding(true)}>Add Webhook</button>}
      </div>
      <p class="muted">berth POSTs JSON to your URL on the events you pick, signed with
        <code> X-Berth-Signature: sha256=&lt;HMAC-SHA256 of the body&gt;</code>; failures are retried after 1 min, 5 min, 30 min and 2 h.</p>
      {adding && <AddWebhook org={org} onCancel={() => setAdding(false)} onAdded={(w) => { setAdding(false); setMade(w); list.reload(true); }} />}
      {made?.secret && (
        <Modal title="Webhook created" onClose={() => setMade(null)}>
          <p>The signing secret, shown this once: keep it where your receiver checks signatures.</p>
          <p><code data-testid="webhook-secret">{made.secret}</code></p>
          <div class="actions"><button type="button" class="btn primary" onClick={() => setMade(null)}>Done</button></div>
        </Modal>
      )}
      <Async s={list} what="Loading webhooks">
        {(xs) =>
          xs.length === 0 ? (
            <Empty>No webhook yet. Add one to hear of failed jobs, status changes and alerts.</Empty>
          ) : (
            <div class="table-wrap card">
              <table>
                <thead><tr><th>URL</th><th>Events</th><th>Active</th><th>Last delivery</th><th>Actions</th></tr></thead>
                <tbody>
                  {xs.map((w) => (
                    <tr key={w.id} data-webhook={w.url}>
                      <td><code>{w.url}</code></td>
                      <td>{w.events.join(", ")}</td>
                      <td>{w.active ? "yes" : "paused"}</td>
                      <td>{w.last_delivery_status || "–"}</td>
                      <td>
                        <div class="row-actions">
                          <button type="button" class="btn small" onClick={() => ping(w)}>Ping</button>
                          <button type="button" class="btn small" onClick={() => setShowing(w)}>Deliveries</button>
                          <button type="button" class="btn small" onClick={() => toggle(w)}>{w.active ? "Pause" : "Resume"}</button>
                          <button type="button" class="btn small red" onClick={() => setDeleting(w)}>Delete</button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
      {showing && <Deliveries org={org} hook={showing} onClose={() => { setShowing(null); list.reload(true); }} />}
      {deleting && (
        <Modal title="Delete webhook" onClose={() => setDeleting(null)}>
          <p>Delete the webhook to <code>{deleting.url}</code> and its deliveries?</p>
          <div class="actions">
            <button type="button" class="btn" onClick={() => setDeleting(null)}>Cancel</button>
            <button type="button" class="btn red" onClick={async () => {
              try {
                await del(`/orgs/${org}/webhooks/${deleting.id}`);
                toast("Webhook deleted");
              } catch (e) {
                toast((e as Error).message, "error");
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

function AddWebhook({ org, onCancel, onAdded }: { org: string; onCancel: () => void; onAdded: (w: any) => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["job.failed"]);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const urlErr = url && !/^https?:\/\/[^\s/@]+(\/\S*)?$/.test(url) ? "An http:// or https:// URL, without credentials." : null;
  const evErr = events.length === 0 ? "Pick at least one event." : null;
  async function save(e: Event) {
    e.preventDefault();
    if (!url || urlErr || evErr) return;
    setBusy(true);
    setErr(null);
    try {
      onAdded(await post(`/orgs/${org}/webhooks`, { url, events }));
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }
  return (
    <form class="card" aria-label="New webhook" onSubmit={save} noValidate>
      {err && !err.field && <div class="banner error" role="alert">{err.message}</div>}
      <Field id="wh-url" label="Payload URL" error={urlErr || (err?.field === "url" ? err.message : null)}
        hint="Public addresses only (berthd --webhook-allow-private allows private ones).">
        <input id="wh-url" type="url" value={url} placeholder="https://hooks.example.com/berth" onInput={(e) => setUrl((e.target as HTMLInputElement).value)} />
      </Field>
      <fieldset class="field">
        <legend>Events</legend>
        {EVENTS.map(([k, label]) => (
          <label key={k} class="check-row">
            <input type="checkbox" checked={events.includes(k)}
              onChange={(e) => setEvents((e.target as HTMLInputElement).checked ? [...events, k] : events.filter((x) => x !== k))} />
            <code>{k}</code> — {label}
          </label>
        ))}
        {(evErr || err?.field === "events") && <div class="field-error" role="alert">{evErr || err!.message}</div>}
      </fieldset>
      <div class="actions">
        <button type="button" class="btn" onClick={onCancel}>Cancel</button>
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Adding…" : "Add webhook"}</button>
      </div>
    </form>
  );
}

function Deliveries({ org, hook, onClose }: { org: string; hook: any; onClose: () => void }) {
  const ds = useAsync(() => get<any[]>(`/orgs/${org}/webhooks/${hook.id}/deliveries`), [hook.id]);
  return (
    <Modal title={`Deliveries to ${hook.url}`} onClose={onClose} wide>
      <div class="actions"><button type="button" class="btn small" onClick={() => ds.reload(true)}>Refresh</button></div>
      <Async s={ds} what="Loading deliveries">
        {(xs) =>
          xs.length === 0 ? <Empty>No delivery yet.</Empty> : (
            <div class="table-wrap">
              <table>
                <thead><tr><th>Event</th><th>Status</th><th>Attempts</th><th>Created</th></tr></thead>
                <tbody>
                  {xs.map((d) => (
                    <tr key={d.id} data-delivery={d.status}>
                      <td><code>{d.event}</code></td>
                      <td>{d.status}{d.next_attempt_at && <div class="muted small">next attempt {fmtDate(d.next_attempt_at)}</div>}</td>
                      <td>
                        {d.attempts.map((a: any) => (
                          <div key={a.n} class="small">#{a.n} {fmtDate(a.at)}: {a.error || `answered ${a.response_status}`} ({a.duration_ms} ms)</div>
                        ))}
                      </td>
                      <td title={fmtDate(d.created_at)}>{timeAgo(d.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
    </Modal>
  );
}
