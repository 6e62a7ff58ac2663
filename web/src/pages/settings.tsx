// Organization settings (owners and admins: org.update): the name, and the time zone that
// backup schedules are read in (PATCH /orgs/{id}). Loaded on first use (its own chunk).
import { useState } from "preact/hooks";
import { ApiError, get, patch } from "../api";
import { useSession } from "../session";
import { Async, ErrorBox, Field, toast, useAsync } from "../ui";

/** The IANA time zones the browser knows (berthd checks the name against tzdata). */
function zones(current: string): string[] {
  let list: string[] = [];
  try {
    list = ((Intl as any).supportedValuesOf?.("timeZone") as string[]) || [];
  } catch {
    list = [];
  }
  const all = new Set(["UTC", ...list]);
  if (current) all.add(current);
  return [...all];
}

export function OrgSettingsPage() {
  const s = useSession();
  const org = useAsync(() => get<any>(`/orgs/${s.org.id}`), [s.org.id]);
  if (!s.perms.has("org.update")) return <ErrorBox error="Organization settings need the org.update permission (owners and admins)." />;
  return (
    <section>
      <h1>Organization settings</h1>
      <Async s={org} what="Loading the organization">
        {(o) => <OrgForm key={o.id + o.updated_at} o={o} onSaved={() => { org.reload(true); s.refresh(); }} />}
      </Async>
    </section>
  );
}

function OrgForm({ o, onSaved }: { o: any; onSaved: () => void }) {
  const [name, setName] = useState<string>(o.name || "");
  const [tz, setTz] = useState<string>(o.timezone || "UTC");
  const [err, setErr] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const nameErr = !name.trim() ? "Name the organization." : name.length > 100 ? "At most 100 characters." : null;
  const here = (() => {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      return "";
    }
  })();
  async function save(e: Event) {
    e.preventDefault();
    if (nameErr) return;
    setBusy(true);
    setErr(null);
    try {
      const body: Record<string, string> = {};
      if (name.trim() !== o.name) body.name = name.trim();
      if (tz !== (o.timezone || "UTC")) body.timezone = tz;
      if (Object.keys(body).length) await patch(`/orgs/${o.id}`, body);
      toast("Organization settings saved");
      onSaved();
    } catch (x) {
      setErr(x as ApiError);
    }
    setBusy(false);
  }
  return (
    <form class="card" aria-label="Organization settings" onSubmit={save} noValidate>
      {err && !err.field && <div class="banner error" role="alert">{err.message}</div>}
      <div class="cols">
        <Field id="org-name" label="Name" error={nameErr || (err?.field === "name" ? err.message : null)}>
          <input id="org-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="org-timezone" label="Time zone" error={err?.field === "timezone" ? err.message : null}
          hint={<>Backup schedules (HH:MM) are read in this time zone.{here && here !== tz ? <> Your browser's: {here}.</> : null}</>}>
          <select id="org-timezone" value={tz} aria-describedby="org-timezone-hint" onChange={(e) => setTz((e.target as HTMLSelectElement).value)}>
            {zones(tz).map((z) => <option key={z} value={z}>{z}</option>)}
          </select>
        </Field>
      </div>
      <div class="actions">
        <button type="submit" class="btn primary" disabled={busy}>{busy ? "Saving…" : "Save settings"}</button>
      </div>
    </form>
  );
}
