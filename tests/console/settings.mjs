// The instance console's Settings tab, walked through in the browser: run by walkthrough.mjs on
// the running development environment (when berthd has GET/PUT .../settings/{tab}). The page
// is on the instance console; `plan` is the organization's plan (without allow_nginx_tuning,
// allow_instance_tuning and allow_ip_whitelist at first).
export async function settingsSteps(t) {
  const { page, api, token, plan, envId, check, a11y, shot, log, setStep, noSidewaysScroll } = t;
  const sub = (name) => page.getByRole("tablist", { name: "Settings" }).getByRole("tab", { name, exact: true });
  const form = (name) => page.getByRole("form", { name: `${name} settings` });

  setStep("settings: six sub-tabs, the Odoo defaults, a path shown only with its toggle");
  await page.getByRole("tab", { name: "Settings" }).click();
  await sub("Packages").waitFor();
  const tabs = await page.getByRole("tablist", { name: "Settings" }).getByRole("tab").allTextContents();
  check(tabs.join(",") === "Odoo,PostgreSQL,Security,Domain,Nginx,Packages", "the six sub-tabs: " + tabs);
  const odoo = form("Odoo");
  await odoo.getByLabel("Shared Memory (MB)").waitFor();
  check(await odoo.getByLabel("Shared Memory (MB)").inputValue() === "64", "Shared Memory's default 64");
  check(await odoo.getByTestId("plan-locked").isVisible(), "the Odoo panel is locked without allow_instance_tuning");
  check(await odoo.getByLabel("Shared Memory (MB)").isDisabled(), "its fields are disabled");
  check((await odoo.getByLabel("Server Shared Addons Path").count()) === 0, "the path is hidden while its toggle is off");

  setStep("settings: the Nginx panel greyed without allow_nginx_tuning");
  await sub("Nginx").click();
  const nginx = form("Nginx");
  await nginx.getByTestId("plan-locked").getByText("allow_nginx_tuning").waitFor();
  check(await nginx.getAttribute("data-locked") === "true", "the Nginx panel is locked");
  check(await nginx.getByLabel("Max Upload Size").isDisabled(), "Max Upload Size disabled");
  check(await nginx.getByRole("button", { name: "Save Nginx Settings" }).isDisabled(), "Save disabled on a locked panel");
  await shot("12a-settings-locked");
  await a11y("settings tab, a locked panel");

  setStep("settings: the plan gets instance and nginx tuning; Odoo's path toggle");
  await api("PATCH", `/plans/${plan.id}`, { allow_nginx_tuning: true, allow_instance_tuning: true }, token);
  await page.getByRole("tab", { name: "Queue" }).click(); // the Settings tab reads its panels again
  await page.getByRole("tab", { name: "Settings" }).click();
  await sub("Odoo").click();
  await odoo.getByLabel("Shared Memory (MB)").waitFor();
  check(await odoo.getAttribute("data-locked") === "false", "the Odoo panel unlocked");
  await odoo.getByLabel("Server Shared Addons", { exact: true }).check();
  await odoo.getByLabel("Server Shared Addons Path").waitFor();
  await odoo.getByLabel("Server Shared Addons", { exact: true }).uncheck();
  await odoo.getByLabel("Server Shared Addons Path").waitFor({ state: "detached" });
  check((await odoo.getByLabel("Odoo Configuration").getAttribute("placeholder")).includes("max_cron_threads = 2"),
    "the example odoo.conf snippet as the placeholder");

  setStep("settings: Nginx's Max Upload Size, refused then saved; the edge reload's log");
  await sub("Nginx").click();
  await nginx.getByLabel("Max Upload Size").waitFor();
  check(await nginx.getAttribute("data-locked") === "false", "the Nginx panel unlocked");
  check(await nginx.getByLabel("Max Upload Size").inputValue() === "100M", "Max Upload Size's default 100M");
  check(await nginx.getByLabel("Proxy Read Timeout").inputValue() === "300", "Proxy Read Timeout's default 300");
  check(await nginx.getByLabel("X-Frame-Options").inputValue() === "SAMEORIGIN", "X-Frame-Options' default SAMEORIGIN");
  await nginx.getByLabel("Max Upload Size").fill("lots");
  await nginx.getByRole("button", { name: "Save Nginx Settings" }).click();
  await nginx.locator("#set-nginx_max_upload-error").waitFor(); // the API's error.field, under its field
  check((await nginx.locator("#set-nginx_max_upload-error").textContent()).includes("nginx_max_upload"), "the API's message");
  await nginx.getByLabel("Max Upload Size").fill("1M");
  await nginx.locator("#set-nginx_max_upload-error").waitFor({ state: "detached" });
  await nginx.getByRole("button", { name: "Save Nginx Settings" }).click();
  const napply = nginx.getByTestId("apply-result");
  await napply.getByText("Changed: Max Upload Size.").waitFor();
  await shot("12-settings");
  await a11y("settings tab, nginx saved");
  await napply.getByRole("button", { name: "Show the edge_reload log" }).click();
  const elog = page.getByRole("dialog", { name: "Job log: edge_reload" });
  await elog.getByText("Finished:").waitFor({ timeout: 120000 });
  check(await elog.locator('[data-testid="log-state"] [data-status="done"]').isVisible(),
    "the edge reload is done: " + (await elog.locator("pre.log").textContent()).slice(-1500));
  await elog.getByRole("button", { name: "Close", exact: true }).click();
  const ng = await api("GET", `/environments/${envId}/settings/nginx`, undefined, token);
  check(ng.values.nginx_max_upload === "1M", "Max Upload Size saved: " + JSON.stringify(ng.values));

  setStep("settings: Security's rate limits, a bad rate under its field; the IP whitelist needs its plan flag");
  await sub("Security").click();
  const sec = form("Security");
  await sec.getByLabel("Login Rate Limit").waitFor();
  check(await sec.getByLabel("IP Whitelist").isDisabled(), "IP Whitelist disabled without allow_ip_whitelist");
  await sec.locator('[data-key="ip_whitelist"]').getByText("allow_ip_whitelist").waitFor();
  check(await sec.getByLabel("Login Rate Limit").inputValue() === "5r/m", "Login Rate Limit's default 5r/m");
  check(await sec.getByLabel("General Rate Limit").inputValue() === "60r/s", "General Rate Limit's default 60r/s");
  await sec.getByLabel("Enable Rate Limiting").check();
  await sec.getByLabel("Login Rate Limit").fill("5 per minute");
  await sec.getByRole("button", { name: "Save Security Settings" }).click();
  await sec.locator("#set-rate_limit_login-error").waitFor();
  await a11y("settings tab, a field error");
  await sec.getByLabel("Login Rate Limit").fill("10r/m");
  await sec.getByLabel("General Rate Limit").fill("30r/s");
  await sec.getByRole("button", { name: "Save Security Settings" }).click();
  await sec.getByTestId("apply-result").getByText(/Login Rate Limit/).waitFor();
  const sv = (await api("GET", `/environments/${envId}/settings/security`, undefined, token)).values;
  check(sv.rate_limit === true && sv.rate_limit_login === "10r/m" && sv.rate_limit_general === "30r/s",
    "the rate limits saved: " + JSON.stringify(sv));

  setStep("settings: odoo.conf text, its reserved key ignored, what applying needs");
  await sub("Odoo").click();
  await odoo.getByLabel("Odoo Configuration").fill("limit_time_cpu = 600\nadmin_passwd = not-here");
  await odoo.getByRole("button", { name: "Save Odoo Configuration" }).click();
  await odoo.getByTestId("ignored-keys").getByText("admin_passwd").waitFor();
  const oapply = odoo.getByTestId("apply-result");
  await oapply.getByText("Changed: Odoo Configuration.").waitFor();
  check(await oapply.getAttribute("data-needed") === "soft restart", "odoo.conf needs a soft restart");
  await a11y("settings tab, odoo saved");
  await oapply.getByRole("button", { name: "Apply now" }).click(); // the soft restart, queued
  await oapply.getByRole("button", { name: "Show the restart log" }).click();
  const rlog = page.getByRole("dialog", { name: "Job log: restart" });
  await rlog.getByText("Finished:").waitFor({ timeout: 300000 });
  check(await rlog.locator('[data-testid="log-state"] [data-status="done"]').isVisible(),
    "the soft restart is done: " + (await rlog.locator("pre.log").textContent()).slice(-1500));
  await rlog.getByRole("button", { name: "Close", exact: true }).click();
  await oapply.getByRole("button", { name: "Open the Queue tab" }).click();
  await page.locator("tr[data-job]", { hasText: "restart (soft)" }).first().waitFor();
  await page.getByRole("tab", { name: "Settings" }).click();

  setStep("settings: the Domain sub-tab");
  await sub("Domain").click();
  const dom = form("Domain");
  await dom.getByLabel("Primary Domain").waitFor();
  const primary = await dom.getByLabel("Primary Domain").inputValue();
  check(primary.length > 0 && await dom.getByLabel("Primary Domain").getAttribute("readonly") !== null, "the primary domain, read-only: " + primary);
  const row = dom.locator(`tr[data-domain="${primary}"]`);
  await row.waitFor();
  check(["ok", "no", "unknown"].includes(await row.locator("[data-dns]").getAttribute("data-dns")), "its DNS state");
  check((await row.locator("[data-tls]").getAttribute("data-tls")).length > 0, "its HTTPS state");
  const dinfo = (await api("GET", `/environments/${envId}/settings/domain`, undefined, token)).info;
  if (dinfo.tls_status) await dom.getByTestId("env-tls").locator(`[data-tls="${dinfo.tls_status}"]`).waitFor();
  check(await dom.getByLabel("Cloudflare Proxy").isDisabled(), "the Cloudflare indicator is read-only");
  check(!(await dom.getByLabel("Force Generate SSL").isChecked()), "Force Generate SSL off");
  await shot("12b-settings-domain");
  await a11y("settings tab, domain");
  await page.setViewportSize({ width: 390, height: 844 });
  await noSidewaysScroll("the Settings tab");
  await page.setViewportSize({ width: 1280, height: 900 });
  log("settings: sub-tabs, a locked panel, nginx and security saved, field errors, ignored keys, domains");
}
