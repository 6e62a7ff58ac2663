// Members and invitations of the current organization.
import { useState } from "preact/hooks";
import { ApiError, del, get, patch, post } from "../api";
import { useSession } from "../session";
import { Async, Empty, ErrorBox, Field, Modal, fmtDate, toast, useAsync } from "../ui";
import { email as emailRule } from "../rules";

const ROLES = ["owner", "admin", "developer", "viewer"];

export function MembersPage() {
  const s = useSession();
  const org = s.org.id;
  const manage = s.perms.has("member.manage");
  const members = useAsync(() => get<any[]>(`/orgs/${org}/members`), [org]);
  const invites = useAsync(() => (manage ? get<any[]>(`/orgs/${org}/invitations`) : Promise.resolve([])), [org, manage]);
  const projects = useAsync(() => get<any[]>(`/orgs/${org}/projects`), [org]);
  const [f, setF] = useState({ email: "", role: "developer", days: "7" });
  const [touched, setTouched] = useState(false);
  const [err, setErr] = useState<ApiError | null>(null);
  const [invited, setInvited] = useState<any>(null);
  const [limiting, setLimiting] = useState<any>(null);
  const [inviteProjects, setInviteProjects] = useState<string[] | null>(null);
  const days = Number(f.days);
  const errors = {
    email: emailRule(f.email),
    days: !Number.isInteger(days) || days < 1 || days > 30 ? "1 to 30 days." : null,
  };
  const projName = (id: string) => projects.data?.find((p) => p.id === id)?.name || id.slice(0, 8);

  async function invite(e: Event) {
    e.preventDefault();
    setTouched(true);
    if (errors.email || errors.days) return;
    setErr(null);
    try {
      setInvited(await post(`/orgs/${org}/invitations`, { email: f.email, role: f.role, expires_in_days: days, projects: inviteProjects }));
      setF({ email: "", role: "developer", days: "7" });
      setInviteProjects(null);
      setTouched(false);
      invites.reload(true);
    } catch (x) {
      setErr(x as ApiError);
    }
  }
  async function setRole(m: any, role: string) {
    try {
      await patch(`/orgs/${org}/members/${m.user_id}`, { role });
      toast(`${m.email} is now ${role}`);
    } catch (x) {
      toast((x as Error).message, "error");
    }
    members.reload(true);
  }
  async function remove(m: any) {
    try {
      await del(`/orgs/${org}/members/${m.user_id}`);
      toast(`${m.email} removed`);
    } catch (x) {
      toast((x as Error).message, "error");
    }
    members.reload(true);
  }
  async function revoke(i: any) {
    try {
      await del(`/orgs/${org}/invitations/${i.id}`);
      toast(`Invitation of ${i.email} revoked`);
    } catch (x) {
      toast((x as Error).message, "error");
    }
    invites.reload(true);
  }
  const acceptUrl = invited ? `${location.origin}${invited.accept_path}` : "";
  return (
    <section>
      <h1>Members of {s.org.name}</h1>
      <Async s={members} what="Loading members">
        {(list) => (
          <div class="table-wrap card">
            <table>
              <thead><tr><th>Member</th><th>Role</th><th>Projects</th><th>Joined</th>{manage && <th><span class="sr-only">Actions</span></th>}</tr></thead>
              <tbody>
                {list.map((m) => (
                  <tr key={m.user_id}>
                    <td>{m.name}<div class="muted small">{m.email}</div></td>
                    <td>
                      {manage && m.user_id !== s.me.id ? (
                        <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => setRole(m, (e.target as HTMLSelectElement).value)}>
                          {ROLES.filter((r) => r !== "owner" || s.perms.has("member.manage_owners") || m.role === "owner").map((r) => <option key={r} value={r}>{r}</option>)}
                        </select>
                      ) : m.role}
                    </td>
                    <td>
                      {m.projects === null ? "all" : m.projects.map(projName).join(", ") || "none"}
                      {manage && m.user_id !== s.me.id && (
                        <div><button type="button" class="btn small" onClick={() => setLimiting(m)}>Projects of {m.email}</button></div>
                      )}
                    </td>
                    <td>{fmtDate(m.joined_at)}</td>
                    {manage && (
                      <td>{m.user_id !== s.me.id && <button type="button" class="btn small red" onClick={() => remove(m)}>Remove {m.email}</button>}</td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      {manage ? (
        <>
          <form class="card form" onSubmit={invite} noValidate aria-label="Invite a member">
            <h2>Invite</h2>
            {err && <div class="banner error" role="alert">{err.message}</div>}
            <div class="cols three">
              <Field id="i-email" label="Email" error={(touched && errors.email) || (err?.field === "email" ? err.message : null)}>
                <input id="i-email" type="email" value={f.email} onInput={(e) => setF({ ...f, email: (e.target as HTMLInputElement).value })} />
              </Field>
              <Field id="i-role" label="Role">
                <select id="i-role" value={f.role} onChange={(e) => setF({ ...f, role: (e.target as HTMLSelectElement).value })}>
                  {ROLES.filter((r) => r !== "owner" || s.perms.has("member.manage_owners")).map((r) => <option key={r} value={r}>{r}</option>)}
                </select>
              </Field>
              <Field id="i-days" label="Expires in (days)" error={touched ? errors.days : null}>
                <input id="i-days" type="number" min={1} max={30} value={f.days} onInput={(e) => setF({ ...f, days: (e.target as HTMLInputElement).value })} />
              </Field>
            </div>
            <ProjectChoice id="i-projects" projects={projects.data || []} value={inviteProjects} onChange={setInviteProjects} />
            <div class="actions"><button type="submit" class="btn primary">Invite</button></div>
          </form>
          <h2>Pending invitations</h2>
          <Async s={invites} what="Loading invitations">
            {(list) =>
              list.length === 0 ? (
                <Empty>No pending invitations.</Empty>
              ) : (
                <div class="table-wrap card">
                  <table>
                    <thead><tr><th>Email</th><th>Role</th><th>Expires</th><th><span class="sr-only">Actions</span></th></tr></thead>
                    <tbody>
                      {list.map((i) => (
                        <tr key={i.id}>
                          <td>{i.email}</td>
                          <td>{i.role}</td>
                          <td>{fmtDate(i.expires_at)}</td>
                          <td><button type="button" class="btn small" onClick={() => revoke(i)}>Revoke invitation of {i.email}</button></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )
            }
          </Async>
        </>
      ) : (
        <ErrorBox error="Inviting and managing members needs the member.manage permission." />
      )}
      {limiting && (
        <ProjectsModal member={limiting} projects={projects.data || []} onClose={() => setLimiting(null)}
          onSave={async (value) => {
            try {
              await patch(`/orgs/${org}/members/${limiting.user_id}`, { projects: value });
              toast(`Projects of ${limiting.email} saved`);
              setLimiting(null);
              members.reload(true);
            } catch (x) {
              toast((x as Error).message, "error");
            }
          }} />
      )}
      {invited && (
        <Modal title="Invitation created" onClose={() => setInvited(null)}>
          <p>Send the link (or the token) to {invited.email}; it is shown only once. They accept it in the console at the link, with the CLI, or with a POST to the accept URL:</p>
          <dl class="kv">
            <dt>Link</dt><dd><code class="wrap" data-testid="invite-link">{`${location.origin}/invitations/${invited.token}`}</code></dd>
            <dt>Token</dt><dd><code class="secret" data-testid="invite-token">{invited.token}</code></dd>
            <dt>CLI</dt><dd><code class="wrap">berth --url {location.origin} invitation accept {invited.token}</code></dd>
            <dt>Accept URL (POST)</dt><dd><code class="wrap">{acceptUrl}</code></dd>
          </dl>
          <div class="actions"><button type="button" class="btn primary" onClick={() => setInvited(null)}>Done</button></div>
        </Modal>
      )}
    </section>
  );
}

/** All projects (null), or a chosen list of the organization's projects. */
function ProjectChoice(props: { id: string; projects: any[]; value: string[] | null; onChange: (v: string[] | null) => void }) {
  const { value } = props;
  return (
    <fieldset class="choices">
      <legend>Projects</legend>
      <label class="check-row">
        <input type="checkbox" id={props.id} checked={value === null} onChange={(e) => props.onChange((e.target as HTMLInputElement).checked ? null : [])} />
        All projects, present and future
      </label>
      {value !== null && (
        props.projects.length === 0 ? <p class="muted small">The organization has no projects yet.</p> : (
          <div class="cols">
            {props.projects.map((p) => (
              <label key={p.id} class="check-row">
                <input type="checkbox" checked={value.includes(p.id)}
                  onChange={(e) => props.onChange((e.target as HTMLInputElement).checked ? [...value, p.id] : value.filter((x) => x !== p.id))} />
                {p.name}
              </label>
            ))}
          </div>
        )
      )}
    </fieldset>
  );
}

function ProjectsModal(props: { member: any; projects: any[]; onClose: () => void; onSave: (v: string[] | null) => void }) {
  const [value, setValue] = useState<string[] | null>(props.member.projects);
  return (
    <Modal title={`Projects of ${props.member.email}`} onClose={props.onClose}>
      <p class="small">A member limited to some projects sees only those, their environments and jobs.</p>
      <ProjectChoice id="m-projects" projects={props.projects} value={value} onChange={setValue} />
      <div class="actions">
        <button type="button" class="btn" onClick={props.onClose}>Cancel</button>
        <button type="button" class="btn primary" onClick={() => props.onSave(value)}>Save</button>
      </div>
    </Modal>
  );
}
