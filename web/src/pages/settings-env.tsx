// The instance console's Settings tab (instance-console.txt, "Settings Tab — Odoo" to
// "Settings Tab — Packages"): six sub-tabs, each read with GET /environments/{id}/settings/{tab}
// and saved alone with PUT (its own Save button; only the keys that changed are sent). Panels
// whose plan flag is missing (`locked`) are greyed out and non-interactive, fields the plan
// lacks (`available: false`) likewise; the API's refusal shows under the field it names. After
// a save: what changed, the odoo.conf / postgresql.conf keys berth ignored, and what applying
// needs (an edge reload is queued at once; a restart or rebuild has "Apply now", which sends the
// save again with ?apply=now). Loaded on first use (its own chunk).
import { ComponentChildren, Fragment } from "preact";
import { useRef, useState } from "preact/hooks";
import { ApiError, get, post, put } from "../api";
import * as R from "../rules";
import { Async, Field, TlsState, Toggle, fmtDate, toast, useAsync } from "../ui";
import "./settings-env.css";

type FieldType = "int" | "bool" | "string" | "enum" | "text" | "list";
interface FieldMeta {
  key: string;
  label: string;
  type: FieldType;
  default: any;
  min?: number | null;
  max?: number | null;
  /** stored and checked, not applied by this berthd yet */
  pending?: boolean;
  description?: string | null;
  choices?: string[] | null;
  plan_flag?: string | null;
  available?: boolean;
  apply?: string;
}
interface TabAnswer {
  tab: string;
  values: Record<string, any>;
  fields: FieldMeta[];
  locked: boolean;
  info: any;
}
interface Apply {
  needed: string;
  action: string | null;
  job: any;
  message?: string | null;
}
interface PutAnswer {
  tab: string;
  values: Record<string, any>;
  info: any;
  changed: string[];
  ignored_keys?: string[];
  apply: Apply;
}

/** One field as instance-console.txt shows it: its label and description; the API's
 * `fields` give its type, range, default, plan flag and availability. */
interface Def {
  key: string;
  label: string;
  hint?: ComponentChildren;
  placeholder?: string;
  /** shown only when this toggle is on */
  showIf?: string;
  unit?: string;
  rows?: number;
  /** a group heading before this field */
  group?: string;
}
interface TabDef {
  key: string;
  label: string;
  save: string;
  /** the plan flag that locks the whole panel */
  flag?: string;
  intro?: ComponentChildren;
  defs: Def[];
  note?: ComponentChildren;
}

/** What the plan flags are called where they are explained (the plans page). */
const FLAG_NAME: Record<string, string> = {
  allow_instance_tuning: "Instance tuning",
  allow_nginx_tuning: "Nginx tuning",
  allow_ip_whitelist: "IP whitelisting",
  allow_backup: "Backups",
};
const flagText = (f: string) => `${FLAG_NAME[f] || f} (${f})`;

const ODOO_EXAMPLE = "workers = 4\nmax_cron_threads = 2\nlimit_time_cpu = 600\nlimit_time_real = 1200";
/** The Odoo sub-tab's backup fields: they need allow_backup, not instance tuning, so they stay
 * editable in a panel the plan otherwise locks. */
const BACKUP_KEYS = new Set(["backup_schedule", "backup_keep_daily", "backup_keep_weekly", "backup_keep_monthly", "backup_manual_keep_days"]);

