// Browser walk-through of the web console, driven by playwright-core (from web/node_modules)
// in Debian's chromium. Run by tests/integration/test_console.py against a real berthd.
//
// Environment: BERTH_URL (berthd with --web web/dist, not set up yet), SHOTS (screenshot
// directory), BERTH_DOCKER=1 when a local Docker Engine answers (server, create, remove),
// CHROMIUM (default /usr/bin/chromium), BERTH_ODOO_IMAGE (the Odoo stand-in's repository: the
// deploy runs it), BERTH_EDGE_PORTS ("http,https": free ports for the local server's edge proxy),
// BERTH_IDE_IMAGE (the IDE stand-in's image, tests/ide-standin: the IDE password's rotation).
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { settingsSteps } from "./settings.mjs";
import { issue14Steps } from "./access.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "web", "package.json"));
const { chromium } = require("playwright-core");

const BASE = process.env.BERTH_URL;
const SHOTS = process.env.SHOTS || join(here, "..", "..", "build", "screenshots");
const DOCKER = process.env.BERTH_DOCKER === "1";
const REPO = process.env.BERTH_REPO || ""; // a local git repository with branches main and dev
const EMAIL = "admin@example.com";
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a new horse battery"; // after the password change step
const ODOO_IMAGE = process.env.BERTH_ODOO_IMAGE || "";
const EDGE_PORTS = (process.env.BERTH_EDGE_PORTS || "").split(",").filter(Boolean).map(Number);
const IDE_IMAGE = process.env.BERTH_IDE_IMAGE || ""; // the IDE stand-in, when built
mkdirSync(SHOTS, { recursive: true });

let step = "start";
const log = (m) => console.log(`# ${m}`);
function check(cond, msg) {
  if (!cond) throw new Error(`${step}: ${msg}`);
}

async function api(method, path, body, token) {
  const r = await fetch(BASE + "/api/v1" + path, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: "Bearer " + token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

rmSync(join(SHOTS, "failure.png"), { force: true });
const profile = mkdtempSync(join(tmpdir(), "berth-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  viewport: { width: 1280, height: 900 },
});
ctx.setDefaultTimeout(20000);
const page = ctx.pages()[0] || (await ctx.newPage());
const consoleErrors = [];
// axe-core on each page: no serious or critical violation. Evaluated through the DevTools
// protocol (not a <script> tag), so a strict Content-Security-Policy does not stop it.
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const a11yFailures = [];
const a11yChecked = [];
async function a11y(name) {
  return a11yOf(page, name);
}
async function a11yOf(page, name) {
  await page.evaluate(AXE);
  const bad = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  a11yChecked.push(name);
  if (bad.length) a11yFailures.push(`${name}: ${bad.join("; ")}`);
}
page.on("pageerror", (e) => consoleErrors.push(String(e)));
async function noSidewaysScroll(what) {
  const o = await page.evaluate(() => {
    const over = document.documentElement.scrollWidth - window.innerWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest(".table-wrap, .tabs")))
      .slice(0, 5).map((e) => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`);
    if (over > 0 && !wide.length) {
      // text that overflows its box: find the deepest element whose scrollWidth exceeds its width
      for (const e of document.querySelectorAll("body *"))
        if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible" && wide.length < 5)
          wide.push(`${e.tagName}.${e.className}#${e.id} scroll ${e.scrollWidth} > ${e.clientWidth}`);
    }
    return { over, wide };
  });
  check(o.over <= 0, `no horizontal scrolling at 390 px (${what}): ` + JSON.stringify(o));
}
const shot = (name) => page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });
let failed = false;

