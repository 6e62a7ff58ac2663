// Issue 14's parts of the instance console, walked through in the browser: run by
// walkthrough.mjs on the running development environment, each part only when berthd has its
// routes (a route it lacks answers 404 "No route": the part is skipped and says why).
//   - the Access tab (GET /environments/{id}/access): the plan notice without allow_ide, the
//     instance URL and Copy, the database fields, the tunnel command; with allow_ide the IDE
//     URL, the password masked, revealed by the eye (as ?reveal= answers), the database
//     password, the password rotated (its job's progress);
//   - Connect As User (GET .../sessions, POST .../connect): the list, the search sent as q,
//     Connect opening a new tab at the one-time URL; the quick action greyed without allow_connect;
//   - the Mails tab (GET .../mails): the list or its empty state, the search, Refresh, a mail
//     shown (its HTML in a sandboxed iframe);
//   - Clone (POST .../clone) and Refresh (POST .../refresh): the dialog's defaults, a local
//     error and the API's under its field, the new environment opened with the clone job's
//     stages live; the refresh of the clone from its source with its progress; the clone removed.
// The page is on the instance console of `envId` and is left there (the same document).
import { execFileSync } from "node:child_process";

const DOCKER = process.env.DOCKER || "docker";

/** Odoo (the stand-in) of an environment sends a mail as ir.mail_server does (its test-only
 * /berth-standin/send-mail, from inside its container); null when it cannot. */