export const TABS: TabDef[] = [
  {
    key: "odoo", label: "Odoo", save: "Save Odoo Configuration", flag: "allow_instance_tuning",
    defs: [
      { key: "odoo_shm_mb", label: "Shared Memory (MB)", hint: "--shm-size for the Odoo container. Default 64." },
      { key: "odoo_memory_limit_mb", label: "Memory Limit (MB)", hint: "Docker memory limit for the Odoo container. Default 0 (unlimited)." },
      { key: "odoo_memory_reservation_mb", label: "Reserved Memory (MB)", hint: "Docker memory reservation for the Odoo container. Default 0." },
      {
        key: "odoo_config", label: "Odoo Configuration", rows: 6, placeholder: ODOO_EXAMPLE,
        hint: <>Free-text odoo.conf content appended to the generated config. Reserved keys (admin_passwd, data_dir, *_port) are managed automatically and will be ignored here. Example:<pre class="example">{ODOO_EXAMPLE}</pre></>,
      },
      { key: "server_shared_addons", label: "Server Shared Addons", hint: "Toggle on to mount a server-level shared addons directory into the container." },
      { key: "server_shared_addons_path", label: "Server Shared Addons Path", showIf: "server_shared_addons", placeholder: "/srv/berth/addons", hint: "Absolute path on the server." },
      { key: "external_filestore", label: "External Filestore", hint: "Toggle on to use a custom server path for the Odoo filestore instead of the default Docker volume." },
      { key: "external_filestore_path", label: "External Filestore Path", showIf: "external_filestore", placeholder: "/srv/berth/filestore", hint: "Absolute path on the server." },
      {
        key: "backup_schedule", label: "Backup Schedule", placeholder: "02:00 14:00", group: "Backups",
        hint: "Space-separated times in HH:MM format for automated backups (e.g., 02:00 14:00), in the organization's time zone. Leave empty to disable automatic backups.",
      },
      { key: "backup_keep_daily", label: "Daily Backups Kept", hint: "Scheduled backups: the newest of each of the last N days. Default 7." },
      { key: "backup_keep_weekly", label: "Weekly Backups Kept", hint: "The newest of each of the last N weeks. Default 4." },
      { key: "backup_keep_monthly", label: "Monthly Backups Kept", hint: "The newest of each of the last N months. Default 12." },
      { key: "backup_manual_keep_days", label: "Manual Backups Kept (days)", hint: "Manual and imported backups are kept this many days; 0: until deleted. Default 0." },
      { key: "auto_restart", label: "Auto Restart", group: "Process", hint: "Automatically restart the instance if the Odoo process crashes." },
    ],
  },
  {
    key: "postgresql", label: "PostgreSQL", save: "Save PostgreSQL Configuration", flag: "allow_instance_tuning",
    defs: [
      { key: "postgres_shm_mb", label: "Shared Memory (MB)", hint: "--shm-size for the PostgreSQL container. Default 64." },
      { key: "postgres_memory_limit_mb", label: "Memory Limit (MB)", hint: "Docker memory limit for the PostgreSQL container. Default 0 (unlimited)." },
      { key: "postgres_memory_reservation_mb", label: "Reserved Memory (MB)", hint: "Docker memory reservation. Default 0." },
      { key: "postgres_extensions", label: "PostgreSQL Extensions", rows: 4, placeholder: "postgis\npg_trgm", hint: "One extension per line to install (e.g., postgis, pg_trgm)." },
      { key: "postgres_config", label: "PostgreSQL Configuration", rows: 6, placeholder: "shared_buffers = 256MB", hint: "Free-text postgresql.conf content (e.g., shared_buffers = 256MB)." },
      { key: "anonymize_database", label: "Anonymize Database", hint: "When enabled, sensitive personal data is anonymized when this instance's database is cloned to a Staging or Dev environment." },
    ],
  },
  {
    key: "security", label: "Security", save: "Save Security Settings",
    defs: [
      { key: "cors_origins", label: "CORS Origins", rows: 3, placeholder: "https://shop.example.com", hint: "One origin per line. Sets the Access-Control-Allow-Origin header." },
      { key: "ip_whitelist", label: "IP Whitelist", rows: 3, placeholder: "192.168.1.0/24", hint: "CIDR ranges or individual IPs that are allowed to access the instance. One per line. Example: 192.168.1.0/24" },
      { key: "ip_blacklist", label: "IP Blacklist", rows: 3, placeholder: "203.0.113.7", hint: "IPs or ranges that are explicitly blocked. One per line." },
      { key: "rate_limit", label: "Enable Rate Limiting", hint: "Toggle to activate Nginx-level rate limiting." },
      { key: "rate_limit_login", label: "Login Rate Limit", placeholder: "5r/m", hint: "Rate limit for the login endpoint (e.g., 5r/m = 5 requests per minute)." },
      { key: "rate_limit_general", label: "General Rate Limit", placeholder: "60r/s", hint: "Rate limit for all other requests (e.g., 60r/s)." },
      { key: "csp", label: "Enable CSP", hint: "Toggle to add a Content-Security-Policy response header." },
      { key: "csp_policy", label: "CSP Policy", showIf: "csp", rows: 3, hint: "The policy sent while CSP is on (the default works with Odoo's backend and website)." },
    ],
  },
  {
    key: "domain", label: "Domain", save: "Save Domain Settings",
    defs: [
      { key: "extra_domains", label: "Extra Domains", rows: 3, placeholder: "shop.example.com", hint: "Additional custom domains that should route to this instance. One domain per line. DNS for each domain must point to the server IP." },
      { key: "force_ssl", label: "Force Generate SSL", hint: "Toggle on to force SSL certificate regeneration on the next restart." },
      { key: "hsts", label: "Strict Transport Security (HSTS)", hint: "Tell browsers to use HTTPS only, once a domain has a certificate." },
    ],
    note: <p class="banner info small"><strong>DNS setup:</strong> After adding an extra domain, create an <code>A</code> record in your DNS provider pointing the domain to the server's IP address. SSL certificates are issued automatically via Let's Encrypt on the next restart.</p>,
  },
  {
    key: "nginx", label: "Nginx", save: "Save Nginx Settings", flag: "allow_nginx_tuning",
    defs: [
      { key: "nginx_max_upload", label: "Max Upload Size", placeholder: "100M", hint: "client_max_body_size — maximum file upload size Nginx will accept. Default 100M." },
      { key: "nginx_proxy_read_timeout_s", label: "Proxy Read Timeout", unit: "s", hint: "Maximum time Nginx waits for the Odoo backend to respond. Default 300s." },
      { key: "nginx_proxy_connect_timeout_s", label: "Proxy Connect Timeout", unit: "s", hint: "Maximum time Nginx waits to establish a connection to the backend. Default 30s." },
      { key: "nginx_keepalive_timeout_s", label: "Keepalive Timeout", unit: "s", hint: "How long keep-alive connections remain open. Default 65s." },
      { key: "nginx_send_timeout_s", label: "Send Timeout", unit: "s", hint: "Maximum time between successive write operations to the client. Default 60s." },
      { key: "nginx_x_frame_options", label: "X-Frame-Options", hint: "HTTP header to control iframe embedding (SAMEORIGIN or DENY). Default SAMEORIGIN." },
    ],
  },
  {
    key: "packages", label: "Packages", save: "Save Package Settings",
    intro: <p class="muted">Add extra system packages to the Odoo or PostgreSQL container. Changing packages triggers a container rebuild on the next deploy.</p>,
    defs: [
      { key: "odoo_packages", label: "Odoo Debian Packages", rows: 4, placeholder: "libcups2-dev\nlibpq-dev", hint: "Extra apt packages installed in the Odoo container. One per line. Example: libcups2-dev, libpq-dev" },
      { key: "postgres_packages", label: "PostgreSQL Debian Packages", rows: 4, placeholder: "postgresql-contrib\npostgresql-plpython3", hint: "Extra apt packages installed in the PostgreSQL container. One per line. Example: postgresql-contrib, postgresql-plpython3" },
    ],
    note: <p class="banner warn small"><strong>Important:</strong> Adding packages increases build time and image size. Only add packages your custom modules actually require.</p>,
  },
];

