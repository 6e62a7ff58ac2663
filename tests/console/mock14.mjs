// Issue 14's console steps (access.mjs) against a stand-in of berthd's API as docs/api.md
// and PLAN14 describe it (access, sessions/connect, mails, clone/refresh, job events), with no
// Docker: the built console (web/dist) served with that API, then what the real walk-through
// cannot reach: Connect on production (its confirmation first), a tab the browser refuses (the
// link offered instead), production without Mails and Refresh, the Connect modal and the Access
// tab at 390 px. Run by tests/integration/test_console.py (test_console_issue14_stand_in_api).
// Env: SHOTS (screenshots, as mock14-*.png), CHROMIUM.
import http from "node:http";
import { readFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, extname, dirname } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { issue14Steps } from "./access.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIST = join(ROOT, "web/dist");
const require = createRequire(join(ROOT, "web/package.json"));
const { chromium } = require("playwright-core");
const SHOTS_DIR = process.env.SHOTS || join(ROOT, "build", "screenshots");
mkdirSync(SHOTS_DIR, { recursive: true });

const now = () => new Date().toISOString();
const plan = { id: "p1", name: "Small", allow_ide: false, allow_connect: false, allow_backup: false, allow_merge: false };
const env = (id, name, type, extra = {}) => ({ id, name, project_id: "P", org_id: "o1", vm_id: "s1", server_name: "local", environment_type: type, env_type: type,
  subdomain: name, custom_domain: null, status: "running", status_reason: null, tls_status: "none", tls_error: null, cpu_cores: 1, ram_mb: 2048, disk_gb: 10,
  git_branch: "main", odoo_version: "17.0", url: `https://${name}.apps.test`, deployed_at: now(), ...extra });
const envs = { E: env("E", "shop-dev", "development"), E0: env("E0", "shop-prod", "production") };
const jobs = {};
let n = 0;
const mkjob = (type, envId, stages) => { const id = "J" + ++n; jobs[id] = { id, type, status: "running", environment_id: envId, stages }; return { id, type, status: "queued", environment_id: envId }; };
let idepw = "ide-secret-1";
const users = [
  { id: 2, name: "Mitchell Admin", login: "admin", logged_in: true, last_activity: now(), devices: [{ browser: "Chrome", platform: "Linux", ip_address: "10.0.0.7", last_activity: now() }] },
  { id: 6, name: "Marc Demo", login: "demo", logged_in: false, last_activity: null, devices: [] },
  { id: 7, name: "Joel Willis", login: "portal", logged_in: false, last_activity: null, devices: [] },
];
const mails = [
  { id: "m2", from: "shop@example.com", to: ["ann@example.com"], subject: "Your order S00042", date: new Date(Date.now() - 60000).toISOString(), size: 4200 },
  { id: "m1", from: "shop@example.com", to: ["bob@example.com"], subject: "Welcome", date: new Date(Date.now() - 3600000).toISOString(), size: 1200 },
];

function send(res, code, body) {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(body === undefined ? "" : JSON.stringify(body));
}
const err = (res, code, c, message, field) => send(res, code, { error: { code: c, message, field } });

async function body(req) {
  let b = "";
  for await (const c of req) b += c;
  return b ? JSON.parse(b) : {};
}

