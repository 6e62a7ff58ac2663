// The instance console of one environment (instance-console.txt): header (with the HTTPS
// state), quick actions (Connect As User, Clone and Refresh among them), tabs Commits and Queue
// (with the streaming job log), Access, Logs, Mails (not on production), Monitoring, Backups
// and Settings.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, del, get, post, streamEvents } from "../api";
import { navigate } from "../router";
import { useSession } from "../session";
import { useOrgEvents, usePollWithoutStream } from "../events";
import { Async, Empty, ErrorBox, Link, Loading, Modal, StageBadge, StatusDot, TlsState, fmtCPU, fmtDate, fmtMB, lazy, timeAgo, toast, useAsync } from "../ui";
import { LogsTab } from "./logs";
import { MonitoringTab } from "./monitoring";

const POLL_MS = 3000;
// the Backups tab is its own chunk, fetched when the tab is first opened
const BackupsTab = lazy(() => import("./backups").then((m) => m.BackupsTab));
// the Settings tab likewise
const SettingsTab = lazy(() => import("./settings-env").then((m) => m.SettingsTab));
// and the Access and Mails tabs, the Connect As User, Clone and Refresh dialogs, a job's progress
const AccessTab = lazy(() => import("./access").then((m) => m.AccessTab));
const MailsTab = lazy(() => import("./mails").then((m) => m.MailsTab));
const ConnectModal = lazy(() => import("./connect").then((m) => m.ConnectModal));
const CloneModal = lazy(() => import("./clone").then((m) => m.CloneModal));
const RefreshModal = lazy(() => import("./clone").then((m) => m.RefreshModal));
const JobProgress = lazy(() => import("./jobprogress").then((m) => m.JobProgress));

/** Jobs to show on an environment's page when it opens (the clone job, on its new environment). */
export const pendingJobs = new Map<string, { job: any; title: string }>();

export function EnvironmentPage({ id }: { id: string }) {
  const env = useAsync(() => get<any>(`/environments/${id}`), [id]);
  // the caller's effective permissions on this environment: the quick actions shown
  const perms = useAsync(() => get<{ permissions: string[] }>(`/environments/${id}/permissions`), [id]);
  // the status dot changes in place on the organization's events (polling without the stream)
  useOrgEvents(({ type, data }) => {
    if (type === "environment.status" && data.id === id) {
      env.mutate((e) => ({ ...e, status: data.status, status_reason: data.status_reason }));
      env.reload(true);
    } else if ((type === "job.finished" && data.environment_id === id) || type === "reset") {
      env.reload(true); // a deploy changes the deployed commit, a settings job the resources
    }
  });
  usePollWithoutStream(() => env.reload(true), POLL_MS);
  return (
    <Async s={env} what="Loading the environment">
      {(e) => <Console key={e.id} env={e} perms={perms.data ? new Set(perms.data.permissions) : null} reload={() => env.reload(true)} />}
    </Async>
  );
}