const NEEDED: Record<string, string> = {
  nothing: "Nothing more to do: it takes effect as it is.",
  "edge reload": "The edge proxy reloads its configuration with it.",
  "soft restart": "A soft restart applies it (Odoo reads its configuration again).",
  "hard restart": "A hard restart applies it (the containers are recreated).",
  rebuild: "A rebuild applies it: the image is built again by a deploy.",
};

// ---- values: the API's (numbers, booleans, lists) and the form's (strings, booleans) ----
function toDraft(f: FieldMeta, v: any): any {
  if (f.type === "bool") return !!v;
  if (f.type === "list") return Array.isArray(v) ? v.join("\n") : v == null ? "" : String(v);
  return v == null ? "" : String(v);
}
function fromDraft(f: FieldMeta, d: any): any {
  if (f.type === "bool") return !!d;
  if (f.type === "list") return String(d).split("\n").map((x) => x.trim()).filter(Boolean);
  if (f.type === "int") return String(d).trim() === "" ? null : Number(d); // null: back to the default
  if (f.type === "text") return String(d);
  return String(d).trim();
}
const same = (a: any, b: any) => JSON.stringify(a) === JSON.stringify(b);

/** Whether the API's error field names this key ("cors_origins", "cors_origins[2]"). */
function names(field: string | undefined, key: string) {
  return !!field && (field === key || field.startsWith(key + "[") || field.startsWith(key + "."));
}

