// The instance console's Backups tab (production and staging; permission environment.backup
// and the plan's allow_backup): the last verified backup and its measured restore time (the
// RTO), the next scheduled backup, the list with the verification of each, and Create,
// Download, Restore, Delete, Import and Verify; the Backup Schedule and the retention numbers
// shown read-only (they are set in Settings → Odoo). Loaded on first use (its own chunk).
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, del, get, post, upload } from "../api";
import { useOrgEvents, usePollWithoutStream } from "../events";
import { Async, Empty, ErrorBox, Field, Modal, Toggle, fmtBytes, fmtDate, timeAgo, toast, useAsync } from "../ui";
import "./backups.css";

const JOB_TYPES = new Set(["backup", "restore", "backup_import", "backup_verify", "backup_prune"]);
const KIND: Record<string, string> = {
  manual: "Manual",
  scheduled: "Scheduled",
  pre_restore: "Before restore",
  pre_update: "Before update",
  imported: "Imported",
};
const POLL_MS = 5000;

export interface Backup {
  id: string;
  environment_id: string;
  environment_name: string;
  project_id: string;
  scope: "db" | "full";
  kind: string;
  status: "running" | "done" | "failed";
  error: string | null;
  size_bytes: number | null;
  sha256: string | null;
  created_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  expires_at: string | null;
  odoo_version?: string;
  db_name?: string;
  module_count?: number | null;
  table_count?: number | null;
  filestore_files?: number | null;
  created_by?: string | null;
  target?: { id: string; name: string; kind: string };
  location?: string;
  download_name?: string;
  verification: null | {
    status: "running" | "passed" | "failed";
    verified_at: string | null;
    duration_ms: number | null;
    job_id?: string;
    checks: Record<string, any> | null;
    error: string | null;
  };
}

/** A time in the organization's time zone ("5 Dec 2026, 14:00 (Europe/Brussels)"). */
export function fmtInZone(iso: string | null | undefined, tz: string | null | undefined) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (isNaN(+d)) return iso;
  try {
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: tz || "UTC" }) + ` (${tz || "UTC"})`;
  } catch {
    return fmtDate(iso);
  }
}

function secs(ms: number | null | undefined) {
  if (ms === null || ms === undefined) return "–";
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60000);
  return `${m} min ${Math.round((ms % 60000) / 1000)} s`;
}

function checkText(v: any): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v !== "object") return String(v);
  const parts = Object.entries(v)
    .filter(([k]) => k !== "ok")
    .map(([k, x]) => `${k.replace(/_/g, " ")} ${typeof x === "object" && x !== null ? JSON.stringify(x) : x}`);
  return parts.join(", ");
}

function Verified({ b }: { b: Backup }) {
  const v = b.verification;
  if (!v) return <span class="muted">–</span>;
  if (v.status === "running") return <span class="badge gray">Verifying…</span>;
  const passed = v.status === "passed";
  const tip = `${passed ? "Verified" : "Verification failed"} ${fmtDate(v.verified_at)}; restore ${secs(v.duration_ms)}` +
    (v.error ? `: ${v.error}` : "") +
    (v.checks ? "\n" + Object.entries(v.checks).map(([k, x]) => {
      const ok = x && typeof x === "object" && "ok" in x ? (x.ok ? "passed" : "failed") : "";
      return `${k.replace(/_/g, " ")}: ${[ok, checkText(x)].filter(Boolean).join(", ")}`;
    }).join("\n") : "");
  return <span class={"badge " + (passed ? "green" : "red")} title={tip} data-verified={v.status}>{passed ? "✓ Verified" : "✗ Failed"}</span>;
}

