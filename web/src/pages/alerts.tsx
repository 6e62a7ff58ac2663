// Alerts of the organization: the open ones (live over the event stream), the history, and
// the thresholds (owners and admins change them).
import { useState } from "preact/hooks";
import { ApiError, get, put } from "../api";
import { useOrgEvents } from "../events";
import { useSession } from "../session";
import { Async, Empty, Field, fmtDate, timeAgo, toast, useAsync } from "../ui";

const FIELDS: [string, string, string][] = [
  ["cpu_warning_pct", "CPU warning (%)", "of the container's CPU limit, or of the server"],
  ["cpu_critical_pct", "CPU critical (%)", ""],
  ["memory_warning_pct", "Memory warning (%)", "of the container's memory limit, or of the server"],
  ["memory_critical_pct", "Memory critical (%)", ""],
  ["disk_warning_pct", "Disk warning (%)", "of a server's disk"],
  ["disk_critical_pct", "Disk critical (%)", ""],
  ["sustain_s", "Sustained for (seconds)", "how long a level lasts before it is raised"],
  ["restarts_max", "Restarts", "more restarts than this…"],
  ["restarts_window_s", "Restart window (seconds)", "…within this window is critical"],
  ["unreachable_rounds", "Unreachable rounds", "sampling rounds a server did not answer"],
];

function Severity({ a }: { a: any }) {
  const cls = a.status === "resolved" ? "gray" : a.severity === "critical" ? "red" : "amber";
  return <span class={"badge " + cls}>{a.status === "resolved" ? "resolved" : a.severity}</span>;
}

export function AlertsPage() {
  const s = useSession();
  const org = s.org.id;
  const list = useAsync(() => get<any[]>(`/orgs/${org}/alerts?limit=200`), [org]);
  useOrgEvents(({ type }) => {
    if (type === "alert.raised" || type === "alert.resolved" || type === "reset") list.reload(true);
  });
  const open = (list.data || []).filter((a) => a.status === "raised");
  const past = (list.data || []).filter((a) => a.status !== "raised");
  const rows = (xs: any[]) => (
    <div class="table-wrap card">
      <table>
        <thead>
          <tr><th>Severity</th><th>Target</th><th>What</th><th>Raised</th><th>Resolved</th></tr>
        </thead>
        <tbody>
          {xs.map((a) => (
            <tr key={a.id} data-alert={a.kind}>
              <td><Severity a={a} /></td>
              <td>{a.target_type === "environment" ? <a href={`/environments/${a.target_id}`}>{a.target_name || a.target_id}</a> : <>server {a.target_name || a.target_id}</>}
                {a.container && <div class="muted small">{a.container}</div>}</td>
              <td>{a.message}</td>
              <td title={fmtDate(a.raised_at)}>{timeAgo(a.raised_at)}</td>
              <td title={fmtDate(a.resolved_at)}>{a.resolved_at ? timeAgo(a.resolved_at) : "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
  return (
    <section>
      <h1>Alerts</h1>
      <Async s={list} what="Loading alerts">
        {() => (
          <>
            <h2>Open</h2>
            {open.length ? rows(open) : <Empty>No open alert. Alerts come from the monitoring samples and the thresholds below.</Empty>}
            <h2>History</h2>
            {past.length ? rows(past) : <Empty>No resolved alert in the last 30 days.</Empty>}
          </>
        )}
      </Async>
      <Thresholds org={org} manage={s.perms.has("org.update")} />
    </section>
  );
}

function Thresholds({ org, manage }: { org: string; manage: boolean }) {
  const cur = useAsync(() => get<any>(`/orgs/${org}/alert-thresholds`), [org]);
  const [f, setF] = useState<Record<string, string> | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const vals: Record<string, string> = f || Object.fromEntries(FIELDS.map(([k]) => [k, String(cur.data?.thresholds?.[k] ?? "")]));
  const local = (k: string): string | null => {
    const v = Number(vals[k]);
    if (vals[k] === "" || !Number.isFinite(v)) return "A number.";
    if (k.endsWith("_pct") && (v < 1 || v > 100)) return "1 to 100.";
    if (k.endsWith("_s") && !Number.isInteger(v)) return "Whole seconds.";
    for (const m of ["cpu", "memory", "disk"])
      if (k === `${m}_warning_pct` && v > Number(vals[`${m}_critical_pct`])) return "Not above the critical level.";
    return null;
  };
  const show = (k: string) => local(k) || (err?.field === k ? err.message : null);
  async function save(e: Event) {
    e.preventDefault();
    if (FIELDS.some(([k]) => local(k))) return;
    setBusy(true);
    setErr(null);
    try {
      const body: Record<string, number> = {};
      for (const [k] of FIELDS) if (Number(vals[k]) !== cur.data.defaults[k]) body[k] = Number(vals[k]);
      await put(`/orgs/${org}/alert-thresholds`, body);
      toast("Alert thresholds saved");
      setF(null);
      cur.reload(true);
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }
  return (
    <Async s={cur} what="Loading thresholds">
      {(t) => (
        <form class="card" aria-label="Alert thresholds" onSubmit={save} noValidate>
          <h2>Thresholds</h2>
          {err && !err.field && <div class="banner error" role="alert">{err.message}</div>}
          <div class="cols">
            {FIELDS.map(([k, label, hint]) => (
              <Field key={k} id={"thr-" + k} label={label} error={show(k)} hint={`${hint ? hint + "; " : ""}default ${t.defaults[k]}`}>
                <input id={"thr-" + k} type="number" value={vals[k]} disabled={!manage}
                  onInput={(e) => setF({ ...vals, [k]: (e.target as HTMLInputElement).value })} />
              </Field>
            ))}
          </div>
          {manage && (
            <div class="actions">
              <button type="button" class="btn" onClick={() => setF(Object.fromEntries(FIELDS.map(([k]) => [k, String(t.defaults[k])])))}>Defaults</button>
              <button type="submit" class="btn primary" disabled={busy}>{busy ? "Saving…" : "Save thresholds"}</button>
            </div>
          )}
        </form>
      )}
    </Async>
  );
}