/** A job as the apply answer gives it (the job object, or its id). */
function jobOf(a: Apply | undefined): { id: string; type: string } | null {
  if (!a || !a.job) return null;
  return typeof a.job === "string" ? { id: a.job, type: a.action || "job" } : a.job;
}

export function SettingsTab(props: {
  env: any;
  perms: Set<string> | null;
  sub: string;
  onSub: (t: string) => void;
  onQueue: () => void;
  onShowJob: (job: { id: string; type: string }) => void;
  /** a sub-tab saved: the environment's own answer (its settings) may have changed */
  onSaved?: () => void;
}) {
  const { env, sub, onSub } = props;
  // a sub-tab once opened stays mounted (hidden): its unsaved changes survive a look at another
  const visited = useRef(new Set<string>());
  visited.current.add(sub);
  const canEdit = !!props.perms && props.perms.has("environment.settings");
  return (
    <div class="settings-tab">
      <div class="panel-head">
        <h2>Settings</h2>
        {!canEdit && props.perms && <span class="muted small">Read only: changing settings needs the environment.settings permission.</span>}
      </div>
      <div class="tabs subtabs" role="tablist" aria-label="Settings">
        {TABS.map((t, i) => (
          <button key={t.key} type="button" role="tab" id={`stab-${t.key}`} aria-selected={sub === t.key} aria-controls={`spanel-${t.key}`}
            tabIndex={sub === t.key ? 0 : -1} class={sub === t.key ? "active" : ""} onClick={() => onSub(t.key)}
            onKeyDown={(e) => {
              const n = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : -99;
              if (n !== -99) {
                const k = TABS[(n + TABS.length) % TABS.length].key;
                onSub(k);
                document.getElementById(`stab-${k}`)?.focus();
              }
            }}>
            {t.label}
          </button>
        ))}
      </div>
      {TABS.filter((t) => visited.current.has(t.key)).map((t) => (
        <div key={t.key} role="tabpanel" id={`spanel-${t.key}`} aria-labelledby={`stab-${t.key}`} hidden={t.key !== sub} class="subpanel">
          <Panel env={env} t={t} canEdit={canEdit} onQueue={props.onQueue} onShowJob={props.onShowJob} onSaved={props.onSaved} />
        </div>
      ))}
    </div>
  );
}

