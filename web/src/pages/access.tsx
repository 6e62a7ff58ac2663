// The instance console's Access tab (instance-console.txt, "Access Tab"), read from GET
// /environments/{id}/access: the instance URL (Copy); the IDE URL (an external link) and its
// password, masked until the eye asks for it (?reveal=ide_password, audited; environment.ide
// and the plan's allow_ide) with Copy, and its rotation (a job, its progress shown); the
// Database Connection (Database, User, Port, Postgres Port, the password revealable for
// environment.ide holders); the SSH tunnel command (Copy); the plan notice with an upgrade hint
// when the plan has no allow_ide. Its own chunk.
import { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ApiError, get, post } from "../api";
import { useSession } from "../session";
import { Async, ErrorBox, Link, Modal, lazy, toast, useAsync } from "../ui";
import "./access.css";

const JobProgress = lazy(() => import("./jobprogress").then((m) => m.JobProgress));

interface Access {
  instance_url: string;
  ide: { available: boolean; url: string | null; password: string | null; revealed: boolean };
  database: { name: string; user: string; odoo_port: number | null; postgres_port: number | null; password: string | null; revealed: boolean };
  ssh_tunnel: { command: string | null; host: string | null; user: string | null; port: number | null } | null;
  plan: { allow_ide: boolean; allow_connect: boolean; notice: string | null };
}

/** Copies text to the clipboard (the Clipboard API; a selected text area where it is missing). */
export async function copyText(text: string, what: string) {
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
    else {
      const ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "offscreen";
      document.body.appendChild(ta);
      ta.select();
      const ok = document.execCommand("copy");
      ta.remove();
      if (!ok) throw new Error("copy refused");
    }
    toast(`${what} copied`);
  } catch {
    toast(`${what} could not be copied: select it and copy it by hand`, "error");
  }
}

function CopyBtn({ text, what, disabled }: { text: string | (() => Promise<string | null>); what: string; disabled?: boolean }) {
  return (
    <button type="button" class="btn small" aria-label={`Copy the ${what}`} disabled={disabled}
      onClick={async () => {
        const t = typeof text === "string" ? text : await text();
        if (t) copyText(t, what[0].toUpperCase() + what.slice(1));
      }}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true"><path fill="currentColor" d="M5 1h8v10H5zm1 1v8h6V2zM2 4h2v1H3v9h7v-1h1v2H2z" /></svg>
      Copy
    </button>
  );
}