async function api(req, res, path, q) {
  const m = req.method;
  let r;
  if (path === "/status") return send(res, 200, { setup_required: false, apps_domain: "apps.test" });
  if (path === "/auth/session") return send(res, 200, { auth: "cookie", csrf_token: "x" });
  if (path === "/auth/login") return send(res, 200, { access_token: "tok" });
  if (path === "/me") return send(res, 200, { id: "u1", email: "admin@example.com", name: "Admin", is_admin: true, organizations: [{ id: "o1", name: "Acme", slug: "acme", plan_name: "Small", role: "owner" }] });
  if (path === "/orgs/o1") return send(res, 200, { id: "o1", name: "Acme", permissions: ["org.view", "project.view", "audit.view", "org.update", "server.view"], plan });
  if (path === "/orgs/o1/events") {
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    res.write(": hi\n\n");
    const t = setInterval(() => res.write(": hb\n\n"), 5000);
    req.on("close", () => clearInterval(t));
    return;
  }
  if (path === "/plans/p1" && m === "PATCH") { Object.assign(plan, await body(req)); return send(res, 200, plan); }
  if (path === "/orgs/o1/servers") return send(res, 200, [{ id: "s1", name: "local", host: "127.0.0.1", status: "running", remaining: { cpu_cores: 3, ram_mb: 8192, disk_gb: 80 } }, { id: "s2", name: "far", host: "10.0.0.9", status: "running", remaining: { cpu_cores: 8, ram_mb: 16384, disk_gb: 200 } }]);
  if (path === "/projects/P") return send(res, 200, { id: "P", name: "Shop" });
  if (path === "/projects/P/environments") return send(res, 200, Object.values(envs));
  if (path === "/projects/P/branches") return send(res, 200, [{ name: "dev" }, { name: "main", default: true }]);
  if ((r = path.match(/^\/jobs\/(J\d+)\/events$/))) {
    const j = jobs[r[1]];
    res.writeHead(200, { "Content-Type": "text/event-stream" });
    let i = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (i > 0) res.write(`event: log\ndata: <== ${j.stages[i - 1]} (${(0.4 + i / 10).toFixed(1)}s)\n\n`);
      if (i < j.stages.length) {
        res.write(`event: log\ndata: ==> ${j.stages[i]}\n\n`);
        res.write(`event: log\ndata: copied ${i * 12} MB of 40 MB\n\n`);
        i++;
        setTimeout(tick, 400);
      } else {
        j.status = "done";
        if (j.type === "clone") envs[j.environment_id].status = "running";
        if (j.type === "ide_password") idepw = "ide-secret-2";
        res.write(`event: status\ndata: {"status":"done","error":null}\n\n`);
        res.end();
      }
    };
    tick();
    return;
  }
  if ((r = path.match(/^\/jobs\/(J\d+)$/))) return send(res, 200, jobs[r[1]]);
  r = path.match(/^\/environments\/([^/]+)(\/.*)?$/);
  if (!r) return err(res, 404, "NOT_FOUND", "No route for " + path);
  const e = envs[r[1]];
  const sub = r[2] || "";
  if (!e) return err(res, 404, "NOT_FOUND", "Environment not found");
  if (sub === "" && m === "GET") return send(res, 200, e);
  if (sub === "" && m === "DELETE") {
    const j = mkjob("remove", e.id, ["Remove"]);
    jobs[j.id].status = "done"; // at once: nothing follows its stream
    delete envs[e.id];
    return send(res, 202, j);
  }
  if (sub === "/permissions") return send(res, 200, { permissions: ["project.view", "project.environments.create", "environment.view", "environment.logs", "environment.connect", "environment.ide", "environment.settings", "environment.restart", "environment.stop", "environment.deploy", ...(e.environment_type !== "production" ? ["environment.remove"] : [])] });
  if (sub === "/commits") return send(res, 200, []);
  if (sub.startsWith("/jobs")) return send(res, 200, []);
  if (sub === "/settings/postgresql") return send(res, 200, { values: { anonymize_database: true }, fields: [] });
  if (sub === "/access") {
    const reveal = q.get("reveal");
    return send(res, 200, {
      instance_url: e.url,
      ide: plan.allow_ide ? { available: true, url: e.url + "/ide", password: reveal === "ide_password" ? idepw : "********", revealed: reveal === "ide_password" } : { available: false, url: null, password: null, revealed: false },
      database: { name: e.name, user: "odoo", odoo_port: 8069, postgres_port: 15432, password: reveal === "db_password" ? "db-secret-xyz" : "********", revealed: reveal === "db_password" },
      ssh_tunnel: { command: `ssh -L 15432:localhost:15432 -N -f root@${e.subdomain}.apps.test`, host: `${e.subdomain}.apps.test`, user: "root", port: 15432 },
      plan: { allow_ide: plan.allow_ide, allow_connect: plan.allow_connect, notice: plan.allow_ide ? null : "IDE and remote session access require a Pro or Enterprise plan." },
    });
  }
  if (sub === "/ide/password") return send(res, 202, { job: mkjob("ide_password", e.id, ["Connect to server", "IDE"]) });
  if (sub === "/sessions") {
    const qq = (q.get("q") || "").toLowerCase();
    return send(res, 200, { users: users.filter((u) => !qq || u.name.toLowerCase().includes(qq) || u.login.includes(qq)) });
  }
  if (sub === "/connect") {
    const b = await body(req);
    const u = users.find((x) => x.id === b.user_id);
    if (!u) return err(res, 404, "NOT_FOUND", "No such user", "user_id");
    return send(res, 200, { url: `http://127.0.0.1:${PORT}/berth/connect/0000${u.id}abcdef`, expires_at: now(), user: { id: u.id, login: u.login, name: u.name } });
  }
  if (sub === "/mails") {
    if (e.environment_type === "production") return err(res, 409, "CONFLICT", "production sends real mail; it has no mail catcher");
    const qq = (q.get("q") || "").toLowerCase();
    const l = mails.filter((x) => !qq || x.subject.toLowerCase().includes(qq) || x.from.includes(qq) || x.to.join().includes(qq));
    return send(res, 200, { mails: l, total: l.length });
  }
  if ((r = sub.match(/^\/mails\/(.+)$/))) {
    const x = mails.find((y) => y.id === r[1]);
    if (!x) return err(res, 404, "NOT_FOUND", "No such mail");
    return send(res, 200, { ...x, cc: [], text: "Hello Ann,\nYour order S00042 is confirmed.\n", html: `<html><body><h1 style="color:red">Order S00042</h1><p>Hello Ann</p><script>parent.document.title='PWNED'</script><img src="https://tracker.example/p.gif"></body></html>`, headers: { "Message-ID": "<1@x>", Subject: x.subject } });
  }
  if (sub === "/clone") {
    const b = await body(req);
    if (b.subdomain && Object.values(envs).some((x) => x.subdomain === b.subdomain)) return err(res, 409, "SUBDOMAIN_EXISTS", `Subdomain '${b.subdomain}' is already in use`, "subdomain");
    if (b.neutralize === false) return err(res, 400, "VALIDATION_ERROR", "neutralize: required", "neutralize");
    const id = "E" + ++n;
    envs[id] = env(id, b.name, b.env_type, { status: "deploying", cloned_from: e.id, cloned_at: now() });
    return send(res, 202, { environment: envs[id], job: mkjob("clone", id, ["Connect to server", "Copy database", "Copy filestore", "Neutralize", "Anonymize", "Odoo", "Edge proxy", "Health check"]) });
  }
  if (sub === "/refresh") return send(res, 202, { job: mkjob("refresh", e.id, ["Safety backup", "Copy database", "Copy filestore", "Neutralize", "Restart Odoo"]) });
  return err(res, 404, "NOT_FOUND", "No route for " + path);
}