function sendMail(envId, to, subject, body) {
  try {
    const c = execFileSync(DOCKER, ["ps", "-q", "--filter", `label=berth.env=${envId}`, "--filter", "label=berth.role=odoo"],
      { encoding: "utf8" }).split(/\s+/).filter(Boolean)[0];
    if (!c) return null;
    const qs = new URLSearchParams({ to, subject, body }).toString();
    const script = "import sys, urllib.request\nprint(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())\n";
    return JSON.parse(execFileSync(DOCKER, ["exec", c, "python3", "-c", script, "http://localhost:8069/berth-standin/send-mail?" + qs],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } catch (e) {
    return { error: String(e.stderr || e.message).slice(0, 300) };
  }
}
export async function routeMissing(base, token, path, method = "GET") {
  const r = await fetch(base + "/api/v1" + path, { method, headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: method === "GET" ? undefined : "{}" });
  const b = await r.json().catch(() => ({}));
  return r.status === 404 && /^No route/.test(b?.error?.message || "");
}

export async function issue14Steps(t) {
  const { page, ctx, api, token, plan, envId, orgId, base, check, a11y, shot, log, setStep, noSidewaysScroll } = t;
  // the IDE's image (the stand-in, built locally): without it the steps never run a job that
  // starts the IDE (it would pull the upstream image)
  const ideImage = t.ideImage || "";
  // probed on an unknown environment: a route berthd has answers another 404 (and changes nothing)
  const Z = "/environments/00000000-0000-4000-8000-000000000000";
  const has = {
    access: !(await routeMissing(base, token, `${Z}/access`)),
    sessions: !(await routeMissing(base, token, `${Z}/sessions`)),
    mails: !(await routeMissing(base, token, `${Z}/mails`)),
    clone: !(await routeMissing(base, token, `${Z}/clone`, "POST")),
  };
  const skipped = Object.entries(has).filter(([, v]) => !v).map(([k]) => k);
  if (skipped.length) log(`issue 14: this berthd has no route for ${skipped.join(", ")}: those steps are skipped`);
  const env = await api("GET", `/environments/${envId}`, undefined, token);
  const envUrl = page.url();
  const toTab = async (name) => {
    await page.getByRole("tab", { name, exact: true }).click();
  };
  // the session's plan is read at boot: a plan change needs the page read again (the marker of
  // "the same document" is set again after it)
  const reload = async () => {
    await page.reload();
    await page.locator('[role="group"][data-perms="loaded"]').waitFor();
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.waitForFunction(() => document.documentElement.dataset.events === "live");
  };

  if (has.access) {
    setStep("access: the plan notice without allow_ide, the instance URL, the database, the tunnel");
    await api("PATCH", `/plans/${plan.id}`, { allow_ide: false, allow_connect: false }, token);
    await reload();
    if (has.sessions) {
      const c = page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Connect", exact: true });
      check(await c.getAttribute("aria-disabled") === "true", "Connect greyed without allow_connect");
      await page.locator("#connect-plan", { hasText: "allow_connect" }).waitFor();
    }
    await toTab("Access");
    const acc = await api("GET", `/environments/${envId}/access`, undefined, token);
    await page.getByTestId("plan-notice").getByText("Upgrade").waitFor();
    await page.getByTestId("acc-url").getByText(acc.instance_url).waitFor();
    await page.getByTestId("acc-url").getByRole("button", { name: "Copy the instance URL" }).click();
    await page.getByText(/Instance URL (copied|could not be copied)/).first().waitFor();
    await page.getByTestId("acc-db-name").getByText(acc.database.name, { exact: true }).waitFor();
    await page.getByTestId("acc-db-user").getByText(acc.database.user, { exact: true }).waitFor();
    if (acc.database.postgres_port != null) await page.getByTestId("acc-db-pgport").getByText(String(acc.database.postgres_port), { exact: true }).waitFor();
    if (acc.ssh_tunnel?.command) check((await page.getByTestId("ssh-tunnel").textContent()) === acc.ssh_tunnel.command, "the tunnel command as the API answers it");
    check((await page.getByTestId("acc-ide-url").count()) === 0, "no IDE URL without allow_ide");
    await shot("13a-access-plan");
    await a11y("access tab, plan notice");

    setStep("access: with allow_ide, the IDE URL and the passwords revealed by the eye");
    if (ideImage) await api("PUT", "/admin/ide", { image: ideImage }, token);
    await api("PATCH", `/plans/${plan.id}`, { allow_ide: true, allow_connect: true }, token);
    await reload();
    await toTab("Access");
    const acc2 = await api("GET", `/environments/${envId}/access`, undefined, token);
    check(!(await page.getByTestId("plan-notice").count()), "no plan notice with allow_ide");
    if (acc2.ide.available && acc2.ide.url) {
      const link = page.getByTestId("acc-ide-url").getByRole("link");
      check(await link.getAttribute("href") === acc2.ide.url && await link.getAttribute("target") === "_blank", "the IDE URL opens a new tab");
      const pw = page.locator("#ide-password");
      check(await pw.getAttribute("data-revealed") === "false", "the IDE password masked");
      await page.getByRole("button", { name: "Show the IDE password" }).click();
      await page.locator('#ide-password[data-revealed="true"]').waitFor();
      const revealed = (await api("GET", `/environments/${envId}/access?reveal=ide_password`, undefined, token)).ide.password;
      check(await pw.textContent() === revealed, "the revealed IDE password is the API's");
      await shot("13-access");
      await a11y("access tab, the IDE password revealed");
      await page.getByRole("button", { name: "Hide the IDE password" }).click();
      await page.locator('#ide-password[data-revealed="false"]').waitFor();

      if (!ideImage) log("access: no IDE image here (BERTH_IDE_IMAGE): the password rotation is not run");
    }
    if (acc2.ide.available && acc2.ide.url && ideImage) {
      setStep("access: the IDE password rotated, its job's progress");
      const revealed = (await api("GET", `/environments/${envId}/access?reveal=ide_password`, undefined, token)).ide.password;
      await page.getByRole("button", { name: "Rotate password" }).click();
      const rd = page.getByRole("dialog", { name: "Rotate the IDE password" });
      await a11y("rotate IDE password modal");
      await rd.getByRole("button", { name: "Rotate password" }).click();
      const jp = page.getByTestId("job-progress");
      await jp.locator('[data-testid="job-progress-state"]', { hasText: "Finished" }).waitFor({ timeout: 300000 });
      check(await jp.getAttribute("data-status") === "done", "the rotation is done: " + (await jp.textContent()));
      const after = (await api("GET", `/environments/${envId}/access?reveal=ide_password`, undefined, token)).ide.password;
      check(after && after !== revealed, "a new IDE password");
      await jp.getByRole("button", { name: "Show the log" }).click();
      const lg = page.getByRole("dialog", { name: /Job log: ide_password/ });
      await lg.getByText("Finished:").waitFor();
      await lg.getByRole("button", { name: "Close", exact: true }).click();
    } else if (!acc2.ide.available) {
      log("access: the IDE is not available on this environment: " + JSON.stringify(acc2.ide));
    }
    if (acc2.database.password !== null && acc2.database.password !== undefined) {
      await page.getByRole("button", { name: "Show the database password" }).click();
      await page.locator('#db-password[data-revealed="true"]').waitFor();
      const dbpw = (await api("GET", `/environments/${envId}/access?reveal=db_password`, undefined, token)).database.password;
      check(await page.locator("#db-password").textContent() === dbpw, "the revealed database password is the API's");
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await noSidewaysScroll("the Access tab");
    await page.setViewportSize({ width: 1280, height: 900 });
    // the plan without the IDE again for the steps after these (a deploy would start one)
    await api("PATCH", `/plans/${plan.id}`, { allow_ide: false }, token);
    log("access: plan notice, URL, database, tunnel, IDE password revealed" + (ideImage ? " and rotated" : ""));
  } else if (has.sessions) {
    // Connect needs the plan's allow_connect all the same
    await api("PATCH", `/plans/${plan.id}`, { allow_ide: true, allow_connect: true }, token);
    await reload();
  }

  if (has.sessions) {
    setStep("connect: the users, the search sent as q, Connect opening a new tab");
    await page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Connect", exact: true }).click();
    const dlg = page.getByRole("dialog", { name: "Connect As User" });
    const users = (await api("GET", `/environments/${envId}/sessions`, undefined, token)).users;
    check(users.length > 0, "the environment has active users: " + JSON.stringify(users));
    await dlg.locator(`tr[data-login="${users[0].login}"]`).waitFor();
    check(await dlg.locator("tr[data-login]").count() === users.length, "every user listed");
    const who = users.find((u) => u.login === "admin") || users[0];
    const q = who.login.slice(0, 3);
    const sent = page.waitForRequest((r) => r.url().includes("/sessions?q=" + encodeURIComponent(q)));
    await dlg.getByLabel("Search by name or login").fill(q);
    await sent;
    const filtered = (await api("GET", `/environments/${envId}/sessions?q=${encodeURIComponent(q)}`, undefined, token)).users;
    await page.waitForFunction((n) => document.querySelectorAll('[role="dialog"] tr[data-login]').length === n, filtered.length);
    await shot("14-connect");
    await a11y("connect as user modal");
    const popup = ctx.waitForEvent("page");
    const answer = page.waitForResponse((r) => r.url().endsWith(`/environments/${envId}/connect`));
    const visit = ctx.waitForEvent("request", (r) => r.url().includes("/berth/connect/"));
    await dlg.getByRole("button", { name: `Connect as ${who.login}` }).click();
    const tab = await popup;
    const res = await answer;
    check(res.status() === 200, "the connect answer: " + res.status() + " " + (await res.text()));
    const url = (await res.json()).url;
    check(/\/berth\/connect\/[0-9a-f]+$/.test(url), "a one-time URL: " + url);
    // the tab opened at the click, then sent to the one-time URL
    check((await visit).url() === url, "the new tab asked for the one-time URL");
    // the one-time URL redirects to Odoo's web client (/web, /odoo on 18+)
    await tab.waitForURL((u) => u.origin === new URL(url).origin && !u.pathname.startsWith("/berth/connect/"), { timeout: 30000 })
      .catch(() => undefined);
    await tab.waitForLoadState("load").catch(() => undefined);
    // the edge on *.localhost (the browser's loopback): the tab is Odoo's web client, signed in
    // as that user (the stand-in's info route tells whose session the cookie carries)
    const origin = new URL(url).origin;
    if (new URL(url).hostname.endsWith(".localhost")) {
      const info = await tab.evaluate(async (o) => (await fetch(o + "/berth-standin/info")).json(), origin).catch((e) => ({ error: String(e) }));
      check(info?.session?.login === who.login, `the new tab is signed in as ${who.login}: ` + JSON.stringify(info?.session ?? info));
      log(`connect: the new tab at ${tab.url()} is signed in as ${info.session.login}`);
    }
    await tab.close();
    await dlg.getByRole("button", { name: "Close", exact: true }).click();
    log("connect: users listed and searched; a new tab at " + url.replace(/connect\/.*/, "connect/…"));
  }

  if (has.mails) {
    setStep("mails: the tab on a non-production environment, the list or its empty state, a mail shown");
    // a mail sent by Odoo, caught (the stand-in's way of sending as ir.mail_server does)
    const sent0 = t.docker ? sendMail(envId, "customer@example.com", "Invoice INV/2026/0001", "Dear customer,\nyour invoice is attached.") : null;
    if (t.docker && (!sent0 || sent0.error)) log("mails: no mail could be sent from Odoo here: " + JSON.stringify(sent0));
    let m = await api("GET", `/environments/${envId}/mails`, undefined, token);
    // the catcher has it once its SMTP exchange is over
    for (let i = 0; sent0 && !sent0.error && !m.mails.length && i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      m = await api("GET", `/environments/${envId}/mails`, undefined, token);
    }
    await toTab("Mails");
    if (!m.mails.length) {
      await page.getByText("No mail caught yet").waitFor();
    } else {
      await page.locator(`tr[data-mail="${m.mails[0].id}"]`).waitFor();
      const rows = await page.locator("tr[data-mail]").evaluateAll((r) => r.map((x) => x.getAttribute("data-mail")));
      check(JSON.stringify(rows) === JSON.stringify(m.mails.slice(0, rows.length).map((x) => x.id)), "newest first, as the API answers");
      const one = await api("GET", `/environments/${envId}/mails/${m.mails[0].id}`, undefined, token);
      await page.locator(`tr[data-mail="${m.mails[0].id}"]`).getByRole("button").click();
      const md = page.getByRole("dialog", { name: one.subject || "(no subject)" });
      await md.waitFor();
      if (one.html) {
        const fr = md.locator("iframe.mail-html");
        check(await fr.getAttribute("sandbox") === "", "the HTML in a sandboxed iframe without scripts");
        await shot("15a-mail-html");
        await md.getByRole("tab", { name: "Text" }).click();
      }
      if (one.text) await md.getByTestId("mail-text").getByText(one.text.trim().split("\n")[0].slice(0, 40)).first().waitFor();
      await shot("15-mail");
      await a11y("a mail");
      await md.getByRole("button", { name: "Close", exact: true }).click();
    }
    const sent = page.waitForRequest((r) => /\/mails\?.*q=nothing-like-this/.test(r.url()));
    await page.getByLabel("Search", { exact: true }).fill("nothing-like-this");
    await sent;
    await page.getByText("No mail matches").waitFor();
    await page.getByLabel("Search", { exact: true }).fill("");
    await page.getByRole("tabpanel").getByRole("button", { name: "Refresh", exact: true }).click();
    await a11y("mails tab");
    log(`mails: ${m.mails.length} listed, the search, Refresh`);
  }

  if (has.clone) {
    setStep("clone: the dialog's defaults, a local error, the API's error under its field");
    await page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Clone", exact: true }).click();
    const cd = page.getByRole("dialog", { name: `Clone ${env.name}` });
    await cd.getByLabel("Name").waitFor();
    check(await cd.getByLabel("Type").inputValue() === "staging", "staging by default");
    check((await cd.getByLabel("Name").inputValue()).startsWith(`${env.name}-staging`), "the name from the source and the type");
    await cd.getByLabel("Type").selectOption("development");
    check((await cd.getByLabel("Name").inputValue()).startsWith(`${env.name}-development`), "the name follows the type");
    await cd.getByLabel("Type").selectOption("staging");
    check(await cd.getByLabel("Neutralize").isChecked() && await cd.getByLabel("Neutralize").isDisabled(), "Neutralize on and required");
    await page.waitForFunction(() => !document.querySelector("#clone-anonymize").disabled);
    const pg = await api("GET", `/environments/${envId}/settings/postgresql`, undefined, token).catch(() => null);
    check(await cd.getByLabel("Anonymize").isChecked() === !!pg?.values?.anonymize_database, "Anonymize from the source's setting");
    check(await cd.getByLabel("Server").inputValue() === env.vm_id, "the source's server by default");
    await cd.getByLabel("Name").fill(env.name);
    await cd.locator("#clone-name-error").getByText("already has this name").waitFor();
    check(await cd.getByRole("button", { name: "Clone", exact: true }).isDisabled(), "Clone disabled with a taken name");
    await cd.getByLabel("Name").fill("shop-stg-clone");
    await cd.getByText("Subdomain and resources (optional)").click();
    await cd.getByLabel("Subdomain").fill(env.subdomain); // taken: the source's own
    await a11y("clone dialog");
    await cd.getByRole("button", { name: "Clone", exact: true }).click();
    await cd.locator("#clone-subdomain-error").waitFor();
    await shot("16a-clone-error");
    await cd.getByLabel("Subdomain").fill("");
    await cd.locator("#clone-subdomain-error").waitFor({ state: "detached" });

    setStep("clone: submitted, the new environment opened with the clone job's stages live");
    await cd.getByRole("button", { name: "Clone", exact: true }).click();
    await page.locator(".console-head .badge", { hasText: "Staging" }).waitFor();
    const cloneId = new URL(page.url()).pathname.split("/").pop();
    check(cloneId !== envId, "the new environment's page");
    const jp = page.getByTestId("job-progress");
    await jp.locator("li[data-stage]").first().waitFor({ timeout: 120000 });
    await shot("16-clone-progress");
    await a11y("clone progress");
    await jp.locator('[data-testid="job-progress-state"]', { hasText: "Finished" }).waitFor({ timeout: 600000 });
    check(await jp.getAttribute("data-status") === "done", "the clone is done: " + (await jp.textContent()));
    const stages = await jp.locator("li[data-stage]").evaluateAll((l) => l.map((x) => x.getAttribute("data-stage") + ":" + x.getAttribute("data-state")));
    check(stages.length >= 2 && stages.every((s) => s.endsWith(":done")), "every stage done, each with its time: " + stages);
    const clone = await api("GET", `/environments/${cloneId}`, undefined, token);
    check(clone.cloned_from === envId, "cloned_from: " + clone.cloned_from);
    await page.locator('[data-testid="env-status"] [data-status="running"]').waitFor({ timeout: 60000 });
    await shot("16b-clone-done");
    await page.getByRole("button", { name: "Dismiss" }).click();
    check(await page.evaluate(() => window.__sameDocument === true), "the clone's page opened without a reload");

    setStep("refresh: the clone from its source, confirmed, its progress");
    await page.getByRole("group", { name: "Quick actions" }).getByRole("button", { name: "Refresh", exact: true }).click();
    const rd = page.getByRole("dialog", { name: `Refresh ${clone.name}` });
    await rd.getByLabel("Copy the data of").waitFor();
    const order = { production: 0, staging: 1, development: 2 };
    const first = (await api("GET", `/projects/${env.project_id}/environments`, undefined, token))
      .filter((e) => e.id !== cloneId && e.status !== "removing")
      .sort((a, b) => order[a.environment_type] - order[b.environment_type] || a.name.localeCompare(b.name))[0];
    check(await rd.getByLabel("Copy the data of").inputValue() === first.id, "production first, then the others: " + first.name);
    check(await rd.getByRole("button", { name: "Refresh", exact: true }).isDisabled(), "Refresh disabled until confirmed");
    await rd.getByLabel(/Replace the database and filestore/).check();
    await a11y("refresh dialog");
    await rd.getByRole("button", { name: "Refresh", exact: true }).click();
    const rp = page.getByTestId("job-progress");
    await rp.locator('[data-testid="job-progress-state"]', { hasText: "Finished" }).waitFor({ timeout: 600000 });
    check(await rp.getAttribute("data-status") === "done", "the refresh is done: " + (await rp.textContent()));
    await shot("16c-refresh-done");
    await page.setViewportSize({ width: 390, height: 844 });
    await noSidewaysScroll("a clone's page with its job's progress");
    await page.setViewportSize({ width: 1280, height: 900 });

    setStep("clone: removed");
    const rm = await api("DELETE", `/environments/${cloneId}`, { confirm: "DELETE" }, token);
    for (let t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 1000))) {
      const j = await api("GET", `/jobs/${rm.id}`, undefined, token);
      if (j.status === "done" || j.status === "failed") break;
      check(Date.now() - t0 < 300000, "the clone's removal ends");
    }
    log("clone: defaults, errors, the job's stages live; refresh; removed");
  }

  // back to the environment the steps started on, in the same document
  await page.evaluate((p) => { history.pushState(null, "", p); dispatchEvent(new PopStateEvent("popstate")); }, new URL(envUrl).pathname);
  await page.locator('[role="group"][data-perms="loaded"]').waitFor();
  await page.getByRole("tab", { name: "Queue" }).click();
  return has;
}