function Row({ label, id, children }: { label: string; id: string; children: ComponentChildren }) {
  return (
    <div class="access-row" data-testid={id}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const EYE = "M8 3C4 3 1.5 6.5 1 8c.5 1.5 3 5 7 5s6.5-3.5 7-5c-.5-1.5-3-5-7-5zm0 2a3 3 0 1 1 0 6 3 3 0 0 1 0-6zm0 1.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z";
const EYE_OFF = "M2 1.3 14.7 14l-.7.7-2.3-2.3C10.6 13 9.4 13.3 8 13.3 4 13.3 1.5 9.5 1 8c.3-.9 1.2-2.4 2.6-3.6L1.3 2zM8 2.7c4 0 6.5 3.8 7 5.3-.3.9-1 2.1-2 3.1L10.9 9A3 3 0 0 0 7 5.1L5.6 3.7C6.3 3 7.1 2.7 8 2.7z";

/** A secret: masked, the eye reveals it (a GET with ?reveal=, audited), Copy. */
function Secret(props: { id: string; what: string; masked: string | null; reveal: () => Promise<string | null> }) {
  const [shown, setShown] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const get = async () => {
    if (shown !== null) return shown;
    setBusy(true);
    setErr(null);
    try {
      const v = await props.reveal();
      return v;
    } catch (e) {
      setErr(e as ApiError);
      return null;
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <div class="secret">
        <code id={props.id} data-revealed={shown !== null ? "true" : "false"}>{shown !== null ? shown : "••••••••••••"}</code>
        <button type="button" class="icon-btn" aria-pressed={shown !== null} disabled={busy}
          aria-label={shown !== null ? `Hide the ${props.what}` : `Show the ${props.what}`} title={shown !== null ? "Hide" : "Reveal (audited)"}
          onClick={async () => {
            if (shown !== null) return setShown(null);
            const v = await get();
            if (v !== null) setShown(v);
          }}>
          <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="currentColor" d={shown !== null ? EYE_OFF : EYE} /></svg>
        </button>
        <CopyBtn what={props.what} text={get} disabled={busy} />
      </div>
      {err && <div class="field-error" role="alert">{err.status === 403 ? `Not allowed: ${err.message}` : err.message}</div>}
    </>
  );
}

export function AccessTab({ env, perms }: { env: any; perms: Set<string> | null }) {
  const a = useAsync(() => get<Access>(`/environments/${env.id}/access`), [env.id]);
  const s = useSession();
  const [rotate, setRotate] = useState(false);
  const [job, setJob] = useState<any>(null);
  const canIde = !!perms && perms.has("environment.ide");
  const reveal = (what: "ide_password" | "db_password") => async () => {
    const r = await get<Access>(`/environments/${env.id}/access?reveal=${what}`);
    return what === "ide_password" ? r.ide.password : r.database.password;
  };
  return (
    <div class="access-tab">
      <div class="panel-head">
        <h2>Access</h2>
        <button type="button" class="btn small" onClick={() => a.reload()}>Refresh</button>
      </div>
      <Async s={a} what="Loading the access details">
        {(x) => (
          <>
            {(!x.plan.allow_ide || x.plan.notice) && (
              <div class="banner warn" data-testid="plan-notice">
                <span>
                  {x.plan.notice || "IDE and remote session access require a Pro or Enterprise plan."}{" "}
                  <strong>Upgrade:</strong>{" "}
                  {s.me.is_admin ? <>choose a plan with <code>allow_ide</code> on the <Link href="/admin">Administration</Link> page.</>
                    : <>ask your berth administrator for a plan with IDE access (<code>allow_ide</code>).</>}
                </span>
              </div>
            )}
            <section aria-labelledby="acc-instance">
              <h3 id="acc-instance">Instance URL</h3>
              <dl class="access-list">
                <Row label="URL" id="acc-url">
                  <a href={x.instance_url} target="_blank" rel="noopener noreferrer"><code>{x.instance_url}</code></a>{" "}
                  <CopyBtn text={x.instance_url} what="instance URL" />
                </Row>
              </dl>
            </section>
            <section aria-labelledby="acc-ide">
              <h3 id="acc-ide">IDE Access</h3>
              {!x.plan.allow_ide ? (
                <p class="muted small">Not included in the organization's plan (allow_ide).</p>
              ) : !canIde ? (
                <p class="muted small">The IDE needs the environment.ide permission.</p>
              ) : !x.ide.available || !x.ide.url ? (
                <p class="muted small">The IDE starts with the environment: deploy or start it.</p>
              ) : (
                <dl class="access-list">
                  <Row label="IDE URL" id="acc-ide-url">
                    <a href={x.ide.url} target="_blank" rel="noopener noreferrer" class="ext">
                      <code>{x.ide.url}</code>
                      <svg viewBox="0 0 16 16" width="14" height="14" role="img" aria-label="(opens in a new tab)"><path fill="currentColor" d="M9 1h6v6h-1.5V3.6L7.5 9.6 6.4 8.5l6-6H9zM2 3h5v1.5H3.5v8h8V9H13v5H2z" /></svg>
                    </a>
                  </Row>
                  <Row label="IDE Password" id="acc-ide-password">
                    <Secret id="ide-password" what="IDE password" masked={x.ide.password} reveal={reveal("ide_password")} />
                    <button type="button" class="btn small" onClick={() => setRotate(true)}>Rotate password</button>
                  </Row>
                </dl>
              )}
              {job && <JobProgress job={job} title="Rotating the IDE password" onEnd={() => a.reload(true)} />}
            </section>
            <section aria-labelledby="acc-db">
              <h3 id="acc-db">Database Connection</h3>
              <dl class="access-list">
                <Row label="Database" id="acc-db-name"><code>{x.database.name}</code></Row>
                <Row label="User" id="acc-db-user"><code>{x.database.user}</code></Row>
                <Row label="Port" id="acc-db-port"><code>{x.database.odoo_port ?? "–"}</code> <span class="muted small">Odoo application port</span></Row>
                <Row label="Postgres Port" id="acc-db-pgport"><code>{x.database.postgres_port ?? "–"}</code> <span class="muted small">PostgreSQL, on the server's loopback</span></Row>
                {canIde && x.database.password !== null && (
                  <Row label="Password" id="acc-db-password">
                    <Secret id="db-password" what="database password" masked={x.database.password} reveal={reveal("db_password")} />
                  </Row>
                )}
              </dl>
            </section>
            <section aria-labelledby="acc-ssh">
              <h3 id="acc-ssh">SSH Tunnel</h3>
              {x.ssh_tunnel?.command ? (
                <>
                  <p class="small muted">Run it in a local terminal, then point a database client (DBeaver, pgAdmin, psql) at <code>localhost:{x.database.postgres_port}</code>.</p>
                  <div class="tunnel">
                    <pre class="cmd" tabIndex={0} aria-label="SSH tunnel command" data-testid="ssh-tunnel">{x.ssh_tunnel.command}</pre>
                    <CopyBtn text={x.ssh_tunnel.command!} what="SSH tunnel command" />
                  </div>
                </>
              ) : (
                <p class="muted small">No tunnel: PostgreSQL is not published for this environment yet (deploy it).</p>
              )}
            </section>
          </>
        )}
      </Async>
      {rotate && <RotateModal env={env} onClose={() => setRotate(false)} onQueued={(j) => { setRotate(false); setJob(j); }} />}
    </div>
  );
}

function RotateModal({ env, onClose, onQueued }: { env: any; onClose: () => void; onQueued: (job: any) => void }) {
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  async function go() {
    setBusy(true);
    try {
      const r = await post<{ job: any }>(`/environments/${env.id}/ide/password`);
      toast("IDE password rotation queued");
      onQueued(r.job || r);
    } catch (e) {
      setErr(e as ApiError);
      setBusy(false);
    }
  }
  return (
    <Modal title="Rotate the IDE password" onClose={onClose}>
      <p>A new random password replaces the IDE's; the IDE restarts with it and open IDE sessions must sign in again. Reveal the new password once the job is done.</p>
      {err && <ErrorBox error={err} />}
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" disabled={busy} onClick={go}>{busy ? "Queuing…" : "Rotate password"}</button>
      </div>
    </Modal>
  );
}
