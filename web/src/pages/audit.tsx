// Audit log of the current organization: newest first, filtered as you type, older pages on demand.
import { useState } from "preact/hooks";
import { get } from "../api";
import { useSession } from "../session";
import { Empty, ErrorBox, Loading, fmtDate, timeAgo, useAsync } from "../ui";

const PAGE = 100;

export function AuditPage() {
  const s = useSession();
  const org = s.org.id;
  const [older, setOlder] = useState<any[]>([]);
  const [more, setMore] = useState<boolean | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const first = useAsync(async () => {
    setOlder([]);
    if (!s.perms.has("audit.view")) return [];
    const r = await get<any[]>(`/orgs/${org}/audit?limit=${PAGE}`);
    setMore(r.length === PAGE);
    return r;
  }, [org]);
  const [q, setQ] = useState("");
  const [action, setAction] = useState("");
  if (!s.perms.has("audit.view")) return <ErrorBox error="The audit log needs the audit.view permission (owners and admins)." />;
  const all = [...(first.data || []), ...older];
  const actions = [...new Set(all.map((e) => e.action))].sort();
  const needle = q.trim().toLowerCase();
  const rows = all.filter(
    (e) =>
      (!action || e.action === action) &&
      (!needle || [e.actor, e.action, e.target_type, e.target_id, e.source_ip, JSON.stringify(e.details)]
        .some((x) => x && String(x).toLowerCase().includes(needle))),
  );
  async function loadOlder() {
    const last = all[all.length - 1];
    if (!last) return;
    setLoadingMore(true);
    try {
      const r = await get<any[]>(`/orgs/${org}/audit?limit=${PAGE}&before=${last.id}`);
      setOlder([...older, ...r]);
      setMore(r.length === PAGE);
    } finally {
      setLoadingMore(false);
    }
  }
  return (
    <section>
      <h1>Audit log</h1>
      <div class="card">
        <div class="cols">
          <div class="field">
            <label for="audit-q">Filter</label>
            <input id="audit-q" type="search" value={q} placeholder="actor, target, IP, details…" onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
          </div>
          <div class="field">
            <label for="audit-action">Action</label>
            <select id="audit-action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
              <option value="">All actions</option>
              {actions.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          </div>
        </div>
      </div>
      {first.error ? (
        <ErrorBox error={first.error} retry={() => first.reload()} />
      ) : !first.data ? (
        <Loading what="Loading the audit log" />
      ) : rows.length === 0 ? (
        <Empty>{all.length ? "No entry matches the filter." : "Nothing recorded yet."}</Empty>
      ) : (
        <div class="table-wrap card">
          <table>
            <thead><tr><th>When</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th><th>IP</th></tr></thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-action={e.action}>
                  <td title={e.created_at}>{fmtDate(e.created_at)}<div class="muted small">{timeAgo(e.created_at)}</div></td>
                  <td>{e.actor}</td>
                  <td><code>{e.action}</code></td>
                  <td>{e.target_type}<div class="muted small">{e.target_id}</div></td>
                  <td class="details">{e.details ? <code class="wrap">{JSON.stringify(e.details)}</code> : ""}</td>
                  <td>{e.source_ip}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && (
        <div class="actions">
          <button type="button" class="btn" disabled={loadingMore} onClick={loadOlder}>{loadingMore ? "Loading…" : "Older entries"}</button>
        </div>
      )}
    </section>
  );
}