function Console({ env, perms, reload }: { env: any; perms: Set<string> | null; reload: () => void }) {
  const s = useSession();
  const [modal, setModal] = useState<null | "restart" | "remove" | "merge" | "connect" | "clone" | "refresh">(null);
  // a clone or refresh job followed above the tabs (the clone's handed over by the dialog)
  const [progress, setProgress] = useState<{ job: any; title: string } | null>(() => {
    const p = pendingJobs.get(env.id) || null;
    pendingJobs.delete(env.id);
    return p;
  });
  const [tab, setTab] = useState("commits");
  // a point clicked on a monitoring chart opens the Logs tab on the 10 minutes around it
  const [logWindow, setLogWindow] = useState<{ since: string; until: string } | null>(null);
  const [queueGen, setQueueGen] = useState(0);
  const [settingsSub, setSettingsSub] = useState("odoo");
  const [jobLog, setJobLog] = useState<any>(null); // a job the Settings tab queued, its log shown here
  const can = (p: string) => !!perms && perms.has(p); // none shown until the permissions are known
  const host = env.url ? env.url.replace(/^https?:\/\//, "") : env.subdomain;
  const removable = env.environment_type !== "production";
  const production = env.environment_type === "production";
  const project = useAsync(() => get<any>(`/projects/${env.project_id}`), [env.project_id]);

  async function act(what: string, path: string, body: unknown = {}) {
    try {
      await post(path, body);
      toast(`${what} queued`);
      setQueueGen((g) => g + 1);
      reload();
    } catch (e) {
      toast(`${what} failed: ${(e as ApiError).message}`, "error");
    }
  }

  const tabs: [string, string][] = [
    ["commits", "Commits"],
    ["queue", "Queue"],
    ["access", "Access"],
    ...(can("environment.logs") ? ([["logs", "Logs"]] as [string, string][]) : []),
    // the mail catcher's mails: not on production, which sends real mail
    ...(!production && can("environment.logs") ? ([["mails", "Mails"]] as [string, string][]) : []),
    ["monitoring", "Monitoring"],
    // production and staging, with the permission and the plan's allow_backup
    ...(env.environment_type !== "development" && can("environment.backup") && s.plan?.allow_backup ? ([["backups", "Backups"]] as [string, string][]) : []),
    ["settings", "Settings"],
  ];

  return (
    <section class="console">
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link href="/projects">Projects</Link> / <Link href={`/projects/${env.project_id}`}>{project.data?.name || "Project"}</Link> / {env.name}
      </nav>
      <header class="console-head card">
        <div class="console-title">
          <h1>
            <span class="branch" title="Git branch">{env.git_branch}</span> <StageBadge type={env.environment_type} />{" "}
            <span data-testid="env-status"><StatusDot status={env.status} /></span>
          </h1>
          <div class="domain">{host} <TlsState status={env.tls_status} error={env.tls_error} /></div>
          <div class="muted small">
            {env.name} · Odoo {env.odoo_version} · {fmtCPU(env.cpu_cores)} CPU, {fmtMB(env.ram_mb)}, {env.disk_gb} GB · on {env.server_name}
            {env.status_reason ? ` · ${env.status_reason}` : ""}
          </div>
        </div>
        <a class="btn primary" href={env.url} target="_blank" rel="noopener noreferrer">Open Instance</a>
      </header>

      <div class="quick-actions" role="group" aria-label="Quick actions" data-perms={perms ? "loaded" : "loading"}>
        {can("environment.restart") && <button type="button" class="btn gray" onClick={() => setModal("restart")}>Restart</button>}
        {can("environment.connect") && (
          s.plan?.allow_connect === false ? (
            <button type="button" class="btn gray" aria-disabled="true" aria-describedby="connect-plan" title="Your plan does not include Connect As User (allow_connect)"
              onClick={() => toast("Connect As User is not in your organization's plan (allow_connect): upgrade it to use it.", "error")}>Connect</button>
          ) : (
            <button type="button" class="btn gray" onClick={() => setModal("connect")}>Connect</button>
          )
        )}
        {can("environment.merge") && s.plan?.allow_merge && <button type="button" class="btn gray" onClick={() => setModal("merge")}>Merge</button>}
        {can("environment.stop") && env.status !== "stopped" && (
          <button type="button" class="btn amber" onClick={() => act("Stop", `/environments/${env.id}/stop`)}>Stop</button>
        )}
        {can("environment.start") && env.status === "stopped" && (
          <button type="button" class="btn green" onClick={() => act("Start", `/environments/${env.id}/start`)}>Start</button>
        )}
        {can("environment.deploy") && <button type="button" class="btn primary" onClick={() => act("Deploy", `/environments/${env.id}/deploy`)}>Deploy</button>}
        {can("project.environments.create") && (env.status === "running" || env.status === "stopped") && (
          <button type="button" class="btn gray" onClick={() => setModal("clone")}>Clone</button>
        )}
        {can("environment.settings") && !production && <button type="button" class="btn gray" onClick={() => setModal("refresh")}>Refresh</button>}
        {can("environment.remove") && removable && <button type="button" class="btn red" onClick={() => setModal("remove")}>Remove</button>}
      </div>
      {can("environment.connect") && s.plan?.allow_connect === false && (
        <p class="muted small plan-note" id="connect-plan">Connect As User needs a plan with remote session access (allow_connect, Pro or Enterprise): upgrade the organization's plan to use it.</p>
      )}
      {progress && (
        <div class="card progress-card">
          <JobProgress job={progress.job} title={progress.title} onEnd={() => { reload(); setQueueGen((g) => g + 1); }} />
          <div class="actions"><button type="button" class="btn small" onClick={() => setProgress(null)}>Dismiss</button></div>
        </div>
      )}

      <div class="tabs" role="tablist" aria-label="Environment">
        {tabs.map(([k, l]) => (
          <button key={k} type="button" role="tab" id={`tab-${k}`} aria-selected={tab === k} aria-controls={`panel-${k}`}
            tabIndex={tab === k ? 0 : -1} class={tab === k ? "active" : ""} onClick={() => setTab(k)}
            onKeyDown={(e) => {
              const i = tabs.findIndex((t) => t[0] === tab);
              const n = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : -99;
              if (n !== -99) {
                const t = tabs[(n + tabs.length) % tabs.length][0];
                setTab(t);
                document.getElementById(`tab-${t}`)?.focus();
              }
            }}>
            {l}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="panel card">
        {tab === "commits" && <Commits env={env} />}
        {tab === "queue" && <Queue env={env} gen={queueGen} />}
        {tab === "access" && <AccessTab env={env} perms={perms} />}
        {tab === "logs" && <LogsTab env={env} since={logWindow?.since} until={logWindow?.until} />}
        {tab === "mails" && <MailsTab env={env} />}
        {tab === "monitoring" && (
          <MonitoringTab env={env} onPick={can("environment.logs") ? (ts) => {
            setLogWindow({ since: new Date((ts - 300) * 1000).toISOString(), until: new Date((ts + 300) * 1000).toISOString() });
            setTab("logs");
          } : undefined} />
        )}
        {tab === "backups" && <BackupsTab env={env} perms={perms!} onOpenSettings={() => { setSettingsSub("odoo"); setTab("settings"); }} />}
        {tab === "settings" && (
          <SettingsTab env={env} perms={perms} sub={settingsSub} onSub={setSettingsSub}
            onQueue={() => { setQueueGen((g) => g + 1); setTab("queue"); }} onShowJob={(j) => { setQueueGen((g) => g + 1); setJobLog(j); }} onSaved={reload} />
        )}
      </div>

      {modal === "restart" && (
        <RestartModal onClose={() => setModal(null)} onRestart={(mode) => { setModal(null); act(mode === "soft" ? "Soft restart" : "Hard restart", `/environments/${env.id}/restart`, { mode }); }} />
      )}
      {modal === "remove" && <RemoveModal env={env} onClose={() => setModal(null)} />}
      {jobLog && <JobLog job={jobLog} onClose={() => setJobLog(null)} />}
      {modal === "merge" && (
        <MergeModal env={env} onClose={() => setModal(null)} onMerged={() => { setModal(null); setQueueGen((g) => g + 1); setTab("queue"); }} />
      )}
      {modal === "connect" && <ConnectModal env={env} onClose={() => setModal(null)} />}
      {modal === "clone" && <CloneModal env={env} onClose={() => setModal(null)} />}
      {modal === "refresh" && (
        <RefreshModal env={env} onClose={() => setModal(null)}
          onQueued={(job, title) => { setModal(null); setProgress({ job, title }); setQueueGen((g) => g + 1); }} />
      )}
    </section>
  );
}

function RestartModal({ onClose, onRestart }: { onClose: () => void; onRestart: (mode: string) => void }) {
  const [mode, setMode] = useState("soft");
  return (
    <Modal title="Restart" onClose={onClose}>
      <fieldset class="choices">
        <legend>Restart mode</legend>
        <label class="choice">
          <input type="radio" name="mode" value="soft" checked={mode === "soft"} onChange={() => setMode("soft")} />
          <span><strong>Soft Restart</strong><br />
            <span class="small">Pulls codebase updates and restarts the Odoo service and background services without restarting the full container.</span></span>
        </label>
        <label class="choice">
          <input type="radio" name="mode" value="hard" checked={mode === "hard"} onChange={() => setMode("hard")} />
          <span><strong>Hard Restart</strong><br />
            <span class="small">Stops and recreates the Docker containers from scratch. Use this when the Odoo process is unresponsive or after changing Docker-level or Nginx settings.</span></span>
        </label>
      </fieldset>
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" onClick={() => onRestart(mode)}>{mode === "soft" ? "Soft Restart" : "Hard Restart"}</button>
      </div>
    </Modal>
  );
}

function RemoveModal({ env, onClose }: { env: any; onClose: () => void }) {
  const [text, setText] = useState("");
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function remove() {
    setBusy(true);
    try {
      await del(`/environments/${env.id}`, { confirm: text });
      toast(`Removing ${env.name}`);
      navigate(`/projects/${env.project_id}`);
    } catch (e) {
      setErr((e as Error).message);
      setBusy(false);
    }
  }
  return (
    <Modal title="Remove instance" onClose={onClose}>
      <p>This irreversibly removes <strong>{env.name}</strong> and all its data: containers, database, filestore.</p>
      {err && <ErrorBox error={err} />}
      <div class="field">
        <label for="confirm-delete">Type DELETE to confirm</label>
        <input id="confirm-delete" value={text} autocomplete="off" onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      </div>
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn red" disabled={text !== "DELETE" || busy} onClick={remove}>Remove</button>
      </div>
    </Modal>
  );
}

function MergeModal({ env, onClose, onMerged }: { env: any; onClose: () => void; onMerged: () => void }) {
  const [target, setTarget] = useState("");
  const [err, setErr] = useState<ApiError | null>(null);
  async function merge() {
    try {
      await post(`/environments/${env.id}/merge`, { target_branch: target });
      toast("Merge queued");
      onMerged();
    } catch (e) {
      setErr(e as ApiError);
    }
  }
  const bad = !target ? null : target === env.git_branch ? "Not the environment's own branch." : null;
  return (
    <Modal title="Merge" onClose={onClose}>
      <p>Merge <strong>{env.git_branch}</strong> into the target branch and push it.</p>
      {err && !err.field && <ErrorBox error={err} />}
      <div class={"field" + (bad || err?.field ? " has-error" : "")}>
        <label for="merge-target">Target branch</label>
        <input id="merge-target" value={target} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
        {(bad || err?.field) && <div class="field-error">{bad || err!.message}</div>}
      </div>
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" disabled={!target || !!bad} onClick={merge}>Merge</button>
      </div>
    </Modal>
  );
}

function Commits({ env }: { env: any }) {
  const commits = useAsync(() => get<any[]>(`/environments/${env.id}/commits`), [env.id]);
  return (
    <div>
      <div class="panel-head">
        <h2>Commits on {env.git_branch}</h2>
        <button type="button" class="btn small" onClick={() => commits.reload()}>Refresh</button>
      </div>
      {commits.error && (commits.error as ApiError).status === 409 ? (
        <Empty>{commits.error.message}</Empty>
      ) : (
        <Async s={commits} what="Fetching the repository">
          {(list) =>
            list.length === 0 ? (
              <Empty>No commits on this branch.</Empty>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead><tr><th>Commit</th><th>Author</th><th>Message</th><th>Date</th></tr></thead>
                  <tbody>
                    {list.map((c) => (
                      <tr key={c.commit} class={c.deployed ? "deployed" : ""}>
                        <td><code title={c.commit}>{c.hash}</code>{c.deployed && <span class="badge green small">deployed</span>}</td>
                        <td>{c.author}</td>
                        <td>{c.message}</td>
                        <td title={c.date}>{fmtDate(c.date)} <span class="muted">({timeAgo(c.date)})</span></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Async>
      )}
    </div>
  );
}

function Queue({ env, gen }: { env: any; gen: number }) {
  const jobs = useAsync(() => get<any[]>(`/environments/${env.id}/jobs?limit=50`), [env.id, gen]);
  const [log, setLog] = useState<any>(null);
  const active = jobs.data?.some((j) => j.status === "queued" || j.status === "running");
  // rows follow the queue: job.queued/started/finished of this environment (the organization
  // event stream); without the stream, polled while a job is queued or running
  useOrgEvents(({ type, data }) => {
    if ((type.startsWith("job.") && data.environment_id === env.id) || type === "reset") jobs.reload(true);
  });
  usePollWithoutStream(() => jobs.reload(true), POLL_MS, !!active);
  return (
    <div>
      <div class="panel-head">
        <h2>Queue</h2>
        <button type="button" class="btn small" onClick={() => jobs.reload()}>Refresh</button>
      </div>
      <Async s={jobs} what="Loading jobs">
        {(list) =>
          list.length === 0 ? (
            <Empty>No jobs yet for this environment.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead><tr><th>Type</th><th>Status</th><th>Initiated by</th><th>Created</th><th>Completed</th><th><span class="sr-only">Log</span></th></tr></thead>
                <tbody>
                  {list.map((j) => (
                    <tr key={j.id} data-job={j.id}>
                      <td>{j.type}{j.params?.mode ? ` (${j.params.mode})` : ""}</td>
                      <td><StatusDot status={j.status} />{j.stage && j.status === "running" ? <span class="muted small"> · {j.stage}</span> : null}</td>
                      <td>{j.initiated_by_email || (j.params?.trigger ? `berth (${j.params.trigger})` : "berth")}</td>
                      <td title={j.created_at}>{fmtDate(j.created_at)}</td>
                      <td title={j.completed_at || ""}>{fmtDate(j.completed_at)}</td>
                      <td>
                        <button type="button" class="icon-btn" aria-label={`Log of the ${j.type} job`} title="Show the log" onClick={() => setLog(j)}>
                          <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M3 1h7l3 3v11H3zm1 1v12h8V5H9V2zm1 5h6v1H5zm0 2h6v1H5zm0 2h4v1H5z" /></svg>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Async>
      {log && <JobLog job={log} onClose={() => { setLog(null); jobs.reload(true); }} />}
    </div>
  );
}

/** The job's full output, streamed (GET /jobs/{id}/events) while the job runs. */
export function JobLog({ job, onClose }: { job: any; onClose: () => void }) {
  const [lines, setLines] = useState<string[]>([]);
  const [end, setEnd] = useState<{ status?: string; error?: string | null } | null>(null);
  const [streamErr, setStreamErr] = useState<string | null>(null);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const buf: string[] = [];
    let pending = false;
    let finished = false;
    const flush = () => {
      pending = false;
      setLines([...buf]);
    };
    const close = streamEvents(`/jobs/${job.id}/events`, {
      onEvent: (ev, data) => {
        if (ev === "log") {
          buf.push(data);
          if (!pending) {
            pending = true;
            requestAnimationFrame(flush);
          }
        } else if (ev === "status") {
          finished = true;
          try {
            setEnd(JSON.parse(data));
          } catch {
            setEnd({ status: data });
          }
        }
      },
      onEnd: (e) => {
        flush();
        if (e) setStreamErr(e);
        else if (!finished) setStreamErr("The stream ended before the job did (berthd restarted?): close and reopen the log to resume.");
      },
    });
    return close;
  }, [job.id]);
  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <Modal title={`Job log: ${job.type}`} onClose={onClose} wide>
      <p class="small" aria-live="polite" data-testid="log-state">
        {end ? <>Finished: <StatusDot status={end.status || "done"} />{end.error ? ` — ${end.error}` : ""}</> : streamErr ? streamErr : <><span class="spinner" aria-hidden="true" /> Streaming…</>}
      </p>
      {lines.length === 0 && !end ? <Loading what="Waiting for output" /> : null}
      <pre class="log" ref={pre} tabIndex={0} aria-label="Job output">{lines.join("\n")}</pre>
      <div class="actions"><button type="button" class="btn" onClick={onClose}>Close</button></div>
    </Modal>
  );
}
