// Create environment (/projects/{id}/environments/new), as create-environment.txt describes.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, get, post } from "../api";
import { navigate } from "../router";
import { useSession } from "../session";
import { Async, ErrorBox, Field, Link, Loading, Modal, Toggle, fmtCPU, fmtMB, toast, useAsync } from "../ui";
import * as R from "../rules";

const TYPES: [string, string, string][] = [
  ["development", "Development", "For active development and testing"],
  ["staging", "Staging", "For pre-production validation"],
  ["production", "Production", "For live operations"],
];
const PRESETS: [string, string][] = [
  ["minimal", "Minimal"],
  ["standard", "Standard"],
  ["production", "Production"],
  ["high_performance", "High Performance"],
];
const LOG_LEVELS = ["debug", "info", "warning", "error", "critical"];

function rand4() {
  const a = "abcdefghijklmnopqrstuvwxyz0123456789";
  const b = new Uint8Array(4);
  crypto.getRandomValues(b);
  return [...b].map((x) => a[x % a.length]).join("");
}

export function NewEnvironmentPage({ projectId }: { projectId: string }) {
  const s = useSession();
  const data = useAsync(async () => {
    const [project, perms, servers, envs, usage] = await Promise.all([
      get<any>(`/projects/${projectId}`),
      get<{ permissions: string[] }>(`/projects/${projectId}/permissions`),
      get<any[]>(`/orgs/${s.org.id}/servers`),
      get<any[]>(`/projects/${projectId}/environments`),
      s.perms.has("org.view") ? get<any>(`/orgs/${s.org.id}/usage`) : Promise.resolve(null),
    ]);
    return { project, servers, envs, usage, canCreate: perms.permissions.includes("project.environments.create") };
  }, [projectId, s.org.id]);
  return (
    <section>
      <Async s={data} what="Loading the project, servers and quota">
        {(d) => (
          <>
            <nav class="crumbs" aria-label="Breadcrumb">
              <Link href="/projects">Projects</Link> / <Link href={`/projects/${projectId}`}>{d.project.name}</Link> / New environment
            </nav>
            <h1>Create environment</h1>
            {!d.canCreate ? (
              <ErrorBox error="You do not have the project.environments.create permission on this project." />
            ) : (
              <EnvForm {...d} reloadServers={() => data.reload(true)} />
            )}
          </>
        )}
      </Async>
    </section>
  );
}

interface Branch {
  name: string;
  default: boolean;
}

