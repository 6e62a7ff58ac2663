// Platform administration (the platform administrator only): plans, the current
// organization's plan, and the Odoo image of each version.
import { useState } from "preact/hooks";
import { ApiError, del, get, patch, post, put } from "../api";
import { useSession } from "../session";
import { Async, ErrorBox, Field, Modal, fmtCPU, fmtMB, toast, useAsync } from "../ui";

const LIMITS: [string, string][] = [
  ["cpu_cores", "CPU cores"], ["ram_mb", "RAM (MB)"], ["disk_gb", "Disk (GB)"],
  ["max_environments", "Environments"], ["max_servers", "Servers"], ["max_projects", "Projects"], ["max_members", "Members"],
];
const FLAGS: [string, string][] = [
  ["allow_ide", "IDE"], ["allow_backup", "Backups"], ["allow_instance_tuning", "Instance tuning"],
  ["allow_nginx_tuning", "Nginx tuning"], ["allow_ip_whitelist", "IP whitelist"], ["allow_connect", "Connect as user"],
  ["allow_merge", "Merge"],
];
const IMAGE_RE = /^([a-zA-Z0-9.-]+(:[0-9]+)?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

export function AdminPage() {
  const s = useSession();
  const plans = useAsync(() => (s.me.is_admin ? get<any[]>("/plans") : Promise.resolve([])), []);
  const images = useAsync(() => (s.me.is_admin ? get<any[]>("/admin/odoo-versions") : Promise.resolve([])), []);
  const [editing, setEditing] = useState<any>(null);
  if (!s.me.is_admin) return <ErrorBox error="This page is for the platform administrator." />;
  async function setOrgPlan(id: string) {
    try {
      await put(`/orgs/${s.org.id}/plan`, { plan_id: id });
      toast(`${s.org.name} is now on this plan`);
      await s.refresh();
    } catch (e) {
      toast((e as Error).message, "error");
    }
  }
  async function remove(p: any) {
    try {
      await del(`/plans/${p.id}`);
      toast(`Plan ${p.name} deleted`);
      plans.reload(true);
    } catch (e) {
      toast((e as Error).message, "error");
    }
  }
  return (
    <section>
      <div class="page-head">
        <h1>Administration</h1>
        <button type="button" class="btn primary" onClick={() => setEditing({})}>New plan</button>
      </div>
      <h2>Plans</h2>
      <Async s={plans} what="Loading plans">
        {(list) => (
          <div class="table-wrap card">
            <table>
              <thead>
                <tr><th>Plan</th>{LIMITS.map(([, l]) => <th key={l}>{l}</th>)}<th>Features</th><th><span class="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {list.map((p) => (
                  <tr key={p.id} data-plan={p.name}>
                    <td><strong>{p.name}</strong>{p.is_default && <div class="muted small">default</div>}{p.name === s.org.plan_name && <div class="muted small">{s.org.name}'s plan</div>}</td>
                    {LIMITS.map(([k]) => <td key={k}>{k === "cpu_cores" ? fmtCPU(p[k]) : k === "ram_mb" ? fmtMB(p[k]) : p[k]}</td>)}
                    <td class="small">{FLAGS.filter(([k]) => p[k]).map(([, l]) => l).join(", ") || "–"}</td>
                    <td>
                      <div class="row-actions">
                        <button type="button" class="btn small" onClick={() => setEditing(p)}>Edit {p.name}</button>
                        {p.name !== s.org.plan_name && <button type="button" class="btn small" onClick={() => setOrgPlan(p.id)}>Use for {s.org.name}</button>}
                        <button type="button" class="btn small red" onClick={() => remove(p)}>Delete {p.name}</button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      <h2>Odoo images</h2>
      <Async s={images} what="Loading the Odoo images">
        {(list) => <Images list={list} onSaved={() => images.reload(true)} />}
      </Async>
      {editing && <PlanForm plan={editing} onClose={() => setEditing(null)} onSaved={() => { setEditing(null); plans.reload(true); }} />}
    </section>
  );
}

function Images({ list, onSaved }: { list: any[]; onSaved: () => void }) {
  const [v, setV] = useState<Record<string, string>>(Object.fromEntries(list.map((x) => [x.version, x.image])));
  const [err, setErr] = useState<ApiError | null>(null);
  const bad = (img: string) => (!img ? "Enter an image." : img.length > 255 || !IMAGE_RE.test(img) ? "A Docker image reference: [registry[:port]/]name[:tag][@digest]." : null);
  async function save(e: Event) {
    e.preventDefault();
    if (Object.values(v).some(bad)) return;
    setErr(null);
    try {
      await put("/admin/odoo-versions", Object.entries(v).map(([version, image]) => ({ version, image })));
      toast("Odoo images saved");
      onSaved();
    } catch (x) {
      setErr(x as ApiError);
    }
  }
  return (
    <form class="card form" onSubmit={save} noValidate aria-label="Odoo images">
      {err && <div class="banner error" role="alert">{err.message}</div>}
      <div class="cols">
        {list.map((x) => (
          <Field key={x.version} id={`img-${x.version}`} label={`Odoo ${x.version}`} error={bad(v[x.version] || "")}>
            <input id={`img-${x.version}`} value={v[x.version]} onInput={(e) => setV({ ...v, [x.version]: (e.target as HTMLInputElement).value })} />
          </Field>
        ))}
      </div>
      <div class="actions"><button type="submit" class="btn primary">Save images</button></div>
    </form>
  );
}

function PlanForm({ plan, onClose, onSaved }: { plan: any; onClose: () => void; onSaved: () => void }) {
  const isNew = !plan.id;
  const [f, setF] = useState<Record<string, any>>(() => {
    const o: Record<string, any> = { name: plan.name || "" };
    for (const [k] of LIMITS) o[k] = plan[k] !== undefined ? String(plan[k]) : "";
    for (const [k] of FLAGS) o[k] = !!plan[k];
    o.is_default = !!plan.is_default;
    return o;
  });
  const [err, setErr] = useState<ApiError | null>(null);
  const errors: Record<string, string | null> = { name: !f.name.trim() || f.name.length > 60 ? "1 to 60 characters." : null };
  for (const [k] of LIMITS) {
    const n = Number(f[k]);
    errors[k] = f[k] === "" || !isFinite(n) || n < 0 || (k === "cpu_cores" ? n > 100000 : !Number.isInteger(n) || n > 100000000)
      ? (k === "cpu_cores" ? "0 to 100000." : "A whole number, 0 to 100000000.") : null;
  }
  async function save(e: Event) {
    e.preventDefault();
    if (Object.values(errors).some((x) => x)) return;
    const body: Record<string, unknown> = { name: f.name.trim() };
    for (const [k] of LIMITS) body[k] = Number(f[k]);
    for (const [k] of FLAGS) body[k] = f[k];
    if (f.is_default) body.is_default = true;
    try {
      if (isNew) await post("/plans", body);
      else await patch(`/plans/${plan.id}`, body);
      toast(`Plan ${f.name} saved`);
      onSaved();
    } catch (x) {
      setErr(x as ApiError);
    }
  }
  return (
    <Modal title={isNew ? "New plan" : `Edit plan ${plan.name}`} onClose={onClose} wide>
      <form onSubmit={save} noValidate>
        {err && <div class="banner error" role="alert">{err.message}</div>}
        <Field id="pl-name" label="Name" error={errors.name || (err?.field === "name" ? err.message : null)}>
          <input id="pl-name" value={f.name} onInput={(e) => setF({ ...f, name: (e.target as HTMLInputElement).value })} />
        </Field>
        <div class="cols three">
          {LIMITS.map(([k, l]) => (
            <Field key={k} id={`pl-${k}`} label={l} error={errors[k]}>
              <input id={`pl-${k}`} type="number" min={0} step={k === "cpu_cores" ? 0.25 : 1} value={f[k]}
                onInput={(e) => setF({ ...f, [k]: (e.target as HTMLInputElement).value })} />
            </Field>
          ))}
        </div>
        <fieldset class="choices">
          <legend>Features</legend>
          <div class="cols">
            {FLAGS.map(([k, l]) => (
              <label key={k} class="check-row">
                <input type="checkbox" checked={f[k]} onChange={(e) => setF({ ...f, [k]: (e.target as HTMLInputElement).checked })} /> {l}
              </label>
            ))}
            <label class="check-row">
              <input type="checkbox" checked={f.is_default} disabled={plan.is_default} onChange={(e) => setF({ ...f, is_default: (e.target as HTMLInputElement).checked })} /> Default plan of new organizations
            </label>
          </div>
        </fieldset>
        <div class="actions">
          <button type="button" class="btn" onClick={onClose}>Cancel</button>
          <button type="submit" class="btn primary">Save plan</button>
        </div>
      </form>
    </Modal>
  );
}
