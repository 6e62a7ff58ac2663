// The console's shell: first-run setup, login, the header with the organization switcher,
// and the routes.
import { render } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import "./style.css";
import { ApiError, get, logout, resumeSession, onSessionLost } from "./api";
import { match, navigate, usePath } from "./router";
import { Org, Session, SessionCtx } from "./session";
import { ErrorBox, Link, Loading, Toasts, lazy } from "./ui";
import { AcceptInvitationPage, LoginPage, SetupPage } from "./pages/auth";
import { Dashboard } from "./pages/dashboard";
import { ProjectPage, ProjectsPage } from "./pages/projects";
import { NewEnvironmentPage } from "./pages/newenv";
import { EnvironmentPage } from "./pages/env";
import { ServersPage } from "./pages/servers";
import { AccountPage } from "./pages/account";
import { MembersPage } from "./pages/members";
import { AuditPage } from "./pages/audit";
import { AlertsPage } from "./pages/alerts";
import { WebhooksPage } from "./pages/webhooks";
import { AdminPage } from "./pages/admin";
import { connectOrg } from "./events";

// pages few visits need: their own chunks, fetched on first use
const BackupTargetsPage = lazy(() => import("./pages/backup-targets").then((m) => m.BackupTargetsPage));
const OrgSettingsPage = lazy(() => import("./pages/settings").then((m) => m.OrgSettingsPage));

type Boot =
  | { kind: "loading" }
  | { kind: "down"; error: ApiError }
  | { kind: "setup"; appsDomain: string }
  | { kind: "login"; appsDomain: string; notice?: string }
  | { kind: "in"; session: Omit<Session, "switchOrg" | "logout" | "refresh"> };

const ORG_KEY = "berth.org"; // only which organization was last looked at, never a secret
function lastOrg(): string {
  try {
    return localStorage.getItem(ORG_KEY) || "";
  } catch {
    return "";
  }
}
function rememberOrg(id: string) {
  try {
    localStorage.setItem(ORG_KEY, id);
  } catch {
    /* storage disabled: the first organization is shown next time */
  }
}

function App() {
  const path = usePath();
  const [boot, setBoot] = useState<Boot>({ kind: "loading" });
  const [loginFirst, setLoginFirst] = useState(false); // the invitation page's "I have an account"

  async function start(notice?: string) {
    let st: { setup_required: boolean; apps_domain: string };
    try {
      st = await get("/status");
    } catch (e) {
      setBoot({ kind: "down", error: e as ApiError });
      return;
    }
    if (st.setup_required) {
      setBoot({ kind: "setup", appsDomain: st.apps_domain });
      return;
    }
    let resumed: boolean;
    try {
      resumed = await resumeSession();
    } catch (e) {
      setBoot({ kind: "down", error: e as ApiError });
      return;
    }
    if (!resumed) {
      setBoot({ kind: "login", appsDomain: st.apps_domain, notice });
      return;
    }
    await enter(st.apps_domain);
  }

  async function enter(appsDomain: string, orgId?: string) {
    try {
      const me = await get("/me");
      const orgs: Org[] = me.organizations || [];
      const want = orgId || lastOrg();
      const org = orgs.find((o) => o.id === want) || orgs[0];
      let perms = new Set<string>();
      let plan = null;
      if (org) {
        const full = await get(`/orgs/${org.id}`);
        perms = new Set(full.permissions || []);
        plan = full.plan || null;
        rememberOrg(org.id);
      }
      setBoot({ kind: "in", session: { me, orgs, org: org!, perms, plan, appsDomain } });
    } catch (e) {
      if ((e as ApiError).status === 401) setBoot({ kind: "login", appsDomain });
      else setBoot({ kind: "down", error: e as ApiError });
    }
  }

  // one organization event stream per logged-in page session, for the current organization
  const liveOrg = boot.kind === "in" ? boot.session.org?.id || null : null;
  useEffect(() => {
    connectOrg(liveOrg);
  }, [liveOrg]);

  useEffect(() => {
    onSessionLost(() => start("Your session has ended: log in again."));
    start();
  }, []);

  if (boot.kind === "loading") return <main class="center"><Loading what="Connecting to berthd" /></main>;
  if (boot.kind === "down")
    return (
      <main class="center narrow">
        <h1>berth</h1>
        <ErrorBox error={boot.error} retry={() => start()} />
      </main>
    );
  if (boot.kind === "setup")
    return <SetupPage onDone={() => { navigate("/", true); enter(boot.appsDomain); }} />;
  const invite = match("/invitations/:token", path);
  if (boot.kind === "login" && invite && !loginFirst)
    return (
      <AcceptInvitationPage token={invite.token} loggedIn={false} onLogin={() => setLoginFirst(true)}
        onJoined={(orgId) => enter(boot.appsDomain, orgId).then(() => navigate("/", true))} />
    );
  if (boot.kind === "login")
    return (
      <LoginPage notice={boot.notice} onDone={() => { if (path === "/login" || path === "/setup") navigate("/", true); enter(boot.appsDomain); }} />
    );

  const s = boot.session;
  const session: Session = {
    ...s,
    switchOrg: (id) => {
      rememberOrg(id);
      enter(s.appsDomain, id).then(() => navigate("/"));
    },
    logout: async () => {
      await logout();
      navigate("/login", true);
      setBoot({ kind: "login", appsDomain: s.appsDomain, notice: "You are logged out." });
    },
    refresh: () => enter(s.appsDomain, s.org?.id),
  };
  return (
    <SessionCtx.Provider value={session}>
      <Shell path={path} />
    </SessionCtx.Provider>
  );
}