function EnvForm(props: { project: any; servers: any[]; envs: any[]; usage: any; reloadServers: () => void }) {
  const s = useSession();
  const { project, servers, usage } = props;
  const slug: string = project.slug;
  const [suffix] = useState(rand4);
  const [type, setType] = useState("development");
  const [name, setName] = useState(`${slug}-development-${suffix}`);
  const [nameTouched, setNameTouched] = useState(false);
  const running = servers.filter((x) => x.status === "running");
  const best = [...running].sort((a, b) => (b.remaining?.ram_mb ?? 0) - (a.remaining?.ram_mb ?? 0))[0];
  const [vmId, setVmId] = useState<string>(best?.id || servers[0]?.id || "");
  const [cpu, setCpu] = useState("1.0");
  const [ram, setRam] = useState("2048");
  const [disk, setDisk] = useState("10");
  const [pgCustom, setPgCustom] = useState(false);
  const [pgCpu, setPgCpu] = useState("0.3");
  const [pgRam, setPgRam] = useState("614");
  const [sub, setSub] = useState(`${slug}-development`.slice(0, 63).replace(/-+$/, ""));
  const [subTouched, setSubTouched] = useState(false);
  const [domain, setDomain] = useState("");
  const [branch, setBranch] = useState(project.default_branch);
  const [autoDeploy, setAutoDeploy] = useState(true);
  const [autoTouched, setAutoTouched] = useState(false);
  const [pgtune, setPgtune] = useState(true);
  const [pgbouncer, setPgbouncer] = useState(true);
  const [replica, setReplica] = useState(false);
  const [preset, setPreset] = useState("standard");
  const [oc, setOc] = useState({ workers: "", max_cron_threads: "", db_filter: "", log_level: "", session_timeout: "",
    smtp_host: "", smtp_port: "", smtp_user: "", smtp_password: "", smtp_encryption: "starttls", smtp_from: "" });
  const [addons, setAddons] = useState<{ url: string; branch: string; commit: string }[]>([]);
  const [apiErr, setApiErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<any>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [testMsg, setTestMsg] = useState<string | null>(null);

  const replicaAllowed = parseFloat(project.odoo_version) >= 18;

  // the type drives the defaults of the name, the subdomain and auto-deploy
  function changeType(t: string) {
    setType(t);
    if (!nameTouched) setName(`${slug}-${t}-${suffix}`);
    if (!subTouched) setSub(`${slug}-${t}`.slice(0, 63).replace(/-+$/, ""));
    if (!autoTouched) setAutoDeploy(t === "development");
  }

  // branches of the project's repository
  const [branches, setBranches] = useState<Branch[] | null>(null);
  const [branchErr, setBranchErr] = useState<string | null>(null);
  useEffect(() => {
    if (!project.repository_url) return;
    get<Branch[]>(`/projects/${project.id}/branches`).then(
      (b) => {
        setBranches(b);
        if (!b.some((x) => x.name === branch)) setBranch((b.find((x) => x.default) || b[0])?.name || branch);
      },
      (e) => setBranchErr((e as Error).message),
    );
  }, [project.id]);

  // live subdomain availability (debounced; the API allows 30 checks a minute)
  const [subCheck, setSubCheck] = useState<{ sub: string; available?: boolean; url?: string; error?: string } | null>(null);
  const subRule = R.subdomain(sub);
  const timer = useRef<number>();
  useEffect(() => {
    clearTimeout(timer.current);
    if (subRule) {
      setSubCheck(null);
      return;
    }
    setSubCheck({ sub });
    timer.current = window.setTimeout(() => {
      get(`/subdomain-check?subdomain=${encodeURIComponent(sub)}`).then(
        (r) => setSubCheck((c) => (c && c.sub === sub ? { sub, available: r.available && r.valid, url: r.system_url } : c)),
        (e) => setSubCheck((c) => (c && c.sub === sub ? { sub, error: (e as Error).message } : c)),
      );
    }, 400);
    return () => clearTimeout(timer.current);
  }, [sub]);

  const nCpu = Number(cpu), nRam = Number(ram), nDisk = Number(disk);
  const nPgCpu = Number(pgCpu), nPgRam = Number(pgRam);
  const auto = R.pgDefault(nCpu, nRam);
  const effPgCpu = pgCustom ? nPgCpu : auto.cpu;
  const effPgRam = pgCustom ? nPgRam : auto.ram;

  // quota: what the organization uses plus this environment (a read replica adds 30 % of
  // CPU and RAM and 100 % of disk)
  const quota = useMemo(() => {
    if (!usage) return null;
    const k = replica ? 1.3 : 1;
    const req = { cpu: (nCpu || 0) * k, ram: (nRam || 0) * k, disk: (nDisk || 0) * (replica ? 2 : 1) };
    const parts = [
      { label: "CPU", used: usage.cpu_cores.used + req.cpu, quota: usage.cpu_cores.quota, show: (n: number) => fmtCPU(n), unit: " cores" },
      { label: "RAM", used: usage.ram_mb.used + req.ram, quota: usage.ram_mb.quota, show: fmtMB },
      { label: "Disk", used: usage.disk_gb.used + req.disk, quota: usage.disk_gb.quota, show: (n: number) => `${Math.round(n)} GB` },
      { label: "Environments", used: usage.environments.used + 1, quota: usage.environments.quota, show: (n: number) => String(n) },
    ];
    const over = parts.filter((p) => p.used > p.quota + 1e-9);
    const pct = Math.max(...parts.map((p) => (p.quota > 0 ? (p.used / p.quota) * 100 : 100)));
    return { parts, over, pct };
  }, [usage, nCpu, nRam, nDisk, replica]);
  const overQuota = !!quota && quota.over.length > 0;

  const server = servers.find((x) => x.id === vmId);
  const capacity = useMemo(() => {
    if (!server) return null;
    const k = replica ? 1.3 : 1;
    const r = server.remaining;
    const after = r ? { cpu: r.cpu_cores - nCpu * k, ram: r.ram_mb - nRam * k, disk: r.disk_gb - nDisk * (replica ? 2 : 1) } : null;
    const problems: string[] = [];
    if (server.status !== "running") problems.push(`The server is ${server.status}: it must be running (use Test Connection).`);
    if (server.environment_count >= server.max_projects) problems.push(`The server already hosts ${server.environment_count} of its ${server.max_projects} environments.`);
    if (after && (after.cpu < -1e-9 || after.ram < 0 || after.disk < 0)) problems.push("Selected server does not have sufficient capacity.");
    return { after, problems };
  }, [server, nCpu, nRam, nDisk, replica]);

  const takenNames = props.envs.map((e) => e.name);
  const errors: Record<string, string | null> = {
    name: R.envName(name, takenNames),
    vm_id: !server ? "Choose a server." : capacity && capacity.problems.length ? capacity.problems[0] : null,
    cpu_cores: R.cpu(nCpu),
    ram_mb: R.ram(nRam),
    disk_gb: R.disk(nDisk),
    postgres_cpu_cores: pgCustom ? R.pgCpu(nPgCpu, nCpu) : null,
    postgres_ram_mb: pgCustom ? R.pgRam(nPgRam, nRam) : null,
    subdomain: subRule || (subCheck && subCheck.available === false ? `Subdomain '${sub}' is already in use` : null),
    custom_domain: R.customDomain(domain, s.appsDomain),
    git_branch: R.validBranch(branch),
    "odoo_config.workers": R.intRange(oc.workers, 0, 64),
    "odoo_config.max_cron_threads": R.intRange(oc.max_cron_threads, 0, 16),
    "odoo_config.db_filter": R.dbFilter(oc.db_filter),
    "odoo_config.session_timeout": R.intRange(oc.session_timeout, 5, 525600),
    "odoo_config.smtp.host": oc.smtp_host ? R.confValue(oc.smtp_host) : (oc.smtp_user || oc.smtp_password || oc.smtp_from || oc.smtp_port) ? "The SMTP host is required for the other SMTP settings." : null,
    "odoo_config.smtp.port": R.intRange(oc.smtp_port, 1, 65535),
    "odoo_config.smtp.user": oc.smtp_user && /\s/.test(oc.smtp_user) ? "No spaces." : R.confValue(oc.smtp_user),
    "odoo_config.smtp.password": R.confValue(oc.smtp_password),
    "odoo_config.smtp.from": oc.smtp_from ? R.email(oc.smtp_from) || R.confValue(oc.smtp_from) : null,
    addon_repositories: addons.length > 20 ? "At most 20 repositories." : null,
  };
  addons.forEach((a, i) => {
    errors[`addon_repositories[${i}].url`] = !a.url ? "Enter the repository URL." : R.validGitUrl(a.url) || (addons.findIndex((x) => x.url === a.url) < i ? "This URL is listed twice." : null);
    errors[`addon_repositories[${i}].branch`] = R.validBranch(a.branch);
    errors[`addon_repositories[${i}].commit`] = a.commit && !/^[0-9a-f]{7,40}$/.test(a.commit) ? "7 to 40 hexadecimal digits." : null;
  });
  // the API's own verdict on a field, until that field changes
  const [apiField, setApiField] = useState<{ field: string; message: string } | null>(null);
  const err = (k: string) => errors[k] || (apiField && apiField.field === k ? apiField.message : null);
  const edit = (k: string, f: (v: string) => void) => (e: Event) => {
    if (apiField?.field === k) setApiField(null);
    f((e.target as HTMLInputElement).value);
  };
  const invalid = Object.values(errors).some((x) => x);
  const canCreate = !busy && !overQuota && !invalid && !(subCheck && subCheck.available === undefined && !subCheck.error);

  async function testServer() {
    if (!server) return;
    setTesting(server.id);
    setTestMsg(null);
    try {
      const r = await post(`/servers/${server.id}/test`);
      setTestMsg(r.status === "running" ? `Connected: Docker ${r.docker_version}, status running.` : `Status ${r.status}: ${r.status_reason || "cannot connect"}`);
      props.reloadServers();
    } catch (e) {
      setTestMsg((e as Error).message);
    }
    setTesting(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!canCreate) return;
    const body: Record<string, unknown> = {
      name, env_type: type, vm_id: vmId, subdomain: sub,
      cpu_cores: nCpu, ram_mb: nRam, disk_gb: nDisk,
      git_branch: branch, auto_deploy: autoDeploy,
      enable_pgtune: pgtune, enable_pgbouncer: pgbouncer, enable_read_replica: replicaAllowed && replica,
    };
    if (domain) body.custom_domain = domain;
    if (pgCustom) {
      body.postgres_cpu_cores = nPgCpu;
      body.postgres_ram_mb = nPgRam;
    }
    const cfg: Record<string, unknown> = { preset };
    if (oc.workers !== "") cfg.workers = Number(oc.workers);
    if (oc.max_cron_threads !== "") cfg.max_cron_threads = Number(oc.max_cron_threads);
    if (oc.db_filter) cfg.db_filter = oc.db_filter;
    if (oc.log_level) cfg.log_level = oc.log_level;
    if (oc.session_timeout !== "") cfg.session_timeout = Number(oc.session_timeout);
    if (oc.smtp_host) {
      const smtp: Record<string, unknown> = { host: oc.smtp_host, encryption: oc.smtp_encryption };
      if (oc.smtp_port) smtp.port = Number(oc.smtp_port);
      if (oc.smtp_user) smtp.user = oc.smtp_user;
      if (oc.smtp_password) smtp.password = oc.smtp_password;
      if (oc.smtp_from) smtp.from = oc.smtp_from;
      cfg.smtp = smtp;
    }
    body.odoo_config = cfg;
    if (addons.length) body.addon_repositories = addons.map((a) => ({ url: a.url, branch: a.branch, commit: a.commit || null }));
    setBusy(true);
    setApiErr(null);
    setApiField(null);
    try {
      const env = await post(`/projects/${project.id}/environments`, body);
      toast("Environment created successfully");
      setCreated(env);
    } catch (x) {
      const a = x as ApiError;
      setApiErr(a);
      const byCode: Record<string, string> = {
        SUBDOMAIN_EXISTS: "subdomain", NAME_EXISTS: "name", DOMAIN_EXISTS: "custom_domain",
        SERVER_CAPACITY_EXCEEDED: "vm_id", SERVER_NOT_RUNNING: "vm_id", SERVER_NOT_FOUND: "vm_id", NO_SERVERS_AVAILABLE: "vm_id",
      };
      const field = a.field || byCode[a.code];
      if (field) setApiField({ field, message: a.message });
      if (a.code === "SUBDOMAIN_EXISTS") setSubCheck({ sub, available: false });
      window.scrollTo(0, 0);
    }
    setBusy(false);
  }

  const [deploying, setDeploying] = useState(false);
  async function deployNow() {
    setDeploying(true);
    try {
      await post(`/environments/${created.id}/deploy`);
      toast("Deployment queued");
    } catch (e) {
      toast("Deploy failed: " + (e as Error).message, "error");
    }
    navigate(`/projects/${project.id}`);
  }

  const noServers = servers.length === 0;
  return (
    <form class="envform" onSubmit={submit} noValidate aria-label="Create environment">
      {apiErr && (
        <div class="banner error" role="alert" data-code={apiErr.code}>
          <strong>Could not create the environment.</strong> {apiErr.message}
        </div>
      )}

      <fieldset class="card">
        <legend>Basic settings</legend>
        <div class="cols">
          <Field id="env-name" label="Environment Name" error={err("name")} hint={`Auto-generated as {project-slug}-{env-type}-{random}; lowercase letters, numbers and hyphens.`}>
            <input id="env-name" value={name} maxLength={63} aria-invalid={!!err("name")}
              onInput={edit("name", (v) => { setName(v); setNameTouched(true); })} />
          </Field>
          <Field id="env-type" label="Type" hint={TYPES.find((t) => t[0] === type)![2] + ". Type affects billing, backup frequency and deletion protection."}>
            <select id="env-type" value={type} onChange={(e) => changeType((e.target as HTMLSelectElement).value)}>
              {TYPES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          </Field>
        </div>
      </fieldset>

      <fieldset class="card">
        <legend>Server</legend>
        {noServers ? (
          <div class="banner warn" role="alert">
            No servers available in your organization. <Link href="/servers">Add a server</Link> and wait for its status to be running.
          </div>
        ) : (
          <>
            <Field id="env-server" label="Server" error={err("vm_id")}
              hint="{server-name} | {ip-address} | {available capacity}. The server must be running and have room.">
              <div class="inline">
                <select id="env-server" value={vmId} aria-invalid={!!err("vm_id")} class={capacity?.problems.length ? "bad" : ""}
                  onChange={edit("vm_id", setVmId)}>
                  {servers.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.name} | {x.host} | {x.remaining ? `${fmtCPU(x.remaining.cpu_cores)} CPU, ${fmtMB(x.remaining.ram_mb)} RAM, ${x.remaining.disk_gb} GB disk free` : "capacity unknown"}
                      {x.status !== "running" ? ` (${x.status})` : ""}
                    </option>
                  ))}
                </select>
                {s.perms.has("server.manage") && (
                  <button type="button" class="btn" onClick={testServer} disabled={!!testing}>{testing ? "Testing…" : "Test Connection"}</button>
                )}
              </div>
            </Field>
            {testMsg && <p class="small" role="status">{testMsg}</p>}
            {server && capacity && (
              <p class={"capacity small" + (capacity.problems.length ? " bad" : "")} data-testid="capacity">
                <span class={"dot " + (capacity.problems.length ? "red" : server.status === "running" ? "green" : "gray")} aria-hidden="true" />{" "}
                {capacity.after
                  ? `After this environment: ${fmtCPU(capacity.after.cpu)} CPU, ${fmtMB(capacity.after.ram)} RAM, ${capacity.after.disk} GB disk free on ${server.name}; ${server.environment_count} of ${server.max_projects} environments.`
                  : `Capacity of ${server.name} is not measured yet: test the connection.`}
              </p>
            )}
          </>
        )}
      </fieldset>

      <fieldset class="card">
        <legend>Resources</legend>
        <div class="cols three">
          <Field id="env-cpu" label="CPU Cores" error={err("cpu_cores")} hint="0.25 – 32 cores, steps of 0.25 (default 1.0).">
            <input id="env-cpu" type="number" inputMode="decimal" min={0.25} max={32} step={0.25} value={cpu} aria-invalid={!!err("cpu_cores")} onInput={edit("cpu_cores", setCpu)} />
          </Field>
          <Field id="env-ram" label="RAM (MB)" error={err("ram_mb")} hint="256 – 131,072 MB, steps of 256 MB (default 2048).">
            <input id="env-ram" type="number" inputMode="numeric" min={256} max={131072} step={256} value={ram} aria-invalid={!!err("ram_mb")} onInput={edit("ram_mb", setRam)} />
          </Field>
          <Field id="env-disk" label="Disk (GB)" error={err("disk_gb")} hint="1 – 1000 GB (default 10).">
            <input id="env-disk" type="number" inputMode="numeric" min={1} max={1000} step={1} value={disk} aria-invalid={!!err("disk_gb")} onInput={edit("disk_gb", setDisk)} />
          </Field>
        </div>
        {quota ? (
          <div class={"quota" + (overQuota ? " over" : "")} data-testid="quota">
            <div class="bar-label">
              <span>Organization quota</span>
              <span>{Math.round(quota.pct)} %</span>
            </div>
            <div class={"bar" + (overQuota ? " over" : " fits")} role="meter" aria-label="Quota used with this environment"
              aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(quota.pct)}>
              <div class="fill" style={{ width: Math.min(100, quota.pct) + "%" }} />
            </div>
            <ul class="quota-parts small">
              {quota.parts.map((p) => (
                <li key={p.label} class={p.used > p.quota + 1e-9 ? "bad" : ""}>
                  {p.label}: {p.show(p.used)} of {p.show(p.quota)}{(p as { unit?: string }).unit || ""}
                </li>
              ))}
            </ul>
            {overQuota ? (
              <p class="field-error" role="alert">
                Cannot create environment - {quota.over.map((p) => p.label === "Environments" ? "environment" : p.label).join(", ")} quota exceeded. Reduce resources, or stop or delete unused environments.
              </p>
            ) : (
              <p class="ok-msg small">Resources available.</p>
            )}
          </div>
        ) : (
          <p class="muted small">Quota is shown to members with the org.view permission.</p>
        )}

        <details>
          <summary>Advanced PostgreSQL Settings</summary>
          <Toggle id="env-pgcustom" label="Custom PostgreSQL Resources" checked={pgCustom}
            onChange={(v) => { setPgCustom(v); if (v) { setPgCpu(String(auto.cpu)); setPgRam(String(auto.ram)); } }}
            hint="By default PostgreSQL receives 30 % of the CPU and RAM." />
          {pgCustom && (
            <div class="cols">
              <Field id="env-pgcpu" label="PostgreSQL CPU Cores" error={err("postgres_cpu_cores")} hint="0.1 – 16 cores.">
                <input id="env-pgcpu" type="number" min={0.1} max={16} step={0.05} value={pgCpu} onInput={edit("postgres_cpu_cores", setPgCpu)} />
              </Field>
              <Field id="env-pgram" label="PostgreSQL RAM (MB)" error={err("postgres_ram_mb")} hint="128 – 65,536 MB.">
                <input id="env-pgram" type="number" min={128} max={65536} step={1} value={pgRam} onInput={edit("postgres_ram_mb", setPgRam)} />
              </Field>
            </div>
          )}
          <p class="small" data-testid="split">
            PostgreSQL: {fmtCPU(effPgCpu)} CPU, {fmtMB(effPgRam)} · Odoo (the remainder): {fmtCPU(Math.round((nCpu - effPgCpu) * 100) / 100)} CPU, {fmtMB(nRam - effPgRam)}
          </p>
        </details>
      </fieldset>

      <fieldset class="card">
        <legend>Domain</legend>
        <Field id="env-subdomain" label="Subdomain" error={err("subdomain")}
          ok={subCheck?.available ? <span data-testid="sub-ok">✓ Available: {subCheck.url}</span> : null}
          hint={<span>The system URL is https://{sub || "…"}.{s.appsDomain}; a DNS label, unique across berth.</span>}>
          <div class="inline suffix">
            <input id="env-subdomain" value={sub} maxLength={63} aria-invalid={!!err("subdomain")} autocomplete="off"
              onInput={edit("subdomain", (v) => { setSub(v); setSubTouched(true); })} />
            <span class="suffix-text">.{s.appsDomain}</span>
            <span class="check" aria-live="polite" data-testid="sub-check">
              {subCheck && !subRule && (subCheck.available === undefined && !subCheck.error ? <><span class="spinner" aria-hidden="true" /><span class="sr-only">checking</span></>
                : subCheck.available ? <span class="yes" title="Available" aria-label="Available">✓</span>
                : subCheck.available === false ? <span class="no" title="Already in use" aria-label="Already in use">✗</span>
                : <span class="muted" title={subCheck.error}>?</span>)}
            </span>
          </div>
        </Field>
        <Field id="env-domain" label="Custom Domain (optional)" error={err("custom_domain")}
          hint="Your own domain, e.g. app.acme.com, with a DNS A record pointing to the server's IP. Leave blank to use the subdomain only.">
          <input id="env-domain" value={domain} onInput={edit("custom_domain", (v) => setDomain(v.trim()))} placeholder="app.acme.com" />
        </Field>
      </fieldset>

      <fieldset class="card" disabled={false}>
        <legend>Git</legend>
        {!project.repository_url ? (
          <>
            <Field id="env-branch" label="Git Branch" hint="This project has no git repository: the branch is only a name until one is connected.">
              <select id="env-branch" disabled value={branch}>
                <option value={branch}>{branch}</option>
              </select>
            </Field>
          </>
        ) : branchErr ? (
          <Field id="env-branch" label="Git Branch" error={err("git_branch")} hint={`The branches could not be listed (${branchErr}); type the branch name.`}>
            <input id="env-branch" value={branch} onInput={edit("git_branch", setBranch)} />
          </Field>
        ) : branches === null ? (
          <Loading what="Listing the repository's branches" />
        ) : (
          <Field id="env-branch" label="Git Branch" error={err("git_branch")} hint="Branches of the project's repository.">
            <select id="env-branch" value={branch} onChange={edit("git_branch", setBranch)}>
              {branches.map((b) => <option key={b.name} value={b.name}>{b.name}{b.default ? " (default)" : ""}</option>)}
            </select>
          </Field>
        )}
        <Toggle id="env-autodeploy" label="Auto-Deploy" checked={autoDeploy}
          onChange={(v) => { setAutoDeploy(v); setAutoTouched(true); }}
          hint={autoDeploy ? "Redeploys automatically when the branch receives new commits." : "Manual deployment only."} />
      </fieldset>

      <fieldset class="card">
        <legend>PostgreSQL optimizations</legend>
        <Toggle id="env-pgtune" label="Enable PGTune" checked={pgtune} onChange={setPgtune}
          hint="Generates postgresql.conf settings for the allocated resources." />
        <Toggle id="env-pgbouncer" label="Enable PgBouncer" checked={pgbouncer} onChange={setPgbouncer}
          hint="Connection pooling on port 6432; pool size from the RAM." />
        <Toggle id="env-replica" label="Enable Read Replica" checked={replicaAllowed && replica} onChange={setReplica}
          disabled={!replicaAllowed}
          title={replicaAllowed ? undefined : "Read Replica requires Odoo 18.0 or higher"}
          hint={replicaAllowed ? "Streaming replication for read-heavy workloads; costs 30 % CPU/RAM and 100 % disk of the primary." : "Read Replica requires Odoo 18.0 or higher"} />
      </fieldset>

      <fieldset class="card">
        <legend>Odoo</legend>
        <details>
          <summary>Odoo Configuration</summary>
          <Field id="env-preset" label="Configuration preset">
            <select id="env-preset" value={preset} onChange={(e) => setPreset((e.target as HTMLSelectElement).value)}>
              {PRESETS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          </Field>
          <div class="cols">
            <Field id="env-workers" label="Workers" error={err("odoo_config.workers")} hint="0 – 64; empty: from the preset and resources.">
              <input id="env-workers" type="number" min={0} max={64} value={oc.workers} onInput={edit("odoo_config.workers", (v) => setOc({ ...oc, workers: v }))} />
            </Field>
            <Field id="env-cron" label="Max Cron Threads" error={err("odoo_config.max_cron_threads")} hint="0 – 16.">
              <input id="env-cron" type="number" min={0} max={16} value={oc.max_cron_threads} onInput={edit("odoo_config.max_cron_threads", (v) => setOc({ ...oc, max_cron_threads: v }))} />
            </Field>
            <Field id="env-dbfilter" label="Database Filter" error={err("odoo_config.db_filter")} hint="A regex; % only as %d or %h.">
              <input id="env-dbfilter" value={oc.db_filter} onInput={edit("odoo_config.db_filter", (v) => setOc({ ...oc, db_filter: v }))} />
            </Field>
            <Field id="env-loglevel" label="Log Level">
              <select id="env-loglevel" value={oc.log_level} onChange={(e) => setOc({ ...oc, log_level: (e.target as HTMLSelectElement).value })}>
                <option value="">From the preset</option>
                {LOG_LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
              </select>
            </Field>
            <Field id="env-session" label="Session Timeout (minutes)" error={err("odoo_config.session_timeout")} hint="5 – 525600.">
              <input id="env-session" type="number" min={5} max={525600} value={oc.session_timeout} onInput={edit("odoo_config.session_timeout", (v) => setOc({ ...oc, session_timeout: v }))} />
            </Field>
          </div>
          <h3>Email Settings (SMTP)</h3>
          <div class="cols">
            <Field id="env-smtphost" label="SMTP host" error={err("odoo_config.smtp.host")}>
              <input id="env-smtphost" value={oc.smtp_host} onInput={edit("odoo_config.smtp.host", (v) => setOc({ ...oc, smtp_host: v }))} />
            </Field>
            <Field id="env-smtpport" label="SMTP port" error={err("odoo_config.smtp.port")} hint="Default 587 (25 without encryption).">
              <input id="env-smtpport" type="number" min={1} max={65535} value={oc.smtp_port} onInput={edit("odoo_config.smtp.port", (v) => setOc({ ...oc, smtp_port: v }))} />
            </Field>
            <Field id="env-smtpuser" label="SMTP user" error={err("odoo_config.smtp.user")}>
              <input id="env-smtpuser" autocomplete="off" value={oc.smtp_user} onInput={edit("odoo_config.smtp.user", (v) => setOc({ ...oc, smtp_user: v }))} />
            </Field>
            <Field id="env-smtppass" label="SMTP password" error={err("odoo_config.smtp.password")}>
              <input id="env-smtppass" type="password" autocomplete="new-password" value={oc.smtp_password} onInput={edit("odoo_config.smtp.password", (v) => setOc({ ...oc, smtp_password: v }))} />
            </Field>
            <Field id="env-smtpenc" label="Encryption">
              <select id="env-smtpenc" value={oc.smtp_encryption} onChange={(e) => setOc({ ...oc, smtp_encryption: (e.target as HTMLSelectElement).value })}>
                <option value="starttls">STARTTLS</option>
                <option value="none">None</option>
              </select>
            </Field>
            <Field id="env-smtpfrom" label="From address" error={err("odoo_config.smtp.from")}>
              <input id="env-smtpfrom" type="email" value={oc.smtp_from} onInput={edit("odoo_config.smtp.from", (v) => setOc({ ...oc, smtp_from: v }))} />
            </Field>
          </div>
        </details>
        <details>
          <summary>Addon Repositories</summary>
          <p class="small muted">Cloned into the addons path at deploy, with the project's credentials.</p>
          {err("addon_repositories") && <p class="field-error" role="alert">{err("addon_repositories")}</p>}
          {addons.map((a, i) => {
            const upd = (k: "url" | "branch" | "commit") => edit(`addon_repositories[${i}].${k}`, (v) => setAddons(addons.map((x, j) => (j === i ? { ...x, [k]: v } : x))));
            return (
              <div class="cols addon" key={i}>
                <Field id={`addon-url-${i}`} label={`Repository ${i + 1} URL`} error={err(`addon_repositories[${i}].url`)}>
                  <input id={`addon-url-${i}`} value={a.url} onInput={upd("url")} />
                </Field>
                <Field id={`addon-branch-${i}`} label="Branch" error={err(`addon_repositories[${i}].branch`)}>
                  <input id={`addon-branch-${i}`} value={a.branch} onInput={upd("branch")} />
                </Field>
                <Field id={`addon-commit-${i}`} label="Commit (optional)" error={err(`addon_repositories[${i}].commit`)}>
                  <input id={`addon-commit-${i}`} value={a.commit} onInput={upd("commit")} />
                </Field>
                <button type="button" class="btn small danger-text" onClick={() => setAddons(addons.filter((_, j) => j !== i))}>
                  Remove repository {i + 1}
                </button>
              </div>
            );
          })}
          {addons.length < 20 && (
            <button type="button" class="btn" onClick={() => setAddons([...addons, { url: "", branch: project.default_branch, commit: "" }])}>
              Add addon repository
            </button>
          )}
        </details>
      </fieldset>

      <div class="actions">
        <Link class="btn" href={`/projects/${project.id}`}>Cancel</Link>
        <button type="submit" class="btn primary" disabled={!canCreate || noServers}>
          {busy ? "Creating…" : "Create Environment"}
        </button>
      </div>

      {created && (
        <Modal title="Deploy Now?" onClose={() => navigate(`/projects/${project.id}`)}>
          <p>Environment <strong>{created.name}</strong> was created with status pending. Deploy it now?</p>
          {created.admin_password && (
            <div class="banner info">
              Odoo administrator for the first deploy: login <code>{created.admin_login}</code>, password{" "}
              <code class="secret" data-testid="admin-password">{created.admin_password}</code> — shown only now.
            </div>
          )}
          <div class="actions">
            <button type="button" class="btn" onClick={() => navigate(`/projects/${project.id}`)}>Deploy Later</button>
            <button type="button" class="btn primary" onClick={deployNow} disabled={deploying}>{deploying ? "Queuing…" : "Deploy Now"}</button>
          </div>
        </Modal>
      )}
    </form>
  );
}
