// Connect As User (instance-console.txt, "Connect As User"): the Odoo users of the environment,
// those with an active session first (GET /environments/{id}/sessions?q=: name, login, last
// activity, device), a search field (debounced, sent as q), and Connect per user: POST
// /environments/{id}/connect answers a one-time URL (60 s, one use) that signs a new tab in as
// that user. The tab is opened at the click, before the answer (a popup blocker lets a tab
// opened by the click through, not one opened later), and sent to the URL when it comes; on
// production a confirmation first, since every use is audited. Its own chunk.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, get, post } from "../api";
import { Empty, ErrorBox, Loading, Modal, fmtDate, timeAgo, toast } from "../ui";
import "./access.css";

interface Device {
  browser?: string | null;
  platform?: string | null;
  ip_address?: string | null;
  last_activity?: string | null;
}
interface OdooUser {
  id: number;
  name: string;
  login: string;
  logged_in: boolean;
  last_activity: string | null;
  devices: Device[];
}

function device(d: Device) {
  return [d.browser, d.platform].filter(Boolean).join(" on ") + (d.ip_address ? ` (${d.ip_address})` : "");
}

export function ConnectModal({ env, onClose }: { env: any; onClose: () => void }) {
  const [q, setQ] = useState("");
  const [sent, setSent] = useState(""); // the q of the list shown
  const [list, setList] = useState<OdooUser[] | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [connectErr, setConnectErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<OdooUser | null>(null);
  const [blocked, setBlocked] = useState<{ url: string; user: OdooUser } | null>(null);
  const gen = useRef(0);
  const prod = env.environment_type === "production";

  function load(query: string) {
    const g = ++gen.current;
    setErr(null);
    get<{ users: OdooUser[] }>(`/environments/${env.id}/sessions${query ? "?q=" + encodeURIComponent(query) : ""}`).then(
      (r) => {
        if (g !== gen.current) return;
        setList(r.users || []);
        setSent(query);
      },
      (e) => {
        if (g === gen.current) setErr(e as ApiError);
      },
    );
  }
  // the search is sent 300 ms after the last key
  useEffect(() => {
    const t = setTimeout(() => load(q.trim()), q ? 300 : 0);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  /** Opens the tab now (the click's gesture), then sends it to the one-time URL. */
  async function connect(u: OdooUser) {
    setConfirm(null);
    setConnectErr(null);
    setBlocked(null);
    const w = window.open("", "_blank");
    if (w) {
      w.opener = null; // the new tab cannot reach back into the console
      try {
        w.document.title = `Signing in as ${u.login}…`;
        w.document.body.textContent = `Signing in as ${u.name} (${u.login})…`;
      } catch {
        /* not ours to write: fine */
      }
    }
    setBusy(u.id);
    try {
      const r = await post<{ url: string; expires_at: string; user: { login: string } }>(`/environments/${env.id}/connect`, { user_id: u.id });
      if (w && !w.closed) {
        w.location.href = r.url;
        toast(`Signed in as ${r.user?.login || u.login} in a new tab`);
      } else {
        setBlocked({ url: r.url, user: u }); // the browser refused the tab: a link to click instead
      }
    } catch (e) {
      if (w && !w.closed) w.close();
      setConnectErr(e as ApiError);
    }
    setBusy(null);
  }

  return (
    <Modal title="Connect As User" onClose={onClose} wide>
      {confirm ? (
        <div data-testid="connect-confirm">
          <div class="banner warn" role="alert">
            <span>You are about to sign in as <strong>{confirm.name}</strong> (<code>{confirm.login}</code>) on production <strong>{env.name}</strong>; this is audited.</span>
          </div>
          <p class="small">Everything done in that tab is done as this user, on live data. The sign-in, who made it and from where are recorded in the audit log and the environment's events.</p>
          <div class="actions">
            <button type="button" class="btn" onClick={() => setConfirm(null)}>Back</button>
            <button type="button" class="btn red" onClick={() => connect(confirm)}>Sign in as {confirm.login}</button>
          </div>
        </div>
      ) : (
        <>
          <p class="small muted">Open a new browser tab signed in as one of the instance's Odoo users, without their password. Users with an active session come first. Each use is audited.</p>
          <div class="field">
            <label for="connect-q">Search by name or login</label>
            <input id="connect-q" type="search" value={q} autocomplete="off" spellcheck={false} placeholder="e.g. admin or Marc"
              onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
          </div>
          {connectErr && <ErrorBox error={connectErr.status === 409 ? `Cannot connect: ${connectErr.message}` : connectErr} />}
          {blocked && (
            <div class="banner warn" role="alert">
              <span>The browser did not open a new tab. <a href={blocked.url} target="_blank" rel="noopener noreferrer">Open the session as {blocked.user.login}</a> (valid for 60 seconds, once).</span>
            </div>
          )}
          {err ? (
            <ErrorBox error={err.status === 409 ? `The users cannot be listed: ${err.message}` : err} retry={() => load(q.trim())} />
          ) : list === null ? (
            <Loading what="Reading the Odoo sessions" />
          ) : list.length === 0 ? (
            <Empty>{sent ? `No active user matches “${sent}”.` : "No active Odoo user."}</Empty>
          ) : (
            <div class="table-wrap">
              <table class="connect-users" aria-label="Odoo users">
                <thead><tr><th>Name</th><th>Login</th><th>Last activity</th><th>Device</th><th><span class="sr-only">Connect</span></th></tr></thead>
                <tbody>
                  {list.map((u) => (
                    <tr key={u.id} data-login={u.login} data-logged-in={u.logged_in ? "true" : "false"}>
                      <td>{u.name}{u.logged_in && <span class="badge green small">signed in</span>}</td>
                      <td><code>{u.login}</code></td>
                      <td title={u.last_activity || ""}>{u.last_activity ? timeAgo(u.last_activity) || fmtDate(u.last_activity) : <span class="muted">–</span>}</td>
                      <td class="small">{u.devices?.length ? u.devices.slice(0, 2).map((d, i) => <div key={i}>{device(d) || "–"}</div>) : <span class="muted">–</span>}</td>
                      <td>
                        <button type="button" class="btn small primary" aria-label={`Connect as ${u.login}`} disabled={busy !== null}
                          onClick={() => (prod ? setConfirm(u) : connect(u))}>
                          {busy === u.id ? "Connecting…" : "Connect"}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div class="actions"><button type="button" class="btn" onClick={onClose}>Close</button></div>
        </>
      )}
    </Modal>
  );
}