function Checks({ b }: { b: Backup }) {
  const v = b.verification;
  return (
    <div class="backup-details">
      <dl class="kv small">
        <dt>Id</dt><dd><code>{b.id}</code></dd>
        <dt>Created</dt><dd>{fmtDate(b.created_at)}{b.created_by ? ` by ${b.created_by}` : ""}{b.duration_ms != null ? `, took ${secs(b.duration_ms)}` : ""}</dd>
        {b.expires_at && <><dt>Kept until</dt><dd>{fmtDate(b.expires_at)}</dd></>}
        <dt>Stored</dt><dd>{b.target ? `${b.target.name} (${b.target.kind})` : "–"}{b.location ? <> · <code>{b.location}</code></> : null}</dd>
        <dt>Contents</dt><dd>Odoo {b.odoo_version || "–"}, database {b.db_name || "–"}, {b.table_count ?? "–"} tables, {b.module_count ?? "–"} modules{b.scope === "full" ? `, ${b.filestore_files ?? "–"} filestore file${b.filestore_files === 1 ? "" : "s"}` : ""}</dd>
        {b.sha256 && <><dt>SHA-256</dt><dd><code class="wrap">{b.sha256}</code></dd></>}
        {b.error && <><dt>Error</dt><dd class="danger-text">{b.error}</dd></>}
        <dt>Verification</dt>
        <dd>
          {!v ? "Not verified yet." : v.status === "running" ? "Running…" : (
            <>
              {v.status === "passed" ? "Passed" : "Failed"} {fmtDate(v.verified_at)}; restore took {secs(v.duration_ms)}
              {v.error && <div class="danger-text">{v.error}</div>}
              {v.checks && (
                <ul class="checks">
                  {Object.entries(v.checks).map(([k, x]) => {
                    const ok = x && typeof x === "object" && "ok" in x ? !!x.ok : null;
                    return (
                      <li key={k}>
                        {ok === null ? null : <span class={ok ? "yes" : "no"} aria-hidden="true">{ok ? "✓ " : "✗ "}</span>}
                        <strong>{k.replace(/_/g, " ")}</strong>{ok === null ? "" : ok ? " (passed)" : " (failed)"}{checkText(x) ? `: ${checkText(x)}` : ""}
                      </li>
                    );
                  })}
                </ul>
              )}
            </>
          )}
        </dd>
      </dl>
    </div>
  );
}