const TYPES = { ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html" };
const srv = http.createServer(async (req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname.startsWith("/api/v1/")) return api(req, res, u.pathname.slice(7), u.searchParams).catch((e) => { console.error(e); send(res, 500, {}); });
  if (u.pathname.startsWith("/berth/connect/")) { res.writeHead(200, { "Content-Type": "text/html" }); return res.end("<title>Odoo</title>signed in"); }
  const f = join(DIST, u.pathname);
  const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
  if (extname(u.pathname) && existsSync(f)) { res.writeHead(200, { "Content-Type": TYPES[extname(f)] || "application/octet-stream", "Content-Security-Policy": csp }); return res.end(readFileSync(f)); }
  res.writeHead(200, { "Content-Type": "text/html", "Content-Security-Policy": csp, "X-Frame-Options": "DENY" });
  res.end(readFileSync(join(DIST, "index.html")));
});
await new Promise((r) => srv.listen(0, "127.0.0.1", r));
const PORT = srv.address().port;
const BASE = `http://127.0.0.1:${PORT}`;

const profile = mkdtempSync(join(tmpdir(), "berth-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, viewport: { width: 1280, height: 900 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
});
ctx.setDefaultTimeout(10000);
const page = ctx.pages()[0];
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const fails = [];
let step = "";
const check = (c, msg) => { if (!c) throw new Error(step + ": " + msg); };
const a11y = async (name) => {
  await page.evaluate(AXE);
  const bad = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`));
  if (bad.length) fails.push(name + ": " + bad.join("; "));
};
const shot = (n) => page.screenshot({ path: join(SHOTS_DIR, "mock14-" + n + ".png"), fullPage: true });
const apiF = async (method, path, b) => {
  const r = await fetch(BASE + "/api/v1" + path, { method, headers: { "Content-Type": "application/json" }, body: b === undefined ? undefined : JSON.stringify(b) });
  const t = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${t}`);
  return t ? JSON.parse(t) : null;
};
const noSidewaysScroll = async (what) => {
  const o = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(o <= 0, "sideways scroll at 390 px: " + what + " " + o);
};
try {
  await page.goto(BASE + "/environments/E");
  await page.locator('[role="group"][data-perms="loaded"]').waitFor();
  await page.evaluate(() => { window.__sameDocument = true; });
  await issue14Steps({ page, ctx, api: apiF, token: "tok", plan, orgId: "o1", base: BASE, envId: "E", check, a11y, shot, log: (m) => console.log("# " + m), setStep: (s) => { step = s; console.log("> " + s); }, noSidewaysScroll });
  check(await page.evaluate(() => window.__sameDocument === true), "same document");
  step = "iframe sandbox: the script did not run";
  check((await page.title()) !== "PWNED", "title " + (await page.title()));
  step = "production: confirmation, no Mails tab";
  await page.goto(BASE + "/environments/E0");
  await page.locator('[role="group"][data-perms="loaded"]').waitFor();
  const tabs = await page.getByRole("tab").allTextContents();
  check(!tabs.includes("Mails"), "no Mails on production: " + tabs);
  check((await page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Refresh" }).count()) === 0, "no Refresh on production");
  await page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Connect", exact: true }).click();
  const dlg = page.getByRole("dialog", { name: "Connect As User" });
  await dlg.getByRole("button", { name: "Connect as demo" }).click();
  await dlg.getByTestId("connect-confirm").getByText("You are about to sign in as").waitFor();
  await shot("p-connect-confirm");
  await a11y("connect confirm");
  const pop = ctx.waitForEvent("page");
  await dlg.getByRole("button", { name: "Sign in as demo" }).click();
  const tab = await pop;
  await tab.waitForURL(/berth\/connect\/00006abcdef/);
  console.log("# production connect tab: " + tab.url());
  await tab.close();
  step = "a tab the browser refuses: the one-time URL offered as a link";
  await page.evaluate(() => { window.open = () => null; });
  await dlg.getByRole("button", { name: "Connect as portal" }).click();
  await dlg.getByRole("button", { name: "Sign in as portal" }).click();
  const link = dlg.getByRole("link", { name: "Open the session as portal" });
  await link.waitFor();
  check((await link.getAttribute("href")).endsWith("/berth/connect/00007abcdef"), "the link is the one-time URL");
  await page.setViewportSize({ width: 390, height: 844 });
  await shot("p-connect-390");
  await noSidewaysScroll("connect modal");
  await dlg.getByRole("button", { name: "Close dialog" }).click();
  await page.getByRole("tab", { name: "Access" }).click();
  await page.getByTestId("acc-url").waitFor();
  await shot("p-access-390");
  await noSidewaysScroll("access 390");
  // the console's own errors (a CSP report of the sandboxed mail, a refusal the steps asked
  // for, are the browser's console messages, not page errors)
  check(!errors.some((e) => !e.startsWith("console: ")), "page errors: " + JSON.stringify(errors));
  check(!fails.length, "serious or critical axe-core violations:\n  " + fails.join("\n  "));
  console.log("# issue 14 against the stand-in API: ok");
} catch (e) {
  console.log("FAILED: " + e.message);
  await shot("failure");
  process.exitCode = 1;
} finally {
  await ctx.close();
  srv.close();
  rmSync(profile, { recursive: true, force: true });
}
