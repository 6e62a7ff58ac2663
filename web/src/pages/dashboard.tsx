// Dashboard: servers, projects, running environments, recent jobs, plan usage bars.
import { get } from "../api";
import { useOrgEvents, usePollWithoutStream } from "../events";
import { useSession } from "../session";
import { Async, Bar, Empty, Link, StatusDot, fmtCPU, fmtMB, timeAgo, useAsync } from "../ui";

export function Dashboard() {
  const s = useSession();
  const org = s.org.id;
  const servers = useAsync(() => get<any[]>(`/orgs/${org}/servers`), [org]);
  const projects = useAsync(() => get<any[]>(`/orgs/${org}/projects`), [org]);
  const envs = useAsync(() => get<any[]>(`/orgs/${org}/environments`), [org]);
  const jobs = useAsync(() => get<any[]>(`/orgs/${org}/jobs?limit=10`), [org]);
  const usage = useAsync(() => (s.perms.has("org.view") ? get<any>(`/orgs/${org}/usage`) : Promise.resolve(null)), [org]);
  // live: status dots change in place, recent jobs follow the queue (the organization event
  // stream; polling only when berthd has none)
  useOrgEvents(({ type, data }) => {
    if (type === "environment.status") {
      envs.mutate((l) => l.map((e) => (e.id === data.id ? { ...e, status: data.status, status_reason: data.status_reason } : e)));
      envs.reload(true);
    } else if (type === "server.status") {
      servers.mutate((l) => l.map((x) => (x.id === data.id ? { ...x, status: data.status, status_reason: data.status_reason } : x)));
    } else if (type.startsWith("job.")) {
      jobs.reload(true);
      if (type === "job.finished") {
        // a removal's end, environment counts, the usage
        for (const a of [servers, projects, envs, usage]) a.reload(true);
      }
    } else if (type === "reset") {
      for (const a of [servers, projects, envs, jobs, usage]) a.reload(true);
    }
  });
  usePollWithoutStream(() => {
    envs.reload(true);
    jobs.reload(true);
  }, 5000);
  return (
    <section>
      <h1>{s.org.name}</h1>
      <p class="sub">Plan {s.org.plan_name} · your role: {s.org.role}</p>
      <div class="grid">
        <div class="card">
          <h2>Plan usage</h2>
          <Async s={usage} what="Loading usage">
            {(u) =>
              !u ? (
                <p>Usage is visible to members with the org.view permission.</p>
              ) : (
                <div class="bars">
                  <Bar label="Projects" used={u.projects.used} quota={u.projects.quota} />
                  <Bar label="Servers" used={u.servers.used} quota={u.servers.quota} />
                  <Bar label="Environments" used={u.environments.used} quota={u.environments.quota} />
                  <Bar label="Members" used={u.members.used} quota={u.members.quota} />
                  <Bar label="CPU" used={u.cpu_cores.used} quota={u.cpu_cores.quota} unit="cores" fmt={fmtCPU} />
                  <Bar label="RAM" used={u.ram_mb.used} quota={u.ram_mb.quota} fmt={fmtMB} />
                  <Bar label="Disk" used={u.disk_gb.used} quota={u.disk_gb.quota} unit="GB" />
                </div>
              )
            }
          </Async>
        </div>
        <div class="card">
          <div class="card-head">
            <h2>Servers</h2>
            <Link href="/servers">All servers</Link>
          </div>
          <Async s={servers} what="Loading servers">
            {(list) =>
              list.length === 0 ? (
                <Empty>
                  No servers yet. <Link href="/servers">Add a server</Link> to host environments.
                </Empty>
              ) : (
                <ul class="plain">
                  {list.map((x) => (
                    <li key={x.id}>
                      <span data-server-status={x.name}><StatusDot status={x.status} /></span> <strong>{x.name}</strong> <span class="muted">{x.host}</span>
                      <span class="muted"> · {x.environment_count} environment{x.environment_count === 1 ? "" : "s"}</span>
                    </li>
                  ))}
                </ul>
              )
            }
          </Async>
        </div>
        <div class="card">
          <div class="card-head">
            <h2>Projects</h2>
            <Link href="/projects">All projects</Link>
          </div>
          <Async s={projects} what="Loading projects">
            {(list) =>
              list.length === 0 ? (
                <Empty>
                  No projects yet. <Link href="/projects">Create a project</Link>.
                </Empty>
              ) : (
                <ul class="plain">
                  {list.map((p) => (
                    <li key={p.id}>
                      <Link href={`/projects/${p.id}`}>{p.name}</Link>{" "}
                      <span class="muted">Odoo {p.odoo_version} · {p.environment_count} environment{p.environment_count === 1 ? "" : "s"}</span>
                    </li>
                  ))}
                </ul>
              )
            }
          </Async>
        </div>
        <div class="card">
          <h2>Running environments</h2>
          <Async s={envs} what="Loading environments">
            {(list) => {
              const run = list.filter((e) => e.status === "running");
              return run.length === 0 ? (
                <Empty>No environment is running.</Empty>
              ) : (
                <ul class="plain">
                  {run.map((e) => (
                    <li key={e.id}>
                      <StatusDot status={e.status} /> <Link href={`/environments/${e.id}`}>{e.name}</Link>{" "}
                      <span class="muted">{e.url}</span>
                    </li>
                  ))}
                </ul>
              );
            }}
          </Async>
        </div>
        <div class="card span2">
          <h2>Recent jobs</h2>
          <Async s={jobs} what="Loading jobs">
            {(list) =>
              list.length === 0 ? (
                <Empty>No jobs yet: deploys, restarts and server jobs appear here.</Empty>
              ) : (
                <div class="table-wrap">
                  <table>
                    <thead>
                      <tr><th>Type</th><th>Environment</th><th>Status</th><th>By</th><th>Created</th></tr>
                    </thead>
                    <tbody>
                      {list.map((j) => (
                        <tr key={j.id} data-job={j.id}>
                          <td>{j.type}</td>
                          <td>{j.environment_id && j.environment_name ? <Link href={`/environments/${j.environment_id}`}>{j.environment_name}</Link> : j.environment_id ? <span class="muted">removed environment</span> : "server"}</td>
                          <td><StatusDot status={j.status} /></td>
                          <td>{j.initiated_by_email || "berth"}</td>
                          <td title={j.created_at}>{timeAgo(j.created_at)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )
            }
          </Async>
        </div>
      </div>
    </section>
  );
}
