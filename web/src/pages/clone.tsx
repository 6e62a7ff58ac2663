// Clone and Refresh (issue 14), from the instance console's quick actions.
// Clone (project.environments.create): a new staging or development environment from this one
// (POST /environments/{id}/clone): type, name (following the type until edited), server (this
// one's by default), branch, Neutralize (always on: required for anything not production),
// Anonymize (this environment's "Anonymize Database" setting by default), subdomain and
// resources optional (the source's when left empty). On 202 the console opens the new
// environment and shows the clone job's stages live (JobProgress).
// Refresh (environment.settings, on staging and development): a fresh copy of another
// environment of the project (production first) replaces this one's data
// (POST /environments/{id}/refresh), after a confirmation; then the job's progress.
// The API's refusals show under the field they name (or their code names); 403 and 409 as a
// banner. Its own chunk.
import { useEffect, useState } from "preact/hooks";
import { ApiError, get, post } from "../api";
import { navigate } from "../router";
import * as R from "../rules";
import { useSession } from "../session";
import { Field, Loading, Modal, Toggle, fmtCPU, fmtMB, toast } from "../ui";
import "./access.css";
import { pendingJobs } from "./env";

/** Which form field an error answers: its `field`, else the one its code names. */
function fieldOf(e: ApiError | null): string | null {
  if (!e) return null;
  if (e.field) return e.field === "from" ? "from" : e.field;
  const byCode: Record<string, string> = {
    SUBDOMAIN_EXISTS: "subdomain", NAME_EXISTS: "name", SERVER_NOT_FOUND: "vm_id",
    SERVER_CAPACITY_EXCEEDED: "vm_id", SERVER_NOT_RUNNING: "vm_id", SERVER_FULL: "vm_id",
  };
  return byCode[e.code] || null;
}

function errText(e: ApiError) {
  if (e.status === 403) return `Not allowed: ${e.message}`;
  if (e.status === 409) return `Cannot do this now: ${e.message}`;
  return e.message;
}

const TYPES: [string, string, string][] = [
  ["staging", "Staging", "A copy to test changes on production's data before they go live."],
  ["development", "Development", "A copy to develop on; deployed from its branch."],
];
const FIELDS = ["env_type", "name", "subdomain", "vm_id", "git_branch", "cpu_cores", "ram_mb", "disk_gb", "neutralize", "anonymize"];