try {
  step = "setup";
  await page.goto(BASE + "/");
  await page.getByRole("heading", { name: "Welcome to berth" }).waitFor();
  // a bad email and short password are flagged before submit
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await page.getByText("This is not an email address.").waitFor();
  await page.getByText("Between 12 and 256 characters.").waitFor();
  await page.getByLabel("Password", { exact: true }).fill("Password1234");
  await page.getByText("One of the commonest passwords: choose another.").waitFor();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByLabel("Organization").fill("Acme");
  await shot("01-setup");
  await a11y("setup");
  await page.getByRole("button", { name: "Create administrator" }).click();

  step = "dashboard";
  await page.getByRole("heading", { name: "Acme", level: 1 }).waitFor();
  await page.getByRole("heading", { name: "Plan usage" }).waitFor();
  await page.getByRole("meter", { name: "Projects" }).waitFor();
  await page.getByText("No projects yet.").waitFor();
  await a11y("dashboard");
  log("setup -> dashboard ok");

  step = "a reload keeps the session (the HttpOnly cookie)";
  await page.goto(BASE + "/projects");
  await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
  const jsCookies = await page.evaluate(() => document.cookie);
  check(!jsCookies.includes("bt_"), "the session cookie is invisible to scripts: " + jsCookies);
  const cookies = await ctx.cookies(BASE);
  const sc = cookies.find((c) => c.name === "berth_session");
  check(sc && sc.httpOnly && sc.sameSite === "Strict" && sc.path === "/", "the session cookie: " + JSON.stringify(cookies));
  step = "a forged POST from the page without the anti-CSRF header is refused";
  const forged = await page.evaluate(async () => {
    const r = await fetch("/api/v1/api-keys", { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: "forged" }) });
    return r.status;
  });
  check(forged === 403, "a cookie POST without X-Berth-CSRF: " + forged);
  log("reload kept the session; a forged POST answered 403");

  step = "log out, then a reload asks to log in and comes back to the page";
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in to berth" }).waitFor();
  check(!(await ctx.cookies(BASE)).some((c) => c.name === "berth_session"), "logout clears the cookie");
  await page.goto(BASE + "/projects");
  await page.getByRole("heading", { name: "Log in to berth" }).waitFor();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("Wrong email or password.").waitFor();
  await a11y("login");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
  check(new URL(page.url()).pathname === "/projects", "still at /projects after login: " + page.url());
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  check(!stored.includes("bt_"), "no token in web storage: " + stored);
  log("login ok, no token in web storage");

  step = "create a project";
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByText("Name the project.").waitFor();
  await a11y("projects, new project form");
  await page.getByLabel("Name", { exact: true }).fill("Shop");
  await page.getByLabel("Odoo version").selectOption("17.0");
  if (REPO) await page.getByLabel("Repository URL (optional)").fill(REPO);
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByRole("dialog", { name: "Project created" }).waitFor();
  await a11y("project created modal");
  await page.getByRole("button", { name: "Open the project" }).click();
  await page.getByRole("heading", { name: "Shop", level: 1 }).waitFor();
  const projectId = new URL(page.url()).pathname.split("/")[2];
  log("project created: " + projectId);

  // an API token for the plan change below (the console itself never shows it)
  const { access_token: token } = await api("POST", "/auth/login", { email: EMAIL, password: PASSWORD });
  const me = await api("GET", "/me", undefined, token);
  const orgId = me.organizations[0].id;
  // the backup steps run only against a berthd that has the backup routes: a route it lacks
  // answers 404 NOT_FOUND "No route", an unknown environment of an existing route another code
  const probe = await fetch(BASE + "/api/v1/environments/00000000-0000-4000-8000-000000000000/backups",
    { headers: { Authorization: "Bearer " + token } });
  const probeBody = await probe.json().catch(() => ({}));
  const HAS_BACKUPS = !(probe.status === 404 && probeBody?.error?.code === "NOT_FOUND");
  log(HAS_BACKUPS ? "this berthd has backups" : "this berthd has no backup routes: the backup steps are skipped");
  // the Settings tab's steps likewise, with GET/PUT /environments/{id}/settings/{tab}
  const sprobe = await fetch(BASE + "/api/v1/environments/00000000-0000-4000-8000-000000000000/settings/odoo",
    { headers: { Authorization: "Bearer " + token } });
  const sprobeBody = await sprobe.json().catch(() => ({}));
  const HAS_SETTINGS = !(sprobe.status === 404 && /^No route/.test(sprobeBody?.error?.message || ""));
  log(HAS_SETTINGS ? "this berthd has the settings routes" : "this berthd has no settings routes: the Settings tab's steps are skipped");

  if (DOCKER) {
    step = "add the local server";
    await page.getByRole("link", { name: "Servers" }).click();
    await page.getByRole("heading", { name: "Servers", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Add Server" }).click();
    await page.getByLabel("Name").fill("local");
    await page.getByLabel("Connection").selectOption("local");
    await page.getByRole("button", { name: "Add and test" }).click();
    await page.getByTestId("test-result").waitFor({ timeout: 60000 });
    await page.locator('tr[data-server="local"] [data-status="running"]').waitFor({ timeout: 60000 });
    await shot("02-servers");
    await a11y("servers");
    await page.getByRole("button", { name: "Edit local" }).click();
    const sdlg = page.getByRole("dialog", { name: "Edit server local" });
    // the dialog has focus as soon as it shows; the field's rule shows under it as soon as the
    // value is out of range
    await sdlg.waitFor();
    await page.waitForFunction(() => document.activeElement && document.activeElement.closest('[role="dialog"]'));
    await sdlg.getByLabel("Max environments").fill("0");
    await sdlg.getByText("1 to 1000.").waitFor();
    check(await sdlg.getByLabel("Name").inputValue() === "local", "the name field kept its value");
    await sdlg.getByLabel("Max environments").fill("6");
    await a11y("edit server modal");
    await sdlg.getByRole("button", { name: "Save" }).click();
    await page.locator('tr[data-server="local"]').getByText("0 / 6").waitFor();
    // the edge proxy on free ports (the console's form has no port fields) and the Odoo
    // stand-in as the image of every version, through the API
    const local = (await api("GET", `/orgs/${orgId}/servers`, undefined, token)).find((x) => x.name === "local");
    if (EDGE_PORTS.length === 2)
      await api("PATCH", `/servers/${local.id}`, { http_port: EDGE_PORTS[0], https_port: EDGE_PORTS[1] }, token);
    if (ODOO_IMAGE)
      await api("PUT", "/admin/odoo-versions", ["16.0", "17.0", "18.0", "19.0"].map((v) => ({ version: v, image: `${ODOO_IMAGE}:${v}` })), token);
    log("local server running: " + local.id);
  }

  step = "a small plan: 2 CPU cores";
  const plan = await api("POST", "/plans", { name: "Small", cpu_cores: 2, ram_mb: 8192, disk_gb: 100,
    max_environments: 5, max_servers: 2, max_projects: 5, max_members: 5 }, token);
  await api("PUT", `/orgs/${orgId}/plan`, { plan_id: plan.id }, token);

  step = "the create form";
  await page.goto(BASE + `/projects/${projectId}`); // a reload: still logged in
  await page.getByRole("heading", { name: "Shop", level: 1 }).waitFor();
  await page.getByRole("link", { name: "Add Environment" }).first().click();
  await page.getByRole("heading", { name: "Create environment" }).waitFor();
  check(new URL(page.url()).pathname === `/projects/${projectId}/environments/new`, "URL of the form: " + page.url());
  const name = await page.getByLabel("Environment Name").inputValue();
  check(/^shop-development-[a-z0-9]{4}$/.test(name), "auto name: " + name);
  await page.getByLabel("Type").selectOption("staging");
  const name2 = await page.getByLabel("Environment Name").inputValue();
  check(/^shop-staging-[a-z0-9]{4}$/.test(name2), "auto name follows the type: " + name2);
  check((await page.getByLabel("Subdomain").inputValue()) === "shop-staging", "subdomain default");
  check(!(await page.getByLabel("Auto-Deploy").isChecked()), "auto-deploy off for staging");
  await page.getByLabel("Type").selectOption("development");
  check(await page.getByLabel("Auto-Deploy").isChecked(), "auto-deploy on for development");
  check((await page.getByLabel("CPU Cores").inputValue()) === "1.0", "CPU default");
  check((await page.getByLabel("RAM (MB)").inputValue()) === "2048", "RAM default");
  check((await page.getByLabel("Disk (GB)").inputValue()) === "10", "disk default");
  check(await page.getByLabel("Enable PGTune").isChecked(), "PGTune on by default");
  check(await page.getByLabel("Enable PgBouncer").isChecked(), "PgBouncer on by default");

  if (REPO) {
    step = "branches of the repository";
    await page.waitForFunction(() => document.querySelectorAll("#env-branch option").length >= 2);
    const opts = await page.locator("#env-branch option").allTextContents();
    check(opts.join(",") === "dev,main (default)", "branch options: " + opts);
    check((await page.getByLabel("Git Branch").inputValue()) === "main", "the default branch is chosen");
  }

  step = "read replica disabled on 17.0";
  const replica = page.getByLabel("Enable Read Replica");
  check(await replica.isDisabled(), "read replica disabled");
  const tip = await page.locator(".toggle", { has: replica }).getAttribute("title");
  check(tip === "Read Replica requires Odoo 18.0 or higher", "tooltip: " + tip);

  step = "bad subdomain";
  await page.getByLabel("Subdomain").fill("Bad_Sub");
  await page.locator("#env-subdomain-error").getByText("DNS label").waitFor();
  check(await page.getByRole("button", { name: "Create Environment" }).isDisabled(), "Create disabled with a bad subdomain");

  step = "over quota";
  await page.getByLabel("CPU Cores").fill("4");
  await page.locator(".quota.over").waitFor();
  await page.getByText("Cannot create environment - CPU quota exceeded").waitFor();
  const fill = await page.locator(".quota .bar").getAttribute("class");
  check(fill.includes("over"), "bar red: " + fill);
  check(await page.getByRole("button", { name: "Create Environment" }).isDisabled(), "Create disabled over quota");
  await shot("03-create-form-errors");
  await a11y("create environment, with errors");
  await page.getByLabel("CPU Cores").fill("0.3");
  await page.locator("#env-cpu-error").getByText("steps of 0.25").waitFor();
  await page.getByLabel("CPU Cores").fill("1");
  await page.locator(".quota.over").waitFor({ state: "detached" });
  await page.getByLabel("Subdomain").fill("shop-dev");
  if (DOCKER) await page.getByTestId("sub-ok").waitFor();
  await page.getByLabel("Custom Domain (optional)").fill("shop.example.com");
  log("validations ok");

  if (!DOCKER) {
    await page.getByText("No servers available in your organization").waitFor();
    check(await page.getByRole("button", { name: "Create Environment" }).isDisabled(), "Create disabled without servers");
    log("no Docker: create, console and remove are not exercised");
  } else {
    step = "create the environment";
    await page.getByText("Resources available.").waitFor();
    const create = page.getByRole("button", { name: "Create Environment" });
    await page.waitForFunction(() => !document.querySelector("button[type=submit]").disabled);
    await create.click();
    await page.getByText("Environment created successfully").waitFor({ timeout: 60000 });
    const dlg = page.getByRole("dialog", { name: "Deploy Now?" });
    await dlg.waitFor();
    check(await dlg.getByRole("button", { name: "Deploy Now" }).isVisible(), "Deploy Now button");
    await shot("04-deploy-now");
    await a11y("deploy now modal");
    // a second tab on the dashboard, left open: it follows the deploy on its own event stream
    const dash = await ctx.newPage();
    dash.on("pageerror", (e) => consoleErrors.push(String(e)));
    await dash.goto(BASE + "/");
    await dash.getByText("No environment is running.").waitFor();
    await dash.waitForFunction(() => document.documentElement.dataset.events === "live");
    await dash.evaluate(() => { window.__sameDocument = true; });
    await dlg.getByRole("button", { name: "Deploy Now" }).click();
    await page.getByRole("heading", { name: "Shop", level: 1 }).waitFor();
    await page.getByRole("heading", { name: /Development/ }).waitFor();
    const card = page.locator(".env-card", { hasText: "shop-development-" });
    await card.locator("[data-status]").first().waitFor();
    await a11y("project page");
    check(await page.getByRole("form", { name: "Project settings" }).getByLabel("Odoo version").isDisabled(),
      "the Odoo version is locked while environments exist");
    await shot("05-project");
    log("environment created");

    step = "a taken subdomain shows the red X";
    await page.getByRole("link", { name: "Add Environment" }).first().click();
    await page.getByLabel("Subdomain").fill("shop-dev");
    await page.locator('[data-testid="sub-check"] .no').waitFor();
    await page.getByText("Subdomain 'shop-dev' is already in use").waitFor();
    await shot("05b-subdomain-taken");

    step = "the API's field error under its field (a custom domain already used)";
    await page.getByLabel("Subdomain").fill("shop-dev-2");
    await page.getByTestId("sub-ok").waitFor();
    await page.getByLabel("Custom Domain (optional)").fill("shop.example.com");
    await page.waitForFunction(() => !document.querySelector("button[type=submit]").disabled);
    await page.getByRole("button", { name: "Create Environment" }).click();
    await page.locator('.banner.error[data-code="DOMAIN_EXISTS"]').waitFor();
    await page.locator("#env-domain-error").waitFor();
    await page.getByLabel("Custom Domain (optional)").fill("");
    await page.locator("#env-domain-error").waitFor({ state: "detached" });
    await page.getByRole("link", { name: "Cancel" }).click();

    step = "the instance console";
    await page.locator(".env-card", { hasText: "shop-development-" }).click();
    await page.getByRole("tab", { name: "Commits" }).waitFor();
    await page.locator(".console-head .branch", { hasText: "main" }).waitFor();
    await page.locator(".console-head .badge", { hasText: "Dev" }).waitFor();
    await page.getByText("shop.example.com").first().waitFor();
    // the quick actions by the caller's permissions on the environment (GET .../permissions)
    await page.locator('[role="group"][data-perms="loaded"]').waitFor();
    for (const b of ["Restart", "Stop", "Deploy", "Remove"])
      check(await page.getByRole("button", { name: b, exact: true }).isVisible(), "quick action " + b);
    const tabs = await page.getByRole("tab").allTextContents();
    check(tabs.join(",") === "Commits,Queue,Access,Logs,Mails,Monitoring,Settings", "tabs of a dev instance: " + tabs);
    await a11y("instance console");
    if (REPO) {
      const row = page.getByRole("row", { name: /Fix invoice totals/ });
      await row.waitFor();
      check((await row.textContent()).includes("Ann Dev"), "the author");
      check(await page.getByRole("row", { name: /Add the shop_custom module/ }).isVisible(), "the older commit");
      await page.getByRole("tabpanel").getByRole("button", { name: "Refresh" }).click();
      await row.waitFor();
      log("commits listed");
    }

    step = "the deploy's log streams in the Queue tab";
    // the page is never reloaded from here on: the marker would be gone
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.waitForFunction(() => document.documentElement.dataset.events === "live");
    await page.getByRole("tab", { name: "Queue" }).click();
    await page.locator("tr[data-job]", { hasText: "deploy" }).first().waitFor();
    await page.getByRole("button", { name: /Log of the deploy job/ }).first().click();
    const ldlg = page.getByRole("dialog", { name: /Job log: deploy/ });
    await ldlg.locator("pre.log", { hasText: "==> PostgreSQL" }).waitFor({ timeout: 120000 });
    await shot("06-console-job-log");
    await a11y("job log modal");
    await ldlg.getByText("Finished:").waitFor({ timeout: 600000 });
    check(await ldlg.locator('[data-testid="log-state"] [data-status="done"]').isVisible(),
      "the deploy is done: " + (await ldlg.locator("pre.log").textContent()).slice(-2000));
    check((await ldlg.locator("pre.log").textContent()).includes("==> Health check"), "the log has every stage");
    await ldlg.getByRole("button", { name: "Close", exact: true }).click();
    log("the deploy's log streamed");

    step = "the status dot turns running without a reload (the organization event stream)";
    await page.locator('[data-testid="env-status"] [data-status="running"]').waitFor();
    await page.locator('tr[data-job] [data-status="done"]').first().waitFor();
    check(await page.evaluate(() => window.__sameDocument === true && document.documentElement.dataset.events === "live"),
      "the same page, its event stream live (no polling)");
    await shot("06a-console-running");
    // the dashboard tab: the running environment and the deploy's row, with no reload
    await dash.locator(".card", { hasText: "Running environments" }).locator('[data-status="running"]').waitFor();
    await dash.locator(".card", { hasText: "Recent jobs" }).locator('tr[data-job]', { hasText: "deploy" }).locator('[data-status="done"]').waitFor();
    check(await dash.evaluate(() => window.__sameDocument === true), "the dashboard was not reloaded");
    await dash.close();
    log("running, shown live (the instance console and the dashboard)");

    step = "the header's HTTPS state (tls_status, tls_error), with a berthd that has them";
    const envNow = await api("GET", `/environments/${new URL(page.url()).pathname.split("/").pop()}`, undefined, token);
    if ("tls_status" in envNow) {
      await page.reload(); // the state as the environment has it now
      await page.locator('[data-testid="env-status"] [data-status="running"]').waitFor();
      await page.evaluate(() => { window.__sameDocument = true; });
      await page.waitForFunction(() => document.documentElement.dataset.events === "live");
      await page.getByRole("tab", { name: "Queue" }).click(); // where the steps below expect the page
      await page.locator("tr[data-job]", { hasText: "deploy" }).first().waitFor();
      const envTls = await api("GET", `/environments/${envNow.id}`, undefined, token);
      const tls = page.locator(`.console-head [data-tls="${envTls.tls_status}"]`);
      await tls.waitFor();
      const text = await tls.textContent();
      check(envTls.tls_status === "active" ? text === "HTTPS"
        : envTls.tls_status === "partial" ? text.startsWith("HTTPS (some domains)")
        : envTls.tls_status === "pending" ? text === "HTTPS pending"
        : text.startsWith("HTTP only" + (envTls.tls_error ? ": " + envTls.tls_error.slice(0, 100) : envTls.tls_status === "none" ? ": no certificate yet" : "")),
        `the HTTPS state by the URL (${envTls.tls_status}, ${envTls.tls_error}): ${text}`);
      log("HTTPS state shown: " + text);
    }

    step = "soft restart through the Restart modal";
    await page.getByRole("button", { name: "Restart", exact: true }).click();
    const rdlg = page.getByRole("dialog", { name: "Restart" });
    await rdlg.getByText("Stops and recreates the Docker containers from scratch").waitFor();
    await rdlg.getByLabel(/Hard Restart/).check();
    await rdlg.getByRole("button", { name: "Hard Restart" }).waitFor();
    await rdlg.getByLabel(/Soft Restart/).check();
    await a11y("restart modal");
    await rdlg.getByRole("button", { name: "Soft Restart" }).click();
    await page.getByText("Soft restart queued").waitFor();
    const restartRow = page.locator("tr[data-job]", { hasText: "restart (soft)" });
    await restartRow.locator('[data-status="done"]').waitFor({ timeout: 300000 });
    await page.locator('[data-testid="env-status"] [data-status="running"]').waitFor();
    log("soft restart done");

    step = "the Logs tab: the Odoo log, kept across the restart";
    await page.getByRole("tab", { name: "Logs" }).click();
    const logs = page.getByTestId("logs-lines");
    await logs.getByText("werkzeug").first().waitFor({ timeout: 60000 });
    await page.getByTestId("logs-footer").getByText(/[1-9][0-9]* lines?/).waitFor();
    await shot("06b-console-logs");
    await a11y("logs tab");
    step = "the Monitoring tab: the Odoo and database charts";
    await page.getByRole("tab", { name: "Monitoring" }).click();
    await page.getByRole("heading", { name: "Odoo container" }).waitFor({ timeout: 30000 });
    await page.getByRole("heading", { name: "Database container" }).waitFor();
    await page.getByRole("button", { name: "24h" }).click();
    await page.locator('button[aria-pressed="true"]', { hasText: "24h" }).waitFor();
    await shot("06c-console-monitoring");
    await a11y("monitoring tab");
    await page.getByRole("tab", { name: "Queue" }).click();
    log("logs and monitoring shown");

    if (HAS_SETTINGS) {
      await settingsSteps({ page, api, token, plan, envId: new URL(page.url()).pathname.split("/").pop(), check, a11y, shot, log,
        setStep: (s) => { step = s; }, noSidewaysScroll });
      check(await page.evaluate(() => window.__sameDocument === true), "the Settings tab: no reload");
      await page.getByRole("tab", { name: "Queue" }).click();
    }

    // issue 14: the Access and Mails tabs, Connect As User, Clone and Refresh (each with its routes)
    const has14 = await issue14Steps({ page, ctx, api, token, plan, orgId, base: BASE, envId: new URL(page.url()).pathname.split("/").pop(), check, a11y, shot, log,
      setStep: (s) => { step = s; }, noSidewaysScroll, ideImage: IDE_IMAGE, docker: DOCKER });
    check(await page.evaluate(() => window.__sameDocument === true), "issue 14's steps: back on the environment's page, the same document");

    step = "stop: the dot turns stopped and Start appears, live";
    await page.getByRole("button", { name: "Stop", exact: true }).click();
    await page.getByText("Stop queued").waitFor();
    await page.locator('[data-testid="env-status"] [data-status="stopped"]').waitFor({ timeout: 300000 });
    await page.getByRole("button", { name: "Start", exact: true }).waitFor();
    await page.locator("tr[data-job]", { hasText: "stop" }).locator('[data-status="done"]').waitFor();
    check(await page.evaluate(() => window.__sameDocument === true), "no reload");
    log("stopped, shown live");
    if (has14.sessions) {
      step = "connect on a stopped environment: berthd's 409 shown in the modal";
      await page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Connect", exact: true }).click();
      const cdlg = page.getByRole("dialog", { name: "Connect As User" });
      await cdlg.locator(".banner.error", { hasText: "The users cannot be listed" }).waitFor();
      await cdlg.getByRole("button", { name: "Close", exact: true }).click();
    }

    step = "a viewer sees no action buttons";
    const inv = await api("POST", `/orgs/${orgId}/invitations`, { email: "viewer@example.com", role: "viewer" }, token);
    const envUrl = page.url();
    // another browser: the admin's tabs share the admin's session cookie
    const vbrowser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"] });
    const vpage = await (await vbrowser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    vpage.on("pageerror", (e) => consoleErrors.push(String(e)));
    // the invitation's link: the account is created there (the API's password rule first)
    await vpage.goto(BASE + "/invitations/" + inv.token);
    await vpage.getByRole("heading", { name: "Join an organization on berth" }).waitFor();
    await vpage.getByLabel("Your name (optional)").fill("Vic Viewer");
    await vpage.getByLabel("Password", { exact: true }).fill("viewer");
    await vpage.getByLabel("Password again").fill("viewer");
    await vpage.getByRole("button", { name: "Create account and join" }).click();
    await vpage.getByText("Between 12 and 256 characters.").waitFor();
    await vpage.getByLabel("Password", { exact: true }).fill("viewer password");
    await vpage.getByLabel("Password again").fill("viewer password");
    await a11yOf(vpage, "invitation page");
    await vpage.getByRole("button", { name: "Create account and join" }).click();
    await vpage.getByRole("heading", { name: "Acme", level: 1 }).waitFor();
    check(!(await vpage.evaluate(() => JSON.stringify({ ...localStorage }) + document.cookie)).includes("bt_"),
      "the viewer's session is the cookie, no token kept");
    await vpage.goto(envUrl);
    await vpage.getByRole("tab", { name: "Queue" }).waitFor();
    await vpage.locator('[role="group"][data-perms="loaded"]').waitFor({ state: "attached" }); // empty: no size
    const vbuttons = await vpage.getByRole("group", { name: "Quick actions" }).getByRole("button").count();
    check(vbuttons === 0, "the viewer sees no quick action: " + vbuttons);
    if (HAS_SETTINGS) {
      // the Settings tab, read-only: no Save button, every field disabled
      await vpage.getByRole("tab", { name: "Settings" }).click();
      const vodoo = vpage.getByRole("form", { name: "Odoo settings" });
      await vodoo.getByLabel("Shared Memory (MB)").waitFor();
      await vpage.getByText("Read only: changing settings needs the environment.settings permission.").waitFor();
      check((await vodoo.getByRole("button", { name: "Save Odoo Configuration" }).count()) === 0, "no Save for a viewer");
      check(await vodoo.getByLabel("Shared Memory (MB)").isDisabled(), "the viewer's fields are disabled");
    }
    if (has14.access) {
      // the Access tab without environment.ide: the database password is not offered
      await vpage.getByRole("tab", { name: "Access" }).click();
      await vpage.getByTestId("acc-db-name").waitFor();
      check((await vpage.getByRole("button", { name: /Show the (database|IDE) password/ }).count()) === 0, "no password for a viewer");
      await vpage.getByRole("tab", { name: "Queue" }).click(); // the instance URL's link would match "Shop" below
    }
    await vpage.getByRole("link", { name: "Shop" }).click();
    await vpage.getByRole("heading", { name: "Shop", level: 1 }).waitFor();
    check((await vpage.getByRole("link", { name: "Add Environment" }).count()) === 0, "no Add Environment for a viewer");
    step = "a forged request from the viewer's cookie is refused";
    const vforged = await vpage.evaluate(async (id) => {
      const r = await fetch(`/api/v1/environments/${id}/stop`, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: "{}" });
      return r.status;
    }, new URL(envUrl).pathname.split("/").pop());
    check(vforged === 403, "the viewer's forged stop: " + vforged);
    await vbrowser.close();
    log("viewer sees no actions; their forged stop answered 403");

    step = "the instance console at 390 px";
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("tab", { name: "Queue" }).click();
    await page.locator("tr[data-job]").first().waitFor();
    await noSidewaysScroll("the instance console");
    await shot("06b-console-390px");
    await page.setViewportSize({ width: 1280, height: 900 });

    step = "remove after typing DELETE";
    await page.getByRole("button", { name: "Remove", exact: true }).click();
    const del = page.getByRole("dialog", { name: "Remove instance" });
    await del.getByLabel("Type DELETE to confirm").fill("delete");
    check(await del.getByRole("button", { name: "Remove" }).isDisabled(), "Remove disabled for 'delete'");
    await del.getByLabel("Type DELETE to confirm").fill("DELETE");
    await del.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("heading", { name: "Shop", level: 1 }).waitFor();
    // the removal's end takes the card off the project page, live
    await page.locator(".env-card", { hasText: "shop-development-" }).waitFor({ state: "detached", timeout: 300000 });
    await page.getByText("No environments yet.").waitFor();
    log("remove queued");

    step = "project settings";
    const settings = page.getByRole("form", { name: "Project settings" });
    await settings.getByLabel("Default branch").fill("a..b");
    await settings.getByText("Not a valid git branch name.").waitFor();
    await settings.getByLabel("Default branch").fill("main");
    await settings.getByLabel("Poll interval (seconds)").fill("5");
    await settings.getByText("0 (no polling) or 10 to 86400 seconds.").waitFor();
    await settings.getByLabel("Poll interval (seconds)").fill("60");
    await a11y("project settings");
    await settings.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Project settings saved").waitFor();
    const saved = await api("GET", `/projects/${projectId}`, undefined, token);
    check(saved.poll_interval_s === 60, "poll interval saved: " + saved.poll_interval_s);

    if (HAS_BACKUPS) {
      step = "backups: a staging environment, deployed (the plan allows backups)";
      await api("PATCH", `/plans/${plan.id}`, { allow_backup: true }, token);
      const stg = await api("POST", `/projects/${projectId}/environments`,
        { name: "shop-staging", env_type: "staging", subdomain: "shop-stg", cpu_cores: 1, ram_mb: 2048 }, token);
      const sdep = await api("POST", `/environments/${stg.id}/deploy`, {}, token);
      for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 1000))) {
        const j = await api("GET", `/jobs/${sdep.id}`, undefined, token);
        if (j.status === "done") break;
        check(j.status !== "failed" && j.status !== "cancelled", "the staging deploy: " + JSON.stringify(j));
        check(Date.now() - t < 600000, "the staging deploy ends within 10 minutes");
      }
      await page.goto(BASE + `/environments/${stg.id}`); // a reload: the session sees the plan's allow_backup
      await page.getByRole("tab", { name: "Backups" }).click();
      await page.getByRole("heading", { name: "Backups", level: 2 }).waitFor();
      await page.getByTestId("backup-summary").getByText("Last verified backup:").waitFor();

      step = "backups: create a full backup (the default scope), done and listed live";
      await page.getByRole("button", { name: "Create Backup" }).click();
      const cdlg = page.getByRole("dialog", { name: "Create Backup" });
      check(await cdlg.getByLabel(/Database \+ Filestore/).isChecked(), "full scope by default");
      await a11y("create backup modal");
      await cdlg.getByRole("button", { name: "Create Backup" }).click();
      await page.getByText("Backup queued").waitFor();
      const brow = page.locator('tr[data-kind="manual"][data-status="done"]').first();
      await brow.waitFor({ timeout: 300000 });
      const bid = await brow.getAttribute("data-backup");
      const href = await brow.getByRole("link", { name: /Download/ }).getAttribute("href");
      check(href === `/api/v1/backups/${bid}/download`, "the download link: " + href);
      await a11y("backups tab");

      step = "backups: Verify, then the verified badge and the restore time";
      await brow.getByRole("button", { name: "Verify" }).click();
      await page.locator(`tr[data-backup="${bid}"] [data-verified="passed"]`).waitFor({ timeout: 300000 });
      await page.getByTestId("rto").waitFor();
      await page.locator(`tr[data-backup="${bid}"]`).getByRole("button", { name: /Details/ }).click();
      await page.locator(`#bk-${bid}`).getByText("Passed").first().waitFor();
      await shot("11-backups");

      step = "backups: the restore modal's defaults, cancelled";
      await page.locator(`tr[data-backup="${bid}"]`).getByRole("button", { name: "Restore" }).click();
      const rsd = page.getByRole("dialog", { name: "Restore backup" });
      check(await rsd.getByLabel("Target environment").inputValue() === stg.id, "this environment is the default target");
      check(await rsd.getByLabel("Include filestore").isChecked(), "filestore on by default");
      check(await rsd.getByLabel("Safety backup first").isChecked(), "safety backup on by default");
      await a11y("restore backup modal");
      await rsd.getByRole("button", { name: "Cancel" }).click();
      await rsd.waitFor({ state: "detached" });

      step = "backups: the schedule, read-only, set in Settings → Odoo";
      const sch = page.getByRole("region", { name: "Backup schedule" });
      await sch.getByText("none: no automatic backups").waitFor();
      if (HAS_SETTINGS) {
        await sch.getByRole("link", { name: "Settings → Odoo" }).click();
        const odoo = page.getByRole("form", { name: "Odoo settings" });
        await odoo.getByLabel("Backup Schedule").fill("02:00 25:00");
        await odoo.getByText("'25:00' is not a time HH:MM").waitFor();
        await odoo.getByLabel("Backup Schedule").fill("02:00 14:00");
        await odoo.getByRole("button", { name: "Save Odoo Configuration" }).click();
        await odoo.getByTestId("apply-result").getByText("Changed: Backup Schedule.").waitFor();
        await page.getByRole("tab", { name: "Backups" }).click();
        await page.getByTestId("backup-summary").getByText("02:00 14:00").waitFor();
        await page.getByRole("region", { name: "Backup schedule" }).getByText("02:00 14:00").waitFor();
      }
      log("backups: created, verified, restore modal, schedule");

      step = "backup targets: the page and its built-in local target";
      await page.getByRole("link", { name: "Backup targets", exact: true }).click();
      await page.getByRole("heading", { name: "Backup targets", level: 1 }).waitFor();
      await page.locator('tr[data-target="local"]').getByText("default").waitFor();
      await page.getByRole("button", { name: "Add S3 target" }).click();
      await page.getByRole("button", { name: "Add target" }).click();
      await page.getByText("The bucket.").waitFor();
      await a11y("backup targets");
      await page.getByRole("button", { name: "Cancel" }).click();

      step = "backups: the staging environment removed";
      const srm = await api("DELETE", `/environments/${stg.id}`, { confirm: "DELETE" }, token);
      for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 1000))) {
        const j = await api("GET", `/jobs/${srm.id}`, undefined, token);
        if (j.status === "done" || j.status === "failed") break;
        check(Date.now() - t < 300000, "the removal ends");
      }
      log("backup targets shown; staging removed");
    }
  }

  step = "account: API keys";
  await page.getByRole("link", { name: EMAIL, exact: true }).click();
  await page.getByRole("heading", { name: "Account", level: 1 }).waitFor();
  await page.getByLabel("Key name").fill("ci");
  await page.getByLabel("Scope").selectOption("read-only");
  await page.getByRole("button", { name: "Create API key" }).click();
  const kdlg = page.getByRole("dialog", { name: "API key created" });
  check((await kdlg.getByTestId("new-key").textContent()).startsWith("bk_"), "the new key is shown");
  await a11y("API key created modal");
  await kdlg.getByRole("button", { name: "Done" }).click();
  await page.locator('tr[data-key="ci"]').getByText("read-only").waitFor();
  await a11y("account");
  await page.locator('tr[data-key="ci"]').getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("dialog", { name: "Revoke API key" }).getByRole("button", { name: "Revoke" }).click();
  await page.getByText("No API keys.").waitFor();

  step = "members: invite and revoke";
  await page.getByRole("link", { name: "Members" }).click();
  await page.getByRole("heading", { name: "Members of Acme" }).waitFor();
  await page.getByLabel("Email").fill("bob@example.com");
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const idlg = page.getByRole("dialog", { name: "Invitation created" });
  check((await idlg.getByTestId("invite-token").textContent()).startsWith("bi_"), "the invitation token is shown");
  check((await idlg.getByTestId("invite-link").textContent()).startsWith(BASE + "/invitations/bi_"), "the invitation's link");
  await idlg.getByRole("button", { name: "Done" }).click();
  await a11y("members");
  await page.getByRole("button", { name: "Revoke invitation of bob@example.com" }).click();
  if (DOCKER) {
    // the viewer of the console step: limit them to the project Shop
    await page.getByRole("button", { name: "Projects of viewer@example.com" }).click();
    const mdlg = page.getByRole("dialog", { name: "Projects of viewer@example.com" });
    await mdlg.getByLabel("All projects, present and future").uncheck();
    await mdlg.getByLabel("Shop").check();
    await a11y("member projects modal");
    await mdlg.getByRole("button", { name: "Save" }).click();
    await page.getByRole("row", { name: /viewer@example.com/ }).getByText("Shop").waitFor();
  }
  await page.getByText("No pending invitations.").waitFor();
  log("API keys and invitations ok");
  await page.getByRole("link", { name: "Dashboard" }).click();
  await page.getByRole("heading", { name: "Recent jobs" }).waitFor();
  await page.getByRole("meter", { name: "CPU" }).waitFor();
  if (DOCKER) await page.locator(".card", { hasText: "Recent jobs" }).getByText("stop").first().waitFor();
  await shot("08-dashboard");

  step = "error states: an unknown environment, an unknown page";
  const go = (path) => page.evaluate((p) => { history.pushState(null, "", p); dispatchEvent(new PopStateEvent("popstate")); }, path);
  await go("/environments/00000000-0000-4000-8000-000000000000");
  await page.locator(".banner.error", { hasText: "Not found." }).waitFor();
  await page.getByRole("button", { name: "Try again" }).waitFor();
  await go("/no/such/page");
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  await a11y("page not found");
  await go("/");

  step = "administration: plans and Odoo images";
  await page.getByRole("link", { name: "Admin", exact: true }).click();
  await page.getByRole("heading", { name: "Administration" }).waitFor();
  await page.locator('tr[data-plan="Small"]').waitFor();
  await page.getByRole("button", { name: "New plan" }).click();
  const plg = page.getByRole("dialog", { name: "New plan" });
  await plg.getByLabel("Name").fill("Tiny");
  await plg.getByRole("button", { name: "Save plan" }).click();
  await plg.getByText("A whole number, 0 to 100000000.").first().waitFor();
  for (const [l, v] of [["CPU cores", "1"], ["RAM (MB)", "2048"], ["Disk (GB)", "20"], ["Environments", "1"],
                        ["Servers", "1"], ["Projects", "1"], ["Members", "2"]])
    await plg.getByLabel(l, { exact: true }).fill(v);
  await plg.getByLabel("Merge").check();
  await a11y("new plan modal");
  await plg.getByRole("button", { name: "Save plan" }).click();
  await page.locator('tr[data-plan="Tiny"]').getByText("Merge").waitFor();
  await page.getByLabel("Odoo 17.0").waitFor();
  await page.getByRole("button", { name: "Save images" }).click();
  await page.getByText("Odoo images saved").waitFor();
  await a11y("administration");
  await shot("09-admin");
  await page.getByRole("button", { name: "Delete Tiny" }).click();
  await page.locator('tr[data-plan="Tiny"]').waitFor({ state: "detached" });

  step = "alerts: thresholds with their rule, saved";
  await page.getByRole("link", { name: "Alerts", exact: true }).click();
  await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor();
  await page.getByText("No open alert.").waitFor();
  const thr = page.getByRole("form", { name: "Alert thresholds" });
  await thr.getByLabel("CPU warning (%)").fill("90");
  await thr.getByText("Not above the critical level.").waitFor();
  await thr.getByLabel("CPU warning (%)").fill("60");
  await thr.getByRole("button", { name: "Save thresholds" }).click();
  await page.getByText("Alert thresholds saved").waitFor();
  const saved = await api("GET", `/orgs/${orgId}/alert-thresholds`, undefined, token);
  check(saved.thresholds.cpu_warning_pct === 60, "the threshold saved: " + JSON.stringify(saved.thresholds));
  await a11y("alerts");

  step = "webhooks: add (the secret shown once), ping, deliveries, delete";
  await page.getByRole("link", { name: "Webhooks", exact: true }).click();
  await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();
  await page.getByText("No webhook yet.").waitFor();
  await page.getByRole("button", { name: "Add Webhook" }).click();
  await page.getByLabel("Payload URL").fill("http://127.0.0.1:9/hook");
  await page.getByRole("button", { name: "Add webhook" }).click();
  await page.locator("#wh-url-error").getByText("public addresses only").waitFor();
  await page.getByLabel("Payload URL").fill("https://hooks.example.com/berth");
  await page.getByRole("button", { name: "Add webhook" }).click();
  const wdlg = page.getByRole("dialog", { name: "Webhook created" });
  check((await wdlg.getByTestId("webhook-secret").textContent()).startsWith("whsec_"), "the secret shown");
  await a11y("webhook created");
  await wdlg.getByRole("button", { name: "Done" }).click();
  const wrow = page.locator('tr[data-webhook="https://hooks.example.com/berth"]');
  await wrow.getByRole("button", { name: "Ping" }).click();
  const ddlg = page.getByRole("dialog", { name: /Deliveries to/ });
  await ddlg.locator("tr[data-delivery]").first().waitFor();
  await a11y("webhook deliveries");
  await shot("09b-webhooks");
  await ddlg.getByRole("button", { name: "Close dialog" }).click();
  await wrow.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete webhook" }).getByRole("button", { name: "Delete" }).click();
  await page.getByText("No webhook yet.").waitFor();
  log("alerts and webhooks ok");

  step = "organization settings: name and time zone";
  await page.getByRole("link", { name: "Settings", exact: true }).click();
  await page.getByRole("heading", { name: "Organization settings", level: 1 }).waitFor();
  const osf = page.getByRole("form", { name: "Organization settings" });
  check(await osf.getByLabel("Name").inputValue() === "Acme", "the organization's name");
  await osf.getByLabel("Time zone").waitFor();
  await a11y("organization settings");
  const orgNow = await api("GET", `/orgs/${orgId}`, undefined, token);
  if ("timezone" in orgNow) {
    await osf.getByLabel("Time zone").selectOption("Europe/Brussels");
    await osf.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Organization settings saved").waitFor();
    const tzNow = (await api("GET", `/orgs/${orgId}`, undefined, token)).timezone;
    check(tzNow === "Europe/Brussels", "the time zone saved: " + tzNow);
    log("organization time zone saved");
  }

  step = "audit log";
  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await page.getByRole("heading", { name: "Audit log" }).waitFor();
  await page.locator('tr[data-action="project.create"]').first().waitFor();
  await page.getByLabel("Action").selectOption("project.create");
  check((await page.locator("tbody tr:not([data-action='project.create'])").count()) === 0, "only project.create");
  await page.getByLabel("Action").selectOption("");
  await page.getByLabel("Filter").fill("bob@example.com");
  await page.locator('tr[data-action="invitation.create"], tr[data-action="member.invite"]').first().waitFor();
  check((await page.locator('tr[data-action="project.create"]').count()) === 0, "the filter hides other entries");
  await a11y("audit log");
  await go("/");

  step = "organization switcher";
  const other = await api("POST", "/orgs", { name: "Beta Labs" }, token);
  await page.reload(); // the new organization appears after a reload (the session stays)
  await page.getByRole("heading", { name: "Acme", level: 1 }).waitFor();
  await page.getByLabel("Organization").selectOption(other.id);
  await page.getByRole("heading", { name: "Beta Labs", level: 1 }).waitFor();
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByText("No projects yet.").waitFor();
  step = "delete a project";
  const temp = await api("POST", `/orgs/${other.id}/projects`, { name: "Temp", odoo_version: "18.0" }, token);
  await go(`/projects/${temp.id}`);
  await page.getByRole("heading", { name: "Temp", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Delete project" }).click();
  const pdlg = page.getByRole("dialog", { name: "Delete project" });
  check(await pdlg.getByRole("button", { name: "Delete" }).isDisabled(), "Delete disabled until the name is typed");
  await pdlg.getByLabel("Type the project's name to confirm").fill("Temp");
  await pdlg.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
  await page.getByText("No projects yet.").waitFor();
  step = "organization switcher";
  await page.getByLabel("Organization").selectOption(orgId);
  await page.getByRole("heading", { name: "Acme", level: 1 }).waitFor();
  log("organization switcher ok");

  step = "390 px wide";
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(BASE + `/projects/${projectId}/environments/new`);
  await page.getByRole("heading", { name: "Create environment" }).waitFor();
  await noSidewaysScroll("the create form");
  await shot("07-create-form-390px");
  await a11y("create environment at 390 px");
  for (const [path, heading] of [["/", "Plan usage"], ["/projects", "Projects"], [`/projects/${projectId}`, "Shop"],
                                 ["/servers", "Servers"], ["/members", "Members of Acme"], ["/settings", "Organization settings"],
                                 ...(HAS_BACKUPS ? [["/backup-targets", "Backup targets"]] : []), ["/account", "Account"]]) {
    await go(path);
    await page.getByRole("heading", { name: heading, exact: true }).first().waitFor();
    await page.locator(".loading").first().waitFor({ state: "detached" }).catch(() => {});
    await noSidewaysScroll(path);
  }

  step = "keyboard: the organization switcher and log out are reachable";
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByLabel("Organization").focus();
  await page.keyboard.press("Tab"); // -> the account link
  await page.keyboard.press("Tab"); // -> Log out
  const focused = await page.evaluate(() => document.activeElement.textContent);
  check(focused === "Log out", "Tab from the switcher reaches Log out: " + focused);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Log in to berth" }).waitFor();
  await page.getByText("You are logged out.").waitFor();

  step = "password change: the API's field error, then the new password logs in";
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: EMAIL, exact: true }).click();
  const pw = page.getByRole("form", { name: "Change password" });
  await pw.getByLabel("Current password").fill("not my password");
  await pw.getByLabel("New password", { exact: true }).fill("short");
  await pw.getByText("Between 12 and 256 characters.").waitFor();
  await pw.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await pw.getByLabel("New password again").fill(NEW_PASSWORD);
  await pw.getByRole("button", { name: "Change password" }).click();
  await page.locator("#pw-current-error").waitFor(); // the API's field: current_password
  await shot("10-account-password");
  await a11y("account, password change");
  await pw.getByLabel("Current password").fill(PASSWORD);
  await page.locator("#pw-current-error").waitFor({ state: "detached" });
  await pw.getByRole("button", { name: "Change password" }).click();
  await pw.getByText("Password changed.").waitFor();
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByText("Wrong email or password.").waitFor();
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Plan usage" }).waitFor();
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in to berth" }).waitFor();
  log("password changed; the new one logs in");
  check(consoleErrors.length === 0, "no page errors: " + consoleErrors.join("; "));
  step = "accessibility";
  log("axe-core checked: " + a11yChecked.join(", "));
  check(a11yFailures.length === 0, "serious or critical axe-core violations:\n  " + a11yFailures.join("\n  "));
  log("logout ok");
} catch (e) {
  failed = true;
  console.error(`FAILED at ${step}: ${e && e.stack ? e.stack : e}`);
  await shot("failure").catch(() => {});
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failed ? "walkthrough: failed" : "walkthrough: passed");
process.exit(failed ? 1 : 0);