export function BackupsTab({ env, perms, onOpenSettings }: { env: any; perms: Set<string>; onOpenSettings?: () => void }) {
  const list = useAsync(() => get<Backup[]>(`/environments/${env.id}/backups`), [env.id]);
  const status = useAsync(() => get<any>(`/environments/${env.id}/backup-status`), [env.id]);
  const [modal, setModal] = useState<null | { kind: "create" } | { kind: "restore"; b: Backup } | { kind: "delete"; b: Backup } | { kind: "import" }>(null);
  const [open, setOpen] = useState<string | null>(null);
  const canRestore = perms.has("environment.restore");
  const reload = () => {
    list.reload(true);
    status.reload(true);
  };
  useOrgEvents(({ type, data }) => {
    if (type === "reset") return reload();
    if ((type === "job.finished" || type === "job.started" || type === "job.queued") && JOB_TYPES.has(data.type) &&
      (data.environment_id === env.id || data.project_id === env.project_id)) reload();
  });
  const busy = (list.data || []).some((b) => b.status === "running" || b.verification?.status === "running");
  usePollWithoutStream(reload, POLL_MS, busy);
  // while a backup or a verification runs, a slow poll as well: an event that raced the
  // row's own update must not leave it showing "running"
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(reload, 3 * POLL_MS);
    return () => clearInterval(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [busy, env.id]);

  async function verify(b: Backup) {
    try {
      await post(`/backups/${b.id}/verify`);
      toast("Verification queued");
      reload();
    } catch (e) {
      toast(`Verify failed: ${(e as ApiError).message}`, "error");
    }
  }

  const st = status.data;
  const tz = st?.timezone || "UTC";
  return (
    <div>
      <div class="panel-head">
        <h2>Backups</h2>
        <div class="row-actions">
          <button type="button" class="btn small" onClick={() => reload()}>Refresh</button>
          {canRestore && <button type="button" class="btn small" onClick={() => setModal({ kind: "import" })}>Import</button>}
          <button type="button" class="btn small primary" onClick={() => setModal({ kind: "create" })}>Create Backup</button>
        </div>
      </div>
      <div class="backup-summary" data-testid="backup-summary">
        {status.error && !st ? (
          <span class="muted">The backup status could not be loaded: {status.error.message}</span>
        ) : !st ? (
          <span class="muted">…</span>
        ) : (
          <>
            <div>
              <strong>Last verified backup:</strong>{" "}
              {st.last_verified ? (
                <>
                  <span title={fmtDate(st.last_verified.verified_at)}>{timeAgo(st.last_verified.verified_at)}</span>
                  {" · "}<strong>Restore time:</strong> <span data-testid="rto">{secs(st.last_verified.restore_duration_ms)}</span>
                </>
              ) : (
                <span class="muted">none yet</span>
              )}
            </div>
            <div>
              <strong>Next scheduled backup:</strong>{" "}
              {st.schedule ? (
                <>{fmtInZone(st.next_scheduled_at, tz)} · schedule <code>{st.schedule}</code></>
              ) : (
                <span class="muted">none: no Backup Schedule is set</span>
              )}
            </div>
          </>
        )}
      </div>
      <Async s={list} what="Loading backups">
        {(xs) =>
          xs.length === 0 ? (
            <Empty>No backups yet. Create one, or set a Backup Schedule in Settings → Odoo.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="backups">
                <thead>
                  <tr><th>Type</th><th>Scope</th><th>Size</th><th>Age</th><th>Status</th><th>Verified</th><th>Actions</th></tr>
                </thead>
                <tbody>
                  {xs.map((b) => [
                    <tr key={b.id} data-backup={b.id} data-kind={b.kind} data-status={b.status}>
                      <td>{KIND[b.kind] || b.kind}</td>
                      <td>{b.scope === "db" ? "Database" : "Database + Filestore"}</td>
                      <td>{fmtBytes(b.size_bytes)}</td>
                      <td><span title={fmtDate(b.created_at)}>{timeAgo(b.created_at)}</span></td>
                      <td>
                        <span class={"badge " + (b.status === "done" ? "green" : b.status === "failed" ? "red" : "gray")}>{b.status}</span>
                      </td>
                      <td><Verified b={b} /></td>
                      <td>
                        <div class="row-actions">
                          <button type="button" class="btn small" aria-expanded={open === b.id} aria-controls={`bk-${b.id}`}
                            aria-label={`Details of the backup of ${fmtDate(b.created_at)}`} onClick={() => setOpen(open === b.id ? null : b.id)}>
                            Details
                          </button>
                          {b.status === "done" && (
                            <a class="btn small" href={`/api/v1/backups/${b.id}/download`} download={b.download_name || true}
                              aria-label={`Download the backup of ${fmtDate(b.created_at)}`}>Download</a>
                          )}
                          {b.status === "done" && b.verification?.status !== "running" && (
                            <button type="button" class="btn small" onClick={() => verify(b)}>Verify</button>
                          )}
                          {canRestore && b.status === "done" && (
                            <button type="button" class="btn small amber" onClick={() => setModal({ kind: "restore", b })}>Restore</button>
                          )}
                          {canRestore && b.status !== "running" && (
                            <button type="button" class="btn small red" onClick={() => setModal({ kind: "delete", b })}>Delete</button>
                          )}
                        </div>
                      </td>
                    </tr>,
                    open === b.id && (
                      <tr key={b.id + "-d"} id={`bk-${b.id}`} class="details-row">
                        <td colSpan={7}><Checks b={b} /></td>
                      </tr>
                    ),
                  ])}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
      <Schedule env={env} status={st} onOpenSettings={onOpenSettings} />

      {modal?.kind === "create" && <CreateModal env={env} onClose={() => setModal(null)} onDone={() => { setModal(null); reload(); }} />}
      {modal?.kind === "restore" && <RestoreModal env={env} b={modal.b} onClose={() => setModal(null)} onDone={() => { setModal(null); reload(); }} />}
      {modal?.kind === "import" && <ImportModal env={env} onClose={() => setModal(null)} onDone={() => { setModal(null); reload(); }} />}
      {modal?.kind === "delete" && (
        <Modal title="Delete backup" onClose={() => setModal(null)}>
          <p>Delete the {(KIND[modal.b.kind] || modal.b.kind).toLowerCase()} backup of {fmtDate(modal.b.created_at)} ({fmtBytes(modal.b.size_bytes)}) and its archive? This cannot be undone.</p>
          <div class="actions">
            <button type="button" class="btn" onClick={() => setModal(null)}>Cancel</button>
            <button type="button" class="btn red" onClick={async () => {
              try {
                await del(`/backups/${modal.b.id}`);
                toast("Backup deleted");
              } catch (e) {
                toast(`Delete failed: ${(e as ApiError).message}`, "error");
              }
              setModal(null);
              reload();
            }}>Delete</button>
          </div>
        </Modal>
      )}
    </div>
  );
}

function CreateModal({ env, onClose, onDone }: { env: any; onClose: () => void; onDone: () => void }) {
  const [scope, setScope] = useState<"db" | "full">("full");
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  async function create() {
    setBusy(true);
    try {
      await post(`/environments/${env.id}/backups`, { scope });
      toast("Backup queued");
      onDone();
    } catch (e) {
      setErr(e as ApiError);
      setBusy(false);
    }
  }
  return (
    <Modal title="Create Backup" onClose={onClose}>
      {err && <ErrorBox error={err} />}
      <fieldset class="choices">
        <legend>What to back up</legend>
        <label class="choice">
          <input type="radio" name="scope" value="db" checked={scope === "db"} onChange={() => setScope("db")} />
          <span><strong>Database only</strong><br /><span class="small">The PostgreSQL database, without the filestore (attachments).</span></span>
        </label>
        <label class="choice">
          <input type="radio" name="scope" value="full" checked={scope === "full"} onChange={() => setScope("full")} />
          <span><strong>Database + Filestore</strong><br /><span class="small">Everything Odoo needs to restore: the database and its attachments.</span></span>
        </label>
      </fieldset>
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" disabled={busy} onClick={create}>{busy ? "Starting…" : "Create Backup"}</button>
      </div>
    </Modal>
  );
}

function RestoreModal({ env, b, onClose, onDone }: { env: any; b: Backup; onClose: () => void; onDone: () => void }) {
  const envs = useAsync(() => get<any[]>(`/projects/${env.project_id}/environments`), [env.project_id]);
  const [target, setTarget] = useState<string>(env.id);
  const [filestore, setFilestore] = useState(b.scope === "full");
  const [safety, setSafety] = useState(true);
  const [typed, setTyped] = useState("");
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const t = (envs.data || []).find((e) => e.id === target) || (target === env.id ? env : null);
  const prod = t?.environment_type === "production";
  const ok = !!t && (!prod || typed === t.name);
  async function restore() {
    setBusy(true);
    try {
      const body: Record<string, unknown> = { include_filestore: filestore, safety_backup: safety };
      if (target !== b.environment_id) body.target_environment_id = target;
      await post(`/backups/${b.id}/restore`, body);
      toast(`Restore into ${t?.name || "the environment"} queued`);
      onDone();
    } catch (e) {
      setErr(e as ApiError);
      setBusy(false);
    }
  }
  return (
    <Modal title="Restore backup" onClose={onClose}>
      <p>
        Restore the {(KIND[b.kind] || b.kind).toLowerCase()} backup of <strong>{fmtDate(b.created_at)}</strong> ({b.scope === "db" ? "database only" : "database + filestore"}, {fmtBytes(b.size_bytes)}) into the environment below.
        Its database{filestore ? " and filestore are" : " is"} replaced by the backup's; Odoo is stopped during the restore and started after.
      </p>
      {err && <ErrorBox error={err} />}
      <Field id="restore-target" label="Target environment" hint="This environment or another of the project (e.g. a production backup into staging).">
        <select id="restore-target" value={target} onChange={(e) => { setTarget((e.target as HTMLSelectElement).value); setTyped(""); }}>
          {(envs.data || [env]).map((e) => (
            <option key={e.id} value={e.id}>{e.name} ({e.environment_type}){e.id === env.id ? " — this one" : ""}</option>
          ))}
        </select>
      </Field>
      <Toggle id="restore-filestore" label="Include filestore" checked={filestore} disabled={b.scope === "db"} onChange={setFilestore}
        hint={b.scope === "db" ? "This backup has no filestore." : "Replace the attachments too."} />
      <Toggle id="restore-safety" label="Safety backup first" checked={safety} onChange={setSafety}
        hint="Back up the target before it is overwritten, to undo the restore." />
      {prod && (
        <Field id="restore-confirm" label={`Type the environment's name (${t.name}) to confirm`} hint="The target is a production environment.">
          <input id="restore-confirm" value={typed} autocomplete="off" onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
        </Field>
      )}
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn red" disabled={!ok || busy} onClick={restore}>{busy ? "Starting…" : "Restore"}</button>
      </div>
    </Modal>
  );
}

function ImportModal({ env, onClose, onDone }: { env: any; onClose: () => void; onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [filestore, setFilestore] = useState(true);
  const [safety, setSafety] = useState(true);
  const [typed, setTyped] = useState("");
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const abort = useRef<(() => void) | null>(null);
  const prod = env.environment_type === "production";
  const fileErr = file && !/\.(zip|dump)$/i.test(file.name) ? "An Odoo backup .zip, or a PostgreSQL custom-format .dump." : null;
  const ok = !!file && !fileErr && (!prod || typed === env.name) && !progress;
  async function start() {
    if (!file) return;
    setErr(null);
    setProgress({ sent: 0, total: file.size });
    const q = `filename=${encodeURIComponent(file.name)}&safety_backup=${safety}&include_filestore=${filestore}`;
    const u = upload(`/environments/${env.id}/backups/import?${q}`, file,
      /\.zip$/i.test(file.name) ? "application/zip" : "application/octet-stream",
      (sent, total) => setProgress({ sent, total }));
    abort.current = u.abort;
    try {
      await u.done;
      toast("Upload done: the import is queued");
      onDone();
    } catch (e) {
      setErr(e as ApiError);
      setProgress(null);
    }
    abort.current = null;
  }
  const close = () => {
    abort.current?.();
    onClose();
  };
  const pct = progress && progress.total ? Math.floor((progress.sent * 100) / progress.total) : 0;
  return (
    <Modal title="Import backup" onClose={close}>
      <p>Upload a backup made by Odoo's database manager (a .zip from Odoo.sh, Odoo Online or your own server) or a .dump, and restore it into <strong>{env.name}</strong>. Its database{filestore ? " and filestore are" : " is"} replaced.</p>
      {err && <ErrorBox error={err} />}
      <Field id="import-file" label="Backup file" error={fileErr} hint=".zip (dump.sql, filestore/, manifest.json) or .dump">
        <input id="import-file" type="file" accept=".zip,.dump,application/zip" disabled={!!progress}
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] || null)} />
      </Field>
      <Toggle id="import-filestore" label="Include filestore" checked={filestore} disabled={!!progress} onChange={setFilestore} />
      <Toggle id="import-safety" label="Safety backup first" checked={safety} disabled={!!progress} onChange={setSafety}
        hint="Back up the environment before it is overwritten." />
      {prod && (
        <Field id="import-confirm" label={`Type the environment's name (${env.name}) to confirm`} hint="This is a production environment.">
          <input id="import-confirm" value={typed} autocomplete="off" disabled={!!progress} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
        </Field>
      )}
      {progress && (
        <div class="field" aria-live="polite">
          <label for="import-progress">Uploading</label>
          <progress id="import-progress" max={100} value={pct} />
          <div class="hint">{fmtBytes(progress.sent)} of {fmtBytes(progress.total)} ({pct}%)</div>
        </div>
      )}
      <div class="actions">
        <button type="button" class="btn" onClick={close}>Cancel</button>
        <button type="button" class="btn red" disabled={!ok} onClick={start}>{progress ? "Uploading…" : "Upload and restore"}</button>
      </div>
    </Modal>
  );
}