function Panel({ env, t, canEdit, onQueue, onShowJob, onSaved }: {
  env: any; t: TabDef; canEdit: boolean; onQueue: () => void; onShowJob: (j: any) => void; onSaved?: () => void;
}) {
  const s = useAsync(() => get<TabAnswer>(`/environments/${env.id}/settings/${t.key}`), [env.id, t.key]);
  return (
    <Async s={s} what={`Loading the ${t.label} settings`}>
      {(a) => (
        <TabForm env={env} t={t} a={a} canEdit={canEdit} onQueue={onQueue} onShowJob={onShowJob}
          onSaved={(r: any) => {
            s.mutate((old) => ({ ...old, values: r.values || old.values, info: r.info || old.info,
              fields: r.fields || old.fields, locked: r.locked ?? old.locked }));
            onSaved?.();
          }} />
      )}
    </Async>
  );
}

function TabForm(props: {
  env: any; t: TabDef; a: TabAnswer; canEdit: boolean;
  onQueue: () => void; onShowJob: (j: any) => void; onSaved: (r: PutAnswer) => void;
}) {
  const { env, t, a, canEdit } = props;
  const metas = new Map(a.fields.map((f) => [f.key, f]));
  // the document's fields in its order, then any other key of the tab the API has (its label)
  const defs: Def[] = [
    ...t.defs.filter((d) => metas.has(d.key)),
    ...a.fields.filter((f) => !t.defs.some((d) => d.key === f.key))
      .map((f, i) => ({ key: f.key, label: f.label, hint: f.description || undefined, group: i === 0 ? "More" : undefined })),
  ];
  const [draft, setDraft] = useState<Record<string, any> | null>(null);
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<(PutAnswer & { body: Record<string, any> }) | null>(null);
  const vals: Record<string, any> = draft || Object.fromEntries(a.fields.map((f) => [f.key, toDraft(f, a.values[f.key])]));
  const devEnv = env.environment_type === "development";

  /** Why a field cannot be changed (null: it can). */
  const blocked = (f: FieldMeta): string | null => {
    if (a.locked && !BACKUP_KEYS.has(f.key)) return "locked"; // the panel's notice says why
    if (f.available === false) return f.plan_flag ? `Your plan does not include ${flagText(f.plan_flag)}.` : "Not available.";
    if (BACKUP_KEYS.has(f.key) && devEnv) return "Backups are for production and staging environments.";
    return null;
  };
  const editable = (f: FieldMeta) => canEdit && !blocked(f);
  const shown = (d: Def) => !d.showIf || !!vals[d.showIf];

  const local = (f: FieldMeta): string | null => {
    const v = vals[f.key];
    if (f.type === "int" && String(v).trim() !== "") {
      const lo = f.min ?? 0, hi = f.max ?? Number.MAX_SAFE_INTEGER;
      return R.intRange(String(v).trim(), lo, hi);
    }
    if (f.key === "backup_schedule") return R.backupSchedule(String(v));
    return null;
  };
  const fieldError = (f: FieldMeta) => local(f) || (err && names(err.field, f.key) ? err.message : null);
  // an error naming no field shown here goes in the banner
  const bannerErr = err && !defs.some((d) => shown(d) && names(err.field, d.key)) ? err : null;

  const changed = () => {
    const body: Record<string, any> = {};
    for (const f of a.fields) {
      if (!editable(f)) continue;
      const now = fromDraft(f, vals[f.key]);
      if (!same(now, fromDraft(f, toDraft(f, a.values[f.key])))) body[f.key] = now;
    }
    return body;
  };

  async function save(e: Event | null) {
    e?.preventDefault();
    if (a.fields.some((f) => editable(f) && local(f))) return;
    const body = changed();
    setBusy(true);
    setErr(null);
    try {
      const r = await put<PutAnswer>(`/environments/${env.id}/settings/${t.key}`, body);
      props.onSaved(r);
      setDraft(null);
      setResult({ ...r, body });
      toast(`${t.label} settings saved`);
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }

  /** "Apply now": the save sent again with ?apply=now, which queues the restart or rebuild
   * the save needs. A berthd that answers no job then (the values were stored already, so it
   * sees nothing to apply) gets the job asked for directly, as ?apply=now would have. */
  async function applyNow() {
    if (!result) return;
    const need = result.apply?.needed;
    setBusy(true);
    setErr(null);
    try {
      const r = await put<PutAnswer>(`/environments/${env.id}/settings/${t.key}?apply=now`, result.body);
      props.onSaved(r);
      let apply = r.apply;
      if (!jobOf(apply) && (need === "soft restart" || need === "hard restart" || need === "rebuild")) {
        const job = need === "rebuild"
          ? await post(`/environments/${env.id}/deploy`)
          : await post(`/environments/${env.id}/restart`, { mode: need === "soft restart" ? "soft" : "hard" });
        apply = { needed: need, action: need === "rebuild" ? "deploy" : "restart", job, message: null };
      }
      setResult({ ...r, changed: result.changed, apply, body: result.body });
      const job = jobOf(apply);
      toast(job ? `${job.type} queued` : "Nothing to apply");
    } catch (x) {
      setErr(x as ApiError);
      toast(`Apply failed: ${(x as ApiError).message}`, "error");
    }
    setBusy(false);
  }

  const set = (k: string, v: any) => {
    setDraft({ ...vals, [k]: v });
    if (err && names(err.field, k)) setErr(null);
  };
  const anyEditable = a.fields.some(editable);
  const lockFlag: string | undefined = (a as any).plan_flag || t.flag;
  const lockedNotice = a.locked && lockFlag;
  const ignored = result ? result.ignored_keys || result.info?.ignored_keys || [] : a.info?.ignored_keys || [];

  return (
    <form class={"settings-form" + (a.locked ? " locked" : "")} aria-label={`${t.label} settings`} onSubmit={(e) => save(e)} noValidate
      data-tab={t.key} data-locked={a.locked ? "true" : "false"}>
      {lockedNotice && (
        <div class="banner warn" data-testid="plan-locked">
          <span>Your plan does not include <strong>{flagText(lockFlag!)}</strong>: the {t.label} settings are shown but cannot be changed.
            {t.key === "odoo" && a.fields.some((f) => BACKUP_KEYS.has(f.key) && f.available !== false) ? " The backup settings below still can." : ""}</span>
        </div>
      )}
      {t.intro}
      {bannerErr && <div class="banner error" role="alert" data-code={bannerErr.code}>{bannerErr.message}</div>}
      {t.key === "domain" && <PrimaryDomain info={result?.info || a.info} env={env} />}
      {defs.map((d) => {
        const f = metas.get(d.key)!;
        if (!shown(d)) return null;
        const why = blocked(f);
        const greyed = !!why && !(BACKUP_KEYS.has(f.key) && devEnv);
        return (
          <Fragment key={d.key}>
            {d.group && <h3 class="group">{d.group}</h3>}
            <div class={"setting" + (greyed ? " greyed" : "")} data-key={f.key} data-available={why ? "false" : "true"}>
              <Input f={f} d={d} value={vals[f.key]} set={set} disabled={!editable(f)} error={fieldError(f)}
                why={why && why !== "locked" ? why : null} />
              {f.key === "extra_domains" && <DomainState info={result?.info || a.info} />}
              {(f.key === "odoo_config" || f.key === "postgres_config") && ignored.length > 0 && (
                <div class="banner warn small ignored" role="status" data-testid="ignored-keys">
                  <span>Ignored (berth manages {ignored.length === 1 ? "this key" : "these keys"}): {ignored.map((k: string, i: number) => <Fragment key={k}>{i ? ", " : ""}<code>{k}</code></Fragment>)}</span>
                </div>
              )}
            </div>
          </Fragment>
        );
      })}
      {t.note}
      {result && <ApplyResult r={result} busy={busy} labels={Object.fromEntries(defs.map((d) => [d.key, d.label]))} onApplyNow={applyNow} deployed={!!env.deployed_at}
        onQueue={props.onQueue} onShowJob={props.onShowJob} canEdit={canEdit} />}
      {canEdit && (
        <div class="actions">
          {draft && <button type="button" class="btn" disabled={busy} onClick={() => { setDraft(null); setErr(null); }}>Discard changes</button>}
          <button type="submit" class="btn primary" disabled={busy || !anyEditable}>{busy ? "Saving…" : t.save}</button>
        </div>
      )}
    </form>
  );
}

function Input(props: { f: FieldMeta; d: Def; value: any; set: (k: string, v: any) => void; disabled: boolean; error: string | null; why: string | null }) {
  const { f, d, value, set, disabled, error, why } = props;
  const id = "set-" + f.key;
  const hint = (
    <>
      {d.hint ?? (f.default !== null && f.default !== undefined && f.default !== "" ? `Default ${Array.isArray(f.default) ? f.default.join(", ") || "none" : String(f.default)}.` : null)}
      {f.pending && <span class="pending"> Saved and checked, but this berthd does not apply it yet.</span>}
      {why && <span class="why"> {why}</span>}
    </>
  );
  const described = [d.hint || why ? id + "-hint" : "", error ? id + "-error" : ""].filter(Boolean).join(" ") || undefined;
  const onInput = (e: Event) => set(f.key, (e.target as HTMLInputElement).value);
  if (f.type === "bool")
    return (
      <>
        <Toggle id={id} label={d.label} checked={!!value} disabled={disabled} onChange={(v) => set(f.key, v)} hint={hint} />
        {error && <div class="field-error" id={id + "-error"} role="alert">{error}</div>}
      </>
    );
  let control;
  if (f.type === "enum" || (f.choices && f.choices.length))
    control = (
      <select id={id} value={value} disabled={disabled} aria-describedby={described} onChange={onInput}>
        {(f.choices || []).map((c) => <option key={c} value={c}>{c}</option>)}
      </select>
    );
  else if (f.type === "text" || f.type === "list")
    control = (
      <textarea id={id} rows={d.rows || 4} value={value} disabled={disabled} placeholder={d.placeholder} spellcheck={false}
        autocomplete="off" aria-describedby={described} onInput={onInput} />
    );
  else if (f.type === "int")
    control = (
      <div class="with-unit">
        <input id={id} type="number" inputMode="numeric" step={1} min={f.min ?? undefined} max={f.max ?? undefined} value={value}
          disabled={disabled} placeholder={f.default != null ? String(f.default) : undefined} aria-describedby={described} onInput={onInput} />
        {d.unit && <span class="suffix-text" aria-hidden="true">{d.unit}</span>}
      </div>
    );
  else
    control = (
      <input id={id} value={value} disabled={disabled} placeholder={d.placeholder} autocomplete="off" spellcheck={false}
        aria-describedby={described} onInput={onInput} />
    );
  return (
    <Field id={id} label={d.label} hint={hint} error={error}>
      {control}
    </Field>
  );
}

const TLS_LABEL: Record<string, [string, string]> = {
  active: ["HTTPS active", "green"],
  pending: ["Certificate pending", "gray"],
  failed: ["Certificate failed", "red"],
  none: ["No certificate", "gray"],
};

/** The Domain sub-tab's read-only parts: the primary domain; each domain's DNS and HTTPS state
 * (info.domains) and the Cloudflare indicator. */
function PrimaryDomain({ info, env }: { info: any; env: any }) {
  // the environment's HTTPS state: the Domain answer's (berthd reads it with the domains), else
  // the environment's own
  const tls = info && "tls_status" in info ? info : env;
  return (
    <>
      <Field id="set-primary-domain" label="Primary Domain" hint="Read-only display of the instance's current primary domain.">
        <input id="set-primary-domain" value={info?.primary_domain || ""} readOnly aria-describedby="set-primary-domain-hint" />
      </Field>
      {tls.tls_status && <p class="small" data-testid="env-tls">HTTPS: <TlsState status={tls.tls_status} error={tls.tls_error} /></p>}
    </>
  );
}

function DomainState({ info }: { info: any }) {
  const domains: any[] = info?.domains || [];
  return (
    <div class="domain-info">
      {domains.length > 0 && (
        <div class="table-wrap">
          <table class="domains" aria-label="Domains: DNS and HTTPS">
            <thead><tr><th>Domain</th><th>DNS</th><th>HTTPS</th></tr></thead>
            <tbody>
              {domains.map((d) => {
                const tls = d.tls || {};
                const [label, cls] = TLS_LABEL[tls.status] || [tls.status || "–", "gray"];
                const dns = d.dns || {};
                const addrs: string[] = dns.addresses || [];
                return (
                  <tr key={d.domain} data-domain={d.domain}>
                    <td><code>{d.domain}</code>{d.primary ? <span class="badge blue small">primary</span> : d.kind && <span class="badge gray small">{d.kind}</span>}</td>
                    <td data-dns={dns.points_to_server === true ? "ok" : dns.points_to_server === false ? "no" : "unknown"}>
                      {dns.points_to_server === true ? <span class="yes">✓ Points to this server</span>
                        : dns.points_to_server === false ? <span class="no">✗ Does not point to this server</span>
                        : <span>? Not known</span>}
                      <div class="muted small">{addrs.length ? `Resolves to ${addrs.join(", ")}` : dns.error ? dns.error[0].toUpperCase() + dns.error.slice(1) : "No address found"}</div>
                    </td>
                    <td data-tls={tls.status || "none"}>
                      <span class={"badge " + cls}>{label}</span>
                      {tls.source && <span class="muted small"> {tls.source === "custom" ? "custom certificate" : "ACME"}</span>}
                      {tls.not_after && <div class="small">Expires {fmtDate(tls.not_after)}</div>}
                      {tls.error && <div class="small danger-text">{tls.error}</div>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Toggle id="set-cloudflare" label="Cloudflare Proxy" checked={!!info?.cloudflare_proxy} disabled onChange={() => undefined}
        hint="Read-only indicator inherited from the server configuration (the servers page)." />
    </div>
  );
}

function ApplyResult(props: {
  r: PutAnswer & { body: Record<string, any> }; busy: boolean; canEdit: boolean; labels: Record<string, string>; deployed: boolean;
  onApplyNow: () => void; onQueue: () => void; onShowJob: (j: any) => void;
}) {
  const { r } = props;
  const a = r.apply || { needed: "nothing", action: null, job: null };
  const job = jobOf(a);
  const n = r.changed?.length || 0;
  // what applying needs and what was done, from the answer's fields; berthd's own message
  // where the console cannot say it better (e.g. a job that could not be queued)
  const text = job ? `${NEEDED[a.needed] || a.needed} The ${job.type} job is queued.`
    : a.needed === "nothing" ? NEEDED.nothing
    : !props.deployed ? "Saved: the first deploy applies it."
    : a.needed === "edge reload" ? a.message || NEEDED[a.needed]
    : `${NEEDED[a.needed] || a.needed} Apply it now, or it waits for the next ${a.needed === "rebuild" ? "deploy" : "restart"}.`;
  return (
    <div class="banner info apply-result" role="status" data-testid="apply-result" data-needed={a.needed}>
      <div><strong>{n ? `Changed: ${r.changed.map((k) => props.labels[k] || k).join(", ")}.` : "Nothing changed."}</strong></div>
      <div data-testid="apply-needs">{text}</div>
      {job ? (
        <div class="row-actions">
          <button type="button" class="btn small" onClick={() => props.onShowJob(job)}>Show the {job.type} log</button>
          <button type="button" class="btn small" onClick={props.onQueue}>Open the Queue tab</button>
        </div>
      ) : (
        a.needed !== "nothing" && a.needed !== "edge reload" && props.canEdit && props.deployed && (
          <div class="row-actions">
            <button type="button" class="btn small primary" disabled={props.busy} onClick={props.onApplyNow}>Apply now</button>
            <span class="muted small">queues the {a.needed === "rebuild" ? "deploy (rebuild)" : a.needed}</span>
          </div>
        )
      )}
    </div>
  );
}