export function CloneModal({ env, onClose }: { env: any; onClose: () => void }) {
  const s = useSession();
  const [type, setType] = useState("staging");
  const [nameEdit, setNameEdit] = useState<string | null>(null); // null: the default, following the type
  const [sub, setSub] = useState("");
  const [vmId, setVmId] = useState<string>(env.vm_id || "");
  const [branch, setBranch] = useState<string>(env.git_branch || "");
  const [anonymize, setAnonymize] = useState<boolean | null>(null); // null: the source's setting, still loading
  const [anonSource, setAnonSource] = useState<boolean | null>(null);
  const [cpu, setCpu] = useState("");
  const [ram, setRam] = useState("");
  const [disk, setDisk] = useState("");
  const [err, setErr] = useState<ApiError | null>(null);
  const [errField, setErrField] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [more, setMore] = useState(false); // the optional fields unfolded
  const [servers, setServers] = useState<any[] | null>(null);
  const [envs, setEnvs] = useState<any[]>([]);
  const [branches, setBranches] = useState<{ name: string; default?: boolean }[] | null>(null);

  useEffect(() => {
    get<any[]>(`/orgs/${s.org.id}/servers`).then(setServers, () => setServers([]));
    get<any[]>(`/projects/${env.project_id}/environments`).then(setEnvs, () => undefined);
    get<any[]>(`/projects/${env.project_id}/branches`).then(setBranches, () => setBranches(null));
    // the source's "Anonymize Database" (PostgreSQL settings) is the default
    get<any>(`/environments/${env.id}/settings/postgresql`).then(
      (r) => {
        const v = !!r?.values?.anonymize_database;
        setAnonSource(v);
        setAnonymize((a) => (a === null ? v : a));
      },
      () => setAnonymize((a) => (a === null ? false : a)),
    );
  }, [env.id]);

  // the default name: <source>-<type>, then -2, -3 … when taken (as berthd does)
  const taken = envs.map((e) => e.name);
  const base = `${env.name}-${type}`.slice(0, 60).replace(/-+$/, "");
  let auto = base;
  for (let i = 2; taken.includes(auto); i++) auto = `${base}-${i}`;
  const name = nameEdit ?? auto;
  const changeType = (t: string) => setType(t);
  const edit = (k: string, f: (v: string) => void) => (e: Event) => {
    f((e.target as HTMLInputElement).value);
    if (errField === k) {
      setErr(null);
      setErrField(null);
    }
  };

  const num = (v: string) => (v.trim() === "" ? null : Number(v));
  const local: Record<string, string | null> = {
    name: R.envName(name, taken),
    subdomain: sub ? R.subdomain(sub) : null,
    git_branch: branch ? R.validBranch(branch) : null,
    cpu_cores: num(cpu) === null ? null : R.cpu(num(cpu)!),
    ram_mb: num(ram) === null ? null : R.ram(num(ram)!),
    disk_gb: num(disk) === null ? null : R.disk(num(disk)!),
    vm_id: servers && !servers.some((x) => x.id === vmId) ? "Choose a server." : null,
  };
  const fieldErr = (k: string) => local[k] || (errField === k && err ? err.message : null);
  const banner = err && (!errField || !FIELDS.includes(errField)) ? err : null;
  const bad = Object.values(local).some(Boolean);

  async function submit(e: Event) {
    e.preventDefault();
    if (bad) return;
    setBusy(true);
    setErr(null);
    setErrField(null);
    const body: Record<string, unknown> = { env_type: type, name, neutralize: true };
    if (sub) body.subdomain = sub;
    if (vmId && vmId !== env.vm_id) body.vm_id = vmId;
    if (branch && branch !== env.git_branch) body.git_branch = branch;
    if (anonymize !== null) body.anonymize = anonymize;
    if (num(cpu) !== null) body.cpu_cores = num(cpu);
    if (num(ram) !== null) body.ram_mb = num(ram);
    if (num(disk) !== null) body.disk_gb = num(disk);
    try {
      const r = await post<{ environment: any; job: any }>(`/environments/${env.id}/clone`, body);
      toast(`Cloning ${env.name} into ${r.environment.name}`);
      if (r.job) pendingJobs.set(r.environment.id, { job: r.job, title: `Cloning ${env.name} into ${r.environment.name}` });
      onClose();
      navigate(`/environments/${r.environment.id}`);
    } catch (x) {
      const a = x as ApiError;
      setErr(a);
      setErrField(fieldOf(a));
      // an error under a folded field: unfold them
      if (["subdomain", "cpu_cores", "ram_mb", "disk_gb"].includes(fieldOf(a) || "")) setMore(true);
      setBusy(false);
    }
  }

  const server = servers?.find((x) => x.id === vmId);
  return (
    <Modal title={`Clone ${env.name}`} onClose={onClose} wide>
      <form onSubmit={submit} noValidate aria-label="Clone environment" class="clone-form">
        <p class="small muted">A new environment with a copy of this one's database and filestore, made harmless before it starts: neutralized (no mail out, crons off, payment and delivery providers in test mode), and anonymized when asked.</p>
        {banner && <div class="banner error" role="alert" data-code={banner.code}>{errText(banner)}</div>}
        <Field id="clone-type" label="Type" error={fieldErr("env_type")} hint={TYPES.find((t) => t[0] === type)?.[2]}>
          <select id="clone-type" value={type} onChange={(e) => changeType((e.target as HTMLSelectElement).value)}>
            {TYPES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
        </Field>
        <Field id="clone-name" label="Name" error={fieldErr("name")} hint="Lowercase letters, digits and hyphens; unique in the project.">
          <input id="clone-name" value={name} autocomplete="off" spellcheck={false} aria-invalid={!!fieldErr("name")}
            onInput={edit("name", setNameEdit)} />
        </Field>
        <Field id="clone-server" label="Server" error={fieldErr("vm_id")} hint="This environment's server by default: the copy is then made on the server itself, in seconds.">
          {servers === null ? <select id="clone-server" disabled><option>Loading…</option></select> : (
            <select id="clone-server" value={vmId} aria-invalid={!!fieldErr("vm_id")} onChange={edit("vm_id", setVmId)}>
              {servers.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name}{x.id === env.vm_id ? " (this environment's)" : ""}
                  {x.remaining ? ` | ${fmtCPU(x.remaining.cpu_cores)} CPU, ${fmtMB(x.remaining.ram_mb)} RAM, ${x.remaining.disk_gb} GB free` : ""}
                  {x.status !== "running" ? ` (${x.status})` : ""}
                </option>
              ))}
            </select>
          )}
        </Field>
        {server && server.id !== env.vm_id && <p class="small muted">Another server: the data is streamed there through berthd.</p>}
        <Field id="clone-branch" label="Git Branch" error={fieldErr("git_branch")} hint={`This environment's branch (${env.git_branch}) by default.`}>
          {branches && branches.length ? (
            <select id="clone-branch" value={branch} onChange={edit("git_branch", setBranch)}>
              {!branches.some((b) => b.name === branch) && <option value={branch}>{branch}</option>}
              {branches.map((b) => <option key={b.name} value={b.name}>{b.name}{b.default ? " (default)" : ""}</option>)}
            </select>
          ) : (
            <input id="clone-branch" value={branch} autocomplete="off" spellcheck={false} onInput={edit("git_branch", setBranch)} />
          )}
        </Field>
        <Toggle id="clone-neutralize" label="Neutralize" checked disabled onChange={() => undefined}
          hint="Required for anything not production: outgoing mail servers off (the environment's mail catcher gets every mail), crons off, payment and delivery providers in test mode." />
        {fieldErr("neutralize") && <div class="field-error" role="alert">{fieldErr("neutralize")}</div>}
        <Toggle id="clone-anonymize" label="Anonymize" checked={!!anonymize} disabled={anonymize === null} onChange={(v) => setAnonymize(v)}
          hint={<>Irreversibly replace partners' names, emails, phones, addresses and VAT numbers, users' logins (not the administrator's nor yours) and message bodies with stable fake values.{" "}
            {anonSource !== null && <>Default from this environment's <em>Anonymize Database</em> setting ({anonSource ? "on" : "off"}).</>}</>} />
        {fieldErr("anonymize") && <div class="field-error" role="alert">{fieldErr("anonymize")}</div>}
        <details open={more} onToggle={(e) => setMore((e.currentTarget as HTMLDetailsElement).open)}>
          <summary>Subdomain and resources (optional)</summary>
          <Field id="clone-subdomain" label="Subdomain" error={fieldErr("subdomain")} hint="Made from the name when empty.">
            <input id="clone-subdomain" value={sub} autocomplete="off" spellcheck={false} placeholder={name} onInput={edit("subdomain", setSub)} />
          </Field>
          <div class="clone-res">
            <Field id="clone-cpu" label="CPU Cores" error={fieldErr("cpu_cores")} hint={`This environment's: ${fmtCPU(env.cpu_cores)}`}>
              <input id="clone-cpu" type="number" step={0.25} min={0.25} value={cpu} placeholder={String(env.cpu_cores)} onInput={edit("cpu_cores", setCpu)} />
            </Field>
            <Field id="clone-ram" label="RAM (MB)" error={fieldErr("ram_mb")} hint={`This environment's: ${env.ram_mb}`}>
              <input id="clone-ram" type="number" step={256} min={256} value={ram} placeholder={String(env.ram_mb)} onInput={edit("ram_mb", setRam)} />
            </Field>
            <Field id="clone-disk" label="Disk (GB)" error={fieldErr("disk_gb")} hint={`This environment's: ${env.disk_gb}`}>
              <input id="clone-disk" type="number" step={1} min={1} value={disk} placeholder={String(env.disk_gb)} onInput={edit("disk_gb", setDisk)} />
            </Field>
          </div>
        </details>
        <div class="actions">
          <button type="button" class="btn" onClick={onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy || bad || anonymize === null}>{busy ? "Starting…" : "Clone"}</button>
        </div>
      </form>
    </Modal>
  );
}

const ORDER: Record<string, number> = { production: 0, staging: 1, development: 2 };

export function RefreshModal({ env, onClose, onQueued }: { env: any; onClose: () => void; onQueued: (job: any, title: string) => void }) {
  const [envs, setEnvs] = useState<any[] | null>(null);
  const [from, setFrom] = useState("");
  const [sure, setSure] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    get<any[]>(`/projects/${env.project_id}/environments`).then(
      (l) => {
        // the project's other environments, production first
        const others = l.filter((e) => e.id !== env.id && e.status !== "removing")
          .sort((a, b) => (ORDER[a.environment_type] ?? 9) - (ORDER[b.environment_type] ?? 9) || a.name.localeCompare(b.name));
        setEnvs(others);
        setFrom(others[0]?.id || "");
      },
      (e) => setErr(e as ApiError),
    );
  }, [env.id]);
  const src = envs?.find((e) => e.id === from);
  async function go() {
    setBusy(true);
    setErr(null);
    try {
      const r = await post<{ job: any }>(`/environments/${env.id}/refresh`, { from });
      toast(`Refreshing ${env.name} from ${src?.name}`);
      onQueued(r.job || r, `Refreshing ${env.name} from ${src?.name || "the source"}`);
    } catch (x) {
      setErr(x as ApiError);
      setBusy(false);
    }
  }
  return (
    <Modal title={`Refresh ${env.name}`} onClose={onClose}>
      <p>A fresh copy of another environment's database and filestore <strong>replaces this environment's data</strong>, neutralized (and anonymized when the source's setting says so). This environment's own settings and branch are kept; when it has backups, a safety backup is made first.</p>
      {err && !(err.field === "from") && <div class="banner error" role="alert" data-code={err.code}>{errText(err)}</div>}
      {envs === null && !err ? <Loading what="Loading the project's environments" /> : envs && envs.length === 0 ? (
        <p class="banner warn">The project has no other environment to copy from.</p>
      ) : envs && (
        <>
          <Field id="refresh-from" label="Copy the data of" error={err?.field === "from" ? err.message : null} hint="The project's other environments, production first.">
            <select id="refresh-from" value={from} onChange={(e) => { setFrom((e.target as HTMLSelectElement).value); setErr(null); }}>
              {envs.map((e) => <option key={e.id} value={e.id}>{e.name} ({e.environment_type}, {e.status})</option>)}
            </select>
          </Field>
          <div class="checkline">
            <input type="checkbox" id="refresh-sure" checked={sure} onChange={(e) => setSure((e.target as HTMLInputElement).checked)} />
            <label for="refresh-sure">Replace the database and filestore of <strong>{env.name}</strong>{src ? <> with {src.name}'s</> : null}</label>
          </div>
        </>
      )}
      <div class="actions">
        <button type="button" class="btn" onClick={onClose}>Cancel</button>
        <button type="button" class="btn red" disabled={!src || !sure || busy} onClick={go}>{busy ? "Starting…" : "Refresh"}</button>
      </div>
    </Modal>
  );
}