const NAV = [
  ["/", "Dashboard"],
  ["/projects", "Projects"],
  ["/servers", "Servers"],
  ["/members", "Members"],
  ["/alerts", "Alerts"],
  ["/webhooks", "Webhooks"],
  ["/backup-targets", "Backup targets"],
  ["/settings", "Settings"],
  ["/audit", "Audit"],
  ["/admin", "Admin"],
];

function Shell({ path }: { path: string }) {
  return (
    <SessionCtx.Consumer>
      {(s) => (
        <>
          <a class="skip" href="#main">Skip to content</a>
          <header class="top">
            <Link href="/" class="brand">berth</Link>
            <nav aria-label="Main">
              {NAV.filter(([href]) => (href !== "/audit" || s!.perms.has("audit.view")) && ((href !== "/webhooks" && href !== "/settings") || s!.perms.has("org.update")) && (href !== "/backup-targets" || s!.perms.has("environment.backup")) && (href !== "/admin" || s!.me.is_admin)).map(([href, label]) => (
                <Link key={href} href={href} aria-current={(href === "/" ? path === "/" : path.startsWith(href)) ? "page" : undefined}>
                  {label}
                </Link>
              ))}
            </nav>
            <div class="top-right">
              {s!.orgs.length > 0 && (
                <label class="org-switch">
                  <span class="sr-only">Organization</span>
                  <select aria-label="Organization" value={s!.org?.id} onChange={(e) => s!.switchOrg((e.target as HTMLSelectElement).value)}>
                    {s!.orgs.map((o) => (
                      <option key={o.id} value={o.id}>{o.name}</option>
                    ))}
                  </select>
                </label>
              )}
              <Link href="/account" class="who" title={`Account of ${s!.me.email}`} aria-current={path === "/account" ? "page" : undefined}>{s!.me.name || s!.me.email}</Link>
              <button type="button" class="btn small" onClick={s!.logout}>Log out</button>
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            {s!.org ? <Routes path={path} /> : <ErrorBox error="You are not a member of any organization yet." />}
          </main>
          <Toasts />
        </>
      )}
    </SessionCtx.Consumer>
  );
}

function Routes({ path }: { path: string }) {
  const s = useContext(SessionCtx)!;
  let m;
  if (path === "/" || path === "/login" || path === "/setup") return <Dashboard />;
  if (path === "/projects") return <ProjectsPage />;
  if ((m = match("/projects/:id/environments/new", path))) return <NewEnvironmentPage key={m.id} projectId={m.id} />;
  if ((m = match("/projects/:id", path))) return <ProjectPage key={m.id} id={m.id} />;
  if ((m = match("/environments/:id", path))) return <EnvironmentPage key={m.id} id={m.id} />;
  if (path === "/servers") return <ServersPage />;
  if (path === "/members") return <MembersPage />;
  if (path === "/account") return <AccountPage />;
  if (path === "/audit") return <AuditPage />;
  if (path === "/alerts") return <AlertsPage />;
  if (path === "/webhooks") return <WebhooksPage />;
  if (path === "/backup-targets") return <BackupTargetsPage />;
  if (path === "/settings") return <OrgSettingsPage />;
  if (path === "/admin") return <AdminPage />;
  if ((m = match("/invitations/:token", path)))
    return <AcceptInvitationPage key={m.token} token={m.token} loggedIn onJoined={(orgId) => s.switchOrg(orgId)} />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no page at {path}. <Link href="/">Go to the dashboard</Link>.</p>
    </section>
  );
}

render(<App />, document.getElementById("app")!);