const RETENTION: [string, string, number, string][] = [
  ["backup_keep_daily", "Daily Backups Kept", 7, "scheduled backups: the newest of each of the last N days"],
  ["backup_keep_weekly", "Weekly Backups Kept", 4, "the newest of each of the last N weeks"],
  ["backup_keep_monthly", "Monthly Backups Kept", 12, "the newest of each of the last N months"],
  ["backup_manual_keep_days", "Manual Backups Kept (days)", 0, "0: until deleted"],
];

/** The schedule and the retention numbers, read-only: Settings → Odoo sets them. */
function Schedule({ env, status, onOpenSettings }: { env: any; status: any; onOpenSettings?: () => void }) {
  const schedule: string = status?.schedule ?? env.settings?.backup_schedule ?? "";
  return (
    <section class="schedule-form" aria-label="Backup schedule" data-testid="backup-schedule">
      <h3>Backup schedule</h3>
      <dl class="kv small">
        <dt>Backup Schedule</dt>
        <dd>{schedule ? <code>{schedule}</code> : <span class="muted">none: no automatic backups</span>} <span class="muted">({status?.timezone || "UTC"})</span></dd>
        {RETENTION.map(([k, label, d]) => (
          <Fragment key={k}><dt>{label}</dt><dd>{k === "backup_manual_keep_days" && !(env.settings?.[k] ?? d) ? "until deleted" : String(env.settings?.[k] ?? d)}</dd></Fragment>
        ))}
      </dl>
      <p class="small">
        Set in{" "}
        <a href={`/environments/${env.id}`} onClick={(e) => { if (onOpenSettings) { e.preventDefault(); onOpenSettings(); } }}>Settings → Odoo</a>
        {" "}(the Backup Schedule field, with the retention numbers).
      </p>
    </section>
  );
}
